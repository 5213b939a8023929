/* SPDX-License-Identifier: BSD-3-Clause */
#include "vl_log.h"

RTE_LOG_REGISTER(vl_logtype_app, vhostloop.app, INFO);
RTE_LOG_REGISTER(vl_logtype_dev, vhostloop.dev, INFO);
RTE_LOG_REGISTER(vl_logtype_fwd, vhostloop.fwd, INFO);
RTE_LOG_REGISTER(vl_logtype_stats, vhostloop.stats, INFO);
RTE_LOG_REGISTER(vl_logtype_placement, vhostloop.placement, INFO);

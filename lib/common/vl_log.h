/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_log.h - rte_log with our own logtypes, so --log-level=vhostloop.*:debug works. */
#ifndef VL_LOG_H
#define VL_LOG_H

#include <rte_log.h>

/* One logtype per module; registered in vl_log.c with RTE_LOG_REGISTER. */
extern int vl_logtype_app;
extern int vl_logtype_dev;
extern int vl_logtype_fwd;
extern int vl_logtype_stats;
extern int vl_logtype_placement;

/* VL_LOG_MOD(dev, ERR, "fmt", ...): one line, newline added. */
#define VL_LOG_MOD(mod, level, fmt, ...) \
	rte_log(RTE_LOG_##level, vl_logtype_##mod, "vhostloop." #mod ": " fmt "\n", ##__VA_ARGS__)

#endif /* VL_LOG_H */

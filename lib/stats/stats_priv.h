/* SPDX-License-Identifier: BSD-3-Clause */
/* stats_priv.h - what vl_stats.c and vl_stats_steer.c share. Not for other modules. */
#ifndef STATS_PRIV_H
#define STATS_PRIV_H

#include <stddef.h>

#include <jansson.h>

#include "vl_stats.h"

/* Registered queue pairs; written before the workers start, read by main and telemetry. */
extern struct vl_stats_qp_desc stats_qps[VL_STATS_MAX_QPS];
extern unsigned int stats_nb_qps;

/* "running", "idle", ... or "-". */
const char *stats_state(const struct vl_stats_qp_desc *d);

/* Steering audit (nothing when it is off): the per-pair and top-level JSON fields, the live
 * line's short form (appended to buf, returns bytes written), telemetry. */
void stats_steer_json_qp(json_t *q, unsigned int i);
void stats_steer_json(json_t *root);
int stats_steer_line(char *buf, size_t len);
int stats_steer_telemetry_init(void);

#endif /* STATS_PRIV_H */

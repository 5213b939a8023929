/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_flow.c - which flow each frame belongs to (--flows, --split-flows), for steering audits.
 * Pure C, no EAL.
 *
 * Queue pair q carries --flows N flows of its own: UDP source port 1024 + q, destination port
 * 10000 + f (f < N). Split flow j (j < --split-flows K) is carried by queue pairs j % Q and
 * (j + 1) % Q alike: UDP ports 40000 + j both ways - one flow seen on two queue pairs, the
 * steering violation an audit must report. Frame seq of queue pair q belongs to flow
 * seq % (N + m_q) of the N + m_q flows q carries (its own first, then its split flows by j).
 * Without either option frames keep destination port 9 (the plain layout).
 */
#include "gen.h"

bool
gen_flow_active(const struct gen_config *cfg)
{
	return cfg->flows > 1 || cfg->split_flows > 0;
}

/* Does queue pair qp carry split flow j? */
static bool
flow_split_on(const struct gen_config *cfg, uint16_t j, uint16_t qp)
{
	return j % cfg->nb_qp == qp || (j + 1u) % cfg->nb_qp == qp;
}

unsigned int
gen_flow_split_count(const struct gen_config *cfg, uint16_t qp)
{
	unsigned int m = 0;

	for (uint16_t j = 0; j < cfg->split_flows; j++)
		m += flow_split_on(cfg, j, qp);
	return m;
}

void
gen_flow_ports(const struct gen_config *cfg, uint16_t qp, uint64_t seq, uint16_t *src_port,
	       uint16_t *dst_port)
{
	const unsigned int nb_own = cfg->flows > 0 ? cfg->flows : 1;
	unsigned int idx = (unsigned int)(seq % (nb_own + gen_flow_split_count(cfg, qp)));

	if (idx < nb_own) {
		*src_port = (uint16_t)(GEN_UDP_SRC_PORT_BASE + qp);
		*dst_port = (uint16_t)(GEN_FLOW_DST_PORT_BASE + idx);
		return;
	}
	idx -= nb_own;
	for (uint16_t j = 0; j < cfg->split_flows; j++) {
		if (!flow_split_on(cfg, j, qp))
			continue;
		if (idx-- == 0) {
			*src_port = (uint16_t)(GEN_FLOW_SPLIT_PORT_BASE + j);
			*dst_port = (uint16_t)(GEN_FLOW_SPLIT_PORT_BASE + j);
			return;
		}
	}
}

void
gen_flow_apply(uint8_t *frame, const struct gen_config *cfg, uint16_t qp, uint64_t seq)
{
	uint16_t src, dst;

	if (!gen_flow_active(cfg))
		return;
	gen_flow_ports(cfg, qp, seq, &src, &dst);
	/* UDP checksum 0 (none) and the IP checksum does not cover ports: nothing to fix. */
	frame[GEN_UDP_OFF] = (uint8_t)(src >> 8);
	frame[GEN_UDP_OFF + 1] = (uint8_t)src;
	frame[GEN_UDP_OFF + 2] = (uint8_t)(dst >> 8);
	frame[GEN_UDP_OFF + 3] = (uint8_t)dst;
}

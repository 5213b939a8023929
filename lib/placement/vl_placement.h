/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_placement.h - which lcore owns which queue pair, and on which NUMA node things live.
 * The planner is pure (unit-tested without EAL); the probe is a thin libnuma wrapper.
 */
#ifndef VL_PLACEMENT_H
#define VL_PLACEMENT_H

#include <stdint.h>

/* One queue pair's owner. */
struct vl_placement_qp {
	uint16_t iface;	    /* interface index */
	uint16_t qp;	    /* queue pair index within the interface */
	unsigned int lcore; /* owning lcore */
};

/*
 * Spread the queue pairs of nb_ifaces interfaces (qps_per_iface[i] each) over nb_lcores lcores,
 * round-robin in interface then queue order, so that with as many lcores as pairs each pair has
 * its own lcore, and with fewer the load differs by at most one pair between lcores.
 * Writes one entry per queue pair into out (out_len entries at most).
 * Returns the number of queue pairs placed, or -EINVAL (no lcore) / -ENOSPC (out too small).
 */
int vl_placement_plan(const unsigned int *lcores, unsigned int nb_lcores,
		      const uint16_t *qps_per_iface, unsigned int nb_ifaces,
		      struct vl_placement_qp *out, unsigned int out_len);

/* NUMA node holding the page at addr, or -1 if unknown (no libnuma support, not mapped). */
int vl_placement_mem_node(const void *addr);

/* NUMA node of CPU cpu, or -1 if unknown. */
int vl_placement_cpu_node(unsigned int cpu);

#endif /* VL_PLACEMENT_H */

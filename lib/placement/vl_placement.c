/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_placement.c - queue pairs -> lcores, and where memory lives. */
#include <errno.h>
#include <numa.h>
#include <numaif.h>

#include "vl_placement.h"

int
vl_placement_plan(const unsigned int *lcores, unsigned int nb_lcores, const uint16_t *qps_per_iface,
		  unsigned int nb_ifaces, struct vl_placement_qp *out, unsigned int out_len)
{
	unsigned int k = 0;

	if (nb_lcores == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < nb_ifaces; i++) {
		for (unsigned int q = 0; q < qps_per_iface[i]; q++) {
			if (k == out_len)
				return -ENOSPC;
			out[k] = (struct vl_placement_qp){
				.iface = (uint16_t)i,
				.qp = (uint16_t)q,
				.lcore = lcores[k % nb_lcores],
			};
			k++;
		}
	}
	return (int)k;
}

int
vl_placement_mem_node(const void *addr)
{
	int node = -1;

	if (addr == NULL || numa_available() < 0)
		return -1;
	if (get_mempolicy(&node, NULL, 0, (void *)(uintptr_t)addr, MPOL_F_NODE | MPOL_F_ADDR) != 0)
		return -1;
	return node;
}

int
vl_placement_cpu_node(unsigned int cpu)
{
	if (numa_available() < 0)
		return -1;
	return numa_node_of_cpu((int)cpu);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_placement.c - queue pairs -> lcores, and where memory lives. */
#include <errno.h>
#include <stdlib.h>
#include <numa.h>
#include <numaif.h>
#include <unistd.h>

#include "vl_placement.h"

/* ---- planner (pure) ---------------------------------------------------------------------------
 */

/* Is lcore l allowed for a pair with rings on ring_node under policy? */
static bool
placement_allowed(enum vl_placement_policy policy, int ring_node, int lcore_node)
{
	switch (policy) {
	case VL_PLACEMENT_LOCAL:
		return lcore_node >= 0 && lcore_node == ring_node;
	case VL_PLACEMENT_REMOTE:
		return lcore_node >= 0 && lcore_node != ring_node;
	case VL_PLACEMENT_NONE:
	default:
		return true;
	}
}

/* Least loaded lcore among the allowed ones (all when allowed_only is false); -1 if none. */
static int
placement_pick(const struct vl_placement_lcore *lcores, unsigned int nb_lcores,
	       const unsigned int *load, enum vl_placement_policy policy, int ring_node,
	       bool allowed_only)
{
	int best = -1;

	for (unsigned int l = 0; l < nb_lcores; l++) {
		if (allowed_only && !placement_allowed(policy, ring_node, lcores[l].node))
			continue;
		if (best < 0 || load[l] < load[best])
			best = (int)l;
	}
	return best;
}

int
vl_placement_plan(const struct vl_placement_lcore *lcores, unsigned int nb_lcores,
		  const struct vl_placement_pair *pairs, unsigned int nb_pairs,
		  enum vl_placement_policy policy, struct vl_placement_qp *out,
		  unsigned int *bad_pair)
{
	unsigned int *load;

	if (nb_lcores == 0)
		return -EINVAL;
	load = calloc(nb_lcores, sizeof(*load));
	if (load == NULL)
		return -ENOMEM;
	/* Pinned pairs first, so that the others fill around them. */
	for (unsigned int k = 0; k < nb_pairs; k++) {
		int at = -1;

		out[k] = (struct vl_placement_qp){
			.iface = pairs[k].iface,
			.qp = pairs[k].qp,
			.ring_node = pairs[k].ring_node,
			.wanted_node = VL_NODE_UNKNOWN,
			.honoured = true,
		};
		if (pairs[k].lcore < 0)
			continue;
		for (unsigned int l = 0; l < nb_lcores && at < 0; l++)
			if (lcores[l].lcore == (unsigned int)pairs[k].lcore)
				at = (int)l;
		if (at < 0) {
			if (bad_pair != NULL)
				*bad_pair = k;
			free(load);
			return -ENOENT;
		}
		out[k].lcore = lcores[at].lcore;
		out[k].used_node = lcores[at].node;
		out[k].pinned = true;
		load[at]++;
	}
	for (unsigned int k = 0; k < nb_pairs; k++) {
		int ring_node = pairs[k].ring_node;
		bool applies = policy != VL_PLACEMENT_NONE && ring_node >= 0;
		int at;

		if (out[k].pinned)
			continue;
		at = applies ? placement_pick(lcores, nb_lcores, load, policy, ring_node, true)
			     : -1;
		if (applies && at < 0)
			out[k].honoured = false;
		if (at < 0)
			at = placement_pick(lcores, nb_lcores, load, policy, ring_node, false);
		out[k].lcore = lcores[at].lcore;
		out[k].used_node = lcores[at].node;
		if (applies)
			out[k].wanted_node = policy == VL_PLACEMENT_LOCAL ? ring_node
					     : out[k].honoured		  ? lcores[at].node
									  : VL_NODE_UNKNOWN;
		load[at]++;
	}
	free(load);
	return (int)nb_pairs;
}

int
vl_placement_majority(const int *nodes, unsigned int n)
{
	int best = VL_NODE_UNKNOWN;
	unsigned int best_count = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int count = 0;

		if (nodes[i] < 0)
			continue;
		for (unsigned int j = 0; j < n; j++)
			count += nodes[j] == nodes[i];
		if (count > best_count) {
			best = nodes[i];
			best_count = count;
		}
	}
	return best;
}

/* ---- probe (libnuma) ------------------------------------------------------------------------- */

bool
vl_placement_numa_available(void)
{
	return numa_available() >= 0;
}

void
vl_placement_mem_nodes(const void *const *addrs, unsigned int n, int *nodes)
{
	enum { BATCH = 64 };
	long page = sysconf(_SC_PAGESIZE);

	for (unsigned int i = 0; i < n; i++)
		nodes[i] = VL_NODE_UNKNOWN;
	if (numa_available() < 0 || page <= 0)
		return;
	for (unsigned int first = 0; first < n; first += BATCH) {
		void *pages[BATCH];
		int status[BATCH];
		unsigned int cnt = n - first < BATCH ? n - first : BATCH;

		for (unsigned int i = 0; i < cnt; i++) {
			pages[i] = (void *)((uintptr_t)addrs[first + i] & ~((uintptr_t)page - 1));
			status[i] = -ENOENT;
		}
		/* nodes == NULL: move nothing, report each page's node (or -errno). */
		if (move_pages(0, cnt, pages, NULL, status, 0) != 0)
			continue;
		for (unsigned int i = 0; i < cnt; i++) {
			int node = status[i];

			/* Not in our page tables yet (we have not touched it): ask the mapping,
			 * which maps the page the guest already has without reading it. */
			if (node == -ENOENT && addrs[first + i] != NULL &&
			    get_mempolicy(&node, NULL, 0, pages[i], MPOL_F_NODE | MPOL_F_ADDR) != 0)
				node = VL_NODE_UNKNOWN;
			nodes[first + i] =
				addrs[first + i] != NULL && node >= 0 ? node : VL_NODE_UNKNOWN;
		}
	}
}

int
vl_placement_mem_node(const void *addr)
{
	int node;

	vl_placement_mem_nodes(&addr, 1, &node);
	return node;
}

int
vl_placement_cpu_node(unsigned int cpu)
{
	int node;

	if (numa_available() < 0 || cpu >= (unsigned int)numa_num_possible_cpus())
		return VL_NODE_UNKNOWN;
	node = numa_node_of_cpu((int)cpu);
	return node >= 0 ? node : VL_NODE_UNKNOWN;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_placement.h - which lcore owns which queue pair, and on which NUMA node things live.
 *
 * The planner is pure C (no EAL, no libnuma: unit-tested with synthetic topologies). The probe is
 * a thin libnuma wrapper the control plane calls off the datapath.
 */
#ifndef VL_PLACEMENT_H
#define VL_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VL_NODE_UNKNOWN (-1)

/* What the planner is asked to do with pairs that are neither pinned nor of unknown rings. */
enum vl_placement_policy {
	VL_PLACEMENT_LOCAL,  /* an lcore on the rings' node */
	VL_PLACEMENT_REMOTE, /* an lcore on any other node */
	VL_PLACEMENT_NONE,   /* any lcore (round-robin by load) */
};

/* One polling lcore and the node of its CPU (VL_NODE_UNKNOWN matches no ring node). */
struct vl_placement_lcore {
	unsigned int lcore;
	int node;
};

/* One queue pair to place. */
struct vl_placement_pair {
	uint16_t iface;
	uint16_t qp;
	int ring_node; /* node of the guest memory holding its rings, VL_NODE_UNKNOWN before a guest
			*/
	int lcore;     /* >= 0: pinned to this lcore (a --qp-lcore entry, or a pair that may not
			* move now); -1: the planner chooses */
};

/* One queue pair's owner and whether the policy could be honoured. */
struct vl_placement_qp {
	uint16_t iface;
	uint16_t qp;
	unsigned int lcore; /* owner */
	int ring_node;	    /* copied from the input */
	/* Node the policy asked for: local = ring_node; remote = the node of the lcore chosen,
	 * VL_NODE_UNKNOWN when no lcore is off the rings' node. VL_NODE_UNKNOWN when no policy
	 * applied (pinned pair, policy none, rings not known yet). */
	int wanted_node;
	int used_node; /* node of the owner's CPU */
	bool pinned;   /* the input named the lcore */
	bool honoured; /* false: the policy applied and no lcore satisfied it */
};

/*
 * Place nb_pairs queue pairs on nb_lcores polling lcores. Pinned pairs go where they are pinned;
 * every other pair goes to the least loaded lcore (pairs already placed, pinned ones included)
 * among those the policy allows, ties to the earliest in lcores[]; when the policy allows none
 * (no lcore on the wanted node, one node only, every lcore on the rings' node for remote), the
 * least loaded of all, with honoured = false. Without pins or known ring nodes this is plain
 * round-robin: pair k on lcores[k % nb_lcores].
 * Writes out[0..nb_pairs). Returns nb_pairs, -EINVAL (no lcore), or -ENOENT when a pin names an
 * lcore not in lcores[] (*bad_pair = its index, if bad_pair is not NULL).
 */
int vl_placement_plan(const struct vl_placement_lcore *lcores, unsigned int nb_lcores,
		      const struct vl_placement_pair *pairs, unsigned int nb_pairs,
		      enum vl_placement_policy policy, struct vl_placement_qp *out,
		      unsigned int *bad_pair);

/* The node most of nodes[0..n) are on (ties: the first seen), ignoring unknown (< 0) entries;
 * VL_NODE_UNKNOWN if none is known. */
int vl_placement_majority(const int *nodes, unsigned int n);

/* ---- probe (libnuma) ------------------------------------------------------------------------ */

/* libnuma says NUMA is available (the kernel has the policy syscalls and a node map). */
bool vl_placement_numa_available(void);

/*
 * Node of the page holding each of addrs[0..n) into nodes[], VL_NODE_UNKNOWN where unknown (page
 * not present yet, not mapped, no NUMA). Uses move_pages(2) without moving anything: it does not
 * fault pages in, so probing guest memory neither allocates nor reads it.
 */
void vl_placement_mem_nodes(const void *const *addrs, unsigned int n, int *nodes);

/* One address; VL_NODE_UNKNOWN for NULL or unknown. */
int vl_placement_mem_node(const void *addr);

/* NUMA node of CPU cpu, or VL_NODE_UNKNOWN. */
int vl_placement_cpu_node(unsigned int cpu);

#endif /* VL_PLACEMENT_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/placement (no EAL): the planner on synthetic topologies (1, 2 and 4 nodes),
 * and the libnuma probe on this machine (CPU nodes against sysfs, memfd memory bound to node 0).
 * Exits 77 after the planner tests when libnuma reports NUMA unavailable (the probe cannot run).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <numa.h>
#include <numaif.h>

#include "vl_placement.h"

#define U VL_NODE_UNKNOWN
#define MAX_PAIRS 64

/* Pairs of one interface, qp 0..n-1, with these ring nodes and no pin. */
static void
pairs_of(struct vl_placement_pair *p, unsigned int n, const int *ring_nodes)
{
	for (unsigned int k = 0; k < n; k++)
		p[k] = (struct vl_placement_pair){
			.iface = 0,
			.qp = (uint16_t)k,
			.ring_node = ring_nodes != NULL ? ring_nodes[k] : U,
			.lcore = -1,
		};
}

static unsigned int
count_on(const struct vl_placement_qp *out, unsigned int n, unsigned int lcore)
{
	unsigned int c = 0;

	for (unsigned int k = 0; k < n; k++)
		c += out[k].lcore == lcore;
	return c;
}

/* ---- planner --------------------------------------------------------------------------------- */

static void
unknown_rings_are_round_robin_one_lcore_per_pair_when_enough(void **state)
{
	const struct vl_placement_lcore lc[] = {{3, 0}, {5, 0}, {7, 1}, {9, 1}};
	struct vl_placement_pair p[4];
	struct vl_placement_qp out[4];

	(void)state;
	pairs_of(p, 4, NULL);
	for (int pol = VL_PLACEMENT_LOCAL; pol <= VL_PLACEMENT_NONE; pol++) {
		assert_int_equal(vl_placement_plan(lc, 4, p, 4, pol, out, NULL), 4);
		for (unsigned int q = 0; q < 4; q++) {
			assert_int_equal(out[q].qp, q);
			assert_int_equal(out[q].lcore, lc[q].lcore);
			assert_int_equal(out[q].used_node, lc[q].node);
			assert_int_equal(out[q].wanted_node, U);
			/* Nothing to honour yet: no complaint before a guest. */
			assert_true(out[q].honoured);
			assert_false(out[q].pinned);
		}
	}
}

static void
more_pairs_than_lcores_spread_evenly_across_interfaces(void **state)
{
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 0}};
	struct vl_placement_pair p[5];
	struct vl_placement_qp out[5];

	(void)state;
	pairs_of(p, 5, NULL);
	p[3].iface = p[4].iface = 1;
	p[3].qp = 0;
	p[4].qp = 1;
	assert_int_equal(vl_placement_plan(lc, 2, p, 5, VL_PLACEMENT_NONE, out, NULL), 5);
	assert_int_equal(out[3].iface, 1);
	assert_int_equal(out[3].qp, 0);
	assert_int_equal(count_on(out, 5, 1), 3);
	assert_int_equal(count_on(out, 5, 2), 2);
	/* Round-robin order: pair k on lcore k % 2. */
	for (unsigned int k = 0; k < 5; k++)
		assert_int_equal(out[k].lcore, lc[k % 2].lcore);
}

static void
one_node_local_is_honoured_remote_is_not(void **state)
{
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 0}};
	const int rings[] = {0, 0, 0};
	struct vl_placement_pair p[3];
	struct vl_placement_qp out[3];

	(void)state;
	pairs_of(p, 3, rings);
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_LOCAL, out, NULL), 3);
	for (unsigned int k = 0; k < 3; k++) {
		assert_true(out[k].honoured);
		assert_int_equal(out[k].wanted_node, 0);
		assert_int_equal(out[k].used_node, 0);
	}
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_REMOTE, out, NULL), 3);
	for (unsigned int k = 0; k < 3; k++) {
		/* Runs anyway, balanced, and says it could not. */
		assert_false(out[k].honoured);
		assert_int_equal(out[k].wanted_node, U);
		assert_int_equal(out[k].used_node, 0);
	}
	assert_int_equal(count_on(out, 3, 1), 2);
	assert_int_equal(count_on(out, 3, 2), 1);
}

static void
two_nodes_local_follows_the_rings_and_remote_avoids_them(void **state)
{
	/* Lcores interleaved across the nodes, as on many two-socket machines. */
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 1}, {3, 0}, {4, 1}};
	const int rings[] = {1, 1, 0, 1};
	struct vl_placement_pair p[4];
	struct vl_placement_qp out[4];

	(void)state;
	pairs_of(p, 4, rings);
	assert_int_equal(vl_placement_plan(lc, 4, p, 4, VL_PLACEMENT_LOCAL, out, NULL), 4);
	for (unsigned int k = 0; k < 4; k++) {
		assert_true(out[k].honoured);
		assert_int_equal(out[k].used_node, rings[k]);
		assert_int_equal(out[k].wanted_node, rings[k]);
	}
	/* Three pairs on node 1's two lcores: 2 + 1; the node-0 pair alone on lcore 1. */
	assert_int_equal(out[0].lcore, 2);
	assert_int_equal(out[1].lcore, 4);
	assert_int_equal(out[2].lcore, 1);
	assert_int_equal(out[3].lcore, 2);

	assert_int_equal(vl_placement_plan(lc, 4, p, 4, VL_PLACEMENT_REMOTE, out, NULL), 4);
	for (unsigned int k = 0; k < 4; k++) {
		assert_true(out[k].honoured);
		assert_int_not_equal(out[k].used_node, rings[k]);
		assert_int_equal(out[k].wanted_node, out[k].used_node);
	}

	/* none ignores the rings: round-robin. */
	assert_int_equal(vl_placement_plan(lc, 4, p, 4, VL_PLACEMENT_NONE, out, NULL), 4);
	for (unsigned int k = 0; k < 4; k++) {
		assert_int_equal(out[k].lcore, lc[k].lcore);
		assert_true(out[k].honoured);
		assert_int_equal(out[k].wanted_node, U);
	}
}

static void
four_nodes_remote_spreads_over_the_other_three(void **state)
{
	const struct vl_placement_lcore lc[] = {{10, 0}, {11, 1}, {12, 2}, {13, 3}};
	const int rings[] = {0, 0, 0, 0, 0, 0, 3};
	struct vl_placement_pair p[7];
	struct vl_placement_qp out[7];

	(void)state;
	pairs_of(p, 7, rings);
	assert_int_equal(vl_placement_plan(lc, 4, p, 7, VL_PLACEMENT_REMOTE, out, NULL), 7);
	for (unsigned int k = 0; k < 6; k++) {
		assert_true(out[k].honoured);
		assert_int_not_equal(out[k].lcore, 10);
	}
	assert_int_equal(count_on(out, 6, 11), 2);
	assert_int_equal(count_on(out, 6, 12), 2);
	assert_int_equal(count_on(out, 6, 13), 2);
	/* The node-3 pair goes to the least loaded non-3 lcore: the idle node-0 one. */
	assert_int_equal(out[6].lcore, 10);
	assert_true(out[6].honoured);

	assert_int_equal(vl_placement_plan(lc, 4, p, 7, VL_PLACEMENT_LOCAL, out, NULL), 7);
	assert_int_equal(count_on(out, 7, 10), 6);
	assert_int_equal(out[6].lcore, 13);
}

static void
rings_on_a_node_without_lcores_run_anyway_and_say_so(void **state)
{
	/* Two nodes have CPUs we poll on; the guest's memory is on node 2 (memory-only or
	 * CPUs left out of the lcore set). */
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 1}};
	const int rings[] = {2, 2, 2};
	struct vl_placement_pair p[3];
	struct vl_placement_qp out[3];

	(void)state;
	pairs_of(p, 3, rings);
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_LOCAL, out, NULL), 3);
	for (unsigned int k = 0; k < 3; k++) {
		assert_false(out[k].honoured);
		assert_int_equal(out[k].wanted_node, 2);
		assert_int_equal(out[k].ring_node, 2);
	}
	assert_int_equal(count_on(out, 3, 1), 2);
	assert_int_equal(count_on(out, 3, 2), 1);
	/* remote is satisfiable there: every lcore is off node 2. */
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_REMOTE, out, NULL), 3);
	for (unsigned int k = 0; k < 3; k++)
		assert_true(out[k].honoured);
}

static void
all_lcores_on_one_node_of_two(void **state)
{
	const struct vl_placement_lcore lc[] = {{1, 1}, {2, 1}, {3, 1}};
	const int rings[] = {0, 1, 0, 1};
	struct vl_placement_pair p[4];
	struct vl_placement_qp out[4];

	(void)state;
	pairs_of(p, 4, rings);
	assert_int_equal(vl_placement_plan(lc, 3, p, 4, VL_PLACEMENT_LOCAL, out, NULL), 4);
	assert_false(out[0].honoured);
	assert_true(out[1].honoured);
	assert_false(out[2].honoured);
	assert_true(out[3].honoured);
	for (unsigned int k = 0; k < 4; k++)
		assert_int_equal(out[k].used_node, 1);
	assert_int_equal(vl_placement_plan(lc, 3, p, 4, VL_PLACEMENT_REMOTE, out, NULL), 4);
	assert_true(out[0].honoured);
	assert_false(out[1].honoured);
	assert_true(out[2].honoured);
	assert_false(out[3].honoured);
}

static void
pins_win_over_the_policy_and_count_in_the_balance(void **state)
{
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 1}};
	const int rings[] = {1, 1, 1, 1};
	struct vl_placement_pair p[4];
	struct vl_placement_qp out[4];

	(void)state;
	pairs_of(p, 4, rings);
	p[0].lcore = 1; /* pinned off the rings' node */
	p[3].lcore = 1;
	assert_int_equal(vl_placement_plan(lc, 2, p, 4, VL_PLACEMENT_LOCAL, out, NULL), 4);
	assert_int_equal(out[0].lcore, 1);
	assert_true(out[0].pinned);
	assert_true(out[0].honoured);
	assert_int_equal(out[0].wanted_node, U);
	assert_int_equal(out[0].used_node, 0);
	assert_int_equal(out[3].lcore, 1);
	assert_int_equal(out[1].lcore, 2);
	assert_int_equal(out[2].lcore, 2);
	assert_false(out[1].pinned);
	/* With policy none the free pairs fill the lcore the pins left emptier. */
	assert_int_equal(vl_placement_plan(lc, 2, p, 4, VL_PLACEMENT_NONE, out, NULL), 4);
	assert_int_equal(out[1].lcore, 2);
	assert_int_equal(out[2].lcore, 2);
}

static void
a_pin_to_a_missing_lcore_is_an_error_naming_the_pair(void **state)
{
	const struct vl_placement_lcore lc[] = {{1, 0}, {2, 0}};
	struct vl_placement_pair p[3];
	struct vl_placement_qp out[3];
	unsigned int bad = 99;

	(void)state;
	pairs_of(p, 3, NULL);
	p[2].lcore = 0; /* e.g. the main lcore, which does not poll */
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_LOCAL, out, &bad), -ENOENT);
	assert_int_equal(bad, 2);
	assert_int_equal(vl_placement_plan(lc, 2, p, 3, VL_PLACEMENT_LOCAL, out, NULL), -ENOENT);
	assert_int_equal(vl_placement_plan(lc, 0, p, 3, VL_PLACEMENT_LOCAL, out, NULL), -EINVAL);
}

static void
unknown_lcore_nodes_match_no_ring_node(void **state)
{
	/* libnuma unavailable and not mapped to node 0 by the caller: no policy can hold. */
	const struct vl_placement_lcore lc[] = {{1, U}, {2, U}};
	const int rings[] = {0, 0};
	struct vl_placement_pair p[2];
	struct vl_placement_qp out[2];

	(void)state;
	pairs_of(p, 2, rings);
	assert_int_equal(vl_placement_plan(lc, 2, p, 2, VL_PLACEMENT_LOCAL, out, NULL), 2);
	assert_false(out[0].honoured);
	assert_int_equal(out[0].lcore, 1);
	assert_int_equal(out[1].lcore, 2);
	assert_int_equal(vl_placement_plan(lc, 2, p, 2, VL_PLACEMENT_REMOTE, out, NULL), 2);
	assert_false(out[1].honoured);
}

static void
majority_ignores_unknown_and_breaks_ties_by_first_seen(void **state)
{
	const int a[] = {1, 0, 0, U, 1, 0};
	const int b[] = {U, U};
	const int c[] = {U, 3, 2, 2, 3};

	(void)state;
	assert_int_equal(vl_placement_majority(a, 6), 0);
	assert_int_equal(vl_placement_majority(b, 2), U);
	assert_int_equal(vl_placement_majority(b, 0), U);
	assert_int_equal(vl_placement_majority(c, 5), 3);
}

/* ---- probe ----------------------------------------------------------------------------------- */

/* Node of cpu according to sysfs (the nodeN link in its directory), or -1. */
static int
sysfs_cpu_node(unsigned int cpu)
{
	char path[128];
	struct dirent *e;
	int node = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", cpu);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "node", 4) == 0 && e->d_name[4] >= '0' &&
		    e->d_name[4] <= '9')
			node = atoi(e->d_name + 4);
	closedir(d);
	return node;
}

static void
cpu_node_matches_sysfs_for_every_online_cpu(void **state)
{
	long nb = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int checked = 0;

	(void)state;
	assert_true(nb > 0);
	for (unsigned int cpu = 0; cpu < (unsigned int)nb; cpu++) {
		int want = sysfs_cpu_node(cpu);

		if (want < 0)
			continue; /* offline or no node link */
		assert_int_equal(vl_placement_cpu_node(cpu), want);
		checked++;
	}
	assert_true(checked > 0);
	/* A CPU that cannot exist. */
	assert_int_equal(vl_placement_cpu_node(1u << 20), U);
	assert_int_equal(vl_placement_cpu_node(UINT32_MAX), U);
}

static void
memfd_memory_bound_to_node_0_is_on_node_0(void **state)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 4 * page;
	unsigned long mask = 1; /* node 0 */
	const void *addrs[4];
	int nodes[4];
	char *mem;
	int fd;

	(void)state;
	fd = memfd_create("vl_test_placement", 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mem != MAP_FAILED);
	/* As QEMU does for a memory backend with host-nodes=0,policy=bind. */
	assert_int_equal(mbind(mem, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0), 0);
	memset(mem, 0xa5, 2 * page); /* pages 0 and 1 exist, 2 and 3 do not yet */
	for (unsigned int i = 0; i < 4; i++)
		addrs[i] = mem + i * page + 100;
	vl_placement_mem_nodes(addrs, 4, nodes);
	assert_int_equal(nodes[0], 0);
	assert_int_equal(nodes[1], 0);
	/* Not touched: the probe maps it through the bound policy, so node 0 too. */
	assert_int_equal(nodes[2], 0);
	assert_int_equal(nodes[3], 0);
	assert_int_equal(vl_placement_mem_node(mem + page), 0);
	munmap(mem, len);
	close(fd);
}

static void
unmapped_and_null_addresses_are_unknown(void **state)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const void *addrs[3];
	int nodes[3] = {7, 7, 7};
	char *mem;

	(void)state;
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	mem[0] = 1;
	assert_int_equal(munmap(mem + page, page), 0); /* a hole right after a live page */
	addrs[0] = mem;
	addrs[1] = mem + page;
	addrs[2] = NULL;
	vl_placement_mem_nodes(addrs, 3, nodes);
	assert_true(nodes[0] >= 0);
	assert_int_equal(nodes[1], U);
	assert_int_equal(nodes[2], U);
	assert_int_equal(vl_placement_mem_node(NULL), U);
	munmap(mem, page);
}

int
main(void)
{
	const struct CMUnitTest planner[] = {
		cmocka_unit_test(unknown_rings_are_round_robin_one_lcore_per_pair_when_enough),
		cmocka_unit_test(more_pairs_than_lcores_spread_evenly_across_interfaces),
		cmocka_unit_test(one_node_local_is_honoured_remote_is_not),
		cmocka_unit_test(two_nodes_local_follows_the_rings_and_remote_avoids_them),
		cmocka_unit_test(four_nodes_remote_spreads_over_the_other_three),
		cmocka_unit_test(rings_on_a_node_without_lcores_run_anyway_and_say_so),
		cmocka_unit_test(all_lcores_on_one_node_of_two),
		cmocka_unit_test(pins_win_over_the_policy_and_count_in_the_balance),
		cmocka_unit_test(a_pin_to_a_missing_lcore_is_an_error_naming_the_pair),
		cmocka_unit_test(unknown_lcore_nodes_match_no_ring_node),
		cmocka_unit_test(majority_ignores_unknown_and_breaks_ties_by_first_seen),
	};
	const struct CMUnitTest probe[] = {
		cmocka_unit_test(cpu_node_matches_sysfs_for_every_online_cpu),
		cmocka_unit_test(memfd_memory_bound_to_node_0_is_on_node_0),
		cmocka_unit_test(unmapped_and_null_addresses_are_unknown),
	};
	int failed = cmocka_run_group_tests_name("planner", planner, NULL, NULL);

	if (failed != 0)
		return failed;
	if (!vl_placement_numa_available()) {
		fprintf(stderr, "test_placement: libnuma reports NUMA unavailable here: the probe "
				"tests cannot run (planner tests passed)\n");
		return 77;
	}
	return cmocka_run_group_tests_name("probe", probe, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the queue-pair placement planner (no EAL). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vl_placement.h"

static void
one_lcore_per_pair_when_there_are_enough(void **state)
{
	const unsigned int lcores[] = {3, 5, 7, 9};
	const uint16_t qps[] = {4};
	struct vl_placement_qp out[4];

	(void)state;
	assert_int_equal(vl_placement_plan(lcores, 4, qps, 1, out, 4), 4);
	for (unsigned int q = 0; q < 4; q++) {
		assert_int_equal(out[q].iface, 0);
		assert_int_equal(out[q].qp, q);
		assert_int_equal(out[q].lcore, lcores[q]);
	}
}

static void
fewer_lcores_spread_round_robin_across_interfaces(void **state)
{
	const unsigned int lcores[] = {1, 2};
	const uint16_t qps[] = {3, 2};
	struct vl_placement_qp out[5];
	unsigned int per_lcore[3] = {0};

	(void)state;
	assert_int_equal(vl_placement_plan(lcores, 2, qps, 2, out, 5), 5);
	assert_int_equal(out[3].iface, 1);
	assert_int_equal(out[3].qp, 0);
	for (unsigned int k = 0; k < 5; k++)
		per_lcore[out[k].lcore]++;
	assert_int_equal(per_lcore[1], 3);
	assert_int_equal(per_lcore[2], 2);
}

static void
all_pairs_on_one_lcore(void **state)
{
	const unsigned int lcores[] = {1};
	const uint16_t qps[] = {4};
	struct vl_placement_qp out[4];

	(void)state;
	assert_int_equal(vl_placement_plan(lcores, 1, qps, 1, out, 4), 4);
	for (unsigned int q = 0; q < 4; q++)
		assert_int_equal(out[q].lcore, 1);
}

static void
no_lcore_or_short_output_is_an_error(void **state)
{
	const unsigned int lcores[] = {1};
	const uint16_t qps[] = {4};
	struct vl_placement_qp out[4];

	(void)state;
	assert_int_equal(vl_placement_plan(lcores, 0, qps, 1, out, 4), -EINVAL);
	assert_int_equal(vl_placement_plan(lcores, 1, qps, 1, out, 3), -ENOSPC);
}

static void
memory_of_this_process_has_a_node_or_unknown(void **state)
{
	static int here = 1;
	int node = vl_placement_mem_node(&here);

	(void)state;
	assert_true(node >= -1);
	assert_int_equal(vl_placement_mem_node(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_lcore_per_pair_when_there_are_enough),
		cmocka_unit_test(fewer_lcores_spread_round_robin_across_interfaces),
		cmocka_unit_test(all_pairs_on_one_lcore),
		cmocka_unit_test(no_lcore_or_short_output_is_an_error),
		cmocka_unit_test(memory_of_this_process_has_a_node_or_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

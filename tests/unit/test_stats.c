/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the per-queue counters and their output (no EAL). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vl_stats.h"

static void
every_counter_has_a_name_a_help_text_and_a_field(void **state)
{
	struct vl_qp_stats s;

	(void)state;
	/* The counters are the only uint64_t fields before the histogram. */
	assert_int_equal(vl_qp_nb_counters * sizeof(uint64_t),
			 offsetof(struct vl_qp_stats, burst_hist));
	memset(&s, 0, sizeof(s));
	for (unsigned int i = 0; i < vl_qp_nb_counters; i++) {
		assert_non_null(vl_qp_counter_names[i]);
		assert_true(strlen(vl_qp_counter_help[i]) > 10);
		((uint64_t *)&s)[i] = 1000 + i;
		assert_int_equal(vl_qp_stats_get(&s, i), 1000 + i);
	}
	assert_int_equal(vl_qp_stats_get(&s, vl_qp_nb_counters), 0);
}

static void
burst_buckets_are_powers_of_two_and_the_last_is_open(void **state)
{
	(void)state;
	assert_int_equal(vl_stats_burst_bucket(1), 0);
	assert_int_equal(vl_stats_burst_bucket(2), 1);
	assert_int_equal(vl_stats_burst_bucket(3), 1);
	assert_int_equal(vl_stats_burst_bucket(32), 5);
	assert_int_equal(vl_stats_burst_bucket(255), 7);
	assert_int_equal(vl_stats_burst_bucket(256), 8);
	assert_int_equal(vl_stats_burst_bucket(100000), VL_BURST_HIST_BUCKETS - 1);
}

static const char *
fixed_state(const void *ctx)
{
	return ctx;
}

static void
totals_snapshot_and_table_cover_every_queue_pair(void **state)
{
	static struct vl_qp_stats a = {.frames = 10, .bytes = 600, .drop_rx_full = 2};
	static struct vl_qp_stats b = {.frames = 5, .bytes = 300, .calls = 7};
	struct vl_stats_qp_desc da = {"vhost0", 0, 1, &a, fixed_state, "running"};
	struct vl_stats_qp_desc db = {"vhost0", 1, 1, &b, fixed_state, "idle"};
	struct vl_qp_stats total;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	vl_stats_reset_registry();
	assert_int_equal(vl_stats_register(&da), 0);
	assert_int_equal(vl_stats_register(&db), 0);
	assert_int_equal(vl_stats_nb_qps(), 2);
	vl_stats_total(&total);
	assert_int_equal(total.frames, 15);
	assert_int_equal(total.bytes, 900);
	assert_int_equal(total.drop_rx_full, 2);
	assert_int_equal(total.calls, 7);

	f = open_memstream(&buf, &len);
	vl_stats_snapshot_json(f, 1.5);
	fclose(f);
	assert_non_null(strstr(buf, "\"uptime_s\": 1.500"));
	assert_non_null(strstr(buf, "\"interface\": \"vhost0\", \"qp\": 1, \"lcore\": 1, "
				    "\"state\": \"idle\", \"frames\": 5, \"bytes\": 300"));
	assert_non_null(strstr(buf, "\"drop_rx_full\": 2"));
	free(buf);

	f = open_memstream(&buf, &len);
	vl_stats_print_table(f);
	fclose(f);
	assert_non_null(strstr(buf, "running"));
	assert_non_null(strstr(buf, "total"));
	free(buf);

	f = open_memstream(&buf, &len);
	vl_stats_print_line(f, 1.0);
	fclose(f);
	assert_non_null(strstr(buf, "vhost0/0 0.00"));
	free(buf);
	vl_stats_reset_registry();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_counter_has_a_name_a_help_text_and_a_field),
		cmocka_unit_test(burst_buckets_are_powers_of_two_and_the_last_is_open),
		cmocka_unit_test(totals_snapshot_and_table_cover_every_queue_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

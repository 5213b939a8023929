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
#include <jansson.h>

#include "vl_stats.h"
#include "vl_steer.h"

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
		assert_non_null(vl_qp_counters[i].name);
		assert_true(strlen(vl_qp_counters[i].help) > 10);
		assert_int_equal(vl_qp_counters[i].offset, i * sizeof(uint64_t));
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
	{
		json_error_t jerr;
		json_t *root = json_loads(buf, 0, &jerr), *q;

		if (root == NULL)
			fail_msg("snapshot is not JSON: %s: %s", jerr.text, buf);
		assert_null(strchr(buf, '\n'));
		assert_string_equal(json_string_value(json_object_get(root, "record")), "snapshot");
		assert_float_equal(json_real_value(json_object_get(root, "uptime_s")), 1.5, 1e-9);
		assert_true(json_is_real(json_object_get(root, "time")));
		assert_true(json_real_value(json_object_get(root, "time")) > 1.7e9);
		assert_int_equal(strlen(json_string_value(json_object_get(root, "time_utc"))),
				 strlen("2026-11-30T01:26:02.123456Z"));
		assert_null(json_object_get(root, "steering")); /* audit off */
		q = json_array_get(json_object_get(root, "queues"), 1);
		assert_string_equal(json_string_value(json_object_get(q, "interface")), "vhost0");
		assert_int_equal(json_integer_value(json_object_get(q, "qp")), 1);
		assert_string_equal(json_string_value(json_object_get(q, "state")), "idle");
		assert_int_equal(json_integer_value(json_object_get(q, "frames")), 5);
		assert_int_equal(json_integer_value(json_object_get(q, "bytes")), 300);
		q = json_array_get(json_object_get(root, "queues"), 0);
		assert_int_equal(json_integer_value(json_object_get(q, "drop_rx_full")), 2);
		assert_int_equal(json_array_size(json_object_get(q, "burst_hist")),
				 VL_BURST_HIST_BUCKETS);
		json_decref(root);
	}
	free(buf);

	f = open_memstream(&buf, &len);
	vl_stats_print_table(f);
	fclose(f);
	assert_non_null(strstr(buf, "running"));
	assert_non_null(strstr(buf, "total"));
	/* One column per counter of the table, in its order. */
	{
		const char *at = buf;

		for (unsigned int c = 0; c < vl_qp_nb_counters; c++) {
			at = strstr(at, vl_qp_counters[c].name);
			assert_non_null(at);
		}
	}
	free(buf);

	f = open_memstream(&buf, &len);
	vl_stats_print_line(f, 1.0);
	fclose(f);
	assert_non_null(strstr(buf, "vhost0/0 0.00"));
	free(buf);
	vl_stats_reset_registry();
}

static void
header_line_describes_the_run(void **state)
{
	const char *const argv[] = {"vhostloop", "--stats-file", "/tmp/x \"y\""};
	json_t *root, *edges;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	vl_stats_header_json(
		f, &(struct vl_stats_run){
			   .version = "9.8.7",
			   .commit = "abc123",
			   .config_json = "{\"burst\": 32, \"stats_file\": \"a \\\"b\\\"\"}",
			   .argc = 3,
			   .argv = argv,
		   });
	fclose(f);
	root = json_loads(buf, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "record")), "run");
	assert_string_equal(json_string_value(json_object_get(root, "version")), "9.8.7");
	assert_string_equal(json_string_value(json_object_get(root, "commit")), "abc123");
	assert_non_null(json_string_value(json_object_get(root, "host")));
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(root, "command_line"), 2)),
		"/tmp/x \"y\"");
	assert_true(json_is_real(json_object_get(root, "time")));
	assert_non_null(json_object_get(root, "time_utc"));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(root, "config"), "burst")), 32);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(root, "config"), "stats_file")),
		"a \"b\"");
	edges = json_object_get(root, "burst_hist_edges");
	assert_int_equal(json_array_size(edges), VL_BURST_HIST_BUCKETS);
	assert_int_equal(json_integer_value(json_array_get(edges, 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(edges, 5)), 32);
	assert_int_equal(json_array_size(json_object_get(root, "counters")), vl_qp_nb_counters);
	json_decref(root);
	free(buf);
}

/* Four pairs, one idle, one not enabled: shares, fairness and idle pairs of an interval. */
static void
steering_interval_reports_shares_fairness_and_idle_pairs(void **state)
{
	static struct vl_qp_stats st[4];
	struct vl_stats_qp_desc d[4] = {
		{"vhost0", 0, 1, &st[0], fixed_state, "running"},
		{"vhost0", 1, 1, &st[1], fixed_state, "running"},
		{"vhost0", 2, 1, &st[2], fixed_state, "running"},
		{"vhost0", 3, 1, &st[3], fixed_state, "idle"}, /* not enabled: not judged */
	};
	struct vl_steer *s = vl_steer_create();
	struct vl_steer_qp *sq[4];
	json_t *root, *steer, *share;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	vl_stats_reset_registry();
	memset(st, 0, sizeof(st));
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(vl_stats_register(&d[i]), 0);
		sq[i] = vl_steer_qp_add(s, "vhost0", 0, (uint16_t)i);
	}
	vl_stats_set_steer(s);
	vl_stats_steer_interval(); /* the baseline */
	st[0].frames = 300;
	st[1].frames = 100;
	vl_stats_steer_interval();
	(void)sq;

	f = open_memstream(&buf, &len);
	vl_stats_snapshot_json(f, 2);
	fclose(f);
	root = json_loads(buf, 0, NULL);
	assert_non_null(root);
	steer = json_object_get(root, "steering");
	assert_non_null(steer);
	/* Jain over (300, 100, 0) = 400^2 / (3 * 100000) */
	assert_float_equal(json_real_value(json_object_get(steer, "fairness")), 160000.0 / 300000,
			   1e-9);
	assert_int_equal(json_integer_value(json_object_get(steer, "enabled_queues")), 3);
	assert_int_equal(json_array_size(json_object_get(steer, "idle_queues")), 1);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(steer, "idle_queues"), 0)),
		"vhost0/2");
	share = json_object_get(steer, "share");
	assert_float_equal(json_real_value(json_object_get(share, "vhost0/0")), 0.75, 1e-9);
	assert_float_equal(json_real_value(json_object_get(share, "vhost0/1")), 0.25, 1e-9);
	assert_null(json_object_get(share, "vhost0/3"));
	assert_true(json_is_true(json_object_get(
		json_object_get(json_array_get(json_object_get(root, "queues"), 2), "steering"),
		"idle")));
	json_decref(root);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	vl_stats_print_line(f, 1.0);
	vl_stats_steer_final(f);
	fclose(f);
	assert_non_null(strstr(buf, "fairness 0.533 idle 1 vhost0/2"));
	assert_non_null(strstr(buf, "steering idle queue: vhost0/2 enabled but idle in 2 of 2"));
	free(buf);
	vl_stats_set_steer(NULL);
	vl_steer_destroy(s);
	vl_stats_reset_registry();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_counter_has_a_name_a_help_text_and_a_field),
		cmocka_unit_test(burst_buckets_are_powers_of_two_and_the_last_is_open),
		cmocka_unit_test(totals_snapshot_and_table_cover_every_queue_pair),
		cmocka_unit_test(header_line_describes_the_run),
		cmocka_unit_test(steering_interval_reports_shares_fairness_and_idle_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

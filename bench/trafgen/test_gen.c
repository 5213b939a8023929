/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gen.c - vhostloop-gen's pure parts: options, EAL arguments, frame layout, histogram. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gen.h"

/* A writable argv ("vhostloop-gen" + the NULL-terminated arguments), valid until the next call. */
static char **
make_argv(int *argc, const char *first, va_list ap)
{
	static char store[40][256];
	static char *argv[41];
	int n = 0;

	snprintf(store[n], sizeof(store[n]), "%s", "vhostloop-gen");
	argv[n] = store[n];
	n++;
	for (const char *a = first; a != NULL && n < 40; a = va_arg(ap, const char *)) {
		snprintf(store[n], sizeof(store[n]), "%s", a);
		argv[n] = store[n];
		n++;
	}
	argv[n] = NULL;
	*argc = n;
	return argv;
}

static int
parse(struct gen_config *cfg, bool user_vdev, const char *first, ...)
{
	va_list ap;
	char **argv;
	int argc;

	va_start(ap, first);
	argv = make_argv(&argc, first, ap);
	va_end(ap);
	return gen_opts_parse(cfg, argc, argv, user_vdev);
}

/* The EAL part of a command line, argv[0] included, like main() hands it over. */
static char **
eal_argv(int *argc, const char *first, ...)
{
	static char store[16][256];
	static char *argv[17];
	va_list ap;
	int n = 0;

	va_start(ap, first);
	for (const char *a = first; a != NULL && n < 16; a = va_arg(ap, const char *)) {
		snprintf(store[n], sizeof(store[n]), "%s", a);
		argv[n] = store[n];
		n++;
	}
	va_end(ap);
	argv[n] = NULL;
	*argc = n;
	return argv;
}

#define PARSE(cfg, ...) parse(cfg, false, __VA_ARGS__, (const char *)NULL)

static void
defaults_match_the_documented_command_line(void **state)
{
	struct gen_config cfg;
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "/tmp/s"), 0);
	assert_string_equal(cfg.socket_path, "/tmp/s");
	assert_int_equal(cfg.nb_qp, 1);
	assert_memory_equal(cfg.mac, mac, 6);
	assert_true(cfg.mrg_rxbuf);
	assert_false(cfg.in_order);
	assert_false(cfg.packed);
	assert_int_equal(cfg.ring_size, 256);
	assert_int_equal(cfg.mode, GEN_MODE_CHECK);
	assert_int_equal(cfg.nb_frames, 10000);
	assert_int_equal(cfg.nb_sizes, 3);
	assert_int_equal(cfg.sizes_bytes[0], 60);
	assert_int_equal(cfg.sizes_bytes[1], 1514);
	assert_int_equal(cfg.sizes_bytes[2], 9000);
	assert_true(cfg.latency);
	assert_int_equal(cfg.latency_sample, GEN_LATENCY_SAMPLE_DEFAULT);
	assert_false(cfg.tx_hdr_desc);
	assert_int_equal(cfg.burst, 32);
}

static void
default_window_keeps_half_the_rx_ring_free(void **state)
{
	struct gen_config cfg;

	(void)state;
	/* 9000-byte frames take 5 mergeable 2 KiB RX buffers: 128 buffers / 5 = 25 frames. */
	assert_int_equal(PARSE(&cfg, "--socket", "s"), 0);
	assert_int_equal(cfg.window, 25);
	/* Without mergeable buffers one buffer holds any frame. */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mrg-rxbuf", "0"), 0);
	assert_int_equal(cfg.window, 128);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--sizes", "60,1514"), 0);
	assert_int_equal(cfg.window, 128);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--window", "7"), 0);
	assert_int_equal(cfg.window, 7);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-hdr-desc"), 0);
	assert_true(cfg.tx_hdr_desc);
}

static void
bad_values_are_usage_errors(void **state)
{
	struct gen_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "0"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "129"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "2x"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--sizes", "59"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--sizes", "60,9001"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--sizes", ","), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mrg-rxbuf", "2"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--ring-size", "300"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--window", "257"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "fast"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--timeout", "-1"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--rate", "fast"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--latency-sample", "0"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--latency-sample", "65536"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mac", "01:00:00:00:00:01"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s,x"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "stray"), -EINVAL);
	/* --socket is required unless the user brought a net_virtio_user vdev. */
	assert_int_equal(PARSE(&cfg, "--frames", "5"), -EINVAL);
	assert_int_equal(parse(&cfg, true, "--frames", "5", (const char *)NULL), 0);
}

static void
perf_options_are_parsed(void **state)
{
	struct gen_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--size", "1518", "--rate",
			       "100000", "--burst", "64", "--duration", "0.5", "--no-latency"),
			 0);
	assert_int_equal(cfg.mode, GEN_MODE_PERF);
	assert_int_equal(cfg.size_bytes, 1518);
	assert_int_equal(cfg.rate_pps, 100000);
	assert_int_equal(cfg.burst, 64);
	assert_true(cfg.duration_s == 0.5);
	assert_false(cfg.latency);
	assert_int_equal(gen_config_max_frame_bytes(&cfg), 1518);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--imix", "--rate", "max"),
			 0);
	assert_int_equal(cfg.rate_pps, 0);
	assert_int_equal(gen_config_max_frame_bytes(&cfg), 1518);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--latency-sample", "1"),
			 0);
	assert_int_equal(cfg.latency_sample, 1);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--latency-sample", "65535"), 0);
	assert_int_equal(cfg.latency_sample, 65535);
}

static void
tx_free_thresh_defaults_and_limits(void **state)
{
	struct gen_config cfg;

	(void)state;
	/* Check mode keeps DPDK's default, perf mode frees the used mbufs 32 at a time. */
	assert_int_equal(PARSE(&cfg, "--socket", "s"), 0);
	assert_int_equal(cfg.tx_free_thresh, 0);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf"), 0);
	assert_int_equal(cfg.tx_free_thresh, 256 - GEN_TX_FREE_RECENT);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--ring-size", "1024"), 0);
	assert_int_equal(cfg.tx_free_thresh, 1024 - GEN_TX_FREE_RECENT);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--ring-size", "64"), 0);
	assert_int_equal(cfg.tx_free_thresh, 64 - GEN_TX_FREE_RECENT);
	/* Given: taken as is, 0 included, whatever the mode and the option order. */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--tx-free-thresh", "0"),
			 0);
	assert_int_equal(cfg.tx_free_thresh, 0);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "224"), 0);
	assert_int_equal(cfg.tx_free_thresh, 224);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "252"), 0);
	assert_int_equal(cfg.tx_free_thresh, 252);
	assert_int_equal(
		PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "1000", "--ring-size", "1024"), 0);
	assert_int_equal(cfg.tx_free_thresh, 1000);
	/* The virtio PMD wants less than the ring size minus 3. */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "253"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "256"), -EINVAL);
	assert_int_equal(
		PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "224", "--ring-size", "128"),
		-EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--ring-size", "64",
			       "--tx-free-thresh", "61"),
			 -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "4097"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "-1"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", "32x"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--tx-free-thresh", ""), -EINVAL);
}

static void
flow_options_are_parsed_and_checked(void **state)
{
	struct gen_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "s"), 0);
	assert_int_equal(cfg.flows, 1);
	assert_int_equal(cfg.split_flows, 0);
	assert_int_equal(cfg.idle_qp, -1);
	assert_false(gen_flow_active(&cfg));
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--queue-pairs", "4",
			       "--flows", "100", "--split-flows", "2", "--idle-qp", "3:60:60.5"),
			 0);
	assert_int_equal(cfg.flows, 100);
	assert_int_equal(cfg.split_flows, 2);
	assert_int_equal(cfg.idle_qp, 3);
	assert_true(cfg.idle_start_s == 60 && cfg.idle_len_s == 60.5);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--queue-pairs", "2",
			       "--idle-qp", "1"),
			 0);
	assert_true(cfg.idle_start_s == 0 && cfg.idle_len_s == 0);
	/* Usage errors. */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--flows", "0"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--flows", "10001"), -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--split-flows", "1"), -EINVAL); /* 1 qp */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "2", "--split-flows", "65"),
			 -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "2", "--idle-qp", "1"),
			 -EINVAL); /* check mode */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--queue-pairs", "2",
			       "--idle-qp", "2"),
			 -EINVAL);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--queue-pairs", "2",
			       "--idle-qp", "1:5"),
			 -EINVAL);
}

static void
flows_take_turns_and_split_flows_use_two_queue_pairs(void **state)
{
	struct gen_config cfg;
	uint16_t src, dst;
	unsigned int seen_split[4][2] = {{0}};

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "4", "--flows", "3",
			       "--split-flows", "2"),
			 0);
	/* Split flow 0 on qps 0 and 1, split flow 1 on qps 1 and 2; qp 3 carries none. */
	assert_int_equal(gen_flow_split_count(&cfg, 0), 1);
	assert_int_equal(gen_flow_split_count(&cfg, 1), 2);
	assert_int_equal(gen_flow_split_count(&cfg, 2), 1);
	assert_int_equal(gen_flow_split_count(&cfg, 3), 0);
	for (uint16_t qp = 0; qp < 4; qp++) {
		for (uint64_t seq = 0; seq < 100; seq++) {
			gen_flow_ports(&cfg, qp, seq, &src, &dst);
			if (src >= GEN_FLOW_SPLIT_PORT_BASE) {
				assert_int_equal(src, dst);
				seen_split[qp][src - GEN_FLOW_SPLIT_PORT_BASE]++;
				continue;
			}
			assert_int_equal(src, 1024 + qp);
			assert_true(dst >= 10000 && dst < 10003);
		}
	}
	assert_true(seen_split[0][0] > 0 && seen_split[1][0] > 0);
	assert_true(seen_split[1][1] > 0 && seen_split[2][1] > 0);
	assert_int_equal(seen_split[0][1] + seen_split[2][0] + seen_split[3][0] + seen_split[3][1],
			 0);
	/* qp 1: 3 own + 2 split flows, in turn. */
	gen_flow_ports(&cfg, 1, 4, &src, &dst);
	assert_int_equal(src, 40001);
	gen_flow_ports(&cfg, 1, 5, &src, &dst);
	assert_int_equal(dst, 10000);
}

static void
flow_apply_rewrites_only_the_ports(void **state)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	struct gen_config cfg;
	uint8_t plain[128], flowed[128];

	(void)state;
	gen_frame_build(plain, 128, mac, 1, 7, 0);
	memcpy(flowed, plain, sizeof(plain));
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "2"), 0);
	gen_flow_apply(flowed, &cfg, 1, 7); /* no flow option: untouched */
	assert_memory_equal(plain, flowed, sizeof(plain));
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "2", "--flows", "5"), 0);
	gen_flow_apply(flowed, &cfg, 1, 7);
	assert_int_equal(flowed[GEN_UDP_OFF] << 8 | flowed[GEN_UDP_OFF + 1], 1025);
	assert_int_equal(flowed[GEN_UDP_OFF + 2] << 8 | flowed[GEN_UDP_OFF + 3], 10002);
	assert_memory_equal(plain, flowed, GEN_UDP_OFF);
	assert_memory_equal(plain + GEN_UDP_OFF + 4, flowed + GEN_UDP_OFF + 4,
			    sizeof(plain) - GEN_UDP_OFF - 4);
}

static void
mac_parser_accepts_unicast_and_rejects_the_rest(void **state)
{
	uint8_t mac[6];
	static const uint8_t want[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

	(void)state;
	assert_int_equal(gen_opts_parse_mac("52:54:00:AB:cd:ef", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(gen_opts_parse_mac("52:54:00:ab:cd", mac), -EINVAL);
	assert_int_equal(gen_opts_parse_mac("52:54:00:ab:cd:ef:00", mac), -EINVAL);
	assert_int_equal(gen_opts_parse_mac("52-54-00-ab-cd-ef", mac), -EINVAL);
	assert_int_equal(gen_opts_parse_mac("ff:ff:ff:ff:ff:ff", mac), -EINVAL);
	assert_int_equal(gen_opts_parse_mac("00:00:00:00:00:00", mac), -EINVAL);
	assert_int_equal(gen_opts_parse_mac("5g:54:00:ab:cd:ef", mac), -EINVAL);
}

static bool
eal_has(const struct gen_eal_args *ea, const char *arg)
{
	for (int i = 0; i < ea->argc; i++)
		if (strcmp(ea->argv[i], arg) == 0)
			return true;
	return false;
}

static void
default_eal_args_need_no_hugepages_and_carry_our_vdev(void **state)
{
	struct gen_config cfg;
	struct gen_eal_args ea;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "/tmp/x.sock", "--queue-pairs", "4", "--in-order",
			       "1", "--mac", "02:00:00:00:00:09"),
			 0);
	assert_int_equal(gen_eal_args_build(&ea, &cfg, 0, NULL, "gen", 42), 0);
	assert_true(eal_has(&ea, "--no-huge"));
	assert_true(eal_has(&ea, "--no-pci"));
	assert_true(eal_has(&ea, "vlgen-42"));
	assert_true(eal_has(&ea, "512"));
	assert_true(eal_has(&ea, "--vdev"));
	assert_string_equal(ea.argv[ea.argc - 1],
			    "net_virtio_user0,path=/tmp/x.sock,queues=4,queue_size=256,"
			    "mac=02:00:00:00:00:09,mrg_rxbuf=1,in_order=1,packed_vq=0,cq=1");
	assert_null(ea.argv[ea.argc]);
}

static void
file_prefix_is_found_in_either_form(void **state)
{
	struct gen_config cfg;
	struct gen_eal_args ea;
	char **user;
	int n;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "/tmp/x.sock"), 0);
	assert_int_equal(gen_eal_args_build(&ea, &cfg, 0, NULL, "gen", 42), 0);
	assert_string_equal(gen_eal_file_prefix(ea.argc, ea.argv), "vlgen-42");
	user = eal_argv(&n, "gen", "-l", "0", "--file-prefix", "vlg-1-2", (const char *)NULL);
	assert_string_equal(gen_eal_file_prefix(n, user), "vlg-1-2");
	user = eal_argv(&n, "gen", "--file-prefix=a", "--file-prefix=b", (const char *)NULL);
	assert_string_equal(gen_eal_file_prefix(n, user), "b");
	user = eal_argv(&n, "gen", "-l", "0", "--file-prefixx=a", (const char *)NULL);
	assert_string_equal(gen_eal_file_prefix(n, user), "rte");
}

static void
user_eal_args_are_kept_and_their_vdev_is_not_doubled(void **state)
{
	struct gen_config cfg;
	struct gen_eal_args ea;
	char **user;
	int n;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "/tmp/x.sock", "--server"), 0);
	user = eal_argv(&n, "gen", "-l", "0", "--no-huge", "--vdev",
			"net_virtio_user0,path=/tmp/u.sock,server=1", (const char *)NULL);
	assert_true(gen_opts_has_virtio_user_vdev(n, user));
	assert_int_equal(gen_eal_args_build(&ea, &cfg, n, user, "gen", 1), 0);
	assert_int_equal(ea.argc, 6);
	assert_false(eal_has(&ea, "--file-prefix"));

	user = eal_argv(&n, "gen", "-l", "1", (const char *)NULL);
	assert_false(gen_opts_has_virtio_user_vdev(n, user));
	assert_int_equal(gen_eal_args_build(&ea, &cfg, n, user, "gen", 1), 0);
	assert_int_equal(ea.argc, 5);
	assert_false(eal_has(&ea, "--no-huge")); /* the user's memory choice stands */
	assert_non_null(strstr(ea.argv[4], ",server=1"));
	assert_null(strstr(ea.argv[4], "cq=1")); /* one queue pair: no control queue */
}

static void
big_pools_raise_the_default_memory(void **state)
{
	struct gen_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "s"), 0);
	assert_int_equal(gen_eal_mem_mb(&cfg), 512);
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--queue-pairs", "128", "--mrg-rxbuf", "0"),
			 0);
	assert_true(gen_eal_mem_mb(&cfg) > 768); /* ~400 MB of 9 KiB RX buffers alone */
}

static uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
frames_are_valid_ipv4_udp_with_our_header(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint8_t buf[GEN_FRAME_MAX_BYTES];
	struct gen_frame_info info;
	uint32_t sum = 0;

	(void)state;
	gen_frame_build(buf, 1514, mac, 3, 77, UINT64_C(0x1122334455667788));
	assert_memory_equal(buf, mac, 6);
	assert_memory_equal(buf + 6, mac, 6);
	assert_int_equal(be16_at(buf + 12), 0x0800);
	assert_int_equal(be16_at(buf + GEN_IP_OFF + 2), 1500);
	/* A valid IPv4 header sums to 0xffff, checksum included. */
	for (int i = 0; i < 20; i += 2)
		sum += be16_at(buf + GEN_IP_OFF + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_int_equal(be16_at(buf + GEN_UDP_OFF), 1027);
	assert_int_equal(be16_at(buf + GEN_UDP_OFF + 2), 9);
	assert_int_equal(be16_at(buf + GEN_UDP_OFF + 4), 1514 - 34);
	assert_int_equal(gen_frame_parse(buf, GEN_PATTERN_OFF, 1514, &info), 0);
	assert_int_equal(info.qp, 3);
	assert_int_equal(info.size_bytes, 1514);
	assert_int_equal(info.seq, 77);
	assert_int_equal(info.tsc_bytes, 8);
	assert_true(info.tsc == UINT64_C(0x1122334455667788));
	assert_int_equal(info.udp_src_port, 1027);
}

static void
patterns_differ_between_seqs_and_queue_pairs(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	static uint8_t a[9000], b[9000], c[9000];

	(void)state;
	gen_frame_build(a, 9000, mac, 0, 1, 0);
	gen_frame_build(b, 9000, mac, 0, 2, 0);
	gen_frame_build(c, 9000, mac, 1, 1, 0);
	assert_memory_not_equal(a + GEN_PATTERN_OFF, b + GEN_PATTERN_OFF, 9000 - GEN_PATTERN_OFF);
	assert_memory_not_equal(a + GEN_PATTERN_OFF, c + GEN_PATTERN_OFF, 9000 - GEN_PATTERN_OFF);
	/* Regenerating gives the same bytes: that is what the checker compares against. */
	gen_frame_build(b, 9000, mac, 0, 1, 0);
	assert_memory_equal(a, b, 9000);
	/* The last byte is covered too (no tail left unwritten). */
	memset(c, 0xaa, sizeof(c));
	gen_frame_build(c, 1001, mac, 0, 1, 0);
	gen_frame_build(b, 1001, mac, 0, 1, 0);
	assert_memory_equal(b, c, 1001);
	assert_int_equal(c[1001], 0xaa);
}

static void
short_frames_keep_the_low_bytes_of_the_stamp(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint8_t buf[80];
	struct gen_frame_info info;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	gen_frame_build(buf, 60, mac, 1, 5, UINT64_C(0x1122334455667788));
	assert_int_equal(buf[60], 0xee);
	assert_int_equal(gen_frame_parse(buf, 60, 60, &info), 0);
	assert_int_equal(info.seq, 5);
	assert_int_equal(info.tsc_bytes, 2);
	assert_int_equal(info.tsc, 0x7788);

	gen_frame_build(buf, 64, mac, 1, 5, UINT64_C(0x1122334455667788));
	assert_int_equal(gen_frame_parse(buf, 64, 64, &info), 0);
	assert_int_equal(info.tsc_bytes, 6);
	assert_true(info.tsc == UINT64_C(0x334455667788));
	/* A 48-bit stamp that wrapped still gives the right delta. */
	assert_int_equal(gen_tsc_delta(UINT64_C(0x1000000000010), UINT64_C(0xfffffffffff0), 6),
			 0x20);
	assert_int_equal(gen_tsc_delta(1000, 400, 8), 600);
}

static void
frames_without_our_magic_are_rejected(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint8_t buf[128];
	struct gen_frame_info info;

	(void)state;
	gen_frame_build(buf, 128, mac, 0, 0, 0);
	buf[GEN_HDR_OFF] ^= 1;
	assert_int_equal(gen_frame_parse(buf, GEN_PATTERN_OFF, 128, &info), -EINVAL);
	gen_frame_build(buf, 128, mac, 0, 0, 0);
	assert_int_equal(gen_frame_parse(buf, 50, 50, &info), -EINVAL);
	/* gen_frame_stamp rewrites what differs per frame only. */
	gen_frame_stamp(buf, 128, 9, 1234, 99);
	assert_int_equal(gen_frame_parse(buf, GEN_PATTERN_OFF, 128, &info), 0);
	assert_int_equal(info.qp, 9);
	assert_int_equal(info.udp_src_port, 1033);
	assert_int_equal(info.seq, 1234);
	assert_int_equal(info.tsc, 99);
}

/* Perf mode stamps a pre-built template: the result must equal a frame built from scratch. */
static void
stamping_a_template_equals_building_the_frame(void **state)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint16_t lens[] = {60, 61, 64, 65, 66, 128, 1518};
	uint8_t tmpl[1600], ref[1600];

	(void)state;
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint16_t len = lens[i];
		uint64_t tsc = UINT64_C(0x1122334455667788);

		memset(tmpl, 0xee, sizeof(tmpl));
		gen_frame_build(tmpl, len, mac, 0xffff, len, 0);
		gen_frame_stamp(tmpl, len, 7, UINT64_C(0x0102030405060708), tsc);
		gen_frame_build(ref, len, mac, 7, UINT64_C(0x0102030405060708), tsc);
		/* Headers and payload header equal; the pattern is the template's. */
		assert_memory_equal(tmpl, ref, len < GEN_PATTERN_OFF ? len : GEN_PATTERN_OFF);
		assert_int_equal(tmpl[len], 0xee); /* nothing written past the frame */
	}
}

static void
histogram_buckets_are_contiguous_and_tight(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 100000; v++) {
		unsigned int b = gen_hist_bucket(v);

		assert_true(gen_hist_bucket_low(b) <= v);
		assert_true(gen_hist_bucket_low(b + 1) > v);
		/* Width at most 1/32 of the bucket's lowest value above the linear part. */
		if (v >= 2 * GEN_HIST_SUB)
			assert_true((gen_hist_bucket_low(b + 1) - gen_hist_bucket_low(b)) * 32 <=
				    gen_hist_bucket_low(b));
	}
	assert_int_equal(gen_hist_bucket(UINT64_MAX), GEN_HIST_NB_BUCKETS - 1);
}

static void
histogram_quantiles_are_within_three_percent(void **state)
{
	struct gen_hist *h = malloc(sizeof(*h));
	struct gen_hist *h2 = malloc(sizeof(*h2));

	(void)state;
	assert_non_null(h);
	assert_non_null(h2);
	gen_hist_reset(h);
	assert_int_equal(gen_hist_quantile(h, 0.5), 0);
	/* 1..10000 ns once each: p50 = 5000, p99 = 9900, p99.9 = 9990. */
	for (uint64_t v = 1; v <= 10000; v++)
		gen_hist_add(h, v);
	assert_int_equal(h->count, 10000);
	assert_int_equal(h->min_ns, 1);
	assert_int_equal(h->max_ns, 10000);
	assert_in_range(gen_hist_quantile(h, 0.5), 5000 * 97 / 100, 5000 * 103 / 100);
	assert_in_range(gen_hist_quantile(h, 0.99), 9900 * 97 / 100, 9900 * 103 / 100);
	assert_in_range(gen_hist_quantile(h, 0.999), 9990 * 97 / 100, 10000);
	assert_int_equal(gen_hist_quantile(h, 1.0), 10000);

	/* Merging two halves gives the same answers as one histogram. */
	gen_hist_reset(h2);
	gen_hist_add(h2, 1000000);
	gen_hist_merge(h, h2);
	assert_int_equal(h->count, 10001);
	assert_int_equal(h->max_ns, 1000000);
	assert_int_equal(gen_hist_quantile(h, 1.0), 1000000);
	free(h);
	free(h2);
}

/* Write doc with gen_json_write() and parse the file back with jansson. */
static json_t *
write_and_load(struct gen_config *cfg, json_t *doc, char *path, size_t path_len)
{
	json_error_t err;
	json_t *back;
	int fd;

	snprintf(path, path_len, "/tmp/test_gen_json.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	cfg->json_path = path;
	assert_int_equal(gen_json_write(cfg, doc), 0);
	back = json_load_file(path, 0, &err);
	if (back == NULL)
		fail_msg("%s: %s", path, err.text);
	unlink(path);
	return back;
}

static void
json_result_keeps_the_field_names_and_escapes_the_socket_path(void **state)
{
	struct gen_config cfg;
	char path[64];
	json_t *doc, *c, *sizes, *r;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--socket", "/tmp/a\"b\\c\n", "--sizes", "60,1514", "--frames",
			       "7", "--server", "--tx-hdr-desc"),
			 0);
	doc = write_and_load(&cfg, gen_json_doc(&cfg), path, sizeof(path));
	c = json_object_get(doc, "config");
	assert_true(json_is_object(c));
	assert_string_equal(json_string_value(json_object_get(c, "socket")), "/tmp/a\"b\\c\n");
	assert_int_equal(json_integer_value(json_object_get(c, "queue_pairs")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "mac")), "02:00:00:00:00:01");
	assert_true(json_is_true(json_object_get(c, "server")));
	assert_int_equal(json_integer_value(json_object_get(c, "mrg_rxbuf")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "in_order")), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "packed")), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "ring_size")), 256);
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "check");
	assert_true(json_is_number(json_object_get(c, "connect_timeout_s")));
	assert_int_equal(json_integer_value(json_object_get(c, "frames")), 7);
	sizes = json_object_get(c, "sizes");
	assert_int_equal(json_array_size(sizes), 2);
	assert_int_equal(json_integer_value(json_array_get(sizes, 1)), 1514);
	assert_int_equal(json_integer_value(json_object_get(c, "window")), cfg.window);
	assert_true(json_is_number(json_object_get(c, "timeout_s")));
	assert_true(json_is_true(json_object_get(c, "tx_hdr_desc")));
	assert_int_equal(json_integer_value(json_object_get(c, "tx_free_thresh")), 0);
	assert_null(json_object_get(c, "duration_s"));
	json_decref(doc);

	/* Perf mode: its own fields, "imix" as a string, reals rounded to their decimals. */
	assert_int_equal(PARSE(&cfg, "--socket", "s", "--mode", "perf", "--imix", "--rate", "1000",
			       "--duration", "0.5", "--latency-sample", "8"),
			 0);
	doc = gen_json_doc(&cfg);
	assert_non_null(doc);
	assert_int_equal(json_object_set_new(doc, "x", gen_json_fixed(4.80123449, 6)), 0);
	assert_int_equal(json_object_set_new(doc, "nan", gen_json_fixed(NAN, 3)), 0);
	r = write_and_load(&cfg, doc, path, sizeof(path));
	c = json_object_get(r, "config");
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "perf");
	assert_string_equal(json_string_value(json_object_get(c, "size")), "imix");
	assert_true(json_real_value(json_object_get(c, "duration_s")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(c, "rate_pps")), 1000);
	assert_int_equal(json_integer_value(json_object_get(c, "burst")), 32);
	assert_true(json_is_true(json_object_get(c, "latency")));
	assert_int_equal(json_integer_value(json_object_get(c, "latency_sample")), 8);
	assert_true(json_is_false(json_object_get(c, "tx_only")));
	assert_int_equal(json_integer_value(json_object_get(c, "tx_free_thresh")),
			 256 - GEN_TX_FREE_RECENT);
	assert_null(json_object_get(c, "frames"));
	assert_true(json_real_value(json_object_get(r, "x")) == 4.801234);
	assert_true(json_is_null(json_object_get(r, "nan")));
	json_decref(r);

	/* A file that cannot be opened is reported, not written. */
	cfg.json_path = "/nonexistent-dir/x.json";
	assert_int_equal(gen_json_write(&cfg, gen_json_doc(&cfg)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_documented_command_line),
		cmocka_unit_test(default_window_keeps_half_the_rx_ring_free),
		cmocka_unit_test(bad_values_are_usage_errors),
		cmocka_unit_test(perf_options_are_parsed),
		cmocka_unit_test(tx_free_thresh_defaults_and_limits),
		cmocka_unit_test(flow_options_are_parsed_and_checked),
		cmocka_unit_test(flows_take_turns_and_split_flows_use_two_queue_pairs),
		cmocka_unit_test(flow_apply_rewrites_only_the_ports),
		cmocka_unit_test(mac_parser_accepts_unicast_and_rejects_the_rest),
		cmocka_unit_test(default_eal_args_need_no_hugepages_and_carry_our_vdev),
		cmocka_unit_test(file_prefix_is_found_in_either_form),
		cmocka_unit_test(user_eal_args_are_kept_and_their_vdev_is_not_doubled),
		cmocka_unit_test(big_pools_raise_the_default_memory),
		cmocka_unit_test(frames_are_valid_ipv4_udp_with_our_header),
		cmocka_unit_test(patterns_differ_between_seqs_and_queue_pairs),
		cmocka_unit_test(short_frames_keep_the_low_bytes_of_the_stamp),
		cmocka_unit_test(frames_without_our_magic_are_rejected),
		cmocka_unit_test(stamping_a_template_equals_building_the_frame),
		cmocka_unit_test(histogram_buckets_are_contiguous_and_tight),
		cmocka_unit_test(histogram_quantiles_are_within_three_percent),
		cmocka_unit_test(json_result_keeps_the_field_names_and_escapes_the_socket_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

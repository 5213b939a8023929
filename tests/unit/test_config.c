/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c - lib/config: MAC and queue-pair rules, CLI, INI, JSON, frontend printing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vl_config.h"

#define ERR_LEN 512
#define MAX_ARGS 32

/* ---- helpers ------------------------------------------------------------------------------- */

#define assert_contains(hay, needle)                                                 \
	do {                                                                         \
		if (strstr((hay), (needle)) == NULL)                                 \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* vl_config_init + parse of "vhostloop ARGS..." (NULL-terminated). */
static int
parse(struct vl_config *cfg, char *err, ...)
{
	static char prog[] = "vhostloop";
	char *argv[MAX_ARGS] = {prog};
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *)) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	vl_config_init(cfg);
	err[0] = '\0';
	return vl_config_parse_args(cfg, argc, argv, err, ERR_LEN);
}

/* parse, then vl_config_finish, as the app does. */
#define parse_finish(cfg, err, ...) \
	(parse((cfg), (err), __VA_ARGS__) == 0 ? vl_config_finish((cfg), (err), ERR_LEN) : -EINVAL)

struct tmp_file {
	char path[64];
};

/* A temporary INI file with this content; remove with tmp_file_drop. */
static void
tmp_file_write(struct tmp_file *t, const char *content)
{
	int fd;

	snprintf(t->path, sizeof(t->path), "/tmp/test_config_XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void
tmp_file_drop(struct tmp_file *t)
{
	unlink(t->path);
}

/* Load content as an INI file on top of a fresh config; the error text in err. */
static int
load_ini(struct vl_config *cfg, const char *content, char *err, char *path_out)
{
	struct tmp_file t;
	int rc;

	tmp_file_write(&t, content);
	vl_config_init(cfg);
	err[0] = '\0';
	rc = vl_config_load_file(cfg, t.path, err, ERR_LEN);
	if (path_out != NULL)
		strcpy(path_out, t.path);
	tmp_file_drop(&t);
	return rc;
}

/* What a printing function wrote, as a malloc'd string. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *
capture_start(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static char *
capture_end(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static char *
dump(const struct vl_config *cfg)
{
	struct capture c;

	assert_int_equal(vl_config_dump_json(cfg, capture_start(&c)), 0);
	return capture_end(&c);
}

/* What --print-frontend writes: the arguments (returned) and the comments (*notes_out). */
static char *
print_frontend_notes(const struct vl_config *cfg, enum vl_frontend fe, char **notes_out)
{
	struct capture c, n;
	char *notes;

	assert_int_equal(vl_config_print_frontend(cfg, fe, capture_start(&c), capture_start(&n)),
			 0);
	notes = capture_end(&n);
	if (notes_out != NULL)
		*notes_out = notes;
	else
		free(notes);
	return capture_end(&c);
}

static char *
print_frontend(const struct vl_config *cfg, enum vl_frontend fe)
{
	return print_frontend_notes(cfg, fe, NULL);
}

/* ---- net config and MAC ---------------------------------------------------------------------- */

static void
default_mac_is_locally_administered_and_unicast(void **state)
{
	const struct vl_net_config def = VL_NET_CONFIG_DEFAULT;
	const uint8_t expected[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

	(void)state;
	assert_memory_equal(def.mac, expected, 6);
	assert_int_equal(def.queue_pairs, 1);
	assert_true(vl_mac_is_local(def.mac));
	assert_true(vl_mac_is_valid_unicast(def.mac));
	assert_int_equal(def.mac[0] & 0x01, 0);
}

/* A static const can only use the macro (setters are functions): both forms must compile. */
static const struct vl_net_config static_default = VL_NET_CONFIG_DEFAULT;

static void
setters_override_the_default_and_leave_the_rest(void **state)
{
	const uint8_t mac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	const struct vl_net_config cfg =
		vl_net_config_queue_pairs(vl_net_config_mac(VL_NET_CONFIG_DEFAULT, mac), 4);
	const struct vl_net_config only_qp = vl_net_config_queue_pairs(static_default, 8);

	(void)state;
	assert_memory_equal(cfg.mac, mac, 6);
	assert_int_equal(cfg.queue_pairs, 4);
	/* The setter changed a copy: the default is untouched. */
	assert_memory_equal(static_default.mac, VL_NET_CONFIG_DEFAULT.mac, 6);
	assert_int_equal(static_default.queue_pairs, 1);
	assert_memory_equal(only_qp.mac, VL_NET_CONFIG_DEFAULT.mac, 6);
	assert_int_equal(only_qp.queue_pairs, 8);
}

static void
queue_pairs_are_clamped_to_1_and_256(void **state)
{
	static const struct {
		unsigned int in, out;
	} cases[] = {{0, 1},	 {1, 1},       {2, 2},	     {128, 128},       {256, 256},
		     {257, 256}, {65535, 256}, {65536, 256}, {UINT32_MAX, 256}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_net_config c =
			vl_net_config_queue_pairs(VL_NET_CONFIG_DEFAULT, cases[i].in);

		if (c.queue_pairs != cases[i].out)
			fail_msg("queue pairs %u -> %u, expected %u", cases[i].in, c.queue_pairs,
				 cases[i].out);
	}
}

static void
mac_parse_accepts_colon_dash_and_any_case(void **state)
{
	const uint8_t expected[6] = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x9f};
	const char *good[] = {"02:ab:cd:ef:01:9f", "02:AB:CD:EF:01:9F", "02-ab-cd-ef-01-9f",
			      "02:Ab:cD:eF:01:9f"};
	char buf[VL_MAC_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t mac[6] = {0};

		if (vl_mac_parse(good[i], mac) != 0)
			fail_msg("%s rejected", good[i]);
		assert_memory_equal(mac, expected, 6);
	}
	vl_mac_format(expected, buf);
	assert_string_equal(buf, "02:ab:cd:ef:01:9f");
}

static void
mac_parse_rejects_malformed_text_and_keeps_the_output(void **state)
{
	const char *bad[] = {
		"",
		"02:00:00:00:00",	/* short */
		"02:00:00:00:00:01:02", /* long */
		"02:00:00:00:00:011",	/* trailing */
		"02:00:00:00:00:01 ",	/* trailing blank */
		" 02:00:00:00:00:01",	/* leading blank */
		"02:00-00:00:00:01",	/* mixed separators */
		"02.00.00.00.00.01",	/* other separator */
		"2:0:0:0:0:1:0:0:0:00", /* one-digit octets, right length */
		"0g:00:00:00:00:01",	/* not hex */
		"hello, world!!!!!",	/* garbage of the right length */
		"020000000001",		/* no separators */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t mac[6] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
		const uint8_t untouched[6] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};

		if (vl_mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(mac, untouched, 6);
	}
}

static void
multicast_broadcast_and_zero_macs_are_not_unicast(void **state)
{
	uint8_t mac[6];

	(void)state;
	assert_int_equal(vl_mac_parse("01:00:5e:00:00:01", mac), 0); /* syntax is fine */
	assert_false(vl_mac_is_valid_unicast(mac));
	assert_int_equal(vl_mac_parse("ff:ff:ff:ff:ff:ff", mac), 0);
	assert_false(vl_mac_is_valid_unicast(mac));
	assert_int_equal(vl_mac_parse("00:00:00:00:00:00", mac), 0);
	assert_false(vl_mac_is_valid_unicast(mac));
	assert_int_equal(vl_mac_parse("00:11:22:33:44:55", mac), 0);
	assert_true(vl_mac_is_valid_unicast(mac));
	assert_false(vl_mac_is_local(mac));
}

static void
cli_and_file_reject_multicast_broadcast_and_zero_macs(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN], path[64], expect[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--mac", "01:00:5e:00:00:01", NULL), -EINVAL);
	assert_string_equal(err, "--mac 01:00:5e:00:00:01: multicast MAC: a NIC needs a unicast "
				 "address (bit 0x01 of the first octet clear)");
	assert_int_equal(parse(&cfg, err, "--mac", "FF:FF:FF:FF:FF:FF", NULL), -EINVAL);
	assert_contains(err, "--mac FF:FF:FF:FF:FF:FF: broadcast MAC: a NIC needs a unicast");
	assert_int_equal(parse(&cfg, err, "--mac", "00-00-00-00-00-00", NULL), -EINVAL);
	assert_string_equal(err,
			    "--mac 00-00-00-00-00-00: all-zero MAC: a NIC needs a unicast address");
	assert_int_equal(parse(&cfg, err, "--mac", "02:00:00:00:00", NULL), -EINVAL);
	assert_contains(err, "--mac 02:00:00:00:00: not a MAC address");

	assert_int_equal(load_ini(&cfg,
				  "[interface vhost1]\nsocket = /tmp/a.sock\n"
				  "mac = 01:00:00:00:00:01\n",
				  err, path),
			 -EINVAL);
	snprintf(expect, sizeof(expect),
		 "%s:3: [interface vhost1] mac = 01:00:00:00:00:01: multicast MAC", path);
	assert_contains(err, expect);
}

static void
mac_without_the_local_bit_is_accepted(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	const uint8_t expected[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--mac", "00:11:22:33:44:55", NULL), 0);
	assert_memory_equal(cfg.ifaces[0].net.mac, expected, 6);
	assert_false(vl_mac_is_local(cfg.ifaces[0].net.mac));
}

/* ---- defaults and finish -----------------------------------------------------------------------
 */

static void
init_sets_documented_defaults_and_finish_adds_vhost0(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	vl_config_init(&cfg);
	assert_int_equal(cfg.nb_ifaces, 0);
	assert_int_equal(cfg.datapath, VL_DATAPATH_DIRECT);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.stats_interval_s, 0);
	assert_int_equal(cfg.irq_coalesce_frames, 0);
	assert_int_equal(cfg.irq_coalesce_usecs, 0);
	assert_int_equal(cfg.idle_sleep_us, 0);
	assert_int_equal(cfg.nb_mbufs, 8192);
	assert_string_equal(cfg.stats_file, "");
	assert_int_equal(cfg.steering_audit, 0);
	assert_int_equal(cfg.duration_s, 0);
	assert_false(cfg.dump_config || cfg.help);
	assert_int_equal(cfg.print_frontend, VL_FRONTEND_NONE);

	assert_int_equal(vl_config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nb_ifaces, 1);
	assert_string_equal(cfg.ifaces[0].name, "vhost0");
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/vhostloop0.sock");
	assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_SERVER);
	assert_memory_equal(cfg.ifaces[0].net.mac, VL_NET_CONFIG_DEFAULT.mac, 6);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 1);
	assert_string_equal(vl_datapath_name(VL_DATAPATH_DIRECT), "direct");
	assert_string_equal(vl_datapath_name(VL_DATAPATH_MBUF), "mbuf");
	assert_string_equal(vl_datapath_name(VL_DATAPATH_SINK), "sink");
}

static void
interface_k_gets_the_default_mac_with_last_octet_k_plus_1(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/a", "--socket", "/tmp/b",
				      "--socket", "/tmp/c", NULL),
			 0);
	assert_int_equal(cfg.nb_ifaces, 3);
	for (unsigned int k = 0; k < 3; k++) {
		char name[16];

		snprintf(name, sizeof(name), "vhost%u", k);
		assert_string_equal(cfg.ifaces[k].name, name);
		assert_int_equal(cfg.ifaces[k].net.mac[5], k + 1);
		assert_memory_equal(cfg.ifaces[k].net.mac, VL_NET_CONFIG_DEFAULT.mac, 5);
	}
}

static void
two_interfaces_with_one_socket_name_or_mac_are_rejected(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(
		parse_finish(&cfg, err, "--socket", "/tmp/x.sock", "--socket", "/tmp/x.sock", NULL),
		-EINVAL);
	assert_string_equal(err, "interfaces vhost0 and vhost1 share the socket /tmp/x.sock");

	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/x.sock,name=a", "--socket",
				      "/tmp/y.sock,name=a", NULL),
			 -EINVAL);
	assert_string_equal(err, "interfaces 0 and 1 are both named a");

	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/x.sock", "--socket",
				      "/tmp/y.sock,mac=02:00:00:00:00:01", NULL),
			 -EINVAL);
	assert_contains(err, "share the MAC 02:00:00:00:00:01");

	assert_int_equal(
		load_ini(&cfg, "[interface a]\nsocket = /tmp/s\n[interface b]\nsocket = /tmp/s\n",
			 err, NULL),
		-EINVAL);
	assert_contains(err, "interfaces a and b share the socket /tmp/s");
}

static void
socket_path_must_fit_sun_path(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN], path[200], arg[220];

	(void)state;
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[107] = '\0'; /* 107 bytes: the longest that fits with its NUL */
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, NULL), 0);
	assert_string_equal(cfg.ifaces[0].socket_path, path);

	path[107] = 'p';
	path[108] = '\0';
	assert_int_equal(parse(&cfg, err, "--socket", path, NULL), -EINVAL);
	assert_contains(err, "socket path is 108 bytes, must be 1 to 107");

	assert_int_equal(parse(&cfg, err, "--socket", "", NULL), -EINVAL);
	assert_contains(err, "socket path is 0 bytes, must be 1 to 107");
	snprintf(arg, sizeof(arg), ",queue-pairs=2");
	assert_int_equal(parse(&cfg, err, "--socket", arg, NULL), -EINVAL);
	assert_contains(err, "--socket ,queue-pairs=2: socket path is 0 bytes");
}

/* ---- command line -------------------------------------------------------------------------------
 */

static void
cli_sets_every_run_option(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--datapath", "mbuf", "--burst", "64",
				      "--stats-interval", "5", "--stats-file", "/tmp/s.jsonl",
				      "--irq-coalesce-frames", "16", "--irq-coalesce-usecs=50",
				      "--idle-sleep-us", "200", "--mbufs", "16384",
				      "--steering-audit", "--duration", "60", "--dump-config",
				      "--print-frontend", "virtio-user", NULL),
			 0);
	assert_int_equal(cfg.idle_sleep_us, 200);
	assert_int_equal(cfg.steering_audit, 1);
	assert_int_equal(cfg.duration_s, 60);
	assert_int_equal(cfg.datapath, VL_DATAPATH_MBUF);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.stats_interval_s, 5);
	assert_string_equal(cfg.stats_file, "/tmp/s.jsonl");
	assert_int_equal(cfg.irq_coalesce_frames, 16);
	assert_int_equal(cfg.irq_coalesce_usecs, 50);
	assert_int_equal(cfg.nb_mbufs, 16384);
	assert_true(cfg.dump_config);
	assert_int_equal(cfg.print_frontend, VL_FRONTEND_VIRTIO_USER);
	assert_false(cfg.help);
}

static void
cli_accepts_the_edges_of_every_range(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--burst", "1", "--stats-interval", "0",
			       "--irq-coalesce-frames", "0", "--irq-coalesce-usecs", "0", "--mbufs",
			       "1024", NULL),
			 0);
	assert_int_equal(cfg.burst, 1);
	assert_int_equal(cfg.nb_mbufs, 1024);
	assert_int_equal(parse(&cfg, err, "--burst", "256", "--stats-interval", "3600",
			       "--irq-coalesce-frames", "4096", "--irq-coalesce-usecs", "1000000",
			       "--mbufs", "4194304", NULL),
			 0);
	assert_int_equal(cfg.burst, 256);
	assert_int_equal(cfg.stats_interval_s, 3600);
	assert_int_equal(cfg.irq_coalesce_frames, 4096);
	assert_int_equal(cfg.irq_coalesce_usecs, 1000000);
	assert_int_equal(cfg.nb_mbufs, 4194304);
	assert_int_equal(parse(&cfg, err, "--duration", "0", NULL), 0);
	assert_int_equal(cfg.duration_s, 0);
	assert_int_equal(parse(&cfg, err, "--duration", "31622400", NULL), 0);
	assert_int_equal(cfg.duration_s, 31622400);
	assert_int_equal(parse(&cfg, err, "--idle-sleep-us", "0", NULL), 0);
	assert_int_equal(cfg.idle_sleep_us, 0);
	assert_int_equal(parse(&cfg, err, "--idle-sleep-us=1000000", NULL), 0);
	assert_int_equal(cfg.idle_sleep_us, 1000000);
}

static void
cli_errors_name_the_flag_the_value_and_the_range(void **state)
{
	static const struct {
		const char *flag, *value, *expected;
	} cases[] = {
		{"--burst", "0", "--burst 0: out of range [1, 256]"},
		{"--burst", "257", "--burst 257: out of range [1, 256]"},
		{"--burst", "-1", "--burst -1: not a decimal number (expected [1, 256])"},
		{"--burst", "+4", "--burst +4: not a decimal number (expected [1, 256])"},
		{"--burst", "12x", "--burst 12x: not a decimal number (expected [1, 256])"},
		{"--burst", " 12", "--burst  12: not a decimal number (expected [1, 256])"},
		{"--burst", "0x10", "--burst 0x10: not a decimal number (expected [1, 256])"},
		{"--burst", "", "--burst : not a decimal number (expected [1, 256])"},
		{"--burst", "99999999999999999999999",
		 "--burst 99999999999999999999999: out of "
		 "range [1, 256]"},
		{"--stats-interval", "3601", "--stats-interval 3601: out of range [0, 3600]"},
		{"--irq-coalesce-frames", "4097",
		 "--irq-coalesce-frames 4097: out of range [0, 4096]"},
		{"--irq-coalesce-usecs", "1000001",
		 "--irq-coalesce-usecs 1000001: out of range [0, 1000000]"},
		{"--idle-sleep-us", "1000001",
		 "--idle-sleep-us 1000001: out of range [0, 1000000]"},
		{"--idle-sleep-us", "-5",
		 "--idle-sleep-us -5: not a decimal number (expected [0, 1000000])"},
		{"--idle-sleep-us", "10us",
		 "--idle-sleep-us 10us: not a decimal number (expected [0, 1000000])"},
		{"--mbufs", "1023", "--mbufs 1023: out of range [1024, 4194304]"},
		{"--mbufs", "4194305", "--mbufs 4194305: out of range [1024, 4194304]"},
		{"--duration", "31622401", "--duration 31622401: out of range [0, 31622400]"},
		{"--duration", "1m",
		 "--duration 1m: not a decimal number (expected [0, 31622400])"},
		{"--datapath", "fast",
		 "--datapath fast: unknown datapath (expected direct, mbuf or sink)"},
		{"--print-frontend", "kvm",
		 "--print-frontend kvm: unknown frontend (expected qemu, qemu,node=N or virtio-user)"},
		{"--queue-pairs", "two",
		 "--queue-pairs two: not a decimal number (queue pairs, clamped to [1, 256])"},
		{"--queue-pairs", "-3",
		 "--queue-pairs -3: not a decimal number (queue pairs, clamped to [1, 256])"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_config cfg;
		char err[ERR_LEN];

		if (parse(&cfg, err, cases[i].flag, cases[i].value, NULL) != -EINVAL)
			fail_msg("%s %s accepted", cases[i].flag, cases[i].value);
		assert_string_equal(err, cases[i].expected);
		assert_null(strchr(err, '\n')); /* one line */
	}
}

static void
cli_rejects_unknown_flags_missing_values_and_stray_arguments(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--bogus", NULL), -EINVAL);
	assert_string_equal(err, "unknown or ambiguous option '--bogus'");
	assert_int_equal(parse(&cfg, err, "-x", NULL), -EINVAL);
	assert_string_equal(err, "unknown option '-x'");
	assert_int_equal(parse(&cfg, err, "--burst", NULL), -EINVAL);
	assert_string_equal(err, "--burst: missing value");
	assert_int_equal(parse(&cfg, err, "--burst", "4", "stray", NULL), -EINVAL);
	assert_string_equal(err, "unexpected argument 'stray'");
	assert_int_equal(parse(&cfg, err, "--client=yes", NULL), -EINVAL);
	assert_string_equal(err, "--client takes no value");
	assert_int_equal(parse(&cfg, err, "--config", "/tmp/a.ini", "--config", "/tmp/b.ini", NULL),
			 -EINVAL);
	assert_string_equal(err, "--config /tmp/b.ini: --config given twice");
}

static void
cli_parse_is_reentrant_after_errors(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	for (int round = 0; round < 3; round++) {
		assert_int_equal(parse(&cfg, err, "--burst", "0", NULL), -EINVAL);
		assert_int_equal(parse(&cfg, err, "--bogus", "--burst", "3", NULL), -EINVAL);
		assert_int_equal(parse(&cfg, err, "--burst", "48", "--client", NULL), 0);
		assert_int_equal(cfg.burst, 48);
		assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_CLIENT);
	}
}

static void
help_answers_even_with_bad_values(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--burst", "0", "-h", NULL), 0);
	assert_true(cfg.help);
	assert_int_equal(parse(&cfg, err, "--help", NULL), 0);
	assert_true(cfg.help);
}

static void
socket_keys_set_queue_pairs_mac_mode_and_name(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--socket",
				      "/tmp/a.sock,queue-pairs=4,mac=02-00-00-00-aa-01,mode=client,"
				      "name=guest_a",
				      "--socket", "/tmp/b.sock", NULL),
			 0);
	assert_int_equal(cfg.nb_ifaces, 2);
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/a.sock");
	assert_string_equal(cfg.ifaces[0].name, "guest_a");
	assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_CLIENT);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 4);
	assert_int_equal(vl_mac_parse("02:00:00:00:aa:01", mac), 0);
	assert_memory_equal(cfg.ifaces[0].net.mac, mac, 6);
	assert_string_equal(cfg.ifaces[1].name, "vhost1");
	assert_int_equal(cfg.ifaces[1].mode, VL_SOCK_SERVER);
	assert_int_equal(cfg.ifaces[1].net.queue_pairs, 1);

	/* Clamped, not rejected. */
	assert_int_equal(parse(&cfg, err, "--socket", "/tmp/a,queue-pairs=0", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 1);
	assert_int_equal(parse(&cfg, err, "--socket", "/tmp/a,queue-pairs=300", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 256);
}

static void
socket_key_errors_name_the_socket_and_the_key(void **state)
{
	static const struct {
		const char *spec, *expected;
	} cases[] = {
		{"/tmp/a,colour=red",
		 "--socket /tmp/a,colour=red: colour: unknown key (known: queue-pairs, mac, mode, "
		 "name, socket-mode, socket-group)"},
		{"/tmp/a,client", "--socket /tmp/a,client: 'client' is not key=value"},
		{"/tmp/a,,mode=client", "--socket /tmp/a,,mode=client: '' is not key=value"},
		{"/tmp/a,mode=both",
		 "--socket /tmp/a,mode=both: mode=both: unknown mode (expected server or client)"},
		{"/tmp/a,queue-pairs=x",
		 "--socket /tmp/a,queue-pairs=x: queue-pairs=x: not a decimal number"},
		{"/tmp/a,mac=01:00:00:00:00:01",
		 "--socket /tmp/a,mac=01:00:00:00:00:01: mac=01:00:00:00:00:01: multicast MAC"},
		{"/tmp/a,name=a b", "--socket /tmp/a,name=a b: name=a b: interface name may only"},
		{"/tmp/a,name=", "--socket /tmp/a,name=: name=: interface name must be 1 to 31"},
		{"/tmp/a,mode=client,mode=server",
		 "--socket /tmp/a,mode=client,mode=server: mode given twice"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_config cfg;
		char err[ERR_LEN];

		if (parse(&cfg, err, "--socket", cases[i].spec, NULL) != -EINVAL)
			fail_msg("--socket %s accepted", cases[i].spec);
		assert_contains(err, cases[i].expected);
	}
}

static void
cli_queue_pairs_are_clamped_but_must_be_numbers(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "0", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 1);
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "257", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 256);
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "99999999999999999999999", NULL),
			 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 256);
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "4", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 4);
}

static void
cli_mac_applies_to_the_first_interface_only(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(vl_mac_parse("02:12:34:56:78:9a", mac), 0);
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/a", "--mac", "02:12:34:56:78:9a",
				      "--socket", "/tmp/b", NULL),
			 0);
	assert_memory_equal(cfg.ifaces[0].net.mac, mac, 6);
	assert_int_equal(cfg.ifaces[1].net.mac[5], 2);
	/* The mac= key of the first --socket wins over --mac. */
	assert_int_equal(parse_finish(&cfg, err, "--mac", "02:12:34:56:78:9a", "--socket",
				      "/tmp/a,mac=02:00:00:00:00:07", NULL),
			 0);
	assert_int_equal(cfg.ifaces[0].net.mac[5], 7);
}

/* ---- INI file and precedence -------------------------------------------------------------------
 */

static const char full_ini[] = "; a comment\n"
			       "[global]\n"
			       "datapath = mbuf\n"
			       "burst = 64 ; trailing comment\n"
			       "stats-interval = 10\n"
			       "stats-file = /tmp/stats.jsonl\n"
			       "irq-coalesce-frames = 8\n"
			       "irq-coalesce-usecs = 100\n"
			       "idle-sleep-us = 250\n"
			       "mbufs = 32768\n"
			       "steering-audit = 1\n"
			       "duration = 600\n"
			       "\n"
			       "[interface left]\n"
			       "socket = /tmp/left.sock\n"
			       "mode = client\n"
			       "queue-pairs = 4\n"
			       "mac = 02:00:00:00:10:01\n"
			       "[interface right]\n"
			       "socket=/tmp/right.sock\n";

static void
ini_file_sets_every_key(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_ini(&cfg, full_ini, err, NULL), 0);
	assert_int_equal(cfg.datapath, VL_DATAPATH_MBUF);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.stats_interval_s, 10);
	assert_string_equal(cfg.stats_file, "/tmp/stats.jsonl");
	assert_int_equal(cfg.irq_coalesce_frames, 8);
	assert_int_equal(cfg.irq_coalesce_usecs, 100);
	assert_int_equal(cfg.idle_sleep_us, 250);
	assert_int_equal(cfg.nb_mbufs, 32768);
	assert_int_equal(cfg.steering_audit, 1);
	assert_int_equal(cfg.duration_s, 600);
	assert_int_equal(cfg.nb_ifaces, 2);
	assert_string_equal(cfg.ifaces[0].name, "left");
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/left.sock");
	assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_CLIENT);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 4);
	assert_int_equal(cfg.ifaces[0].net.mac[4], 0x10);
	assert_string_equal(cfg.ifaces[1].name, "right");
	assert_string_equal(cfg.ifaces[1].socket_path, "/tmp/right.sock");
	assert_int_equal(cfg.ifaces[1].mode, VL_SOCK_SERVER);
	assert_int_equal(cfg.ifaces[1].net.queue_pairs, 1);
	assert_int_equal(cfg.ifaces[1].net.mac[5], 2); /* default of interface 1 */
}

static void
command_line_overrides_the_file_wherever_config_appears(void **state)
{
	struct tmp_file t;
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	tmp_file_write(&t, full_ini);
	/* --config after --burst: still loaded first, so --burst wins. */
	assert_int_equal(parse_finish(&cfg, err, "--burst", "16", "--config", t.path, "--datapath",
				      "direct", NULL),
			 0);
	assert_int_equal(cfg.burst, 16);
	assert_int_equal(cfg.datapath, VL_DATAPATH_DIRECT);
	assert_int_equal(cfg.stats_interval_s, 10); /* from the file */
	assert_int_equal(cfg.nb_ifaces, 2);

	/* --queue-pairs and --client override every interface of the file. */
	assert_int_equal(
		parse_finish(&cfg, err, "--config", t.path, "--queue-pairs", "2", "--client", NULL),
		0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 2);
	assert_int_equal(cfg.ifaces[1].net.queue_pairs, 2);
	assert_int_equal(cfg.ifaces[1].mode, VL_SOCK_CLIENT);

	/* Any --socket replaces the file's interfaces; its own keys win over the flags. */
	assert_int_equal(parse_finish(&cfg, err, "--config", t.path, "--socket",
				      "/tmp/cli.sock,queue-pairs=8,mode=server", "--socket",
				      "/tmp/cli2.sock", "--queue-pairs", "3", "--client", NULL),
			 0);
	assert_int_equal(cfg.nb_ifaces, 2);
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/cli.sock");
	assert_string_equal(cfg.ifaces[0].name, "vhost0");
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 8);
	assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_SERVER);
	assert_int_equal(cfg.ifaces[1].net.queue_pairs, 3);
	assert_int_equal(cfg.ifaces[1].mode, VL_SOCK_CLIENT);
	assert_int_equal(cfg.burst, 64); /* the file's [global] still applies */
	tmp_file_drop(&t);
}

static void
ini_errors_name_the_file_section_key_and_value(void **state)
{
	static const struct {
		const char *ini, *expected; /* expected follows "<path>" */
	} cases[] = {
		/* Every error carries the line number. */
		{"[global]\nbogus = 1\n",
		 ":2: [global] bogus: unknown key (known: datapath, burst, stats-interval, "
		 "stats-file, irq-coalesce-frames, irq-coalesce-usecs, idle-sleep-us, mbufs, "
		 "steering-audit, duration, numa, qp-lcore)"},
		{"[global]\nidle-sleep-us = 2000000\n",
		 ":2: [global] idle-sleep-us = 2000000: out of range [0, 1000000]"},
		{"[global]\n\nburst = 0\n", ":3: [global] burst = 0: out of range [1, 256]"},
		{"[global]\nmbufs = lots\n", ":2: [global] mbufs = lots: not a decimal number"},
		{"[global]\ndatapath = fast\n", ":2: [global] datapath = fast: unknown datapath"},
		{"; x\n[globals]\nburst = 4\n",
		 ":2: [globals]: unknown section (known: [global], [interface NAME])"},
		{"[interface vhost1]\nsocket = /tmp/a\ncolour = red\n",
		 ":3: [interface vhost1] colour: unknown key (known: socket, mode, queue-pairs, "
		 "mac, socket-mode, socket-group)"},
		{"[interface vhost1]\nmode = client\n",
		 ":1: [interface vhost1]: missing key socket"},
		{"[interface vhost1]\nsocket = /tmp/a\nmode = both\n",
		 ":3: [interface vhost1] mode = both: unknown mode (expected server or client)"},
		{"[interface vhost1]\nsocket = /tmp/a\nqueue-pairs = many\n",
		 ":3: [interface vhost1] queue-pairs = many: not a decimal number"},
		{"[interface bad name!]\nsocket = /tmp/a\n",
		 ":1: [interface bad name!]: interface name may only hold"},
		{"[interface]\nsocket = /tmp/a\n",
		 ":1: [interface]: interface name must be 1 to 31"},
		{"[global]\nburst = 4\nburst = 8\n",
		 ":3: [global] burst: given twice (first on line 2)"},
		{"[global]\n[global]\n", ":2: [global]: section given twice"},
		{"burst = 4\n", ":1: key before any section"},
		{"[global]\nburst 4\n", ":2: expected 'key = value' or '[section]'"},
		{"[global]\nburst =\n", ":2: burst: empty value"},
		{"[global]\nburst = # 4\n", ":2: burst: empty value"},
		{"[global\n", ":1: a section heading is '[name]' alone on its line"},
		{"[global] x\n", ":1: a section heading is '[name]' alone on its line"},
		{"[global]\n = 4\n", ":2: key must be 1 to 63 bytes"},
		/* Quotes: a whole value, or an error that says so. */
		{"[global]\nstats-file = \"/tmp/a\n",
		 ":2: stats-file = \"/tmp/a: the quote \" does not close"},
		{"[global]\nstats-file = '/tmp/a'b\n",
		 ":2: stats-file = '/tmp/a'b: text after the closing quote"},
		{"[global]\nstats-file = /tmp/it's\n",
		 ":2: stats-file = /tmp/it's: a quote inside a value"},
		{"[global]\nburst = \"\"\n", ":2: [global] burst = : not a decimal number"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_config cfg;
		char err[ERR_LEN], path[64], expected[512];

		if (load_ini(&cfg, cases[i].ini, err, path) != -EINVAL)
			fail_msg("accepted: %s", cases[i].ini);
		snprintf(expected, sizeof(expected), "%s%s", path, cases[i].expected);
		assert_contains(err, expected);
		assert_null(strchr(err, '\n'));
	}
}

static void
ini_accepts_hash_comments_and_quoted_values(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_ini(&cfg,
				  "# a profile\n"
				  "[global]   # run options\n"
				  "burst = 16 ; sixteen\n"
				  "stats-file = \"/tmp/with space#and;marks.jsonl\"  # quoted\n"
				  "[interface a]\n"
				  "socket = '/tmp/a b.sock'\n"
				  "mac = 02:00:00:00:00:0a#not-a-comment-without-a-blank-before\n",
				  err, NULL),
			 -EINVAL);
	assert_contains(err, ":7: [interface a] mac = 02:00:00:00:00:0a#not-a-comment");
	assert_int_equal(load_ini(&cfg,
				  "# a profile\n"
				  "[global]   # run options\n"
				  "burst = 16 ; sixteen\n"
				  "stats-file = \"/tmp/with space#and;marks.jsonl\"  # quoted\n"
				  "[interface a]\n"
				  "socket = '/tmp/a b.sock'\n",
				  err, NULL),
			 0);
	assert_int_equal(cfg.burst, 16);
	assert_string_equal(cfg.stats_file, "/tmp/with space#and;marks.jsonl");
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/a b.sock");
}

static void
ini_value_too_long_for_rte_cfgfile_is_an_error_not_a_truncation(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN], ini[600];

	(void)state;
	snprintf(ini, sizeof(ini), "[global]\nstats-file = /%0300d\n", 0);
	assert_int_equal(load_ini(&cfg, ini, err, NULL), -EINVAL);
	assert_contains(err, ":2: stats-file: value longer than 255 bytes");
}

static void
ini_missing_file_error_names_the_path_and_the_reason(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	vl_config_init(&cfg);
	assert_int_equal(vl_config_load_file(&cfg, "/nonexistent/vl.ini", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "/nonexistent/vl.ini: cannot open: No such file or directory");
	assert_int_equal(parse(&cfg, err, "--config", "/nonexistent/vl.ini", NULL), -EINVAL);
	assert_string_equal(err, "/nonexistent/vl.ini: cannot open: No such file or directory");
}

static void
ini_error_leaves_the_config_unchanged(void **state)
{
	struct tmp_file t;
	struct vl_config cfg, before;
	char err[ERR_LEN];

	(void)state;
	tmp_file_write(&t, "[global]\nburst = 100\n[interface a]\nsocket = /tmp/a\nmac = 0\n");
	vl_config_init(&cfg);
	before = cfg;
	assert_int_equal(vl_config_load_file(&cfg, t.path, err, sizeof(err)), -EINVAL);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	tmp_file_drop(&t);
}

static void
shipped_profiles_load_and_finish(void **state)
{
	static const struct {
		const char *file;
		unsigned int nb_ifaces, queue_pairs0, stats_interval_s;
	} profiles[] = {
		{"config/default.ini", 1, 1, 0},
		{"config/soak-4qp.ini", 1, 4, 10},
		{"config/two-interfaces.ini", 2, 1, 0},
	};
	const char *root = getenv("VL_SOURCE_ROOT");

	(void)state;
	if (root == NULL)
		root = "."; /* run from the source tree by hand */
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		struct vl_config cfg;
		char err[ERR_LEN], path[512];

		snprintf(path, sizeof(path), "%s/%s", root, profiles[i].file);
		vl_config_init(&cfg);
		if (vl_config_load_file(&cfg, path, err, sizeof(err)) != 0 ||
		    vl_config_finish(&cfg, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(cfg.nb_ifaces, profiles[i].nb_ifaces);
		assert_int_equal(cfg.ifaces[0].net.queue_pairs, profiles[i].queue_pairs0);
		assert_int_equal(cfg.stats_interval_s, profiles[i].stats_interval_s);
		if (profiles[i].stats_interval_s != 0)
			assert_true(cfg.stats_file[0] != '\0');
		/* A soak profile is for steering audits. */
		if (strstr(profiles[i].file, "soak") != NULL)
			assert_int_equal(cfg.steering_audit, 1);
		for (unsigned int k = 0; k < cfg.nb_ifaces; k++)
			assert_true(vl_mac_is_valid_unicast(cfg.ifaces[k].net.mac));
	}
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static const char default_json[] = "{\n"
				   "  \"datapath\": \"direct\",\n"
				   "  \"burst\": 32,\n"
				   "  \"stats_interval_s\": 0,\n"
				   "  \"stats_file\": \"\",\n"
				   "  \"irq_coalesce_frames\": 0,\n"
				   "  \"irq_coalesce_usecs\": 0,\n"
				   "  \"idle_sleep_us\": 0,\n"
				   "  \"mbufs\": 8192,\n"
				   "  \"steering_audit\": 0,\n"
				   "  \"duration_s\": 0,\n"
				   "  \"numa\": \"local\",\n"
				   "  \"qp_lcore\": \"\",\n"
				   "  \"interfaces\": [\n"
				   "    {\n"
				   "      \"name\": \"vhost0\",\n"
				   "      \"socket\": \"/tmp/vhostloop0.sock\",\n"
				   "      \"mode\": \"server\",\n"
				   "      \"mac\": \"02:00:00:00:00:01\",\n"
				   "      \"queue_pairs\": 1,\n"
				   "      \"socket_mode\": \"0660\",\n"
				   "      \"socket_group\": \"\"\n"
				   "    }\n"
				   "  ]\n"
				   "}\n";

static void
dump_of_the_defaults_is_the_documented_document(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	(void)state;
	vl_config_init(&cfg);
	assert_int_equal(vl_config_finish(&cfg, err, sizeof(err)), 0);
	out = dump(&cfg);
	assert_string_equal(out, default_json);
	free(out);
}

static void
dump_pins_mac_as_a_string_and_queue_pairs_as_a_number(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out, *mac, *qp, *end;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "4", NULL), 0);
	out = dump(&cfg);
	/* "mac": followed by a JSON string holding the MAC. */
	mac = strstr(out, "\"mac\":");
	assert_non_null(mac);
	mac += strlen("\"mac\":");
	while (*mac == ' ')
		mac++;
	assert_int_equal(*mac, '"');
	assert_int_equal(strncmp(mac, "\"02:00:00:00:00:01\"", 19), 0);
	/* "queue_pairs": followed by a bare number. */
	qp = strstr(out, "\"queue_pairs\":");
	assert_non_null(qp);
	qp += strlen("\"queue_pairs\":");
	while (*qp == ' ')
		qp++;
	assert_int_equal(strtoul(qp, &end, 10), 4);
	assert_true(end > qp);
	assert_true(*end == '\n' || *end == ',' || *end == '}');
	free(out);

	/* The loader pins the types too. */
	vl_config_init(&cfg);
	assert_int_equal(vl_config_load_json(&cfg,
					     "{\"interfaces\": [{\"socket\": \"/tmp/a\", "
					     "\"queue_pairs\": \"4\"}]}",
					     err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "interfaces[0] queue_pairs \"4\": expected an integer (clamped to "
			     "[1, 256]), got a string");
	assert_int_equal(vl_config_load_json(&cfg,
					     "{\"interfaces\": [{\"socket\": \"/tmp/a\", "
					     "\"mac\": 2}]}",
					     err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "interfaces[0] mac 2: expected a string, got an integer");
}

static void
dump_load_dump_is_byte_identical(void **state)
{
	struct vl_config cfg, back;
	char err[ERR_LEN];
	char *first, *second;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--datapath", "mbuf", "--burst", "7",
				      "--stats-interval", "3", "--stats-file",
				      "/tmp/we \"ird\"\\name\t\x01\n\xc3\xa9.jsonl",
				      "--irq-coalesce-frames", "9", "--irq-coalesce-usecs", "11",
				      "--idle-sleep-us", "13", "--mbufs", "2048",
				      "--steering-audit", "--duration", "90", "--socket",
				      "/tmp/a.sock,queue-pairs=4,mode=client,name=a-1", "--socket",
				      "/tmp/b.sock,mac=00:11:22:33:44:55", NULL),
			 0);
	first = dump(&cfg);
	vl_config_init(&back);
	if (vl_config_load_json(&back, first, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	second = dump(&back);
	assert_string_equal(first, second);
	assert_string_equal(back.stats_file, cfg.stats_file);
	assert_int_equal(back.nb_ifaces, 2);
	assert_int_equal(back.steering_audit, 1);
	assert_int_equal(back.duration_s, 90);
	assert_int_equal(back.idle_sleep_us, 13);
	assert_int_equal(back.ifaces[0].net.queue_pairs, 4);
	assert_int_equal(back.ifaces[0].mode, VL_SOCK_CLIENT);
	assert_contains(first, "\\\"ird\\\"\\\\name\\t\\u0001\\n\xc3\xa9");
	free(first);
	free(second);
}

static void
load_json_decodes_every_escape(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	vl_config_init(&cfg);
	assert_int_equal(vl_config_load_json(&cfg,
					     "{\"stats_file\": \"a\\/b\\\"c\\\\d\\b\\f\\n\\r\\t"
					     "\\u00e9\\u20ac\\ud83d\\ude00\"}",
					     err, sizeof(err)),
			 0);
	assert_string_equal(cfg.stats_file,
			    "a/b\"c\\d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void
load_json_rejects_malformed_unknown_and_out_of_range_input(void **state)
{
	static const struct {
		const char *doc, *expected;
	} cases[] = {
		/* Syntax: jansson's words, with line and column. */
		{"", "json:1:0: '[' or '{' expected near end of file"},
		{"{", "json:1:1: string or '}' expected near end of file"},
		{"{\"burst\": 4", "json:1:11: '}' expected near end of file"},
		{"{\"burst\": 4,}", "json:1:13: string or '}' expected"},
		{"{\"burst\": 4} x", "json:1:14: end of file expected near 'x'"},
		{"{\"burst\": 4, \"burst\": 5}", "json:1:20: duplicate object key"},
		{"{\"burst\": 007}", "json:1:11: invalid token"},
		{"{\"burst\": 99999999999999999999999}", "too big integer"},
		{"{\"stats_file\": \"a\nb\"}", "json:1:17: unexpected newline"},
		{"{\"stats_file\": \"a\\qb\"}", "invalid escape"},
		{"{\"stats_file\": \"\\u12\"}", "invalid escape"},
		{"{\"stats_file\": \"\\u0000\"}", "\\u0000 is not allowed"},
		{"{\"stats_file\": \"\\ud800\"}", "invalid Unicode '\\uD800'"},
		{"{\"stats_file\": \"\\udc00\"}", "invalid Unicode '\\uDC00'"},
		{"{\"stats_file\": \"abc", "premature end of input"},
		{"{\"stats_file\": \"\xff\"}", "json:1:"},
		/* Schema: the field, the value and what is accepted. */
		{"[]", "json: expected an object at the top, got an array"},
		{"{\"bogus\": 1}",
		 "json: unknown field \"bogus\" (known: datapath, burst, stats_interval_s, "
		 "stats_file, irq_coalesce_frames"},
		{"{\"burst\": -1}", "json: burst -1: expected an integer in [1, 256]"},
		{"{\"burst\": 1.5}",
		 "json: burst 1.5: expected an integer in [1, 256], got a fraction"},
		{"{\"burst\": 1e3}", "expected an integer in [1, 256], got a fraction"},
		{"{\"burst\": true}",
		 "json: burst true: expected an integer in [1, 256], got a boolean"},
		{"{\"burst\": 0}", "json: burst 0: out of range [1, 256]"},
		{"{\"mbufs\": 5}", "json: mbufs 5: out of range [1024, 4194304]"},
		{"{\"datapath\": \"fast\"}", "json: datapath \"fast\": unknown datapath"},
		{"{\"datapath\": null}", "json: datapath null: expected a string, got null"},
		{"{\"interfaces\": {}}", "json: interfaces: expected an array, got an object"},
		{"{\"interfaces\": [1]}",
		 "json: interfaces[0]: expected an object, got an integer"},
		{"{\"interfaces\": [{}]}", "interfaces[0]: missing field \"socket\""},
		{"{\"interfaces\": [{\"socket\": \"/a\", \"colour\": \"red\"}]}",
		 "interfaces[0]: unknown field \"colour\" (known: name, socket, mode, mac, "
		 "queue_pairs, socket_mode, socket_group)"},
		{"{\"interfaces\": [{\"socket\": \"/a\", \"socket\": \"/b\"}]}",
		 "duplicate object key"},
		{"{\"interfaces\": [{\"socket\": \"/a\", \"mac\": \"ff:ff:ff:ff:ff:ff\"}]}",
		 "interfaces[0] mac \"ff:ff:ff:ff:ff:ff\": broadcast MAC"},
		{"{\"interfaces\": [{\"socket\": \"/a\", \"mode\": \"both\"}]}",
		 "interfaces[0] mode \"both\": unknown mode"},
		{"{\"interfaces\": [{\"socket\": \"\"}]}", "socket path is 0 bytes"},
		{"{\"interfaces\": [{\"socket\": \"/a\"}, {\"socket\": \"/a\"}]}",
		 "json: interfaces vhost0 and vhost1 share the socket /a"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vl_config cfg, before;
		char err[ERR_LEN];

		vl_config_init(&cfg);
		before = cfg;
		if (vl_config_load_json(&cfg, cases[i].doc, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", cases[i].doc);
		assert_contains(err, cases[i].expected);
		assert_null(strchr(err, '\n'));
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
}

static void
load_json_clamps_queue_pairs_and_keeps_missing_fields(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	vl_config_init(&cfg);
	cfg.burst = 99;
	assert_int_equal(vl_config_load_json(&cfg,
					     " {\"interfaces\": [{\"socket\": \"/tmp/a\", "
					     "\"queue_pairs\": 1000}, {\"socket\": \"/tmp/b\", "
					     "\"queue_pairs\": 0}]} \n",
					     err, sizeof(err)),
			 0);
	assert_int_equal(cfg.burst, 99);
	assert_int_equal(cfg.nb_ifaces, 2);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 256);
	assert_int_equal(cfg.ifaces[1].net.queue_pairs, 1);
	assert_string_equal(cfg.ifaces[1].name, "vhost1");
	assert_int_equal(cfg.ifaces[1].net.mac[5], 2);
}

/* Dump cfg into a temporary file; its path in t. */
static void
dump_to_file(const struct vl_config *cfg, struct tmp_file *t)
{
	char *out = dump(cfg);

	tmp_file_write(t, out);
	free(out);
}

static void
every_shipped_profile_dumps_loads_back_through_config_and_dumps_identically(void **state)
{
	const char *root = getenv("VL_SOURCE_ROOT");
	char dir[512];
	unsigned int nb_profiles = 0;
	struct dirent *e;
	DIR *d;

	(void)state;
	if (root == NULL)
		root = ".";
	snprintf(dir, sizeof(dir), "%s/config", root);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct vl_config cfg, back;
		char err[ERR_LEN], path[1024];
		struct tmp_file t;
		char *first, *second;

		if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* The INI profile, as the engine sees it. */
		if (parse_finish(&cfg, err, "--config", path, NULL) != 0)
			fail_msg("%s: %s", path, err);
		first = dump(&cfg);
		/* The dump, given back to --config: detected as JSON by its content. */
		dump_to_file(&cfg, &t);
		if (parse_finish(&back, err, "--config", t.path, NULL) != 0)
			fail_msg("%s dumped: %s", path, err);
		second = dump(&back);
		assert_string_equal(first, second);
		tmp_file_drop(&t);
		free(first);
		free(second);
		nb_profiles++;
	}
	closedir(d);
	assert_true(nb_profiles >= 3);
}

static void
config_file_holding_json_follows_the_same_rules_and_names_the_file(void **state)
{
	struct vl_config cfg, before;
	char err[ERR_LEN], path[64];

	(void)state;
	/* Accepted with leading blanks; the command line still wins over it. */
	assert_int_equal(
		load_ini(&cfg,
			 "\n  {\"burst\": 9, \"interfaces\": [{\"socket\": \"/tmp/j.sock\", "
			 "\"queue_pairs\": 3, \"mode\": \"client\"}]}\n",
			 err, NULL),
		0);
	assert_int_equal(cfg.burst, 9);
	assert_int_equal(cfg.nb_ifaces, 1);
	assert_string_equal(cfg.ifaces[0].socket_path, "/tmp/j.sock");
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 3);
	assert_int_equal(cfg.ifaces[0].mode, VL_SOCK_CLIENT);

	/* Errors name the file, the field, the value and the range. */
	assert_int_equal(load_ini(&cfg, "{\"burst\": 999}", err, path), -EINVAL);
	assert_contains(err, path);
	assert_contains(err, ": burst 999: out of range [1, 256]");
	assert_int_equal(load_ini(&cfg, "{\"burst\": 4,\n \"mbufs\": x}", err, path), -EINVAL);
	assert_contains(err, path);
	assert_contains(err, ":2:");
	assert_int_equal(
		load_ini(&cfg,
			 "{\"interfaces\": [{\"socket\": \"/a\", \"mac\": \"01:00:00:00:00:01\"}]}",
			 err, path),
		-EINVAL);
	assert_contains(err, "interfaces[0] mac \"01:00:00:00:00:01\": multicast MAC");

	/* An error changes nothing. */
	{
		struct tmp_file t;

		tmp_file_write(&t, "{\"burst\": 5, \"bogus\": 1}");
		vl_config_init(&cfg);
		before = cfg;
		assert_int_equal(vl_config_load_file(&cfg, t.path, err, sizeof(err)), -EINVAL);
		assert_contains(err, "unknown field \"bogus\"");
		assert_memory_equal(&cfg, &before, sizeof(cfg));
		tmp_file_drop(&t);
	}
}

static void
strings_that_are_not_utf8_are_refused_so_the_dump_stays_json(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--stats-file", "/tmp/\xff.jsonl", NULL), -EINVAL);
	assert_contains(err, "not valid UTF-8");
	assert_int_equal(parse(&cfg, err, "--socket", "/tmp/\xc3.sock", NULL), -EINVAL);
	assert_contains(err, "not valid UTF-8");
	assert_int_equal(load_ini(&cfg, "[interface a]\nsocket = /tmp/\xfe\n", err, NULL), -EINVAL);
	assert_contains(err, "not valid UTF-8");
}

/* ---- frontend ------------------------------------------------------------------------------- */

static void
qemu_frontend_for_one_pair_has_no_multiqueue(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	char *notes;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, NULL), 0);
	out = print_frontend_notes(&cfg, VL_FRONTEND_QEMU, &notes);
	/* -m matches the backend; QEMU is the client here, so it reconnects. The arguments
	 * alone on stdout: they paste into a script. */
	assert_string_equal(out,
			    "-m 1G -object memory-backend-memfd,id=mem0,size=1G,share=on "
			    "-machine memory-backend=mem0 \\\n"
			    "-chardev socket,id=chr0,path=/tmp/vhostloop0.sock,reconnect=1 \\\n"
			    "-netdev vhost-user,id=net0,chardev=chr0 \\\n"
			    "-device virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01\n");
	assert_contains(notes, "vectors=0");
	assert_contains(notes, "QEMU 7.2");
	assert_null(strstr(out, "#"));
	assert_null(strstr(out, "queues="));
	assert_null(strstr(out, "mq=on"));
	assert_null(strstr(out, "server=on"));
	free(out);
	free(notes);
}

static void
qemu_frontend_for_four_pairs_and_two_interfaces(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out, *first, *last;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/a.sock,queue-pairs=4",
				      "--socket", "/tmp/b.sock,mode=client", NULL),
			 0);
	/* A ',' cannot come from --socket, but it can from a file. */
	strcpy(cfg.ifaces[1].socket_path, "/tmp/b,c.sock");
	out = print_frontend(&cfg, VL_FRONTEND_QEMU);
	assert_contains(out, "-chardev socket,id=chr0,path=/tmp/a.sock,reconnect=1 \\\n"
			     "-netdev vhost-user,id=net0,chardev=chr0,queues=4 \\\n"
			     "-device virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01,mq=on,"
			     "vectors=10 \\\n");
	/* QEMU doubles ',' in option values; the engine as client makes QEMU the server. */
	assert_contains(out, "-chardev socket,id=chr1,path=/tmp/b,,c.sock,server=on \\\n"
			     "-netdev vhost-user,id=net1,chardev=chr1 \\\n"
			     "-device virtio-net-pci,netdev=net1,mac=02:00:00:00:00:02\n");
	/* One memory backend for the whole VM. */
	first = strstr(out, "memory-backend-memfd");
	last = NULL;
	for (char *p = first; p != NULL; p = strstr(p + 1, "memory-backend-memfd"))
		last = p;
	assert_ptr_equal(first, last);
	free(out);
}

static void
virtio_user_frontend_for_one_and_four_pairs(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	char *notes;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, NULL), 0);
	out = print_frontend_notes(&cfg, VL_FRONTEND_VIRTIO_USER, &notes);
	assert_string_equal(out, "--vdev=net_virtio_user0,path=/tmp/vhostloop0.sock,queues=1,"
				 "mac=02:00:00:00:00:01\n");
	assert_contains(notes, "--no-huge");
	assert_contains(notes, "--single-file-segments");
	assert_null(strstr(out, "cq=1"));
	free(out);
	free(notes);

	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "4", "--socket", "/tmp/a.sock",
				      "--socket", "/tmp/b.sock,mode=client,queue-pairs=1", NULL),
			 0);
	out = print_frontend(&cfg, VL_FRONTEND_VIRTIO_USER);
	assert_contains(out, "--vdev=net_virtio_user0,path=/tmp/a.sock,queues=4,"
			     "mac=02:00:00:00:00:01,cq=1 \\\n"
			     "--vdev=net_virtio_user1,path=/tmp/b.sock,queues=1,"
			     "mac=02:00:00:00:00:02,server=1\n");
	free(out);
}

static void
frontend_arguments_are_shell_quoted_when_needed(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/it's here.sock", NULL), 0);
	out = print_frontend(&cfg, VL_FRONTEND_VIRTIO_USER);
	assert_contains(out, "'--vdev=net_virtio_user0,path=/tmp/it'\\''s here.sock,queues=1,"
			     "mac=02:00:00:00:00:01'\n");
	free(out);
	assert_int_equal(vl_config_print_frontend(&cfg, VL_FRONTEND_NONE, stdout, NULL), -EINVAL);
}

static void
frontend_socket_paths_are_absolute(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN], cwd[1024], want[1200];
	char *out;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(parse_finish(&cfg, err, "--socket", "rel.sock", NULL), 0);
	out = print_frontend(&cfg, VL_FRONTEND_QEMU);
	snprintf(want, sizeof(want), "path=%s/rel.sock,", cwd);
	assert_contains(out, want);
	free(out);
	out = print_frontend(&cfg, VL_FRONTEND_VIRTIO_USER);
	assert_contains(out, want);
	free(out);
}

static void
qemu_frontend_node_binds_guest_memory_to_the_node(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--print-frontend", "qemu,node=1", NULL), 0);
	assert_int_equal(cfg.print_frontend, VL_FRONTEND_QEMU);
	assert_int_equal(cfg.frontend_node, 1);
	out = print_frontend(&cfg, VL_FRONTEND_QEMU);
	assert_contains(out, "-m 1G -object memory-backend-memfd,id=mem0,size=1G,share=on,"
			     "host-nodes=1,policy=bind -numa node,memdev=mem0 \\\n");
	assert_null(strstr(out, "-machine memory-backend"));
	free(out);
	assert_int_equal(parse(&cfg, err, "--print-frontend", "qemu,node=x", NULL), -EINVAL);
	assert_contains(err,
			"--print-frontend qemu,node=x: node is a NUMA node number in [0, 1023]");
	assert_int_equal(parse(&cfg, err, "--print-frontend", "virtio-user,node=1", NULL), -EINVAL);
	assert_contains(err, "unknown frontend");
}

static void
queue_pairs_above_what_librte_vhost_serves_show_as_served(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	struct capture c;
	char *out;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "200", NULL), 0);
	assert_int_equal(cfg.ifaces[0].net.queue_pairs, 200); /* the NetConfig rule: [1, 256] */
	out = dump(&cfg);
	assert_contains(out, "\"queue_pairs\": 128");
	free(out);
	out = print_frontend(&cfg, VL_FRONTEND_QEMU);
	assert_contains(out, "queues=128");
	assert_contains(out, "vectors=258");
	free(out);
	out = print_frontend(&cfg, VL_FRONTEND_VIRTIO_USER);
	assert_contains(out, "queues=128");
	free(out);
	assert_int_equal(vl_config_notices(&cfg, capture_start(&c)), 1);
	out = capture_end(&c);
	assert_contains(out, "vhost0: librte_vhost serves at most 128 queue pairs: 128 served, "
			     "not 200");
	free(out);
}

static void
clamped_queue_pairs_give_a_notice_naming_both_values(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	struct capture c;
	char *out;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/a,queue-pairs=0", "--socket",
				      "/tmp/b,queue-pairs=300", "--socket", "/tmp/c,queue-pairs=4",
				      NULL),
			 0);
	assert_int_equal(vl_config_notices(&cfg, capture_start(&c)), 3);
	out = capture_end(&c);
	assert_contains(out, "vhost0: queue-pairs 0 clamped to 1 (accepted: [1, 256])");
	assert_contains(out, "vhost1: queue-pairs 300 clamped to 256");
	assert_contains(out, "vhost1: librte_vhost serves at most 128 queue pairs");
	assert_null(strstr(out, "vhost2"));
	free(out);
	/* The same from the flag, the file and JSON. */
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "0", NULL), 0);
	assert_int_equal(vl_config_notices(&cfg, capture_start(&c)), 1);
	free(capture_end(&c));
	assert_int_equal(
		load_ini(&cfg, "[interface a]\nsocket = /tmp/a\nqueue-pairs = 999\n", err, NULL),
		0);
	assert_int_equal(cfg.ifaces[0].queue_pairs_given, 999);
	vl_config_init(&cfg);
	assert_int_equal(vl_config_load_json(&cfg,
					     "{\"interfaces\": [{\"socket\": \"/a\", "
					     "\"queue_pairs\": 0}]}",
					     err, sizeof(err)),
			 0);
	assert_int_equal(vl_config_notices(&cfg, capture_start(&c)), 1);
	free(capture_end(&c));
}

static void
socket_mode_and_group_from_flags_socket_keys_ini_and_json(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];
	char *out;

	(void)state;
	/* Default 0660, the engine's own group. */
	assert_int_equal(parse_finish(&cfg, err, NULL), 0);
	assert_int_equal(cfg.ifaces[0].socket_mode, 0660);
	assert_int_equal(cfg.ifaces[0].socket_gid, -1);
	/* Flags reach every interface; a key of --socket wins. */
	assert_int_equal(parse_finish(&cfg, err, "--socket-mode", "0600", "--socket-group", "root",
				      "--socket", "/tmp/a", "--socket",
				      "/tmp/b,socket-mode=666,socket-group=4242", NULL),
			 0);
	assert_int_equal(cfg.ifaces[0].socket_mode, 0600);
	assert_int_equal(cfg.ifaces[0].socket_gid, 0);
	assert_string_equal(cfg.ifaces[0].socket_group, "root");
	assert_int_equal(cfg.ifaces[1].socket_mode, 0666);
	assert_int_equal(cfg.ifaces[1].socket_gid, 4242);
	out = dump(&cfg);
	assert_contains(out, "\"socket_mode\": \"0600\",\n      \"socket_group\": \"root\"");
	assert_contains(out, "\"socket_mode\": \"0666\",\n      \"socket_group\": \"4242\"");
	free(out);
	/* INI keys. */
	assert_int_equal(load_ini(&cfg,
				  "[interface a]\nsocket = /tmp/a\nsocket-mode = 0640\n"
				  "socket-group = 0\n",
				  err, NULL),
			 0);
	assert_int_equal(cfg.ifaces[0].socket_mode, 0640);
	assert_int_equal(cfg.ifaces[0].socket_gid, 0);
	/* JSON. */
	vl_config_init(&cfg);
	assert_int_equal(
		vl_config_load_json(&cfg,
				    "{\"interfaces\": [{\"socket\": \"/a\", "
				    "\"socket_mode\": \"0604\", \"socket_group\": \"root\"}]}",
				    err, sizeof(err)),
		0);
	assert_int_equal(cfg.ifaces[0].socket_mode, 0604);
	assert_int_equal(cfg.ifaces[0].socket_gid, 0);
	/* Errors name the value and what is accepted. */
	assert_int_equal(parse(&cfg, err, "--socket-mode", "0999", NULL), -EINVAL);
	assert_contains(err, "--socket-mode 0999: not an octal permission mode in [0000, 0777]");
	assert_int_equal(parse(&cfg, err, "--socket-mode", "4755", NULL), -EINVAL);
	assert_int_equal(parse(&cfg, err, "--socket-mode", "", NULL), -EINVAL);
	assert_int_equal(parse(&cfg, err, "--socket-group", "no-such-group-here", NULL), -EINVAL);
	assert_contains(err, "--socket-group no-such-group-here: no such group");
	assert_int_equal(parse(&cfg, err, "--socket", "/tmp/a,socket-mode=8", NULL), -EINVAL);
	assert_contains(err, "--socket /tmp/a,socket-mode=8: socket-mode=8: not an octal");
	assert_int_equal(load_ini(&cfg, "[interface a]\nsocket = /tmp/a\nsocket-group = nope-x\n",
				  err, NULL),
			 -EINVAL);
	assert_contains(err, "socket-group = nope-x: no such group");
}

static void
version_flag_is_an_action(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--version", NULL), 0);
	assert_true(cfg.version);
	assert_int_equal(parse(&cfg, err, "--version=1", NULL), -EINVAL);
}

/* A listening unix socket at path; returns its fd. */
static int
listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void
paths_are_checked_before_anything_is_created(void **state)
{
	char dir[] = "/tmp/test_config_paths_XXXXXX";
	char path[100], spec[300], err[ERR_LEN];
	struct vl_config cfg;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* Absent path in an existing directory: fine, and nothing is created. */
	snprintf(path, sizeof(path), "%s/a.sock", dir);
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* Missing directory. */
	snprintf(spec, sizeof(spec), "%s/missing/a.sock", dir);
	assert_int_equal(parse_finish(&cfg, err, "--socket", spec, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "vhost0: socket ");
	assert_contains(err, "/missing does not exist");
	/* A regular file. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "exists and is not a socket");
	unlink(path);
	/* A directory. */
	assert_int_equal(parse_finish(&cfg, err, "--socket", dir, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "is a directory");
	/* A live listener; once it is closed the socket is stale and accepted (replaced later). */
	fd = listen_at(path);
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "in use by a live listener");
	/* In client mode the frontend's listener is what we connect to. */
	assert_int_equal(parse_finish(&cfg, err, "--client", "--socket", path, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), 0);
	close(fd);
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), 0);
	unlink(path);
	/* --stats-file in a missing directory, or naming a directory. */
	snprintf(spec, sizeof(spec), "%s/missing/s.jsonl", dir);
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, "--stats-file", spec, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "--stats-file ");
	assert_contains(err, "/missing does not exist");
	assert_int_equal(parse_finish(&cfg, err, "--socket", path, "--stats-file", dir, NULL), 0);
	assert_int_equal(vl_config_check_paths(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "is not a regular file");
	assert_int_equal(rmdir(dir), 0); /* nothing was left inside */
}

static void
usage_lists_every_option_with_its_range(void **state)
{
	static const char *const needles[] = {
		"--socket PATH",
		"queue-pairs=N",
		"mac=MAC",
		"mode=server|client",
		"name=NAME",
		"--client",
		"--queue-pairs N",
		"--mac MAC",
		"--config FILE",
		"--datapath",
		"--burst N",
		"[1, 256] (default 32)",
		"--stats-interval",
		"[0, 3600]",
		"--stats-file PATH",
		"--irq-coalesce-frames",
		"[0, 4096]",
		"--irq-coalesce-usecs",
		"[0, 1000000]",
		"--idle-sleep-us N",
		"idle-sleep-us, mbufs",
		"--mbufs N",
		"[1024, 4194304]",
		"(default 8192)",
		"--socket-mode OCTAL",
		"(default 0660)",
		"--socket-group NAME|GID",
		"--version",
		"qemu,node=N",
		"'#'",
		"--dump-config",
		"--print-frontend",
		"--numa local|remote|none",
		"--qp-lcore IFACE:QP=LCORE",
		"qp-lcore = vhost0:0=1,vhost0:1=2",
		"-h, --help",
		"[global]",
		"[interface NAME]",
		"/tmp/vhostloop0.sock",
		"107 bytes",
	};
	struct capture c;
	char *out;

	(void)state;
	vl_config_usage(capture_start(&c), "vhostloop");
	out = capture_end(&c);
	assert_contains(out, "Usage: vhostloop [EAL options] [--] [options]");
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		assert_contains(out, needles[i]);
	/* Within 80 columns (the program name here is 9 bytes, as "vhostloop"). */
	for (char *line = out, *nl; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (nl - line > 80)
			fail_msg("--help line of %d columns: %.*s", (int)(nl - line),
				 (int)(nl - line), line);
	}
	free(out);
}

/* ---- NUMA policy and the queue pair -> lcore map ----------------------------------------- */

static void
numa_defaults_to_local_and_takes_three_policies(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, NULL), 0);
	assert_int_equal(cfg.numa, VL_NUMA_LOCAL);
	assert_int_equal(cfg.nb_qp_lcore, 0);
	assert_int_equal(parse_finish(&cfg, err, "--numa", "remote", NULL), 0);
	assert_int_equal(cfg.numa, VL_NUMA_REMOTE);
	assert_int_equal(parse_finish(&cfg, err, "--numa", "none", NULL), 0);
	assert_int_equal(cfg.numa, VL_NUMA_NONE);
	assert_int_equal(parse_finish(&cfg, err, "--numa", "remote", "--numa", "local", NULL), 0);
	assert_int_equal(cfg.numa, VL_NUMA_LOCAL);
	assert_int_equal(parse(&cfg, err, "--numa", "far", NULL), -EINVAL);
	assert_contains(err, "--numa far");
	assert_contains(err, "local, remote or none");
	assert_string_equal(vl_numa_policy_name(VL_NUMA_REMOTE), "remote");
}

static void
qp_lcore_map_accumulates_over_repeats(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN], map[256];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "4", "--qp-lcore",
				      "vhost0:0=1,vhost0:3=2", "--qp-lcore", "vhost0:1=7", NULL),
			 0);
	assert_int_equal(cfg.nb_qp_lcore, 3);
	assert_string_equal(cfg.qp_lcore[0].iface, "vhost0");
	assert_int_equal(cfg.qp_lcore[0].qp, 0);
	assert_int_equal(cfg.qp_lcore[0].lcore, 1);
	assert_int_equal(cfg.qp_lcore[1].qp, 3);
	assert_int_equal(cfg.qp_lcore[1].lcore, 2);
	assert_int_equal(cfg.qp_lcore[2].qp, 1);
	assert_int_equal(cfg.qp_lcore[2].lcore, 7);
	assert_int_equal(vl_config_format_qp_lcore(&cfg, map, sizeof(map)),
			 (int)strlen("vhost0:0=1,vhost0:3=2,vhost0:1=7"));
	assert_string_equal(map, "vhost0:0=1,vhost0:3=2,vhost0:1=7");
	/* A too-short buffer still says how much is needed and stays terminated. */
	assert_int_equal(vl_config_format_qp_lcore(&cfg, map, 5), 32);
	assert_string_equal(map, "vhos");
	/* Interface names with ':' in them are not allowed, but '.' and '-' are. */
	assert_int_equal(parse_finish(&cfg, err, "--socket", "/tmp/x.sock,name=a.b-c,queue-pairs=2",
				      "--qp-lcore", "a.b-c:1=3", NULL),
			 0);
	assert_string_equal(cfg.qp_lcore[0].iface, "a.b-c");
}

static void
qp_lcore_syntax_errors_name_the_item(void **state)
{
	static const char *const bad[][2] = {
		{"vhost0:0", "not IFACE:QP=LCORE"}, {"vhost0=1", "not IFACE:QP=LCORE"},
		{":0=1", "not IFACE:QP=LCORE"},	    {"vhost0:0=1,", "not IFACE:QP=LCORE"},
		{"vhost0:x=1", "queue pair 'x'"},   {"vhost0:256=1", "queue pair '256'"},
		{"vhost0:0=", "lcore ''"},	    {"vhost0:0=-1", "lcore '-1'"},
		{"vhost0:0=1024", "[0, 1023]"},	    {"vhost0:0=1,vhost0:0=2", "mapped twice"},
	};
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&cfg, err, "--qp-lcore", bad[i][0], NULL) != -EINVAL)
			fail_msg("--qp-lcore %s accepted", bad[i][0]);
		assert_contains(err, "--qp-lcore");
		assert_contains(err, bad[i][1]);
	}
}

static void
qp_lcore_must_name_an_interface_and_one_of_its_pairs(void **state)
{
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--qp-lcore", "vhost9:0=1", NULL), -EINVAL);
	assert_contains(err, "no interface named vhost9");
	assert_int_equal(
		parse_finish(&cfg, err, "--queue-pairs", "2", "--qp-lcore", "vhost0:2=1", NULL),
		-EINVAL);
	assert_contains(err, "vhost0 has 2 queue pair(s) (0 to 1)");
	assert_int_equal(
		parse_finish(&cfg, err, "--queue-pairs", "2", "--qp-lcore", "vhost0:1=1", NULL), 0);
}

static void
ini_numa_and_qp_lcore_and_the_cli_replaces_the_map(void **state)
{
	static const char ini[] = "[global]\n"
				  "numa = remote\n"
				  "qp-lcore = a:0=1,a:1=2\n"
				  "[interface a]\n"
				  "socket = /tmp/a.sock\n"
				  "queue-pairs = 2\n";
	struct tmp_file t;
	struct vl_config cfg;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(load_ini(&cfg, ini, err, NULL), 0);
	assert_int_equal(cfg.numa, VL_NUMA_REMOTE);
	assert_int_equal(cfg.nb_qp_lcore, 2);
	assert_int_equal(cfg.qp_lcore[1].qp, 1);
	assert_int_equal(cfg.qp_lcore[1].lcore, 2);
	tmp_file_write(&t, ini);
	assert_int_equal(parse_finish(&cfg, err, "--config", t.path, "--qp-lcore", "a:1=5",
				      "--numa", "none", NULL),
			 0);
	assert_int_equal(cfg.numa, VL_NUMA_NONE);
	assert_int_equal(cfg.nb_qp_lcore, 1);
	assert_int_equal(cfg.qp_lcore[0].qp, 1);
	assert_int_equal(cfg.qp_lcore[0].lcore, 5);
	/* --socket replaces the file's interfaces: the file's map now names a missing one. */
	assert_int_equal(
		parse_finish(&cfg, err, "--config", t.path, "--socket", "/tmp/b.sock", NULL),
		-EINVAL);
	assert_contains(err, "no interface named a");
	tmp_file_drop(&t);
	assert_int_equal(load_ini(&cfg, "[global]\nnuma = near\n", err, NULL), -EINVAL);
	assert_contains(err, "[global] numa = near");
	assert_int_equal(load_ini(&cfg, "[global]\nqp-lcore = a:0\n", err, NULL), -EINVAL);
	assert_contains(err, "[global] qp-lcore = a:0");
}

static void
json_round_trips_numa_and_the_map(void **state)
{
	struct vl_config cfg, back;
	char err[ERR_LEN];
	char *first, *second;

	(void)state;
	assert_int_equal(parse_finish(&cfg, err, "--queue-pairs", "3", "--numa", "remote",
				      "--qp-lcore", "vhost0:2=1,vhost0:0=3", NULL),
			 0);
	first = dump(&cfg);
	assert_contains(first, "\"numa\": \"remote\"");
	assert_contains(first, "\"qp_lcore\": \"vhost0:2=1,vhost0:0=3\"");
	vl_config_init(&back);
	if (vl_config_load_json(&back, first, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(back.numa, VL_NUMA_REMOTE);
	assert_int_equal(back.nb_qp_lcore, 2);
	assert_int_equal(back.qp_lcore[0].qp, 2);
	assert_int_equal(back.qp_lcore[1].lcore, 3);
	second = dump(&back);
	assert_string_equal(first, second);
	free(first);
	free(second);
	/* A map naming a missing interface or pair is refused like on the command line. */
	vl_config_init(&back);
	assert_int_equal(vl_config_load_json(&back,
					     "{\"qp_lcore\": \"vhost0:0=1\", \"interfaces\": "
					     "[{\"socket\": \"/tmp/z.sock\", \"name\": \"z\"}]}",
					     err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "no interface named vhost0");
	assert_int_equal(vl_config_load_json(&back, "{\"numa\": \"near\"}", err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "numa \"near\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_mac_is_locally_administered_and_unicast),
		cmocka_unit_test(setters_override_the_default_and_leave_the_rest),
		cmocka_unit_test(queue_pairs_are_clamped_to_1_and_256),
		cmocka_unit_test(mac_parse_accepts_colon_dash_and_any_case),
		cmocka_unit_test(mac_parse_rejects_malformed_text_and_keeps_the_output),
		cmocka_unit_test(multicast_broadcast_and_zero_macs_are_not_unicast),
		cmocka_unit_test(cli_and_file_reject_multicast_broadcast_and_zero_macs),
		cmocka_unit_test(mac_without_the_local_bit_is_accepted),
		cmocka_unit_test(init_sets_documented_defaults_and_finish_adds_vhost0),
		cmocka_unit_test(interface_k_gets_the_default_mac_with_last_octet_k_plus_1),
		cmocka_unit_test(two_interfaces_with_one_socket_name_or_mac_are_rejected),
		cmocka_unit_test(socket_path_must_fit_sun_path),
		cmocka_unit_test(cli_sets_every_run_option),
		cmocka_unit_test(cli_accepts_the_edges_of_every_range),
		cmocka_unit_test(cli_errors_name_the_flag_the_value_and_the_range),
		cmocka_unit_test(cli_rejects_unknown_flags_missing_values_and_stray_arguments),
		cmocka_unit_test(cli_parse_is_reentrant_after_errors),
		cmocka_unit_test(help_answers_even_with_bad_values),
		cmocka_unit_test(socket_keys_set_queue_pairs_mac_mode_and_name),
		cmocka_unit_test(socket_key_errors_name_the_socket_and_the_key),
		cmocka_unit_test(cli_queue_pairs_are_clamped_but_must_be_numbers),
		cmocka_unit_test(cli_mac_applies_to_the_first_interface_only),
		cmocka_unit_test(ini_file_sets_every_key),
		cmocka_unit_test(command_line_overrides_the_file_wherever_config_appears),
		cmocka_unit_test(ini_errors_name_the_file_section_key_and_value),
		cmocka_unit_test(ini_value_too_long_for_rte_cfgfile_is_an_error_not_a_truncation),
		cmocka_unit_test(ini_accepts_hash_comments_and_quoted_values),
		cmocka_unit_test(ini_missing_file_error_names_the_path_and_the_reason),
		cmocka_unit_test(ini_error_leaves_the_config_unchanged),
		cmocka_unit_test(shipped_profiles_load_and_finish),
		cmocka_unit_test(dump_of_the_defaults_is_the_documented_document),
		cmocka_unit_test(dump_pins_mac_as_a_string_and_queue_pairs_as_a_number),
		cmocka_unit_test(dump_load_dump_is_byte_identical),
		cmocka_unit_test(load_json_decodes_every_escape),
		cmocka_unit_test(load_json_rejects_malformed_unknown_and_out_of_range_input),
		cmocka_unit_test(load_json_clamps_queue_pairs_and_keeps_missing_fields),
		cmocka_unit_test(
			every_shipped_profile_dumps_loads_back_through_config_and_dumps_identically),
		cmocka_unit_test(
			config_file_holding_json_follows_the_same_rules_and_names_the_file),
		cmocka_unit_test(strings_that_are_not_utf8_are_refused_so_the_dump_stays_json),
		cmocka_unit_test(qemu_frontend_for_one_pair_has_no_multiqueue),
		cmocka_unit_test(qemu_frontend_for_four_pairs_and_two_interfaces),
		cmocka_unit_test(virtio_user_frontend_for_one_and_four_pairs),
		cmocka_unit_test(frontend_arguments_are_shell_quoted_when_needed),
		cmocka_unit_test(frontend_socket_paths_are_absolute),
		cmocka_unit_test(qemu_frontend_node_binds_guest_memory_to_the_node),
		cmocka_unit_test(queue_pairs_above_what_librte_vhost_serves_show_as_served),
		cmocka_unit_test(clamped_queue_pairs_give_a_notice_naming_both_values),
		cmocka_unit_test(socket_mode_and_group_from_flags_socket_keys_ini_and_json),
		cmocka_unit_test(version_flag_is_an_action),
		cmocka_unit_test(paths_are_checked_before_anything_is_created),
		cmocka_unit_test(usage_lists_every_option_with_its_range),
		cmocka_unit_test(numa_defaults_to_local_and_takes_three_policies),
		cmocka_unit_test(qp_lcore_map_accumulates_over_repeats),
		cmocka_unit_test(qp_lcore_syntax_errors_name_the_item),
		cmocka_unit_test(qp_lcore_must_name_an_interface_and_one_of_its_pairs),
		cmocka_unit_test(ini_numa_and_qp_lcore_and_the_cli_replaces_the_map),
		cmocka_unit_test(json_round_trips_numa_and_the_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_opts.c - vhostloop-gen command line: options, defaults, EAL arguments. Pure C, no EAL. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Must equal RTE_PKTMBUF_HEADROOM (gen_port.c checks it at compile time). */
enum { GEN_MBUF_HEADROOM = 128 };

/* Mbufs the per-lcore mempool caches may hold (8 lcores, 1.5 x the cache size each). */
enum { GEN_POOL_CACHE_SLACK = 8 * GEN_MBUF_CACHE * 3 / 2 };

static const uint8_t gen_default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* IMIX 7:4:1 of 64/594/1518 bytes. */
static const uint16_t gen_imix_sizes[] = {64, 594, 1518};

enum {
	OPT_SOCKET = 256,
	OPT_QUEUE_PAIRS,
	OPT_MAC,
	OPT_SERVER,
	OPT_MRG_RXBUF,
	OPT_IN_ORDER,
	OPT_PACKED,
	OPT_RING_SIZE,
	OPT_TX_FREE_THRESH,
	OPT_MODE,
	OPT_CONNECT_TIMEOUT,
	OPT_JSON,
	OPT_STATS_INTERVAL,
	OPT_QUIET,
	OPT_FRAMES,
	OPT_SIZES,
	OPT_WINDOW,
	OPT_TIMEOUT,
	OPT_DURATION,
	OPT_WARMUP,
	OPT_SIZE,
	OPT_IMIX,
	OPT_RATE,
	OPT_BURST,
	OPT_LATENCY,
	OPT_NO_LATENCY,
	OPT_TX_ONLY,
	OPT_LATENCY_SAMPLE,
	OPT_TX_HDR_DESC,
	OPT_SELFTEST_CORRUPT,
	OPT_FLOWS,
	OPT_SPLIT_FLOWS,
	OPT_IDLE_QP,
	OPT_SELFTEST_DROP,
	OPT_SELFTEST_DUP,
	OPT_HELP,
};

static const struct option gen_long_opts[] = {
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"queue-pairs", required_argument, NULL, OPT_QUEUE_PAIRS},
	{"mac", required_argument, NULL, OPT_MAC},
	{"server", no_argument, NULL, OPT_SERVER},
	{"mrg-rxbuf", required_argument, NULL, OPT_MRG_RXBUF},
	{"in-order", required_argument, NULL, OPT_IN_ORDER},
	{"packed", required_argument, NULL, OPT_PACKED},
	{"ring-size", required_argument, NULL, OPT_RING_SIZE},
	{"tx-free-thresh", required_argument, NULL, OPT_TX_FREE_THRESH},
	{"mode", required_argument, NULL, OPT_MODE},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"json", required_argument, NULL, OPT_JSON},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"frames", required_argument, NULL, OPT_FRAMES},
	{"sizes", required_argument, NULL, OPT_SIZES},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"size", required_argument, NULL, OPT_SIZE},
	{"imix", no_argument, NULL, OPT_IMIX},
	{"rate", required_argument, NULL, OPT_RATE},
	{"burst", required_argument, NULL, OPT_BURST},
	{"latency", no_argument, NULL, OPT_LATENCY},
	{"no-latency", no_argument, NULL, OPT_NO_LATENCY},
	{"tx-only", no_argument, NULL, OPT_TX_ONLY},
	{"latency-sample", required_argument, NULL, OPT_LATENCY_SAMPLE},
	{"tx-hdr-desc", no_argument, NULL, OPT_TX_HDR_DESC},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"split-flows", required_argument, NULL, OPT_SPLIT_FLOWS},
	{"idle-qp", required_argument, NULL, OPT_IDLE_QP},
	{"selftest-corrupt", required_argument, NULL, OPT_SELFTEST_CORRUPT},
	{"selftest-drop", required_argument, NULL, OPT_SELFTEST_DROP},
	{"selftest-dup", required_argument, NULL, OPT_SELFTEST_DUP},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

void
gen_opts_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options --] [options]\n"
		"Plays the guest of a vhost-user loopback through DPDK's net_virtio_user: every "
		"frame\n"
		"sent on queue pair i must come back byte-identical on RX queue i.\n"
		"\n"
		"Without \"--\" the EAL arguments are: -l 0 --no-huge -m 512 --no-pci\n"
		"  --file-prefix vlgen-<pid> --log-level=*:notice (-m grows when the mempools need "
		"more).\n"
		"The generator adds --vdev net_virtio_user0,path=<socket>,... unless the EAL "
		"options\n"
		"already have a net_virtio_user vdev. Given EAL options must keep memory "
		"shareable\n"
		"with the backend: --no-huge, or hugepages with --single-file-segments.\n"
		"\n"
		"Options:\n"
		"  --socket PATH          engine socket (required unless a net_virtio_user vdev is "
		"given)\n"
		"  --queue-pairs N        queue pairs, [1, %d] (default 1; the vdev gets cq=1 when "
		"> 1)\n"
		"  --mac MAC              vdev mac= and the frames' source and destination MAC\n"
		"                         (default 02:00:00:00:00:01)\n"
		"  --server               virtio-user listens on the socket (the engine is the "
		"client)\n"
		"  --mrg-rxbuf 0|1        mergeable RX buffers (default 1)\n"
		"  --in-order 0|1         VIRTIO_F_IN_ORDER (default 0)\n"
		"  --packed 0|1           packed virtqueues (default 0)\n"
		"  --ring-size N          virtqueue size, power of two in [64, 4096] (default "
		"256)\n"
		"  --tx-free-thresh N     the TX queues' tx_free_thresh: the virtio PMD frees sent "
		"mbufs\n"
		"                         once more than ring size - N came back used; 0 = "
		"DPDK's\n"
		"                         default (32 for rings of 128 and up), else < ring size - "
		"3.\n"
		"                         Split rings only (packed TX ignores it). Default: perf "
		"mode\n"
		"                         ring size - %d (frees ~%d recent mbufs at a time), "
		"check mode 0\n"
		"  --mode check|perf      default check\n"
		"  --connect-timeout S    how long to wait for the socket, the link and the first\n"
		"                         looped frame, and at most between two looped frames "
		"(default 10)\n"
		"  --json FILE            write the result as one JSON object\n"
		"  --stats-interval S     one line of per-queue rates every S seconds (default 0 = "
		"off)\n"
		"  --quiet                only the result lines\n"
		"Check mode:\n"
		"  --frames N             frames per queue pair, [1, 2^32] (default 10000)\n"
		"  --sizes LIST           comma-separated frame lengths without FCS, each in [%d, "
		"%d];\n"
		"                         frames cycle through them (default 60,1514,9000)\n"
		"  --window N             frames in flight per queue pair, [1, ring size] "
		"(default: half\n"
		"                         the RX ring, divided by the RX buffers the largest frame "
		"needs)\n"
		"  --timeout S            whole check (default 30)\n"
		"  --tx-hdr-desc          TX frames without headroom: the virtio PMD puts the "
		"virtio-net\n"
		"                         header in a descriptor of its own (an indirect table "
		"of header\n"
		"                         and frame; with --in-order 1 a 2-descriptor chain)\n"
		"Perf mode:\n"
		"  --duration S           measured time (default 10)\n"
		"  --warmup S             unmeasured time before it (default 2)\n"
		"  --size N               frame length without FCS, [%d, %d] (default 64)\n"
		"  --imix                 64/594/1518-byte frames, 7:4:1, instead of --size\n"
		"  --rate PPS|max         frames per second per queue pair (default max)\n"
		"  --burst N              frames per TX/RX burst, [1, %d] (default 32)\n"
		"  --latency|--no-latency round-trip latency from TSC stamps (default on; frames "
		"under\n"
		"                         62 bytes carry too little of the stamp and are not "
		"timed)\n"
		"  --tx-only              the backend is a sink (vhostloop --datapath sink): pass "
		"when\n"
		"                         frames were sent; measures the generator's own ceiling\n"
		"  --latency-sample N     time one returned frame in N, [1, %d] (default %d); the "
		"others\n"
		"                         are only counted (1: parse every frame)\n"
		"Flows (steering audits; both modes unless said):\n"
		"  --flows N              flows per queue pair, [1, %d] (default 1): UDP source "
		"port\n"
		"                         1024 + qp, destination port 10000 + flow; frames take "
		"turns\n"
		"  --split-flows K        K flows sent on two queue pairs each (j on qp j %% Q "
		"and\n"
		"                         (j + 1) %% Q; UDP ports 40000 + j), [0, %d] (default "
		"0);\n"
		"                         needs 2 queue pairs or more\n"
		"  --idle-qp Q[:START:LEN]  perf mode: queue pair Q sends nothing, from START s "
		"after\n"
		"                         sending began for LEN s (0 = to the end; default the "
		"whole run)\n"
		"Testing the checker itself (not the backend):\n"
		"  --selftest-corrupt N   flip one byte of the Nth frame received on queue pair 0 "
		"before\n"
		"                         verifying it; the check must then FAIL with corrupt 1\n"
		"  --selftest-drop N      ignore the Nth frame received on queue pair 0: FAIL, missing 1\n"
		"  --selftest-dup N       verify the Nth frame received on queue pair 0 twice: FAIL,\n"
		"                         duplicate 1\n"
		"\n"
		"Exit status: 0 pass, 1 check failure / cannot connect / timeout, 2 usage error.\n",
		prog, GEN_MAX_QP, GEN_TX_FREE_RECENT, GEN_TX_FREE_RECENT, GEN_FRAME_MIN_BYTES,
		GEN_FRAME_MAX_BYTES, GEN_FRAME_MIN_BYTES, GEN_FRAME_MAX_BYTES, GEN_MAX_BURST,
		GEN_LATENCY_SAMPLE_MAX, GEN_LATENCY_SAMPLE_DEFAULT, GEN_FLOWS_MAX,
		GEN_SPLIT_FLOWS_MAX);
}

static int
opts_fail(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "vhostloop-gen: --%s %s: %s\n", opt, val, want);
	return -EINVAL;
}

/* Parse a whole decimal number in [min, max]. */
static int
opts_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] == '\0' || !isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "vhostloop-gen: --%s %s: want an integer in [%" PRIu64 ", %" PRIu64 "]\n",
		opt, s, min, max);
	return -EINVAL;
}

static int
opts_u16(const char *opt, const char *s, uint16_t min, uint16_t max, uint16_t *out)
{
	uint64_t v;
	int ret = opts_u64(opt, s, min, max, &v);

	if (ret == 0)
		*out = (uint16_t)v;
	return ret;
}

static int
opts_bool(const char *opt, const char *s, bool *out)
{
	if (strcmp(s, "0") == 0 || strcmp(s, "1") == 0) {
		*out = s[0] == '1';
		return 0;
	}
	return opts_fail(opt, s, "want 0 or 1");
}

/* Seconds, fractions allowed, in [min, max]. */
static int
opts_seconds(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] == '\0' || errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "vhostloop-gen: --%s %s: want seconds in [%g, %g]\n", opt, s, min,
			max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
opts_sizes(const char *s, struct gen_config *cfg)
{
	char buf[256];
	char *tok, *save = NULL;
	unsigned int n = 0;

	if (strlen(s) >= sizeof(buf))
		return opts_fail("sizes", s, "list too long");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (n == GEN_MAX_SIZES) {
			fprintf(stderr, "vhostloop-gen: --sizes %s: at most %d sizes\n", s,
				GEN_MAX_SIZES);
			return -EINVAL;
		}
		if (opts_u16("sizes", tok, GEN_FRAME_MIN_BYTES, GEN_FRAME_MAX_BYTES,
			     &cfg->sizes_bytes[n]) != 0)
			return -EINVAL;
		n++;
	}
	if (n == 0)
		return opts_fail("sizes", s, "want a comma-separated list of frame lengths");
	cfg->nb_sizes = n;
	return 0;
}

int
gen_opts_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	uint8_t out[6];

	for (i = 0; i < 6; i++) {
		int hi, lo;

		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0'
						  : tolower((unsigned char)s[0]) - 'a' + 10;
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0'
						  : tolower((unsigned char)s[1]) - 'a' + 10;
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	/* A guest's unicast address: the frames carry it as their source too. */
	if (out[0] & 0x01)
		return -EINVAL;
	if ((out[0] | out[1] | out[2] | out[3] | out[4] | out[5]) == 0)
		return -EINVAL;
	memcpy(mac, out, 6);
	return 0;
}

unsigned int
gen_rx_bufs_per_frame(const struct gen_config *cfg, uint16_t len)
{
	/* virtio puts the header in the headroom, so a buffer holds data room + header bytes. */
	const unsigned int buf_bytes = GEN_MRG_RX_BUF_BYTES + GEN_VNET_HDR_BYTES;

	if (!cfg->mrg_rxbuf)
		return 1;
	return (len + GEN_VNET_HDR_BYTES + buf_bytes - 1) / buf_bytes;
}

uint16_t
gen_config_max_frame_bytes(const struct gen_config *cfg)
{
	uint16_t max = 0;
	unsigned int i;

	if (cfg->mode == GEN_MODE_PERF)
		return cfg->imix ? gen_imix_sizes[2] : cfg->size_bytes;
	for (i = 0; i < cfg->nb_sizes; i++)
		if (cfg->sizes_bytes[i] > max)
			max = cfg->sizes_bytes[i];
	return max;
}

static int
opts_finish(struct gen_config *cfg, bool user_vdev, bool window_given, bool tx_free_thresh_given)
{
	uint16_t max_frame;

	if (cfg->socket_path == NULL && !user_vdev) {
		fprintf(stderr, "vhostloop-gen: --socket PATH is required\n");
		return -EINVAL;
	}
	if (cfg->socket_path != NULL && strchr(cfg->socket_path, ',') != NULL) {
		fprintf(stderr, "vhostloop-gen: --socket %s: a ',' cannot pass through devargs\n",
			cfg->socket_path);
		return -EINVAL;
	}
	if ((cfg->ring_size & (cfg->ring_size - 1)) != 0) {
		fprintf(stderr, "vhostloop-gen: --ring-size %u: want a power of two\n",
			cfg->ring_size);
		return -EINVAL;
	}
	if (!tx_free_thresh_given)
		cfg->tx_free_thresh =
			cfg->mode == GEN_MODE_PERF ? cfg->ring_size - GEN_TX_FREE_RECENT : 0;
	/* The virtio PMD refuses a threshold of ring size - 3 or more (rte_eth_tx_queue_setup). */
	if (cfg->tx_free_thresh != 0 && cfg->tx_free_thresh >= cfg->ring_size - 3) {
		fprintf(stderr,
			"vhostloop-gen: --tx-free-thresh %u: want 0 (DPDK's default) or less than "
			"the ring size minus 3 (%u)\n",
			cfg->tx_free_thresh, cfg->ring_size - 3);
		return -EINVAL;
	}
	if (cfg->window > cfg->ring_size) {
		fprintf(stderr, "vhostloop-gen: --window %u: want at most the ring size (%u)\n",
			cfg->window, cfg->ring_size);
		return -EINVAL;
	}
	if (cfg->split_flows > 0 && cfg->nb_qp < 2) {
		fprintf(stderr, "vhostloop-gen: --split-flows %u: needs --queue-pairs 2 or more\n",
			cfg->split_flows);
		return -EINVAL;
	}
	if (cfg->idle_qp >= 0 && (cfg->mode != GEN_MODE_PERF || cfg->idle_qp >= cfg->nb_qp)) {
		fprintf(stderr,
			"vhostloop-gen: --idle-qp %d: perf mode only, and a queue pair below %u\n",
			cfg->idle_qp, cfg->nb_qp);
		return -EINVAL;
	}
	max_frame = gen_config_max_frame_bytes(cfg);
	if (!window_given) {
		/* Never more RX buffers in flight than half the RX ring: the loopback never drops.
		 */
		unsigned int w = cfg->ring_size / 2 / gen_rx_bufs_per_frame(cfg, max_frame);

		cfg->window = (uint16_t)(w > 0 ? w : 1);
	}
	return 0;
}

static void
opts_defaults(struct gen_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nb_qp = 1;
	memcpy(cfg->mac, gen_default_mac, sizeof(cfg->mac));
	cfg->mrg_rxbuf = true;
	cfg->ring_size = 256;
	cfg->mode = GEN_MODE_CHECK;
	cfg->connect_timeout_s = 10;
	cfg->nb_frames = 10000;
	cfg->sizes_bytes[0] = 60;
	cfg->sizes_bytes[1] = 1514;
	cfg->sizes_bytes[2] = 9000;
	cfg->nb_sizes = 3;
	cfg->timeout_s = 30;
	cfg->duration_s = 10;
	cfg->warmup_s = 2;
	cfg->size_bytes = 64;
	cfg->burst = 32;
	cfg->latency = true;
	cfg->latency_sample = GEN_LATENCY_SAMPLE_DEFAULT;
	cfg->flows = 1;
	cfg->idle_qp = -1;
}

/* --idle-qp Q[:START:LEN] */
static int
opts_idle_qp(struct gen_config *cfg, const char *s)
{
	char buf[128], *start, *len;
	uint16_t qp;

	if (strlen(s) >= sizeof(buf))
		return opts_fail("idle-qp", s, "too long");
	snprintf(buf, sizeof(buf), "%s", s);
	start = strchr(buf, ':');
	if (start != NULL) {
		*start++ = '\0';
		len = strchr(start, ':');
		if (len == NULL)
			return opts_fail("idle-qp", s, "want Q or Q:START:LEN");
		*len++ = '\0';
		if (opts_seconds("idle-qp START", start, 0, 7 * 24 * 3600.0, &cfg->idle_start_s) ||
		    opts_seconds("idle-qp LEN", len, 0, 7 * 24 * 3600.0, &cfg->idle_len_s))
			return -EINVAL;
	}
	if (opts_u16("idle-qp", buf, 0, GEN_MAX_QP - 1, &qp) != 0)
		return -EINVAL;
	cfg->idle_qp = qp;
	return 0;
}

int
gen_opts_parse(struct gen_config *cfg, int argc, char **argv, bool user_vdev)
{
	bool window_given = false, tx_free_thresh_given = false;
	const double max_s = 7 * 24 * 3600.0;
	int opt, ret = 0;

	opts_defaults(cfg);
	optind = 1;
	opterr = 1;
	while (ret == 0 && (opt = getopt_long(argc, argv, "", gen_long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			cfg->socket_path = optarg;
			break;
		case OPT_QUEUE_PAIRS:
			ret = opts_u16("queue-pairs", optarg, 1, GEN_MAX_QP, &cfg->nb_qp);
			break;
		case OPT_MAC:
			ret = gen_opts_parse_mac(optarg, cfg->mac);
			if (ret != 0)
				opts_fail("mac", optarg,
					  "want a unicast MAC aa:bb:cc:dd:ee:ff, not all zero");
			break;
		case OPT_SERVER:
			cfg->server = true;
			break;
		case OPT_MRG_RXBUF:
			ret = opts_bool("mrg-rxbuf", optarg, &cfg->mrg_rxbuf);
			break;
		case OPT_IN_ORDER:
			ret = opts_bool("in-order", optarg, &cfg->in_order);
			break;
		case OPT_PACKED:
			ret = opts_bool("packed", optarg, &cfg->packed);
			break;
		case OPT_RING_SIZE:
			ret = opts_u16("ring-size", optarg, 64, 4096, &cfg->ring_size);
			break;
		case OPT_TX_FREE_THRESH:
			ret = opts_u16("tx-free-thresh", optarg, 0, 4096, &cfg->tx_free_thresh);
			tx_free_thresh_given = true;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "check") == 0)
				cfg->mode = GEN_MODE_CHECK;
			else if (strcmp(optarg, "perf") == 0)
				cfg->mode = GEN_MODE_PERF;
			else
				ret = opts_fail("mode", optarg, "want check or perf");
			break;
		case OPT_CONNECT_TIMEOUT:
			ret = opts_seconds("connect-timeout", optarg, 0.1, max_s,
					   &cfg->connect_timeout_s);
			break;
		case OPT_JSON:
			cfg->json_path = optarg;
			break;
		case OPT_STATS_INTERVAL:
			ret = opts_seconds("stats-interval", optarg, 0, max_s,
					   &cfg->stats_interval_s);
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_FRAMES:
			ret = opts_u64("frames", optarg, 1, UINT64_C(1) << 32, &cfg->nb_frames);
			break;
		case OPT_SIZES:
			ret = opts_sizes(optarg, cfg);
			break;
		case OPT_WINDOW:
			ret = opts_u16("window", optarg, 1, UINT16_MAX, &cfg->window);
			window_given = true;
			break;
		case OPT_TIMEOUT:
			ret = opts_seconds("timeout", optarg, 0.1, max_s, &cfg->timeout_s);
			break;
		case OPT_DURATION:
			ret = opts_seconds("duration", optarg, 0.1, max_s, &cfg->duration_s);
			break;
		case OPT_WARMUP:
			ret = opts_seconds("warmup", optarg, 0, max_s, &cfg->warmup_s);
			break;
		case OPT_SIZE:
			ret = opts_u16("size", optarg, GEN_FRAME_MIN_BYTES, GEN_FRAME_MAX_BYTES,
				       &cfg->size_bytes);
			break;
		case OPT_IMIX:
			cfg->imix = true;
			break;
		case OPT_RATE:
			if (strcmp(optarg, "max") == 0)
				cfg->rate_pps = 0;
			else
				ret = opts_u64("rate", optarg, 1, UINT64_C(1000000000),
					       &cfg->rate_pps);
			break;
		case OPT_BURST:
			ret = opts_u16("burst", optarg, 1, GEN_MAX_BURST, &cfg->burst);
			break;
		case OPT_LATENCY:
			cfg->latency = true;
			break;
		case OPT_NO_LATENCY:
			cfg->latency = false;
			break;
		case OPT_TX_ONLY:
			cfg->tx_only = true;
			break;
		case OPT_TX_HDR_DESC:
			cfg->tx_hdr_desc = true;
			break;
		case OPT_LATENCY_SAMPLE:
			ret = opts_u16("latency-sample", optarg, 1, GEN_LATENCY_SAMPLE_MAX,
				       &cfg->latency_sample);
			break;
		case OPT_SELFTEST_CORRUPT:
			ret = opts_u64("selftest-corrupt", optarg, 1, UINT64_MAX,
				       &cfg->selftest_corrupt_nth);
			break;
		case OPT_FLOWS:
			ret = opts_u16("flows", optarg, 1, GEN_FLOWS_MAX, &cfg->flows);
			break;
		case OPT_SPLIT_FLOWS:
			ret = opts_u16("split-flows", optarg, 0, GEN_SPLIT_FLOWS_MAX,
				       &cfg->split_flows);
			break;
		case OPT_IDLE_QP:
			ret = opts_idle_qp(cfg, optarg);
			break;
		case OPT_SELFTEST_DROP:
			ret = opts_u64("selftest-drop", optarg, 1, UINT64_MAX,
				       &cfg->selftest_drop_nth);
			break;
		case OPT_SELFTEST_DUP:
			ret = opts_u64("selftest-dup", optarg, 1, UINT64_MAX,
				       &cfg->selftest_dup_nth);
			break;
		case OPT_HELP:
			gen_opts_usage(stdout, argv[0]);
			return 1;
		default: /* getopt already said what */
			ret = -EINVAL;
			break;
		}
	}
	if (ret == 0 && optind < argc) {
		fprintf(stderr,
			"vhostloop-gen: unexpected argument '%s' (EAL options go before --)\n",
			argv[optind]);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = opts_finish(cfg, user_vdev, window_given, tx_free_thresh_given);
	optind = 1; /* rte_eal_init() runs getopt again */
	return ret;
}

int
gen_opts_find_separator(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return -1;
}

bool
gen_opts_has_virtio_user_vdev(int argc, char **argv)
{
	static const char drv[] = "net_virtio_user";
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--vdev") == 0 && i + 1 < argc &&
		    strncmp(argv[i + 1], drv, sizeof(drv) - 1) == 0)
			return true;
		if (strncmp(argv[i], "--vdev=", 7) == 0 &&
		    strncmp(argv[i] + 7, drv, sizeof(drv) - 1) == 0)
			return true;
	}
	return false;
}

const char *
gen_eal_file_prefix(int argc, char **argv)
{
	static const char opt[] = "--file-prefix";
	const char *prefix = "rte";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], opt) == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strncmp(argv[i], opt, sizeof(opt) - 1) == 0 &&
			 argv[i][sizeof(opt) - 1] == '=')
			prefix = argv[i] + sizeof(opt);
	}
	return prefix;
}

void
gen_pool_plan_rx(const struct gen_config *cfg, struct gen_pool_plan *plan)
{
	unsigned int room = GEN_MRG_RX_BUF_BYTES;

	if (!cfg->mrg_rxbuf) {
		unsigned int need = gen_config_max_frame_bytes(cfg) + GEN_VNET_HDR_BYTES;

		/* Round up to a cache line; never below the mergeable size. */
		need = (need + 63) & ~63u;
		if (need > room)
			room = need;
	}
	plan->data_room_bytes = (uint16_t)(room + GEN_MBUF_HEADROOM);
	/* Every RX descriptor holds an mbuf, plus what one burst per queue holds, plus caches. */
	plan->nb_mbufs = cfg->nb_qp * (cfg->ring_size + 2u * cfg->burst) + GEN_POOL_CACHE_SLACK;
}

void
gen_pool_plan_tx_check(const struct gen_config *cfg, struct gen_pool_plan *plan)
{
	unsigned int segs =
		(gen_config_max_frame_bytes(cfg) + GEN_TX_SEG_BYTES - 1) / GEN_TX_SEG_BYTES;

	plan->data_room_bytes = GEN_TX_SEG_BYTES + GEN_MBUF_HEADROOM;
	/* The TX ring keeps sent chains until it cleans them, at most one per descriptor. */
	plan->nb_mbufs =
		cfg->nb_qp * (cfg->ring_size + 2u * cfg->burst) * segs + GEN_POOL_CACHE_SLACK;
}

void
gen_pool_plan_tx_perf(const struct gen_config *cfg, uint16_t size_bytes, struct gen_pool_plan *plan)
{
	unsigned int room = size_bytes > GEN_TX_SEG_BYTES ? size_bytes : GEN_TX_SEG_BYTES;

	plan->data_room_bytes = (uint16_t)(((room + 63) & ~63u) + GEN_MBUF_HEADROOM);
	plan->nb_mbufs = cfg->nb_qp * (cfg->ring_size + 2u * cfg->burst) + GEN_POOL_CACHE_SLACK;
}

static uint64_t
pool_bytes(const struct gen_pool_plan *plan)
{
	/* mbuf header (2 cache lines) plus mempool object overhead. */
	return (uint64_t)plan->nb_mbufs * (plan->data_room_bytes + 128u + 64u);
}

unsigned int
gen_eal_mem_mb(const struct gen_config *cfg)
{
	struct gen_pool_plan plan;
	uint64_t bytes = UINT64_C(128) << 20; /* EAL heap, virtqueues, headroom for the rest */
	uint64_t mb;

	gen_pool_plan_rx(cfg, &plan);
	bytes += pool_bytes(&plan);
	if (cfg->mode == GEN_MODE_CHECK) {
		gen_pool_plan_tx_check(cfg, &plan);
		bytes += pool_bytes(&plan);
	} else if (cfg->imix) {
		for (unsigned int i = 0; i < 3; i++) {
			gen_pool_plan_tx_perf(cfg, gen_imix_sizes[i], &plan);
			bytes += pool_bytes(&plan);
		}
	} else {
		gen_pool_plan_tx_perf(cfg, cfg->size_bytes, &plan);
		bytes += pool_bytes(&plan);
	}
	mb = (bytes + (UINT64_C(1) << 20) - 1) >> 20;
	return mb < 512 ? 512 : (unsigned int)mb;
}

static int
eal_push(struct gen_eal_args *ea, char *arg)
{
	if (ea->argc >= GEN_EAL_MAX_ARGS - 1)
		return -E2BIG;
	ea->argv[ea->argc++] = arg;
	ea->argv[ea->argc] = NULL;
	return 0;
}

static int
eal_vdev_string(struct gen_eal_args *ea, const struct gen_config *cfg)
{
	const uint8_t *m = cfg->mac;
	int n;

	n = snprintf(ea->vdev, sizeof(ea->vdev),
		     "net_virtio_user0,path=%s,queues=%u,queue_size=%u,"
		     "mac=%02x:%02x:%02x:%02x:%02x:%02x,mrg_rxbuf=%d,in_order=%d,packed_vq=%d%s%s",
		     cfg->socket_path, cfg->nb_qp, cfg->ring_size, m[0], m[1], m[2], m[3], m[4],
		     m[5], cfg->mrg_rxbuf, cfg->in_order, cfg->packed,
		     cfg->nb_qp > 1 ? ",cq=1" : "", cfg->server ? ",server=1" : "");
	return n > 0 && (size_t)n < sizeof(ea->vdev) ? 0 : -E2BIG;
}

int
gen_eal_args_build(struct gen_eal_args *ea, const struct gen_config *cfg, int eal_argc,
		   char **eal_argv, const char *prog, int pid)
{
	static char l_opt[] = "-l", l_val[] = "0", nohuge[] = "--no-huge", m_opt[] = "-m",
		    nopci[] = "--no-pci", prefix_opt[] = "--file-prefix",
		    log_opt[] = "--log-level=*:notice", vdev_opt[] = "--vdev";
	int ret = 0, i;

	memset(ea, 0, sizeof(*ea));
	if (eal_argc > 0) {
		for (i = 0; i < eal_argc && ret == 0; i++)
			ret = eal_push(ea, eal_argv[i]);
	} else {
		snprintf(ea->prefix, sizeof(ea->prefix), "vlgen-%d", pid);
		snprintf(ea->mem_mb, sizeof(ea->mem_mb), "%u", gen_eal_mem_mb(cfg));
		ret |= eal_push(ea, (char *)(uintptr_t)prog);
		ret |= eal_push(ea, l_opt);
		ret |= eal_push(ea, l_val);
		ret |= eal_push(ea, nohuge);
		ret |= eal_push(ea, m_opt);
		ret |= eal_push(ea, ea->mem_mb);
		ret |= eal_push(ea, nopci);
		ret |= eal_push(ea, prefix_opt);
		ret |= eal_push(ea, ea->prefix);
		ret |= eal_push(ea, log_opt);
	}
	if (ret != 0)
		return -E2BIG;
	if (gen_opts_has_virtio_user_vdev(ea->argc, ea->argv))
		return 0;
	if (eal_vdev_string(ea, cfg) != 0)
		return -E2BIG;
	if (eal_push(ea, vdev_opt) != 0 || eal_push(ea, ea->vdev) != 0)
		return -E2BIG;
	return 0;
}

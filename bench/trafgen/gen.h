/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen.h - vhostloop-gen internals, shared by the files of bench/trafgen only.
 *
 * vhostloop-gen plays the guest through DPDK's net_virtio_user PMD: it sends IPv4/UDP frames on
 * queue pair i and expects every one back, byte for byte, on RX queue i.
 *
 * gen_opts.c, gen_frame.c, gen_hist.c and gen_report.c are pure C (no EAL) so test_gen.c can
 * unit-test them; gen_port.c, gen_check.c, gen_perf.c and gen_main.c use DPDK.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum {
	GEN_MAX_QP = 128,	  /* virtio-user's VIRTIO_MAX_RX_QUEUES */
	GEN_MAX_SIZES = 16,	  /* entries of --sizes */
	GEN_FRAME_MIN_BYTES = 60, /* Ethernet minimum without FCS */
	GEN_FRAME_MAX_BYTES = 9000,
	GEN_MAX_BURST = 256,
	GEN_EAL_MAX_ARGS = 128,
	GEN_EXIT_PASS = 0,
	GEN_EXIT_FAIL = 1, /* check failure, cannot connect, timeout */
	GEN_EXIT_USAGE = 2,
	GEN_LATENCY_SAMPLE_DEFAULT = 32, /* perf mode: one timed frame per 32 returned */
	GEN_LATENCY_SAMPLE_MAX = 65535,
	/*
	 * Perf mode's default TX free threshold is the ring size minus this: the virtio PMD then
	 * cleans its TX ring once more than this many descriptors are in use, so each transmit
	 * frees about this many recently sent mbufs (README: "TX free threshold").
	 */
	GEN_TX_FREE_RECENT = 32,
};

enum gen_mode {
	GEN_MODE_CHECK,
	GEN_MODE_PERF,
};

/* Everything the command line sets; gen_opts_parse() fills it, nothing writes it afterwards. */
struct gen_config {
	const char *socket_path; /* NULL when the user gave their own net_virtio_user vdev */
	uint16_t nb_qp;
	uint8_t mac[6];
	bool server;
	bool mrg_rxbuf;
	bool in_order;
	bool packed;
	uint16_t ring_size;
	/*
	 * The TX queues' tx_free_thresh (rte_eth_txconf), resolved by gen_opts_parse(): 0 is the
	 * PMD's default. Split rings only: the virtio PMD's packed TX path ignores it.
	 */
	uint16_t tx_free_thresh;
	enum gen_mode mode;
	double connect_timeout_s;
	const char *json_path;
	double stats_interval_s; /* 0: no live stats */
	bool quiet;
	/* check mode */
	uint64_t nb_frames; /* per queue pair */
	uint16_t sizes_bytes[GEN_MAX_SIZES];
	unsigned int nb_sizes;
	uint16_t window; /* frames in flight per queue pair; 0 until resolved to ring_size / 2 */
	double timeout_s;
	bool tx_hdr_desc; /* TX mbufs without headroom: the header gets its own descriptor */
	/* perf mode */
	double duration_s;
	double warmup_s;
	uint16_t size_bytes;
	bool imix;
	uint64_t rate_pps; /* per queue pair; 0 = as fast as possible */
	uint16_t burst;
	bool latency;
	uint16_t latency_sample; /* time one returned frame in latency_sample */
	bool tx_only; /* the backend returns nothing (a sink): measure the offered rate only */
	/*
	 * Tests the checker itself, never the backend: flip one byte of the Nth frame received on
	 * queue pair 0 before it is verified (1-based; 0 = off). The check must then FAIL.
	 */
	uint64_t selftest_corrupt_nth;
	/* Flows, for steering audits (gen_flow.c). */
	uint16_t flows;	      /* per queue pair, default 1 */
	uint16_t split_flows; /* flows sent on two queue pairs each, default 0 */
	int idle_qp;	     /* perf mode: this queue pair sends nothing (in the window), -1 none */
	double idle_start_s; /* window start, from the start of sending (warm-up included) */
	double idle_len_s;   /* window length, 0 = to the end */
	uint64_t selftest_drop_nth; /* --selftest-drop: the Nth frame on qp 0 "never arrives" */
	uint64_t selftest_dup_nth;  /* --selftest-dup: the Nth frame on qp 0 arrives twice */
};

/* ---- gen_opts.c: command line ---- */

/*
 * Parse the application options (argv[0] is the program name, the rest are options) into *cfg.
 * Returns 0, or -EINVAL after printing what is wrong to stderr; 1 if --help was printed.
 * user_vdev tells whether the EAL part already has a net_virtio_user vdev (--socket optional).
 */
int gen_opts_parse(struct gen_config *cfg, int argc, char **argv, bool user_vdev);

/* Print the usage text to f. */
void gen_opts_usage(FILE *f, const char *prog);

/* Parse "aa:bb:cc:dd:ee:ff" into mac. Returns 0 or -EINVAL (also for multicast or all-zero). */
int gen_opts_parse_mac(const char *s, uint8_t mac[6]);

/* Index of the first "--" in argv, or -1. */
int gen_opts_find_separator(int argc, char **argv);

/* True if argv[0..argc) has --vdev net_virtio_user... (or --vdev=net_virtio_user...). */
bool gen_opts_has_virtio_user_vdev(int argc, char **argv);

/* The --file-prefix in argv[0..argc) (last one wins, as in EAL), else EAL's default "rte". */
const char *gen_eal_file_prefix(int argc, char **argv);

/* The EAL command line gen_main() passes to rte_eal_init(). */
struct gen_eal_args {
	int argc;
	char *argv[GEN_EAL_MAX_ARGS];
	char vdev[1024];
	char prefix[64];
	char mem_mb[32];
};

/*
 * Build the EAL arguments: the user's (eal_argv[0..eal_argc), eal_argv[0] being the program) if
 * given, else our defaults (-l 0 --no-huge -m <MB> --no-pci --file-prefix vlgen-<pid>
 * --log-level=*:notice), plus our --vdev unless the user passed a net_virtio_user vdev.
 * Returns 0 or -E2BIG.
 */
int gen_eal_args_build(struct gen_eal_args *ea, const struct gen_config *cfg, int eal_argc,
		       char **eal_argv, const char *prog, int pid);

/* Memory (MB) the default EAL setup reserves: 512, or more when the mempools need it. */
unsigned int gen_eal_mem_mb(const struct gen_config *cfg);

/* Frame length of check-mode frame seq (frames cycle through --sizes). */
static inline uint16_t
gen_check_size_bytes(const struct gen_config *cfg, uint64_t seq)
{
	return cfg->sizes_bytes[seq % cfg->nb_sizes];
}

/* Largest frame this run sends. */
uint16_t gen_config_max_frame_bytes(const struct gen_config *cfg);

/*
 * Mempool sizing, shared by the allocations and by gen_eal_mem_mb() so they cannot disagree.
 * RX buffers are GEN_MRG_RX_BUF_BYTES with mergeable RX buffers (a 9000-byte frame spans 5 of
 * them); without, one buffer must hold the largest frame plus the virtio-net header.
 */
enum {
	GEN_MRG_RX_BUF_BYTES = 2048,
	GEN_TX_SEG_BYTES = 2048, /* check mode: larger frames are multi-segment mbuf chains */
	GEN_VNET_HDR_BYTES = 12,
	GEN_MBUF_CACHE = 256,
};

struct gen_pool_plan {
	unsigned int nb_mbufs;
	uint16_t data_room_bytes; /* including RTE_PKTMBUF_HEADROOM */
};

void gen_pool_plan_rx(const struct gen_config *cfg, struct gen_pool_plan *plan);
void gen_pool_plan_tx_check(const struct gen_config *cfg, struct gen_pool_plan *plan);
/* Perf mode: one pre-filled pool per template size, each mbuf one segment. */
void gen_pool_plan_tx_perf(const struct gen_config *cfg, uint16_t size_bytes,
			   struct gen_pool_plan *plan);
/* RX buffers one frame of len bytes occupies. */
unsigned int gen_rx_bufs_per_frame(const struct gen_config *cfg, uint16_t len);

/* ---- gen_frame.c: frame layout ---- */

/*
 * Frame layout: Ethernet (dst = src = --mac), IPv4 198.18.0.1 -> 198.18.0.2 (valid header
 * checksum), UDP src port 1024 + qp, dst port 9, checksum 0; at GEN_HDR_OFF the payload header
 * (all fields little-endian):
 *   magic u32, qp u16, size u16, seq u64, tsc u64
 * then, from GEN_PATTERN_OFF to the end, a pattern derived from (qp, seq).
 * Frames shorter than GEN_PATTERN_OFF (60..65 bytes) carry the header cut at the frame's end: the
 * low (len - 58) bytes of tsc only. Latency is measured when at least 4 tsc bytes are there.
 */
enum {
	GEN_ETH_HDR_BYTES = 14,
	GEN_IP_OFF = 14,
	GEN_UDP_OFF = 34,
	GEN_HDR_OFF = 42,
	GEN_TSC_OFF = GEN_HDR_OFF + 16,
	GEN_PATTERN_OFF = GEN_HDR_OFF + 24,
	GEN_UDP_SRC_PORT_BASE = 1024,
	GEN_UDP_DST_PORT = 9,
	GEN_TSC_MIN_BYTES = 4,
	GEN_FLOW_DST_PORT_BASE = 10000,	  /* --flows: own flow f of a queue pair */
	GEN_FLOW_SPLIT_PORT_BASE = 40000, /* --split-flows: split flow j, both ports */
	GEN_FLOWS_MAX = 10000,
	GEN_SPLIT_FLOWS_MAX = 64,
};

#define GEN_MAGIC UINT32_C(0x31474c56) /* "VLG1" in memory order */

/* What gen_frame_parse() found in a frame's payload header. */
struct gen_frame_info {
	uint16_t qp;
	uint16_t size_bytes;
	uint16_t udp_src_port;
	uint64_t seq;
	uint64_t tsc;		/* low tsc_bytes bytes of the sender's TSC */
	unsigned int tsc_bytes; /* 0..8 */
};

/*
 * Write a complete frame of len bytes into buf: headers, payload header (qp, seq, tsc) and the
 * (qp, seq) pattern. len must be in [GEN_FRAME_MIN_BYTES, GEN_FRAME_MAX_BYTES].
 */
void gen_frame_build(uint8_t *buf, uint16_t len, const uint8_t mac[6], uint16_t qp, uint64_t seq,
		     uint64_t tsc);

/*
 * Rewrite only what differs between frames of one perf template: UDP source port, qp, seq, tsc
 * (magic and size stay from gen_frame_build() with the same len).
 * The pattern keeps what gen_frame_build() wrote (perf mode does not verify it).
 */
void gen_frame_stamp(uint8_t *buf, uint16_t len, uint16_t qp, uint64_t seq, uint64_t tsc);

/*
 * Parse the payload header from the first hdr_len bytes of a frame whose total length is
 * frame_len. Returns 0, or -EINVAL if the frame is too short or the magic is wrong.
 */
int gen_frame_parse(const uint8_t *hdr, unsigned int hdr_len, unsigned int frame_len,
		    struct gen_frame_info *info);

/* Cycles between a truncated stamp (its low stamp_bytes bytes) and now, modulo the stamp width. */
/* Flows (gen_flow.c): the UDP ports of frame seq of queue pair qp; apply rewrites them in a
 * built frame (nothing without --flows/--split-flows). */
bool gen_flow_active(const struct gen_config *cfg);
unsigned int gen_flow_split_count(const struct gen_config *cfg, uint16_t qp);
void gen_flow_ports(const struct gen_config *cfg, uint16_t qp, uint64_t seq, uint16_t *src_port,
		    uint16_t *dst_port);
void gen_flow_apply(uint8_t *frame, const struct gen_config *cfg, uint16_t qp, uint64_t seq);

uint64_t gen_tsc_delta(uint64_t now_tsc, uint64_t stamp_tsc, unsigned int stamp_bytes);

/* ---- gen_hist.c: latency histogram (log-linear, ~3% resolution, no sample array) ---- */

enum {
	GEN_HIST_SUB_BITS = 5,
	GEN_HIST_SUB = 1 << GEN_HIST_SUB_BITS,
	GEN_HIST_MAX_EXP = 40, /* values up to 2^45 ns (~9.7 hours) */
	GEN_HIST_NB_BUCKETS = (GEN_HIST_MAX_EXP + 2) * GEN_HIST_SUB,
};

struct gen_hist {
	uint64_t count;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t bucket[GEN_HIST_NB_BUCKETS];
};

void gen_hist_reset(struct gen_hist *h);
void gen_hist_add(struct gen_hist *h, uint64_t value_ns);
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);
/* Value (ns) below which a fraction q of the samples lie, 0 <= q <= 1; 0 when empty. */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);
/* Bucket index of a value and the smallest value of a bucket (exposed for the unit test). */
unsigned int gen_hist_bucket(uint64_t value_ns);
uint64_t gen_hist_bucket_low(unsigned int idx);

/* ---- gen_port.c, gen_check.c, gen_perf.c, gen_report.c: need the EAL ---- */

struct rte_mempool;

/* The net_virtio_user port and its RX mempool. */
struct gen_port {
	uint16_t port_id;
	struct rte_mempool *rx_pool;
	bool started;
};

/* Set by the SIGINT/SIGTERM handler; every loop stops when it is non-zero. */
extern volatile int gen_stop_requested;

/* Find the net_virtio_user port, configure nb_qp queue pairs, start it. 0 or -errno (logged). */
int gen_port_open(struct gen_port *port, const struct gen_config *cfg);
/* Wait until the link is up. 0, or -ETIMEDOUT / -EINTR (logged). */
int gen_port_wait_link(const struct gen_port *port, const struct gen_config *cfg);
void gen_port_close(struct gen_port *port);
/* A pktmbuf pool sized by plan on the caller's socket; NULL (logged) on failure. */
struct rte_mempool *gen_pool_create(const char *name, const struct gen_pool_plan *plan);

/* Run check mode; returns the exit status. */
int gen_check_run(const struct gen_config *cfg, const struct gen_port *port);
/* Run perf mode; returns the exit status. */
int gen_perf_run(const struct gen_config *cfg, const struct gen_port *port);

/* Seconds since t0 by the TSC. */
double gen_elapsed_s(uint64_t t0_tsc);
/* Significant digits of the reals in the JSON result (enough for every fixed-decimal field). */
#define GEN_JSON_REAL_DIGITS 15
/* A JSON real rounded to `decimals` places; null for NaN or infinity. */
json_t *gen_json_fixed(double v, int decimals);
/* The "config" object of the JSON result (new reference), NULL (logged) on failure. */
json_t *gen_json_config(const struct gen_config *cfg);
/* A result document holding only "config" (new reference), NULL (logged) on failure. */
json_t *gen_json_doc(const struct gen_config *cfg);
/*
 * Write doc to --json FILE on one line with a trailing newline and release it (NULL: nothing to
 * write). Returns 0, or -1 (logged) when it cannot.
 */
int gen_json_write(const struct gen_config *cfg, json_t *doc);
/*
 * One live line: per queue pair TX/RX rates since the previous call. prev_* hold the previous
 * counts (updated); tx/rx are the current totals.
 */
void gen_live_line(const struct gen_config *cfg, double interval_s, const uint64_t *tx,
		   const uint64_t *rx, uint64_t *prev_tx, uint64_t *prev_rx);

#endif /* GEN_H */

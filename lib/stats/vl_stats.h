/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_stats.h - per-queue-pair counters (one X-macro), the console summary and exit table,
 * DPDK telemetry commands under /vhostloop/, and JSON-lines snapshots.
 *
 * Each struct vl_qp_stats has exactly one writer: the lcore that owns the queue pair. Readers
 * (main lcore, telemetry thread) read the aligned 64-bit counters without locks; a value may be
 * one burst old, never torn on x86-64.
 */
#ifndef VL_STATS_H
#define VL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Counters of one queue pair. X(name, help): the struct, the table, telemetry and JSON. */
#define VL_QP_COUNTERS(X)                                                                         \
	X(frames, "frames looped from the guest TX queue to its RX queue")                        \
	X(bytes, "bytes looped (frame bytes, virtio-net header excluded)")                        \
	X(drop_rx_full, "frames dropped: no free guest RX buffer")                                \
	X(drop_truncated, "frames dropped: larger than the RX buffer chain or 64 KiB")            \
	X(drop_short, "TX chains shorter than the virtio-net header, returned empty")             \
	X(rx_bufs, "guest RX buffers used (more than frames with mergeable buffers)")             \
	X(queue_broken, "times the queue pair broke on hostile ring contents")                    \
	X(calls, "interrupts (call eventfd writes) sent to the guest")                            \
	X(calls_suppressed, "bursts that published without a call (guest asked none, coalesced)") \
	X(bursts, "polls that moved at least one frame")                                          \
	X(polls_idle, "polls that moved nothing (rx_lag_waits among them)")                       \
	X(busy_cycles, "TSC cycles spent in polls that moved frames (and in rx_lag_warms)")       \
	X(idle_cycles, "TSC cycles of the lcore's other polls and between polls")                 \
	X(dirty_pages, "guest pages marked in the frontend's dirty log (live migration)")         \
	X(dirty_log_faults, "dirty-log writes beyond the log's size: counted, nothing marked")    \
	X(idle_sleeps, "times the owner slept with kicks enabled on this pair (--idle-sleep-us)") \
	X(idle_wakeups, "sleeps after which this pair looped a frame before sleeping again")      \
	X(wakeup_latency_cycles,                                                                  \
	  "sum over idle_wakeups: TSC from waking to the first frame looped")                     \
	X(wakeup_latency_max_cycles, "largest single wake-up latency (a maximum, not a sum)")     \
	X(rx_lag_waits,                                                                           \
	  "polls_idle that held TX frames back to wait for the guest's next RX refill (split)")   \
	X(rx_lag_timeouts, "bursts that went ahead short of RX buffers after the whole RX wait")  \
	X(rx_lag_warms, "rx_lag_waits that started the pending TX frames' misses (busy_cycles)")

/* Burst-size histogram: bucket b counts bursts of [2^b, 2^(b+1)) frames, the last is open. */
#define VL_BURST_HIST_BUCKETS 9 /* 1, 2-3, 4-7, ..., 128-255, 256+ */

struct vl_qp_stats {
#define X(name, help) uint64_t name;
	VL_QP_COUNTERS(X)
#undef X
	uint64_t burst_hist[VL_BURST_HIST_BUCKETS];
} __attribute__((aligned(64)));

/* Bucket of a burst of nb_frames (>= 1) frames. */
static inline unsigned int
vl_stats_burst_bucket(unsigned int nb_frames)
{
	unsigned int b = 31u - (unsigned int)__builtin_clz(nb_frames | 1u);

	return b < VL_BURST_HIST_BUCKETS ? b : VL_BURST_HIST_BUCKETS - 1;
}

/* The counters in X-macro order: name, help text, offset in struct vl_qp_stats. The exit table,
 * telemetry and the JSON lines are built from it. */
struct vl_qp_counter {
	const char *name;
	const char *help;
	size_t offset;
};
extern const struct vl_qp_counter vl_qp_counters[];
extern const unsigned int vl_qp_nb_counters;

/* Read counter i (X-macro order) of s. */
uint64_t vl_qp_stats_get(const struct vl_qp_stats *s, unsigned int i);

/*
 * Where a queue pair runs and where its guest memory lives (lib/dev writes it from the control
 * plane, off the datapath; readers may see a value one probe old). Nodes are -1 when unknown.
 */
struct vl_stats_numa {
	unsigned int lcore; /* owner now (a guest's start may move the pair) */
	int cpu;	    /* the owner's CPU */
	int cpu_node;
	int ring_node;	 /* node holding most of the pair's two vrings (desc/avail/used) */
	int buffer_node; /* node holding most of a sample of the buffers the guest posted */
	int wanted_node; /* what --numa asked for, -1 when it did not apply */
	bool honoured;	 /* false: --numa could not be honoured for this pair */
	bool cross_node; /* cpu_node and ring_node known and different */
};

/* Where a queue pair's state comes from (lib/dev owns it); NULL-safe. */
typedef const char *(*vl_stats_state_fn)(const void *ctx);

/* One registered queue pair. */
struct vl_stats_qp_desc {
	const char *iface;  /* interface name, lives as long as the registration */
	uint16_t qp;	    /* queue pair index */
	unsigned int lcore; /* owning lcore */
	const struct vl_qp_stats *stats;
	vl_stats_state_fn state; /* vl_dev_qp_state_name: "idle", "running", "broken: ..." */
	const void *state_ctx;
	const struct vl_stats_numa *numa; /* NULL: not reported */
};

#define VL_STATS_MAX_QPS 4096

/* Register a queue pair's counters; 0 or -ENOSPC. Call before the workers start. */
int vl_stats_register(const struct vl_stats_qp_desc *desc);
unsigned int vl_stats_nb_qps(void);
void vl_stats_reset_registry(void);

/* Sum of all queue pairs' counters into *total. */
void vl_stats_total(struct vl_qp_stats *total);

/* The live one-line summary: rates since the previous call, elapsed_s apart. */
void vl_stats_print_line(FILE *out, double elapsed_s);

/* The per-queue table printed on exit: a column per counter of VL_QP_COUNTERS (X-macro order),
 * then cycles per looped frame and the state. */
void vl_stats_print_table(FILE *out);

/*
 * JSON lines (jansson). Every record is one object (no newline) with "record", the wall-clock
 * "time" (unix seconds with fraction) and "time_utc" (RFC 3339), and "uptime_s".
 * The header ("record": "run") describes the run: what struct vl_stats_run holds, tsc_hz, the
 * burst histogram's bucket edges and the counters.
 */
struct vl_stats_run {
	const char *version;
	const char *commit;	 /* of the build, "" if unknown */
	const char *config_json; /* the --dump-config document, or NULL */
	int argc;		 /* the command line */
	const char *const *argv;
};
void vl_stats_header_json(FILE *out, const struct vl_stats_run *run);
/* A snapshot ("record": "snapshot"): every queue pair's counters (and, with the audit, the
 * steering view of the last interval). */
void vl_stats_snapshot_json(FILE *out, double uptime_s);

/* ---- steering audit (lib/steer): share, fairness, idle pairs -----------------------------------
 */

struct vl_steer;

/* Report this audit (its pairs added in the order of vl_stats_register). Before the workers. */
void vl_stats_set_steer(struct vl_steer *s);

/*
 * Every stats interval, main lcore: hand the owners' flow tables over (vl_steer_collect) and
 * compute, over the pairs enabled now (state "running"), each one's share of the interval's
 * frames, Jain's fairness index, and which carried nothing. Feeds the live line, the snapshot
 * and /vhostloop/steering.
 */
void vl_stats_steer_interval(void);

/* At exit, once the pollers have returned: merge every table, print the audit's summary
 * (whole-run shares and fairness, pairs idle in some interval, the multi-queue flows). */
void vl_stats_steer_final(FILE *out);

/* Register /vhostloop/ telemetry commands (needs EAL telemetry). 0 or -errno. */
int vl_stats_telemetry_init(void);

#endif /* VL_STATS_H */

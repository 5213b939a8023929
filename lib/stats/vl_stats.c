/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_stats.c - counter registry, console output, JSON snapshots and telemetry. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "vl_log.h"
#include "stats_priv.h"
#include "vl_stats.h"

const struct vl_qp_counter vl_qp_counters[] = {
#define X(name, help) {#name, help, offsetof(struct vl_qp_stats, name)},
	VL_QP_COUNTERS(X)
#undef X
};

const unsigned int vl_qp_nb_counters = sizeof(vl_qp_counters) / sizeof(vl_qp_counters[0]);

uint64_t
vl_qp_stats_get(const struct vl_qp_stats *s, unsigned int i)
{
	uint64_t v;

	if (i >= vl_qp_nb_counters)
		return 0;
	memcpy(&v, (const char *)s + vl_qp_counters[i].offset, sizeof(v));
	return v;
}

/* Registered queue pairs; written before the workers start, read by main and telemetry. */
struct vl_stats_qp_desc stats_qps[VL_STATS_MAX_QPS];
unsigned int stats_nb_qps;

/* What vl_stats_print_line saw last time, per queue pair (main lcore only). */
struct stats_prev {
	uint64_t frames;
	uint64_t bytes;
	uint64_t drops;
};
static struct stats_prev stats_prev[VL_STATS_MAX_QPS];

int
vl_stats_register(const struct vl_stats_qp_desc *desc)
{
	if (stats_nb_qps >= VL_STATS_MAX_QPS)
		return -ENOSPC;
	stats_qps[stats_nb_qps] = *desc;
	memset(&stats_prev[stats_nb_qps], 0, sizeof(stats_prev[0]));
	stats_nb_qps++;
	return 0;
}

unsigned int
vl_stats_nb_qps(void)
{
	return stats_nb_qps;
}

void
vl_stats_reset_registry(void)
{
	stats_nb_qps = 0;
}

static uint64_t
stats_drops(const struct vl_qp_stats *s)
{
	return s->drop_rx_full + s->drop_truncated + s->drop_short;
}

void
vl_stats_total(struct vl_qp_stats *total)
{
	memset(total, 0, sizeof(*total));
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_qp_stats *s = stats_qps[i].stats;

#define X(name, help) total->name += s->name;
		VL_QP_COUNTERS(X)
#undef X
		for (unsigned int b = 0; b < VL_BURST_HIST_BUCKETS; b++)
			total->burst_hist[b] += s->burst_hist[b];
	}
	/* A maximum: the largest of the pairs', not their sum. */
	total->wakeup_latency_max_cycles = 0;
	for (unsigned int i = 0; i < stats_nb_qps; i++)
		if (stats_qps[i].stats->wakeup_latency_max_cycles >
		    total->wakeup_latency_max_cycles)
			total->wakeup_latency_max_cycles =
				stats_qps[i].stats->wakeup_latency_max_cycles;
}

const char *
stats_state(const struct vl_stats_qp_desc *d)
{
	const char *st = d->state != NULL ? d->state(d->state_ctx) : NULL;

	return st != NULL ? st : "-";
}

/* Busy cycles per looped frame, 0 when nothing was looped. */
static double
stats_cycles_per_frame(const struct vl_qp_stats *s)
{
	return s->frames != 0 ? (double)s->busy_cycles / (double)s->frames : 0.0;
}

#define STATS_LINE_QPS 8 /* queue pairs shown by name on the live line */

void
vl_stats_print_line(FILE *out, double elapsed_s)
{
	uint64_t frames = 0, bytes = 0, drops = 0;
	char per_qp[STATS_LINE_QPS * 40] = "", steer[256] = "";
	size_t used = 0;

	if (elapsed_s <= 0)
		elapsed_s = 1;
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_qp_stats *s = stats_qps[i].stats;
		struct stats_prev now = {s->frames, s->bytes, stats_drops(s)};
		struct stats_prev *prev = &stats_prev[i];
		uint64_t d_frames = now.frames - prev->frames;

		frames += d_frames;
		bytes += now.bytes - prev->bytes;
		drops += now.drops - prev->drops;
		if (i < STATS_LINE_QPS && used < sizeof(per_qp)) {
			int n = snprintf(per_qp + used, sizeof(per_qp) - used, " %s/%u %.2f",
					 stats_qps[i].iface, stats_qps[i].qp,
					 (double)d_frames / elapsed_s / 1e6);

			if (n > 0)
				used += (size_t)n;
		}
		*prev = now;
	}
	stats_steer_line(steer, sizeof(steer));
	fprintf(out, "vhostloop: %.3f Mpps %.3f Gbps drops %.0f/s | Mpps per queue:%s%s%s\n",
		(double)frames / elapsed_s / 1e6, (double)bytes * 8 / elapsed_s / 1e9,
		(double)drops / elapsed_s, per_qp, stats_nb_qps > STATS_LINE_QPS ? " ..." : "",
		steer);
	fflush(out);
}

/* The owner now: a guest's start may have moved the pair since it was registered. */
static unsigned int
stats_lcore(const struct vl_stats_qp_desc *d)
{
	return d->numa != NULL ? __atomic_load_n(&d->numa->lcore, __ATOMIC_RELAXED) : d->lcore;
}

/* The NUMA placement table, after the counters; every row starts with "numa:". */
static void
stats_print_numa_table(FILE *out)
{
	bool any = false;

	for (unsigned int i = 0; i < stats_nb_qps; i++)
		any = any || stats_qps[i].numa != NULL;
	if (!any)
		return;
	fprintf(out, "numa: %-12s %4s %5s %4s %8s %9s %11s %10s %8s\n", "interface", "qp", "lcore",
		"cpu", "cpu_node", "ring_node", "buffer_node", "cross_node", "honoured");
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *d = &stats_qps[i];
		const struct vl_stats_numa *n = d->numa;

		if (n == NULL)
			continue;
		fprintf(out, "numa: %-12s %4u %5u %4d %8d %9d %11d %10s %8s\n", d->iface, d->qp,
			n->lcore, n->cpu, n->cpu_node, n->ring_node, n->buffer_node,
			n->cross_node ? "yes" : "no", n->honoured ? "yes" : "no");
	}
}

/* Width of counter column c of the exit table: its name, at least 10. */
static int
stats_col_width(unsigned int c)
{
	int w = (int)strlen(vl_qp_counters[c].name);

	return w > 10 ? w : 10;
}

/* One row: identity columns, then every counter (X-macro order), cycles per frame, state. */
static void
stats_print_row(FILE *out, const char *iface, const char *qp, const char *lcore,
		const struct vl_qp_stats *s, const char *state)
{
	fprintf(out, "%-12s %4s %5s", iface, qp, lcore);
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		fprintf(out, " %*" PRIu64, stats_col_width(c), vl_qp_stats_get(s, c));
	fprintf(out, " %9.1f%s%s\n", stats_cycles_per_frame(s), state[0] != '\0' ? "  " : "",
		state);
}

/* Idle sleep (--idle-sleep-us), after the counters when any pair slept; rows start "idle:". */
static void
stats_print_idle_table(FILE *out)
{
	double us_per_cycle = 1e6 / (double)rte_get_tsc_hz();
	bool any = false;

	for (unsigned int i = 0; i < stats_nb_qps; i++)
		any = any || stats_qps[i].stats->idle_sleeps != 0;
	if (!any)
		return;
	fprintf(out, "idle: %-12s %4s %12s %12s %14s %13s\n", "interface", "qp", "sleeps",
		"wakeups", "wake_mean_us", "wake_max_us");
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_qp_stats *s = stats_qps[i].stats;

		fprintf(out, "idle: %-12s %4u %12" PRIu64 " %12" PRIu64 " %14.1f %13.1f\n",
			stats_qps[i].iface, stats_qps[i].qp, s->idle_sleeps, s->idle_wakeups,
			s->idle_wakeups != 0 ? (double)s->wakeup_latency_cycles /
						       (double)s->idle_wakeups * us_per_cycle
					     : 0.0,
			(double)s->wakeup_latency_max_cycles * us_per_cycle);
	}
}

void
vl_stats_print_table(FILE *out)
{
	struct vl_qp_stats total;
	char qp[16], lcore[16];

	/* Every column comes from the counter table: a counter added there shows here, in the
	 * JSON lines and in telemetry alike. */
	fprintf(out, "%-12s %4s %5s", "interface", "qp", "lcore");
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		fprintf(out, " %*s", stats_col_width(c), vl_qp_counters[c].name);
	fprintf(out, " %9s  %s\n", "cyc/frame", "state");
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *d = &stats_qps[i];

		snprintf(qp, sizeof(qp), "%u", d->qp);
		snprintf(lcore, sizeof(lcore), "%u", stats_lcore(d));
		stats_print_row(out, d->iface, qp, lcore, d->stats, stats_state(d));
	}
	vl_stats_total(&total);
	stats_print_row(out, "total", "", "", &total, "");
	stats_print_numa_table(out);
	stats_print_idle_table(out);
	fflush(out);
}

/* ---- JSON lines ------------------------------------------------------------------------------ */

/* Wall clock: unix seconds with fraction, and RFC 3339 UTC with microseconds. */
static void
stats_json_time(json_t *obj)
{
	struct timespec ts;
	struct tm tm;
	char utc[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(utc, sizeof(utc), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
	json_object_set_new(obj, "time", json_real((double)ts.tv_sec + (double)ts.tv_nsec / 1e9));
	json_object_set_new(obj, "time_utc", json_string(utc));
}

/* One line per record: compact, reals with enough digits for a unix time in microseconds. */
static void
stats_json_write(FILE *out, json_t *root)
{
	if (root != NULL)
		json_dumpf(root, out, JSON_COMPACT | JSON_REAL_PRECISION(16));
	json_decref(root);
}

/* One queue pair's object: identity, every counter, the burst histogram (others add fields). */
static json_t *
stats_json_qp(unsigned int i)
{
	const struct vl_stats_qp_desc *d = &stats_qps[i];
	json_t *q = json_object(), *hist = json_array();

	json_object_set_new(q, "interface", json_string(d->iface));
	json_object_set_new(q, "qp", json_integer(d->qp));
	json_object_set_new(q, "lcore", json_integer(stats_lcore(d)));
	json_object_set_new(q, "state", json_string(stats_state(d)));
	if (d->numa != NULL) {
		json_object_set_new(q, "cpu", json_integer(d->numa->cpu));
		json_object_set_new(q, "cpu_node", json_integer(d->numa->cpu_node));
		json_object_set_new(q, "ring_node", json_integer(d->numa->ring_node));
		json_object_set_new(q, "buffer_node", json_integer(d->numa->buffer_node));
		json_object_set_new(q, "cross_node", json_boolean(d->numa->cross_node));
	}
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		json_object_set_new(q, vl_qp_counters[c].name,
				    json_integer((json_int_t)vl_qp_stats_get(d->stats, c)));
	for (unsigned int b = 0; b < VL_BURST_HIST_BUCKETS; b++)
		json_array_append_new(hist, json_integer((json_int_t)d->stats->burst_hist[b]));
	json_object_set_new(q, "burst_hist", hist);
	stats_steer_json_qp(q, i);
	return q;
}

void
vl_stats_snapshot_json(FILE *out, double uptime_s)
{
	json_t *root = json_object(), *queues = json_array();

	json_object_set_new(root, "record", json_string("snapshot"));
	stats_json_time(root);
	json_object_set_new(root, "uptime_s", json_real(uptime_s));
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	for (unsigned int i = 0; i < stats_nb_qps; i++)
		json_array_append_new(queues, stats_json_qp(i));
	json_object_set_new(root, "queues", queues);
	stats_steer_json(root);
	stats_json_write(out, root);
}

void
vl_stats_header_json(FILE *out, const struct vl_stats_run *run)
{
	json_t *root = json_object(), *edges = json_array(), *counters = json_array();
	json_t *config = run->config_json != NULL ? json_loads(run->config_json, 0, NULL) : NULL;
	json_t *cmd = json_array();
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < run->argc; i++)
		json_array_append_new(cmd, json_string(run->argv[i]));
	json_object_set_new(root, "record", json_string("run"));
	stats_json_time(root);
	json_object_set_new(root, "uptime_s", json_real(0));
	json_object_set_new(root, "version", json_string(run->version));
	json_object_set_new(root, "commit", json_string(run->commit));
	json_object_set_new(root, "host", json_string(host));
	json_object_set_new(root, "command_line", cmd);
	json_object_set_new(root, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(root, "config", config != NULL ? config : json_null());
	/* burst_hist[b] counts bursts of [edges[b], edges[b + 1]) frames; the last is open. */
	for (unsigned int b = 0; b < VL_BURST_HIST_BUCKETS; b++)
		json_array_append_new(edges, json_integer(1 << b));
	json_object_set_new(root, "burst_hist_edges", edges);
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		json_array_append_new(counters,
				      json_pack("{s:s, s:s}", "name", vl_qp_counters[c].name,
						"help", vl_qp_counters[c].help));
	json_object_set_new(root, "counters", counters);
	stats_json_write(out, root);
}

/* ---- telemetry ------------------------------------------------------------------------------ */

static void
stats_tel_counters(struct rte_tel_data *d, const struct vl_qp_stats *s)
{
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		rte_tel_data_add_dict_u64(d, vl_qp_counters[c].name, vl_qp_stats_get(s, c));
}

/* /vhostloop/stats: totals over every queue pair. */
static int
stats_tel_stats(const char *cmd __attribute__((unused)), const char *params __attribute__((unused)),
		struct rte_tel_data *d)
{
	struct vl_qp_stats total;

	vl_stats_total(&total);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "queue_pairs", stats_nb_qps);
	stats_tel_counters(d, &total);
	return 0;
}

/* /vhostloop/queues: "interface/qp" of every queue pair, the parameter of /vhostloop/queue. */
static int
stats_tel_queues(const char *cmd __attribute__((unused)),
		 const char *params __attribute__((unused)), struct rte_tel_data *d)
{
	char name[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (unsigned int i = 0; i < stats_nb_qps && i < RTE_TEL_MAX_ARRAY_ENTRIES; i++) {
		snprintf(name, sizeof(name), "%s/%u", stats_qps[i].iface, stats_qps[i].qp);
		rte_tel_data_add_array_string(d, name);
	}
	return 0;
}

/* /vhostloop/queue,IFACE/QP: one queue pair's counters, owner lcore and state. */
static int
stats_tel_queue(const char *cmd __attribute__((unused)), const char *params, struct rte_tel_data *d)
{
	char name[RTE_TEL_MAX_STRING_LEN];

	if (params == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *q = &stats_qps[i];

		snprintf(name, sizeof(name), "%s/%u", q->iface, q->qp);
		if (strcmp(name, params) != 0)
			continue;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "interface", q->iface);
		rte_tel_data_add_dict_u64(d, "qp", q->qp);
		rte_tel_data_add_dict_u64(d, "lcore", stats_lcore(q));
		rte_tel_data_add_dict_string(d, "state", stats_state(q));
		stats_tel_counters(d, q->stats);
		return 0;
	}
	return -EINVAL;
}

/* One queue pair's placement. Telemetry in DPDK 22.11 has no boolean: cross_node and
 * honoured are 0 or 1. */
static void
stats_tel_numa_fill(struct rte_tel_data *d, const struct vl_stats_qp_desc *q)
{
	const struct vl_stats_numa *n = q->numa;

	rte_tel_data_add_dict_string(d, "interface", q->iface);
	rte_tel_data_add_dict_int(d, "qp", q->qp);
	rte_tel_data_add_dict_int(d, "lcore", (int)n->lcore);
	rte_tel_data_add_dict_int(d, "cpu", n->cpu);
	rte_tel_data_add_dict_int(d, "cpu_node", n->cpu_node);
	rte_tel_data_add_dict_int(d, "ring_node", n->ring_node);
	rte_tel_data_add_dict_int(d, "buffer_node", n->buffer_node);
	rte_tel_data_add_dict_int(d, "cross_node", n->cross_node ? 1 : 0);
	rte_tel_data_add_dict_int(d, "wanted_node", n->wanted_node);
	rte_tel_data_add_dict_int(d, "honoured", n->honoured ? 1 : 0);
}

/*
 * /vhostloop/numa: per queue pair ("interface/qp" -> its placement), or with the parameter
 * IFACE/QP that pair alone. Nodes are -1 when unknown (no guest yet).
 */
static int
stats_tel_numa(const char *cmd __attribute__((unused)), const char *params, struct rte_tel_data *d)
{
	char name[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *q = &stats_qps[i];
		struct rte_tel_data *c;

		if (q->numa == NULL)
			continue;
		snprintf(name, sizeof(name), "%s/%u", q->iface, q->qp);
		if (params != NULL && *params != '\0') {
			if (strcmp(name, params) != 0)
				continue;
			stats_tel_numa_fill(d, q);
			return 0;
		}
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		stats_tel_numa_fill(c, q);
		if (rte_tel_data_add_dict_container(d, name, c, 0) != 0) {
			rte_tel_data_free(c);
			break; /* the dict is full */
		}
	}
	return params != NULL && *params != '\0' ? -EINVAL : 0;
}

int
vl_stats_telemetry_init(void)
{
	if (rte_telemetry_register_cmd("/vhostloop/stats", stats_tel_stats,
				       "Counters summed over every queue pair. No parameters.") ||
	    rte_telemetry_register_cmd("/vhostloop/queues", stats_tel_queues,
				       "Queue pairs as interface/qp. No parameters.") ||
	    rte_telemetry_register_cmd("/vhostloop/queue", stats_tel_queue,
				       "One queue pair's counters. Parameter: interface/qp.") ||
	    rte_telemetry_register_cmd(
		    "/vhostloop/numa", stats_tel_numa,
		    "Per queue pair: lcore, cpu, cpu/ring/buffer node, cross_node. "
		    "Optional parameter: interface/qp.") ||
	    stats_steer_telemetry_init())
		return -EINVAL;
	return 0;
}

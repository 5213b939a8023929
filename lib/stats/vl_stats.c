/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_stats.c - counter registry, console output, JSON snapshots and telemetry. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "vl_log.h"
#include "vl_stats.h"

const char *const vl_qp_counter_names[] = {
#define X(name, help) #name,
	VL_QP_COUNTERS(X)
#undef X
};

const char *const vl_qp_counter_help[] = {
#define X(name, help) help,
	VL_QP_COUNTERS(X)
#undef X
};

const unsigned int vl_qp_nb_counters = sizeof(vl_qp_counter_names) / sizeof(vl_qp_counter_names[0]);

uint64_t
vl_qp_stats_get(const struct vl_qp_stats *s, unsigned int i)
{
	unsigned int n = 0;

#define X(name, help) \
	if (n++ == i) \
		return s->name;
	VL_QP_COUNTERS(X)
#undef X
	return 0;
}

/* Registered queue pairs; written before the workers start, read by main and telemetry. */
static struct vl_stats_qp_desc stats_qps[VL_STATS_MAX_QPS];
static unsigned int stats_nb_qps;

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
}

static const char *
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
	char per_qp[STATS_LINE_QPS * 40] = "";
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
	fprintf(out, "vhostloop: %.3f Mpps %.3f Gbps drops %.0f/s | Mpps per queue:%s%s\n",
		(double)frames / elapsed_s / 1e6, (double)bytes * 8 / elapsed_s / 1e9,
		(double)drops / elapsed_s, per_qp, stats_nb_qps > STATS_LINE_QPS ? " ..." : "");
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

void
vl_stats_print_table(FILE *out)
{
	struct vl_qp_stats total;

	fprintf(out, "%-12s %4s %5s %14s %16s %10s %10s %8s %8s %12s %10s %9s  %s\n", "interface",
		"qp", "lcore", "frames", "bytes", "drop_full", "drop_trunc", "short", "broken",
		"calls", "bursts", "cyc/frame", "state");
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *d = &stats_qps[i];
		const struct vl_qp_stats *s = d->stats;

		fprintf(out,
			"%-12s %4u %5u %14" PRIu64 " %16" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %8" PRIu64 " %8" PRIu64 " %12" PRIu64 " %10" PRIu64 " %9.1f  %s\n",
			d->iface, d->qp, stats_lcore(d), s->frames, s->bytes, s->drop_rx_full,
			s->drop_truncated, s->drop_short, s->queue_broken, s->calls, s->bursts,
			stats_cycles_per_frame(s), stats_state(d));
	}
	vl_stats_total(&total);
	fprintf(out,
		"%-12s %4s %5s %14" PRIu64 " %16" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
		" %8" PRIu64 " %12" PRIu64 " %10" PRIu64 " %9.1f\n",
		"total", "", "", total.frames, total.bytes, total.drop_rx_full,
		total.drop_truncated, total.drop_short, total.queue_broken, total.calls,
		total.bursts, stats_cycles_per_frame(&total));
	stats_print_numa_table(out);
	fflush(out);
}

static void
stats_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void
vl_stats_snapshot_json(FILE *out, double uptime_s)
{
	fprintf(out, "{\"uptime_s\": %.3f, \"tsc_hz\": %" PRIu64 ", \"queues\": [", uptime_s,
		rte_get_tsc_hz());
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		const struct vl_stats_qp_desc *d = &stats_qps[i];

		fprintf(out, "%s{\"interface\": ", i ? ", " : "");
		stats_json_string(out, d->iface);
		fprintf(out, ", \"qp\": %u, \"lcore\": %u, \"state\": ", d->qp, stats_lcore(d));
		stats_json_string(out, stats_state(d));
		if (d->numa != NULL)
			fprintf(out,
				", \"cpu\": %d, \"cpu_node\": %d, \"ring_node\": %d, "
				"\"buffer_node\": "
				"%d, \"cross_node\": %s",
				d->numa->cpu, d->numa->cpu_node, d->numa->ring_node,
				d->numa->buffer_node, d->numa->cross_node ? "true" : "false");
		for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
			fprintf(out, ", \"%s\": %" PRIu64, vl_qp_counter_names[c],
				vl_qp_stats_get(d->stats, c));
		fputs(", \"burst_hist\": [", out);
		for (unsigned int b = 0; b < VL_BURST_HIST_BUCKETS; b++)
			fprintf(out, "%s%" PRIu64, b ? ", " : "", d->stats->burst_hist[b]);
		fputs("]}", out);
	}
	fputs("]}", out);
}

/* ---- telemetry ------------------------------------------------------------------------------ */

static void
stats_tel_counters(struct rte_tel_data *d, const struct vl_qp_stats *s)
{
	for (unsigned int c = 0; c < vl_qp_nb_counters; c++)
		rte_tel_data_add_dict_u64(d, vl_qp_counter_names[c], vl_qp_stats_get(s, c));
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
		    "Optional parameter: interface/qp."))
		return -EINVAL;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_stats_steer.c - the steering audit's report: per stats interval (main lcore) the owners'
 * flow tables are handed over and merged (lib/steer), each enabled pair's share of the interval's
 * frames, Jain's fairness index over the enabled pairs and the pairs that carried nothing are
 * computed; the live line, the JSON lines, /vhostloop/steering and the exit summary show them.
 *
 * Shares and idleness come from the engine's own frame counters (exact, this interval); flows
 * come from the audit's tables, which reach the merged view one interval late (lib/steer).
 * The main lcore writes this view and the telemetry thread reads it: a mutex, off the datapath.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "stats_priv.h"
#include "vl_compiler.h"
#include "vl_steer.h"

/* Per registered pair (same index as stats_qps). */
struct steer_pair {
	uint64_t prev_frames;	 /* engine frames counter at the previous interval */
	uint64_t d_frames;	 /* frames of the last interval */
	uint64_t idle_intervals; /* intervals enabled but without a frame */
	double share;		 /* of the last interval's frames, over enabled pairs */
	bool enabled;		 /* "running" at the last interval */
	bool idle;		 /* enabled, no frame in the last interval */
	bool ever_enabled;
};

static struct vl_steer *steer;
static pthread_mutex_t steer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct steer_pair steer_pairs[VL_STATS_MAX_QPS];
static uint64_t steer_nb_intervals;
static double steer_fairness;
static unsigned int steer_nb_enabled, steer_nb_idle;

/* Multi-queue flows listed by name in JSON lines and telemetry (all are counted). */
#define STEER_LIST_MAX 64

void
vl_stats_set_steer(struct vl_steer *s)
{
	steer = s;
}

static bool
steer_is_enabled(unsigned int i)
{
	return strcmp(stats_state(&stats_qps[i]), "running") == 0;
}

void
vl_stats_steer_interval(void)
{
	static uint64_t x[VL_STATS_MAX_QPS];
	uint64_t sum = 0;
	unsigned int n = 0, nb_idle = 0;

	if (steer == NULL)
		return;
	pthread_mutex_lock(&steer_lock);
	vl_steer_collect(steer, false);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		struct steer_pair *p = &steer_pairs[i];
		uint64_t now = stats_qps[i].stats->frames;

		p->d_frames = now - p->prev_frames;
		p->prev_frames = now;
		p->enabled = steer_is_enabled(i);
		p->idle = p->enabled && p->d_frames == 0;
		if (p->enabled) {
			p->ever_enabled = true;
			x[n++] = p->d_frames;
			sum += p->d_frames;
		}
		if (p->idle) {
			p->idle_intervals++;
			nb_idle++;
		}
	}
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		struct steer_pair *p = &steer_pairs[i];

		p->share = p->enabled && sum != 0 ? (double)p->d_frames / (double)sum : 0;
	}
	steer_fairness = vl_steer_jain(x, n);
	steer_nb_enabled = n;
	steer_nb_idle = nb_idle;
	steer_nb_intervals++;
	pthread_mutex_unlock(&steer_lock);
}

static void
steer_qp_label(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u", stats_qps[i].iface, stats_qps[i].qp);
}

/* "vhost0 qps 0,3: ipv4 udp 10.0.0.1:1 > 10.0.0.2:9" */
static void
steer_multi_label(const struct vl_steer_multi *m, char *buf, size_t len)
{
	char key[VL_STEER_KEY_STRLEN];
	size_t used;

	vl_steer_key_format(&m->key, key, sizeof(key));
	used = (size_t)snprintf(buf, len, "%s qps ", m->iface);
	for (unsigned int k = 0; k < VL_MIN(m->nb_qps, VL_STEER_FLOW_QPS_MAX) && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", k ? "," : "", m->qps[k]);
	if (used < len)
		snprintf(buf + used, len - used, "%s: %s",
			 m->nb_qps > VL_STEER_FLOW_QPS_MAX ? ",..." : "", key);
}

int
stats_steer_line(char *buf, size_t len)
{
	struct vl_steer_totals t;
	size_t used;
	unsigned int shown = 0;

	if (steer == NULL || len == 0)
		return 0;
	pthread_mutex_lock(&steer_lock);
	vl_steer_totals(steer, &t);
	used = (size_t)snprintf(
		buf, len, " | steer: flows %" PRIu64 " multi-q %" PRIu64 " fairness %.3f idle %u",
		t.flows, t.flows_multi_queue, steer_fairness, steer_nb_idle);
	for (unsigned int i = 0; i < stats_nb_qps && used < len; i++) {
		char label[64];

		if (!steer_pairs[i].idle)
			continue;
		if (shown++ == 4) {
			used += (size_t)snprintf(buf + used, len - used, " ...");
			break;
		}
		steer_qp_label(i, label, sizeof(label));
		used += (size_t)snprintf(buf + used, len - used, " %s", label);
	}
	pthread_mutex_unlock(&steer_lock);
	return (int)VL_MIN(used, len - 1);
}

void
stats_steer_json_qp(json_t *q, unsigned int i)
{
	const struct steer_pair *p = &steer_pairs[i];
	uint64_t frames, unparsed;

	if (steer == NULL)
		return;
	pthread_mutex_lock(&steer_lock);
	vl_steer_qp_counts(steer, i, &frames, &unparsed);
	json_object_set_new(q, "steering",
			    json_pack("{s:f, s:b, s:b, s:I, s:I, s:I}", "share", p->share,
				      "enabled", p->enabled, "idle", p->idle, "idle_intervals",
				      (json_int_t)p->idle_intervals, "frames_classified",
				      (json_int_t)frames, "unparsed", (json_int_t)unparsed));
	pthread_mutex_unlock(&steer_lock);
}

void
stats_steer_json(json_t *root)
{
	json_t *o, *idle = json_array(), *share = json_object(), *multi = json_array();
	struct vl_steer_totals t;
	struct vl_steer_multi m;
	char label[64], key[VL_STEER_KEY_STRLEN];

	if (steer == NULL) {
		json_decref(idle);
		json_decref(share);
		json_decref(multi);
		return;
	}
	pthread_mutex_lock(&steer_lock);
	vl_steer_totals(steer, &t);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		steer_qp_label(i, label, sizeof(label));
		if (steer_pairs[i].idle)
			json_array_append_new(idle, json_string(label));
		if (steer_pairs[i].enabled)
			json_object_set_new(share, label, json_real(steer_pairs[i].share));
	}
	for (unsigned int i = 0; i < STEER_LIST_MAX && vl_steer_multi_get(steer, i, &m) == 0; i++) {
		json_t *qps = json_array();

		for (unsigned int k = 0; k < VL_MIN(m.nb_qps, VL_STEER_FLOW_QPS_MAX); k++)
			json_array_append_new(qps, json_integer(m.qps[k]));
		vl_steer_key_format(&m.key, key, sizeof(key));
		json_array_append_new(multi, json_pack("{s:s, s:s, s:o, s:I, s:I}", "interface",
						       m.iface, "flow", key, "qps", qps, "frames",
						       (json_int_t)m.frames, "bytes",
						       (json_int_t)m.bytes));
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:o, s:o, s:o}", "flows",
		      (json_int_t)t.flows, "flows_multi_queue", (json_int_t)t.flows_multi_queue,
		      "unparsed", (json_int_t)t.unparsed, "flows_dropped",
		      (json_int_t)t.flows_dropped, "frames_classified", (json_int_t)t.frames,
		      "fairness", steer_fairness, "enabled_queues", (int)steer_nb_enabled,
		      "idle_queues", idle, "share", share, "multi_queue_flows", multi);
	pthread_mutex_unlock(&steer_lock);
	json_object_set_new(root, "steering", o);
}

void
vl_stats_steer_final(FILE *out)
{
	static uint64_t x[VL_STATS_MAX_QPS];
	struct vl_steer_totals t;
	struct vl_steer_multi m;
	uint64_t sum = 0, nb_multi;
	unsigned int n = 0;
	char label[64], line[2 * VL_STEER_KEY_STRLEN];

	if (steer == NULL)
		return;
	pthread_mutex_lock(&steer_lock);
	vl_steer_collect(steer, true);
	vl_steer_totals(steer, &t);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		if (!steer_pairs[i].ever_enabled && stats_qps[i].stats->frames == 0)
			continue;
		x[n++] = stats_qps[i].stats->frames;
		sum += stats_qps[i].stats->frames;
	}
	fprintf(out,
		"steering audit: %" PRIu64 " flows, %" PRIu64
		" on more than one queue pair; %" PRIu64 " frames classified, %" PRIu64
		" unparsed, %" PRIu64 " of flows not tracked (table full)\n",
		t.flows, t.flows_multi_queue, t.frames, t.unparsed, t.flows_dropped);
	{
		struct vl_qp_stats total;
		uint64_t seen = t.frames + t.unparsed + t.flows_dropped;

		/* Every looped frame should have been seen: say so if some were not. */
		vl_stats_total(&total);
		if (total.frames > seen)
			fprintf(out,
				"steering audit: %" PRIu64 " looped frames not seen by the audit\n",
				total.frames - seen);
	}
	fprintf(out,
		"steering fairness (Jain, whole run, %u queue pairs that were enabled): %.4f\n", n,
		vl_steer_jain(x, n));
	fputs("steering share (whole run):", out);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		if (!steer_pairs[i].ever_enabled && stats_qps[i].stats->frames == 0)
			continue;
		steer_qp_label(i, label, sizeof(label));
		fprintf(out, " %s %.1f%%", label,
			sum ? 100.0 * (double)stats_qps[i].stats->frames / (double)sum : 0.0);
	}
	fputc('\n', out);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		if (steer_pairs[i].idle_intervals == 0)
			continue;
		steer_qp_label(i, label, sizeof(label));
		fprintf(out,
			"steering idle queue: %s enabled but idle in %" PRIu64 " of %" PRIu64
			" intervals%s\n",
			label, steer_pairs[i].idle_intervals, steer_nb_intervals,
			steer_pairs[i].idle ? " (also the last)" : "");
	}
	nb_multi = VL_MIN(t.flows_multi_queue, (uint64_t)VL_STEER_MULTI_LIST_MAX);
	for (unsigned int i = 0; i < nb_multi && vl_steer_multi_get(steer, i, &m) == 0; i++) {
		if (i == STEER_LIST_MAX) {
			fprintf(out, "steering multi-queue flow: ... %" PRIu64 " more\n",
				t.flows_multi_queue - i);
			break;
		}
		steer_multi_label(&m, line, sizeof(line));
		fprintf(out, "steering multi-queue flow: %s (%" PRIu64 " frames)\n", line,
			m.frames);
	}
	pthread_mutex_unlock(&steer_lock);
	fflush(out);
}

/* ---- telemetry: /vhostloop/steering ---------------------------------------------------------- */

/* DPDK 22.11 telemetry has no floating-point values: ratios are strings ("0.9375") and ppm. */
static void
steer_tel_ratio(struct rte_tel_data *d, const char *name, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.4f", v);
	rte_tel_data_add_dict_string(d, name, buf);
}

static int
steer_tel(const char *cmd __attribute__((unused)), const char *params __attribute__((unused)),
	  struct rte_tel_data *d)
{
	struct rte_tel_data *idle, *queues, *share, *share_ppm, *multi;
	struct vl_steer_totals t;
	struct vl_steer_multi m;
	char label[64], line[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	if (steer == NULL) {
		rte_tel_data_add_dict_string(d, "audit", "off (start with --steering-audit)");
		return 0;
	}
	idle = rte_tel_data_alloc();
	queues = rte_tel_data_alloc();
	share = rte_tel_data_alloc();
	share_ppm = rte_tel_data_alloc();
	multi = rte_tel_data_alloc();
	if (idle == NULL || queues == NULL || share == NULL || share_ppm == NULL || multi == NULL) {
		rte_tel_data_free(idle);
		rte_tel_data_free(queues);
		rte_tel_data_free(share);
		rte_tel_data_free(share_ppm);
		rte_tel_data_free(multi);
		return -ENOMEM;
	}
	/* 22.11 nests only arrays: share[i] (and share_ppm[i]) belong to queues[i]. */
	rte_tel_data_start_array(idle, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(queues, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(share, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(share_ppm, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(multi, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&steer_lock);
	vl_steer_totals(steer, &t);
	rte_tel_data_add_dict_string(d, "audit", "on");
	rte_tel_data_add_dict_u64(d, "flows", t.flows);
	rte_tel_data_add_dict_u64(d, "flows_multi_queue", t.flows_multi_queue);
	rte_tel_data_add_dict_u64(d, "unparsed", t.unparsed);
	rte_tel_data_add_dict_u64(d, "flows_dropped", t.flows_dropped);
	rte_tel_data_add_dict_u64(d, "frames_classified", t.frames);
	steer_tel_ratio(d, "fairness", steer_fairness);
	rte_tel_data_add_dict_u64(d, "fairness_ppm", (uint64_t)(steer_fairness * 1e6 + 0.5));
	rte_tel_data_add_dict_u64(d, "enabled_queues", steer_nb_enabled);
	for (unsigned int i = 0; i < stats_nb_qps; i++) {
		steer_qp_label(i, label, sizeof(label));
		if (steer_pairs[i].idle && i < RTE_TEL_MAX_ARRAY_ENTRIES)
			rte_tel_data_add_array_string(idle, label);
		if (steer_pairs[i].enabled && i < RTE_TEL_MAX_ARRAY_ENTRIES) {
			char ratio[32];

			snprintf(ratio, sizeof(ratio), "%.4f", steer_pairs[i].share);
			rte_tel_data_add_array_string(queues, label);
			rte_tel_data_add_array_string(share, ratio);
			rte_tel_data_add_array_u64(share_ppm,
						   (uint64_t)(steer_pairs[i].share * 1e6 + 0.5));
		}
	}
	for (unsigned int i = 0; i < STEER_LIST_MAX && vl_steer_multi_get(steer, i, &m) == 0; i++) {
		steer_multi_label(&m, line, sizeof(line));
		rte_tel_data_add_array_string(multi, line);
	}
	pthread_mutex_unlock(&steer_lock);
	rte_tel_data_add_dict_container(d, "idle_queues", idle, 0);
	rte_tel_data_add_dict_container(d, "queues", queues, 0);
	rte_tel_data_add_dict_container(d, "share", share, 0);
	rte_tel_data_add_dict_container(d, "share_ppm", share_ppm, 0);
	rte_tel_data_add_dict_container(d, "multi_queue_flows", multi, 0);
	return 0;
}

int
stats_steer_telemetry_init(void)
{
	return rte_telemetry_register_cmd(
		"/vhostloop/steering", steer_tel,
		"Steering audit: flows, flows_multi_queue, fairness, idle_queues, share[i] of "
		"queues[i]. No parameters.");
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_report.c - what both modes print: the JSON result (built and written with jansson) and the
 * live rate line.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "gen.h"

json_t *
gen_json_fixed(double v, int decimals)
{
	double scale = pow(10.0, decimals);

	if (!isfinite(v))
		return json_null();
	return json_real(round(v * scale) / scale);
}

json_t *
gen_json_config(const struct gen_config *cfg)
{
	const uint8_t *m = cfg->mac;
	char mac[18];
	json_error_t err;
	json_t *c;
	int rc;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	c = json_pack_ex(&err, 0, "{s:s?, s:i, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:f}", "socket",
			 cfg->socket_path, "queue_pairs", (int)cfg->nb_qp, "mac", mac, "server",
			 (int)cfg->server, "mrg_rxbuf", (int)cfg->mrg_rxbuf, "in_order",
			 (int)cfg->in_order, "packed", (int)cfg->packed, "ring_size",
			 (int)cfg->ring_size, "mode",
			 cfg->mode == GEN_MODE_CHECK ? "check" : "perf", "connect_timeout_s",
			 cfg->connect_timeout_s);
	if (c == NULL) {
		fprintf(stderr, "vhostloop-gen: --json: config: %s\n", err.text);
		return NULL;
	}
	if (cfg->mode == GEN_MODE_CHECK) {
		json_t *sizes = json_array();

		for (unsigned int i = 0; sizes != NULL && i < cfg->nb_sizes; i++)
			if (json_array_append_new(sizes, json_integer(cfg->sizes_bytes[i])) != 0) {
				json_decref(sizes);
				sizes = NULL;
			}
		rc = json_object_set_new(c, "frames", json_integer((json_int_t)cfg->nb_frames));
		rc |= json_object_set_new(c, "sizes", sizes);
		rc |= json_object_set_new(c, "window", json_integer(cfg->window));
		rc |= json_object_set_new(c, "timeout_s", json_real(cfg->timeout_s));
		rc |= json_object_set_new(c, "tx_hdr_desc", json_boolean(cfg->tx_hdr_desc));
	} else {
		rc = json_object_set_new(c, "duration_s", json_real(cfg->duration_s));
		rc |= json_object_set_new(c, "warmup_s", json_real(cfg->warmup_s));
		rc |= json_object_set_new(
			c, "size", cfg->imix ? json_string("imix") : json_integer(cfg->size_bytes));
		rc |= json_object_set_new(c, "rate_pps", json_integer((json_int_t)cfg->rate_pps));
		rc |= json_object_set_new(c, "burst", json_integer(cfg->burst));
		rc |= json_object_set_new(c, "latency", json_boolean(cfg->latency));
		rc |= json_object_set_new(c, "latency_sample", json_integer(cfg->latency_sample));
		rc |= json_object_set_new(c, "tx_only", json_boolean(cfg->tx_only));
	}
	rc |= json_object_set_new(c, "tx_free_thresh", json_integer(cfg->tx_free_thresh));
	if (rc != 0) {
		fprintf(stderr, "vhostloop-gen: --json: config: out of memory\n");
		json_decref(c);
		return NULL;
	}
	return c;
}

json_t *
gen_json_doc(const struct gen_config *cfg)
{
	json_t *doc = json_object();

	if (doc == NULL || json_object_set_new(doc, "config", gen_json_config(cfg)) != 0) {
		fprintf(stderr, "vhostloop-gen: --json %s: cannot build the result\n",
			cfg->json_path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int
gen_json_write(const struct gen_config *cfg, json_t *doc)
{
	FILE *f;
	int rc;

	if (doc == NULL)
		return -1;
	f = fopen(cfg->json_path, "w");
	if (f == NULL) {
		fprintf(stderr, "vhostloop-gen: --json %s: %s\n", cfg->json_path, strerror(errno));
		json_decref(doc);
		return -1;
	}
	/* ", " and ": " separators, one line: the layout the hand-written version had. */
	rc = json_dumpf(doc, f, JSON_REAL_PRECISION(GEN_JSON_REAL_DIGITS));
	if (rc == 0 && fputc('\n', f) == EOF)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "vhostloop-gen: --json %s: write failed\n", cfg->json_path);
	json_decref(doc);
	return rc;
}

void
gen_live_line(const struct gen_config *cfg, double interval_s, const uint64_t *tx,
	      const uint64_t *rx, uint64_t *prev_tx, uint64_t *prev_rx)
{
	uint64_t sum_tx = 0, sum_rx = 0;

	printf("rates (Mpps tx/rx):");
	for (unsigned int q = 0; q < cfg->nb_qp; q++) {
		uint64_t dtx = tx[q] - prev_tx[q], drx = rx[q] - prev_rx[q];

		printf(" qp%u %.3f/%.3f", q, (double)dtx / interval_s / 1e6,
		       (double)drx / interval_s / 1e6);
		sum_tx += dtx;
		sum_rx += drx;
		prev_tx[q] = tx[q];
		prev_rx[q] = rx[q];
	}
	printf(" | total %.3f/%.3f", (double)sum_tx / interval_s / 1e6,
	       (double)sum_rx / interval_s / 1e6);
	sum_tx = sum_rx = 0; /* from here: the running totals since the start */
	for (unsigned int q = 0; q < cfg->nb_qp; q++) {
		sum_tx += tx[q];
		sum_rx += rx[q];
	}
	printf(" | tx_frames=%" PRIu64 " rx_frames=%" PRIu64 "\n", sum_tx, sum_rx);
	fflush(stdout);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_report.c - what both modes print: the JSON config object and the live rate line. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "gen.h"

/* A JSON string; the socket path is the only free text we write. */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
gen_json_config(FILE *f, const struct gen_config *cfg)
{
	const uint8_t *m = cfg->mac;

	fprintf(f, "\"config\": {\"socket\": ");
	if (cfg->socket_path != NULL)
		json_string(f, cfg->socket_path);
	else
		fprintf(f, "null");
	fprintf(f,
		", \"queue_pairs\": %u, \"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\", "
		"\"server\": %s, \"mrg_rxbuf\": %d, \"in_order\": %d, \"packed\": %d, "
		"\"ring_size\": %u, \"mode\": \"%s\", \"connect_timeout_s\": %g",
		cfg->nb_qp, m[0], m[1], m[2], m[3], m[4], m[5], cfg->server ? "true" : "false",
		cfg->mrg_rxbuf, cfg->in_order, cfg->packed, cfg->ring_size,
		cfg->mode == GEN_MODE_CHECK ? "check" : "perf", cfg->connect_timeout_s);
	if (cfg->mode == GEN_MODE_CHECK) {
		fprintf(f, ", \"frames\": %" PRIu64 ", \"sizes\": [", cfg->nb_frames);
		for (unsigned int i = 0; i < cfg->nb_sizes; i++)
			fprintf(f, "%s%u", i > 0 ? ", " : "", cfg->sizes_bytes[i]);
		fprintf(f, "], \"window\": %u, \"timeout_s\": %g, \"tx_hdr_desc\": %s", cfg->window,
			cfg->timeout_s, cfg->tx_hdr_desc ? "true" : "false");
	} else {
		fprintf(f, ", \"duration_s\": %g, \"warmup_s\": %g, ", cfg->duration_s,
			cfg->warmup_s);
		if (cfg->imix)
			fprintf(f, "\"size\": \"imix\"");
		else
			fprintf(f, "\"size\": %u", cfg->size_bytes);
		fprintf(f,
			", \"rate_pps\": %" PRIu64
			", \"burst\": %u, \"latency\": %s, \"latency_sample\": %u"
			", \"tx_only\": %s",
			cfg->rate_pps, cfg->burst, cfg->latency ? "true" : "false",
			cfg->latency_sample, cfg->tx_only ? "true" : "false");
	}
	fprintf(f, "}");
}

FILE *
gen_json_open(const struct gen_config *cfg)
{
	FILE *f = fopen(cfg->json_path, "w");

	if (f == NULL)
		fprintf(stderr, "vhostloop-gen: --json %s: %s\n", cfg->json_path, strerror(errno));
	return f;
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
	printf(" | total %.3f/%.3f\n", (double)sum_tx / interval_s / 1e6,
	       (double)sum_rx / interval_s / 1e6);
	fflush(stdout);
}

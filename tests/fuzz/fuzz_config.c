/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer target for the user-input parsers of lib/config: the same bytes go to
 * vl_config_load_json, to vl_config_load_file (through a memfd) and to vl_mac_parse.
 * Seeds: tests/fuzz/corpus-config/ (JSON dumps, INI profiles, MACs).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One memfd for the whole run: the INI loader takes a path, /proc/self/fd/N is one. */
static int fuzz_fd = -1;
static char fuzz_path[64];

static void
fuzz_check_invariants(const struct vl_config *cfg)
{
	char err[256];
	struct vl_config again;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* Whatever a parser accepted must be a config we can dump and load back. */
	if (cfg->nb_ifaces > VL_MAX_IFACES)
		abort();
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &cfg->ifaces[i];

		if (ifc->net.queue_pairs < VL_QUEUE_PAIRS_MIN ||
		    ifc->net.queue_pairs > VL_QUEUE_PAIRS_MAX)
			abort();
		if (!vl_mac_is_valid_unicast(ifc->net.mac))
			abort();
		if (memchr(ifc->socket_path, '\0', sizeof(ifc->socket_path)) == NULL)
			abort();
	}
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	if (vl_config_dump_json(cfg, f) != 0)
		abort();
	fclose(f);
	vl_config_init(&again);
	if (vl_config_load_json(&again, buf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dump does not load back: %s\n%s", err, buf);
		abort();
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vl_config cfg;
	char err[512];
	char *text;
	uint8_t mac[6];

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	vl_config_init(&cfg);
	if (vl_config_load_json(&cfg, text, err, sizeof(err)) == 0)
		fuzz_check_invariants(&cfg);

	if (fuzz_fd < 0) {
		fuzz_fd = memfd_create("fuzz_config.ini", 0);
		if (fuzz_fd < 0)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	}
	if (ftruncate(fuzz_fd, 0) != 0 || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	vl_config_init(&cfg);
	if (vl_config_load_file(&cfg, fuzz_path, err, sizeof(err)) == 0)
		fuzz_check_invariants(&cfg);

	if (vl_mac_parse(text, mac) == 0) {
		char back[VL_MAC_STRLEN];
		uint8_t again[6];

		vl_mac_format(mac, back);
		if (vl_mac_parse(back, again) != 0 || memcmp(mac, again, 6) != 0)
			abort();
	}
	free(text);
	return 0;
}

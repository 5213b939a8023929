/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_priv.h - what the parsers of lib/config share (CLI, INI, JSON): the value checks, so that
 * every source accepts the same values and words its errors the same way. Not for other modules.
 *
 * Every setter takes `where`, the source and the value as the user wrote them ("--burst 0",
 * "f.ini: [global] burst = 0", "json:3:12: burst 0"), and on a bad value writes
 * "<where>: <reason>" into err and returns -EINVAL.
 */
#ifndef CONFIG_PRIV_H
#define CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_config.h"

/* Writes one formatted line into err (if err is not NULL) and returns -EINVAL. */
int config_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Decimal digits only: no sign, no blank, no trailing garbage. A value too large for 64 bits
 * saturates to UINT64_MAX (it is out of every range, and clamps like any large value).
 * 0 or -EINVAL (not a number).
 */
int config_parse_uint(const char *str, uint64_t *val);

/* The integer run options; their CLI flag and INI key share one name, the JSON field another. */
struct config_uint_opt {
	const char *key;      /* "--burst" without the dashes, and the INI key */
	const char *json_key; /* field of vl_config_dump_json */
	uint32_t min, max;
	size_t offset; /* in struct vl_config */
	size_t size;   /* sizeof the field: 2 or 4 */
};

extern const struct config_uint_opt config_uint_opts[];
extern const unsigned int config_nb_uint_opts;

const struct config_uint_opt *config_uint_opt_find(const char *key);
const struct config_uint_opt *config_uint_opt_find_json(const char *json_key);
uint32_t config_uint_opt_get(const struct vl_config *cfg, const struct config_uint_opt *opt);
/* Range-checked store of an already parsed number. */
int config_uint_opt_set(struct vl_config *cfg, const struct config_uint_opt *opt, uint64_t val,
			const char *where, char *err, size_t errlen);

/*
 * The [global] section / run flags by key (INI spelling): datapath, stats-file, numa, qp-lcore
 * (replaces the map) and the integer options. -ENOENT (no message) for an unknown key, so that each
 * source words that error itself.
 */
int config_set_global(struct vl_config *cfg, const char *key, const char *value, const char *where,
		      char *err, size_t errlen);
/* "datapath, burst, ..." for unknown-key errors. */
extern const char config_global_keys[];

int config_set_datapath(struct vl_config *cfg, const char *value, const char *where, char *err,
			size_t errlen);
int config_set_numa(struct vl_config *cfg, const char *value, const char *where, char *err,
		    size_t errlen);
/* Append "IFACE:QP=LCORE[,...]" to the map; a repeated IFACE:QP is an error. */
int config_add_qp_lcore(struct vl_config *cfg, const char *value, const char *where, char *err,
			size_t errlen);
/* Every entry names an existing interface and one of its queue pairs. */
int config_check_qp_lcore(const struct vl_config *cfg, char *err, size_t errlen);
int config_set_stats_file(struct vl_config *cfg, const char *value, const char *where, char *err,
			  size_t errlen);

/* Interface idx's defaults: "vhost<idx>", no socket yet, server, default MAC with last octet idx+1.
 */
void config_iface_init(struct vl_iface_config *ifc, unsigned int idx);
/* Letters, digits, '_', '-', '.'; 1 to VL_IFACE_NAME_MAX - 1 bytes. */
int config_iface_set_name(struct vl_iface_config *ifc, const char *value, const char *where,
			  char *err, size_t errlen);
/* 1 to VL_SOCKET_PATH_MAX - 1 bytes. */
int config_iface_set_socket(struct vl_iface_config *ifc, const char *value, const char *where,
			    char *err, size_t errlen);
int config_iface_set_mode(struct vl_iface_config *ifc, const char *value, const char *where,
			  char *err, size_t errlen);
/* Records val as given and sets the clamped count. */
void config_iface_set_qp_number(struct vl_iface_config *ifc, uint64_t val);
/* Octal, 1 to 4 digits, at most 0777. */
int config_parse_socket_mode(const char *value, uint32_t *mode, const char *where, char *err,
			     size_t errlen);
/* A group name (resolved now) or a numeric gid. */
int config_parse_socket_group(const char *value, int64_t *gid, const char *where, char *err,
			      size_t errlen);
int config_iface_set_socket_mode(struct vl_iface_config *ifc, const char *value, const char *where,
				 char *err, size_t errlen);
/* "" = the engine's own group. */
int config_iface_set_socket_group(struct vl_iface_config *ifc, const char *value, const char *where,
				  char *err, size_t errlen);
/* A number, clamped to [1, 256]; a non-number is an error. */
int config_iface_set_queue_pairs(struct vl_iface_config *ifc, const char *value, const char *where,
				 char *err, size_t errlen);
int config_iface_set_mac(struct vl_iface_config *ifc, const char *value, const char *where,
			 char *err, size_t errlen);
/* Parse and require a unicast, non-zero MAC. */
int config_parse_unicast_mac(const char *value, uint8_t mac[6], const char *where, char *err,
			     size_t errlen);

/* Appends the default interface ("vhost0", /tmp/vhostloop0.sock) when there is none. */
void config_add_default_iface(struct vl_config *cfg);
/* Two interfaces with one name or one socket path are an error. */
int config_check_ifaces(const struct vl_config *cfg, char *err, size_t errlen);

const char *config_mode_name(enum vl_sock_mode mode);

/* Valid UTF-8 (what a JSON string can carry): strings that reach the dump must be. */
bool config_is_utf8(const char *value);

/*
 * Load a JSON document of len bytes (vl_config_dump_json's schema) on top of cfg; src names it in
 * errors (a file path, or "json"). 0, or -EINVAL with cfg unchanged.
 */
int config_load_json_doc(struct vl_config *cfg, const char *src, const char *doc, size_t len,
			 char *err, size_t errlen);

#endif /* CONFIG_PRIV_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config_json.c - the effective config as JSON (--dump-config) and the loader of that document
 * (--config FILE holding JSON, or vl_config_load_json), both through jansson, so that
 * dump -> load -> dump is byte-identical.
 *
 * The loader reads user input: jansson parses (rejecting duplicate keys and NUL bytes), then we
 * walk the fixed schema, rejecting unknown fields and wrong types. Values go through the same
 * checks as the INI file and the command line, and errors name the source, the field, the value
 * and the accepted range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vl_compiler.h"
#include "vl_config.h"
#include "config_priv.h"

/* ---- dump ---------------------------------------------------------------------------------- */

/* json_object_set_new that remembers a failure (NULL value or out of memory). */
static void
json_put(json_t *obj, const char *key, json_t *value, bool *ok)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		*ok = false;
}

static json_t *
json_iface_dump(const struct vl_iface_config *ifc, bool *ok)
{
	char mac[VL_MAC_STRLEN], mode[8];
	json_t *obj = json_object();

	if (obj == NULL) {
		*ok = false;
		return NULL;
	}
	vl_mac_format(ifc->net.mac, mac);
	json_put(obj, "name", json_string(ifc->name), ok);
	json_put(obj, "socket", json_string(ifc->socket_path), ok);
	json_put(obj, "mode", json_string(config_mode_name(ifc->mode)), ok);
	json_put(obj, "mac", json_string(mac), ok);
	/* What the engine serves: librte_vhost's cap applies on top of the config's clamp. */
	json_put(obj, "queue_pairs", json_integer(vl_iface_served_queue_pairs(ifc)), ok);
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)ifc->socket_mode);
	json_put(obj, "socket_mode", json_string(mode), ok);
	json_put(obj, "socket_group", json_string(ifc->socket_group), ok);
	return obj;
}

/* The document as a jansson tree; NULL when a string is not UTF-8 or memory runs out. */
static json_t *
json_config_dump(const struct vl_config *cfg)
{
	json_t *root = json_object();
	json_t *ifaces = json_array();
	bool ok = root != NULL && ifaces != NULL;

	if (!ok) {
		json_decref(root);
		json_decref(ifaces);
		return NULL;
	}
	json_put(root, "datapath", json_string(vl_datapath_name(cfg->datapath)), &ok);
	for (unsigned int i = 0; i < config_nb_uint_opts; i++) {
		const struct config_uint_opt *opt = &config_uint_opts[i];

		json_put(root, opt->json_key, json_integer(config_uint_opt_get(cfg, opt)), &ok);
		/* The file beside its interval, where it has always been. */
		if (strcmp(opt->json_key, "stats_interval_s") == 0)
			json_put(root, "stats_file", json_string(cfg->stats_file), &ok);
	}
	json_put(root, "numa", json_string(vl_numa_policy_name(cfg->numa)), &ok);
	{
		/* The --qp-lcore syntax, so that one parser reads every source. */
		char map[VL_QP_LCORE_MAX * (VL_IFACE_NAME_MAX + 16)];

		vl_config_format_qp_lcore(cfg, map, sizeof(map));
		json_put(root, "qp_lcore", json_string(map), &ok);
	}
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++)
		if (json_array_append_new(ifaces, json_iface_dump(&cfg->ifaces[i], &ok)) != 0)
			ok = false;
	json_put(root, "interfaces", ifaces, &ok);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int
vl_config_dump_json(const struct vl_config *cfg, FILE *out)
{
	json_t *root = json_config_dump(cfg);
	int rc;

	if (root == NULL)
		return -EINVAL;
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0)
		return -EIO;
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/* ---- load ---------------------------------------------------------------------------------- */

/* A JSON value as text for error messages, cut short. */
static void
json_value_text(const json_t *v, char *buf, size_t len)
{
	char *s;

	if (json_is_string(v)) {
		snprintf(buf, len, "\"%s\"", json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* A non-negative integer field; where is "SRC: FIELD", range says what is accepted. */
static int
json_get_uint(const json_t *v, const char *where, const char *range, uint64_t *val, char *err,
	      size_t errlen)
{
	char text[64];

	json_value_text(v, text, sizeof(text));
	if (!json_is_integer(v))
		return config_fail(err, errlen, "%s %s: expected an integer %s, got %s", where,
				   text, range, json_type_name(v));
	if (json_integer_value(v) < 0)
		return config_fail(err, errlen, "%s %s: expected an integer %s", where, text,
				   range);
	*val = (uint64_t)json_integer_value(v);
	return 0;
}

static int
json_get_string(const json_t *v, const char *where, const char **val, char *err, size_t errlen)
{
	char text[64];

	if (!json_is_string(v)) {
		json_value_text(v, text, sizeof(text));
		return config_fail(err, errlen, "%s %s: expected a string, got %s", where, text,
				   json_type_name(v));
	}
	*val = json_string_value(v);
	return 0;
}

static const char json_iface_known[] =
	"name, socket, mode, mac, queue_pairs, socket_mode, socket_group";

static int
json_iface_load(const char *src, const json_t *obj, struct vl_iface_config *ifc, unsigned int idx,
		char *err, size_t errlen)
{
	char where[VL_SOCKET_PATH_MAX + 256];
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return config_fail(err, errlen, "%s: interfaces[%u]: expected an object, got %s",
				   src, idx, json_type_name(obj));
	config_iface_init(ifc, idx);
	if (json_object_get(obj, "socket") == NULL)
		return config_fail(err, errlen, "%s: interfaces[%u]: missing field \"socket\"", src,
				   idx);
	json_object_foreach((json_t *)obj, key, v)
	{
		const char *str = NULL;
		uint64_t num;
		int rc;

		snprintf(where, sizeof(where), "%s: interfaces[%u] %s", src, idx, key);
		if (strcmp(key, "queue_pairs") == 0) {
			char range[64];

			snprintf(range, sizeof(range), "(clamped to [%u, %u])", VL_QUEUE_PAIRS_MIN,
				 VL_QUEUE_PAIRS_MAX);
			if (json_get_uint(v, where, range, &num, err, errlen) != 0)
				return -EINVAL;
			/* Clamped like everywhere else. */
			config_iface_set_qp_number(ifc, num);
			continue;
		}
		if (strcmp(key, "name") != 0 && strcmp(key, "socket") != 0 &&
		    strcmp(key, "mode") != 0 && strcmp(key, "mac") != 0 &&
		    strcmp(key, "socket_mode") != 0 && strcmp(key, "socket_group") != 0)
			return config_fail(err, errlen,
					   "%s: interfaces[%u]: unknown field \"%s\" (known: %s)",
					   src, idx, key, json_iface_known);
		if (json_get_string(v, where, &str, err, errlen) != 0)
			return -EINVAL;
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " \"%s\"", str);
		if (strcmp(key, "name") == 0)
			rc = config_iface_set_name(ifc, str, where, err, errlen);
		else if (strcmp(key, "socket") == 0)
			rc = config_iface_set_socket(ifc, str, where, err, errlen);
		else if (strcmp(key, "mode") == 0)
			rc = config_iface_set_mode(ifc, str, where, err, errlen);
		else if (strcmp(key, "socket_mode") == 0)
			rc = config_iface_set_socket_mode(ifc, str, where, err, errlen);
		else if (strcmp(key, "socket_group") == 0)
			rc = config_iface_set_socket_group(ifc, str, where, err, errlen);
		else
			rc = config_iface_set_mac(ifc, str, where, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
json_top_field(const char *src, struct vl_config *cfg, const char *key, const json_t *v, char *err,
	       size_t errlen)
{
	char where[512];
	const struct config_uint_opt *opt;
	const char *str = NULL;
	uint64_t num;

	snprintf(where, sizeof(where), "%s: %s", src, key);
	if (strcmp(key, "interfaces") == 0) {
		size_t nb = json_array_size(v);

		if (!json_is_array(v))
			return config_fail(err, errlen, "%s: expected an array, got %s", where,
					   json_type_name(v));
		if (nb > VL_MAX_IFACES)
			return config_fail(err, errlen, "%s: %zu interfaces, at most %d", where, nb,
					   VL_MAX_IFACES);
		for (size_t i = 0; i < nb; i++)
			if (json_iface_load(src, json_array_get(v, i), &cfg->ifaces[i],
					    (unsigned int)i, err, errlen) != 0)
				return -EINVAL;
		cfg->nb_ifaces = (unsigned int)nb;
		return 0;
	}
	opt = config_uint_opt_find_json(key);
	if (opt != NULL) {
		char range[64];

		snprintf(range, sizeof(range), "in [%u, %u]", opt->min, opt->max);
		if (json_get_uint(v, where, range, &num, err, errlen) != 0)
			return -EINVAL;
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " %llu",
			 (unsigned long long)num);
		return config_uint_opt_set(cfg, opt, num, where, err, errlen);
	}
	if (strcmp(key, "datapath") != 0 && strcmp(key, "stats_file") != 0 &&
	    strcmp(key, "numa") != 0 && strcmp(key, "qp_lcore") != 0)
		return -ENOENT;
	if (json_get_string(v, where, &str, err, errlen) != 0)
		return -EINVAL;
	snprintf(where + strlen(where), sizeof(where) - strlen(where), " \"%.256s\"", str);
	if (strcmp(key, "datapath") == 0)
		return config_set_datapath(cfg, str, where, err, errlen);
	if (strcmp(key, "numa") == 0)
		return config_set_numa(cfg, str, where, err, errlen);
	if (strcmp(key, "qp_lcore") == 0) {
		cfg->nb_qp_lcore = 0;
		return str[0] == '\0' ? 0 : config_add_qp_lcore(cfg, str, where, err, errlen);
	}
	return config_set_stats_file(cfg, str, where, err, errlen);
}

/* "datapath, burst, ..., interfaces" for unknown-field errors, from the dump itself. */
static void
json_top_known(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	o += (size_t)snprintf(buf, len, "datapath");
	for (unsigned int i = 0; i < config_nb_uint_opts && o < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, ", %s", config_uint_opts[i].json_key);
		if (o < len && strcmp(config_uint_opts[i].json_key, "stats_interval_s") == 0)
			o += (size_t)snprintf(buf + o, len - o, ", stats_file");
	}
	if (o < len)
		snprintf(buf + o, len - o, ", numa, qp_lcore, interfaces");
}

static int
json_config_load(const char *src, const json_t *root, struct vl_config *cfg, char *err,
		 size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(root))
		return config_fail(err, errlen, "%s: expected an object at the top, got %s", src,
				   json_type_name(root));
	json_object_foreach((json_t *)root, key, v)
	{
		int rc = json_top_field(src, cfg, key, v, err, errlen);

		if (rc == -ENOENT) {
			char known[512];

			json_top_known(known, sizeof(known));
			return config_fail(err, errlen, "%s: unknown field \"%s\" (known: %s)", src,
					   key, known);
		}
		if (rc != 0)
			return -EINVAL;
	}
	return 0;
}

int
config_load_json_doc(struct vl_config *cfg, const char *src, const char *doc, size_t len, char *err,
		     size_t errlen)
{
	struct vl_config tmp = *cfg;
	json_error_t jerr;
	json_t *root;
	char msg[256];
	int rc;

	if (doc == NULL)
		return config_fail(err, errlen, "%s: no document", src);
	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return config_fail(err, errlen, "%s:%d:%d: %s", src, jerr.line, jerr.column,
				   jerr.text);
	/* Work on a copy: a document with an error changes nothing. */
	rc = json_config_load(src, root, &tmp, err, errlen);
	json_decref(root);
	if (rc != 0)
		return -EINVAL;
	if (config_check_ifaces(&tmp, msg, sizeof(msg)) != 0 ||
	    config_check_qp_lcore(&tmp, msg, sizeof(msg)) != 0)
		return config_fail(err, errlen, "%s: %s", src, msg);
	*cfg = tmp;
	return 0;
}

int
vl_config_load_json(struct vl_config *cfg, const char *json, char *err, size_t errlen)
{
	return config_load_json_doc(cfg, "json", json, json != NULL ? strlen(json) : 0, err,
				    errlen);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config_json.c - the effective config as JSON (--dump-config) and a strict parser for exactly
 * that document, so that dump -> load -> dump is byte-identical.
 *
 * The parser reads user input: it knows the schema (no generic tree, no recursion), bounds every
 * string, and rejects unknown and repeated fields, trailing bytes, signs, fractions, exponents and
 * leading zeros. Values go through the same checks as the INI file and the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_config.h"
#include "config_priv.h"

/* ---- dump ---------------------------------------------------------------------------------- */

static void
json_put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

int
vl_config_dump_json(const struct vl_config *cfg, FILE *out)
{
	fputs("{\n  \"datapath\": ", out);
	json_put_string(out, vl_datapath_name(cfg->datapath));
	fprintf(out, ",\n  \"burst\": %u", (unsigned int)cfg->burst);
	fprintf(out, ",\n  \"stats_interval_s\": %u", (unsigned int)cfg->stats_interval_s);
	fputs(",\n  \"stats_file\": ", out);
	json_put_string(out, cfg->stats_file);
	fprintf(out, ",\n  \"irq_coalesce_frames\": %u", (unsigned int)cfg->irq_coalesce_frames);
	fprintf(out, ",\n  \"irq_coalesce_usecs\": %u", (unsigned int)cfg->irq_coalesce_usecs);
	fprintf(out, ",\n  \"mbufs\": %u", (unsigned int)cfg->nb_mbufs);
	fprintf(out, ",\n  \"steering_audit\": %u", (unsigned int)cfg->steering_audit);
	fprintf(out, ",\n  \"duration_s\": %u", (unsigned int)cfg->duration_s);
	fputs(",\n  \"interfaces\": [", out);
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &cfg->ifaces[i];
		char mac[VL_MAC_STRLEN];

		vl_mac_format(ifc->net.mac, mac);
		fputs(i == 0 ? "\n    {\n      \"name\": " : ",\n    {\n      \"name\": ", out);
		json_put_string(out, ifc->name);
		fputs(",\n      \"socket\": ", out);
		json_put_string(out, ifc->socket_path);
		fputs(",\n      \"mode\": ", out);
		json_put_string(out, config_mode_name(ifc->mode));
		fputs(",\n      \"mac\": ", out);
		json_put_string(out, mac);
		fprintf(out, ",\n      \"queue_pairs\": %u\n    }",
			(unsigned int)ifc->net.queue_pairs);
	}
	fputs(cfg->nb_ifaces > 0 ? "\n  ]\n}\n" : "]\n}\n", out);
	return ferror(out) ? -EIO : 0;
}

/* ---- load ---------------------------------------------------------------------------------- */

#define JSON_STR_MAX 512 /* longer than any field we store; the setters check the real limit */
#define JSON_KEY_MAX 64

struct json_parser {
	const char *doc;
	size_t pos;
	char *err;
	size_t errlen;
};

/* "json:LINE:COL" of byte pos, for errors. */
static void
json_where(const struct json_parser *p, size_t pos, char *buf, size_t len)
{
	unsigned int line = 1, col = 1;

	for (size_t i = 0; i < pos && p->doc[i] != '\0'; i++) {
		if (p->doc[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(buf, len, "json:%u:%u", line, col);
}

static int json_fail(const struct json_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
json_fail(const struct json_parser *p, const char *fmt, ...)
{
	char where[64], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_where(p, p->pos, where, sizeof(where));
	return config_fail(p->err, p->errlen, "%s: %s", where, msg);
}

static void
json_ws(struct json_parser *p)
{
	for (;;) {
		char c = p->doc[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

/* Skips blanks, then consumes ch if it is next. */
static bool
json_accept(struct json_parser *p, char ch)
{
	json_ws(p);
	if (p->doc[p->pos] != ch)
		return false;
	p->pos++;
	return true;
}

static int
json_expect(struct json_parser *p, char ch)
{
	if (json_accept(p, ch))
		return 0;
	if (p->doc[p->pos] == '\0')
		return json_fail(p, "expected '%c', got the end of the document", ch);
	return json_fail(p, "expected '%c'", ch);
}

static int
json_hex4(struct json_parser *p, unsigned int *val)
{
	unsigned int v = 0;

	for (unsigned int i = 0; i < 4; i++) {
		char c = p->doc[p->pos];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return json_fail(p, "\\u needs 4 hex digits");
		p->pos++;
	}
	*val = v;
	return 0;
}

/* \uXXXX (after the "\u"), with a following low surrogate if XXXX is a high one. */
static int
json_unicode_escape(struct json_parser *p, unsigned int *cp)
{
	unsigned int hi = 0, lo = 0;

	if (json_hex4(p, &hi) != 0)
		return -EINVAL;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return json_fail(p, "lone low surrogate \\u%04x", hi);
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 0;
	}
	if (p->doc[p->pos] != '\\' || p->doc[p->pos + 1] != 'u')
		return json_fail(p, "high surrogate \\u%04x without its low half", hi);
	p->pos += 2;
	if (json_hex4(p, &lo) != 0)
		return -EINVAL;
	if (lo < 0xdc00 || lo > 0xdfff)
		return json_fail(p, "high surrogate \\u%04x without its low half", hi);
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* Appends code point cp as UTF-8; false if buf is full. */
static bool
json_put_utf8(char *buf, size_t cap, size_t *len, unsigned int cp)
{
	unsigned char enc[4];
	size_t n;

	if (cp < 0x80) {
		enc[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		enc[0] = (unsigned char)(0xc0 | cp >> 6);
		enc[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		enc[0] = (unsigned char)(0xe0 | cp >> 12);
		enc[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		enc[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		enc[0] = (unsigned char)(0xf0 | cp >> 18);
		enc[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		enc[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		enc[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*len + n >= cap)
		return false;
	memcpy(buf + *len, enc, n);
	*len += n;
	return true;
}

/* A string into buf (NUL-terminated, at most cap - 1 bytes). */
static int
json_string(struct json_parser *p, char *buf, size_t cap)
{
	size_t len = 0;

	json_ws(p);
	if (p->doc[p->pos] != '"')
		return json_fail(p, "expected a string");
	p->pos++;
	for (;;) {
		unsigned char c = (unsigned char)p->doc[p->pos];
		unsigned int cp = 0;

		if (c == '\0')
			return json_fail(p, "unterminated string");
		if (c < 0x20)
			return json_fail(p, "control character 0x%02x in a string", c);
		p->pos++;
		if (c == '"')
			break;
		if (c != '\\') {
			/* Raw bytes (UTF-8 included) pass through as they are. */
			if (len + 1 >= cap)
				return json_fail(p, "string longer than %zu bytes", cap - 1);
			buf[len++] = (char)c;
			continue;
		}
		c = (unsigned char)p->doc[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (json_unicode_escape(p, &cp) != 0)
				return -EINVAL;
			if (cp == 0)
				return json_fail(p, "\\u0000 is not allowed in a string");
			break;
		default:
			p->pos--;
			return json_fail(p, "unknown escape in a string");
		}
		if (!json_put_utf8(buf, cap, &len, cp))
			return json_fail(p, "string longer than %zu bytes", cap - 1);
	}
	buf[len] = '\0';
	return 0;
}

/* A non-negative integer; a value past UINT64_MAX is an error here. */
static int
json_uint(struct json_parser *p, uint64_t *val)
{
	uint64_t v = 0;
	size_t start;

	json_ws(p);
	start = p->pos;
	if (strncmp(p->doc + p->pos, "true", 4) == 0 || strncmp(p->doc + p->pos, "false", 5) == 0)
		return json_fail(p, "expected a non-negative integer, got a boolean");
	if (p->doc[p->pos] < '0' || p->doc[p->pos] > '9')
		return json_fail(p, "expected a non-negative integer");
	while (p->doc[p->pos] >= '0' && p->doc[p->pos] <= '9') {
		unsigned int digit = (unsigned int)(p->doc[p->pos] - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return json_fail(p, "number too large");
		v = v * 10 + digit;
		p->pos++;
	}
	if (p->doc[start] == '0' && p->pos - start > 1) {
		p->pos = start;
		return json_fail(p, "leading zero in a number");
	}
	if (p->doc[p->pos] == '.' || p->doc[p->pos] == 'e' || p->doc[p->pos] == 'E')
		return json_fail(p, "expected a non-negative integer");
	*val = v;
	return 0;
}

/* Bit of a field in a "seen" mask, or -1. */
static int
json_field_bit(const char *const *fields, const char *key)
{
	for (int i = 0; fields[i] != NULL; i++)
		if (strcmp(fields[i], key) == 0)
			return i;
	return -1;
}

static const char *const json_iface_fields[] = {"name", "socket",      "mode",
						"mac",	"queue_pairs", NULL};
static const char json_iface_known[] = "name, socket, mode, mac, queue_pairs";

static int
json_iface(struct json_parser *p, struct vl_iface_config *ifc, unsigned int idx)
{
	char key[JSON_KEY_MAX], value[JSON_STR_MAX], where[JSON_STR_MAX + 128];
	unsigned int seen = 0;
	size_t obj_pos;

	json_ws(p);
	obj_pos = p->pos;
	if (json_expect(p, '{') != 0)
		return -EINVAL;
	config_iface_init(ifc, idx);
	if (!json_accept(p, '}')) {
		do {
			size_t key_pos, value_pos;
			uint64_t num;
			int bit, rc;

			json_ws(p);
			key_pos = p->pos;
			if (json_string(p, key, sizeof(key)) != 0 || json_expect(p, ':') != 0)
				return -EINVAL;
			bit = json_field_bit(json_iface_fields, key);
			if (bit < 0 || (seen & 1u << bit) != 0) {
				p->pos = key_pos;
				return json_fail(p, "interfaces[%u]: %s field \"%s\" (known: %s)",
						 idx, bit < 0 ? "unknown" : "repeated", key,
						 json_iface_known);
			}
			seen |= 1u << bit;
			json_ws(p);
			value_pos = p->pos;
			json_where(p, value_pos, where, sizeof(where));
			if (strcmp(key, "queue_pairs") == 0) {
				if (json_uint(p, &num) != 0)
					return -EINVAL;
				/* Clamped like everywhere else. */
				ifc->net = vl_net_config_queue_pairs(
					ifc->net,
					num > UINT32_MAX ? UINT32_MAX : (unsigned int)num);
				continue;
			}
			if (json_string(p, value, sizeof(value)) != 0)
				return -EINVAL;
			snprintf(where + strlen(where), sizeof(where) - strlen(where),
				 ": interfaces[%u] %s \"%s\"", idx, key, value);
			if (strcmp(key, "name") == 0)
				rc = config_iface_set_name(ifc, value, where, p->err, p->errlen);
			else if (strcmp(key, "socket") == 0)
				rc = config_iface_set_socket(ifc, value, where, p->err, p->errlen);
			else if (strcmp(key, "mode") == 0)
				rc = config_iface_set_mode(ifc, value, where, p->err, p->errlen);
			else
				rc = config_iface_set_mac(ifc, value, where, p->err, p->errlen);
			if (rc != 0)
				return rc;
		} while (json_accept(p, ','));
		if (json_expect(p, '}') != 0)
			return -EINVAL;
	}
	if ((seen & 1u << json_field_bit(json_iface_fields, "socket")) == 0) {
		p->pos = obj_pos;
		return json_fail(p, "interfaces[%u]: missing field \"socket\"", idx);
	}
	return 0;
}

static int
json_interfaces(struct json_parser *p, struct vl_config *cfg)
{
	unsigned int nb = 0;

	if (json_expect(p, '[') != 0)
		return -EINVAL;
	if (!json_accept(p, ']')) {
		do {
			if (nb == VL_MAX_IFACES)
				return json_fail(p, "more than %d interfaces", VL_MAX_IFACES);
			if (json_iface(p, &cfg->ifaces[nb], nb) != 0)
				return -EINVAL;
			nb++;
		} while (json_accept(p, ','));
		if (json_expect(p, ']') != 0)
			return -EINVAL;
	}
	cfg->nb_ifaces = nb;
	return 0;
}

static const char *const json_top_fields[] = {
	"datapath",
	"burst",
	"stats_interval_s",
	"stats_file",
	"irq_coalesce_frames",
	"irq_coalesce_usecs",
	"mbufs",
	"steering_audit",
	"duration_s",
	"interfaces",
	NULL,
};
static const char json_top_known[] =
	"datapath, burst, stats_interval_s, stats_file, "
	"irq_coalesce_frames, irq_coalesce_usecs, mbufs, steering_audit, "
	"duration_s, interfaces";

static int
json_top_field(struct json_parser *p, struct vl_config *cfg, const char *key)
{
	char value[JSON_STR_MAX], where[JSON_STR_MAX + 128];
	const struct config_uint_opt *opt;
	uint64_t num;

	if (strcmp(key, "interfaces") == 0)
		return json_interfaces(p, cfg);
	json_ws(p);
	json_where(p, p->pos, where, sizeof(where));
	opt = config_uint_opt_find_json(key);
	if (opt != NULL) {
		if (json_uint(p, &num) != 0)
			return -EINVAL;
		snprintf(where + strlen(where), sizeof(where) - strlen(where), ": %s %llu", key,
			 (unsigned long long)num);
		return config_uint_opt_set(cfg, opt, num, where, p->err, p->errlen);
	}
	if (json_string(p, value, sizeof(value)) != 0)
		return -EINVAL;
	snprintf(where + strlen(where), sizeof(where) - strlen(where), ": %s \"%s\"", key, value);
	if (strcmp(key, "datapath") == 0)
		return config_set_datapath(cfg, value, where, p->err, p->errlen);
	return config_set_stats_file(cfg, value, where, p->err, p->errlen);
}

static int
json_document(struct json_parser *p, struct vl_config *cfg)
{
	char key[JSON_KEY_MAX];
	unsigned int seen = 0;

	if (json_expect(p, '{') != 0)
		return -EINVAL;
	if (!json_accept(p, '}')) {
		do {
			size_t key_pos;
			int bit;

			json_ws(p);
			key_pos = p->pos;
			if (json_string(p, key, sizeof(key)) != 0 || json_expect(p, ':') != 0)
				return -EINVAL;
			bit = json_field_bit(json_top_fields, key);
			if (bit < 0 || (seen & 1u << bit) != 0) {
				p->pos = key_pos;
				return json_fail(p, "%s field \"%s\" (known: %s)",
						 bit < 0 ? "unknown" : "repeated", key,
						 json_top_known);
			}
			seen |= 1u << bit;
			if (json_top_field(p, cfg, key) != 0)
				return -EINVAL;
		} while (json_accept(p, ','));
		if (json_expect(p, '}') != 0)
			return -EINVAL;
	}
	json_ws(p);
	if (p->doc[p->pos] != '\0')
		return json_fail(p, "trailing bytes after the document");
	return 0;
}

int
vl_config_load_json(struct vl_config *cfg, const char *json, char *err, size_t errlen)
{
	struct json_parser p = {.doc = json, .pos = 0, .err = err, .errlen = errlen};
	struct vl_config tmp = *cfg;
	char msg[256];

	if (json == NULL)
		return config_fail(err, errlen, "json: no document");
	/* Work on a copy: a document with an error changes nothing. */
	if (json_document(&p, &tmp) != 0)
		return -EINVAL;
	if (config_check_ifaces(&tmp, msg, sizeof(msg)) != 0)
		return config_fail(err, errlen, "json: %s", msg);
	*cfg = tmp;
	return 0;
}

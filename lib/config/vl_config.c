/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config.c - the config model: MAC and queue-pair rules, defaults, the value checks every
 * source (CLI, INI, JSON) goes through, the final cross-interface checks, and the frontend
 * command line that matches the config.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "vl_compiler.h"
#include "vl_config.h"
#include "config_priv.h"

/* ---- per-interface network config ------------------------------------------------------ */

struct vl_net_config
vl_net_config_mac(struct vl_net_config cfg, const uint8_t mac[6])
{
	memcpy(cfg.mac, mac, sizeof(cfg.mac));
	return cfg;
}

struct vl_net_config
vl_net_config_queue_pairs(struct vl_net_config cfg, unsigned int nb_qp)
{
	if (nb_qp < VL_QUEUE_PAIRS_MIN)
		nb_qp = VL_QUEUE_PAIRS_MIN;
	else if (nb_qp > VL_QUEUE_PAIRS_MAX)
		nb_qp = VL_QUEUE_PAIRS_MAX;
	cfg.queue_pairs = (uint16_t)nb_qp;
	return cfg;
}

static int
config_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
vl_mac_parse(const char *str, uint8_t mac[6])
{
	uint8_t tmp[6];
	char sep;

	if (str == NULL || strlen(str) != VL_MAC_STRLEN - 1)
		return -EINVAL;
	sep = str[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (unsigned int i = 0; i < 6; i++) {
		const char *octet = str + i * 3;
		int hi = config_hex_digit(octet[0]);
		int lo = config_hex_digit(octet[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		/* The same separator throughout: "02:00-00:..." is a typo, not a MAC. */
		if (i < 5 && octet[2] != sep)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, tmp, sizeof(tmp));
	return 0;
}

void
vl_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, VL_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

static bool
config_mac_is_zero(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

bool
vl_mac_is_valid_unicast(const uint8_t mac[6])
{
	return (mac[0] & 0x01) == 0 && !config_mac_is_zero(mac);
}

bool
vl_mac_is_local(const uint8_t mac[6])
{
	return (mac[0] & 0x02) != 0;
}

/* ---- defaults ------------------------------------------------------------------------------ */

void
vl_config_init(struct vl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->datapath = VL_DATAPATH_DIRECT;
	cfg->burst = VL_BURST_DEFAULT;
	cfg->nb_mbufs = VL_MBUFS_DEFAULT;
	cfg->print_frontend = VL_FRONTEND_NONE;
	cfg->frontend_node = -1;
}

const char *
vl_datapath_name(enum vl_datapath dp)
{
	switch (dp) {
	case VL_DATAPATH_DIRECT:
		return "direct";
	case VL_DATAPATH_MBUF:
		return "mbuf";
	case VL_DATAPATH_SINK:
		return "sink";
	}
	return "unknown";
}

const char *
config_mode_name(enum vl_sock_mode mode)
{
	return mode == VL_SOCK_CLIENT ? "client" : "server";
}

void
config_iface_init(struct vl_iface_config *ifc, unsigned int idx)
{
	uint8_t mac[6];

	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "vhost%u", idx);
	ifc->mode = VL_SOCK_SERVER;
	ifc->net = VL_NET_CONFIG_DEFAULT;
	ifc->queue_pairs_given = ifc->net.queue_pairs;
	ifc->socket_mode = VL_SOCKET_MODE_DEFAULT;
	ifc->socket_gid = -1;
	/* Distinct MACs for several interfaces unless the operator sets them. */
	memcpy(mac, ifc->net.mac, sizeof(mac));
	mac[5] = (uint8_t)(idx + 1);
	ifc->net = vl_net_config_mac(ifc->net, mac);
}

void
config_add_default_iface(struct vl_config *cfg)
{
	struct vl_iface_config *ifc = &cfg->ifaces[0];

	if (cfg->nb_ifaces != 0)
		return;
	config_iface_init(ifc, 0);
	snprintf(ifc->socket_path, sizeof(ifc->socket_path), "/tmp/vhostloop0.sock");
	cfg->nb_ifaces = 1;
}

/* ---- value checks shared by every source ---------------------------------------------------- */

int
config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
config_parse_uint(const char *str, uint64_t *val)
{
	uint64_t v = 0;
	const char *p;

	if (str == NULL || *str == '\0')
		return -EINVAL;
	for (p = str; *p != '\0'; p++) {
		unsigned int digit;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		digit = (unsigned int)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			v = UINT64_MAX; /* saturate: out of every range, but still a number */
		else
			v = v * 10 + digit;
	}
	*val = v;
	return 0;
}

#define UINT_OPT(k, jk, lo, hi, field)                             \
	{                                                          \
		.key = k, .json_key = jk, .min = lo, .max = hi,    \
		.offset = offsetof(struct vl_config, field),       \
		.size = sizeof(((struct vl_config *)NULL)->field), \
	}

const struct config_uint_opt config_uint_opts[] = {
	UINT_OPT("burst", "burst", VL_BURST_MIN, VL_BURST_MAX, burst),
	UINT_OPT("stats-interval", "stats_interval_s", 0, VL_STATS_INTERVAL_MAX, stats_interval_s),
	UINT_OPT("irq-coalesce-frames", "irq_coalesce_frames", 0, VL_IRQ_COALESCE_FRAMES_MAX,
		 irq_coalesce_frames),
	UINT_OPT("irq-coalesce-usecs", "irq_coalesce_usecs", 0, VL_IRQ_COALESCE_USECS_MAX,
		 irq_coalesce_usecs),
	UINT_OPT("idle-sleep-us", "idle_sleep_us", 0, VL_IDLE_SLEEP_USECS_MAX, idle_sleep_us),
	UINT_OPT("mbufs", "mbufs", VL_MBUFS_MIN, VL_MBUFS_MAX, nb_mbufs),
	UINT_OPT("steering-audit", "steering_audit", 0, 1, steering_audit),
	UINT_OPT("duration", "duration_s", 0, VL_DURATION_MAX, duration_s),
};
const unsigned int config_nb_uint_opts = VL_ARRAY_SIZE(config_uint_opts);

const char config_global_keys[] = "datapath, burst, stats-interval, stats-file, "
				  "irq-coalesce-frames, irq-coalesce-usecs, idle-sleep-us, mbufs, "
				  "steering-audit, duration, numa, qp-lcore";

const struct config_uint_opt *
config_uint_opt_find(const char *key)
{
	for (unsigned int i = 0; i < config_nb_uint_opts; i++)
		if (strcmp(config_uint_opts[i].key, key) == 0)
			return &config_uint_opts[i];
	return NULL;
}

const struct config_uint_opt *
config_uint_opt_find_json(const char *json_key)
{
	for (unsigned int i = 0; i < config_nb_uint_opts; i++)
		if (strcmp(config_uint_opts[i].json_key, json_key) == 0)
			return &config_uint_opts[i];
	return NULL;
}

uint32_t
config_uint_opt_get(const struct vl_config *cfg, const struct config_uint_opt *opt)
{
	const char *field = (const char *)cfg + opt->offset;
	uint16_t v16;
	uint32_t v32;

	if (opt->size == sizeof(v16)) {
		memcpy(&v16, field, sizeof(v16));
		return v16;
	}
	memcpy(&v32, field, sizeof(v32));
	return v32;
}

int
config_uint_opt_set(struct vl_config *cfg, const struct config_uint_opt *opt, uint64_t val,
		    const char *where, char *err, size_t errlen)
{
	char *field = (char *)cfg + opt->offset;

	if (val < opt->min || val > opt->max)
		return config_fail(err, errlen, "%s: out of range [%u, %u]", where, opt->min,
				   opt->max);
	if (opt->size == sizeof(uint16_t)) {
		uint16_t v16 = (uint16_t)val;

		memcpy(field, &v16, sizeof(v16));
	} else {
		uint32_t v32 = (uint32_t)val;

		memcpy(field, &v32, sizeof(v32));
	}
	return 0;
}

int
config_set_datapath(struct vl_config *cfg, const char *value, const char *where, char *err,
		    size_t errlen)
{
	if (strcmp(value, "direct") == 0)
		cfg->datapath = VL_DATAPATH_DIRECT;
	else if (strcmp(value, "mbuf") == 0)
		cfg->datapath = VL_DATAPATH_MBUF;
	else if (strcmp(value, "sink") == 0)
		cfg->datapath = VL_DATAPATH_SINK;
	else
		return config_fail(err, errlen,
				   "%s: unknown datapath (expected direct, mbuf or sink)", where);
	return 0;
}

bool
config_is_utf8(const char *value)
{
	json_t *s = json_string(value); /* NULL unless value is valid UTF-8 */

	json_decref(s);
	return s != NULL;
}

int
config_set_stats_file(struct vl_config *cfg, const char *value, const char *where, char *err,
		      size_t errlen)
{
	if (strlen(value) >= sizeof(cfg->stats_file))
		return config_fail(err, errlen, "%s: path longer than %zu bytes", where,
				   sizeof(cfg->stats_file) - 1);
	if (!config_is_utf8(value))
		return config_fail(err, errlen, "%s: path is not valid UTF-8", where);
	snprintf(cfg->stats_file, sizeof(cfg->stats_file), "%s", value);
	return 0;
}

const char *
vl_numa_policy_name(enum vl_numa_policy policy)
{
	switch (policy) {
	case VL_NUMA_LOCAL:
		return "local";
	case VL_NUMA_REMOTE:
		return "remote";
	case VL_NUMA_NONE:
		return "none";
	}
	return "unknown";
}

int
config_set_numa(struct vl_config *cfg, const char *value, const char *where, char *err,
		size_t errlen)
{
	if (strcmp(value, "local") == 0)
		cfg->numa = VL_NUMA_LOCAL;
	else if (strcmp(value, "remote") == 0)
		cfg->numa = VL_NUMA_REMOTE;
	else if (strcmp(value, "none") == 0)
		cfg->numa = VL_NUMA_NONE;
	else
		return config_fail(err, errlen,
				   "%s: unknown NUMA policy (expected local, remote or none)",
				   where);
	return 0;
}

/* One "IFACE:QP=LCORE" item (len bytes at item, not NUL-terminated). */
static int
config_parse_qp_lcore_item(const char *item, size_t len, struct vl_qp_lcore *e, const char *where,
			   char *err, size_t errlen)
{
	char buf[VL_IFACE_NAME_MAX + 32];
	char *colon, *eq;
	uint64_t qp, lcore;

	if (len == 0 || len >= sizeof(buf))
		return config_fail(err, errlen,
				   "%s: '%.*s' is not IFACE:QP=LCORE (e.g. vhost0:1=2)", where,
				   (int)VL_MIN(len, (size_t)64), item);
	memcpy(buf, item, len);
	buf[len] = '\0';
	colon = strrchr(buf, ':');
	eq = colon != NULL ? strchr(colon, '=') : NULL;
	if (colon == NULL || eq == NULL || colon == buf)
		return config_fail(err, errlen, "%s: '%s' is not IFACE:QP=LCORE (e.g. vhost0:1=2)",
				   where, buf);
	*colon = '\0';
	*eq = '\0';
	if (strlen(buf) >= sizeof(e->iface))
		return config_fail(err, errlen, "%s: interface name '%s' longer than %zu bytes",
				   where, buf, sizeof(e->iface) - 1);
	if (config_parse_uint(colon + 1, &qp) != 0 || qp >= VL_QUEUE_PAIRS_MAX)
		return config_fail(err, errlen,
				   "%s: %s: queue pair '%s' is not a number in [0, %d]", where, buf,
				   colon + 1, VL_QUEUE_PAIRS_MAX - 1);
	if (config_parse_uint(eq + 1, &lcore) != 0 || lcore > VL_LCORE_ID_MAX)
		return config_fail(err, errlen, "%s: %s:%s: lcore '%s' is not a number in [0, %d]",
				   where, buf, colon + 1, eq + 1, VL_LCORE_ID_MAX);
	snprintf(e->iface, sizeof(e->iface), "%s", buf);
	e->qp = (uint16_t)qp;
	e->lcore = (uint16_t)lcore;
	return 0;
}

int
config_add_qp_lcore(struct vl_config *cfg, const char *value, const char *where, char *err,
		    size_t errlen)
{
	const char *p = value;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		struct vl_qp_lcore e;
		int rc;

		if (cfg->nb_qp_lcore == VL_QP_LCORE_MAX)
			return config_fail(err, errlen, "%s: more than %d queue pairs mapped",
					   where, VL_QP_LCORE_MAX);
		rc = config_parse_qp_lcore_item(p, len, &e, where, err, errlen);
		if (rc != 0)
			return rc;
		for (unsigned int i = 0; i < cfg->nb_qp_lcore; i++)
			if (cfg->qp_lcore[i].qp == e.qp &&
			    strcmp(cfg->qp_lcore[i].iface, e.iface) == 0)
				return config_fail(err, errlen, "%s: %s:%u mapped twice", where,
						   e.iface, e.qp);
		cfg->qp_lcore[cfg->nb_qp_lcore++] = e;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int
config_check_qp_lcore(const struct vl_config *cfg, char *err, size_t errlen)
{
	for (unsigned int m = 0; m < cfg->nb_qp_lcore; m++) {
		const struct vl_qp_lcore *e = &cfg->qp_lcore[m];
		const struct vl_iface_config *ifc = NULL;

		for (unsigned int i = 0; i < cfg->nb_ifaces; i++)
			if (strcmp(cfg->ifaces[i].name, e->iface) == 0)
				ifc = &cfg->ifaces[i];
		if (ifc == NULL)
			return config_fail(err, errlen, "qp-lcore %s:%u=%u: no interface named %s",
					   e->iface, e->qp, e->lcore, e->iface);
		if (e->qp >= ifc->net.queue_pairs)
			return config_fail(err, errlen,
					   "qp-lcore %s:%u=%u: %s has %u queue pair(s) (0 to %u)",
					   e->iface, e->qp, e->lcore, e->iface,
					   ifc->net.queue_pairs, ifc->net.queue_pairs - 1u);
	}
	return 0;
}

int
vl_config_format_qp_lcore(const struct vl_config *cfg, char *buf, size_t len)
{
	size_t n = 0;

	if (len > 0)
		buf[0] = '\0';
	for (unsigned int m = 0; m < cfg->nb_qp_lcore; m++) {
		int w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s%s:%u=%u",
				 m == 0 ? "" : ",", cfg->qp_lcore[m].iface, cfg->qp_lcore[m].qp,
				 cfg->qp_lcore[m].lcore);

		if (w < 0)
			return w;
		n += (size_t)w;
	}
	return (int)n;
}

int
config_set_global(struct vl_config *cfg, const char *key, const char *value, const char *where,
		  char *err, size_t errlen)
{
	const struct config_uint_opt *opt;
	uint64_t val;

	if (strcmp(key, "datapath") == 0)
		return config_set_datapath(cfg, value, where, err, errlen);
	if (strcmp(key, "stats-file") == 0)
		return config_set_stats_file(cfg, value, where, err, errlen);
	if (strcmp(key, "numa") == 0)
		return config_set_numa(cfg, value, where, err, errlen);
	if (strcmp(key, "qp-lcore") == 0) {
		/* One source's map replaces an earlier source's (the CLI appends its repeats). */
		struct vl_config tmp;
		int rc;

		memcpy(tmp.qp_lcore, cfg->qp_lcore, sizeof(tmp.qp_lcore));
		tmp.nb_qp_lcore = 0;
		rc = config_add_qp_lcore(&tmp, value, where, err, errlen);
		if (rc == 0) {
			memcpy(cfg->qp_lcore, tmp.qp_lcore, sizeof(tmp.qp_lcore));
			cfg->nb_qp_lcore = tmp.nb_qp_lcore;
		}
		return rc;
	}
	opt = config_uint_opt_find(key);
	if (opt == NULL)
		return -ENOENT;
	if (config_parse_uint(value, &val) != 0)
		return config_fail(err, errlen, "%s: not a decimal number (expected [%u, %u])",
				   where, opt->min, opt->max);
	return config_uint_opt_set(cfg, opt, val, where, err, errlen);
}

int
config_iface_set_name(struct vl_iface_config *ifc, const char *value, const char *where, char *err,
		      size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0 || len >= sizeof(ifc->name))
		return config_fail(err, errlen, "%s: interface name must be 1 to %zu bytes", where,
				   sizeof(ifc->name) - 1);
	/* The name shows up in logs, telemetry and JSON: keep it to one plain word. */
	for (const char *p = value; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return config_fail(err, errlen,
					   "%s: interface name may only hold letters, digits, "
					   "'_', '-' and '.'",
					   where);
	}
	memcpy(ifc->name, value, len + 1);
	return 0;
}

int
config_iface_set_socket(struct vl_iface_config *ifc, const char *value, const char *where,
			char *err, size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0 || len >= sizeof(ifc->socket_path))
		return config_fail(err, errlen,
				   "%s: socket path is %zu bytes, must be 1 to %zu "
				   "(sizeof sun_path, NUL included)",
				   where, len, sizeof(ifc->socket_path) - 1);
	if (!config_is_utf8(value))
		return config_fail(err, errlen, "%s: socket path is not valid UTF-8", where);
	memcpy(ifc->socket_path, value, len + 1);
	return 0;
}

int
config_iface_set_mode(struct vl_iface_config *ifc, const char *value, const char *where, char *err,
		      size_t errlen)
{
	if (strcmp(value, "server") == 0)
		ifc->mode = VL_SOCK_SERVER;
	else if (strcmp(value, "client") == 0)
		ifc->mode = VL_SOCK_CLIENT;
	else
		return config_fail(err, errlen, "%s: unknown mode (expected server or client)",
				   where);
	return 0;
}

void
config_iface_set_qp_number(struct vl_iface_config *ifc, uint64_t val)
{
	ifc->queue_pairs_given = val > UINT32_MAX ? UINT32_MAX : (uint32_t)val;
	ifc->net = vl_net_config_queue_pairs(ifc->net, ifc->queue_pairs_given);
}

int
config_iface_set_queue_pairs(struct vl_iface_config *ifc, const char *value, const char *where,
			     char *err, size_t errlen)
{
	uint64_t val;

	if (config_parse_uint(value, &val) != 0)
		return config_fail(err, errlen,
				   "%s: not a decimal number (queue pairs, clamped to [%u, %u])",
				   where, VL_QUEUE_PAIRS_MIN, VL_QUEUE_PAIRS_MAX);
	config_iface_set_qp_number(ifc, val);
	return 0;
}

int
config_parse_socket_mode(const char *value, uint32_t *mode, const char *where, char *err,
			 size_t errlen)
{
	uint32_t v = 0;
	size_t len = strlen(value);

	if (len == 0 || len > 4)
		goto bad;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			goto bad;
		v = v * 8 + (uint32_t)(*p - '0');
	}
	if (v > VL_SOCKET_MODE_MAX)
		goto bad;
	*mode = v;
	return 0;
bad:
	return config_fail(err, errlen,
			   "%s: not an octal permission mode in [0000, 0777] (like 0660: owner and "
			   "group read-write)",
			   where);
}

int
config_parse_socket_group(const char *value, int64_t *gid, const char *where, char *err,
			  size_t errlen)
{
	struct group grp, *found = NULL;
	char buf[4096];
	uint64_t num;

	if (strlen(value) >= VL_GROUP_NAME_MAX)
		return config_fail(err, errlen, "%s: group longer than %d bytes", where,
				   VL_GROUP_NAME_MAX - 1);
	if (config_parse_uint(value, &num) == 0) {
		if (num >= UINT32_MAX)
			return config_fail(err, errlen, "%s: gid out of range [0, %u]", where,
					   UINT32_MAX - 1);
		*gid = (int64_t)num;
		return 0;
	}
	if (getgrnam_r(value, &grp, buf, sizeof(buf), &found) != 0 || found == NULL)
		return config_fail(err, errlen,
				   "%s: no such group (give a group name from /etc/group or a "
				   "numeric gid)",
				   where);
	*gid = (int64_t)found->gr_gid;
	return 0;
}

int
config_iface_set_socket_mode(struct vl_iface_config *ifc, const char *value, const char *where,
			     char *err, size_t errlen)
{
	return config_parse_socket_mode(value, &ifc->socket_mode, where, err, errlen);
}

int
config_iface_set_socket_group(struct vl_iface_config *ifc, const char *value, const char *where,
			      char *err, size_t errlen)
{
	int64_t gid = -1;

	if (value[0] != '\0' && config_parse_socket_group(value, &gid, where, err, errlen) != 0)
		return -EINVAL;
	snprintf(ifc->socket_group, sizeof(ifc->socket_group), "%s", value);
	ifc->socket_gid = gid;
	return 0;
}

int
config_parse_unicast_mac(const char *value, uint8_t mac[6], const char *where, char *err,
			 size_t errlen)
{
	uint8_t tmp[6];

	if (vl_mac_parse(value, tmp) != 0)
		return config_fail(err, errlen,
				   "%s: not a MAC address (expected 6 two-digit hex octets "
				   "separated by ':' or '-', like 02:00:00:00:00:01)",
				   where);
	if (config_mac_is_zero(tmp))
		return config_fail(err, errlen, "%s: all-zero MAC: a NIC needs a unicast address",
				   where);
	if ((tmp[0] & 0x01) != 0)
		return config_fail(err, errlen,
				   "%s: %s MAC: a NIC needs a unicast address (bit 0x01 of the "
				   "first octet clear)",
				   where,
				   (tmp[0] & tmp[1] & tmp[2] & tmp[3] & tmp[4] & tmp[5]) == 0xff
					   ? "broadcast"
					   : "multicast");
	memcpy(mac, tmp, sizeof(tmp));
	return 0;
}

int
config_iface_set_mac(struct vl_iface_config *ifc, const char *value, const char *where, char *err,
		     size_t errlen)
{
	uint8_t mac[6];
	int rc = config_parse_unicast_mac(value, mac, where, err, errlen);

	if (rc != 0)
		return rc;
	ifc->net = vl_net_config_mac(ifc->net, mac);
	return 0;
}

int
config_check_ifaces(const struct vl_config *cfg, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *a = &cfg->ifaces[i];

		if (a->socket_path[0] == '\0')
			return config_fail(err, errlen, "interface %s: no socket path", a->name);
		for (unsigned int j = 0; j < i; j++) {
			const struct vl_iface_config *b = &cfg->ifaces[j];

			if (strcmp(a->name, b->name) == 0)
				return config_fail(err, errlen,
						   "interfaces %u and %u are both named %s", j, i,
						   a->name);
			if (strcmp(a->socket_path, b->socket_path) == 0)
				return config_fail(err, errlen,
						   "interfaces %s and %s share the socket %s",
						   b->name, a->name, a->socket_path);
			/* Two NICs with one MAC confuse any guest that gets both. */
			if (memcmp(a->net.mac, b->net.mac, sizeof(a->net.mac)) == 0) {
				char mac[VL_MAC_STRLEN];

				vl_mac_format(a->net.mac, mac);
				return config_fail(
					err, errlen,
					"interfaces %s and %s share the MAC %s: give each "
					"its own mac",
					b->name, a->name, mac);
			}
		}
	}
	return 0;
}

int
vl_config_finish(struct vl_config *cfg, char *err, size_t errlen)
{
	config_add_default_iface(cfg);
	if (config_check_ifaces(cfg, err, errlen) != 0)
		return -EINVAL;
	return config_check_qp_lcore(cfg, err, errlen);
}

/* ---- frontend command line ----------------------------------------------------------------- */

/* Prints one shell word, single-quoted when it holds anything a shell would interpret. */
static void
config_print_shell_word(FILE *out, const char *word)
{
	bool plain = *word != '\0';

	for (const char *p = word; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-./:=,@%+", *p) != NULL)) {
			plain = false;
			break;
		}
	}
	if (plain) {
		fputs(word, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = word; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	}
	fputc('\'', out);
}

/* QEMU option values escape ',' by doubling it. */
static void
config_qemu_escape(const char *in, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = in; *p != '\0' && o + 2 < len; p++) {
		buf[o++] = *p;
		if (*p == ',')
			buf[o++] = ',';
	}
	buf[o] = '\0';
}

/* path made absolute against the working directory, into buf. */
static void
config_abs_path(const char *path, char *buf, size_t len)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s/%s", cwd, path);
}

static void
config_print_qemu(const struct vl_config *cfg, FILE *out, FILE *notes)
{
	bool mq = false;

	for (unsigned int i = 0; i < cfg->nb_ifaces; i++)
		mq = mq || vl_iface_served_queue_pairs(&cfg->ifaces[i]) > 1;

	if (notes != NULL) {
		fprintf(notes,
			"# QEMU arguments for %u vhost-user interface(s); guest RAM must be "
			"shared (memfd, share=on); -m matches the memory backend.\n",
			cfg->nb_ifaces);
		fprintf(notes,
			"# Debian 12's QEMU 7.2 under TCG crashes in msix_set_vector_notifiers once the guest driver\n# enables MSI-X: there, use vectors=0 on -device virtio-net-pci (one shared interrupt).\n");
		if (mq)
			fprintf(notes,
				"# The guest enables min(vCPUs, queues) pairs; `ethtool -L eth0 combined N` enables more.\n");
		if (cfg->frontend_node >= 0)
			fprintf(notes,
				"# Guest RAM bound to host NUMA node %d (host-nodes, policy=bind): put the engine's lcores there too.\n",
				cfg->frontend_node);
	}
	fprintf(out,
		"-m " VL_FRONTEND_QEMU_MEM
		" -object memory-backend-memfd,id=mem0,size=" VL_FRONTEND_QEMU_MEM ",share=on");
	if (cfg->frontend_node >= 0)
		fprintf(out, ",host-nodes=%d,policy=bind -numa node,memdev=mem0",
			cfg->frontend_node);
	else
		fprintf(out, " -machine memory-backend=mem0");
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &cfg->ifaces[i];
		unsigned int nb_qp = vl_iface_served_queue_pairs(ifc);
		char abs[4096 + VL_SOCKET_PATH_MAX];
		char path[2 * sizeof(abs)];
		char arg[sizeof(path) + 128];
		char mac[VL_MAC_STRLEN];

		config_abs_path(ifc->socket_path, abs, sizeof(abs));
		config_qemu_escape(abs, path, sizeof(path));
		vl_mac_format(ifc->net.mac, mac);

		/* The engine as client means QEMU must own (listen on) the socket; the engine as
		 * server means QEMU connects, and reconnects after an engine restart. */
		fputs(" \\\n-chardev ", out);
		snprintf(arg, sizeof(arg), "socket,id=chr%u,path=%s%s", i, path,
			 ifc->mode == VL_SOCK_CLIENT ? ",server=on" : ",reconnect=1");
		config_print_shell_word(out, arg);
		fprintf(out, " \\\n-netdev vhost-user,id=net%u,chardev=chr%u", i, i);
		if (nb_qp > 1)
			fprintf(out, ",queues=%u", nb_qp);
		fprintf(out, " \\\n-device virtio-net-pci,netdev=net%u,mac=%s", i, mac);
		/* One vector per virtqueue plus config and control queue. */
		if (nb_qp > 1)
			fprintf(out, ",mq=on,vectors=%u", 2 * nb_qp + 2);
	}
	fputc('\n', out);
}

static void
config_print_virtio_user(const struct vl_config *cfg, FILE *out, FILE *notes)
{
	if (notes != NULL) {
		fprintf(notes,
			"# DPDK virtio-user arguments for %u interface(s). The frontend's EAL needs "
			"--no-huge or\n# --single-file-segments: one fd per hugepage overflows "
			"vhost-user's 8 memory regions.\n",
			cfg->nb_ifaces);
		for (unsigned int i = 0; i < cfg->nb_ifaces; i++)
			if (strchr(cfg->ifaces[i].socket_path, ',') != NULL)
				fprintf(notes,
					"# warning: the socket path of %s holds ',', which DPDK "
					"devargs cannot carry\n",
					cfg->ifaces[i].name);
	}
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &cfg->ifaces[i];
		unsigned int nb_qp = vl_iface_served_queue_pairs(ifc);
		char abs[4096 + VL_SOCKET_PATH_MAX];
		char arg[sizeof(abs) + 128];
		char mac[VL_MAC_STRLEN];

		config_abs_path(ifc->socket_path, abs, sizeof(abs));
		vl_mac_format(ifc->net.mac, mac);
		/* cq=1: virtio-user emulates the control queue, needed to enable pairs > 0. */
		snprintf(arg, sizeof(arg), "--vdev=net_virtio_user%u,path=%s,queues=%u,mac=%s%s%s",
			 i, abs, nb_qp, mac, nb_qp > 1 ? ",cq=1" : "",
			 ifc->mode == VL_SOCK_CLIENT ? ",server=1" : "");
		if (i > 0)
			fputs(" \\\n", out);
		config_print_shell_word(out, arg);
	}
	fputc('\n', out);
}

int
vl_config_print_frontend(const struct vl_config *cfg, enum vl_frontend fe, FILE *out, FILE *notes)
{
	switch (fe) {
	case VL_FRONTEND_QEMU:
		config_print_qemu(cfg, out, notes);
		break;
	case VL_FRONTEND_VIRTIO_USER:
		config_print_virtio_user(cfg, out, notes);
		break;
	default:
		return -EINVAL;
	}
	return ferror(out) ? -EIO : 0;
}

/* ---- notices and path checks ----------------------------------------------------------------- */

unsigned int
vl_config_notices(const struct vl_config *cfg, FILE *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &cfg->ifaces[i];

		if (ifc->queue_pairs_given != ifc->net.queue_pairs) {
			fprintf(out,
				"vhostloop: notice: %s: queue-pairs %u clamped to %u (accepted: "
				"[%d, %d])\n",
				ifc->name, ifc->queue_pairs_given, ifc->net.queue_pairs,
				VL_QUEUE_PAIRS_MIN, VL_QUEUE_PAIRS_MAX);
			n++;
		}
		if (vl_iface_served_queue_pairs(ifc) != ifc->net.queue_pairs) {
			fprintf(out,
				"vhostloop: notice: %s: librte_vhost serves at most %d queue pairs: "
				"%u served, not %u\n",
				ifc->name, VL_QUEUE_PAIRS_SERVED_MAX,
				vl_iface_served_queue_pairs(ifc), ifc->net.queue_pairs);
			n++;
		}
	}
	return n;
}

/* The directory part of path must be an existing directory. */
static int
config_check_dir_of(const char *what, const char *path, char *err, size_t errlen)
{
	char buf[4096];
	struct stat st;
	const char *dir;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st) != 0 && errno == ENOENT)
		return config_fail(err, errlen, "%s %s: directory %s does not exist", what, path,
				   dir);
	if (stat(dir, &st) != 0)
		return config_fail(err, errlen, "%s %s: directory %s: %s", what, path, dir,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return config_fail(err, errlen, "%s %s: %s is not a directory", what, path, dir);
	return 0;
}

static int
config_check_socket_path(const struct vl_iface_config *ifc, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char what[VL_IFACE_NAME_MAX + 32];
	struct stat st;
	int fd, rc;

	snprintf(what, sizeof(what), "%s: socket", ifc->name);
	if (config_check_dir_of(what, ifc->socket_path, err, errlen) != 0)
		return -EINVAL;
	if (lstat(ifc->socket_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return config_fail(err, errlen, "%s %s: %s", what, ifc->socket_path,
				   strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return config_fail(err, errlen, "%s %s: is a directory", what, ifc->socket_path);
	if (!S_ISSOCK(st.st_mode))
		return config_fail(err, errlen,
				   "%s %s: exists and is not a socket: not replacing it", what,
				   ifc->socket_path);
	if (ifc->mode == VL_SOCK_CLIENT)
		return 0; /* the frontend's socket: connecting to it is the point */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return config_fail(err, errlen, "%s %s: socket(): %s", what, ifc->socket_path,
				   strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ifc->socket_path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return config_fail(err, errlen,
				   "%s %s: in use by a live listener (another engine?)", what,
				   ifc->socket_path);
	/* ECONNREFUSED: stale, nobody listens; replaced at attach. */
	return 0;
}

int
vl_config_check_paths(const struct vl_config *cfg, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++)
		if (config_check_socket_path(&cfg->ifaces[i], err, errlen) != 0)
			return -EINVAL;
	if (cfg->stats_file[0] != '\0') {
		struct stat st;

		if (config_check_dir_of("--stats-file", cfg->stats_file, err, errlen) != 0)
			return -EINVAL;
		if (stat(cfg->stats_file, &st) == 0) {
			if (!S_ISREG(st.st_mode))
				return config_fail(
					err, errlen,
					"--stats-file %s: exists and is not a regular file",
					cfg->stats_file);
			if (access(cfg->stats_file, W_OK) != 0)
				return config_fail(err, errlen, "--stats-file %s: not writable: %s",
						   cfg->stats_file, strerror(errno));
		} else {
			char buf[sizeof(cfg->stats_file)];

			snprintf(buf, sizeof(buf), "%s", cfg->stats_file);
			if (access(dirname(buf), W_OK) != 0)
				return config_fail(err, errlen,
						   "--stats-file %s: directory not writable: %s",
						   cfg->stats_file, strerror(errno));
		}
	}
	return 0;
}

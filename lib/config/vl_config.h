/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config.h - what the operator asked for: interfaces (socket, mode, MAC, queue pairs) and run
 * options. Sources, later wins: built-in defaults < INI file (--config) < command line.
 * Pure C: no EAL.
 */
#ifndef VL_CONFIG_H
#define VL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vl_compiler.h"

/* ---- per-interface network config ------------------------------------------------------ */

#define VL_QUEUE_PAIRS_MIN 1
#define VL_QUEUE_PAIRS_MAX 256

struct vl_net_config {
	uint8_t mac[6];
	uint16_t queue_pairs; /* [VL_QUEUE_PAIRS_MIN, VL_QUEUE_PAIRS_MAX] */
};

/* MAC 02:00:00:00:00:01 (locally administered, unicast), one queue pair. */
#define VL_NET_CONFIG_DEFAULT \
	((struct vl_net_config){.mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, .queue_pairs = 1})

/*
 * librte_vhost 22.11 serves at most VL_VHOST_MAX_QUEUE_PAIRS (128) pairs per interface: above
 * that, the engine serves 128 and every printed view of the config (--dump-config,
 * --print-frontend) shows 128.
 */
#define VL_QUEUE_PAIRS_SERVED_MAX VL_VHOST_MAX_QUEUE_PAIRS

/* Builder-style setters: take and return the struct by value. */
struct vl_net_config vl_net_config_mac(struct vl_net_config cfg, const uint8_t mac[6]);
/* Clamps to [1, 256]: 0 -> 1 (the virtio minimum), > 256 -> 256. */
struct vl_net_config vl_net_config_queue_pairs(struct vl_net_config cfg, unsigned int nb_qp);

/*
 * Parse "02:00:00:00:00:01" (case-insensitive, ':' or '-' separators, not mixed, exactly six
 * two-digit octets, nothing trailing). Syntax only: multicast/zero MACs parse (the CLI, INI and
 * JSON loaders reject them). 0 or -EINVAL (mac untouched).
 */
int vl_mac_parse(const char *str, uint8_t mac[6]);
/* Format as lower-case "xx:xx:xx:xx:xx:xx" into buf (at least VL_MAC_STRLEN bytes). */
#define VL_MAC_STRLEN 18
void vl_mac_format(const uint8_t mac[6], char *buf);
/* Multicast (incl. broadcast) and all-zero MACs are invalid for a NIC. */
bool vl_mac_is_valid_unicast(const uint8_t mac[6]);
/* Locally administered bit (0x02 of octet 0). */
bool vl_mac_is_local(const uint8_t mac[6]);

/* ---- the whole run ------------------------------------------------------------------------ */

#define VL_MAX_IFACES 16
#define VL_IFACE_NAME_MAX 32
#define VL_SOCKET_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path), NUL included */

enum vl_sock_mode {
	VL_SOCK_SERVER, /* the engine creates and listens on the socket */
	VL_SOCK_CLIENT, /* the engine connects (QEMU server=on) and reconnects */
};

enum vl_datapath {
	VL_DATAPATH_DIRECT, /* our own split-ring processing, one copy */
	VL_DATAPATH_MBUF,   /* rte_vhost_dequeue_burst -> rte_vhost_enqueue_burst (reference) */
	VL_DATAPATH_SINK, /* returns TX buffers untouched, loops nothing: the generator's ceiling */
};

enum vl_frontend {
	VL_FRONTEND_NONE,
	VL_FRONTEND_QEMU,
	VL_FRONTEND_VIRTIO_USER,
};

#define VL_SOCKET_MODE_DEFAULT 0660
#define VL_SOCKET_MODE_MAX 0777
#define VL_GROUP_NAME_MAX 64

struct vl_iface_config {
	char name[VL_IFACE_NAME_MAX]; /* "vhost0"...: INI section name or generated */
	char socket_path[VL_SOCKET_PATH_MAX];
	enum vl_sock_mode mode;
	struct vl_net_config net;
	/* queue pairs as the operator wrote them (net.queue_pairs is clamped), for the notice */
	uint32_t queue_pairs_given;
	/* Server sockets: permission bits (default 0660) and group ("" = the engine's own),
	 * set before any frontend can connect. The group is kept as written and resolved to
	 * socket_gid (-1 = leave) when parsed. Client mode: the frontend owns the socket. */
	uint32_t socket_mode;
	char socket_group[VL_GROUP_NAME_MAX];
	int64_t socket_gid;
};

/* Ranges of the run options (inclusive), used by the parser and by --help. */
#define VL_BURST_MIN 1
#define VL_BURST_MAX 256
#define VL_BURST_DEFAULT 32
#define VL_STATS_INTERVAL_MAX 3600
#define VL_IRQ_COALESCE_FRAMES_MAX 4096
#define VL_IRQ_COALESCE_USECS_MAX 1000000
#define VL_IDLE_SLEEP_USECS_MAX 1000000
#define VL_MBUFS_MIN 1024
#define VL_MBUFS_MAX (1u << 22)
#define VL_MBUFS_DEFAULT 8192
#define VL_DURATION_MAX (366u * 24 * 3600) /* a year */

/* Where the pollers go relative to the guest memory holding each pair's rings (lib/placement). */
enum vl_numa_policy {
	VL_NUMA_LOCAL,	/* on the rings' node when the lcore set allows (default) */
	VL_NUMA_REMOTE, /* deliberately on another node (experiments) */
	VL_NUMA_NONE,	/* round-robin, rings' node ignored */
};

/* One entry of --qp-lcore IFACE:QP=LCORE: pins a queue pair to an lcore, wins over the policy. */
#define VL_QP_LCORE_MAX 256  /* entries in the map */
#define VL_LCORE_ID_MAX 1023 /* largest lcore id the parser takes; EAL checks the real set */
struct vl_qp_lcore {
	char iface[VL_IFACE_NAME_MAX];
	uint16_t qp;
	uint16_t lcore;
};

struct vl_config {
	struct vl_iface_config ifaces[VL_MAX_IFACES];
	unsigned int nb_ifaces;

	enum vl_datapath datapath;    /* default direct */
	uint16_t burst;		      /* frames per poll, default 32 */
	uint32_t stats_interval_s;    /* periodic console line, 0 = off, default 0 */
	uint32_t irq_coalesce_frames; /* 0 = off: decide each burst */
	uint32_t irq_coalesce_usecs;  /* 0 = off */
	uint32_t idle_sleep_us;	      /* 0 = always poll; else sleep after this long idle */
	uint32_t nb_mbufs;	      /* mbuf path pool size per NUMA node */
	char stats_file[256];	      /* JSON-lines snapshots every stats interval, "" = off */
	uint32_t steering_audit;      /* 1 = classify every frame's flow (lib/steer), default 0 */
	uint32_t duration_s; /* stop cleanly after this many seconds, 0 = run until signalled */
	enum vl_numa_policy numa; /* default local */
	/* Manual queue pair -> lcore map; names and queue pairs are checked by vl_config_finish,
	 * the lcores by the app against the EAL lcore set. */
	struct vl_qp_lcore qp_lcore[VL_QP_LCORE_MAX];
	unsigned int nb_qp_lcore;

	/* Actions that do not start the engine. */
	bool dump_config;		 /* --dump-config: print JSON, exit 0 */
	enum vl_frontend print_frontend; /* --print-frontend qemu|virtio-user */
	int frontend_node;		 /* --print-frontend qemu,node=N: bind guest RAM; -1 */
	bool version;			 /* --version */
	bool help;			 /* --help */
};

/* The queue pairs the engine really serves for ifc: min(configured, 128). */
static inline uint16_t
vl_iface_served_queue_pairs(const struct vl_iface_config *ifc)
{
	return VL_MIN(ifc->net.queue_pairs, VL_QUEUE_PAIRS_SERVED_MAX);
}

/* Built-in defaults: no interface yet (vl_config_finish adds /tmp/vhostloop0.sock if none). */
void vl_config_init(struct vl_config *cfg);

/*
 * Parse the application arguments (those after EAL's, argv[0] is the program name).
 * Loads --config FILE first wherever it appears, then applies every other flag in order.
 * Returns 0, or -EINVAL with a one-line message in err naming the flag or file/section/key, the
 * bad value and the accepted range. Unknown flags are errors. Re-entrant (resets getopt).
 * Interfaces, highest first: a key of --socket > --client / --queue-pairs (every interface, those
 * of the file too) / --mac (interface 0 only) > the file > defaults. Any --socket replaces the
 * file's interfaces. Ends with the interface list resolved: if none was given, vhost0 is added
 * here so that the flags reach it. --help short-cuts everything but unknown flags.
 */
int vl_config_parse_args(struct vl_config *cfg, int argc, char *const argv[], char *err,
			 size_t errlen);

/*
 * Load a config file on top of cfg: the JSON that --dump-config prints (the content starts with
 * '{') or an INI file ([global] + one [interface NAME] per interface). The file's interfaces, if
 * any, replace cfg's. Both kinds follow the same value rules; errors name the file, the key, the
 * value and the range. 0, or -EINVAL with cfg unchanged.
 */
int vl_config_load_file(struct vl_config *cfg, const char *path, char *err, size_t errlen);

/*
 * Defaults that depend on the rest (an interface if none) and cross-interface checks: names,
 * socket paths and MACs must be unique; every --qp-lcore entry names an interface and one of
 * its queue pairs. 0 or -EINVAL.
 */
int vl_config_finish(struct vl_config *cfg, char *err, size_t errlen);

/*
 * The effective config as JSON, through jansson (field names are pinned by
 * tests/unit/test_config.c); queue_pairs is what is served (at most 128). 0, -EINVAL (a string
 * that is not UTF-8), -EIO.
 */
int vl_config_dump_json(const struct vl_config *cfg, FILE *out);

/*
 * Load a JSON document written by vl_config_dump_json (round-trip), parsed by jansson. Strict:
 * unknown or repeated fields and wrong types are errors; missing fields keep cfg's values, except
 * an interface's "socket". The "interfaces" array replaces cfg's interfaces. Errors start with
 * "json" ("json:LINE:COL: ..." for syntax). 0, or -EINVAL with cfg unchanged.
 */
int vl_config_load_json(struct vl_config *cfg, const char *json, char *err, size_t errlen);

/*
 * Per interface, the frontend command-line arguments that match it: the arguments alone on out
 * (so that they paste into a script), the comments on notes (may be NULL). Socket paths are
 * made absolute. 0, -EINVAL, -EIO.
 */
int vl_config_print_frontend(const struct vl_config *cfg, enum vl_frontend fe, FILE *out,
			     FILE *notes);

/* Size of the guest memory backend --print-frontend qemu prints (-m matches it). */
#define VL_FRONTEND_QEMU_MEM "1G"
#define VL_FRONTEND_NODE_MAX 1023

/*
 * Every path the run will use, checked before anything is created (EAL included): a server
 * socket's directory exists, the path is absent, a socket nobody listens on (stale: replaced at
 * attach) - not a regular file, a directory or a live listener; a client socket's directory
 * exists; the stats file's directory exists and the file, if there, is a writable regular file.
 * Nothing is created or removed here. 0 or -EINVAL with one line in err.
 */
int vl_config_check_paths(const struct vl_config *cfg, char *err, size_t errlen);

/*
 * Notices about values that were changed rather than refused: a queue-pair count clamped to
 * [1, 256] and one above what librte_vhost serves (128). One line each on out ("vhostloop: "
 * prefix); returns how many.
 */
unsigned int vl_config_notices(const struct vl_config *cfg, FILE *out);

/* --help text: every option with its default and range. */
void vl_config_usage(FILE *out, const char *prog);

const char *vl_datapath_name(enum vl_datapath dp);
const char *vl_numa_policy_name(enum vl_numa_policy policy);

/* The map as "IFACE:QP=LCORE,..." (the --qp-lcore syntax), "" when empty. Returns the length
 * vl_config would need (snprintf-like); the output is always NUL-terminated when len > 0. */
int vl_config_format_qp_lcore(const struct vl_config *cfg, char *buf, size_t len);

#endif /* VL_CONFIG_H */

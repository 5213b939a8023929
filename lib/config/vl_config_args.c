/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config_args.c - the command line (the options after EAL's "--") and its --help text.
 *
 * Two getopt passes: the first finds --config (and rejects unknown flags), so that the file is
 * loaded before every other flag wherever it appears; the second applies the flags in order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vl_config.h"
#include "config_priv.h"

enum args_opt {
	ARGS_HELP = 'h',
	ARGS_SOCKET = 256,
	ARGS_CLIENT,
	ARGS_QUEUE_PAIRS,
	ARGS_MAC,
	ARGS_CONFIG,
	ARGS_DATAPATH,
	ARGS_BURST,
	ARGS_STATS_INTERVAL,
	ARGS_STATS_FILE,
	ARGS_IRQ_FRAMES,
	ARGS_IRQ_USECS,
	ARGS_IDLE_SLEEP,
	ARGS_MBUFS,
	ARGS_STEERING_AUDIT,
	ARGS_DURATION,
	ARGS_NUMA,
	ARGS_QP_LCORE,
	ARGS_DUMP_CONFIG,
	ARGS_PRINT_FRONTEND,
	ARGS_SOCKET_MODE,
	ARGS_SOCKET_GROUP,
	ARGS_VERSION,
};

/* The run options' flag names are their INI keys, so config_set_global() takes both. */
static const struct option args_longopts[] = {
	{"socket", required_argument, NULL, ARGS_SOCKET},
	{"client", no_argument, NULL, ARGS_CLIENT},
	{"queue-pairs", required_argument, NULL, ARGS_QUEUE_PAIRS},
	{"mac", required_argument, NULL, ARGS_MAC},
	{"config", required_argument, NULL, ARGS_CONFIG},
	{"datapath", required_argument, NULL, ARGS_DATAPATH},
	{"burst", required_argument, NULL, ARGS_BURST},
	{"stats-interval", required_argument, NULL, ARGS_STATS_INTERVAL},
	{"stats-file", required_argument, NULL, ARGS_STATS_FILE},
	{"irq-coalesce-frames", required_argument, NULL, ARGS_IRQ_FRAMES},
	{"irq-coalesce-usecs", required_argument, NULL, ARGS_IRQ_USECS},
	{"idle-sleep-us", required_argument, NULL, ARGS_IDLE_SLEEP},
	{"mbufs", required_argument, NULL, ARGS_MBUFS},
	{"steering-audit", no_argument, NULL, ARGS_STEERING_AUDIT},
	{"duration", required_argument, NULL, ARGS_DURATION},
	{"numa", required_argument, NULL, ARGS_NUMA},
	{"qp-lcore", required_argument, NULL, ARGS_QP_LCORE},
	{"dump-config", no_argument, NULL, ARGS_DUMP_CONFIG},
	{"print-frontend", required_argument, NULL, ARGS_PRINT_FRONTEND},
	{"socket-mode", required_argument, NULL, ARGS_SOCKET_MODE},
	{"socket-group", required_argument, NULL, ARGS_SOCKET_GROUP},
	{"version", no_argument, NULL, ARGS_VERSION},
	{"help", no_argument, NULL, ARGS_HELP},
	{NULL, 0, NULL, 0},
};

/* '+': stop at the first non-option (reported as an error); ':': report a missing value. */
static const char args_shortopts[] = "+:h";

/* Keys of --socket PATH,key=value,... */
static const char args_socket_keys[] = "queue-pairs, mac, mode, name, socket-mode, socket-group";
#define ARGS_SOCKET_SPEC_MAX 1024

/* What the command line says about interfaces, applied once every flag is read. */
struct args_ifaces {
	struct vl_iface_config ifaces[VL_MAX_IFACES];
	/* Keys given in each --socket: they win over --client / --queue-pairs / --mac. */
	bool mode_set[VL_MAX_IFACES];
	bool qp_set[VL_MAX_IFACES];
	bool mac_set[VL_MAX_IFACES];
	bool sock_mode_set[VL_MAX_IFACES];
	bool sock_group_set[VL_MAX_IFACES];
	unsigned int nb_ifaces;

	bool client;
	bool qp_given;
	uint64_t queue_pairs; /* as given: each interface clamps it */
	bool sock_mode_given;
	uint32_t sock_mode;
	bool sock_group_given;
	char sock_group[VL_GROUP_NAME_MAX];
	int64_t sock_gid;
	bool mac_given;
	uint8_t mac[6];

	bool qp_lcore_given; /* the first --qp-lcore replaces the file's map, the next ones add */
};

static const char *
args_opt_name(int val)
{
	for (const struct option *o = args_longopts; o->name != NULL; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* Reset getopt's hidden state: glibc re-initialises everything when optind is 0. */
static void
args_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
	optarg = NULL;
}

static int
args_getopt_error(int c, int argc, char *const argv[], char *err, size_t errlen)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	if (c == ':') {
		if (optopt > 0 && optopt < 256)
			return config_fail(err, errlen, "-%c: missing value", optopt);
		return config_fail(err, errlen, "--%s: missing value", args_opt_name(optopt));
	}
	if (optopt > 0 && optopt < 256)
		return config_fail(err, errlen, "unknown option '-%c'", optopt);
	if (optopt >= 256) /* a known flag that takes no value was given one */
		return config_fail(err, errlen, "--%s takes no value", args_opt_name(optopt));
	return config_fail(err, errlen, "unknown or ambiguous option '%s'", arg);
}

/* Pass 1: unknown flags, --config and --help. */
static int
args_scan(int argc, char *const argv[], const char **config_path, bool *help, char *err,
	  size_t errlen)
{
	int c;

	args_getopt_reset();
	while ((c = getopt_long(argc, argv, args_shortopts, args_longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return args_getopt_error(c, argc, argv, err, errlen);
		if (c == ARGS_HELP)
			*help = true;
		if (c == ARGS_CONFIG) {
			if (*config_path != NULL)
				return config_fail(err, errlen, "--config %s: --config given twice",
						   optarg);
			*config_path = optarg;
		}
	}
	if (optind < argc)
		return config_fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* --socket PATH[,queue-pairs=N][,mac=MAC][,mode=server|client][,name=NAME] */
static int
args_parse_socket(struct args_ifaces *cli, const char *spec, char *err, size_t errlen)
{
	char buf[ARGS_SOCKET_SPEC_MAX];
	char where[ARGS_SOCKET_SPEC_MAX + 64];
	unsigned int idx = cli->nb_ifaces;
	struct vl_iface_config *ifc;
	char *tok, *next;
	bool name_set = false;
	int rc;

	if (idx == VL_MAX_IFACES)
		return config_fail(err, errlen, "--socket %s: more than %d interfaces", spec,
				   VL_MAX_IFACES);
	if (strlen(spec) >= sizeof(buf))
		return config_fail(err, errlen, "--socket: value longer than %zu bytes",
				   sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", spec);
	ifc = &cli->ifaces[idx];
	config_iface_init(ifc, idx);

	next = strchr(buf, ',');
	if (next != NULL)
		*next++ = '\0';
	snprintf(where, sizeof(where), "--socket %s", spec);
	rc = config_iface_set_socket(ifc, buf, where, err, errlen);
	for (tok = next; rc == 0 && tok != NULL; tok = next) {
		char *value;
		bool *seen;

		next = strchr(tok, ',');
		if (next != NULL)
			*next++ = '\0';
		value = strchr(tok, '=');
		if (value == NULL)
			return config_fail(err, errlen,
					   "--socket %s: '%s' is not key=value (keys: %s)", spec,
					   tok, args_socket_keys);
		*value++ = '\0';
		snprintf(where, sizeof(where), "--socket %s: %s=%s", spec, tok, value);
		if (strcmp(tok, "queue-pairs") == 0) {
			seen = &cli->qp_set[idx];
			rc = config_iface_set_queue_pairs(ifc, value, where, err, errlen);
		} else if (strcmp(tok, "mac") == 0) {
			seen = &cli->mac_set[idx];
			rc = config_iface_set_mac(ifc, value, where, err, errlen);
		} else if (strcmp(tok, "mode") == 0) {
			seen = &cli->mode_set[idx];
			rc = config_iface_set_mode(ifc, value, where, err, errlen);
		} else if (strcmp(tok, "name") == 0) {
			seen = &name_set;
			rc = config_iface_set_name(ifc, value, where, err, errlen);
		} else if (strcmp(tok, "socket-mode") == 0) {
			seen = &cli->sock_mode_set[idx];
			rc = config_iface_set_socket_mode(ifc, value, where, err, errlen);
		} else if (strcmp(tok, "socket-group") == 0) {
			seen = &cli->sock_group_set[idx];
			rc = config_iface_set_socket_group(ifc, value, where, err, errlen);
		} else {
			return config_fail(err, errlen, "--socket %s: %s: unknown key (known: %s)",
					   spec, tok, args_socket_keys);
		}
		if (rc == 0 && *seen)
			return config_fail(err, errlen, "--socket %s: %s given twice", spec, tok);
		*seen = true;
	}
	if (rc == 0)
		cli->nb_ifaces++;
	return rc;
}

/* --print-frontend qemu[,node=N]|virtio-user */
static int
args_parse_frontend(struct vl_config *cfg, const char *arg, const char *where, char *err,
		    size_t errlen)
{
	const char *node = NULL;
	uint64_t val;

	if (strcmp(arg, "virtio-user") == 0) {
		cfg->print_frontend = VL_FRONTEND_VIRTIO_USER;
		return 0;
	}
	if (strncmp(arg, "qemu,node=", strlen("qemu,node=")) == 0)
		node = arg + strlen("qemu,node=");
	else if (strcmp(arg, "qemu") != 0)
		return config_fail(err, errlen,
				   "%s: unknown frontend (expected qemu, qemu,node=N or "
				   "virtio-user)",
				   where);
	if (node != NULL) {
		if (config_parse_uint(node, &val) != 0 || val > VL_FRONTEND_NODE_MAX)
			return config_fail(err, errlen, "%s: node is a NUMA node number in [0, %d]",
					   where, VL_FRONTEND_NODE_MAX);
		cfg->frontend_node = (int)val;
	}
	cfg->print_frontend = VL_FRONTEND_QEMU;
	return 0;
}

/* Pass 2: every flag but --config, in order. */
static int
args_apply(struct vl_config *cfg, struct args_ifaces *cli, int c, const char *arg, char *err,
	   size_t errlen)
{
	char where[ARGS_SOCKET_SPEC_MAX + 64];
	uint64_t val;
	int rc;

	snprintf(where, sizeof(where), "--%s %s", args_opt_name(c), arg != NULL ? arg : "");
	switch (c) {
	case ARGS_SOCKET:
		return args_parse_socket(cli, arg, err, errlen);
	case ARGS_CLIENT:
		cli->client = true;
		return 0;
	case ARGS_QUEUE_PAIRS:
		if (config_parse_uint(arg, &val) != 0)
			return config_fail(err, errlen,
					   "%s: not a decimal number (queue pairs, clamped to "
					   "[%u, %u])",
					   where, VL_QUEUE_PAIRS_MIN, VL_QUEUE_PAIRS_MAX);
		cli->qp_given = true;
		cli->queue_pairs = val;
		return 0;
	case ARGS_SOCKET_MODE:
		rc = config_parse_socket_mode(arg, &cli->sock_mode, where, err, errlen);
		cli->sock_mode_given = rc == 0;
		return rc;
	case ARGS_SOCKET_GROUP:
		rc = config_parse_socket_group(arg, &cli->sock_gid, where, err, errlen);
		if (rc == 0)
			snprintf(cli->sock_group, sizeof(cli->sock_group), "%s", arg);
		cli->sock_group_given = rc == 0;
		return rc;
	case ARGS_VERSION:
		cfg->version = true;
		return 0;
	case ARGS_MAC:
		rc = config_parse_unicast_mac(arg, cli->mac, where, err, errlen);
		cli->mac_given = rc == 0;
		return rc;
	case ARGS_CONFIG:
		return 0; /* loaded before any other flag */
	case ARGS_QP_LCORE:
		if (!cli->qp_lcore_given)
			cfg->nb_qp_lcore = 0;
		cli->qp_lcore_given = true;
		return config_add_qp_lcore(cfg, arg, where, err, errlen);
	case ARGS_DUMP_CONFIG:
		cfg->dump_config = true;
		return 0;
	case ARGS_PRINT_FRONTEND:
		return args_parse_frontend(cfg, arg, where, err, errlen);
	case ARGS_HELP:
		cfg->help = true;
		return 0;
	case ARGS_STEERING_AUDIT: /* a flag here, "steering-audit = 0|1" in the file */
		cfg->steering_audit = 1;
		return 0;
	default:
		/* datapath, burst, stats-*, irq-coalesce-*, mbufs, numa: same keys as [global]. */
		rc = config_set_global(cfg, args_opt_name(c), arg, where, err, errlen);
		return rc == -ENOENT ? config_fail(err, errlen, "%s: unhandled option", where) : rc;
	}
}

/* The interface flags, once every flag is known: per-socket keys > flags > file > defaults. */
static void
args_finish_ifaces(struct vl_config *cfg, const struct args_ifaces *cli)
{
	bool from_cli = cli->nb_ifaces > 0;

	if (from_cli) {
		memcpy(cfg->ifaces, cli->ifaces, sizeof(cli->ifaces[0]) * cli->nb_ifaces);
		cfg->nb_ifaces = cli->nb_ifaces;
	}
	/* The flags below must reach the default interface too. */
	config_add_default_iface(cfg);
	for (unsigned int i = 0; i < cfg->nb_ifaces; i++) {
		struct vl_iface_config *ifc = &cfg->ifaces[i];

		if (cli->client && !(from_cli && cli->mode_set[i]))
			ifc->mode = VL_SOCK_CLIENT;
		if (cli->qp_given && !(from_cli && cli->qp_set[i]))
			config_iface_set_qp_number(ifc, cli->queue_pairs);
		if (cli->sock_mode_given && !(from_cli && cli->sock_mode_set[i]))
			ifc->socket_mode = cli->sock_mode;
		if (cli->sock_group_given && !(from_cli && cli->sock_group_set[i])) {
			snprintf(ifc->socket_group, sizeof(ifc->socket_group), "%s",
				 cli->sock_group);
			ifc->socket_gid = cli->sock_gid;
		}
	}
	if (cli->mac_given && !(from_cli && cli->mac_set[0]))
		cfg->ifaces[0].net = vl_net_config_mac(cfg->ifaces[0].net, cli->mac);
}

int
vl_config_parse_args(struct vl_config *cfg, int argc, char *const argv[], char *err, size_t errlen)
{
	struct args_ifaces cli;
	const char *config_path = NULL;
	bool help = false;
	int c, rc;

	rc = args_scan(argc, argv, &config_path, &help, err, errlen);
	if (rc != 0)
		return rc;
	if (help) {
		/* --help answers even when other values are bad. */
		cfg->help = true;
		return 0;
	}
	if (config_path != NULL) {
		rc = vl_config_load_file(cfg, config_path, err, errlen);
		if (rc != 0)
			return rc;
	}

	memset(&cli, 0, sizeof(cli));
	args_getopt_reset();
	while ((c = getopt_long(argc, argv, args_shortopts, args_longopts, NULL)) != -1) {
		rc = args_apply(cfg, &cli, c, optarg, err, errlen);
		if (rc != 0)
			return rc;
	}
	args_finish_ifaces(cfg, &cli);
	return 0;
}

void
vl_config_usage(FILE *out, const char *prog)
{
	/* One source line per output line, within 80 columns (tests/unit checks). */
	fprintf(out,
		"Usage: %s [EAL options] [--] [options]\n"
		"\n"
		"vhost-user loopback: every frame the guest sends on queue pair i comes back\n"
		"on its receive queue i. Sources, later wins: built-in defaults < --config\n"
		"FILE < the other flags. Numbers are decimal.\n"
		"\n"
		"EAL options go before \"--\", or mix with ours when there is no \"--\" (e.g.\n"
		"-l 0-2, --log-level='vhostloop.*:debug'). Defaults they do not replace:\n"
		"--no-pci, --no-huge -m <sized for the datapath>, --file-prefix\n"
		"vhostloop-<pid> (its runtime directory is removed at exit), every CPU an\n"
		"lcore: the main lcore keeps house, the others poll (one per queue pair when\n"
		"there are enough, else round-robin); with no worker lcore (-l N) the main\n"
		"lcore polls. Exit: 0 stopped (SIGINT/SIGTERM/--duration), 1 runtime\n"
		"failure, 2 usage or configuration error (before anything is created).\n"
		"\n"
		"Interfaces (one vhost-user socket each, at most %d):\n"
		"  --socket PATH[,key=value...]  add an interface; repeatable. Keys:\n"
		"      queue-pairs=N   queue pairs, clamped to [%d, %d] (default 1);\n"
		"                      librte_vhost serves at most %d\n"
		"      mac=MAC         unicast MAC for the frontend, e.g. 02:00:00:00:00:01\n"
		"                      (default 02:00:00:00:00:0K, K = interface index + 1)\n"
		"      mode=server|client  server: the engine listens (default); client:\n"
		"                      it connects to a frontend that listens, and reconnects\n"
		"      name=NAME       name in logs and stats (default vhostK, K from 0)\n"
		"      socket-mode=OCTAL, socket-group=NAME|GID  as the flags below\n"
		"    Any --socket replaces every interface of the config file.\n"
		"    PATH: 1 to %d bytes. Without any: vhost0 on /tmp/vhostloop0.sock.\n"
		"  --client             every interface in client mode, also those of the\n"
		"                       file; a mode= key of --socket wins\n"
		"  --queue-pairs N      queue pairs of every interface, also those of the\n"
		"                       file, clamped to [%d, %d]; a queue-pairs= key wins\n"
		"  --mac MAC            MAC of the first interface only (its mac= key wins);\n"
		"                       multicast, broadcast and all-zero MACs are refused\n"
		"  --socket-mode OCTAL  permissions of every server socket, [0000, 0777]\n"
		"                       (default 0660), set before a frontend can connect\n"
		"  --socket-group NAME|GID  group of every server socket (default: ours)\n"
		"\n"
		"Run options:\n"
		"  --config FILE        INI file, or the JSON --dump-config prints (a file\n"
		"                       that starts with '{'), loaded before every other flag\n"
		"  --datapath direct|mbuf|sink  direct: own ring processing, one copy\n"
		"                       (default); mbuf: rte_vhost dequeue/enqueue burst\n"
		"                       (reference); sink: return TX buffers, loop nothing\n"
		"                       (the generator's own ceiling; benchmarks only)\n"
		"  --burst N            frames per poll, [%d, %d] (default %d)\n"
		"  --stats-interval S   seconds between stats lines, [0, %d], 0 = off\n"
		"  --stats-file PATH    append JSON-lines snapshots every stats interval and\n"
		"                       one at exit (default off)\n"
		"  --irq-coalesce-frames N  guest interrupt at most every N frames,\n"
		"                       [0, %d], 0 = decide each burst (default 0)\n"
		"  --irq-coalesce-usecs U   or at most every U microseconds, [0, %d],\n"
		"                       0 = off (default 0); a partial batch waits at most\n"
		"                       U us (without U: until the queue goes idle)\n"
		"  --idle-sleep-us N    an lcore whose queue pairs have all been idle for N\n"
		"                       microseconds sleeps until a guest kicks (direct and\n"
		"                       sink datapaths; mbuf keeps polling), [0, %d],\n"
		"                       0 = always poll (default 0)\n"
		"  --mbufs N            mbuf pool of the mbuf datapath, [%u, %u]\n"
		"                       (default %u)\n"
		"  --steering-audit     classify every frame's flow on its queue pair and\n"
		"                       report flows seen on several queue pairs, each pair's\n"
		"                       share, the fairness index and idle pairs (default\n"
		"                       off; INI key steering-audit = 0|1)\n"
		"  --duration S         stop cleanly after S seconds (summary, exit 0) as\n"
		"                       SIGINT does, [0, %u], 0 = until signalled (default)\n"
		"  --numa local|remote|none  where each queue pair's poller goes once the\n"
		"                       guest's rings are known: local = an lcore on the\n"
		"                       rings' NUMA node (default), remote = an lcore on\n"
		"                       another node (experiments), none = round-robin.\n"
		"                       Said once per pair when not possible.\n"
		"  --qp-lcore IFACE:QP=LCORE[,...]  pin queue pairs to lcores (repeatable;\n"
		"                       wins over --numa), e.g. vhost0:0=1,vhost0:1=2. Every\n"
		"                       IFACE:QP must exist and every LCORE must be a polling\n"
		"                       lcore of the EAL set (a worker; the main lcore only\n"
		"                       with -l N), else exit 2\n"
		"\n"
		"Actions (the engine does not start):\n"
		"  --dump-config        print the effective config as JSON\n"
		"  --print-frontend qemu|qemu,node=N|virtio-user  print the matching frontend\n"
		"                       arguments (comments on stderr); node=N binds the\n"
		"                       guest's memory to host NUMA node N\n"
		"  --version            print the version\n"
		"  -h, --help           this text\n"
		"\n"
		"Config file (INI; ';' or '#' starts a comment at the start of a line or\n"
		"after a blank; a value may be quoted \"...\" or '...'; every value required):\n"
		"  [global]             optional; keys as the run options without \"--\":\n"
		"                       datapath, burst, stats-interval, stats-file,\n"
		"                       irq-coalesce-frames, irq-coalesce-usecs,\n"
		"                       idle-sleep-us, mbufs, steering-audit, duration,\n"
		"                       numa, qp-lcore (one\n"
		"                       line: qp-lcore = vhost0:0=1,vhost0:1=2)\n"
		"  [interface NAME]     one per interface, in order; keys: socket\n"
		"                       (required), mode, queue-pairs, mac, socket-mode,\n"
		"                       socket-group (as the --socket keys)\n"
		"  Unknown sections and keys are errors; errors name the file and line.\n"
		"  Interfaces of the file replace earlier ones.\n"
		"\n"
		"Two interfaces may not share a name, a socket path or a MAC.\n",
		prog, VL_MAX_IFACES, VL_QUEUE_PAIRS_MIN, VL_QUEUE_PAIRS_MAX,
		VL_QUEUE_PAIRS_SERVED_MAX, VL_SOCKET_PATH_MAX - 1, VL_QUEUE_PAIRS_MIN,
		VL_QUEUE_PAIRS_MAX, VL_BURST_MIN, VL_BURST_MAX, VL_BURST_DEFAULT,
		VL_STATS_INTERVAL_MAX, VL_IRQ_COALESCE_FRAMES_MAX, VL_IRQ_COALESCE_USECS_MAX,
		VL_IDLE_SLEEP_USECS_MAX, VL_MBUFS_MIN, VL_MBUFS_MAX, VL_MBUFS_DEFAULT,
		VL_DURATION_MAX);
}

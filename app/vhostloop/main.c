/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhostloop - a DPDK poll-mode vhost-user loopback engine. Every frame a guest transmits on
 * queue pair i comes back, byte for byte, on its receive queue i.
 *
 *   parse -> EAL -> plan -> attach -> run -> teardown
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_version.h>

#include "vl_compiler.h"
#include "vl_config.h"
#include "vl_dev.h"
#include "vl_fwd.h"
#include "vl_log.h"
#include "vl_placement.h"
#include "vl_rundir.h"
#include "vl_stats.h"
#include "vl_steer.h"
#include "vl_version.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define APP_LOG(level, fmt, ...) VL_LOG_MOD(app, level, fmt, ##__VA_ARGS__)
#define APP_MAX_ARGS 256

static struct vl_config app_cfg;
static struct vl_dev *app_devs[VL_MAX_IFACES];
static struct vl_fwd_lcore *app_lcores[RTE_MAX_LCORE];
static struct vl_steer *app_steer; /* --steering-audit, else NULL */

static void
app_on_signal(int sig)
{
	(void)sig;
	vl_fwd_quit();
}

/* ---- parse ----------------------------------------------------------------------------------- */

/*
 * EAL options the engine recognises mixed with its own when there is no "--" (so that
 * `vhostloop --log-level='vhostloop.*:debug' --dump-config` works), and what each says about the
 * defaults: an option that touches memory, PCI or the file prefix replaces that default.
 */
enum app_eal_touches {
	APP_EAL_OTHER = 0,
	APP_EAL_MEMORY = 1 << 0,
	APP_EAL_PCI = 1 << 1,
	APP_EAL_PREFIX = 1 << 2,
};

struct app_eal_opt {
	const char *name; /* "-l" or "--lcores" */
	bool has_arg;
	unsigned int touches;
};

static const struct app_eal_opt app_eal_opts[] = {
	{"-c", true, APP_EAL_OTHER},
	{"-l", true, APP_EAL_OTHER},
	{"--lcores", true, APP_EAL_OTHER},
	{"--main-lcore", true, APP_EAL_OTHER},
	{"-s", true, APP_EAL_OTHER},
	{"-S", true, APP_EAL_OTHER},
	{"-n", true, APP_EAL_OTHER},
	{"-r", true, APP_EAL_OTHER},
	{"--log-level", true, APP_EAL_OTHER},
	{"--syslog", true, APP_EAL_OTHER},
	{"--trace", true, APP_EAL_OTHER},
	{"--trace-dir", true, APP_EAL_OTHER},
	{"--trace-bufsz", true, APP_EAL_OTHER},
	{"--trace-mode", true, APP_EAL_OTHER},
	{"--vdev", true, APP_EAL_OTHER},
	{"-d", true, APP_EAL_OTHER},
	{"--iova-mode", true, APP_EAL_OTHER},
	{"--base-virtaddr", true, APP_EAL_OTHER},
	{"--mbuf-pool-ops-name", true, APP_EAL_OTHER},
	{"--force-max-simd-bitwidth", true, APP_EAL_OTHER},
	{"--no-hpet", false, APP_EAL_OTHER},
	{"--no-telemetry", false, APP_EAL_OTHER},
	{"--telemetry", false, APP_EAL_OTHER},
	{"-m", true, APP_EAL_MEMORY},
	{"--socket-mem", true, APP_EAL_MEMORY},
	{"--socket-limit", true, APP_EAL_MEMORY},
	{"--huge-dir", true, APP_EAL_MEMORY},
	{"--huge-unlink", false, APP_EAL_MEMORY},
	{"--no-huge", false, APP_EAL_MEMORY},
	{"--in-memory", false, APP_EAL_MEMORY | APP_EAL_PREFIX},
	{"--legacy-mem", false, APP_EAL_MEMORY},
	{"--single-file-segments", false, APP_EAL_MEMORY},
	{"--match-allocations", false, APP_EAL_MEMORY},
	{"--no-shconf", false, APP_EAL_PREFIX},
	{"--file-prefix", true, APP_EAL_PREFIX},
	{"--proc-type", true, APP_EAL_PREFIX},
	{"--no-pci", false, APP_EAL_PCI},
	{"-a", true, APP_EAL_PCI},
	{"--allow", true, APP_EAL_PCI},
	{"-b", true, APP_EAL_PCI},
	{"--block", true, APP_EAL_PCI},
	{"--vfio-intr", true, APP_EAL_PCI},
	{"--vfio-vf-token", true, APP_EAL_PCI},
};

/* The EAL option arg is, and whether its value is the next word; NULL if it is none. */
static const struct app_eal_opt *
app_eal_opt_of(const char *arg, bool *value_follows)
{
	for (size_t i = 0; i < VL_ARRAY_SIZE(app_eal_opts); i++) {
		const struct app_eal_opt *o = &app_eal_opts[i];
		size_t len = strlen(o->name);

		if (strncmp(arg, o->name, len) != 0)
			continue;
		if (arg[len] == '\0') {
			*value_follows = o->has_arg;
			return o;
		}
		/* "--log-level=x", "-l0-3", "--huge-unlink=always" */
		if ((o->name[1] == '-' && arg[len] == '=') || (o->name[1] != '-' && o->has_arg)) {
			*value_follows = false;
			return o;
		}
	}
	return NULL;
}

/* The command line, split: EAL's words and ours (each with the program name first). */
struct app_args {
	char *eal[APP_MAX_ARGS];
	int nb_eal;
	char *app[APP_MAX_ARGS];
	int nb_app;
	unsigned int touches; /* what the EAL words say about memory, PCI, prefix */
	bool eal_given;
};

/*
 * With "--": EAL's words before it, ours after (as DPDK applications do). Without it: the EAL
 * options above go to EAL wherever they are, the rest is ours.
 */
static int
app_split_args(int argc, char **argv, struct app_args *a)
{
	int dashdash = -1;

	if (argc >= APP_MAX_ARGS) {
		fprintf(stderr, "vhostloop: more than %d arguments\n", APP_MAX_ARGS - 1);
		return -EINVAL;
	}
	a->eal[0] = a->app[0] = argv[0];
	a->nb_eal = a->nb_app = 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	for (int i = 1; i < argc; i++) {
		bool value_follows = false;
		const struct app_eal_opt *o = app_eal_opt_of(argv[i], &value_follows);

		if (i == dashdash)
			continue;
		if (dashdash >= 0 ? i > dashdash : o == NULL) {
			a->app[a->nb_app++] = argv[i];
			continue;
		}
		a->eal_given = true;
		a->eal[a->nb_eal++] = argv[i];
		if (o != NULL)
			a->touches |= o->touches;
		if (o != NULL && value_follows) {
			if (i + 1 >= argc || i + 1 == dashdash) {
				fprintf(stderr, "vhostloop: EAL option %s: missing value\n",
					argv[i]);
				return -EINVAL;
			}
			a->eal[a->nb_eal++] = argv[++i];
		}
	}
	a->eal[a->nb_eal] = NULL;
	a->app[a->nb_app] = NULL;
	return 0;
}

static int
app_parse(struct app_args *a)
{
	char err[512];

	vl_config_init(&app_cfg);
	if (vl_config_parse_args(&app_cfg, a->nb_app, a->app, err, sizeof(err)) != 0 ||
	    vl_config_finish(&app_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "vhostloop: %s\n", err);
		fprintf(stderr, "vhostloop: try --help\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- EAL ------------------------------------------------------------------------------------- */

/* The runtime directory EAL makes for our file prefix (removed at exit when ours). */
static struct vl_rundir app_rundir;
static char app_prefix[PATH_MAX]; /* the file prefix EAL uses */

/*
 * The user's EAL words, plus the defaults they do not replace: no PCI, no hugepages (the engine
 * needs none) sized for the datapath, a file prefix unique to this process, librte_vhost's
 * per-message narration lowered to notice (a later --log-level brings it back).
 */
static int
app_eal_init(struct app_args *a, bool *no_huge)
{
	static char mem_mb[16], prefix_arg[PATH_MAX + 16];
	char *eal_argv[APP_MAX_ARGS + 8];
	int eal_argc = 0;
	unsigned int mb = 64;

	if (app_cfg.datapath == VL_DATAPATH_MBUF)
		mb += (unsigned int)((uint64_t)app_cfg.nb_mbufs * 3 / 1024); /* ~3 KiB per mbuf */
	snprintf(mem_mb, sizeof(mem_mb), "%u", mb);
	eal_argv[eal_argc++] = a->eal[0];
	eal_argv[eal_argc++] = (char *)"--log-level=lib.vhost.*:notice";
	if ((a->touches & APP_EAL_PCI) == 0)
		eal_argv[eal_argc++] = (char *)"--no-pci";
	*no_huge = (a->touches & APP_EAL_MEMORY) == 0;
	if (*no_huge) {
		eal_argv[eal_argc++] = (char *)"--no-huge";
		eal_argv[eal_argc++] = (char *)"-m";
		eal_argv[eal_argc++] = mem_mb;
	}
	snprintf(app_prefix, sizeof(app_prefix), "rte"); /* EAL's own default */
	for (int i = 1; i < a->nb_eal; i++) {
		if (strcmp(a->eal[i], "--no-huge") == 0)
			*no_huge = true;
		if (strncmp(a->eal[i], "--file-prefix=", strlen("--file-prefix=")) == 0)
			snprintf(app_prefix, sizeof(app_prefix), "%s",
				 a->eal[i] + strlen("--file-prefix="));
		else if (strcmp(a->eal[i], "--file-prefix") == 0 && i + 1 < a->nb_eal)
			snprintf(app_prefix, sizeof(app_prefix), "%s", a->eal[i + 1]);
		eal_argv[eal_argc++] = a->eal[i];
	}
	if ((a->touches & APP_EAL_PREFIX) == 0) {
		snprintf(app_prefix, sizeof(app_prefix), "vhostloop-%d", (int)getpid());
		snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", app_prefix);
		eal_argv[eal_argc++] = prefix_arg;
	}
	eal_argv[eal_argc] = NULL;
	vl_rundir_expect(&app_rundir, app_prefix);
	return rte_eal_init(eal_argc, eal_argv);
}

/* Last on every exit path once EAL has run: EAL's files are closed, the directory is of no use. */
static void
app_remove_rundir(void)
{
	int rc = vl_rundir_remove(&app_rundir);

	if (rc != 0)
		APP_LOG(WARNING, "cannot remove the runtime directory %s: %s", app_rundir.path,
			strerror(-rc));
}

/* ---- plan ------------------------------------------------------------------------------------ */

static void
app_check_macs(void)
{
	char mac[VL_MAC_STRLEN];

	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++) {
		if (vl_mac_is_local(app_cfg.ifaces[i].net.mac))
			continue;
		vl_mac_format(app_cfg.ifaces[i].net.mac, mac);
		APP_LOG(NOTICE,
			"%s: mac %s is not locally administered (bit 0x02 of octet 0 clear)",
			app_cfg.ifaces[i].name, mac);
	}
}

/* The polling lcores: the workers, or the main lcore alone when there is none. */
static unsigned int
app_polling_lcores(unsigned int *lcores)
{
	unsigned int n = 0, lcore;

	RTE_LCORE_FOREACH_WORKER (lcore)
		lcores[n++] = lcore;
	if (n == 0)
		lcores[n++] = rte_get_main_lcore();
	return n;
}

/*
 * --qp-lcore names lcores of the EAL set that poll: checked right after EAL init, before any
 * socket exists, so a bad map is a usage error (exit 2) with nothing created. The interface and
 * queue pair names were checked by vl_config_finish.
 */
static int
app_check_qp_lcore_map(void)
{
	unsigned int lcores[RTE_MAX_LCORE], nb_lcores = app_polling_lcores(lcores);

	for (unsigned int m = 0; m < app_cfg.nb_qp_lcore; m++) {
		const struct vl_qp_lcore *e = &app_cfg.qp_lcore[m];
		bool polls = false;

		for (unsigned int l = 0; l < nb_lcores; l++)
			polls = polls || lcores[l] == e->lcore;
		if (polls)
			continue;
		if (e->lcore < RTE_MAX_LCORE && rte_lcore_is_enabled(e->lcore))
			fprintf(stderr,
				"vhostloop: --qp-lcore %s:%u=%u: lcore %u is the main lcore, which "
				"keeps house and does not poll while there are workers (polling "
				"lcores:",
				e->iface, e->qp, e->lcore, e->lcore);
		else
			fprintf(stderr,
				"vhostloop: --qp-lcore %s:%u=%u: lcore %u is not in the EAL lcore "
				"set (polling lcores:",
				e->iface, e->qp, e->lcore, e->lcore);
		for (unsigned int l = 0; l < nb_lcores; l++)
			fprintf(stderr, " %u", lcores[l]);
		fprintf(stderr, ")\n");
		return -EINVAL;
	}
	for (unsigned int m = 0; m < app_cfg.nb_qp_lcore; m++) {
		const struct vl_qp_lcore *e = &app_cfg.qp_lcore[m];

		if (e->qp >= VL_VHOST_MAX_QUEUE_PAIRS) {
			fprintf(stderr,
				"vhostloop: --qp-lcore %s:%u=%u: librte_vhost serves at most %u "
				"queue pairs per interface\n",
				e->iface, e->qp, e->lcore, VL_VHOST_MAX_QUEUE_PAIRS);
			return -EINVAL;
		}
	}
	return 0;
}

/* The manual map's lcore for interface i's queue pair q, or -1. */
static int
app_manual_lcore(unsigned int i, uint16_t q)
{
	for (unsigned int m = 0; m < app_cfg.nb_qp_lcore; m++)
		if (app_cfg.qp_lcore[m].qp == q &&
		    strcmp(app_cfg.qp_lcore[m].iface, app_cfg.ifaces[i].name) == 0)
			return app_cfg.qp_lcore[m].lcore;
	return -1;
}

/* The polling lcores with their CPUs' nodes; without NUMA support everything is node 0. */
static struct vl_placement_lcore app_pl_lcores[RTE_MAX_LCORE];
static unsigned int app_nb_pl_lcores;

/*
 * Test hook: VHOSTLOOP_TEST_LCORE_NODES="LCORE=NODE,..." pretends those lcores' CPUs sit on other
 * nodes, so that a one-node machine can exercise a re-plan that moves a queue pair (the
 * integration tests). Said loudly; malformed items are ignored with a warning.
 */
static void
app_numa_test_override(void)
{
	const char *env = getenv("VHOSTLOOP_TEST_LCORE_NODES");
	char buf[256], *save = NULL;

	if (env == NULL || *env == '\0')
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		unsigned int lcore, node;
		bool found = false;

		if (sscanf(tok, "%u=%u", &lcore, &node) == 2)
			for (unsigned int l = 0; l < app_nb_pl_lcores; l++)
				if (app_pl_lcores[l].lcore == lcore) {
					app_pl_lcores[l].node = (int)node;
					found = true;
				}
		APP_LOG(WARNING, "test hook VHOSTLOOP_TEST_LCORE_NODES: %s %s", tok,
			found ? "applied: placement believes this topology" : "ignored");
	}
}

static void
app_numa_init(void)
{
	unsigned int lcores[RTE_MAX_LCORE];
	bool numa = vl_placement_numa_available();

	app_nb_pl_lcores = app_polling_lcores(lcores);
	for (unsigned int l = 0; l < app_nb_pl_lcores; l++) {
		int cpu = vl_dev_lcore_cpu(lcores[l]);
		int node = cpu >= 0 ? vl_placement_cpu_node((unsigned int)cpu) : VL_NODE_UNKNOWN;

		app_pl_lcores[l] = (struct vl_placement_lcore){
			.lcore = lcores[l],
			.node = numa ? node : 0,
		};
	}
	if (!numa)
		APP_LOG(NOTICE,
			"libnuma: NUMA is not available here: every CPU, ring and buffer is "
			"counted on node 0");
	app_numa_test_override();
}

static enum vl_placement_policy
app_policy(void)
{
	switch (app_cfg.numa) {
	case VL_NUMA_REMOTE:
		return VL_PLACEMENT_REMOTE;
	case VL_NUMA_NONE:
		return VL_PLACEMENT_NONE;
	case VL_NUMA_LOCAL:
	default:
		return VL_PLACEMENT_LOCAL;
	}
}

static int
app_lcore_node(unsigned int lcore)
{
	for (unsigned int l = 0; l < app_nb_pl_lcores; l++)
		if (app_pl_lcores[l].lcore == lcore)
			return app_pl_lcores[l].node;
	return VL_NODE_UNKNOWN;
}

/* Start-up plan: no guest yet, so ring nodes are unknown: pins, then round-robin by load. */
static int
app_plan(struct vl_placement_qp *plan, unsigned int plan_len, unsigned int *nb_lcores_out)
{
	struct vl_placement_pair pairs[VL_MAX_IFACES * VL_VHOST_MAX_QUEUE_PAIRS];
	unsigned int n = 0, bad = 0;
	int rc;

	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++)
		for (uint16_t q = 0;
		     q < vl_iface_served_queue_pairs(&app_cfg.ifaces[i]) && n < plan_len; q++)
			pairs[n++] = (struct vl_placement_pair){
				.iface = (uint16_t)i,
				.qp = q,
				.ring_node = VL_NODE_UNKNOWN,
				.lcore = app_manual_lcore(i, q),
			};
	rc = vl_placement_plan(app_pl_lcores, app_nb_pl_lcores, pairs, n, app_policy(), plan, &bad);
	if (rc < 0)
		return rc;
	if (app_nb_pl_lcores == 1 && app_pl_lcores[0].lcore == rte_get_main_lcore())
		APP_LOG(NOTICE, "no worker lcore: the main lcore %u polls all %u queue pair(s)",
			app_pl_lcores[0].lcore, n);
	else if (app_nb_pl_lcores < n)
		APP_LOG(NOTICE, "%u queue pairs on %u worker lcore(s): spread round-robin", n,
			app_nb_pl_lcores);
	for (unsigned int k = 0; k < n; k++)
		APP_LOG(INFO,
			"plan: %s qp %u -> lcore %u (cpu %d, cpu node %d)%s; rings' node known "
			"when a guest starts (--numa %s)",
			app_cfg.ifaces[plan[k].iface].name, plan[k].qp, plan[k].lcore,
			vl_dev_lcore_cpu(plan[k].lcore), plan[k].used_node,
			plan[k].pinned ? ", pinned by --qp-lcore" : "",
			vl_numa_policy_name(app_cfg.numa));
	*nb_lcores_out = app_nb_pl_lcores;
	return (int)n;
}

static struct vl_fwd_lcore *
app_fwd_lcore(unsigned int lcore)
{
	if (app_lcores[lcore] == NULL) {
		app_lcores[lcore] = calloc(1, sizeof(struct vl_fwd_lcore));
		if (app_lcores[lcore] == NULL)
			return NULL;
		*app_lcores[lcore] = (struct vl_fwd_lcore){
			.lcore = lcore,
			.burst = app_cfg.burst,
			.irq_coalesce_frames = app_cfg.irq_coalesce_frames,
			.irq_coalesce_cycles =
				(uint64_t)app_cfg.irq_coalesce_usecs * rte_get_tsc_hz() / 1000000,
			.wake_fd = -1,
		};
		/* The main lcore polls only with -l N, between its housekeeping: it sleeps at
		 * most as long as the main loop without pollers does. */
		if (vl_fwd_lcore_sleep_init(app_lcores[lcore], app_cfg.idle_sleep_us,
					    lcore == rte_get_main_lcore() ? 50 : -1) != 0) {
			free(app_lcores[lcore]);
			app_lcores[lcore] = NULL;
			return NULL;
		}
	}
	return app_lcores[lcore];
}

/*
 * A guest started on dev (vhost-events thread, dev locked, its pairs stopped): the rings' node is
 * known now. Plan every pair again, with the other interfaces' pairs held where they are (they
 * may be running), and move dev's pairs whose owner changes. Said once per pair when the policy
 * cannot be honoured.
 */
static void
app_plan_guest(struct vl_dev *dev, void *ctx)
{
	static struct vl_placement_pair pairs[VL_MAX_IFACES * VL_VHOST_MAX_QUEUE_PAIRS];
	static struct vl_placement_qp out[VL_MAX_IFACES * VL_VHOST_MAX_QUEUE_PAIRS];
	static struct vl_qp *qps[VL_MAX_IFACES * VL_VHOST_MAX_QUEUE_PAIRS];
	unsigned int n = 0, bad = 0;

	(void)ctx;
	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++) {
		struct vl_dev *d = __atomic_load_n(&app_devs[i], __ATOMIC_ACQUIRE);

		if (d == NULL)
			continue; /* not attached yet: planned at start-up, placed later */
		for (uint16_t q = 0; q < vl_dev_nb_qps(d); q++) {
			struct vl_qp *qp = vl_dev_qp(d, q);
			int manual = app_manual_lcore(i, q);

			qps[n] = qp;
			pairs[n++] = (struct vl_placement_pair){
				.iface = (uint16_t)i,
				.qp = q,
				.ring_node = qp->numa.ring_node,
				.lcore = manual >= 0 ? manual
					 : d != dev  ? (int)qp->lcore
						     : -1,
			};
		}
	}
	if (vl_placement_plan(app_pl_lcores, app_nb_pl_lcores, pairs, n, app_policy(), out, &bad) <
	    0) {
		APP_LOG(ERR, "%s: cannot plan the queue pairs again: they keep their lcores",
			vl_dev_name(dev));
		return;
	}
	for (unsigned int k = 0; k < n; k++) {
		struct vl_qp *qp = qps[k];
		struct vl_stats_numa *nu = &qp->numa;
		unsigned int old = qp->lcore;
		char bufs[64];

		if (qp->dev != dev)
			continue;
		if (out[k].lcore != old &&
		    vl_fwd_move(qp, app_lcores[old], app_lcores[out[k].lcore]) != 0) {
			APP_LOG(ERR,
				"%s qp %u: cannot move to lcore %u (out of memory): stays on "
				"lcore %u",
				vl_dev_name(dev), qp->idx, out[k].lcore, old);
			continue;
		}
		nu->lcore = qp->lcore;
		nu->cpu = vl_dev_lcore_cpu(qp->lcore);
		nu->cpu_node = app_lcore_node(qp->lcore);
		nu->wanted_node = out[k].wanted_node;
		nu->honoured = out[k].honoured;
		nu->cross_node =
			nu->cpu_node >= 0 && nu->ring_node >= 0 && nu->cpu_node != nu->ring_node;
		if (nu->ring_node < 0)
			continue; /* the guest does not use this pair (yet) */
		if (nu->buffer_node >= 0)
			snprintf(bufs, sizeof(bufs), "on node %d", nu->buffer_node);
		else
			snprintf(bufs, sizeof(bufs), "not posted yet (probed every second)");
		APP_LOG(INFO,
			"plan: %s qp %u -> lcore %u (cpu %d, cpu node %d), rings on node %d, "
			"buffers %s, cross_node %s",
			vl_dev_name(dev), qp->idx, qp->lcore, nu->cpu, nu->cpu_node, nu->ring_node,
			bufs, nu->cross_node ? "yes" : "no");
		if (old != qp->lcore)
			APP_LOG(INFO, "%s qp %u moved from lcore %u to lcore %u while stopped",
				vl_dev_name(dev), qp->idx, old, qp->lcore);
		if (!nu->honoured && !qp->numa_said) {
			qp->numa_said = true;
			if (app_cfg.numa == VL_NUMA_LOCAL)
				APP_LOG(NOTICE,
					"--numa local cannot be honoured for %s qp %u: wanted node "
					"%d (its rings), used node %d (lcore %u): no polling lcore "
					"there",
					vl_dev_name(dev), qp->idx, nu->ring_node, nu->cpu_node,
					qp->lcore);
			else
				APP_LOG(NOTICE,
					"--numa remote cannot be honoured for %s qp %u: wanted a "
					"node "
					"other than %d (its rings), used node %d (lcore %u): no "
					"polling lcore elsewhere",
					vl_dev_name(dev), qp->idx, nu->ring_node, nu->cpu_node,
					qp->lcore);
		}
	}
}

/* ---- attach ---------------------------------------------------------------------------------- */

static int
app_attach(const struct vl_placement_qp *plan, unsigned int nb_plan, struct rte_mempool *pool)
{
	unsigned int lcore_of_qp[VL_VHOST_MAX_QUEUE_PAIRS];
	int node_of_qp[VL_VHOST_MAX_QUEUE_PAIRS];

	/* Every polling lcore gets a (possibly empty) list: a guest's start may move pairs. */
	for (unsigned int l = 0; l < app_nb_pl_lcores; l++)
		if (app_fwd_lcore(app_pl_lcores[l].lcore) == NULL)
			return -ENOMEM;
	vl_dev_set_plan_hook(app_plan_guest, NULL);
	vl_dev_set_wake_hook(vl_fwd_wake);
	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++) {
		const struct vl_iface_config *ifc = &app_cfg.ifaces[i];
		struct vl_dev *dev = NULL;
		int rc;

		for (unsigned int k = 0; k < nb_plan; k++)
			if (plan[k].iface == i) {
				lcore_of_qp[plan[k].qp] = plan[k].lcore;
				node_of_qp[plan[k].qp] = plan[k].used_node;
			}
		rc = vl_dev_attach(&dev, ifc, &app_cfg, lcore_of_qp, node_of_qp, pool);
		if (rc != 0)
			return rc;
		for (uint16_t q = 0; q < vl_dev_nb_qps(dev); q++) {
			struct vl_qp *qp = vl_dev_qp(dev, q);
			struct vl_stats_qp_desc desc = {
				.iface = ifc->name,
				.qp = q,
				.lcore = qp->lcore,
				.stats = &qp->stats,
				.state = vl_dev_qp_state_name,
				.state_ctx = qp,
				.numa = &qp->numa,
			};

			if (vl_fwd_lcore_add(app_lcores[qp->lcore], qp) != 0)
				return -ENOMEM;
			if (app_steer != NULL) { /* the same order as vl_stats_register */
				qp->steer = vl_steer_qp_add(app_steer, ifc->name, (uint16_t)i, q);
				if (qp->steer == NULL)
					return -ENOMEM;
			}
			vl_stats_register(&desc);
		}
		/* Published after its pairs are on their lists: a guest's start re-plans them. */
		__atomic_store_n(&app_devs[i], dev, __ATOMIC_RELEASE);
	}
	return 0;
}

/* ---- run ------------------------------------------------------------------------------------- */

/* Main-lcore housekeeping: the live line and JSON-lines snapshots, every stats interval. */
struct app_clock {
	uint64_t start_tsc;
	uint64_t last_tsc;
	uint64_t period_tsc;
	uint64_t stop_tsc; /* --duration: stop at this TSC, 0 = never */
	uint64_t numa_tsc; /* last NUMA probe refresh */
	FILE *snapshots;
};

/* One JSON-lines snapshot, flushed (a reader may be waiting for it). */
static void
app_snapshot(const struct app_clock *clk, uint64_t now)
{
	vl_stats_snapshot_json(clk->snapshots,
			       (double)(now - clk->start_tsc) / (double)rte_get_tsc_hz());
	fputc('\n', clk->snapshots);
	fflush(clk->snapshots);
}

/* Once a second, off the datapath: where the running guests' rings and buffers are now. */
static void
app_numa_refresh(struct app_clock *clk, uint64_t now)
{
	if (now - clk->numa_tsc < rte_get_tsc_hz())
		return;
	clk->numa_tsc = now;
	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++)
		if (app_devs[i] != NULL)
			vl_dev_numa_refresh(app_devs[i]);
}

static void
app_housekeeping(struct app_clock *clk, uint64_t now)
{
	double elapsed;

	if (clk->stop_tsc != 0 && now >= clk->stop_tsc && !vl_fwd_quitting()) {
		APP_LOG(INFO, "--duration %u s reached", app_cfg.duration_s);
		vl_fwd_quit(); /* the same clean stop as SIGINT */
	}
	app_numa_refresh(clk, now);
	if (clk->period_tsc == 0 || now - clk->last_tsc < clk->period_tsc)
		return;
	elapsed = (double)(now - clk->last_tsc) / (double)rte_get_tsc_hz();
	clk->last_tsc = now;
	vl_stats_steer_interval();
	if (app_cfg.stats_interval_s != 0)
		vl_stats_print_line(stdout, elapsed);
	if (clk->snapshots != NULL)
		app_snapshot(clk, now);
}

/* The JSON-lines header: version, the effective config (the --dump-config document). */
static void
app_stats_header(FILE *out, int argc, char **argv)
{
	char *config = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&config, &len);

	if (mem != NULL) {
		if (vl_config_dump_json(&app_cfg, mem) != 0)
			len = 0;
		fclose(mem);
	}
	vl_stats_header_json(out, &(struct vl_stats_run){
					  .version = VL_VERSION,
					  .commit = VL_GIT_COMMIT,
					  .config_json = len != 0 ? config : NULL,
					  .argc = argc,
					  .argv = (const char *const *)argv,
				  });
	fputc('\n', out);
	fflush(out);
	free(config);
}

static void
app_run(struct vl_fwd_lcore *main_poller, struct app_clock *clk)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (app_lcores[lcore] != NULL)
			rte_eal_remote_launch(vl_fwd_lcore_main, app_lcores[lcore], lcore);
	}
	if (main_poller != NULL) {
		vl_fwd_lcore_online(main_poller);
		while (!vl_fwd_quitting()) {
			for (unsigned int i = 0; i < 1024; i++) {
				vl_fwd_poll_once(main_poller);
				if (main_poller->slept)
					break; /* time may have passed: housekeeping */
			}
			app_housekeeping(clk, rte_rdtsc());
			vl_fwd_lcore_clock_restart(main_poller); /* housekeeping is no poll */
		}
		vl_fwd_lcore_offline(main_poller);
	} else {
		while (!vl_fwd_quitting()) {
			usleep(50 * 1000); /* leave the CPU to vhost-events and telemetry */
			app_housekeeping(clk, rte_rdtsc());
		}
	}
	rte_eal_mp_wait_lcore();
}

/* Actions that do not start the engine; -1 when the engine is to run. */
static int
app_actions(const char *prog)
{
	if (app_cfg.help) {
		vl_config_usage(stdout, prog);
		return EXIT_OK;
	}
	if (app_cfg.version) {
		printf("vhostloop %s (%s)\n", VL_VERSION, rte_version());
		return EXIT_OK;
	}
	if (app_cfg.dump_config)
		return vl_config_dump_json(&app_cfg, stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	if (app_cfg.print_frontend != VL_FRONTEND_NONE)
		return vl_config_print_frontend(&app_cfg, app_cfg.print_frontend, stdout, stderr) ==
				       0
			       ? EXIT_OK
			       : EXIT_RUNTIME;
	return -1;
}

int
main(int argc, char **argv)
{
	struct vl_placement_qp plan[VL_MAX_IFACES * VL_VHOST_MAX_QUEUE_PAIRS];
	static struct app_args args;
	struct app_clock clk = {0};
	struct rte_mempool *pool = NULL;
	unsigned int nb_lcores = 0;
	int nb_plan, rc, status = EXIT_OK;
	bool no_huge = false;
	char err[512];

	if (app_split_args(argc, argv, &args) != 0 || app_parse(&args) != 0)
		return EXIT_USAGE;
	vl_config_notices(&app_cfg, stderr);
	rc = app_actions(argv[0]);
	if (rc >= 0)
		return rc;
	/* Every path, before anything is created. */
	if (vl_config_check_paths(&app_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "vhostloop: %s\n", err);
		return EXIT_USAGE;
	}

	/* From here a signal stops the engine cleanly, wherever it arrives. */
	signal(SIGINT, app_on_signal);
	signal(SIGTERM, app_on_signal);
	if (app_eal_init(&args, &no_huge) < 0) {
		fprintf(stderr, "vhostloop: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		if (!no_huge)
			fprintf(stderr, "vhostloop: hint: no hugepages set up? add --no-huge (the "
					"engine needs none), or give no memory options\n");
		vl_rundir_claim(&app_rundir, false);
		app_remove_rundir();
		return EXIT_USAGE;
	}
	vl_rundir_claim(&app_rundir, true);
	if (app_check_qp_lcore_map() != 0) {
		rte_eal_cleanup();
		app_remove_rundir();
		return EXIT_USAGE;
	}
	app_check_macs();

	app_numa_init();
	nb_plan = app_plan(plan, VL_ARRAY_SIZE(plan), &nb_lcores);
	if (nb_plan < 0) {
		APP_LOG(ERR, "cannot place the queue pairs on the lcores: %s", strerror(-nb_plan));
		status = EXIT_RUNTIME;
		goto out_eal;
	}
	if (vl_dev_init() != 0) {
		APP_LOG(ERR, "cannot initialise the vhost-user device table");
		status = EXIT_RUNTIME;
		goto out_eal;
	}
	if (app_cfg.datapath == VL_DATAPATH_MBUF) {
		pool = rte_pktmbuf_pool_create("vl_mbuf", app_cfg.nb_mbufs, 256, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
		if (pool == NULL) {
			APP_LOG(ERR, "cannot create %u mbufs: %s (raise -m, or lower --mbufs)",
				app_cfg.nb_mbufs, rte_strerror(rte_errno));
			status = EXIT_RUNTIME;
			goto out_dev;
		}
	}
	if (app_cfg.steering_audit) {
		app_steer = vl_steer_create();
		if (app_steer == NULL) {
			APP_LOG(ERR, "cannot reserve the steering audit's flow tables");
			status = EXIT_RUNTIME;
			goto out_detach;
		}
		vl_stats_set_steer(app_steer);
	}
	rc = app_attach(plan, (unsigned int)nb_plan, pool);
	if (rc != 0) {
		status = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out_detach;
	}
	if (vl_stats_telemetry_init() != 0)
		APP_LOG(WARNING, "telemetry commands not registered");
	else
		/* The runtime directory is /var/run/dpdk/<file prefix>. */
		APP_LOG(INFO, "telemetry: dpdk-telemetry.py -f %s, then /vhostloop/stats",
			strrchr(rte_eal_get_runtime_dir(), '/') + 1);
	if (app_cfg.stats_file[0] != '\0') {
		clk.snapshots = fopen(app_cfg.stats_file, "a");
		if (clk.snapshots == NULL) {
			APP_LOG(ERR, "cannot open stats file %s: %s", app_cfg.stats_file,
				strerror(errno));
			status = EXIT_RUNTIME;
			goto out_detach;
		}
		app_stats_header(clk.snapshots, argc, argv); /* EAL got copies: argv is as given */
	}
	clk.start_tsc = clk.last_tsc = rte_rdtsc();
	clk.period_tsc = (uint64_t)(app_cfg.stats_interval_s ? app_cfg.stats_interval_s
				    : clk.snapshots != NULL || app_steer != NULL ? 1
										 : 0) *
			 rte_get_tsc_hz();
	if (app_cfg.duration_s != 0)
		clk.stop_tsc = clk.start_tsc + (uint64_t)app_cfg.duration_s * rte_get_tsc_hz();

	app_run(nb_lcores == 1 && app_lcores[rte_get_main_lcore()] != NULL
			? app_lcores[rte_get_main_lcore()]
			: NULL,
		&clk);
	APP_LOG(INFO, "stopping");

	/* The pollers have returned: the counters are final (and freed by detach). A last
	 * snapshot holds them, so a reader of the stats file needs no timing. */
	if (clk.snapshots != NULL)
		app_snapshot(&clk, rte_rdtsc());
	vl_stats_print_table(stdout);
	vl_stats_steer_final(stdout);

out_detach:
	for (unsigned int i = 0; i < app_cfg.nb_ifaces; i++)
		vl_dev_detach(app_devs[i]);
	if (clk.snapshots != NULL)
		fclose(clk.snapshots);
	rte_mempool_free(pool);
	vl_stats_set_steer(NULL);
	vl_steer_destroy(app_steer);
out_dev:
	vl_dev_fini();
out_eal:
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		if (app_lcores[l] != NULL) {
			vl_fwd_lcore_free(app_lcores[l]);
			free(app_lcores[l]);
		}
	rte_eal_cleanup();
	app_remove_rundir();
	return status;
}

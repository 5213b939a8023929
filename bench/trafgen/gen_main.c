/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_main.c - vhostloop-gen: parse -> wait for the socket -> EAL (with our net_virtio_user vdev)
 * -> port up -> check or perf -> exit status (0 pass, 1 fail/cannot connect/timeout, 2 usage).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "gen.h"
#include "vl_rundir.h"

static void
gen_on_signal(int sig)
{
	(void)sig;
	gen_stop_requested = 1;
}

/*
 * In client mode (the default) the engine owns the socket: give it --connect-timeout to appear
 * so the engine and the generator can be started together. virtio-user gives up at once.
 */
static int
gen_wait_socket(const struct gen_config *cfg)
{
	struct stat st;

	for (double waited_s = 0; waited_s <= cfg->connect_timeout_s; waited_s += 0.05) {
		if (stat(cfg->socket_path, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (gen_stop_requested)
			return -EINTR;
		usleep(50 * 1000);
	}
	fprintf(stderr, "vhostloop-gen: cannot connect: no socket at %s after %g s\n",
		cfg->socket_path, cfg->connect_timeout_s);
	return -ETIMEDOUT;
}

/*
 * Bound the connect phase: in server mode virtio-user's probe blocks inside rte_eal_init() until
 * a client connects, with no timeout of its own. Only async-signal-safe calls in here.
 */
static const char *gen_watchdog_socket;
/* Our EAL runtime directory (/var/run/dpdk/<prefix>), removed on every exit path once EAL ran. */
static struct vl_rundir gen_rundir;

static void
gen_on_watchdog(int sig)
{
	static const char msg[] = "FAIL: cannot connect: no backend within --connect-timeout\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell anyone */
	}
	if (gen_watchdog_socket != NULL)
		unlink(gen_watchdog_socket); /* the listening socket virtio-user made */
	/* EAL may not have finished: ours only if it was not there before we started. */
	vl_rundir_claim(&gen_rundir, false);
	vl_rundir_remove(&gen_rundir);
	_exit(GEN_EXIT_FAIL);
}

static void
gen_watchdog_arm(const struct gen_config *cfg)
{
	/* Socket wait, probe and link wait each take at most connect-timeout; allow all three. */
	unsigned int s = (unsigned int)(3 * cfg->connect_timeout_s) + 2;

	gen_watchdog_socket = cfg->server ? cfg->socket_path : NULL;
	signal(SIGALRM, gen_on_watchdog);
	alarm(s);
}

static void
gen_print_eal(const struct gen_eal_args *ea)
{
	printf("EAL:");
	for (int i = 1; i < ea->argc; i++)
		printf(" %s", ea->argv[i]);
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct gen_config cfg;
	static struct gen_eal_args ea;
	struct gen_port port = {0};
	char *app_argv[GEN_EAL_MAX_ARGS + 1];
	int sep = gen_opts_find_separator(argc, argv);
	int eal_argc = sep > 1 ? sep : 0; /* "prog -- ..." gets the default EAL arguments */
	int app_argc = 0, ret;
	bool user_vdev = gen_opts_has_virtio_user_vdev(eal_argc, argv);

	/* Everything before "--" is the EAL's; after it (or everything, without it) is ours. */
	app_argv[app_argc++] = argv[0];
	for (int i = sep >= 0 ? sep + 1 : 1; i < argc && app_argc < GEN_EAL_MAX_ARGS; i++)
		app_argv[app_argc++] = argv[i];
	app_argv[app_argc] = NULL;
	ret = gen_opts_parse(&cfg, app_argc, app_argv, user_vdev);
	if (ret == 1)
		return GEN_EXIT_PASS;
	if (ret != 0) {
		fprintf(stderr, "Try '%s --help'.\n", argv[0]);
		return GEN_EXIT_USAGE;
	}

	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);
	/* A backend that closes the socket (or refuses us) must give a FAIL line, not a silent
	 * death by SIGPIPE inside virtio-user's sendmsg. */
	signal(SIGPIPE, SIG_IGN);
	if (!cfg.server && !user_vdev && gen_wait_socket(&cfg) != 0)
		return GEN_EXIT_FAIL;

	if (gen_eal_args_build(&ea, &cfg, eal_argc, argv, argv[0], (int)getpid()) != 0) {
		fprintf(stderr, "vhostloop-gen: too many EAL arguments\n");
		return GEN_EXIT_USAGE;
	}
	if (!cfg.quiet)
		gen_print_eal(&ea);
	vl_rundir_expect(&gen_rundir, gen_eal_file_prefix(ea.argc, ea.argv));
	gen_watchdog_arm(&cfg);
	if (rte_eal_init(ea.argc, ea.argv) < 0) {
		ret = rte_errno == EINVAL ? GEN_EXIT_USAGE : GEN_EXIT_FAIL;
		alarm(0);
		fprintf(stderr, "vhostloop-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		vl_rundir_claim(&gen_rundir, false);
		vl_rundir_remove(&gen_rundir);
		return ret;
	}
	vl_rundir_claim(&gen_rundir, true);
	/* rte_eal_init installs no handlers, but be sure ours are the ones in place. */
	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);

	ret = GEN_EXIT_FAIL;
	if (gen_port_open(&port, &cfg) != 0 || gen_port_wait_link(&port, &cfg) != 0) {
		printf("FAIL: cannot connect to %s\n",
		       cfg.socket_path != NULL ? cfg.socket_path : "the vdev's socket");
		goto out;
	}
	alarm(0);
	if (!cfg.quiet)
		printf("link up: %u queue pair(s), mrg_rxbuf %d, in_order %d, packed %d, ring %u\n",
		       cfg.nb_qp, cfg.mrg_rxbuf, cfg.in_order, cfg.packed, cfg.ring_size);
	fflush(stdout);
	ret = cfg.mode == GEN_MODE_CHECK ? gen_check_run(&cfg, &port) : gen_perf_run(&cfg, &port);
out:
	alarm(0);
	fflush(stdout);
	gen_port_close(&port);
	rte_eal_cleanup();
	vl_rundir_remove(&gen_rundir); /* whatever the prefix: a primary's directory is its own */
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_fwd.h - the per-lcore poll loop: for each queue pair the lcore owns, guest TX vring 2i+1 ->
 * guest RX vring 2i, with the direct (one copy) or the mbuf (librte_vhost burst) datapath.
 * The lcore alone writes the queue pairs' ring state and counters; it reports an RCU quiescent
 * state once per pass so that the control plane (lib/dev) can stop a queue pair and wait.
 */
#ifndef VL_FWD_H
#define VL_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "vl_dev.h"
#include "vl_vring.h"

/* The queue pairs one lcore polls. Immutable once published: a change publishes a new list. */
struct vl_fwd_qp_list {
	unsigned int nb_qps;
	struct vl_qp *qps[];
};

/*
 * What one polling lcore does. Filled by the app before launch; afterwards only `list` changes,
 * through vl_fwd_move. The poller loads `list` once per pass (acquire) and reports its RCU
 * quiescent state at the end of the pass, so a grace period after publishing a new list
 * guarantees that no pass still walks the old one.
 */
struct vl_fwd_lcore {
	unsigned int lcore;
	struct vl_fwd_qp_list *list;  /* never NULL once added to */
	uint16_t burst;		      /* frames per poll */
	uint32_t irq_coalesce_frames; /* 0 = decide every burst */
	uint64_t irq_coalesce_cycles; /* 0 = no time bound */
	/* Idle sleep (--idle-sleep-us; vl_fwd_lcore_sleep_init). 0 = always poll. */
	uint64_t idle_sleep_cycles;
	int sleep_timeout_ms; /* epoll_wait bound: -1 (workers) or the main lcore's housekeeping */
	int wake_fd;	      /* eventfd vl_fwd_wake writes, -1 without idle sleep */
	uint64_t last_busy_tsc; /* last pass that moved a frame (or the last sleep) */
	/* The poll clock (fwd_pass): since when the running idle interval runs, 0 = restart. */
	uint64_t idle_tsc;
	bool slept; /* the last vl_fwd_poll_once slept */
	/* Steering audit: the direct datapath's scratch for the frames of one burst (its ctx is
	 * set to the pair polled). Used only for pairs with a steer table. */
	struct vl_vring_observer steer_obs;
};

/* Before launch: append qp to fl's list (no poller runs yet, so no grace period). 0 or -ENOMEM. */
int vl_fwd_lcore_add(struct vl_fwd_lcore *fl, struct vl_qp *qp);

/*
 * Hand qp from lcore `from` to lcore `to` while the pollers run. The caller has stopped qp
 * (run == 0, after a grace period) and restarts it only after this returns: the new lists are
 * published, one grace period passes (the old owner's passes over its old list are over, the new
 * owner's next pass sees qp), then the old lists are freed and qp->lcore is set. So qp never has
 * two pollers and, since it is stopped across the change, loses no frame (the rings keep them).
 * Serialised internally; must not be called from a polling lcore. 0 or -ENOMEM (nothing changed).
 */
int vl_fwd_move(struct vl_qp *qp, struct vl_fwd_lcore *from, struct vl_fwd_lcore *to);

/* Number of queue pairs fl polls now. */
unsigned int vl_fwd_lcore_nb_qps(const struct vl_fwd_lcore *fl);
/* Free fl's list (after the pollers returned). */
void vl_fwd_lcore_free(struct vl_fwd_lcore *fl);

/* Worker entry point for rte_eal_remote_launch(vl_fwd_lcore_main, fl, fl->lcore). */
int vl_fwd_lcore_main(void *fl);

/* One pass over fl's queue pairs plus the quiescent report; returns frames moved. For a main
 * lcore that polls itself between housekeeping (register it with vl_fwd_lcore_online first). */
unsigned int vl_fwd_poll_once(struct vl_fwd_lcore *fl);
/* Registers with RCU and restarts the poll clock. */
void vl_fwd_lcore_online(struct vl_fwd_lcore *fl);
/*
 * fl did something other than polling since its last pass (the main lcore's housekeeping): the
 * next poll starts its own clock instead of counting that time as its busy or idle cycles.
 */
void vl_fwd_lcore_clock_restart(struct vl_fwd_lcore *fl);
void vl_fwd_lcore_offline(const struct vl_fwd_lcore *fl);

/*
 * Idle sleep: once every queue pair fl polls has been idle for idle_sleep_us, fl enables guest
 * kicks on their TX vrings, looks at the rings once more, and sleeps in epoll on the pairs' kick
 * fds (lib/dev hands them over) and its own wake eventfd, offline for RCU; on waking it
 * suppresses kicks again and polls. timeout_ms bounds one sleep (-1: none). Before launch.
 * 0 or -errno (no eventfd). Only the direct and sink datapaths sleep: an lcore polling a running
 * mbuf pair keeps polling (librte_vhost's kick switch takes the vring lock).
 */
int vl_fwd_lcore_sleep_init(struct vl_fwd_lcore *fl, uint32_t idle_sleep_us, int timeout_ms);

/* Wake lcore's poller if it sleeps (any thread; a no-op without idle sleep). Async-signal-safe. */
void vl_fwd_wake(unsigned int lcore);

/* Ask every polling lcore to return. Async-signal-safe. */
void vl_fwd_quit(void);
bool vl_fwd_quitting(void);

#endif /* VL_FWD_H */

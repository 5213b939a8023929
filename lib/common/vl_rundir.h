/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_rundir.h - the EAL runtime directory of a DPDK process (/var/run/dpdk/<file prefix> as root),
 * and removing it at exit when it is ours. Shared by the engine and vhostloop-gen: DPDK 22.11's
 * rte_eal_cleanup() closes the files in it but leaves the directory (about 1 MB on tmpfs) behind.
 *
 *   vl_rundir_expect(&rd, prefix)   before rte_eal_init: where EAL will put it, was it there?
 *   vl_rundir_claim(&rd, started)   after rte_eal_init (true) or after it failed (false)
 *   vl_rundir_remove(&rd)           at exit (after rte_eal_cleanup), on every path
 */
#ifndef VL_RUNDIR_H
#define VL_RUNDIR_H

#include <limits.h>
#include <stdbool.h>

struct vl_rundir {
	char expected[PATH_MAX]; /* eal_create_runtime_dir's rule applied to the prefix */
	bool preexisted;	 /* the directory was there before EAL started */
	bool ours;		 /* claimed: removed by vl_rundir_remove */
	char path[PATH_MAX];	 /* what is removed */
};

/* Where EAL puts the runtime directory of prefix: /var/run/dpdk/<prefix> as root, else
 * $XDG_RUNTIME_DIR/dpdk/<prefix> (/tmp/dpdk/<prefix> without it). */
void vl_rundir_path(const char *prefix, char *buf, unsigned int len);

/* Before rte_eal_init: remember the expected directory of prefix and whether it exists. */
void vl_rundir_expect(struct vl_rundir *rd, const char *prefix);

/*
 * Which directory is ours to remove: the one of a primary process that started (no other process
 * can hold its prefix while we do), or, when EAL failed (or has not finished: a watchdog), the
 * expected one if it was absent before we started. Never one another process may be using.
 */
void vl_rundir_claim(struct vl_rundir *rd, bool eal_started);

/*
 * Empties and removes the claimed directory (one level: EAL's runtime directory holds files and
 * sockets only). Async-signal-safe (open/getdents64/unlinkat/rmdir): a watchdog handler may call
 * it before _exit. 0, or -errno of the rmdir; nothing claimed is 0.
 */
int vl_rundir_remove(struct vl_rundir *rd);

#endif /* VL_RUNDIR_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#include "vl_rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_eal.h>

void
vl_rundir_path(const char *prefix, char *buf, unsigned int len)
{
	const char *base = "/var/run";

	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	snprintf(buf, len, "%s/dpdk/%s", base, prefix);
}

void
vl_rundir_expect(struct vl_rundir *rd, const char *prefix)
{
	struct stat st;

	memset(rd, 0, sizeof(*rd));
	vl_rundir_path(prefix, rd->expected, sizeof(rd->expected));
	rd->preexisted = stat(rd->expected, &st) == 0;
}

void
vl_rundir_claim(struct vl_rundir *rd, bool eal_started)
{
	const char *dir = eal_started ? rte_eal_get_runtime_dir() : rd->expected;

	if (dir == NULL || dir[0] == '\0')
		return;
	if (eal_started ? rte_eal_process_type() == RTE_PROC_PRIMARY : !rd->preexisted) {
		snprintf(rd->path, sizeof(rd->path), "%s", dir);
		rd->ours = true;
	}
}

/* struct linux_dirent64, as getdents64(2) fills it (glibc has no wrapper before 2.30). */
struct rundir_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

int
vl_rundir_remove(struct vl_rundir *rd)
{
	char buf[4096] __attribute__((aligned(8)));
	int dfd, err = 0;
	long n;

	if (!rd->ours)
		return 0;
	rd->ours = false; /* once, even when called from a handler and again from main */
	dfd = open(rd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Unlink what each read returns; a second pass from the start if rmdir finds it not empty
	 * (a directory read while entries go may skip some on other filesystems than tmpfs). */
	for (int pass = 0; pass < 3; pass++) {
		lseek(dfd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
			for (long off = 0; off < n;) {
				struct rundir_dirent *e =
					(struct rundir_dirent *)(void *)(buf + off);

				if (strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0)
					unlinkat(dfd, e->name, 0);
				off += e->reclen;
			}
		err = rmdir(rd->path) == 0 || errno == ENOENT ? 0 : -errno;
		if (err != -ENOTEMPTY)
			break;
	}
	close(dfd);
	return err;
}

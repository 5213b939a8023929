/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_dev.c - vhost-user sockets, librte_vhost callbacks and the queue-pair state machine.
 *
 * Everything here is control plane. The rules (docs/CONTROL-PLANE.md says why):
 * - vring_state_changed and the pre/post message handlers run with every vring lock held: no
 *   locking librte_vhost call there (only get/set_vring_base, get_vhost_vring, get_mem_table).
 * - The mbuf datapath takes the vring locks inside its burst calls, so with it we wait for the
 *   pollers only where no lock is held (destroy_device), as testpmd's net_vhost does.
 * - The direct datapath takes no library lock, so it is stopped (and waited for) before every
 *   message that can move rings, memory, the log or the call fds, and restarted after it.
 * - destroy_device returns only once no lcore touches the rings, with our indices pushed back.
 */
#define _GNU_SOURCE /* cpu_set_t, for rte_lcore_cpuset */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <numa.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_vhost.h>

#include "vl_compiler.h"
#include "vl_dev.h"
#include "vl_log.h"
#include "vl_placement.h"
#include "vl_vhost_msg.h"

#define DEV_LOG(level, dev, fmt, ...) VL_LOG_MOD(dev, level, "%s: " fmt, (dev)->name, ##__VA_ARGS__)

/* The head of librte_vhost's message (VhostUserMsg, packed), as far as we read or write it. */
struct dev_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t index;
			uint32_t num;
		} state;
		struct { /* SET_MEM_TABLE (VhostUserMemory) */
			uint32_t nregions;
			uint32_t padding;
			struct dev_msg_region {
				uint64_t guest_phys_addr;
				uint64_t memory_size;
				uint64_t userspace_addr;
				uint64_t mmap_offset;
			} regions[8]; /* VHOST_MEMORY_MAX_NREGIONS */
		} memory;
		struct { /* SET_LOG_BASE (VhostUserLog) */
			uint64_t mmap_size;
			uint64_t mmap_offset;
		} log;
	} payload;
} __attribute__((packed));

/*
 * What the pre/post handlers receive: librte_vhost's message context (struct vhu_msg_context in
 * its vhost_user.h, a layout it keeps stable for external handlers): the whole message (644
 * bytes in 22.11), then the fds that came with it. A message the library does not handle itself
 * (our REPLY or ERR) keeps its fds open unless we close them: dev_msg_close_fds.
 */
#define DEV_MSG_BYTES 644
#define DEV_MSG_MAX_FDS 8
struct dev_msg_ctx {
	union {
		struct dev_msg msg;
		uint8_t raw[DEV_MSG_BYTES];
	};
	int fds[DEV_MSG_MAX_FDS];
	int fd_num;
} __attribute__((packed));

static void
dev_msg_close_fds(struct dev_msg_ctx *ctx)
{
	int n = ctx->fd_num;

	for (int i = 0; i < n && i < DEV_MSG_MAX_FDS; i++) {
		int fd = ctx->fds[i];

		if (fd >= 0)
			close(fd);
		ctx->fds[i] = -1;
	}
	ctx->fd_num = 0;
}

/* Logs one connection may give the mbuf datapath before it stops marking rings (QEMU sends one
 * per migration, or a few when guest memory grows during it). */
#define DEV_LOG_MAPS_MAX 8

struct vl_dev {
	char name[VL_IFACE_NAME_MAX];
	char path[VL_SOCKET_PATH_MAX];
	enum vl_sock_mode mode;
	enum vl_datapath datapath;
	bool registered;
	bool idle_sleep; /* --idle-sleep-us: hand the TX kick fds to the pollers */

	/* Control state, under lock (callbacks come from vhost-events, the reconnect thread, and
	 * the main thread via unregister). */
	pthread_mutex_t lock;
	int vid;	  /* -1: no connection */
	bool running;	  /* between new_device and destroy_device */
	bool paused;	  /* direct: stopped around a ring/memory message */
	bool mem_pending; /* a SET_MEM_TABLE has not completed: the library's table may be gone */
	uint64_t mem_refused; /* memory tables refused: a region beyond the end of its file */
	uint64_t features;
	struct vl_vring_opts opts;
	/* Dirty-page log (direct datapath), re-read at every (re)start of the queue pairs. */
	bool log_all;	   /* VHOST_F_LOG_ALL negotiated now */
	uint8_t *log_base; /* the frontend's log as librte_vhost mapped it, NULL: none */
	uint64_t log_size;
	struct vl_mem *mem; /* direct: snapshot the running queue pairs point to */
	/* mbuf datapath: the engine's own mappings of the frontend's logs (SET_LOG_BASE), newest
	 * last, for struct vl_qp_ring_log. librte_vhost unmaps its mapping when the next log
	 * comes, under locks its mbuf burst calls also take; ours outlive any poller that may
	 * still read them: unmapped only when the connection ends. */
	struct dev_log_map {
		uint8_t *map;
		size_t len;
		uint8_t *bitmap; /* map + mmap_offset */
		uint64_t size;
	} log_maps[DEV_LOG_MAPS_MAX];
	unsigned int nb_log_maps;
	bool log_map_current; /* the newest SET_LOG_BASE is log_maps[nb_log_maps - 1] */
	struct vl_qp_ring_log *ring_logs_retired; /* unpublished, freed after a grace period */

	uint16_t nb_qps;
	struct vl_qp **qps; /* [nb_qps], each on its first owner's node */
};

struct rte_rcu_qsbr *vl_dev_qsv;

/* TEST ONLY (VHOSTLOOP_TEST_BREAK_DIRTY_LOG=1, read once by vl_dev_init): LOG_ALL is offered but
 * nothing is marked, so that the migration test can show it catches a broken log. */
static bool dev_test_break_dirty_log;
static vl_dev_wake_fn dev_wake_fn;

void
vl_dev_set_wake_hook(vl_dev_wake_fn fn)
{
	dev_wake_fn = fn;
}

static inline void
dev_wake(const struct vl_qp *qp)
{
	if (dev_wake_fn != NULL)
		dev_wake_fn(qp->lcore);
}

/* Hand the owner a new kick fd (a dup we own, or -1); an unclaimed previous one is closed. */
static void
dev_qp_hand_kick(struct vl_qp *qp, int fd)
{
	int old = __atomic_exchange_n(&qp->kick_next, fd, __ATOMIC_ACQ_REL);

	if (old >= 0)
		close(old);
}

/* Direct and sink datapaths process the guest rings themselves, outside librte_vhost's locks. */
static inline bool
dev_own_rings(const struct vl_dev *dev)
{
	return dev->datapath != VL_DATAPATH_MBUF;
}

/*
 * Callbacks get a vid; connections map it to their device. dev_by_vid: written by vhost-events in
 * new/destroy_connection under the device lock (release), read by callbacks (acquire). dev_list:
 * written only by the main thread in attach/detach while no connection can reach the device,
 * read by vhost-events. docs/CONTROL-PLANE.md.
 */
static struct vl_dev *dev_by_vid[RTE_MAX_VHOST_DEVICE];
static struct vl_dev *dev_list[VL_MAX_IFACES];
static unsigned int dev_nb;

static struct vl_dev *
dev_from_vid(int vid)
{
	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return NULL;
	return __atomic_load_n(&dev_by_vid[vid], __ATOMIC_ACQUIRE);
}

int
vl_dev_lcore_cpu(unsigned int lcore)
{
	rte_cpuset_t set;

	if (lcore >= RTE_MAX_LCORE)
		return -1;
	set = rte_lcore_cpuset(lcore);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return -1;
}

int
vl_dev_init(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	const char *brk = getenv("VHOSTLOOP_TEST_BREAK_DIRTY_LOG");

	dev_test_break_dirty_log = brk != NULL && strcmp(brk, "1") == 0;
	if (dev_test_break_dirty_log)
		VL_LOG_MOD(
			dev, WARNING,
			"TEST ONLY: VHOSTLOOP_TEST_BREAK_DIRTY_LOG=1, dirty pages are not logged "
			"(a live migration will corrupt the guest)");

	vl_dev_qsv = rte_zmalloc("vl_qsv", sz, RTE_CACHE_LINE_SIZE);
	if (vl_dev_qsv == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(vl_dev_qsv, RTE_MAX_LCORE) != 0) {
		rte_free(vl_dev_qsv);
		vl_dev_qsv = NULL;
		return -EINVAL;
	}
	return 0;
}

void
vl_dev_fini(void)
{
	rte_free(vl_dev_qsv);
	vl_dev_qsv = NULL;
}

/* ---- queue-pair hand-off -------------------------------------------------------------------- */

/*
 * Push the owner's ring indices back to librte_vhost: GET_VRING_BASE replies with them. Packed
 * rings carry each wrap counter in bit 15, the encoding librte_vhost 22.11 uses in
 * rte_vhost_get/set_vring_base and in its GET_VRING_BASE reply (avail index | wrap << 15).
 */
static void
dev_qp_push_indices(struct vl_dev *dev, struct vl_qp *qp)
{
	uint16_t avail_base, used_base;

	if (!dev_own_rings(dev) || dev->vid < 0)
		return;
	vl_vring_base(&qp->rx, &avail_base, &used_base);
	rte_vhost_set_vring_base(dev->vid, VL_RXQ(qp->idx), avail_base, used_base);
	vl_vring_base(&qp->tx, &avail_base, &used_base);
	rte_vhost_set_vring_base(dev->vid, VL_TXQ(qp->idx), avail_base, used_base);
}

/* Dirty-log writes that fell outside the log since the last report (the owner has stopped). */
static void
dev_qp_log_faults_say(struct vl_dev *dev, struct vl_qp *qp)
{
	uint64_t n = qp->stats.dirty_log_faults;

	if (n == qp->log_faults_said)
		return;
	DEV_LOG(ERR, dev,
		"qp %u: %" PRIu64 " dirty-log write(s) beyond the frontend's log (%" PRIu64
		" bytes): not marked",
		qp->idx, n - qp->log_faults_said, dev->log_size);
	qp->log_faults_said = n;
}

/* A stopped pair's lazy interrupt decisions may still owe the guest their fenced look. */
static void
dev_qp_settle_calls(struct vl_qp *qp)
{
	vl_qp_call_settle(qp, &qp->rx, &qp->irq_rx);
	vl_qp_call_settle(qp, &qp->tx, &qp->irq_tx);
}

/*
 * Stop the queue pairs [first, first + n). With wait, returns only after every polling lcore
 * has passed a quiescent state, i.e. none is inside a poll of these queue pairs any more.
 */
static void
dev_qps_stop(struct vl_dev *dev, uint16_t first, uint16_t n, bool wait)
{
	bool stopped[VL_VHOST_MAX_QUEUE_PAIRS] = {false};
	bool any = false;

	for (uint16_t q = first; q < first + n; q++) {
		struct vl_qp *qp = dev->qps[q];

		if (__atomic_load_n(&qp->run, __ATOMIC_RELAXED)) {
			__atomic_store_n(&qp->run, 0, __ATOMIC_RELEASE);
			stopped[q] = any = true;
			/* A sleeping owner is offline (it does not hold up the grace period), but
			 * it re-plans its sleep without this pair. */
			dev_wake(qp);
		}
		if (qp->state == VL_QP_RUNNING)
			qp->state = VL_QP_IDLE;
	}
	if (!any || !wait)
		return;
	rte_rcu_qsbr_synchronize(vl_dev_qsv, RTE_QSBR_THRID_INVALID);
	/* Only the pairs that ran in this session have indices worth pushing. */
	for (uint16_t q = first; q < first + n; q++)
		if (stopped[q]) {
			dev_qp_settle_calls(dev->qps[q]);
			dev_qp_push_indices(dev, dev->qps[q]);
			dev_qp_log_faults_say(dev, dev->qps[q]);
		}
}

/*
 * Dirty-page log of one vring (direct datapath), after vl_vring_init / vl_vring_packed_init:
 * attached while the frontend has VHOST_F_LOG_ALL on and a log mapped. Ring writes are marked when
 * the vring's LOG flag is set, at the used ring's log_guest_addr (split) or at the descriptor
 * ring's guest address (packed: the device writes its used descriptors there; the frontend's
 * log_guest_addr names its device event area).
 */
static void
dev_vring_log_attach(struct vl_dev *dev, struct vl_qp *qp, uint16_t vring, struct vl_vring *vq,
		     const struct rte_vhost_vring *vr)
{
	struct vl_vring_log *log = (vring & 1) ? &qp->log_tx : &qp->log_rx;
	uint64_t ring_gpa = 0;
	bool log_ring = qp->vring_log[vring & 1];

	vq->log = NULL;
	if (!dev->log_all || dev->log_base == NULL || dev->log_size == 0 ||
	    dev->datapath != VL_DATAPATH_DIRECT || dev_test_break_dirty_log)
		return;
	if (vq->packed)
		log_ring = log_ring && dev->mem != NULL &&
			   vl_mem_hva_to_gpa(dev->mem, vr->desc_packed, &ring_gpa) == 1;
	else
		log_ring = log_ring && vr->log_guest_addr != 0;
	if (!vq->packed)
		ring_gpa = vr->log_guest_addr;
	*log = (struct vl_vring_log){
		.bitmap = dev->log_base,
		.bitmap_bytes = dev->log_size,
		.ring_gpa = ring_gpa,
		.log_ring = log_ring,
		.nb_pages = &qp->stats.dirty_pages,
		.nb_faults = &qp->stats.dirty_log_faults,
	};
	vq->log = log;
}

/* Mark what vl_vring_*suppress_kicks wrote in guest memory (host addresses; len 0: none). The
 * pair is stopped: its counters are ours for now. */
static void
dev_vring_log_kick_fields(const struct vl_dev *dev, struct vl_vring *vq, const void *a,
			  uint64_t a_len, const void *b, uint64_t b_len)
{
	uint64_t gpa;

	if (vq->log == NULL || dev->mem == NULL)
		return;
	if (a_len != 0 && vl_mem_hva_to_gpa(dev->mem, a, &gpa) == 1)
		vl_vring_log_write(vq->log, gpa, a_len);
	if (b_len != 0 && vl_mem_hva_to_gpa(dev->mem, b, &gpa) == 1)
		vl_vring_log_write(vq->log, gpa, b_len);
}

/* Attach the direct datapath's view of one vring; -EINVAL if the guest's ring is unusable. */
static int
dev_vring_snapshot(struct vl_dev *dev, struct vl_qp *qp, uint16_t vring, struct vl_vring *vq,
		   struct vl_qp_irq *irq, int *kickfd)
{
	struct rte_vhost_vring vr;
	uint16_t last_avail_idx, last_used_idx;

	if (rte_vhost_get_vhost_vring(dev->vid, vring, &vr) != 0 ||
	    rte_vhost_get_vring_base(dev->vid, vring, &last_avail_idx, &last_used_idx) != 0)
		return -EINVAL;
	if (dev->features & (1ULL << VIRTIO_F_RING_PACKED)) {
		/* The base values carry the wrap counters in bit 15 (see dev_qp_push_indices). */
		if (vl_vring_packed_init(vq, (struct vl_vring_packed_desc *)vr.desc_packed,
					 (struct vl_vring_packed_event *)vr.driver_event,
					 (struct vl_vring_packed_event *)vr.device_event, vr.size,
					 last_avail_idx, last_used_idx) != 0) {
			DEV_LOG(ERR, dev,
				"qp %u: packed vring %u unusable (size %u, base 0x%x/0x%x, rings "
				"%s)",
				qp->idx, vring, vr.size, last_avail_idx, last_used_idx,
				vr.desc_packed && vr.driver_event && vr.device_event
					? "mapped"
					: "not mapped");
			return -EINVAL;
		}
		dev_vring_log_attach(dev, qp, vring, vq, &vr);
		vl_vring_packed_suppress_kicks(vq, &dev->opts);
		dev_vring_log_kick_fields(dev, vq, vq->device_event, sizeof(*vq->device_event),
					  NULL, 0);
		*irq = (struct vl_qp_irq){.callfd = vr.callfd};
		*kickfd = vr.kickfd;
		return 0;
	}
	if (vl_vring_init(vq, (struct vl_vring_desc *)vr.desc, (struct vl_vring_avail *)vr.avail,
			  (struct vl_vring_used *)vr.used, vr.size, last_avail_idx,
			  last_used_idx) != 0) {
		DEV_LOG(ERR, dev, "qp %u: vring %u unusable (size %u, rings %s)", qp->idx, vring,
			vr.size, vr.desc && vr.avail && vr.used ? "mapped" : "not mapped");
		return -EINVAL;
	}
	dev_vring_log_attach(dev, qp, vring, vq, &vr);
	vl_vring_suppress_kicks(vq, &dev->opts);
	/* used->flags and avail_event (after the ring, with EVENT_IDX) */
	dev_vring_log_kick_fields(dev, vq, &vq->used->flags, sizeof(vq->used->flags),
				  &vq->used->ring[vq->size], dev->opts.event_idx ? 2 : 0);
	*irq = (struct vl_qp_irq){.callfd = vr.callfd};
	*kickfd = vr.kickfd;
	return 0;
}

/* Start qp if the guest has it ready: device running and both vrings enabled. Idempotent. */
static void
dev_qp_try_start(struct vl_dev *dev, struct vl_qp *qp)
{
	if (!dev->running || dev->paused || !qp->vring_enabled[0] || !qp->vring_enabled[1] ||
	    __atomic_load_n(&qp->run, __ATOMIC_RELAXED))
		return;
	qp->vid = dev->vid;
	if (dev_own_rings(dev)) {
		int rx_kick, tx_kick = -1;

		if (dev->mem == NULL ||
		    dev_vring_snapshot(dev, qp, VL_RXQ(qp->idx), &qp->rx, &qp->irq_rx, &rx_kick) !=
			    0 ||
		    dev_vring_snapshot(dev, qp, VL_TXQ(qp->idx), &qp->tx, &qp->irq_tx, &tx_kick) !=
			    0) {
			qp->state = VL_QP_FAILED;
			return;
		}
		qp->opts = dev->opts;
		qp->mem = dev->mem;
		/* The library's fd is valid here (it closes it only in messages that stop us
		 * first, or on disconnect); our dup outlives it. No fd (a polling frontend) or
		 * no dup: -1, and the owner keeps polling while this pair runs. */
		if (dev->idle_sleep)
			dev_qp_hand_kick(qp,
					 tx_kick >= 0 ? fcntl(tx_kick, F_DUPFD_CLOEXEC, 0) : -1);
	}
	qp->state = VL_QP_RUNNING;
	DEV_LOG(DEBUG, dev, "qp %u: running on lcore %u", qp->idx, qp->lcore);
	/* Pairs with the owner's acquire load of run: every field above is visible first. */
	__atomic_store_n(&qp->run, 1, __ATOMIC_RELEASE);
	dev_wake(qp); /* a sleeping owner does not poll this pair until it wakes */
}

static void
dev_qps_try_start(struct vl_dev *dev)
{
	for (uint16_t q = 0; q < dev->nb_qps; q++)
		dev_qp_try_start(dev, dev->qps[q]);
}

/* librte_vhost's memory table as the rings see it (lock-free: allowed in locked callbacks). */
static int
dev_mem_read(struct vl_dev *dev, struct vl_mem *mem)
{
	struct rte_vhost_memory *m = NULL;

	if (rte_vhost_get_mem_table(dev->vid, &m) != 0 || m == NULL) {
		DEV_LOG(ERR, dev, "cannot read the guest memory table");
		return -EIO;
	}
	if (m->nregions > VL_MEM_MAX_REGIONS) {
		DEV_LOG(ERR, dev, "guest memory has %u regions, at most %u are supported",
			m->nregions, VL_MEM_MAX_REGIONS);
		free(m);
		return -E2BIG;
	}
	mem->nb_regions = m->nregions;
	for (uint32_t i = 0; i < m->nregions; i++)
		mem->regions[i] = (struct vl_mem_region){
			.guest_phys_addr = m->regions[i].guest_phys_addr,
			.size = m->regions[i].size,
			.host_user_addr = m->regions[i].host_user_addr,
		};
	free(m);
	return 0;
}

/* Direct datapath: copy librte_vhost's memory table. Only while no queue pair runs. */
static int
dev_mem_snapshot(struct vl_dev *dev)
{
	struct vl_mem *mem;
	int ret;

	free(dev->mem);
	dev->mem = NULL;
	mem = calloc(1, sizeof(*mem));
	if (mem == NULL)
		return -ENOMEM;
	ret = dev_mem_read(dev, mem);
	if (ret != 0) {
		free(mem);
		return ret;
	}
	dev->mem = mem;
	return 0;
}

/*
 * Dirty-page log state after a (re)start: VHOST_F_LOG_ALL as negotiated now (SET_FEATURES turns
 * it on and off while the guest runs) and the log librte_vhost mapped (SET_LOG_BASE). Both
 * messages pause the queue pairs, so this runs before they resume. Lock-free library calls only.
 */
static void
dev_log_snapshot(struct vl_dev *dev)
{
	uint64_t f = 0, base = 0, size = 0, was_size = dev->log_size;
	bool was_on = dev->log_all;

	if (rte_vhost_get_negotiated_features(dev->vid, &f) != 0)
		f = 0;
	dev->log_all = (f & (1ULL << VHOST_F_LOG_ALL)) != 0;
	if (rte_vhost_get_log_base(dev->vid, &base, &size) != 0)
		base = size = 0;
	dev->log_base = (uint8_t *)(uintptr_t)base;
	dev->log_size = base != 0 ? size : 0;
	if (dev->log_all != was_on || (dev->log_all && dev->log_size != was_size))
		DEV_LOG(INFO, dev, "dirty-page logging %s (log %" PRIu64 " bytes%s)",
			dev->log_all ? "on" : "off", dev->log_size,
			dev->log_all && dev_test_break_dirty_log ? ", TEST ONLY: not marked" : "");
}

/* ---- NUMA probe and plan --------------------------------------------------------------------- */

#define DEV_PROBE_BUFS 16 /* recently posted buffers sampled per vring */

static vl_dev_plan_fn dev_plan_fn;
static void *dev_plan_ctx;

void
vl_dev_set_plan_hook(vl_dev_plan_fn fn, void *ctx)
{
	dev_plan_fn = fn;
	dev_plan_ctx = ctx;
}

/*
 * Host addresses of up to DEV_PROBE_BUFS buffers the guest posted last on a split vring: the
 * heads behind avail->idx, their first descriptor's address translated through the memory table.
 * Guest memory is hostile: every index is bounded and every address translated, nothing else is
 * read; the values may be in flux (we only sample).
 */
static unsigned int
dev_vring_sample_bufs(const struct rte_vhost_vring *vr, struct rte_vhost_memory *mem,
		      const void **out)
{
	const volatile struct vring_desc *desc = (const volatile struct vring_desc *)vr->desc;
	const volatile struct vring_avail *avail = (const volatile struct vring_avail *)vr->avail;
	unsigned int n = 0;
	uint16_t idx;

	if (desc == NULL || avail == NULL || vr->size == 0 || mem == NULL)
		return 0;
	idx = avail->idx;
	for (unsigned int j = 0; j < DEV_PROBE_BUFS && j < vr->size; j++) {
		uint16_t head = avail->ring[(uint16_t)(idx - 1 - j) % vr->size];
		uint64_t gpa, len = 1, hva;

		if (head >= vr->size || desc[head].len == 0)
			continue;
		gpa = desc[head].addr;
		hva = rte_vhost_va_from_guest_pa(mem, gpa, &len);
		if (hva != 0 && len != 0)
			out[n++] = (const void *)(uintptr_t)hva;
	}
	return n;
}

/*
 * The packed-ring counterpart: up to DEV_PROBE_BUFS buffers from descriptors spread evenly over
 * the ring, whatever their state (the device leaves addr as the driver wrote it, so a used slot
 * still names the guest's buffer). Indirect tables and empty descriptors are skipped. The same
 * rules: every slot bounded, every address translated, the values only sampled.
 */
static unsigned int
dev_vring_sample_bufs_packed(const struct rte_vhost_vring *vr, struct rte_vhost_memory *mem,
			     const void **out)
{
	const volatile struct vring_packed_desc *desc =
		(const volatile struct vring_packed_desc *)vr->desc_packed;
	unsigned int n = 0, nb = RTE_MIN((unsigned int)DEV_PROBE_BUFS, (unsigned int)vr->size);

	if (desc == NULL || vr->size == 0 || mem == NULL)
		return 0;
	for (unsigned int j = 0; j < nb; j++) {
		const volatile struct vring_packed_desc *d = &desc[j * vr->size / nb];
		uint64_t gpa = d->addr, len = 1, hva;

		if (d->len == 0 || (d->flags & VRING_DESC_F_INDIRECT) != 0)
			continue;
		hva = rte_vhost_va_from_guest_pa(mem, gpa, &len);
		if (hva != 0 && len != 0)
			out[n++] = (const void *)(uintptr_t)hva;
	}
	return n;
}

/*
 * Where qp's two vrings and a sample of its buffers live. Dev locked, guest memory mapped (between
 * new_device and destroy_device, no memory/ring message in progress). mem may be NULL (rings only).
 */
static void
dev_qp_probe(struct vl_dev *dev, struct vl_qp *qp, struct rte_vhost_memory *mem)
{
	const void *rings[6] = {NULL}, *bufs[2 * DEV_PROBE_BUFS];
	int ring_nodes[6], buf_nodes[2 * DEV_PROBE_BUFS];
	bool packed = (dev->features & (1ULL << VIRTIO_F_RING_PACKED)) != 0;
	unsigned int nb_bufs = 0, nb_rings = 0;

	for (unsigned int v = 0; v < 2; v++) {
		struct rte_vhost_vring vr;

		if (rte_vhost_get_vhost_vring(dev->vid, v == 0 ? VL_RXQ(qp->idx) : VL_TXQ(qp->idx),
					      &vr) != 0 ||
		    vr.desc == NULL)
			continue;
		rings[3 * v] = vr.desc;
		rings[3 * v + 1] = vr.avail;
		rings[3 * v + 2] = vr.used;
		nb_rings++;
		nb_bufs += packed ? dev_vring_sample_bufs_packed(&vr, mem, bufs + nb_bufs)
				  : dev_vring_sample_bufs(&vr, mem, bufs + nb_bufs);
	}
	vl_placement_mem_nodes(rings, 6, ring_nodes);
	vl_placement_mem_nodes(bufs, nb_bufs, buf_nodes);
	if (vl_placement_numa_available()) {
		qp->numa.ring_node = vl_placement_majority(ring_nodes, 6);
		qp->numa.buffer_node = vl_placement_majority(buf_nodes, nb_bufs);
	} else {
		/* No NUMA: one node, 0, for whatever is there (the app says so once). */
		qp->numa.ring_node = nb_rings > 0 ? 0 : VL_NODE_UNKNOWN;
		qp->numa.buffer_node = nb_bufs > 0 ? 0 : VL_NODE_UNKNOWN;
	}
	qp->numa.cross_node = qp->numa.cpu_node >= 0 && qp->numa.ring_node >= 0 &&
			      qp->numa.cpu_node != qp->numa.ring_node;
}

/* Probe every queue pair of dev (dev locked, guest memory mapped). */
static void
dev_probe(struct vl_dev *dev)
{
	struct rte_vhost_memory *mem = NULL;

	if (rte_vhost_get_mem_table(dev->vid, &mem) != 0)
		mem = NULL;
	for (uint16_t q = 0; q < dev->nb_qps; q++)
		dev_qp_probe(dev, dev->qps[q], mem);
	free(mem);
}

int
vl_dev_numa_refresh(struct vl_dev *dev)
{
	int rc = -EBUSY;

	/* Never wait: the lock holder may be waiting for this very lcore's quiescent state. */
	if (pthread_mutex_trylock(&dev->lock) != 0)
		return -EBUSY;
	/* The mbuf datapath does not stop around memory messages, so we cannot know the table
	 * is stable: it is probed at the guest's start only. */
	if (dev_own_rings(dev) && dev->running && !dev->paused && !dev->mem_pending &&
	    dev->vid >= 0) {
		dev_probe(dev);
		rc = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* ---- librte_vhost callbacks ------------------------------------------------------------------ */

/* ---- dirty-page log of the mbuf datapath on packed rings ---------------------------------- */

/*
 * SET_LOG_BASE, before librte_vhost maps it (both datapaths mark pages through a mapping of
 * it): one regular file that holds mmap_offset + mmap_size bytes. A log that runs past the end of
 * its file would kill the engine with SIGBUS at the first page marked there. 0, or -1 with the
 * reason. What the library refuses itself (fd count, message size) is left to it.
 */
static int
dev_log_base_check(const struct dev_msg_ctx *ctx, char *reason, size_t len)
{
	const struct dev_msg *msg = &ctx->msg;
	uint64_t size = msg->payload.log.mmap_size, off = msg->payload.log.mmap_offset, end;
	struct stat st;

	if (ctx->fd_num != 1 || msg->size != sizeof(msg->payload.log))
		return 0;
	if (fstat(ctx->fds[0], &st) != 0) {
		snprintf(reason, len, "fd %d: %s", ctx->fds[0], strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(reason, len, "fd %d is not a regular file (mode 0%o)", ctx->fds[0],
			 (unsigned int)(st.st_mode & S_IFMT));
		return -1;
	}
	if (size == 0 || __builtin_add_overflow(off, size, &end) || end > (uint64_t)st.st_size) {
		snprintf(reason, len,
			 "0x%" PRIx64 " bytes at offset 0x%" PRIx64
			 " do not fit its file (0x%" PRIx64 " bytes)",
			 size, off, (uint64_t)st.st_size);
		return -1;
	}
	return 0;
}

/* mbuf datapath: map a checked SET_LOG_BASE ourselves (see struct vl_dev). Under dev->lock. */
static void
dev_log_map_add(struct vl_dev *dev, const struct dev_msg_ctx *ctx)
{
	uint64_t size = ctx->msg.payload.log.mmap_size, off = ctx->msg.payload.log.mmap_offset;
	void *map;

	dev->log_map_current = false;
	if (dev->nb_log_maps == DEV_LOG_MAPS_MAX) {
		DEV_LOG(ERR, dev,
			"dirty log number %u of this connection not mapped (at most %u): packed "
			"descriptor rings will not be marked in it",
			dev->nb_log_maps + 1, DEV_LOG_MAPS_MAX);
		return;
	}
	map = mmap(NULL, off + size, PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fds[0], 0);
	if (map == MAP_FAILED) {
		DEV_LOG(ERR, dev,
			"cannot map the dirty log (0x%" PRIx64 " bytes): %s; packed descriptor "
			"rings will not be marked in it",
			size, strerror(errno));
		return;
	}
	dev->log_maps[dev->nb_log_maps++] = (struct dev_log_map){
		.map = map, .len = off + size, .bitmap = (uint8_t *)map + off, .size = size};
	dev->log_map_current = true;
}

/* What qp must mark after its bursts: both descriptor rings in the newest log. NULL if a ring is
 * not there (yet) or outside guest memory. */
static struct vl_qp_ring_log *
dev_ring_log_new(struct vl_dev *dev, struct vl_qp *qp, const struct vl_mem *mem)
{
	const struct dev_log_map *lm = &dev->log_maps[dev->nb_log_maps - 1];
	struct vl_qp_ring_log *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	for (int i = 0; i < 2; i++) {
		struct rte_vhost_vring vr;

		if (rte_vhost_get_vhost_vring(dev->vid, i ? VL_TXQ(qp->idx) : VL_RXQ(qp->idx),
					      &vr) != 0 ||
		    vr.desc_packed == NULL ||
		    vl_mem_hva_to_gpa(mem, vr.desc_packed, &rl->ring_gpa[i]) != 1) {
			free(rl);
			return NULL;
		}
		rl->ring_bytes[i] = (uint64_t)vr.size * sizeof(struct vring_packed_desc);
	}
	rl->log = (struct vl_vring_log){
		.bitmap = lm->bitmap,
		.bitmap_bytes = lm->size,
		.log_ring = true,
		.nb_pages = &qp->stats.dirty_pages,
		.nb_faults = &qp->stats.dirty_log_faults,
	};
	return rl;
}

/* Free the retired ring logs no poller can hold any more (wait: all of them, after one grace
 * period). Under dev->lock; without wait, never blocks. */
static void
dev_ring_logs_reap(struct vl_dev *dev, bool wait)
{
	struct vl_qp_ring_log **pp = &dev->ring_logs_retired;

	if (wait && *pp != NULL)
		rte_rcu_qsbr_synchronize(vl_dev_qsv, RTE_QSBR_THRID_INVALID);
	while (*pp != NULL) {
		struct vl_qp_ring_log *rl = *pp;

		if (wait || rte_rcu_qsbr_check(vl_dev_qsv, rl->retired_token, false) == 1) {
			*pp = rl->retired_next;
			free(rl);
		} else {
			pp = &rl->retired_next;
		}
	}
}

/*
 * mbuf datapath: publish, for every pair, what to mark after its bursts: both descriptor rings
 * while the frontend logs and the rings are packed (see struct vl_qp_ring_log), else nothing.
 * After every message that can change that, and at start. It runs with every vring lock held and
 * the mbuf pollers may be waiting for one: lock-free library calls only, and it never waits.
 */
static void
dev_ring_logs_update(struct vl_dev *dev)
{
	struct vl_mem mem;
	bool on = dev->running && dev->log_all &&
		  (dev->features & (1ULL << VIRTIO_F_RING_PACKED)) && !dev_test_break_dirty_log;
	unsigned int nb = 0;

	if (on && (!dev->log_map_current || dev_mem_read(dev, &mem) != 0))
		on = false;
	for (uint16_t q = 0; q < dev->nb_qps; q++) {
		struct vl_qp *qp = dev->qps[q];
		struct vl_qp_ring_log *rl = on ? dev_ring_log_new(dev, qp, &mem) : NULL;
		struct vl_qp_ring_log *old = qp->ring_log;

		nb += rl != NULL;
		/* Pairs with the owner's acquire load: the struct is complete before it sees it. */
		__atomic_store_n(&qp->ring_log, rl, __ATOMIC_RELEASE);
		if (old != NULL) {
			old->retired_token = rte_rcu_qsbr_start(vl_dev_qsv);
			old->retired_next = dev->ring_logs_retired;
			dev->ring_logs_retired = old;
		}
	}
	dev_ring_logs_reap(dev, false);
	if (nb != 0)
		DEV_LOG(DEBUG, dev,
			"mbuf datapath, packed rings: %u queue pair(s) mark their descriptor rings "
			"in the dirty log",
			nb);
}

/* The connection ended: no poller runs for it any more. */
static void
dev_log_maps_unmap(struct vl_dev *dev)
{
	for (unsigned int i = 0; i < dev->nb_log_maps; i++)
		munmap(dev->log_maps[i].map, dev->log_maps[i].len);
	dev->nb_log_maps = 0;
	dev->log_map_current = false;
}

static int
dev_new_device(int vid)
{
	struct vl_dev *dev = dev_from_vid(vid);
	uint64_t f = 0;

	if (dev == NULL)
		return -1;
	pthread_mutex_lock(&dev->lock);
	rte_vhost_get_negotiated_features(vid, &f);
	dev->features = f;
	dev->opts = (struct vl_vring_opts){
		.hdr_len = (f & (1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_F_VERSION_1)) ? 12
											       : 10,
		.mrg_rxbuf = !!(f & (1ULL << VIRTIO_NET_F_MRG_RXBUF)),
		.event_idx = !!(f & (1ULL << VIRTIO_RING_F_EVENT_IDX)),
		.indirect = !!(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC)),
		.in_order = !!(f & (1ULL << VIRTIO_F_IN_ORDER)),
		.rx_lag_polls = VL_VRING_RX_LAG_POLLS,
	};
	if (dev_own_rings(dev)) {
		dev->mem_pending = false;
		if (dev_mem_snapshot(dev) != 0) {
			pthread_mutex_unlock(&dev->lock);
			return -1;
		}
		dev->log_all = false;
		dev_log_snapshot(dev);
	} else {
		/* Poll mode: the guest need not kick us. Unlocked callback, so allowed here. */
		for (uint16_t v = 0; v < rte_vhost_get_vring_num(vid); v++)
			rte_vhost_enable_guest_notification(vid, v, 0);
	}
	dev->running = true;
	dev->paused = false;
	if (dev->datapath == VL_DATAPATH_MBUF) {
		dev->log_all = false;
		dev_log_snapshot(dev);
		dev_ring_logs_update(dev);
	}
	DEV_LOG(INFO, dev,
		"guest started (vid %d, features 0x%" PRIx64 ", %s rings, %u-byte header%s%s%s%s)",
		vid, f, (f & (1ULL << VIRTIO_F_RING_PACKED)) ? "packed" : "split",
		dev->opts.hdr_len, dev->opts.mrg_rxbuf ? ", mergeable rx" : "",
		dev->opts.event_idx ? ", event idx" : "", dev->opts.indirect ? ", indirect" : "",
		dev->opts.in_order ? ", in order" : "");
	/* The rings' node is known only now: probe, let the app place the (stopped) pairs. */
	dev_probe(dev);
	if (dev_plan_fn != NULL)
		dev_plan_fn(dev, dev_plan_ctx);
	dev_qps_try_start(dev);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static void
dev_destroy_device(int vid)
{
	struct vl_dev *dev = dev_from_vid(vid);

	if (dev == NULL)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->running = false;
	dev_ring_logs_update(dev); /* running false: every pair's is retired */
	/* No vring lock is held here: wait for the pollers with either datapath. A pair the
	 * mbuf datapath stopped without waiting (vring disable) may still be inside a burst call:
	 * one more grace period covers it before librte_vhost frees the vrings. */
	dev_qps_stop(dev, 0, dev->nb_qps, true);
	rte_rcu_qsbr_synchronize(vl_dev_qsv, RTE_QSBR_THRID_INVALID);
	dev_ring_logs_reap(dev, true);
	free(dev->mem);
	dev->mem = NULL;
	for (uint16_t q = 0; q < dev->nb_qps; q++)
		dev->qps[q]->mem = NULL;
	DEV_LOG(INFO, dev, "guest stopped (vid %d)", vid);
	pthread_mutex_unlock(&dev->lock);
}

/*
 * TX descriptors the guest posted on a stopped pair that the owner never took (split: avail
 * entries, packed: available descriptor slots), read from guest memory for a log line only: a
 * hostile guest can make it say anything up to the ring size, nothing else. The pair must be
 * stopped (grace period over) with its rings mapped.
 */
static unsigned int
dev_qp_tx_untaken(const struct vl_qp *qp)
{
	const struct vl_vring *vq = &qp->tx;
	unsigned int n = 0;

	if (vq->size == 0)
		return 0;
	if (!vq->packed) {
		uint16_t avail;

		if (vq->avail == NULL)
			return 0;
		avail = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
		n = (uint16_t)(avail - vq->last_avail_idx);
		return n <= vq->size ? n : vq->size;
	}
	if (vq->pdesc == NULL)
		return 0;
	for (uint16_t slot = vq->last_avail_idx, wrap = vq->avail_wrap; n < vq->size; n++) {
		uint16_t flags = __atomic_load_n(&vq->pdesc[slot].flags, __ATOMIC_ACQUIRE);

		if (!!(flags & VL_VRING_DESC_F_AVAIL) != wrap ||
		    !!(flags & VL_VRING_DESC_F_USED) == wrap)
			break;
		if (++slot == vq->size) {
			slot = 0;
			wrap = !wrap;
		}
	}
	return n;
}

/* Runs with every vring lock held: only lock-free library calls below. */
static int
dev_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct vl_dev *dev = dev_from_vid(vid);
	struct vl_qp *qp;

	if (dev == NULL)
		return -1;
	if (vring / 2 >= dev->nb_qps) {
		DEV_LOG(ERR, dev, "vring %u is beyond our %u queue pairs", vring, dev->nb_qps);
		return -1;
	}
	pthread_mutex_lock(&dev->lock);
	qp = dev->qps[vring / 2];
	qp->vring_enabled[vring & 1] = enable != 0;
	DEV_LOG(DEBUG, dev, "qp %u: vring %u %s", qp->idx, vring, enable ? "enabled" : "disabled");
	if (!enable) {
		bool was_running = __atomic_load_n(&qp->run, __ATOMIC_RELAXED) != 0;
		uint64_t t0 = rte_rdtsc();

		/* mbuf: its burst calls may be waiting for the lock we hold, so do not wait. */
		dev_qps_stop(dev, qp->idx, 1, dev_own_rings(dev));
		/*
		 * A guest that lowers its queue pairs may leave frames on this TX ring, posted
		 * after the owner's last poll (a poller the host did not run for a while: the
		 * wait for it says so). They stay there, and are looped if the guest enables the
		 * pair again (we resume from our indices; the vhost-user spec would have a net
		 * back-end discard them). Said, because the guest counts them as sent.
		 */
		if (was_running && dev_own_rings(dev)) {
			unsigned int n = dev_qp_tx_untaken(qp);

			if (n != 0)
				DEV_LOG(INFO, dev,
					"qp %u: stopped (vring %u disabled) with %u TX %s posted by "
					"the guest and not taken; the stop waited %.1f ms for lcore "
					"%u",
					qp->idx, vring, n,
					qp->tx.packed ? "descriptor(s)" : "frame(s)",
					(double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz(),
					qp->lcore);
		}
	} else {
		dev_qp_try_start(dev, qp);
	}
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* The vring a per-vring request is about, or -1 for other requests. */
static int
dev_msg_vring(const struct dev_msg *msg)
{
	switch (vl_vhost_msg_idx_kind(msg->request)) {
	case VL_MSG_IDX_U64:
		return (int)(msg->payload.u64 & 0xff); /* VHOST_USER_VRING_IDX_MASK */
	case VL_MSG_IDX_STATE:
		return (int)msg->payload.state.index;
	case VL_MSG_IDX_NONE:
		break;
	}
	return -1;
}

/*
 * A memory table region must be a regular file (memfd, tmpfs, hugetlbfs: what QEMU and
 * virtio-user send) and lie inside it: librte_vhost mmaps mmap_offset + memory_size bytes of the
 * fd as told, and the first touch of a page beyond the end of the file raises SIGBUS, in the
 * library's own SET_VRING_ADDR handler (it reads used->idx) or in our datapath. Anything else
 * (an eventfd, a socket) fails librte_vhost's mmap, and 22.11 then leaks that region's fd: it
 * moves fds[i] into the region before mapping and its error path (free_mem_region) closes only
 * the regions mapped so far (vhost_user.c, vhost_user_set_mem_table). Region i comes with fd i.
 * Counts the library refuses itself (more than 8 regions, fds not matching) are left to it.
 * 0 if every region is usable, else -1 with reason set.
 */
static int
dev_mem_table_check(struct dev_msg_ctx *ctx, char *reason, size_t len)
{
	const struct dev_msg *msg = &ctx->msg;
	uint32_t n = msg->payload.memory.nregions;

	if (n > RTE_DIM(msg->payload.memory.regions) || ctx->fd_num < 0 ||
	    (uint32_t)ctx->fd_num != n)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		struct dev_msg_region reg = msg->payload.memory.regions[i], *r = &reg;
		struct stat st;
		uint64_t end;

		if (fstat(ctx->fds[i], &st) != 0) {
			snprintf(reason, len, "region %u: fd %d: %s", i, ctx->fds[i],
				 strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(reason, len, "region %u: fd %d is not a regular file (mode 0%o)",
				 i, ctx->fds[i], (unsigned int)(st.st_mode & S_IFMT));
			return -1;
		}
		if (r->memory_size == 0) { /* librte_vhost's mmap would fail: the same leak */
			snprintf(reason, len, "region %u is empty", i);
			return -1;
		}
		if (__builtin_add_overflow(r->mmap_offset, r->memory_size, &end) ||
		    end > (uint64_t)st.st_size) {
			snprintf(reason, len,
				 "region %u (guest 0x%" PRIx64 ", 0x%" PRIx64
				 " bytes at offset 0x%" PRIx64
				 ") runs past the end of its file (0x%" PRIx64 " bytes)",
				 i, r->guest_phys_addr, r->memory_size, r->mmap_offset,
				 (uint64_t)st.st_size);
			return -1;
		}
	}
	return 0;
}

static enum rte_vhost_msg_result
dev_pre_msg(int vid, void *m)
{
	struct vl_dev *dev = dev_from_vid(vid);
	struct dev_msg *msg = m;
	int vring;

	if (dev == NULL)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (msg->request == VL_VHOST_USER_GET_QUEUE_NUM) {
		/* A frontend asking for more pairs is refused by the frontend itself. */
		dev_msg_close_fds(m); /* none expected; never keep one */
		msg->payload.u64 = dev->nb_qps;
		msg->size = sizeof(msg->payload.u64);
		return RTE_VHOST_MSG_RESULT_REPLY;
	}
	vring = dev_msg_vring(msg);
	if (vring >= 2 * dev->nb_qps) {
		/* virtio-user never asks GET_QUEUE_NUM: refuse its extra queues here, loudly,
		 * rather than let their traffic vanish. ERR closes the connection. */
		DEV_LOG(ERR, dev,
			"frontend configures vring %d (queue pair %d) but this interface serves %u "
			"queue pair(s): refusing the connection (start the frontend with "
			"queues<=%u)",
			vring, vring / 2, dev->nb_qps, dev->nb_qps);
		dev_msg_close_fds(m);
		return RTE_VHOST_MSG_RESULT_ERR;
	}
	/* Both datapaths: the library itself would fault on such a table. (ADD_MEM_REG needs
	 * PROTOCOL_F_CONFIGURE_MEM_SLOTS, which librte_vhost 22.11 neither offers nor handles.) */
	if (msg->request == VL_VHOST_USER_SET_MEM_TABLE) {
		char reason[256];

		if (dev_mem_table_check(m, reason, sizeof(reason)) != 0) {
			uint64_t nb;

			pthread_mutex_lock(&dev->lock);
			nb = ++dev->mem_refused;
			pthread_mutex_unlock(&dev->lock);
			DEV_LOG(ERR, dev,
				"memory table refused: %s; closing the connection (%" PRIu64
				" refused so far)",
				reason, nb);
			dev_msg_close_fds(m);
			return RTE_VHOST_MSG_RESULT_ERR;
		}
	}
	if (msg->request == VL_VHOST_USER_SET_LOG_BASE) {
		char reason[256];

		if (dev_log_base_check(m, reason, sizeof(reason)) != 0) {
			DEV_LOG(ERR, dev, "dirty log refused: %s; closing the connection", reason);
			dev_msg_close_fds(m);
			return RTE_VHOST_MSG_RESULT_ERR;
		}
		if (dev->datapath == VL_DATAPATH_MBUF && ((struct dev_msg_ctx *)m)->fd_num == 1) {
			pthread_mutex_lock(&dev->lock);
			dev_log_map_add(dev, m);
			pthread_mutex_unlock(&dev->lock);
		}
	}
	if (!dev_own_rings(dev) || !vl_vhost_msg_moves_rings(msg->request))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;

	pthread_mutex_lock(&dev->lock);
	if (msg->request == VL_VHOST_USER_SET_VRING_ADDR && vring >= 0)
		/* struct vhost_vring_addr: index, then flags (where state.num is) */
		dev->qps[vring / 2]->vring_log[vring & 1] =
			(msg->payload.state.num & (1u << VHOST_VRING_F_LOG)) != 0;
	if (msg->request == VL_VHOST_USER_SET_MEM_TABLE)
		dev->mem_pending = true;
	if (dev->running) {
		/* The direct datapath takes no library lock: we may wait for it here. */
		dev_qps_stop(dev, 0, dev->nb_qps, true);
		dev->paused = true;
		DEV_LOG(DEBUG, dev, "paused for %s", vl_vhost_msg_name(msg->request));
	}
	pthread_mutex_unlock(&dev->lock);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

/* Called only when the library's handler succeeded. */
static enum rte_vhost_msg_result
dev_post_msg(int vid, void *m)
{
	struct vl_dev *dev = dev_from_vid(vid);
	struct dev_msg *msg = m;

	if (dev == NULL)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (dev->datapath == VL_DATAPATH_MBUF && (msg->request == VL_VHOST_USER_SET_FEATURES ||
						  msg->request == VL_VHOST_USER_SET_LOG_BASE ||
						  msg->request == VL_VHOST_USER_SET_VRING_ADDR ||
						  msg->request == VL_VHOST_USER_SET_MEM_TABLE)) {
		pthread_mutex_lock(&dev->lock);
		if (dev->running) {
			dev_log_snapshot(dev);
			dev_ring_logs_update(dev);
		}
		pthread_mutex_unlock(&dev->lock);
	}
	if (!dev_own_rings(dev))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	pthread_mutex_lock(&dev->lock);
	if (msg->request == VL_VHOST_USER_SET_MEM_TABLE)
		dev->mem_pending = false;
	if (dev->paused && dev->running && !dev->mem_pending) {
		for (uint16_t q = 0; q < dev->nb_qps; q++)
			dev->qps[q]->mem = NULL;
		if (dev_mem_snapshot(dev) == 0) {
			dev->paused = false;
			dev_log_snapshot(dev);
			/* Rings or memory may have moved: where are they now. */
			dev_probe(dev);
			dev_qps_try_start(dev);
			DEV_LOG(DEBUG, dev, "resumed after request %u", msg->request);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops dev_extern_ops = {
	.pre_msg_handle = dev_pre_msg,
	.post_msg_handle = dev_post_msg,
};

static int
dev_new_connection(int vid)
{
	char path[PATH_MAX];
	struct vl_dev *dev = NULL;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE ||
	    rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return -1;
	for (unsigned int i = 0; i < dev_nb; i++)
		if (strcmp(dev_list[i]->path, path) == 0)
			dev = dev_list[i];
	if (dev == NULL)
		return -1;
	pthread_mutex_lock(&dev->lock);
	if (dev->vid >= 0) {
		DEV_LOG(ERR, dev, "second frontend connection refused: vid %d is connected",
			dev->vid);
		pthread_mutex_unlock(&dev->lock);
		return -1;
	}
	if (rte_vhost_extern_callback_register(vid, &dev_extern_ops, dev) != 0) {
		DEV_LOG(ERR, dev, "cannot register message handlers for vid %d", vid);
		pthread_mutex_unlock(&dev->lock);
		return -1;
	}
	dev->vid = vid;
	dev->running = false;
	dev->paused = false;
	dev->mem_pending = false;
	dev->log_all = false;
	for (uint16_t q = 0; q < dev->nb_qps; q++) {
		dev->qps[q]->vring_enabled[0] = dev->qps[q]->vring_enabled[1] = false;
		dev->qps[q]->vring_log[0] = dev->qps[q]->vring_log[1] = false;
		dev->qps[q]->state = VL_QP_IDLE;
	}
	__atomic_store_n(&dev_by_vid[vid], dev, __ATOMIC_RELEASE);
	DEV_LOG(INFO, dev, "frontend connected (vid %d)", vid);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static void
dev_destroy_connection(int vid)
{
	struct vl_dev *dev = dev_from_vid(vid);

	if (dev == NULL)
		return;
	pthread_mutex_lock(&dev->lock);
	__atomic_store_n(&dev_by_vid[vid], NULL, __ATOMIC_RELEASE);
	dev->vid = -1;
	dev_log_maps_unmap(dev); /* the device, if it ran, was destroyed first */
	DEV_LOG(INFO, dev, "frontend disconnected (vid %d)", vid);
	pthread_mutex_unlock(&dev->lock);
}

static const struct rte_vhost_device_ops dev_ops = {
	.new_device = dev_new_device,
	.destroy_device = dev_destroy_device,
	.vring_state_changed = dev_vring_state_changed,
	.new_connection = dev_new_connection,
	.destroy_connection = dev_destroy_connection,
};

/* ---- attach / detach ------------------------------------------------------------------------- */

/*
 * A queue pair's state and counters live on the node of the lcore that owns it at attach: its
 * hot lines (ring state, counters) are written by that lcore only. A pair that a guest's start
 * moves to another lcore keeps its struct where it is: stats, telemetry and the pollers hold its
 * address, and replacing it would need a second hand-off for every reader; its lines simply
 * migrate into the new owner's cache (only write-backs cross the link). numa_alloc_onnode, not
 * rte_malloc_socket: the engine runs without hugepages by default, where EAL has memory on one
 * socket only.
 */
static struct vl_qp *
dev_qp_alloc(int node)
{
	struct vl_qp *qp;

	/* Only a node that exists (a test may pretend others do). */
	if (node >= 0 && numa_available() >= 0 && node <= numa_max_node()) {
		qp = numa_alloc_onnode(sizeof(*qp), node); /* page-aligned, zeroed */
		if (qp != NULL) {
			qp->alloc_node = node;
			return qp;
		}
	}
	qp = aligned_alloc(64, sizeof(*qp));
	if (qp != NULL) {
		memset(qp, 0, sizeof(*qp));
		qp->alloc_node = -1;
	}
	return qp;
}

static void
dev_qps_free(struct vl_dev *dev)
{
	if (dev->qps == NULL)
		return;
	for (uint16_t q = 0; q < dev->nb_qps; q++) {
		struct vl_qp *qp = dev->qps[q];

		if (qp == NULL)
			continue;
		/* The pollers have returned: both kick fds are ours to close. */
		if (qp->kick_next >= 0)
			close(qp->kick_next);
		if (qp->kick_fd >= 0)
			close(qp->kick_fd);
		if (qp->alloc_node >= 0)
			numa_free(qp, sizeof(*qp));
		else
			free(qp);
	}
	free(dev->qps);
	dev->qps = NULL;
}

/* Server mode: the directory must exist; a socket nobody listens on is stale and replaced. */
static int
dev_prepare_path(const char *name, const char *path, enum vl_sock_mode mode)
{
	char dir_buf[VL_SOCKET_PATH_MAX];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	snprintf(dir_buf, sizeof(dir_buf), "%s", path);
	if (stat(dirname(dir_buf), &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(dir_buf, sizeof(dir_buf), "%s", path);
		VL_LOG_MOD(dev, ERR, "%s: socket %s: directory %s does not exist", name, path,
			   dirname(dir_buf));
		return -EINVAL;
	}
	if (mode == VL_SOCK_CLIENT)
		return 0; /* the frontend creates it; librte_vhost reconnects until it is there */
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		VL_LOG_MOD(dev, ERR, "%s: %s exists and is not a socket: not replacing it", name,
			   path);
		return -EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		VL_LOG_MOD(dev, ERR, "%s: socket %s is in use by a live listener (another engine?)",
			   name, path);
		return -EINVAL;
	}
	if (errno != ECONNREFUSED) {
		VL_LOG_MOD(dev, ERR, "%s: cannot probe socket %s: %s", name, path, strerror(errno));
		return -EINVAL;
	}
	if (unlink(path) != 0) {
		VL_LOG_MOD(dev, ERR, "%s: cannot remove stale socket %s: %s", name, path,
			   strerror(errno));
		return -EINVAL;
	}
	VL_LOG_MOD(dev, INFO, "%s: removed stale socket %s (nobody listening)", name, path);
	return 0;
}

/* Offer what we implement: librte_vhost's defaults, trimmed (never set_features: notes TL;DR 1). */
static int
dev_trim_features(struct vl_dev *dev)
{
	uint64_t off = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		       1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
		       1ULL << VIRTIO_NET_F_HOST_UFO | 1ULL << VIRTIO_NET_F_HOST_ECN |
		       1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6 |
		       1ULL << VIRTIO_NET_F_GUEST_UFO | 1ULL << VIRTIO_NET_F_GUEST_ECN |
		       1ULL << VIRTIO_NET_F_GSO;
	uint64_t pf;

	if (dev->nb_qps == 1)
		off |= 1ULL << VIRTIO_NET_F_MQ;
	if (dev->datapath == VL_DATAPATH_SINK)
		/* Dirty-page logging is implemented by the direct datapath (lib/vring) and by
		 * librte_vhost for the mbuf one; the benchmark sink does not log, so QEMU refuses
		 * to migrate rather than migrate stale rings. Packed rings and IN_ORDER are
		 * offered: lib/vring serves both layouts, in order. */
		off |= 1ULL << VHOST_F_LOG_ALL;
	if (rte_vhost_driver_disable_features(dev->path, off) != 0)
		return -EIO;
	if (dev->nb_qps == 1) {
		if (rte_vhost_driver_get_protocol_features(dev->path, &pf) != 0 ||
		    rte_vhost_driver_set_protocol_features(
			    dev->path, pf & ~(1ULL << VHOST_USER_PROTOCOL_F_MQ)))
			return -EIO;
	}
	return 0;
}

/*
 * Start the socket. A server socket gets its mode and group before any frontend can connect:
 * librte_vhost binds and listens inside rte_vhost_driver_start (and accepts on its own thread
 * from then on), so the socket is created under a umask that leaves it owner-only (0600), then
 * given its group and mode. Until then only the engine's own user can connect.
 */
static int
dev_start(struct vl_dev *dev, const struct vl_iface_config *iface)
{
	mode_t old_umask;
	int rc;

	if (iface->mode == VL_SOCK_CLIENT)
		return rte_vhost_driver_start(dev->path);
	old_umask = umask(0177);
	rc = rte_vhost_driver_start(dev->path);
	umask(old_umask);
	if (rc != 0)
		return rc;
	if (iface->socket_gid >= 0 && chown(dev->path, (uid_t)-1, (gid_t)iface->socket_gid) != 0) {
		DEV_LOG(ERR, dev, "socket %s: cannot give it group %s: %s", dev->path,
			iface->socket_group, strerror(errno));
		return -errno;
	}
	if (chmod(dev->path, (mode_t)iface->socket_mode) != 0) {
		DEV_LOG(ERR, dev, "socket %s: cannot set mode %04o: %s", dev->path,
			(unsigned int)iface->socket_mode, strerror(errno));
		return -errno;
	}
	return 0;
}

int
vl_dev_attach(struct vl_dev **devp, const struct vl_iface_config *iface,
	      const struct vl_config *cfg, const unsigned int *lcore_of_qp, const int *node_of_qp,
	      struct rte_mempool *pool)
{
	uint64_t flags = 0;
	struct vl_dev *dev;
	int rc;

	if (dev_nb >= VL_MAX_IFACES)
		return -ENOSPC;
	rc = dev_prepare_path(iface->name, iface->socket_path, iface->mode);
	if (rc != 0)
		return rc == -EINVAL ? rc : -EIO;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	snprintf(dev->name, sizeof(dev->name), "%s", iface->name);
	snprintf(dev->path, sizeof(dev->path), "%s", iface->socket_path);
	dev->mode = iface->mode;
	dev->datapath = cfg->datapath;
	dev->idle_sleep = cfg->idle_sleep_us != 0 && cfg->datapath != VL_DATAPATH_MBUF;
	dev->vid = -1;
	pthread_mutex_init(&dev->lock, NULL);
	dev->nb_qps = iface->net.queue_pairs;
	if (dev->nb_qps > VL_VHOST_MAX_QUEUE_PAIRS) {
		DEV_LOG(WARNING, dev,
			"queue_pairs %u configured, librte_vhost 22.11 serves at most %u: using %u",
			dev->nb_qps, VL_VHOST_MAX_QUEUE_PAIRS, VL_VHOST_MAX_QUEUE_PAIRS);
		dev->nb_qps = VL_VHOST_MAX_QUEUE_PAIRS;
	}
	dev->qps = calloc(dev->nb_qps, sizeof(*dev->qps));
	if (dev->qps == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint16_t q = 0; q < dev->nb_qps; q++) {
		struct vl_qp *qp = dev_qp_alloc(node_of_qp != NULL ? node_of_qp[q] : -1);

		if (qp == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
		*qp = (struct vl_qp){
			.dev = dev,
			.idx = q,
			.lcore = lcore_of_qp[q],
			.datapath = cfg->datapath,
			.vid = -1,
			.pool = pool,
			.irq_tx = {.callfd = -1},
			.irq_rx = {.callfd = -1},
			.kick_next = VL_QP_KICK_NONE,
			.kick_fd = -1,
			.numa = {.lcore = lcore_of_qp[q],
				 .cpu = vl_dev_lcore_cpu(lcore_of_qp[q]),
				 .cpu_node = node_of_qp != NULL ? node_of_qp[q] : -1,
				 .ring_node = VL_NODE_UNKNOWN,
				 .buffer_node = VL_NODE_UNKNOWN,
				 .wanted_node = VL_NODE_UNKNOWN,
				 .honoured = true},
			.alloc_node = qp->alloc_node,
		};
		dev->qps[q] = qp;
	}

	if (iface->mode == VL_SOCK_CLIENT)
		flags |= RTE_VHOST_USER_CLIENT;
	if (rte_vhost_driver_register(dev->path, flags) != 0) {
		rc = -EIO;
		goto out_free;
	}
	dev->registered = true;
	dev_list[dev_nb++] = dev;
	if (dev_trim_features(dev) != 0 ||
	    rte_vhost_driver_callback_register(dev->path, &dev_ops) != 0 ||
	    dev_start(dev, iface) != 0) {
		rc = -EIO;
		goto out_unregister;
	}
	DEV_LOG(INFO, dev, "%s %s, %u queue pair(s), %s datapath",
		iface->mode == VL_SOCK_CLIENT ? "connecting to" : "listening on", dev->path,
		dev->nb_qps, vl_datapath_name(dev->datapath));
	*devp = dev;
	return 0;

out_unregister:
	dev_nb--;
	rte_vhost_driver_unregister(dev->path);
out_free:
	DEV_LOG(ERR, dev, "cannot attach vhost-user socket %s", dev->path);
	dev_qps_free(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return rc;
}

void
vl_dev_detach(struct vl_dev *dev)
{
	if (dev == NULL)
		return;
	/* Unregister calls destroy_device on this thread for a live guest; it may answer -1
	 * while the vhost-events thread is inside a callback of this socket: retry briefly. */
	for (int tries = 0; dev->registered && tries < 500; tries++) {
		if (rte_vhost_driver_unregister(dev->path) == 0)
			dev->registered = false;
		else
			usleep(10 * 1000);
	}
	if (dev->registered)
		DEV_LOG(ERR, dev, "could not unregister %s", dev->path);
	else if (dev->mode == VL_SOCK_SERVER)
		unlink(dev->path); /* librte_vhost removes it too; make sure */
	if (dev->mem_refused != 0) /* no connection is left to change it */
		DEV_LOG(NOTICE, dev,
			"%" PRIu64 " memory table(s) refused (region not inside a file)",
			dev->mem_refused);
	for (unsigned int i = 0; i < dev_nb; i++)
		if (dev_list[i] == dev)
			dev_list[i] = dev_list[--dev_nb];
	free(dev->mem);
	dev_ring_logs_reap(dev, true);
	dev_log_maps_unmap(dev);
	dev_qps_free(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

uint16_t
vl_dev_nb_qps(const struct vl_dev *dev)
{
	return dev->nb_qps;
}

struct vl_qp *
vl_dev_qp(struct vl_dev *dev, uint16_t idx)
{
	return idx < dev->nb_qps ? dev->qps[idx] : NULL;
}

const char *
vl_dev_name(const struct vl_dev *dev)
{
	return dev->name;
}

const char *
vl_dev_qp_state_name(const void *ctx)
{
	const struct vl_qp *qp = ctx;
	static __thread char buf[96];

	switch (qp->state) {
	case VL_QP_RUNNING:
		if (qp->tx.fault != VL_VRING_FAULT_NONE || qp->rx.fault != VL_VRING_FAULT_NONE) {
			snprintf(buf, sizeof(buf), "broken: %s vring: %s",
				 qp->tx.fault != VL_VRING_FAULT_NONE ? "tx" : "rx",
				 vl_vring_fault_str(qp->tx.fault != VL_VRING_FAULT_NONE
							    ? qp->tx.fault
							    : qp->rx.fault));
			return buf;
		}
		return "running";
	case VL_QP_FAILED:
		return "failed";
	case VL_QP_IDLE:
	default:
		return "idle";
	}
}

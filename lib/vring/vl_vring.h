/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vring.h - guest virtqueue access for the direct datapath: split and packed rings, bounded
 * chain walks, guest-physical -> host-virtual translation, the one copy from a guest TX buffer into
 * guest RX buffers, used-ring publish and the notification decision.
 *
 * No EAL and no librte_vhost here: the caller (lib/fwd, lib/dev) hands in ring pointers and a
 * memory table it got from librte_vhost, so all of this runs on fake guest memory in unit tests
 * and fuzzers. Guest memory is hostile: every shared field is read once into a local, checked,
 * and every loop is bounded by the ring size.
 */
#ifndef VL_VRING_H
#define VL_VRING_H

#include <stdbool.h>
#include <stdint.h>

/* ---- split ring layout (virtio 1.x "Split Virtqueues"; little-endian x86 only) ------------ */

#define VL_VRING_DESC_F_NEXT 1
#define VL_VRING_DESC_F_WRITE 2
#define VL_VRING_DESC_F_INDIRECT 4
#define VL_VRING_USED_F_NO_NOTIFY 1
#define VL_VRING_AVAIL_F_NO_INTERRUPT 1
#define VL_VRING_SIZE_MAX 32768

struct vl_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vl_vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [size], then used_event with EVENT_IDX */
};

struct vl_vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vl_vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vl_vring_used_elem ring[]; /* [size], then avail_event (u16) with EVENT_IDX */
};

/* ---- packed ring layout (virtio 1.1+ "Packed Virtqueues") ---------------------------------- */

#define VL_VRING_DESC_F_AVAIL (1u << 7)
#define VL_VRING_DESC_F_USED (1u << 15)
#define VL_VRING_EVENT_F_ENABLE 0
#define VL_VRING_EVENT_F_DISABLE 1
#define VL_VRING_EVENT_F_DESC 2
/* librte_vhost carries a packed ring's wrap counter in bit 15 of its ring indices (base). */
#define VL_VRING_PACKED_WRAP_BIT 15
#define VL_VRING_PACKED_SIZE_MAX 32768

struct vl_vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* Driver and device event suppression areas. */
struct vl_vring_packed_event {
	uint16_t off_wrap; /* bits 0-14 descriptor offset, bit 15 wrap counter (EVENT_IDX) */
	uint16_t flags;	   /* VL_VRING_EVENT_F_* */
};

/* ---- guest memory table ------------------------------------------------------------------- */

/* vhost-user sends at most 8 regions (VHOST_MEMORY_MAX_NREGIONS); QEMU may send more with
 * configurable slots, which we refuse rather than truncate. */
#define VL_MEM_MAX_REGIONS 8

struct vl_mem_region {
	uint64_t guest_phys_addr;
	uint64_t size;
	uint64_t host_user_addr; /* where librte_vhost mapped it in our address space */
};

struct vl_mem {
	uint32_t nb_regions;
	struct vl_mem_region regions[VL_MEM_MAX_REGIONS];
};

/*
 * Host address of guest-physical gpa, or NULL if no region holds it. *len is shrunk to what is
 * contiguous from gpa inside that region (a buffer crossing regions needs several calls).
 * *hint is the caller's cache of the last region hit (any value is safe).
 */
void *vl_mem_translate(const struct vl_mem *mem, uint64_t gpa, uint64_t *len, uint32_t *hint);

/* ---- one virtqueue -------------------------------------------------------------------------- */

/* Why a queue broke. A broken queue is skipped until it is re-initialised (guest reset/enable). */
#define VL_VRING_FAULTS(X)                                                                        \
	X(NONE, "none")                                                                           \
	X(AVAIL_IDX, "avail idx moved by more than the ring size")                                \
	X(HEAD_RANGE, "avail ring head index >= ring size")                                       \
	X(NEXT_RANGE, "descriptor next index out of range")                                       \
	X(CHAIN_LOOP, "descriptor chain longer than the table (loop)")                            \
	X(INDIRECT_FEATURE, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC")            \
	X(INDIRECT_LEN, "indirect table length 0, not a multiple of 16, or larger than the ring") \
	X(INDIRECT_NESTED, "indirect descriptor inside an indirect table")                        \
	X(INDIRECT_NEXT, "indirect descriptor with the NEXT flag")                                \
	X(ADDR, "buffer address outside guest memory")                                            \
	X(WRITE_FLAG, "descriptor WRITE flag in the wrong direction")                             \
	X(LEN, "chain length out of bounds")                                                      \
	X(RX_HDR, "receive buffer smaller than the virtio-net header")                            \
	X(AVAIL_FLAGS, "packed descriptor avail/used flags do not match the ring phase")          \
	X(BUF_ID, "packed buffer id >= ring size")

enum vl_vring_fault {
#define X(name, text) VL_VRING_FAULT_##name,
	VL_VRING_FAULTS(X)
#undef X
		VL_VRING_FAULT_MAX
};

const char *vl_vring_fault_str(enum vl_vring_fault fault);

/* ---- dirty-page logging (live migration: VHOST_F_LOG_ALL) ----------------------------------
 *
 * While the frontend migrates the guest it asks the device to mark every guest page it writes
 * in a shared bitmap, one bit per 4 KiB guest-physical page (bit p % 8 of byte p / 8). The
 * control plane attaches a log context to both vrings of a pair while logging is on; the
 * bursts then mark RX buffers (before the used entries that hand them back are published) and
 * the used-ring / used-descriptor writes (after they are published). With no context attached
 * a burst pays one not-taken branch. docs/MIGRATION.md.
 */
#define VL_VRING_LOG_PAGE_SHIFT 12

struct vl_vring_log {
	uint8_t *bitmap;       /* the frontend's log (shared memory, other writers: atomic OR) */
	uint64_t bitmap_bytes; /* pages at or beyond bitmap_bytes * 8 are faults, never written */
	/* Where the ring memory the device writes starts, guest-physical: split rings the used
	 * ring (the frontend's log_guest_addr), packed rings the descriptor ring. Ring writes are
	 * logged only with log_ring (the vring's VHOST_VRING_F_LOG flag). */
	uint64_t ring_gpa;
	bool log_ring;
	/* Counters the owning lcore adds to (not NULL): pages marked, and writes that fell
	 * outside the log (counted, nothing marked). */
	uint64_t *nb_pages;
	uint64_t *nb_faults;
};

/*
 * Mark the pages of guest-physical [gpa, gpa + len) dirty (release: the writes they cover are
 * visible first). A range that wraps or reaches beyond the bitmap adds 1 to *nb_faults and marks
 * only what lies inside. len 0 marks nothing.
 */
void vl_vring_log_write(struct vl_vring_log *log, uint64_t gpa, uint64_t len);

/* Guest-physical address of host address hva through the memory table: 0 if no region holds
 * it, else 1 with *gpa set (the control plane finds a packed ring's guest address so). */
int vl_mem_hva_to_gpa(const struct vl_mem *mem, const void *hva, uint64_t *gpa);

struct vl_vring {
	/* Written by the control plane while the queue is stopped (vl_vring_init). */
	struct vl_vring_desc *desc;
	struct vl_vring_avail *avail;
	struct vl_vring_used *used;
	uint16_t size; /* power of two, 1..32768 */

	/* Written by the polling lcore only. Free-running 16-bit counters. */
	uint16_t last_avail_idx;
	uint16_t last_used_idx;
	uint16_t signalled_used;   /* used idx at the previous call decision */
	bool signalled_used_valid; /* false after (re)start: the first decision calls */
	uint32_t region_hint;	   /* last memory region hit */
	enum vl_vring_fault fault; /* != NONE: broken, skipped */
	uint16_t nb_lag_polls;	   /* polls waited (opts rx_lag_polls): split RX vring, packed TX */
	/* vl_vring_need_call_lazy / vl_vring_packed_need_call_lazy: decisions in a row that found
	 * no call without the fence (0: nothing owed), and the used idx (packed: used slot, its
	 * wrap counter in call_owed_from_wrap) of the last decision that settled everything before
	 * it (a fenced one, or a call). */
	uint16_t call_owed_from;
	uint8_t nb_call_owed;
	/* Split rings: avail->flags as the last burst that moved frames read it, next to
	 * avail->idx (the lazy decision's NO_INTERRUPT, without a second miss on that line). */
	uint16_t avail_flags;

	/* Packed layout (vl_vring_packed_init; desc/avail/used are NULL then). The three indices
	 * above are ring slots (< size) and each has its wrap counter here. */
	bool packed;
	bool avail_wrap;
	bool used_wrap;
	bool signalled_used_wrap;
	bool call_owed_from_wrap; /* the wrap counter of call_owed_from */
	uint16_t tx_far_slots;	  /* TX: slots the last full burst took, 0 after a short one */
	struct vl_vring_packed_desc *pdesc;
	struct vl_vring_packed_event *driver_event; /* the driver's: when it wants calls */
	struct vl_vring_packed_event *device_event; /* ours: kicks */

	/* Dirty-page log, NULL = not logging. Set by the control plane while the queue is
	 * stopped, after vl_vring_init / vl_vring_packed_init (which clear it); lib/dev sets it on
	 * both vrings of a pair or on neither (the split burst tests the RX vring's). */
	struct vl_vring_log *log;
};

/* The engine's opts.rx_lag_polls: ~3500 TSC cycles of idle polls on the test host, under half
 * of what its guest takes to post one 64 B burst (docs/GUEST-COST.md, "One refill behind"). */
#define VL_VRING_RX_LAG_POLLS 100

/* Frames one vl_vring_loop_burst call moves at most (a larger max_burst is clamped). */
#define VL_VRING_BURST_MAX 256
/* Largest TX payload (after the virtio-net header) we loop; longer ones are drop_truncated. */
#define VL_VRING_FRAME_MAX_BYTES 65536

/* What was negotiated with the guest, fixed while the queue pair runs. */
struct vl_vring_opts {
	uint16_t hdr_len; /* 12 with MRG_RXBUF or VERSION_1, else 10 (other values: no burst) */
	bool mrg_rxbuf;	  /* VIRTIO_NET_F_MRG_RXBUF */
	bool event_idx;	  /* VIRTIO_RING_F_EVENT_IDX */
	bool indirect;	  /* VIRTIO_RING_F_INDIRECT_DESC */
	bool in_order;	  /* VIRTIO_F_IN_ORDER (packed rings: one used descriptor per TX batch) */
	/* Split rings: while the guest has posted fewer RX buffers than twice the pending TX
	 * frames, wait up to this many polls for more before taking them (0: never wait).
	 * Packed rings: after a full TX burst, while the slot where the guest's next full burst
	 * ends is not available, poll only that slot, up to this many polls (at most 16), before
	 * the cursor (0: always the cursor). */
	uint16_t rx_lag_polls;
};

/*
 * Attach vq to rings the control plane translated (each a contiguous host range of the exact
 * size, +1 event slot with EVENT_IDX) and restart from the given indices.
 * Returns 0, or -EINVAL if size is 0, not a power of two, > 32768, or a pointer is NULL.
 */
int vl_vring_init(struct vl_vring *vq, struct vl_vring_desc *desc, struct vl_vring_avail *avail,
		  struct vl_vring_used *used, uint16_t size, uint16_t last_avail_idx,
		  uint16_t last_used_idx);

/* Poll mode: ask the guest not to kick (NO_NOTIFY, or avail_event behind our index). */
void vl_vring_suppress_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts);

/*
 * Idle sleep: ask the guest to kick again (EVENT_IDX: avail_event = our next index; otherwise
 * clear NO_NOTIFY), fence, and look at the ring once more. Returns true when the guest has made
 * a buffer available that we have not consumed: the caller must not sleep (a frame posted just
 * before the guest saw kicks enabled would otherwise wait). vl_vring_suppress_kicks undoes it.
 */
bool vl_vring_enable_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts);

/* What the RX lag (split rings, opts.rx_lag_polls) did in one call: struct vl_vring_burst.rx_lag.
 */
enum vl_vring_rx_lag {
	VL_VRING_RX_LAG_NONE,
	VL_VRING_RX_LAG_WAIT, /* this poll waited for the guest's next RX refill: moved nothing */
	VL_VRING_RX_LAG_TIMEOUT, /* the burst went ahead short of RX buffers after waiting
				    rx_lag_polls polls (frames without a buffer: drop_rx_full) */
	VL_VRING_RX_LAG_WARM,	 /* a wait that moved nothing but started the pending TX frames'
				    misses (their ring entries, descriptors, payload lines): work
				    for those frames, whose cycles the caller counts as busy */
};

/* Result of one burst, added to the queue pair's counters by the caller. */
struct vl_vring_burst {
	uint32_t nb_frames; /* frames written to the RX ring */
	/* enum vl_vring_rx_lag, in the padding before nb_bytes (the struct the burst clears does
	 * not grow). One field of its own: the caller reads it right after the burst, and a
	 * wider load over two narrow fields, one just stored, would miss store forwarding. */
	uint16_t rx_lag;
	uint64_t nb_bytes;	 /* the frames' length without the virtio-net header */
	uint32_t nb_rx_bufs;	 /* RX buffers (chains) used */
	uint32_t drop_rx_full;	 /* no (or not enough) RX buffers: dropped, TX chain returned */
	uint32_t drop_truncated; /* frame larger than the RX chain (not mergeable) or > 64 KiB */
	uint32_t drop_short;	 /* TX chain shorter than the virtio-net header */
	uint32_t nb_tx_done;	 /* TX chains returned to the guest (looped + dropped) */
};

/*
 * Move up to max_burst frames from the guest TX ring to its RX ring with one copy each.
 * Reads each avail idx once (acquire), writes RX headers (num_buffers as the spec says, all
 * other fields zero), publishes each used idx at most once (release). A fault breaks the ring
 * it was found on (vq->fault) after completing what was already done; the caller checks
 * tx->fault / rx->fault. A malformed TX chain is returned with used.len 0 before its ring
 * breaks; on an RX fault the TX chain being looped stays available. *res is overwritten (not
 * added to). Returns the number of TX chains consumed (res->nb_tx_done).
 */
unsigned int vl_vring_loop_burst(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
				 const struct vl_vring_opts *opts, unsigned int max_burst,
				 struct vl_vring_burst *res);

/* Where one looped frame landed: its first bytes in the guest RX buffer (after the virtio-net
 * header), how many of them are contiguous there, and the frame's length. */
struct vl_vring_frame {
	const uint8_t *data;
	uint32_t head_bytes;
	uint32_t frame_bytes;
};

/*
 * An observer of looped frames (the steering audit). vl_vring_loop_burst_observed records each
 * looped frame in frames[] (dropped ones are not) and, if there was any, calls fn once, after
 * the copies and before the used indexes are published, while the guest cannot yet reuse the RX
 * buffers. fn must only read frames[i].data[0 .. head_bytes) (guest memory: it may change under
 * the reader, so copy before parsing).
 */
struct vl_vring_observer {
	void (*fn)(void *ctx, const struct vl_vring_frame *frames, unsigned int nb_frames);
	void *ctx;
	struct vl_vring_frame frames[VL_VRING_BURST_MAX];
};

/* vl_vring_loop_burst with an observer (not NULL); vl_vring_loop_burst carries no trace of it. */
unsigned int vl_vring_loop_burst_observed(struct vl_vring *tx, struct vl_vring *rx,
					  const struct vl_mem *mem,
					  const struct vl_vring_opts *opts, unsigned int max_burst,
					  struct vl_vring_burst *res,
					  struct vl_vring_observer *obs);

/*
 * Benchmark sink: return up to max_burst TX chains with used.len 0 without reading their
 * descriptors or touching any RX ring, so a generator measures its own ceiling. Same avail-index
 * and head checks as vl_vring_loop_burst. Returns the chains returned (also res->nb_tx_done).
 */
unsigned int vl_vring_sink_burst(struct vl_vring *tx, const struct vl_vring_opts *opts,
				 unsigned int max_burst, struct vl_vring_burst *res);

/*
 * After a publish: does the guest want an interrupt for what we added since the previous
 * decision? NO_INTERRUPT without EVENT_IDX, used_event with it (seq_cst fence first).
 * Updates the decision point. Call at most once per vring per burst.
 */
bool vl_vring_need_call(struct vl_vring *vq, const struct vl_vring_opts *opts);

/*
 * The same decision without the fence, for the busy poll. A call it finds is certain (calling is
 * always allowed). "No call" is not: the guest may have asked for interrupts while our used->idx
 * store was still on its way, read the old index and gone to sleep (the store->load race the
 * fence closes). Such a decision is owed: vl_vring_call_settle must follow, at the latest when the
 * vring publishes nothing in a poll; after VL_VRING_CALL_OWED_MAX owed decisions in a row this
 * function settles itself (fence included). Call it only where no coalescing holds entries back
 * (every publish is decided in the same poll). Without EVENT_IDX it takes NO_INTERRUPT as the last
 * burst read it (vq->avail_flags), with EVENT_IDX it reads used_event. docs/DATAPATH.md,
 * "Interrupts without a fence in the busy poll".
 */
bool vl_vring_need_call_lazy(struct vl_vring *vq, const struct vl_vring_opts *opts);

#define VL_VRING_CALL_OWED_MAX 8

/* Is a lazy "no call" waiting for its fenced look? */
static inline bool
vl_vring_call_owed(const struct vl_vring *vq)
{
	return vq->nb_call_owed != 0;
}

/*
 * Fence, then decide for every entry (packed: used descriptor) published since the last settled
 * decision (true: call the guest). Either layout. Nothing owed: false, no fence.
 */
bool vl_vring_call_settle(struct vl_vring *vq, const struct vl_vring_opts *opts);

/* ---- packed rings (vl_vring_packed.c) ---------------------------------------------------------
 *
 * Same contract as the split functions above; only the ring layout differs. Used descriptors
 * are published once per burst and ring: ids and lengths first, then the flags, the flags of
 * the first descriptor last behind a release barrier, so the driver sees the whole batch at once.
 * Any size 1..32768 works (no power of two needed).
 */

/*
 * Attach vq to a packed ring and restart from librte_vhost's base values (slot in bits 0-14,
 * wrap counter in bit 15, as rte_vhost_get_vring_base returns them for packed rings).
 * Returns 0, or -EINVAL if size is 0 or > 32768, a slot is >= size, or a pointer is NULL.
 */
int vl_vring_packed_init(struct vl_vring *vq, struct vl_vring_packed_desc *desc,
			 struct vl_vring_packed_event *driver_event,
			 struct vl_vring_packed_event *device_event, uint16_t size,
			 uint16_t avail_base, uint16_t used_base);

/* Poll mode: ask the guest not to kick (device event flags DISABLE). */
void vl_vring_packed_suppress_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts);

/* Idle sleep on a packed ring: device event flags ENABLE, fence, true when the descriptor at
 * our avail cursor is available (do not sleep). vl_vring_packed_suppress_kicks undoes it. */
bool vl_vring_packed_enable_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts);

unsigned int vl_vring_packed_loop_burst(struct vl_vring *tx, struct vl_vring *rx,
					const struct vl_mem *mem, const struct vl_vring_opts *opts,
					unsigned int max_burst, struct vl_vring_burst *res);

/* vl_vring_packed_loop_burst with an observer (not NULL), as vl_vring_loop_burst_observed. */
unsigned int vl_vring_packed_loop_burst_observed(struct vl_vring *tx, struct vl_vring *rx,
						 const struct vl_mem *mem,
						 const struct vl_vring_opts *opts,
						 unsigned int max_burst, struct vl_vring_burst *res,
						 struct vl_vring_observer *obs);

unsigned int vl_vring_packed_sink_burst(struct vl_vring *tx, const struct vl_vring_opts *opts,
					unsigned int max_burst, struct vl_vring_burst *res);

/* Driver event area: DISABLE, ENABLE, or DESC (off_wrap, with EVENT_IDX). Once per burst. The
 * fenced decision: it also covers what lazy decisions before it owe. */
bool vl_vring_packed_need_call(struct vl_vring *vq, const struct vl_vring_opts *opts);

/*
 * vl_vring_need_call_lazy for packed rings: the same decision without the fence, under the same
 * contract (a call is certain, a "no call" is owed vl_vring_call_settle, which handles both
 * layouts; only where no coalescing holds used descriptors back). It reads the driver event area
 * as it is now: that area is a line of its own the driver writes only when its wish changes
 * (docs/DATAPATH.md, "Interrupts without a fence in the busy poll"). Besides the bound of
 * VL_VRING_CALL_OWED_MAX decisions, it settles itself once the owed window reaches the ring size,
 * so that the window stays shorter than the circle of 2 x size positions the event offset names.
 */
bool vl_vring_packed_need_call_lazy(struct vl_vring *vq, const struct vl_vring_opts *opts);

/* The indices to hand back to librte_vhost (rte_vhost_set_vring_base): split rings as they are,
 * packed rings as slot | wrap counter << 15. */
static inline void
vl_vring_base(const struct vl_vring *vq, uint16_t *avail_base, uint16_t *used_base)
{
	if (vq->packed) {
		*avail_base = (uint16_t)(vq->last_avail_idx | (uint16_t)vq->avail_wrap
								      << VL_VRING_PACKED_WRAP_BIT);
		*used_base = (uint16_t)(vq->last_used_idx | (uint16_t)vq->used_wrap
								    << VL_VRING_PACKED_WRAP_BIT);
	} else {
		*avail_base = vq->last_avail_idx;
		*used_base = vq->last_used_idx;
	}
}

#endif /* VL_VRING_H */

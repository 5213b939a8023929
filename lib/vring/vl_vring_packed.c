/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vring_packed.c - packed-ring direct datapath: guest TX chain -> guest RX buffers, one copy.
 *
 * A packed ring is one descriptor array both sides write. The driver makes a chain available by
 * writing its descriptors at consecutive slots (wrapping at the end of the ring), the head's
 * flags last; a descriptor is available when its AVAIL bit equals the driver's wrap counter and
 * its USED bit does not. The device hands a chain back by writing one used descriptor (buffer
 * id, length, AVAIL = USED = its own wrap counter) at the slot where the chain started, and
 * skips the rest of the chain's slots. Both sides walk the slots in the same order, so the used
 * cursor trails the avail cursor by what is in flight.
 *
 * Shape of a burst (vl_vring_packed_loop_burst):
 *   0. with opts->rx_lag_polls, after a full burst, an idle poll reads only the TX slot where
 *      the guest's next full burst ends (as many slots on as the last one took), up to
 *      PK_FAR_IDLE_POLLS polls in a row, then the cursor (pk_tx_far_idle);
 *   1. read the TX heads at the avail cursor ahead (flags with acquire, then the descriptors as
 *      locals) as long as they have a shape the batch takes (one slot, or a header-alone head
 *      and one more), translating and prefetching the indirect tables of all of them at once;
 *   2. resolve those frames one by one against one RX descriptor each (both buffers translated
 *      to one region, their first and last lines prefetched), then copy them back to back;
 *   3. any other frame (longer chains, mergeable over several buffers, drops, hostile input)
 *      goes through the walker, which streams the TX chain (header skipped) into one RX chain,
 *      or several with MRG_RXBUF; the RX buffers of a frame are committed only when the frame
 *      is complete, so a drop or a fault midway leaves them available (slots not written);
 *   4. used descriptors collect in per-ring shadows (with IN_ORDER, one TX used descriptor for
 *      the whole burst: the last buffer id, the slots of all chains);
 *   5. publish each ring's shadow once (RX first, then TX): the first one's id and length, every
 *      other one whole (one 8-byte store), then the first one's flags with a release store.
 *
 * Guest memory is hostile: each descriptor is copied to a local once; a chain may not take more
 * slots than are free in the ring; every chunk is translated and clamped to its region. A
 * malformed chain breaks its ring without being returned (its extent is unknown, so no used
 * descriptor for it could be right); what was completed before it is published.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_vring.h"
#include "vring_priv.h"
#include "vring_walk.h"

/* PAUSE instructions after an idle far-end poll (~26 TSC cycles each on the test host, so
 * ~480 per poll with the read): docs/GUEST-COST.md, "Idle polls at the far end of the guest's
 * TX burst". */
#define PK_FAR_IDLE_PAUSES 16
/* Far-end idle polls in a row at most, then the cursor (and no more far-end polls until the next
 * full burst). 16 polls of ~480 TSC cycles are ~7,700 cycles (~3 us at 2.5 GHz): one period of
 * a guest sending full bursts of 32 at 64 B (~250 cycles per frame, ~8,000 per burst). A guest
 * whose next full burst is not complete within that is not saturating the ring, and a frame
 * that comes after the end of full-rate traffic waits at most that once. */
#define PK_FAR_IDLE_POLLS 16
/* RX buffers one mergeable frame may take; a frame needing more is dropped as truncated. */
#define PK_RX_BUFS_MAX 256
/* Committed RX used descriptors held per burst before an intermediate publish, + one frame. */
#define PK_RX_SHADOW (VL_VRING_BURST_MAX + PK_RX_BUFS_MAX)

/* One used descriptor to write: the chain's buffer id, bytes written, ring slots it spans. */
struct pk_used {
	uint32_t len;
	uint16_t id;
	uint16_t count;
};

/* ---- flags and cursors -------------------------------------------------------------------- */

/*
 * The head at the avail cursor in phase wrap: 1 available, 0 not (yet), or -fault. AVAIL ==
 * USED == wrap marks a descriptor used in the current phase, which no slot at or ahead of our
 * cursor can legitimately be (our used descriptors land behind it).
 */
static inline int
pk_head_state(uint16_t flags, bool wrap)
{
	bool avail = !!(flags & VL_VRING_DESC_F_AVAIL), used = !!(flags & VL_VRING_DESC_F_USED);

	if (avail != wrap)
		return 0;
	return used != wrap ? 1 : -VL_VRING_FAULT_AVAIL_FLAGS;
}

static inline uint16_t
pk_used_flags(bool wrap)
{
	return wrap ? (uint16_t)(VL_VRING_DESC_F_AVAIL | VL_VRING_DESC_F_USED) : 0;
}

/* Move a cursor n (<= size) slots on, flipping its wrap counter when it passes the end. */
static inline void
pk_advance(uint16_t *slot, bool *wrap, uint32_t n, uint16_t size)
{
	uint32_t s = (uint32_t)*slot + n;

	if (s >= size) {
		s -= size;
		*wrap = !*wrap;
	}
	*slot = (uint16_t)s;
}

/* ---- control ------------------------------------------------------------------------------ */

int
vl_vring_packed_init(struct vl_vring *vq, struct vl_vring_packed_desc *desc,
		     struct vl_vring_packed_event *driver_event,
		     struct vl_vring_packed_event *device_event, uint16_t size, uint16_t avail_base,
		     uint16_t used_base)
{
	const uint16_t slot_mask = (1u << VL_VRING_PACKED_WRAP_BIT) - 1;
	uint16_t avail_slot = avail_base & slot_mask, used_slot = used_base & slot_mask;

	if (desc == NULL || driver_event == NULL || device_event == NULL || size == 0 ||
	    size > VL_VRING_PACKED_SIZE_MAX || avail_slot >= size || used_slot >= size)
		return -EINVAL;
	*vq = (struct vl_vring){
		.size = size,
		.last_avail_idx = avail_slot,
		.last_used_idx = used_slot,
		.signalled_used = used_slot,
		.signalled_used_valid = false,
		.region_hint = 0,
		.fault = VL_VRING_FAULT_NONE,
		.packed = true,
		.avail_wrap = (avail_base >> VL_VRING_PACKED_WRAP_BIT) != 0,
		.used_wrap = (used_base >> VL_VRING_PACKED_WRAP_BIT) != 0,
		.pdesc = desc,
		.driver_event = driver_event,
		.device_event = device_event,
	};
	vq->signalled_used_wrap = vq->used_wrap;
	return 0;
}

void
vl_vring_packed_suppress_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	(void)opts; /* DISABLE is valid with and without EVENT_IDX, and needs no upkeep */
	__atomic_store_n(&vq->device_event->flags, VL_VRING_EVENT_F_DISABLE, __ATOMIC_RELAXED);
	/* Pairs with the driver's fence between making descriptors available and reading our
	 * event flags to decide a kick. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool
vl_vring_packed_enable_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	uint16_t flags;

	(void)opts; /* ENABLE is valid with and without EVENT_IDX: kick on every batch */
	__atomic_store_n(&vq->device_event->flags, VL_VRING_EVENT_F_ENABLE, __ATOMIC_RELAXED);
	/* Store->load: pairs with the driver's fence between making a descriptor available and
	 * reading our event flags (see vl_vring_enable_kicks). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&vq->pdesc[vq->last_avail_idx].flags, __ATOMIC_ACQUIRE);
	return pk_is_avail(flags, vq->avail_wrap);
}

/* Position of (slot, wrap) on a circle of 2 * size: one step per slot, as the driver counts. */
static inline uint32_t
pk_pos(uint16_t slot, bool wrap, uint16_t size)
{
	return (uint32_t)slot + (wrap ? size : 0);
}

/* Steps forward from position from to position to (both < 2 * size) on that circle. */
static inline uint32_t
pk_dist(uint32_t from, uint32_t to, uint16_t size)
{
	return to >= from ? to - from : to + 2u * size - from;
}

/*
 * The driver's wish for the used descriptors written at positions [old_pos, new_pos) of the
 * circle, a window shorter than the circle; the caller orders the read. valid false: the first
 * decision after a (re)start or after a burst that published RX twice (pk_rx_make_room), whose
 * window cannot be trusted, so DESC calls.
 *
 * Read without a fence (the lazy decision), the driver event area steals no line from the
 * guest's datapath: it is 4 bytes in a line of their own (DPDK's virtio driver puts it right
 * after the descriptor array, size x 16 bytes, and the device area on the next 4 KiB boundary;
 * Linux allocates it apart from the descriptors), and the driver writes it only when its wish
 * changes: a polling driver (DPDK's PMD, Linux's NAPI while it polls) once, to DISABLE, so the
 * line stays shared in both caches and this load hits. A driver that wants interrupts with
 * EVENT_IDX (DESC) rewrites off_wrap as it consumes used descriptors; then the line is read here
 * as the fenced decision has always read it.
 */
static inline bool
pk_wants_call(const struct vl_vring *vq, const struct vl_vring_opts *opts, uint32_t old_pos,
	      uint32_t new_pos, bool valid)
{
	uint32_t event_pos;
	uint16_t flags, off_wrap;

	/* Acquire: pairs with the driver's write barrier between off_wrap and flags. */
	flags = __atomic_load_n(&vq->driver_event->flags, __ATOMIC_ACQUIRE);
	if (flags == VL_VRING_EVENT_F_DISABLE)
		return false;
	/* ENABLE, or DESC without EVENT_IDX, or garbage: call rather than leave it waiting. */
	if (flags != VL_VRING_EVENT_F_DESC || !opts->event_idx || !valid)
		return true;
	off_wrap = __atomic_load_n(&vq->driver_event->off_wrap, __ATOMIC_RELAXED);
	if ((off_wrap & 0x7fffu) >= vq->size)
		return true;
	event_pos =
		pk_pos(off_wrap & 0x7fffu, (off_wrap >> VL_VRING_PACKED_WRAP_BIT) != 0, vq->size);
	/* Call if the driver's event descriptor is among those written in the window. */
	return pk_dist(old_pos, event_pos, vq->size) < pk_dist(old_pos, new_pos, vq->size);
}

bool
vring_packed_call_settle(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	bool call;

	/* The same store->load fence as vl_vring_packed_need_call: every used descriptor of the
	 * owed decisions is visible before we read the driver's wishes once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	call = pk_wants_call(vq, opts,
			     pk_pos(vq->call_owed_from, vq->call_owed_from_wrap, vq->size),
			     pk_pos(vq->signalled_used, vq->signalled_used_wrap, vq->size), true);
	vq->nb_call_owed = 0;
	return call;
}

/*
 * One decision for what was published since the previous one, fenced or lazy: vl_vring.c's
 * vring_call_decide on positions of the circle (slot and wrap counter), with the same owed
 * bookkeeping (call_owed_from, nb_call_owed) and the same settle (vl_vring_call_settle). A fenced
 * decision also covers the owed window before it, and so does a call (the eventfd write that
 * follows takes a lock in the kernel before the guest is woken). One more bound than on split
 * rings: the owed window is settled before it reaches the ring size. The event offset names a
 * position on a circle of only 2 x size, and a burst publishes at most size slots per ring, so
 * a window kept below size plus one burst stays shorter than the circle, where [old, new) is
 * unambiguous. (A split ring's 16-bit indices give 65536 entries of room; 8 bursts fit there.)
 */
static inline bool
pk_call_decide(struct vl_vring *vq, const struct vl_vring_opts *opts, bool fenced)
{
	uint16_t old_slot = vq->signalled_used;
	bool old_wrap = vq->signalled_used_wrap, valid = vq->signalled_used_valid, call;
	uint32_t new_pos;

	if (fenced) {
		/* Store->load: our used flags must be visible before we read the driver's wishes
		 * (pairs with the driver's fence between writing its event area and reading our
		 * flags). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (vq->nb_call_owed != 0) {
			old_slot = vq->call_owed_from;
			old_wrap = vq->call_owed_from_wrap;
		}
	}
	if (vq->last_used_idx == old_slot && vq->used_wrap == old_wrap)
		return false; /* nothing published since the previous decision */
	new_pos = pk_pos(vq->last_used_idx, vq->used_wrap, vq->size);
	vq->signalled_used = vq->last_used_idx;
	vq->signalled_used_wrap = vq->used_wrap;
	vq->signalled_used_valid = true;
	call = pk_wants_call(vq, opts, pk_pos(old_slot, old_wrap, vq->size), new_pos, valid);
	if (unlikely(!valid) && opts->event_idx && !call && !fenced) {
		/* The first decision after a restart (or a burst that published RX twice) has no
		 * window an event offset can be owed against: decide it fenced, which settles
		 * everything before it. (Without EVENT_IDX no window is looked at.) */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		call = pk_wants_call(vq, opts, 0, 0, false);
		fenced = true;
	}
	if (call || fenced) {
		vq->nb_call_owed = 0;
		return call;
	}
	if (vq->nb_call_owed == 0) {
		vq->call_owed_from = old_slot;
		vq->call_owed_from_wrap = old_wrap;
	}
	if (++vq->nb_call_owed < VL_VRING_CALL_OWED_MAX &&
	    pk_dist(pk_pos(vq->call_owed_from, vq->call_owed_from_wrap, vq->size), new_pos,
		    vq->size) < vq->size)
		return false;
	return vring_packed_call_settle(vq, opts); /* a bound: settle now */
}

bool
vl_vring_packed_need_call(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	return pk_call_decide(vq, opts, true);
}

bool
vl_vring_packed_need_call_lazy(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	return pk_call_decide(vq, opts, false);
}

/* ---- publish ------------------------------------------------------------------------------ */

/*
 * len and id of a used descriptor as the low 48 bits of bytes 8-15 of its slot read as one
 * little-endian word; the flags go in the top 16 (pk_publish_ring ORs them in).
 */
static inline uint64_t
pk_used_word(const struct pk_used *u)
{
	return (uint64_t)u->len | (uint64_t)u->id << 32;
}

/* The flags of a used descriptor in phase wrap, in the top 16 bits of that word. */
static inline uint64_t
pk_used_word_flags(bool wrap)
{
	return (uint64_t)pk_used_flags(wrap) << 48;
}

/*
 * Write nb used descriptors at vq's used cursor and hand them to the driver at once. The driver
 * reads used descriptors in ring order starting at its cursor, which is our first one: until
 * that one's flags say used, it looks at none of the others, and it reads a descriptor's id and
 * length only after its flags (with a read barrier).
 *
 * So every descriptor but the first is written with one 8-byte store of its length, id and
 * flags (bytes 8-15 of the slot, aligned: the driver sees all three or none), one store per
 * slot instead of three in a line the driver shares; the first's length and id go before a
 * release fence and its flags last, with a release store: the driver sees the whole batch or
 * none of it. A descriptor ring not 8-byte aligned (the spec asks 16), or a big-endian host,
 * takes separate stores.
 *
 * The loop keeps the ring size and the flags word in locals: its stores go through a uint64_t
 * pointer, which the compiler must assume may alias *vq, and reloading vq->size and rebuilding
 * the flags for every descriptor took 24 instructions per descriptor instead of 16 (13 per
 * looped frame over both rings: vl-micro-vring-packed under callgrind).
 */
static void
pk_publish_ring(struct vl_vring *vq, const struct pk_used *shadow, uint32_t nb)
{
	struct vl_vring_packed_desc *ring = vq->pdesc;
	const uint32_t size = vq->size;
	const uint16_t head_slot = vq->last_used_idx;
	const bool head_wrap = vq->used_wrap;
	uint32_t slot = head_slot;
	bool wrap = head_wrap;

	if (nb == 0)
		return;
	/* 1. The first one's id and length: a slot we consumed, which the driver does not read
	 * until its flags change. */
	ring[slot].id = shadow[0].id;
	ring[slot].len = shadow[0].len;
	slot += shadow[0].count;
	if (slot >= size) {
		slot -= size;
		wrap = !wrap;
	}
	/* 2. The others, whole: the driver does not look at them before the first one. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (likely(((uintptr_t)ring & 7) == 0)) {
		uint64_t flags_word = pk_used_word_flags(wrap);

		for (uint32_t i = 1; i < nb; i++) {
			__atomic_store_n((uint64_t *)(void *)&ring[slot].len,
					 pk_used_word(&shadow[i]) | flags_word, __ATOMIC_RELAXED);
			slot += shadow[i].count;
			if (unlikely(slot >= size)) {
				slot -= size;
				wrap = !wrap;
				flags_word = pk_used_word_flags(wrap);
			}
		}
	} else
#endif
	{
		for (uint32_t i = 1; i < nb; i++) {
			ring[slot].id = shadow[i].id;
			ring[slot].len = shadow[i].len;
			__atomic_store_n(&ring[slot].flags, pk_used_flags(wrap), __ATOMIC_RELEASE);
			slot += shadow[i].count;
			if (slot >= size) {
				slot -= size;
				wrap = !wrap;
			}
		}
	}
	/* 3. The first descriptor's flags last (release: after every store above, and after the
	 * RX frame data copied earlier). Pairs with the driver's acquire of the flags at its used
	 * cursor followed by its read barrier: it sees the whole batch or none. */
	__atomic_store_n(&ring[head_slot].flags, pk_used_flags(head_wrap), __ATOMIC_RELEASE);
	vq->last_used_idx = (uint16_t)slot;
	vq->used_wrap = wrap;
}

/*
 * pk_publish_ring with the dirty log on: the RX buffers are marked before their used flags hand
 * them back (the driver may then rewrite their slots), the used descriptors after.
 */
static void __attribute__((noinline, cold))
pk_publish_logged(struct vl_vring *vq, const struct pk_used *shadow, uint32_t nb,
		  const struct vl_mem *mem)
{
	const uint16_t head_slot = vq->last_used_idx;
	uint16_t slot = head_slot;
	bool wrap = vq->used_wrap;
	uint32_t nb_slots = 0;

	for (uint32_t i = 0; i < nb; i++) {
		if (shadow[i].len != 0)
			vring_log_packed_chain(vq, mem, slot, shadow[i].count, shadow[i].len);
		pk_advance(&slot, &wrap, shadow[i].count, vq->size);
		nb_slots += shadow[i].count;
	}
	pk_publish_ring(vq, shadow, nb);
	vring_log_packed_ring(vq, head_slot, nb_slots);
}

/* Publish one ring's shadow, logged or not (mid-burst: the rare intermediate RX publish). */
static void
pk_publish(struct vl_vring *vq, const struct pk_used *shadow, uint32_t nb, const struct vl_mem *mem)
{
	if (unlikely(vq->log != NULL))
		pk_publish_logged(vq, shadow, nb, mem);
	else
		pk_publish_ring(vq, shadow, nb);
}

/* ---- burst -------------------------------------------------------------------------------- */

struct pk_ctx {
	struct vl_vring *tx;
	struct vl_vring *rx;
	const struct vl_mem *mem;
	const struct vl_vring_opts *opts;
	struct vl_vring_burst *res;
	/* Avail cursors (next head), and ring slots consumed but not yet published. */
	uint16_t tx_slot;
	uint16_t rx_slot;
	bool tx_wrap;
	bool rx_wrap;
	uint16_t tx_inflight;
	uint16_t rx_inflight;
	uint32_t tx_hint;
	uint32_t rx_hint;
	uint32_t nb_tx_shadow;
	uint32_t nb_rx_shadow;
	struct pk_used tx_shadow[VL_VRING_BURST_MAX];
	struct pk_used rx_shadow[PK_RX_SHADOW];
	/* NULL, or where each looped frame landed is recorded (..._loop_burst_observed). */
	struct vl_vring_observer *obs;
	uint32_t nb_obs;
};

enum pk_result {
	PK_NEXT, /* frame looped or dropped, TX chain returned: go on */
	PK_STOP, /* a vring broke: publish and return */
};

/* Return the walked TX chain (used length 0); with IN_ORDER, fold it into the previous one. */
static inline void
pk_tx_return(struct pk_ctx *c, const struct vring_walk *tw)
{
	if (c->opts->in_order && c->nb_tx_shadow != 0) {
		struct pk_used *u = &c->tx_shadow[c->nb_tx_shadow - 1];

		/* One used descriptor for the batch: the last buffer id, every slot. */
		u->id = tw->id;
		u->count = (uint16_t)(u->count + tw->count);
	} else {
		c->tx_shadow[c->nb_tx_shadow++] =
			(struct pk_used){.id = tw->id, .count = tw->count, .len = 0};
	}
	c->tx_slot = tw->slot;
	c->tx_wrap = tw->wrap;
	c->tx_inflight = (uint16_t)(c->tx_inflight + tw->count);
	c->res->nb_tx_done++;
}

/* Open the RX chain at (slot, wrap): 1, 0 if none is available, or -fault. */
static inline int
pk_rx_open(struct pk_ctx *c, struct vring_walk *w, uint16_t slot, bool wrap, uint16_t budget)
{
	uint16_t flags;
	int st;

	/* Pairs with the driver's release of the head flags: the chain is written before. */
	flags = __atomic_load_n(&c->rx->pdesc[slot].flags, __ATOMIC_ACQUIRE);
	st = pk_head_state(flags, wrap);
	if (st <= 0)
		return st;
	walk_init_packed(w, c->rx, slot, wrap, flags, budget, VL_VRING_DESC_F_WRITE, c->mem,
			 &c->rx_hint, c->opts->indirect);
	return 1;
}

/* The frame's RX chain number nb_bufs, pending at rx_shadow[nb_rx_shadow + nb_bufs]. */
static inline struct pk_used *
pk_rx_pending(struct pk_ctx *c, uint32_t nb_bufs)
{
	return &c->rx_shadow[c->nb_rx_shadow + nb_bufs];
}

/* vring_rx_close_fn: the last RX chain may go on past what the frame needed: its end and id. */
static inline int
pk_frame_rx_close(void *vc, struct vring_frame *f, struct vring_walk *rw)
{
	struct pk_ctx *c = vc;
	int ret = walk_finish_packed(rw);

	if (unlikely(ret < 0))
		return ret;
	*pk_rx_pending(c, f->nb_bufs - 1) =
		(struct pk_used){.id = rw->id, .count = rw->count, .len = f->buf_bytes};
	f->rx_slots += rw->count;
	return 0;
}

/* vring_rx_open_fn: the RX chain after the ones the frame took (walked to their ends). */
static inline int
pk_frame_rx_open(void *vc, struct vring_frame *f, struct vring_walk *rw)
{
	struct pk_ctx *c = vc;

	if (f->nb_bufs == 0)
		return pk_rx_open(c, rw, c->rx_slot, c->rx_wrap,
				  (uint16_t)(c->rx->size - c->rx_inflight));
	*pk_rx_pending(c, f->nb_bufs - 1) =
		(struct pk_used){.id = rw->id, .count = rw->count, .len = f->buf_bytes};
	f->rx_slots += rw->count;
	return pk_rx_open(c, rw, rw->slot, rw->wrap,
			  (uint16_t)(c->rx->size - c->rx_inflight - f->rx_slots));
}

/*
 * One frame: the TX chain at the TX cursor (head flags already read) into one RX chain, or as
 * many as it takes with MRG_RXBUF. Nothing is committed until the frame is complete.
 */
static enum pk_result
pk_frame(struct pk_ctx *c, uint16_t tx_head_flags)
{
	struct vring_walk tw, rw;
	struct vring_frame f;
	enum vring_frame_end end;
	int ret;

	walk_init_packed(&tw, c->tx, c->tx_slot, c->tx_wrap, tx_head_flags,
			 (uint16_t)(c->tx->size - c->tx_inflight), 0, c->mem, &c->tx_hint,
			 c->opts->indirect);
	end = vring_frame_copy(c, &tw, &rw, &f, c->opts, PK_RX_BUFS_MAX, c->obs, &c->nb_obs, true,
			       pk_frame_rx_open, pk_frame_rx_close);
	switch (end) {
	case VRING_FRAME_LOOPED:
		/* Commit the RX buffers. */
		c->nb_rx_shadow += f.nb_bufs;
		c->rx_slot = rw.slot;
		c->rx_wrap = rw.wrap;
		c->rx_inflight = (uint16_t)(c->rx_inflight + f.rx_slots);
		c->res->nb_frames++;
		c->res->nb_bytes += f.payload_bytes;
		c->res->nb_rx_bufs += f.nb_bufs;
		break;
	case VRING_FRAME_TX_FAULT:
		c->tx->fault = f.fault;
		return PK_STOP;
	case VRING_FRAME_RX_FAULT:
		/* RX buffers written so far are not consumed, and the TX chain stays available. */
		c->rx->fault = f.fault;
		return PK_STOP;
	default:
		/* The RX buffers stay available; the TX chain goes back once we know where it
		 * ends. */
		ret = walk_finish_packed(&tw);
		if (unlikely(ret < 0)) {
			c->tx->fault = (enum vl_vring_fault) - ret;
			return PK_STOP;
		}
		(*vring_frame_drop_counter(c->res, end))++;
		break;
	}
	pk_tx_return(c, &tw);
	return PK_NEXT;
}

/* ---- fast path: batches of the common layouts ---------------------------------------------- */

/*
 * A TX head read once ahead of the batch: its descriptor (flags: the value the availability
 * check saw), the frame's descriptor after a header-alone head, or its indirect table
 * translated and prefetched.
 */
struct pk_tx_head {
	struct vl_vring_packed_desc d;
	struct vl_vring_packed_desc d2; /* nb_slots == 2: the second ring descriptor */
	const uint8_t *table;		/* INDIRECT with 1 or 2 entries in one region, else NULL */
	uint16_t nb_slots;		/* ring slots of the chain: 1 or 2 */
};

/* One copy of the batch, resolved ahead so that the misses of the whole batch overlap. */
struct pk_job {
	const uint8_t *src; /* TX payload (after the header) */
	uint8_t *dst;	    /* RX buffer: header, then payload */
	uint32_t len_bytes; /* payload */
};

/*
 * Read up to nb TX heads from the avail cursor, without consuming anything, and start the next
 * level of misses for all of them at once (indirect tables translated and prefetched). Takes
 * the chain shapes the batch can resolve: one ring slot, or a header-alone head and one more
 * slot. Stops at the first head that is not available or has another shape (the caller then
 * reads that head again and gives it to the walker, which also turns every malformed case into
 * its fault). Returns the heads read.
 */
static inline uint32_t
pk_tx_scan(struct pk_ctx *c, struct pk_tx_head *th, uint32_t nb)
{
	const struct vl_vring *tx = c->tx;
	const struct vl_vring_packed_desc *ring = tx->pdesc;
	const uint16_t bad_next = VL_VRING_DESC_F_INDIRECT | VL_VRING_DESC_F_WRITE;
	uint16_t slot = c->tx_slot;
	bool wrap = c->tx_wrap;
	uint32_t inflight = c->tx_inflight, i;

	for (i = 0; i < nb; i++) {
		struct pk_tx_head *h = &th[i];
		uint16_t flags;

		if (inflight >= tx->size)
			break;
		/* Pairs with the driver's release of the head flags: the chain is written before.
		 */
		flags = __atomic_load_n(&ring[slot].flags, __ATOMIC_ACQUIRE);
		if (pk_head_state(flags, wrap) != 1)
			break;
		memcpy(&h->d, &ring[slot], sizeof(h->d));
		vring_compiler_barrier();
		h->d.flags = flags;
		h->table = NULL;
		h->nb_slots = 1;
		if (flags & VL_VRING_DESC_F_NEXT) {
			/* Header alone, then the frame in the next slot (its own phase). */
			uint16_t slot2 = slot + 1u == tx->size ? 0 : (uint16_t)(slot + 1u);
			bool wrap2 = slot2 == 0 ? !wrap : wrap;

			if ((flags & bad_next) != 0 || inflight + 2u > tx->size)
				break;
			memcpy(&h->d2, &ring[slot2], sizeof(h->d2));
			vring_compiler_barrier();
			if (!pk_is_avail(h->d2.flags, wrap2) ||
			    (h->d2.flags & (VL_VRING_DESC_F_NEXT | bad_next)) != 0)
				break;
			h->nb_slots = 2;
		} else if ((flags & bad_next) == VL_VRING_DESC_F_INDIRECT && c->opts->indirect &&
			   (h->d.len == VRING_DESC_BYTES || h->d.len == 2 * VRING_DESC_BYTES)) {
			uint64_t len = h->d.len;
			const uint8_t *t = mem_translate(c->mem, h->d.addr, &len, &c->tx_hint);

			if (likely(t != NULL) && len == h->d.len) {
				h->table = t;
				__builtin_prefetch(t);
				__builtin_prefetch(t + len - 1);
			}
		}
		pk_advance(&slot, &wrap, h->nb_slots, tx->size);
		inflight += h->nb_slots;
	}
	return i;
}

/*
 * The TX layouts the batch takes, each descriptor read once into a local and checked:
 *   - one descriptor: header + frame (modern drivers, DPDK's virtio PMD);
 *   - the header alone in one descriptor, the frame in the next slot (legacy and
 *     non-ANY_LAYOUT drivers);
 *   - one INDIRECT descriptor whose table holds either of those (Linux for multi-fragment skbs,
 *     DPDK's virtio PMD when the header cannot go into the headroom).
 * The frame must be contiguous in one memory region. Returns true with *payload (after the
 * header), *payload_len and the buffer id set; false sends the frame to the walker, so nothing
 * here needs to tell malformed from uncommon: it only never accepts what the walker refuses.
 */
static inline __attribute__((always_inline)) bool
pk_tx_resolve(struct pk_ctx *c, const struct pk_tx_head *h, uint32_t hdr_len,
	      const uint8_t **payload, uint32_t *payload_len, uint16_t *id)
{
	struct vl_vring_packed_desc hd, pd;
	bool two;

	*id = h->d.id; /* the chain's last ring descriptor carries the buffer id */
	if (h->nb_slots == 2) {
		hd = h->d;
		pd = h->d2;
		*id = pd.id;
		two = true;
	} else if (h->d.flags & VL_VRING_DESC_F_INDIRECT) {
		if (h->table == NULL)
			return false;
		/* memcpy: a table in guest memory need not be aligned. No nested tables; the
		 * entries' NEXT flag and id mean nothing; WRITE is tolerated on TX entries (see
		 * walk_step_packed). */
		memcpy(&hd, h->table, sizeof(hd));
		vring_compiler_barrier();
		two = h->d.len == 2 * VRING_DESC_BYTES;
		if (two) {
			memcpy(&pd, h->table + VRING_DESC_BYTES, sizeof(pd));
			vring_compiler_barrier();
			if (pd.flags & VL_VRING_DESC_F_INDIRECT)
				return false;
		}
		if (hd.flags & VL_VRING_DESC_F_INDIRECT)
			return false;
	} else {
		hd = h->d;
		if (hd.flags & VL_VRING_DESC_F_WRITE)
			return false;
		two = false;
	}
	if (*id >= c->tx->size)
		return false;
	if (!two)
		return vring_tx_buf_take(c->mem, &c->tx_hint, hd.addr, hd.len, hdr_len, payload,
					 payload_len);
	/* Header alone, then the frame: the header must translate as the walker would. */
	if (hd.len != hdr_len || pd.len > VL_VRING_FRAME_MAX_BYTES)
		return false;
	return vring_tx_buf_take(c->mem, &c->tx_hint, hd.addr, hd.len, hdr_len, payload,
				 payload_len) &&
	       vring_tx_buf_take(c->mem, &c->tx_hint, pd.addr, pd.len, 0, payload, payload_len);
}

/* vring_prefetchw every line of [from, to). */
static inline void
pk_prefetchw_range(uintptr_t from, uintptr_t to)
{
	for (uintptr_t line = from & ~(uintptr_t)63; line < to; line += 64)
		vring_prefetchw((const void *)line);
}

/*
 * Prefetch for writing the descriptor lines of nb (<= size) slots from slot on: the burst
 * writes their used descriptors at the publish. A store to a line another core holds waits for
 * it, stores leave the store buffer in order, and the fence after the publish waits for all of
 * them; asked for together and early, the ownership requests overlap each other and the copies.
 * With skip_first, not the line of slot: it holds the first used descriptor of the publish,
 * whose flags a waiting driver polls; taking it early would only bounce it once more.
 */
static inline void
pk_desc_prefetchw(const struct vl_vring *vq, uint16_t slot, uint32_t nb, bool skip_first)
{
	const uint32_t end = (uint32_t)slot + nb;
	uintptr_t from = (uintptr_t)&vq->pdesc[slot];

	if (skip_first)
		from = (from | 63) + 1;
	pk_prefetchw_range(from, (uintptr_t)&vq->pdesc[VL_MIN(end, (uint32_t)vq->size)]);
	if (end > vq->size) /* past the end of the ring: the rest from slot 0 */
		pk_prefetchw_range((uintptr_t)&vq->pdesc[0], (uintptr_t)&vq->pdesc[end - vq->size]);
}

/*
 * Resolve th[0..nb) one by one (TX layout, one RX descriptor big enough for the frame, both
 * translated, the buffers' first and last lines prefetched), then do the copies back to back
 * while their misses are in flight. Stops at the first frame it cannot take (nothing of it is
 * consumed). Returns the frames looped.
 */
static inline __attribute__((always_inline)) uint32_t
pk_fast_batch(struct pk_ctx *c, const struct pk_tx_head *th, uint32_t nb, bool hdr12)
{
	const uint32_t hdr_len = hdr12 ? 12 : 10;
	const uint16_t rx_bad = VL_VRING_DESC_F_NEXT | VL_VRING_DESC_F_INDIRECT;
	struct vl_vring *tx = c->tx, *rx = c->rx;
	struct pk_job jobs[VL_VRING_BURST_MAX];
	uint64_t nb_bytes = 0;
	uint32_t i, nb_tx_slots = 0;

	/* The TX heads read (available: the driver is done with their lines) and the RX
	 * descriptors the batch is going to take, one per frame: each gets a used descriptor. */
	for (i = 0; i < nb; i++)
		nb_tx_slots += th[i].nb_slots;
	pk_desc_prefetchw(tx, c->tx_slot, nb_tx_slots, c->nb_tx_shadow == 0);
	pk_desc_prefetchw(rx, c->rx_slot, VL_MIN(nb, (uint32_t)(rx->size - c->rx_inflight)),
			  c->nb_rx_shadow == 0);
	for (i = 0; i < nb; i++) {
		struct vl_vring_packed_desc rd;
		const uint8_t *src;
		uint32_t payload_len, frame_len;
		uint64_t rx_len;
		uint16_t rx_flags, tx_id;
		uint8_t *dst;

		if (!pk_tx_resolve(c, &th[i], hdr_len, &src, &payload_len, &tx_id))
			break;
		if (c->rx_inflight >= rx->size)
			break;
		/* Pairs with the driver's release of the RX head flags. */
		rx_flags = __atomic_load_n(&rx->pdesc[c->rx_slot].flags, __ATOMIC_ACQUIRE);
		if (pk_head_state(rx_flags, c->rx_wrap) != 1 ||
		    (rx_flags & (rx_bad | VL_VRING_DESC_F_WRITE)) != VL_VRING_DESC_F_WRITE)
			break;
		memcpy(&rd, &rx->pdesc[c->rx_slot], sizeof(rd));
		vring_compiler_barrier();
		frame_len = hdr_len + payload_len;
		if (rd.id >= rx->size || rd.len < frame_len)
			break;
		rx_len = frame_len;
		dst = mem_translate(c->mem, rd.addr, &rx_len, &c->rx_hint);
		if (unlikely(dst == NULL) || rx_len != frame_len)
			break;
		/* First and last line of both buffers: a 64-byte frame plus its header spans two
		 * lines; the copies below then find them in flight. The header's line for reading
		 * (vring_rx_hdr_write usually leaves it alone). The frame's last line for writing
		 * (PREFETCHW) when the frame fits in two lines, for reading above that, as on split
		 * rings: at 1518 B the exclusive request cost more than it saved here too
		 * (docs/GUEST-COST.md, "The last line's prefetch on packed rings").
		 */
		__builtin_prefetch(src);
		__builtin_prefetch(src + payload_len - 1);
		__builtin_prefetch(dst);
		if (frame_len <= 128)
			vring_prefetchw(dst + frame_len - 1);
		else
			__builtin_prefetch(dst + frame_len - 1);
		jobs[i] = (struct pk_job){.src = src, .dst = dst, .len_bytes = payload_len};

		c->rx_shadow[c->nb_rx_shadow++] =
			(struct pk_used){.id = rd.id, .count = 1, .len = frame_len};
		if (++c->rx_slot == rx->size) {
			c->rx_slot = 0;
			c->rx_wrap = !c->rx_wrap;
		}
		c->rx_inflight++;
		if (c->opts->in_order && c->nb_tx_shadow != 0) {
			/* One used descriptor for the batch: the last buffer id, every slot. */
			struct pk_used *u = &c->tx_shadow[c->nb_tx_shadow - 1];

			u->id = tx_id;
			u->count = (uint16_t)(u->count + th[i].nb_slots);
		} else {
			c->tx_shadow[c->nb_tx_shadow++] =
				(struct pk_used){.id = tx_id, .count = th[i].nb_slots};
		}
		pk_advance(&c->tx_slot, &c->tx_wrap, th[i].nb_slots, tx->size);
		c->tx_inflight = (uint16_t)(c->tx_inflight + th[i].nb_slots);
	}

	/* Copy: back to back, the misses started above are in flight. */
	for (uint32_t j = 0; j < i; j++) {
		const struct pk_job *job = &jobs[j];

		vring_rx_hdr_write(job->dst, hdr12);
		vring_copy(job->dst + hdr_len, job->src, job->len_bytes);
		if (c->obs != NULL) /* folds away in vl_vring_packed_loop_burst */
			vring_observe(c->obs, &c->nb_obs, job->dst + hdr_len, job->len_bytes,
				      job->len_bytes);
		nb_bytes += job->len_bytes;
	}
	c->res->nb_frames += i;
	c->res->nb_rx_bufs += i;
	c->res->nb_tx_done += i;
	c->res->nb_bytes += nb_bytes;
	return i;
}

/*
 * Mergeable frames took many RX buffers: publish them to make room for the next frame(s) (the
 * observer sees their frames first). The burst may then take more than size RX slots if the
 * driver reposts meanwhile, and the interrupt decision's window [old, new) on the circle of
 * 2 x size would no longer say which slots were written: the next decision on this ring is
 * taken as the first after a restart (fenced; DESC calls).
 */
static inline void
pk_rx_make_room(struct pk_ctx *c)
{
	if (unlikely(c->nb_rx_shadow > VL_VRING_BURST_MAX)) {
		vring_observe_flush(c->obs, &c->nb_obs);
		pk_publish(c->rx, c->rx_shadow, c->nb_rx_shadow, c->mem);
		c->rx->signalled_used_valid = false;
		c->nb_rx_shadow = 0;
		c->rx_inflight = 0;
	}
}

/*
 * The burst: batches of the common layouts, and every other frame through the walker, in ring
 * order. Always inlined so that hdr12 folds to a constant in each caller (the header store and
 * the payload offset become immediates).
 */
static inline __attribute__((always_inline)) void
pk_run(struct pk_ctx *c, unsigned int nb_max, bool hdr12)
{
	struct pk_tx_head th[VL_VRING_BURST_MAX];
	unsigned int done = 0;

	while (done < nb_max) {
		uint32_t nb_heads, nb_fast;
		uint16_t flags;
		int st;

		/* A batch adds at most nb_max - done (<= VL_VRING_BURST_MAX) RX buffers. */
		pk_rx_make_room(c);
		nb_heads = pk_tx_scan(c, th, nb_max - done);
		nb_fast = pk_fast_batch(c, th, nb_heads, hdr12);
		done += nb_fast;
		if (done >= nb_max)
			break;
		/* The head at the cursor: not available (the burst ends), hostile, or a frame the
		 * batch does not take. Pairs with the driver's release of the head flags. */
		flags = __atomic_load_n(&c->tx->pdesc[c->tx_slot].flags, __ATOMIC_ACQUIRE);
		st = pk_head_state(flags, c->tx_wrap);
		if (st == 0)
			break;
		if (unlikely(st < 0)) {
			c->tx->fault = (enum vl_vring_fault) - st;
			break;
		}
		/* pk_frame may take PK_RX_BUFS_MAX more RX buffers. */
		pk_rx_make_room(c);
		if (pk_frame(c, flags) == PK_STOP)
			break;
		done++;
	}
}

/* pk_finish with the dirty log on (lib/dev attaches it to both vrings of a pair or neither). */
static void __attribute__((noinline, cold)) pk_finish_logged(struct pk_ctx *c)
{
	if (c->rx != NULL) {
		pk_publish(c->rx, c->rx_shadow, c->nb_rx_shadow, c->mem);
		c->rx->last_avail_idx = c->rx_slot;
		c->rx->avail_wrap = c->rx_wrap;
		c->rx->region_hint = c->rx_hint;
	}
	pk_publish(c->tx, c->tx_shadow, c->nb_tx_shadow, c->mem);
	c->tx->last_avail_idx = c->tx_slot;
	c->tx->avail_wrap = c->tx_wrap;
	c->tx->region_hint = c->tx_hint;
}

/* Publish what the burst did (RX first: a guest that sees its TX done also sees the frames). */
static void
pk_finish(struct pk_ctx *c)
{
	if (unlikely(c->tx->log != NULL)) { /* dirty logging's one branch when it is off */
		pk_finish_logged(c);
		return;
	}
	if (c->rx != NULL) {
		pk_publish_ring(c->rx, c->rx_shadow, c->nb_rx_shadow);
		c->rx->last_avail_idx = c->rx_slot;
		c->rx->avail_wrap = c->rx_wrap;
		c->rx->region_hint = c->rx_hint;
	}
	pk_publish_ring(c->tx, c->tx_shadow, c->nb_tx_shadow);
	c->tx->last_avail_idx = c->tx_slot;
	c->tx->avail_wrap = c->tx_wrap;
	c->tx->region_hint = c->tx_hint;
}

/*
 * Far-end idle poll: true when this poll should look no further. A packed ring's descriptors
 * are made available one by one, four to a 64-byte line, front to back: a poller that reads the
 * flags at its TX cursor reads the line the guest writes next, over and over while idle, so
 * each of the guest's stores into it may have to take the line back first (and the guest's
 * fence before its kick check waits for those stores). So, only while the guest saturates the
 * ring (the last burst that moved frames was a full one: tx_far_slots != 0, the TX slots it
 * took), we read just the slot where the next such burst ends until it is available, for at
 * most VL_MIN(max_polls, PK_FAR_IDLE_POLLS) polls in a row. When that bound runs out the guest
 * is not sending full bursts any more: back to the cursor (tx_far_slots = 0) until a full burst
 * again. After any shorter burst every poll reads the cursor, so a guest below full rate sees
 * exactly the cursor poll (and its latency).
 * The far slot is only a hint for when to look: the burst checks every head as always, so a
 * guest writing anything there gets no frame taken and no fault for it, only the bounded wait.
 */
static inline bool
pk_tx_far_idle(struct vl_vring *tx, uint16_t max_polls)
{
	uint32_t e = VL_MIN((uint32_t)tx->tx_far_slots, (uint32_t)tx->size);
	uint16_t slot = tx->last_avail_idx, flags;
	bool wrap = tx->avail_wrap;

	if (e <= 1)
		return false;
	if (tx->nb_lag_polls >= VL_MIN(max_polls, PK_FAR_IDLE_POLLS)) {
		tx->nb_lag_polls = 0;
		tx->tx_far_slots = 0;
		return false;
	}
	pk_advance(&slot, &wrap, e - 1, tx->size);
	flags = __atomic_load_n(&tx->pdesc[slot].flags, __ATOMIC_RELAXED);
	if (pk_is_avail(flags, wrap)) {
		tx->nb_lag_polls = 0;
		return false;
	}
	tx->nb_lag_polls++;
	/* And stay off that line a little longer: the guest writes four descriptors into it,
	 * and each of our reads between its stores takes it away from the guest once more. */
	for (unsigned int k = 0; k < PK_FAR_IDLE_PAUSES; k++)
		vring_pause();
	return true;
}

/* Always inlined so that obs == NULL folds the observer out of vl_vring_packed_loop_burst. */
static __attribute__((always_inline)) inline unsigned int
pk_loop_burst(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
	      const struct vl_vring_opts *opts, unsigned int max_burst, struct vl_vring_burst *res,
	      struct vl_vring_observer *obs)
{
	struct pk_ctx c;
	unsigned int nb_max = VL_MIN(max_burst, (unsigned int)VL_VRING_BURST_MAX);

	*res = (struct vl_vring_burst){0};
	if (unlikely(tx->fault != VL_VRING_FAULT_NONE || rx->fault != VL_VRING_FAULT_NONE))
		return 0;
	if (unlikely(opts->hdr_len != 10 && opts->hdr_len != 12) || !tx->packed || !rx->packed)
		return 0;
	if (opts->rx_lag_polls != 0 && pk_tx_far_idle(tx, opts->rx_lag_polls))
		return 0;

	c.tx = tx;
	c.rx = rx;
	c.mem = mem;
	c.opts = opts;
	c.res = res;
	c.tx_slot = tx->last_avail_idx;
	c.tx_wrap = tx->avail_wrap;
	c.rx_slot = rx->last_avail_idx;
	c.rx_wrap = rx->avail_wrap;
	c.tx_inflight = 0;
	c.rx_inflight = 0;
	c.tx_hint = tx->region_hint;
	c.rx_hint = rx->region_hint;
	c.nb_tx_shadow = 0;
	c.nb_rx_shadow = 0;
	c.obs = obs;
	c.nb_obs = 0;

	if (opts->hdr_len == VRING_HDR_LEN_MAX)
		pk_run(&c, nb_max, true);
	else
		pk_run(&c, nb_max, false);
	vring_observe_flush(c.obs, &c.nb_obs);
	pk_finish(&c);
	/* Far-end idle polls only after a full burst (pk_tx_far_idle). */
	if (res->nb_tx_done != 0)
		tx->tx_far_slots = res->nb_tx_done >= nb_max ? c.tx_inflight : 0;
	return res->nb_tx_done;
}

unsigned int
vl_vring_packed_loop_burst(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
			   const struct vl_vring_opts *opts, unsigned int max_burst,
			   struct vl_vring_burst *res)
{
	return pk_loop_burst(tx, rx, mem, opts, max_burst, res, NULL);
}

unsigned int
vl_vring_packed_loop_burst_observed(struct vl_vring *tx, struct vl_vring *rx,
				    const struct vl_mem *mem, const struct vl_vring_opts *opts,
				    unsigned int max_burst, struct vl_vring_burst *res,
				    struct vl_vring_observer *obs)
{
	return pk_loop_burst(tx, rx, mem, opts, max_burst, res, obs);
}

unsigned int
vl_vring_packed_sink_burst(struct vl_vring *tx, const struct vl_vring_opts *opts,
			   unsigned int max_burst, struct vl_vring_burst *res)
{
	struct pk_ctx c;
	unsigned int nb_max = VL_MIN(max_burst, (unsigned int)VL_VRING_BURST_MAX);

	*res = (struct vl_vring_burst){0};
	if (unlikely(tx->fault != VL_VRING_FAULT_NONE) || !tx->packed)
		return 0;
	c.tx = tx;
	c.rx = NULL;
	c.mem = NULL;
	c.opts = opts;
	c.res = res;
	c.tx_slot = tx->last_avail_idx;
	c.tx_wrap = tx->avail_wrap;
	c.tx_inflight = 0;
	c.tx_hint = tx->region_hint;
	c.nb_tx_shadow = 0;
	for (unsigned int i = 0; i < nb_max; i++) {
		uint16_t flags = __atomic_load_n(&tx->pdesc[c.tx_slot].flags, __ATOMIC_ACQUIRE);
		int st = pk_head_state(flags, c.tx_wrap);
		struct vring_walk w;

		if (st == 0)
			break;
		if (st > 0) {
			/* Only the ring part: where the chain ends and its buffer id. */
			walk_init_packed(&w, tx, c.tx_slot, c.tx_wrap, flags,
					 (uint16_t)(tx->size - c.tx_inflight), 0, NULL, NULL,
					 opts->indirect);
			st = walk_finish_packed(&w);
		}
		if (unlikely(st < 0)) {
			tx->fault = (enum vl_vring_fault) - st;
			break;
		}
		pk_tx_return(&c, &w);
	}
	pk_finish(&c);
	return res->nb_tx_done;
}

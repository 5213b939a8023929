/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vring.c - split-ring direct datapath: guest TX chain -> guest RX buffers, one copy.
 *
 * Shape of a burst (vl_vring_loop_burst):
 *   1. read both avail idx once (acquire); with opts->rx_lag_polls, while the guest has posted
 *      fewer RX buffers than twice the pending frames, return and wait for its next refill (a
 *      bounded number of polls); read the burst's TX heads, prefetch their descriptors, read the
 *      head descriptors and prefetch what they point to (indirect table, next descriptor);
 *   2. resolve the common cases in a batch: a TX frame contiguous in one region, laid out as one
 *      descriptor (header + payload), the header alone then the payload (2 descriptors), or an
 *      indirect table of either, and one RX descriptor big enough for the whole frame; prefetch
 *      the buffers' first and last lines;
 *   3. do the batch's copies back to back (their cache misses overlap), used entries go to a local
 *      shadow;
 *   4. anything else (longer chains and tables, mergeable frames over several buffers, drops,
 *      hostile input) goes one frame at a time through the scatter walker, which streams the TX
 *      chain into the RX chain(s) and validates every descriptor it touches;
 *   5. flush the shadows (two memcpy runs when the ring wraps), one release store of each
 *      used->idx (RX first, then TX).
 *
 * Guest memory is hostile: every descriptor is copied to a local once and only the local is
 * used; every walk is bounded by its table size; every chunk is translated and clamped to its
 * region. Guest buffers may overlap each other, hence memmove instead of memcpy.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_vring.h"
#include "vring_priv.h"
#include "vring_walk.h"

static const char *const vring_fault_names[] = {
#define X(name, text) [VL_VRING_FAULT_##name] = text,
	VL_VRING_FAULTS(X)
#undef X
};

/* The lag's outcome sits in the padding after nb_frames: clearing *res costs what it did. */
_Static_assert(sizeof(struct vl_vring_burst) == 40, "struct vl_vring_burst grew");

const char *
vl_vring_fault_str(enum vl_vring_fault fault)
{
	if ((unsigned int)fault >= VL_VRING_FAULT_MAX)
		return "unknown fault";
	return vring_fault_names[fault];
}

/* ---- guest memory ------------------------------------------------------------------------- */

void *
vl_mem_translate(const struct vl_mem *mem, uint64_t gpa, uint64_t *len, uint32_t *hint)
{
	return mem_translate(mem, gpa, len, hint);
}

/* ---- control ------------------------------------------------------------------------------ */

int
vl_vring_init(struct vl_vring *vq, struct vl_vring_desc *desc, struct vl_vring_avail *avail,
	      struct vl_vring_used *used, uint16_t size, uint16_t last_avail_idx,
	      uint16_t last_used_idx)
{
	if (desc == NULL || avail == NULL || used == NULL || size == 0 ||
	    size > VL_VRING_SIZE_MAX || (size & (size - 1)) != 0)
		return -EINVAL;
	*vq = (struct vl_vring){
		.desc = desc,
		.avail = avail,
		.used = used,
		.size = size,
		.last_avail_idx = last_avail_idx,
		.last_used_idx = last_used_idx,
		.signalled_used = last_used_idx,
		.signalled_used_valid = false,
		.region_hint = 0,
		.fault = VL_VRING_FAULT_NONE,
	};
	return 0;
}

/* used->ring[size]: the device's avail_event (EVENT_IDX). */
static inline uint16_t *
vring_avail_event(const struct vl_vring *vq)
{
	return (uint16_t *)(void *)&vq->used->ring[vq->size];
}

/* avail->ring[size]: the driver's used_event (EVENT_IDX). */
static inline const uint16_t *
vring_used_event(const struct vl_vring *vq)
{
	return &vq->avail->ring[vq->size];
}

void
vl_vring_suppress_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	if (opts->event_idx) {
		/*
		 * The guest kicks when its avail idx crosses avail_event. One behind what we have
		 * consumed is never crossed by a guest that has at most size buffers outstanding;
		 * vl_vring_loop_burst keeps it there as last_avail_idx moves. With EVENT_IDX the
		 * device MUST keep flags at 0.
		 */
		__atomic_store_n(vring_avail_event(vq), (uint16_t)(vq->last_avail_idx - 1),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&vq->used->flags, VL_VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	/* Pairs with the guest's fence before it reads flags/avail_event to decide a kick. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool
vl_vring_enable_kicks(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	uint16_t avail_idx;

	if (opts->event_idx)
		/* The guest kicks once its avail idx passes avail_event: the next entry we read. */
		__atomic_store_n(vring_avail_event(vq), vq->last_avail_idx, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	/*
	 * Store->load: the guest writes avail->idx, fences, then reads flags/avail_event; we write
	 * those, fence, then read avail->idx. One of the two sees the other's store, so a frame
	 * posted before the guest saw kicks enabled is found here.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	return avail_idx != vq->last_avail_idx;
}

/* The virtio spec's vring_need_event: does moving used from old to new_used pass event? */
static inline bool
vring_need_event(uint16_t event, uint16_t new_used, uint16_t old)
{
	return (uint16_t)(new_used - event - 1) < (uint16_t)(new_used - old);
}

/* The guest's wish for the used entries (old, new_used]; the caller orders the read. */
static inline bool
vring_wants_call(const struct vl_vring *vq, const struct vl_vring_opts *opts, uint16_t old,
		 uint16_t new_used)
{
	if (opts->event_idx)
		return vring_need_event(__atomic_load_n(vring_used_event(vq), __ATOMIC_RELAXED),
					new_used, old);
	return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
		 VL_VRING_AVAIL_F_NO_INTERRUPT);
}

/* vring_wants_call for the lazy decision: NO_INTERRUPT as the burst read it. */
static inline bool
vring_wants_call_seen(const struct vl_vring *vq, const struct vl_vring_opts *opts, uint16_t old,
		      uint16_t new_used)
{
	if (opts->event_idx)
		return vring_wants_call(vq, opts, old, new_used);
	return !(vq->avail_flags & VL_VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * One decision for what was published since the previous one. Fenced, or lazy (no fence: a "no
 * call" is owed a fenced look, vl_vring_call_settle). A fenced decision also covers the entries of
 * the owed ones before it (its window starts where theirs did); so does a call: the eventfd write
 * that follows takes a lock in the kernel, so our stores are visible before the guest wakes.
 */
static inline bool
vring_call_decide(struct vl_vring *vq, const struct vl_vring_opts *opts, bool fenced)
{
	uint16_t new_used = vq->last_used_idx;
	uint16_t old_used = vq->signalled_used;
	bool valid = vq->signalled_used_valid, call;

	if (fenced) {
		/* Store->load: our used->idx store must be visible before we read the guest's
		 * wishes (pairs with the guest's fence between writing used_event/flags and reading
		 * used->idx). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (vq->nb_call_owed != 0)
			old_used = vq->call_owed_from;
	}
	if (new_used == old_used)
		return false; /* nothing added since the previous decision */
	vq->signalled_used = new_used;
	vq->signalled_used_valid = true;
	if (opts->event_idx && !valid)
		call = true; /* first decision after (re)start: old_used is not the guest's */
	else if (fenced)
		call = vring_wants_call(vq, opts, old_used, new_used);
	else
		call = vring_wants_call_seen(vq, opts, old_used, new_used);
	if (call || fenced) {
		vq->nb_call_owed = 0;
		return call;
	}
	if (vq->nb_call_owed == 0)
		vq->call_owed_from = old_used;
	if (++vq->nb_call_owed < VL_VRING_CALL_OWED_MAX)
		return false;
	return vl_vring_call_settle(vq, opts); /* the bound: settle now */
}

bool
vl_vring_need_call(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	return vring_call_decide(vq, opts, true);
}

bool
vl_vring_need_call_lazy(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	return vring_call_decide(vq, opts, false);
}

bool
vl_vring_call_settle(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	bool call;

	if (vq->nb_call_owed == 0)
		return false;
	if (vq->packed)
		return vring_packed_call_settle(vq, opts);
	/* The same store->load fence as vl_vring_need_call: every used->idx store of the owed
	 * decisions is visible before we read the guest's wishes once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	call = vring_wants_call(vq, opts, vq->call_owed_from, vq->signalled_used);
	vq->nb_call_owed = 0;
	return call;
}

/* ---- burst state -------------------------------------------------------------------------- */

struct vring_ctx {
	struct vl_vring *tx;
	struct vl_vring *rx;
	const struct vl_mem *mem;
	const struct vl_vring_opts *opts;
	struct vl_vring_burst *res;
	uint16_t rx_avail_idx; /* the guest's, read once this burst */
	uint16_t tx_next_idx;  /* next avail entry to take */
	uint16_t rx_next_idx;
	uint16_t tx_used_idx; /* next used entry to write into the guest ring */
	uint16_t rx_used_idx;
	uint32_t tx_hint;
	uint32_t rx_hint;
	/* RX heads read ahead for the batch: rx_heads[i] is avail entry rx_first_idx + i. */
	uint16_t rx_first_idx;
	uint16_t nb_rx_heads;
	uint16_t rx_heads[VL_VRING_BURST_MAX];
	/* NULL, or where each looped frame landed is recorded (vl_vring_loop_burst_observed). */
	struct vl_vring_observer *obs;
	uint32_t nb_obs;
};

static inline uint16_t
ctx_rx_head(const struct vring_ctx *c, uint16_t avail_idx)
{
	uint16_t i = (uint16_t)(avail_idx - c->rx_first_idx);

	if (i < c->nb_rx_heads)
		return c->rx_heads[i];
	return __atomic_load_n(&c->rx->avail->ring[avail_idx & (c->rx->size - 1)],
			       __ATOMIC_RELAXED);
}

static inline void
used_write(struct vl_vring *vq, uint16_t used_idx, uint16_t id, uint32_t len)
{
	struct vl_vring_used_elem e = {.id = id, .len = len};

	memcpy(&vq->used->ring[used_idx & (vq->size - 1)], &e, sizeof(e));
}

/*
 * A burst's worth of used entries is a few hundred bytes: 8-byte moves beat the `rep movsq` the
 * compiler emits for a variable-size memcpy (its start-up cost is paid twice per ring per burst).
 */
static inline void
used_copy(struct vl_vring_used_elem *dst, const struct vl_vring_used_elem *src, uint32_t nb)
{
	for (uint32_t i = 0; i < nb; i++) {
		dst[i].id = src[i].id;
		dst[i].len = src[i].len;
	}
}

/* Copy nb (<= ring size) shadow entries to the guest ring at *used_idx: two runs on a wrap. */
static inline void
used_flush(struct vl_vring *vq, uint16_t *used_idx, const struct vl_vring_used_elem *shadow,
	   uint32_t nb)
{
	uint32_t slot = *used_idx & (vq->size - 1);
	uint32_t first = VL_MIN(nb, (uint32_t)vq->size - slot);

	used_copy(&vq->used->ring[slot], shadow, first);
	if (nb > first)
		used_copy(&vq->used->ring[0], shadow + first, nb - first);
	*used_idx = (uint16_t)(*used_idx + nb);
}

/* ---- general path: one frame through the scatter walker ----------------------------------- */

enum vring_slow_result {
	VRING_SLOW_NEXT, /* frame looped or dropped, TX chain returned: go on */
	VRING_SLOW_STOP, /* a vring broke: publish and return */
};

/* Return the TX chain at the burst position with used.len 0 (the device wrote nothing). */
static inline void
slow_tx_return(struct vring_ctx *c, uint16_t tx_head)
{
	used_write(c->tx, c->tx_used_idx, tx_head, 0);
	c->tx_used_idx++;
	c->tx_next_idx++;
	c->res->nb_tx_done++;
}

static enum vring_slow_result
slow_tx_fault(struct vring_ctx *c, uint16_t tx_head, int neg_fault)
{
	slow_tx_return(c, tx_head); /* the head is valid: do not leak it */
	c->tx->fault = (enum vl_vring_fault) - neg_fault;
	return VRING_SLOW_STOP;
}

/* RX buffers written so far are not consumed, and the TX chain stays available. */
static enum vring_slow_result
slow_rx_fault(struct vring_ctx *c, int neg_fault)
{
	c->rx->fault = (enum vl_vring_fault) - neg_fault;
	return VRING_SLOW_STOP;
}

/* vring_rx_open_fn: the RX chain at avail entry rx_next_idx + f->nb_bufs. */
static inline int
slow_rx_open(void *vc, struct vring_frame *f, struct vring_walk *rw)
{
	struct vring_ctx *c = vc;
	uint16_t avail_idx = (uint16_t)(c->rx_next_idx + f->nb_bufs), head;

	if (f->nb_bufs > 0) /* invisible until used->idx moves past it */
		used_write(c->rx, (uint16_t)(c->rx_used_idx + f->nb_bufs - 1), rw->id,
			   f->buf_bytes);
	if (avail_idx == c->rx_avail_idx)
		return 0;
	head = ctx_rx_head(c, avail_idx);
	if (unlikely(head >= c->rx->size))
		return -VL_VRING_FAULT_HEAD_RANGE;
	walk_init_split(rw, c->rx, head, VL_VRING_DESC_F_WRITE, c->mem, &c->rx_hint,
			c->opts->indirect);
	return 1;
}

/* vring_rx_close_fn: the used entry of the frame's last RX chain. */
static inline int
slow_rx_close(void *vc, struct vring_frame *f, struct vring_walk *rw)
{
	struct vring_ctx *c = vc;

	used_write(c->rx, (uint16_t)(c->rx_used_idx + f->nb_bufs - 1), rw->id, f->buf_bytes);
	return 0;
}

/*
 * One frame, any layout: the walker streams the TX chain into one RX chain, or into as many as
 * it takes with MRG_RXBUF, the used entries go straight into the guest's used rings (invisible
 * until the used->idx store). Nothing is committed until the frame is complete, so a drop or a
 * fault midway leaves the RX buffers unconsumed.
 */
static enum vring_slow_result
vring_frame_slow(struct vring_ctx *c, uint16_t tx_head)
{
	struct vring_walk tw, rw;
	struct vring_frame f;
	enum vring_frame_end end;

	if (unlikely(tx_head >= c->tx->size)) {
		c->tx->fault = VL_VRING_FAULT_HEAD_RANGE; /* no valid head to return */
		return VRING_SLOW_STOP;
	}
	walk_init_split(&tw, c->tx, tx_head, 0, c->mem, &c->tx_hint, c->opts->indirect);
	/* A mergeable frame takes at most the ring's entries, far below UINT16_MAX. */
	end = vring_frame_copy(c, &tw, &rw, &f, c->opts, UINT16_MAX, c->obs, &c->nb_obs, false,
			       slow_rx_open, slow_rx_close);
	switch (end) {
	case VRING_FRAME_LOOPED:
		c->rx_next_idx = (uint16_t)(c->rx_next_idx + f.nb_bufs);
		c->rx_used_idx = (uint16_t)(c->rx_used_idx + f.nb_bufs);
		c->res->nb_frames++;
		c->res->nb_bytes += f.payload_bytes;
		c->res->nb_rx_bufs += f.nb_bufs;
		break;
	case VRING_FRAME_TX_FAULT:
		return slow_tx_fault(c, tx_head, -(int)f.fault);
	case VRING_FRAME_RX_FAULT:
		return slow_rx_fault(c, -(int)f.fault);
	default:
		(*vring_frame_drop_counter(c->res, end))++;
		break;
	}
	slow_tx_return(c, tx_head);
	return VRING_SLOW_NEXT;
}

/* ---- fast path: batches of single-descriptor frames --------------------------------------- */

struct vring_job {
	const uint8_t *src; /* TX payload (after the header) */
	uint8_t *dst;	    /* RX buffer: header, then payload */
	uint32_t len_bytes; /* payload */
};

/*
 * CLDEMOTE (NP 0f 1c /0): move a line from this core's caches towards the shared cache. Emitted as
 * raw bytes, so the build needs no -mcldemote and runs on any x86-64: the opcode sits in the
 * reserved hint-NOP space (0f 18..1f), and CPUs without CLDEMOTE (older Intel, AMD) execute it as a
 * NOP. It never faults (only a LOCK prefix raises #UD) and changes no architectural state.
 */
static inline void
vring_cldemote(const void *p)
{
#if defined(__x86_64__)
	asm volatile(".byte 0x0f, 0x1c, 0x06" : : "S"(p) : "memory");
#else
	(void)p;
#endif
}

/* Demote the descriptor lines of a burst's heads (masked into the table), each
 * line once when neighbouring heads share it. */
static inline void
vring_desc_demote(const struct vl_vring *vq, const uint16_t *heads, uint32_t nb)
{
	uintptr_t prev = 0;

	for (uint32_t i = 0; i < nb; i++) {
		uintptr_t line = (uintptr_t)&vq->desc[heads[i] & (vq->size - 1)] & ~(uintptr_t)63;

		if (line != prev)
			vring_cldemote((const void *)line);
		prev = line;
	}
}

/* A TX head descriptor read once ahead of the batch, and its indirect table translated. */
struct vring_tx_head {
	struct vl_vring_desc desc;
	const uint8_t *table; /* INDIRECT with a table of 1 or 2 entries in one region, else NULL */
};

/*
 * Read the burst's head descriptors (their lines were prefetched) and start the next level of
 * misses for all of them at once: the indirect tables, or the descriptor after a header-alone
 * one. vring_tx_resolve then works on these local copies.
 */
static inline void
vring_tx_heads_read(struct vring_ctx *c, const uint16_t *tx_heads, uint32_t nb_tx,
		    struct vring_tx_head *th)
{
	const struct vl_vring *tx = c->tx;

	for (uint32_t i = 0; i < nb_tx; i++) {
		struct vl_vring_desc *d = &th[i].desc;

		th[i].table = NULL;
		if (unlikely(tx_heads[i] >= tx->size)) {
			d->flags = UINT16_MAX; /* never a fast layout; the walker faults it */
			continue;
		}
		memcpy(d, &tx->desc[tx_heads[i]], sizeof(*d));
		vring_compiler_barrier();
		if (d->flags == VL_VRING_DESC_F_INDIRECT && c->opts->indirect &&
		    (d->len == VRING_DESC_BYTES || d->len == 2 * VRING_DESC_BYTES)) {
			uint64_t len = d->len;
			const uint8_t *t = mem_translate(c->mem, d->addr, &len, &c->tx_hint);

			if (likely(t != NULL) && len == d->len) {
				th[i].table = t;
				__builtin_prefetch(t);
				__builtin_prefetch(t + len - 1);
			}
		} else if (d->flags == VL_VRING_DESC_F_NEXT && d->next < tx->size) {
			__builtin_prefetch(&tx->desc[d->next]);
		}
	}
}

/*
 * The TX layouts the batch takes, each descriptor read once into a local and checked:
 *   - one descriptor: header + frame (modern drivers, DPDK's virtio PMD);
 *   - the header alone in one descriptor, the frame in the next (legacy and non-ANY_LAYOUT
 *     drivers: some Windows and BSD ones);
 *   - one INDIRECT descriptor whose table holds either of those (Linux for multi-fragment skbs,
 *     DPDK's virtio PMD when the header cannot be pushed into the headroom).
 * The frame must be contiguous in one memory region. Returns true with *payload (after the
 * header) and *payload_len set; false sends the frame to the scatter walker, which also turns
 * every malformed case into its fault, so nothing here needs to tell malformed from uncommon.
 */
static inline __attribute__((always_inline)) bool
vring_tx_resolve(struct vring_ctx *c, const struct vring_tx_head *th, uint32_t hdr_len,
		 const uint8_t **payload, uint32_t *payload_len)
{
	const struct vl_vring *tx = c->tx;
	const uint8_t *table = (const uint8_t *)tx->desc;
	uint32_t nb_entries = tx->size;
	struct vl_vring_desc d = th->desc, pd;

	if (d.flags == VL_VRING_DESC_F_INDIRECT) {
		if (th->table == NULL)
			return false;
		table = th->table;
		nb_entries = d.len / VRING_DESC_BYTES;
		memcpy(&d, table, sizeof(d)); /* may be unaligned */
		vring_compiler_barrier();
	}
	if (d.flags == 0)
		return vring_tx_buf_take(c->mem, &c->tx_hint, d.addr, d.len, hdr_len, payload,
					 payload_len);
	/* Header alone, then the frame: the header must translate like the walker would. */
	if (d.flags != VL_VRING_DESC_F_NEXT || d.len != hdr_len || d.next >= nb_entries)
		return false;
	if (!vring_tx_buf_take(c->mem, &c->tx_hint, d.addr, d.len, hdr_len, payload, payload_len))
		return false;
	memcpy(&pd, table + (size_t)d.next * VRING_DESC_BYTES, sizeof(pd));
	vring_compiler_barrier();
	if (pd.flags != 0)
		return false;
	return vring_tx_buf_take(c->mem, &c->tx_hint, pd.addr, pd.len, 0, payload, payload_len);
}

/*
 * Always inlined so that hdr12 (12- vs 10-byte virtio-net header) folds to a constant in each
 * caller: the header store and the payload offset become immediates.
 *
 * MRG_RXBUF is not specialised: a frame that fits one RX buffer is written identically with or
 * without it (num_buffers = 1), and every other case goes through vring_frame_slow. EVENT_IDX
 * costs one branch per burst, not per frame.
 */
static inline __attribute__((always_inline)) unsigned int
vring_burst(struct vring_ctx *c, unsigned int nb_tx, bool hdr12)
{
	const uint32_t hdr_len = hdr12 ? 12 : 10;
	struct vl_vring *tx = c->tx, *rx = c->rx;
	const uint16_t tx_mask = tx->size - 1, rx_mask = rx->size - 1;
	uint16_t tx_heads[VL_VRING_BURST_MAX];
	struct vring_tx_head tx_pre[VL_VRING_BURST_MAX];
	struct vring_job jobs[VL_VRING_BURST_MAX];
	struct vl_vring_used_elem tx_shadow[VL_VRING_BURST_MAX], rx_shadow[VL_VRING_BURST_MAX];
	const uint16_t tx_first_idx = c->tx_next_idx;
	uint32_t nb_rx_avail = (uint16_t)(c->rx_avail_idx - c->rx_next_idx);
	uint32_t nb_tx_shadow = 0, nb_rx_shadow = 0;
	uint64_t nb_bytes = 0;
	uint32_t nb_fast = 0;

	/*
	 * Heads first, so the descriptor misses of the whole burst overlap. Last to first: a
	 * guest posts its descriptors in table order and we run right behind it, so the lines
	 * after this burst's are the ones it is writing now. Touched in ascending order, this
	 * core's stream prefetcher would fetch them ahead of us and take them from the guest
	 * in the middle of its writes; in descending order it runs into lines both sides are
	 * done with (docs/GUEST-COST.md, "The guest's descriptor lines").
	 */
	for (uint32_t i = nb_tx; i-- > 0;) {
		tx_heads[i] = __atomic_load_n(&tx->avail->ring[(tx_first_idx + i) & tx_mask],
					      __ATOMIC_RELAXED);
		__builtin_prefetch(&tx->desc[tx_heads[i] & tx_mask]);
	}
	c->rx_first_idx = c->rx_next_idx;
	c->nb_rx_heads = (uint16_t)VL_MIN(nb_tx, nb_rx_avail);
	for (uint32_t i = c->nb_rx_heads; i-- > 0;) {
		c->rx_heads[i] = __atomic_load_n(&rx->avail->ring[(c->rx_first_idx + i) & rx_mask],
						 __ATOMIC_RELAXED);
		__builtin_prefetch(&rx->desc[c->rx_heads[i] & rx_mask]);
	}
	vring_tx_heads_read(c, tx_heads, nb_tx, tx_pre);

	for (;;) {
		uint32_t i = (uint16_t)(c->tx_next_idx - tx_first_idx);
		uint32_t nb_jobs = 0;

		/* Resolve: both descriptors, both translations, prefetch both buffers. */
		for (; i < nb_tx; i++) {
			struct vl_vring_desc rd;
			uint16_t tx_head = tx_heads[i], rx_head;
			uint64_t rx_len, frame_len;
			const uint8_t *src; /* the TX payload, after the header */
			uint32_t payload_len;
			uint8_t *dst;

			if (unlikely(tx_head >= tx->size))
				break;
			if (!vring_tx_resolve(c, &tx_pre[i], hdr_len, &src, &payload_len))
				break;
			if (c->rx_next_idx == c->rx_avail_idx)
				break;
			rx_head = ctx_rx_head(c, c->rx_next_idx);
			if (unlikely(rx_head >= rx->size))
				break;
			memcpy(&rd, &rx->desc[rx_head], sizeof(rd));
			vring_compiler_barrier();
			frame_len = hdr_len + payload_len;
			if (rd.flags != VL_VRING_DESC_F_WRITE || rd.len < frame_len)
				break;
			rx_len = frame_len;
			dst = mem_translate(c->mem, rd.addr, &rx_len, &c->rx_hint);
			if (unlikely(dst == NULL) || rx_len != frame_len)
				break;
			/* First and last line of both buffers: a 64-byte frame plus its header
			 * spans two lines; the copies below then find them in flight. */
			__builtin_prefetch(src);
			__builtin_prefetch(src + payload_len - 1);
			/* The header's line for reading (vring_rx_hdr_write usually leaves it
			 * alone). The frame's last line: for writing (PREFETCHW) when the frame
			 * fits in two lines; for reading above that, where the exclusive request
			 * measured mixed (docs/GUEST-COST.md, "Prefetch for writing, for real"). */
			__builtin_prefetch(dst);
			if (frame_len <= 128)
				vring_prefetchw(dst + frame_len - 1);
			else
				__builtin_prefetch(dst + frame_len - 1);
			jobs[nb_jobs] = (struct vring_job){
				.src = src,
				.dst = dst,
				.len_bytes = payload_len,
			};
			nb_jobs++;
			tx_shadow[nb_tx_shadow++] = (struct vl_vring_used_elem){.id = tx_head};
			rx_shadow[nb_rx_shadow++] = (struct vl_vring_used_elem){
				.id = rx_head, .len = (uint32_t)frame_len};
			c->tx_next_idx++;
			c->rx_next_idx++;
		}

		/* Copy: back to back, the misses resolved above are in flight. */
		for (uint32_t j = 0; j < nb_jobs; j++) {
			const struct vring_job *job = &jobs[j];

			vring_rx_hdr_write(job->dst, hdr12);
			vring_copy(job->dst + hdr_len, job->src, job->len_bytes);
			if (c->obs != NULL) /* folds away in vl_vring_loop_burst */
				vring_observe(c->obs, &c->nb_obs, job->dst + hdr_len,
					      job->len_bytes, job->len_bytes);
			nb_bytes += job->len_bytes;
		}
		nb_fast += nb_jobs;

		if (i >= nb_tx)
			break;
		/* Keep used entries in order: what the batch did goes to the ring first. */
		used_flush(tx, &c->tx_used_idx, tx_shadow, nb_tx_shadow);
		used_flush(rx, &c->rx_used_idx, rx_shadow, nb_rx_shadow);
		nb_tx_shadow = 0;
		nb_rx_shadow = 0;
		if (vring_frame_slow(c, tx_heads[i]) == VRING_SLOW_STOP)
			break;
	}
	used_flush(tx, &c->tx_used_idx, tx_shadow, nb_tx_shadow);
	used_flush(rx, &c->rx_used_idx, rx_shadow, nb_rx_shadow);
	/* The guest rewrites these descriptor lines next: hand our copies back to the shared cache
	 * so its stores do not have to take them from this core (a no-op without CLDEMOTE). */
	vring_desc_demote(rx, c->rx_heads, c->nb_rx_heads);
	vring_desc_demote(tx, tx_heads, nb_tx);

	c->res->nb_frames += nb_fast;
	c->res->nb_rx_bufs += nb_fast;
	c->res->nb_tx_done += nb_fast;
	c->res->nb_bytes += nb_bytes;
	return c->res->nb_tx_done;
}

/* Avail idx moved by more than the ring size: the guest is broken, not merely busy. */
static inline bool
vring_avail_jump(struct vl_vring *vq, uint16_t avail_idx)
{
	if ((uint16_t)(avail_idx - vq->last_avail_idx) <= vq->size)
		return false;
	vq->fault = VL_VRING_FAULT_AVAIL_IDX;
	return true;
}

/*
 * Take the guest's RX buffers one refill behind it: while it has posted fewer than twice the
 * pending TX frames (at most half the ring), let the burst wait up to opts->rx_lag_polls polls
 * for its next refill. A non-in-order virtio PMD frees and refills its RX descriptors through a
 * linked free list; read by our core right after its refill, those lines are what its next
 * free-and-refill stalls on (docs/GUEST-COST.md, "One refill behind").
 * Returns true when this poll should wait (res->rx_lag = VL_VRING_RX_LAG_WAIT); a burst that goes
 * ahead after waiting the whole limit sets res->rx_lag = VL_VRING_RX_LAG_TIMEOUT. The guest counts
 * buffers, not frames: with MRG_RXBUF a frame may take several, and those that find none are
 * drop_rx_full as without the lag.
 */
static inline bool
vring_rx_lag_wait(struct vl_vring *rx, uint16_t rx_avail_idx, unsigned int nb_tx,
		  const struct vl_vring_opts *opts, struct vl_vring_burst *res)
{
	uint32_t nb_rx_avail = (uint16_t)(rx_avail_idx - rx->last_avail_idx);
	uint32_t want = VL_MIN(2 * nb_tx, (uint32_t)rx->size / 2);

	if (nb_rx_avail >= want) {
		rx->nb_lag_polls = 0;
		return false;
	}
	if (rx->nb_lag_polls < opts->rx_lag_polls) {
		rx->nb_lag_polls++;
		res->rx_lag = VL_VRING_RX_LAG_WAIT;
		return true;
	}
	/* Waited the limit (or the lag is off, rx_lag_polls 0): take what is there. */
	if (rx->nb_lag_polls != 0)
		res->rx_lag = VL_VRING_RX_LAG_TIMEOUT;
	rx->nb_lag_polls = 0;
	return false;
}

/*
 * While the burst waits for the guest's RX refill (vring_rx_lag_wait), its TX frames are complete
 * and the guest no longer writes them: start their misses during the wait instead of after it.
 * First waiting poll: read the avail ring entries, prefetch the descriptor lines; second: read
 * those descriptors (one-descriptor frames only) and prefetch the TX payload's first and last
 * line. Prefetches only, on values read once and clamped (heads masked into the table, buffers
 * translated): the burst reads and checks everything again. Last entry first, as the burst
 * (docs/GUEST-COST.md, "The guest's descriptor lines").
 * Returns true when it did that work (the first two waiting polls): those polls are busy, not
 * idle, though they move nothing; counted idle, they would hide part of each frame's cost.
 */
static inline bool
vring_tx_warm(const struct vl_vring *tx, const struct vl_mem *mem, unsigned int nb_tx,
	      uint32_t hdr_len, uint16_t nb_lag_polls)
{
	const uint16_t mask = tx->size - 1;
	uint32_t hint = tx->region_hint;

	if (nb_lag_polls > 2)
		return false;
	for (uint32_t i = nb_tx; i-- > 0;) {
		uint16_t head = __atomic_load_n(&tx->avail->ring[(tx->last_avail_idx + i) & mask],
						__ATOMIC_RELAXED) &
				mask;
		struct vl_vring_desc d;
		const uint8_t *p;
		uint64_t len;

		if (nb_lag_polls == 1) {
			__builtin_prefetch(&tx->desc[head]);
			continue;
		}
		memcpy(&d, &tx->desc[head], sizeof(d));
		vring_compiler_barrier();
		if (d.flags != 0 || d.len <= hdr_len)
			continue;
		len = d.len;
		p = mem_translate(mem, d.addr, &len, &hint);
		if (p == NULL || len != d.len)
			continue;
		__builtin_prefetch(p + hdr_len);
		__builtin_prefetch(p + len - 1);
	}
	return true;
}

/* End of a burst: publish both used indexes (RX first), keep avail_event one behind. */
static inline __attribute__((always_inline)) void
vring_publish(struct vl_vring *tx, struct vl_vring *rx, const struct vring_ctx *c,
	      const struct vl_vring_opts *opts)
{
	tx->region_hint = c->tx_hint;
	rx->region_hint = c->rx_hint;
	if (c->rx_used_idx != rx->last_used_idx) {
		rx->last_used_idx = c->rx_used_idx;
		/* Pairs with the guest's acquire of used->idx: entries and RX data before index.
		 * RX before TX, so a guest that sees its TX completed also sees the frames. */
		__atomic_store_n(&rx->used->idx, rx->last_used_idx, __ATOMIC_RELEASE);
	}
	if (c->tx_used_idx != tx->last_used_idx) {
		tx->last_used_idx = c->tx_used_idx;
		__atomic_store_n(&tx->used->idx, tx->last_used_idx, __ATOMIC_RELEASE);
	}
	if (c->rx_next_idx != rx->last_avail_idx) {
		rx->last_avail_idx = c->rx_next_idx;
		if (opts->event_idx) /* keep avail_event one behind: the guest never kicks */
			__atomic_store_n(vring_avail_event(rx), (uint16_t)(rx->last_avail_idx - 1),
					 __ATOMIC_RELAXED);
	}
	if (c->tx_next_idx != tx->last_avail_idx) {
		tx->last_avail_idx = c->tx_next_idx;
		if (opts->event_idx)
			__atomic_store_n(vring_avail_event(tx), (uint16_t)(tx->last_avail_idx - 1),
					 __ATOMIC_RELAXED);
	}
}

/*
 * vring_publish with the dirty log on: the RX buffers are marked before the used index hands
 * them back (the guest may repost their descriptors with other addresses as soon as it sees
 * them), the used rings after their stores.
 */
static void __attribute__((noinline, cold))
vring_publish_logged(struct vl_vring *tx, struct vl_vring *rx, const struct vring_ctx *c,
		     const struct vl_vring_opts *opts)
{
	const uint16_t tx_from = tx->last_used_idx, rx_from = rx->last_used_idx;

	vring_log_split_bufs(rx, c->mem, rx_from, c->rx_used_idx);
	vring_publish(tx, rx, c, opts);
	vring_log_split_ring(rx, rx_from, rx->last_used_idx, opts->event_idx);
	vring_log_split_ring(tx, tx_from, tx->last_used_idx, opts->event_idx);
}

/* Always inlined so that obs == NULL folds the observer out of vl_vring_loop_burst. */
static inline __attribute__((always_inline)) unsigned int
vring_loop_burst(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
		 const struct vl_vring_opts *opts, unsigned int max_burst,
		 struct vl_vring_burst *res, struct vl_vring_observer *obs)
{
	struct vring_ctx c;
	uint16_t tx_avail_idx, rx_avail_idx;
	unsigned int nb_tx, nb_done;

	*res = (struct vl_vring_burst){0};
	if (unlikely(tx->fault != VL_VRING_FAULT_NONE || rx->fault != VL_VRING_FAULT_NONE))
		return 0;
	if (unlikely(opts->hdr_len != 10 && opts->hdr_len != 12))
		return 0;

	/* Pairs with the guest's release of avail->idx: ring entries and descriptors first. */
	tx_avail_idx = __atomic_load_n(&tx->avail->idx, __ATOMIC_ACQUIRE);
	if (unlikely(vring_avail_jump(tx, tx_avail_idx)))
		return 0;
	nb_tx = (uint16_t)(tx_avail_idx - tx->last_avail_idx);
	nb_tx = VL_MIN(nb_tx, VL_MIN(max_burst, (unsigned int)VL_VRING_BURST_MAX));
	if (nb_tx == 0)
		return 0;
	/* The line is ours now: the guest's interrupt wish for the lazy decision after the burst
	 * (vl_vring_need_call_lazy), so that it does not take the line back from the guest. */
	tx->avail_flags = __atomic_load_n(&tx->avail->flags, __ATOMIC_RELAXED);
	rx_avail_idx = __atomic_load_n(&rx->avail->idx, __ATOMIC_ACQUIRE);
	if (unlikely(vring_avail_jump(rx, rx_avail_idx)))
		return 0;
	rx->avail_flags = __atomic_load_n(&rx->avail->flags, __ATOMIC_RELAXED);
	if (vring_rx_lag_wait(rx, rx_avail_idx, nb_tx, opts, res)) {
		if (vring_tx_warm(tx, mem, nb_tx, opts->hdr_len, rx->nb_lag_polls))
			res->rx_lag = VL_VRING_RX_LAG_WARM;
		return 0;
	}

	c.tx = tx;
	c.rx = rx;
	c.mem = mem;
	c.opts = opts;
	c.res = res;
	c.rx_avail_idx = rx_avail_idx;
	c.tx_next_idx = tx->last_avail_idx;
	c.rx_next_idx = rx->last_avail_idx;
	c.tx_used_idx = tx->last_used_idx;
	c.rx_used_idx = rx->last_used_idx;
	c.tx_hint = tx->region_hint;
	c.rx_hint = rx->region_hint;
	c.obs = obs;
	c.nb_obs = 0;

	nb_done =
		opts->hdr_len == 12 ? vring_burst(&c, nb_tx, true) : vring_burst(&c, nb_tx, false);
	/* Before the publish: the RX buffers are still the device's, the guest cannot reuse them.
	 */
	vring_observe_flush(obs, &c.nb_obs);

	if (unlikely(rx->log != NULL)) /* dirty logging's one branch when it is off */
		vring_publish_logged(tx, rx, &c, opts);
	else
		vring_publish(tx, rx, &c, opts);
	return nb_done;
}

unsigned int
vl_vring_loop_burst(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
		    const struct vl_vring_opts *opts, unsigned int max_burst,
		    struct vl_vring_burst *res)
{
	return vring_loop_burst(tx, rx, mem, opts, max_burst, res, NULL);
}

unsigned int
vl_vring_loop_burst_observed(struct vl_vring *tx, struct vl_vring *rx, const struct vl_mem *mem,
			     const struct vl_vring_opts *opts, unsigned int max_burst,
			     struct vl_vring_burst *res, struct vl_vring_observer *obs)
{
	return vring_loop_burst(tx, rx, mem, opts, max_burst, res, obs);
}

unsigned int
vl_vring_sink_burst(struct vl_vring *tx, const struct vl_vring_opts *opts, unsigned int max_burst,
		    struct vl_vring_burst *res)
{
	struct vl_vring_used_elem shadow[VL_VRING_BURST_MAX];
	uint16_t avail_idx, used_idx = tx->last_used_idx;
	unsigned int nb, i;

	*res = (struct vl_vring_burst){0};
	if (unlikely(tx->fault != VL_VRING_FAULT_NONE))
		return 0;
	/* Pairs with the guest's release of avail->idx. */
	avail_idx = __atomic_load_n(&tx->avail->idx, __ATOMIC_ACQUIRE);
	if (unlikely(vring_avail_jump(tx, avail_idx)))
		return 0;
	tx->avail_flags = __atomic_load_n(&tx->avail->flags, __ATOMIC_RELAXED);
	nb = (uint16_t)(avail_idx - tx->last_avail_idx);
	nb = VL_MIN(nb, VL_MIN(max_burst, (unsigned int)VL_VRING_BURST_MAX));
	for (i = 0; i < nb; i++) {
		uint16_t head = __atomic_load_n(
			&tx->avail->ring[(uint16_t)(tx->last_avail_idx + i) & (tx->size - 1)],
			__ATOMIC_RELAXED);

		if (unlikely(head >= tx->size)) {
			tx->fault = VL_VRING_FAULT_HEAD_RANGE;
			break;
		}
		shadow[i] = (struct vl_vring_used_elem){.id = head, .len = 0};
	}
	if (i == 0)
		return 0;
	used_flush(tx, &used_idx, shadow, i);
	tx->last_used_idx = used_idx;
	/* Pairs with the guest's acquire of used->idx. */
	__atomic_store_n(&tx->used->idx, tx->last_used_idx, __ATOMIC_RELEASE);
	tx->last_avail_idx = (uint16_t)(tx->last_avail_idx + i);
	if (opts->event_idx)
		__atomic_store_n(vring_avail_event(tx), (uint16_t)(tx->last_avail_idx - 1),
				 __ATOMIC_RELAXED);
	res->nb_tx_done = i;
	return i;
}

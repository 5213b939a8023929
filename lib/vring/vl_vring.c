/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vring.c - split-ring direct datapath: guest TX chain -> guest RX buffers, one copy.
 *
 * Shape of a burst (vl_vring_loop_burst):
 *   1. read both avail idx once (acquire), read the burst's TX heads, prefetch their descriptors,
 *      read the head descriptors and prefetch what they point to (indirect table, next
 *      descriptor);
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

static const char *const vring_fault_names[] = {
#define X(name, text) [VL_VRING_FAULT_##name] = text,
	VL_VRING_FAULTS(X)
#undef X
};

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

bool
vl_vring_need_call(struct vl_vring *vq, const struct vl_vring_opts *opts)
{
	uint16_t new_used = vq->last_used_idx;
	uint16_t old_used = vq->signalled_used;
	bool valid = vq->signalled_used_valid;

	/* Store->load: our used->idx store must be visible before we read the guest's wishes
	 * (pairs with the guest's fence between writing used_event/flags and reading used->idx). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (new_used == old_used)
		return false; /* nothing added since the previous decision */
	vq->signalled_used = new_used;
	vq->signalled_used_valid = true;
	if (opts->event_idx) {
		uint16_t used_event = __atomic_load_n(vring_used_event(vq), __ATOMIC_RELAXED);

		if (!valid)
			return true; /* first decision after (re)start: old_used is not the guest's
				      */
		return (uint16_t)(new_used - used_event - 1) < (uint16_t)(new_used - old_used);
	}
	return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
		 VL_VRING_AVAIL_F_NO_INTERRUPT);
}

/* ---- chain walker (general path) ---------------------------------------------------------- */

/*
 * Cursor over one descriptor chain, direct or through one indirect table. It yields contiguous
 * host chunks; each descriptor is read once, checked, then only the local copy is used.
 */
struct vring_walk {
	const uint8_t *table; /* descriptor table being walked (ring or indirect table) */
	uint32_t nb_entries;  /* entries in table */
	uint32_t nb_hops;     /* descriptors read from table: bounds loops */
	uint32_t next;	      /* table entry to read next */
	bool more;	      /* the chain continues at next */
	bool in_indirect;     /* table is an indirect table */
	uint16_t write_flag;  /* WRITE flag every data descriptor must carry: 0 (TX) or WRITE */
	uint16_t ring_size;   /* bounds an indirect table */
	uint64_t gpa;	      /* unread rest of the current descriptor */
	uint64_t left_bytes;
	const struct vl_mem *mem;
	uint32_t *hint;	  /* region cache of the vring being walked */
	bool indirect_ok; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
};

static inline void
walk_init(struct vring_walk *w, const struct vl_vring *vq, uint16_t head_slot, uint16_t write_flag,
	  const struct vl_mem *mem, uint32_t *hint, bool indirect_ok)
{
	*w = (struct vring_walk){
		.table = (const uint8_t *)vq->desc,
		.nb_entries = vq->size,
		.next = head_slot,
		.more = true,
		.write_flag = write_flag,
		.ring_size = vq->size,
		.mem = mem,
		.hint = hint,
		.indirect_ok = indirect_ok,
	};
}

/* Load the next data descriptor: 1, 0 at the end of the chain, or -fault. */
static int
walk_next_desc(struct vring_walk *w)
{
	struct vl_vring_desc d;

	for (;;) {
		if (!w->more)
			return 0;
		if (unlikely(w->next >= w->nb_entries))
			return -VL_VRING_FAULT_NEXT_RANGE;
		if (unlikely(w->nb_hops++ >= w->nb_entries))
			return -VL_VRING_FAULT_CHAIN_LOOP;
		/* memcpy: an indirect table in guest memory need not be aligned. */
		memcpy(&d, w->table + (size_t)w->next * VRING_DESC_BYTES, sizeof(d));
		vring_compiler_barrier();
		if (d.flags & VL_VRING_DESC_F_INDIRECT) {
			uint64_t table_bytes = d.len;
			const uint8_t *table;

			if (unlikely(!w->indirect_ok))
				return -VL_VRING_FAULT_INDIRECT_FEATURE;
			if (unlikely(w->in_indirect))
				return -VL_VRING_FAULT_INDIRECT_NESTED;
			if (unlikely(d.flags & VL_VRING_DESC_F_NEXT))
				return -VL_VRING_FAULT_INDIRECT_NEXT;
			if (unlikely(d.len == 0 || d.len % VRING_DESC_BYTES != 0 ||
				     d.len / VRING_DESC_BYTES > w->ring_size))
				return -VL_VRING_FAULT_INDIRECT_LEN;
			/* A table that crosses regions is rejected, not copied: no guest builds
			 * one (it is one small allocation) and a copy would need scratch. */
			table = mem_translate(w->mem, d.addr, &table_bytes, w->hint);
			if (unlikely(table == NULL || table_bytes != d.len))
				return -VL_VRING_FAULT_ADDR;
			w->table = table;
			w->nb_entries = d.len / VRING_DESC_BYTES;
			w->nb_hops = 0;
			w->next = 0;
			w->in_indirect = true;
			continue; /* the WRITE flag of the INDIRECT descriptor itself is ignored */
		}
		if (unlikely((d.flags & VL_VRING_DESC_F_WRITE) != w->write_flag))
			return -VL_VRING_FAULT_WRITE_FLAG;
		w->more = (d.flags & VL_VRING_DESC_F_NEXT) != 0;
		w->next = d.next;
		w->gpa = d.addr;
		w->left_bytes = d.len;
		return 1;
	}
}

/*
 * Next host chunk of at most max_bytes (> 0) bytes: 1 with *ptr and *len_bytes set (> 0), 0 at the
 * end of the chain, or -fault. Zero-length descriptors are skipped (the hop count bounds them).
 */
static inline int
walk_chunk(struct vring_walk *w, uint64_t max_bytes, uint8_t **ptr, uint64_t *len_bytes)
{
	uint64_t len;

	while (w->left_bytes == 0) {
		int ret = walk_next_desc(w);

		if (ret <= 0)
			return ret;
	}
	len = VL_MIN(w->left_bytes, max_bytes);
	*ptr = mem_translate(w->mem, w->gpa, &len, w->hint);
	if (unlikely(*ptr == NULL))
		return -VL_VRING_FAULT_ADDR;
	w->gpa += len;
	w->left_bytes -= len;
	*len_bytes = len;
	return 1;
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

/* Record a looped frame for the observer: its first contiguous bytes in the RX buffer. */
static inline void
ctx_observe(struct vring_ctx *c, const uint8_t *data, uint32_t head_bytes, uint32_t frame_bytes)
{
	c->obs->frames[c->nb_obs++] = (struct vl_vring_frame){
		.data = data, .head_bytes = head_bytes, .frame_bytes = frame_bytes};
}

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

/* Start walking the RX chain at avail entry avail_idx; -fault if its head is out of range. */
static inline int
slow_rx_open(struct vring_ctx *c, struct vring_walk *w, uint16_t avail_idx, uint16_t *head)
{
	*head = ctx_rx_head(c, avail_idx);
	if (unlikely(*head >= c->rx->size))
		return -VL_VRING_FAULT_HEAD_RANGE;
	walk_init(w, c->rx, *head, VL_VRING_DESC_F_WRITE, c->mem, &c->rx_hint, c->opts->indirect);
	return 0;
}

/*
 * One frame, any layout: stream the TX chain (header skipped) into one RX chain, or into as
 * many as it takes with MRG_RXBUF, writing used entries straight into the guest's used rings
 * (invisible until the used->idx store). Nothing is committed until the frame is complete, so
 * a drop or a fault midway leaves the RX buffers unconsumed.
 */
static enum vring_slow_result
vring_frame_slow(struct vring_ctx *c, uint16_t tx_head)
{
	const uint32_t hdr_len = c->opts->hdr_len;
	const bool mrg = c->opts->mrg_rxbuf;
	uint8_t hdr[VRING_HDR_LEN_MAX] = {0};
	uint8_t *num_buffers_byte[2] = {NULL, NULL};
	struct vring_walk tw, rw;
	uint8_t *tx_ptr, *rx_ptr = NULL;
	uint64_t tx_bytes, rx_bytes = 0, done, payload_bytes = 0;
	const uint8_t *obs_data = NULL; /* the frame's first payload chunk in the RX buffer */
	uint64_t obs_bytes = 0;
	uint32_t buf_bytes;
	uint16_t rx_head, nb_bufs;
	int ret;

	if (unlikely(tx_head >= c->tx->size)) {
		c->tx->fault = VL_VRING_FAULT_HEAD_RANGE; /* no valid head to return */
		return VRING_SLOW_STOP;
	}
	walk_init(&tw, c->tx, tx_head, 0, c->mem, &c->tx_hint, c->opts->indirect);

	/* The TX header: any split, contents ignored (no offload is offered). */
	for (done = 0; done < hdr_len; done += tx_bytes) {
		ret = walk_chunk(&tw, hdr_len - done, &tx_ptr, &tx_bytes);
		if (unlikely(ret < 0))
			return slow_tx_fault(c, tx_head, ret);
		if (ret == 0) {
			c->res->drop_short++;
			slow_tx_return(c, tx_head);
			return VRING_SLOW_NEXT;
		}
	}

	/* The RX header into the first RX chain, split however the guest split that chain. */
	if (c->rx_next_idx == c->rx_avail_idx)
		goto drop_rx_full;
	ret = slow_rx_open(c, &rw, c->rx_next_idx, &rx_head);
	if (unlikely(ret < 0))
		return slow_rx_fault(c, ret);
	if (hdr_len == VRING_HDR_LEN_MAX && !mrg)
		hdr[VRING_HDR_NUM_BUFFERS_OFF] = 1;
	for (done = 0; done < hdr_len; done += rx_bytes) {
		ret = walk_chunk(&rw, hdr_len - done, &rx_ptr, &rx_bytes);
		if (unlikely(ret < 0))
			return slow_rx_fault(c, ret);
		if (unlikely(ret == 0))
			return slow_rx_fault(c, -VL_VRING_FAULT_RX_HDR);
		for (uint64_t k = 0; k < rx_bytes; k++) /* <= 12 bytes */
			rx_ptr[k] = hdr[done + k];
		for (uint32_t b = 0; b < 2; b++) {
			uint64_t off = VRING_HDR_NUM_BUFFERS_OFF + b;

			if (off >= done && off < done + rx_bytes)
				num_buffers_byte[b] = rx_ptr + (off - done);
		}
	}
	rx_bytes = 0; /* the header chunk is full */
	buf_bytes = hdr_len;
	nb_bufs = 1;

	/* The payload: fill each RX buffer before taking the next. */
	for (;;) {
		ret = walk_chunk(&tw, (uint64_t)VL_VRING_FRAME_MAX_BYTES + 1 - payload_bytes,
				 &tx_ptr, &tx_bytes);
		if (unlikely(ret < 0))
			return slow_tx_fault(c, tx_head, ret);
		if (ret == 0)
			break;
		payload_bytes += tx_bytes;
		if (payload_bytes > VL_VRING_FRAME_MAX_BYTES)
			goto drop_truncated;
		while (tx_bytes > 0) {
			uint64_t n;

			if (rx_bytes == 0) {
				rx_ptr = NULL;
				ret = walk_chunk(&rw, UINT64_MAX, &rx_ptr, &rx_bytes);
				if (unlikely(ret < 0))
					return slow_rx_fault(c, ret);
				if (ret == 0) {
					uint16_t next_idx;

					if (!mrg)
						goto drop_truncated;
					used_write(c->rx, (uint16_t)(c->rx_used_idx + nb_bufs - 1),
						   rx_head, buf_bytes);
					next_idx = (uint16_t)(c->rx_next_idx + nb_bufs);
					if (next_idx == c->rx_avail_idx)
						goto drop_rx_full;
					ret = slow_rx_open(c, &rw, next_idx, &rx_head);
					if (unlikely(ret < 0))
						return slow_rx_fault(c, ret);
					nb_bufs++;
					buf_bytes = 0;
					continue;
				}
			}
			if (obs_data == NULL) {
				obs_data = rx_ptr;
				obs_bytes = rx_bytes;
			}
			n = VL_MIN(tx_bytes, rx_bytes);
			vring_copy(rx_ptr, tx_ptr, (uint32_t)n);
			rx_ptr += n;
			rx_bytes -= n;
			tx_ptr += n;
			tx_bytes -= n;
			buf_bytes += (uint32_t)n;
		}
	}

	used_write(c->rx, (uint16_t)(c->rx_used_idx + nb_bufs - 1), rx_head, buf_bytes);
	if (mrg && num_buffers_byte[1] != NULL) {
		*num_buffers_byte[0] = (uint8_t)nb_bufs;
		*num_buffers_byte[1] = (uint8_t)(nb_bufs >> 8);
	}
	c->rx_next_idx = (uint16_t)(c->rx_next_idx + nb_bufs);
	c->rx_used_idx = (uint16_t)(c->rx_used_idx + nb_bufs);
	if (c->obs != NULL && obs_data != NULL)
		ctx_observe(c, obs_data, (uint32_t)VL_MIN(obs_bytes, payload_bytes),
			    (uint32_t)payload_bytes);
	c->res->nb_frames++;
	c->res->nb_bytes += payload_bytes;
	c->res->nb_rx_bufs += nb_bufs;
	slow_tx_return(c, tx_head);
	return VRING_SLOW_NEXT;

drop_truncated:
	c->res->drop_truncated++;
	slow_tx_return(c, tx_head);
	return VRING_SLOW_NEXT;
drop_rx_full:
	c->res->drop_rx_full++;
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
 * The RX virtio-net header of a frame in one buffer: num_buffers = 1 (12-byte header), every
 * other field zero. A guest recycles its RX buffers, so the header it finds there is almost
 * always this one already: store only what differs. An unconditional store makes the line
 * modified in our cache, and the guest's read of num_buffers, on every frame, then has to fetch
 * it from our core; a load of a line both caches hold shared costs the guest nothing.
 */
static inline __attribute__((always_inline)) void
vring_rx_hdr_write(uint8_t *dst, bool hdr12)
{
	const uint64_t zero = 0;
	const uint32_t hdr_tail = 1u << 16; /* num_buffers = 1 in bytes 10-11 */
	uint64_t head;
	uint32_t tail;
	uint16_t tail10;

	memcpy(&head, dst, 8);
	if (head != 0)
		memcpy(dst, &zero, 8);
	if (hdr12) {
		memcpy(&tail, dst + 8, 4);
		if (tail != hdr_tail)
			memcpy(dst + 8, &hdr_tail, 4);
	} else {
		memcpy(&tail10, dst + 8, 2);
		if (tail10 != 0)
			memcpy(dst + 8, &zero, 2);
	}
}

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
	const uint8_t *p;
	uint64_t len;

	if (d.flags == VL_VRING_DESC_F_INDIRECT) {
		if (th->table == NULL)
			return false;
		table = th->table;
		nb_entries = d.len / VRING_DESC_BYTES;
		memcpy(&d, table, sizeof(d)); /* may be unaligned */
		vring_compiler_barrier();
	}
	if (d.flags == 0) {
		if (d.len < hdr_len || d.len > hdr_len + VL_VRING_FRAME_MAX_BYTES)
			return false;
		len = d.len;
		p = mem_translate(c->mem, d.addr, &len, &c->tx_hint);
		if (unlikely(p == NULL) || len != d.len)
			return false;
		*payload = p + hdr_len;
		*payload_len = d.len - hdr_len;
		return true;
	}
	/* Header alone, then the frame: the header must translate like the walker would. */
	if (d.flags != VL_VRING_DESC_F_NEXT || d.len != hdr_len || d.next >= nb_entries)
		return false;
	len = d.len;
	if (unlikely(mem_translate(c->mem, d.addr, &len, &c->tx_hint) == NULL) || len != d.len)
		return false;
	memcpy(&pd, table + (size_t)d.next * VRING_DESC_BYTES, sizeof(pd));
	vring_compiler_barrier();
	if (pd.flags != 0 || pd.len > VL_VRING_FRAME_MAX_BYTES)
		return false;
	len = pd.len;
	p = mem_translate(c->mem, pd.addr, &len, &c->tx_hint);
	if (unlikely(p == NULL) || len != pd.len)
		return false;
	*payload = p;
	*payload_len = pd.len;
	return true;
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
	 * done with (docs/BENCHMARKS.md, "The guest's descriptor lines").
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
			 * alone), the frame's last line for writing. */
			__builtin_prefetch(dst);
			__builtin_prefetch(dst + frame_len - 1, 1);
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
				ctx_observe(c, job->dst + hdr_len, job->len_bytes, job->len_bytes);
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
	rx_avail_idx = __atomic_load_n(&rx->avail->idx, __ATOMIC_ACQUIRE);
	if (unlikely(vring_avail_jump(rx, rx_avail_idx)))
		return 0;

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
	if (obs != NULL && c.nb_obs != 0)
		obs->fn(obs->ctx, obs->frames, c.nb_obs);

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

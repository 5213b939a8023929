/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vring_walk.h - the general path split (vl_vring.c) and packed (vl_vring_packed.c) rings share:
 * a bounded walk over one descriptor chain, direct or through one indirect table, yielding
 * contiguous host chunks; the copy of one frame from a TX chain into one RX chain, or several
 * with MRG_RXBUF. Private to lib/vring.
 *
 * The layouts differ only in how the next ring descriptor is found (walk_step_split: desc[next]
 * while the NEXT flag says so, a hop count bounding loops; walk_step_packed: the next slot, its
 * AVAIL/USED bits against the phase, the buffer id on the last one, a slot budget) and in how
 * RX chains are taken and handed back (the caller's vring_rx_open_fn/vring_rx_close_fn).
 * Everything else is here once: the indirect checks (one level, no indirect inside indirect),
 * the WRITE flag direction, translation and chunking through guest memory, the header skip, the
 * RX header, the mergeable copy loop with num_buffers, and the fault codes.
 *
 * Every function taking `packed` is always inlined so that it folds to a constant in each
 * caller, and the RX callbacks are passed as constants into an always-inlined function, so each
 * layout gets its own direct code: no layout test and no indirect call at run time.
 */
#ifndef VRING_WALK_H
#define VRING_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_vring.h"
#include "vring_priv.h"

#define vring_always_inline inline __attribute__((always_inline))

/* ---- the walker --------------------------------------------------------------------------- */

/* What the walker uses of a descriptor of either layout (read once, a local). */
struct vring_walk_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/*
 * Cursor over one descriptor chain. Each descriptor is read once, checked, then only the local
 * copy is used.
 */
struct vring_walk {
	const uint8_t *table; /* split: the table walked (ring or indirect); packed: the indirect */
	uint32_t nb_entries;  /* entries in table */
	uint32_t next;	      /* table entry to read next */
	uint32_t nb_hops;     /* split: descriptors read from table: bounds loops */
	bool more;	  /* the chain continues (split: at next; packed: at slot, in the ring) */
	bool in_indirect; /* table is an indirect table */
	bool indirect_ok; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint16_t write_flag; /* WRITE flag every data descriptor must carry: 0 (TX) or WRITE */
	uint16_t ring_size;  /* bounds an indirect table (and a packed chain) */
	uint16_t id;	     /* the used entry's id: split the head, packed the last ring desc's */
	uint64_t gpa;	     /* unread rest of the current descriptor */
	uint64_t left_bytes;
	const struct vl_mem *mem;
	uint32_t *hint; /* region cache of the vring being walked */
	/* packed only */
	const struct vl_vring_packed_desc *ring;
	uint16_t slot;	     /* next ring slot of the chain */
	bool wrap;	     /* its phase */
	uint16_t head_flags; /* the head's flags, read once (acquire) by the caller */
	uint16_t budget;     /* ring slots this chain may take (what is free in the ring) */
	uint16_t count;	     /* ring slots taken */
};

/* Split: walk the chain at head (< size) of vq's descriptor table. */
static inline void
walk_init_split(struct vring_walk *w, const struct vl_vring *vq, uint16_t head, uint16_t write_flag,
		const struct vl_mem *mem, uint32_t *hint, bool indirect_ok)
{
	*w = (struct vring_walk){
		.table = (const uint8_t *)vq->desc,
		.nb_entries = vq->size,
		.next = head,
		.more = true,
		.indirect_ok = indirect_ok,
		.write_flag = write_flag,
		.ring_size = vq->size,
		.id = head,
		.mem = mem,
		.hint = hint,
	};
}

/* Packed: walk the chain whose head is at (slot, wrap), its flags already read and available. */
static inline void
walk_init_packed(struct vring_walk *w, const struct vl_vring *vq, uint16_t slot, bool wrap,
		 uint16_t head_flags, uint16_t budget, uint16_t write_flag,
		 const struct vl_mem *mem, uint32_t *hint, bool indirect_ok)
{
	*w = (struct vring_walk){
		.more = true,
		.indirect_ok = indirect_ok,
		.write_flag = write_flag,
		.ring_size = vq->size,
		.mem = mem,
		.hint = hint,
		.ring = vq->pdesc,
		.slot = slot,
		.wrap = wrap,
		.head_flags = head_flags,
		.budget = budget,
	};
}

static inline bool
pk_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VL_VRING_DESC_F_AVAIL) == wrap &&
	       !!(flags & VL_VRING_DESC_F_USED) != wrap;
}

/* The checks of an INDIRECT descriptor itself, both layouts: 0 or -fault. */
static inline int
walk_indirect_check(const struct vring_walk *w, uint16_t flags, uint32_t len)
{
	if (unlikely(!w->indirect_ok))
		return -VL_VRING_FAULT_INDIRECT_FEATURE;
	if (unlikely(w->in_indirect))
		return -VL_VRING_FAULT_INDIRECT_NESTED;
	if (unlikely(flags & VL_VRING_DESC_F_NEXT))
		return -VL_VRING_FAULT_INDIRECT_NEXT;
	if (unlikely(len == 0 || len % VRING_DESC_BYTES != 0 ||
		     len / VRING_DESC_BYTES > w->ring_size))
		return -VL_VRING_FAULT_INDIRECT_LEN;
	return 0;
}

/* Split: read table[next] into *d: 1, 0 at the end of the chain, or -fault. */
static inline int
walk_step_split(struct vring_walk *w, struct vring_walk_desc *d)
{
	struct vl_vring_desc sd;

	if (!w->more)
		return 0;
	if (unlikely(w->next >= w->nb_entries))
		return -VL_VRING_FAULT_NEXT_RANGE;
	if (unlikely(w->nb_hops++ >= w->nb_entries))
		return -VL_VRING_FAULT_CHAIN_LOOP;
	/* memcpy: an indirect table in guest memory need not be aligned. */
	memcpy(&sd, w->table + (size_t)w->next * VRING_DESC_BYTES, sizeof(sd));
	vring_compiler_barrier();
	*d = (struct vring_walk_desc){.addr = sd.addr, .len = sd.len, .flags = sd.flags};
	w->more = (sd.flags & VL_VRING_DESC_F_NEXT) != 0;
	w->next = sd.next;
	return 1;
}

/* Packed: read the next ring descriptor of the chain into *d: 1 or -fault (call while more). */
static inline int
walk_ring_next_packed(struct vring_walk *w, struct vring_walk_desc *d)
{
	struct vl_vring_packed_desc pd;

	if (unlikely(w->count >= w->budget))
		/* Longer than the ring, or running into slots in flight: made available twice. */
		return w->count >= w->ring_size ? -VL_VRING_FAULT_CHAIN_LOOP
						: -VL_VRING_FAULT_AVAIL_FLAGS;
	memcpy(&pd, &w->ring[w->slot], sizeof(pd));
	vring_compiler_barrier();
	if (w->count == 0)
		pd.flags = w->head_flags; /* the value the availability check saw */
	else if (unlikely(!pk_is_avail(pd.flags, w->wrap)))
		/* The head said the whole chain is available: its other members must be too. */
		return -VL_VRING_FAULT_AVAIL_FLAGS;
	w->count++;
	w->id = pd.id;
	w->more = (pd.flags & VL_VRING_DESC_F_NEXT) != 0;
	if (++w->slot == w->ring_size) {
		w->slot = 0;
		w->wrap = !w->wrap;
	}
	if (!w->more && unlikely(pd.id >= w->ring_size))
		return -VL_VRING_FAULT_BUF_ID;
	*d = (struct vring_walk_desc){.addr = pd.addr, .len = pd.len, .flags = pd.flags};
	return 1;
}

/* Packed: the next entry of the indirect table, else the next ring descriptor: 1, 0, -fault. */
static inline int
walk_step_packed(struct vring_walk *w, struct vring_walk_desc *d)
{
	struct vl_vring_packed_desc pd;

	if (!w->in_indirect)
		return w->more ? walk_ring_next_packed(w, d) : 0;
	if (w->next == w->nb_entries)
		return 0; /* the table ends the chain: its descriptor had no NEXT */
	/* Entries are used in order, all of them; their NEXT flag and id mean nothing. */
	memcpy(&pd, w->table + (size_t)w->next * VRING_DESC_BYTES, sizeof(pd));
	vring_compiler_barrier();
	w->next++;
	*d = (struct vring_walk_desc){.addr = pd.addr, .len = pd.len, .flags = pd.flags};
	/*
	 * A TX entry marked device-writable is only read: tolerated, because DPDK's virtio driver
	 * presets WRITE on the header entry of its packed TX indirect tables. An RX entry without
	 * WRITE is still a fault (the driver did not give us that memory to write).
	 */
	if (w->write_flag == 0)
		d->flags &= (uint16_t)~VL_VRING_DESC_F_WRITE;
	return 1;
}

/* Load the next data descriptor: 1, 0 at the end of the chain, or -fault. */
static vring_always_inline int
walk_next_desc(struct vring_walk *w, bool packed)
{
	struct vring_walk_desc d;

	for (;;) {
		int ret = packed ? walk_step_packed(w, &d) : walk_step_split(w, &d);

		if (ret <= 0)
			return ret;
		if (d.flags & VL_VRING_DESC_F_INDIRECT) {
			uint64_t table_bytes = d.len;
			const uint8_t *table;

			ret = walk_indirect_check(w, d.flags, d.len);
			if (unlikely(ret < 0))
				return ret;
			/* A table that crosses regions is rejected, not copied: no guest builds
			 * one (it is one small allocation) and a copy would need scratch. */
			table = mem_translate(w->mem, d.addr, &table_bytes, w->hint);
			if (unlikely(table == NULL || table_bytes != d.len))
				return -VL_VRING_FAULT_ADDR;
			w->table = table;
			w->nb_entries = d.len / VRING_DESC_BYTES;
			w->next = 0;
			w->nb_hops = 0;
			w->in_indirect = true;
			/* Split: the chain goes on at entry 0, linked by next. Packed: the entries
			 * in order, and the ring part ended with this descriptor (no NEXT). */
			if (!packed)
				w->more = true;
			continue; /* the WRITE flag of the INDIRECT descriptor itself is ignored */
		}
		if (unlikely((d.flags & VL_VRING_DESC_F_WRITE) != w->write_flag))
			return -VL_VRING_FAULT_WRITE_FLAG;
		w->gpa = d.addr;
		w->left_bytes = d.len;
		return 1;
	}
}

/*
 * Next host chunk of at most max_bytes (> 0) bytes: 1 with *ptr and *len_bytes set (> 0), 0 at the
 * end of the chain, or -fault. Zero-length descriptors are skipped (the hop count or the slot
 * budget bounds them).
 */
static vring_always_inline int
walk_chunk(struct vring_walk *w, uint64_t max_bytes, uint8_t **ptr, uint64_t *len_bytes,
	   bool packed)
{
	uint64_t len;

	while (w->left_bytes == 0) {
		int ret = walk_next_desc(w, packed);

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

/* Packed: skip to the end of the chain's ring part (its extent and buffer id): 0 or -fault. */
static inline int
walk_finish_packed(struct vring_walk *w)
{
	struct vring_walk_desc d;

	while (w->more) {
		int ret = walk_ring_next_packed(w, &d);

		if (unlikely(ret < 0))
			return ret;
		if (d.flags & VL_VRING_DESC_F_INDIRECT) {
			ret = walk_indirect_check(w, d.flags, d.len);
			if (unlikely(ret < 0))
				return ret;
		}
	}
	return 0;
}

/* ---- one frame, any layout ---------------------------------------------------------------- */

/* How vring_frame_copy ended. */
enum vring_frame_end {
	VRING_FRAME_LOOPED,	/* copied; the caller commits the RX chains, returns the TX one */
	VRING_FRAME_DROP_SHORT, /* TX chain shorter than the virtio-net header */
	VRING_FRAME_DROP_TRUNCATED, /* frame too long, or the RX chain(s) too short */
	VRING_FRAME_DROP_RX_FULL,   /* no (further) RX chain available */
	VRING_FRAME_TX_FAULT,	    /* the TX chain is malformed: f->fault */
	VRING_FRAME_RX_FAULT,	    /* an RX chain is malformed: f->fault (nothing committed) */
};

/* One frame's progress, shared with the layout's RX callbacks. */
struct vring_frame {
	uint32_t nb_bufs;	/* RX chains opened */
	uint32_t buf_bytes;	/* bytes written into the current one */
	uint32_t rx_slots;	/* packed: ring slots of the RX chains closed so far */
	uint64_t payload_bytes; /* frame bytes after the header */
	enum vl_vring_fault fault;
};

/*
 * Open RX chain number f->nb_bufs of the frame into *rw; when f->nb_bufs > 0, first record the
 * previous chain (walked to its end, f->buf_bytes written) without committing it. 1, 0 when no
 * RX chain is available, or -fault.
 */
typedef int (*vring_rx_open_fn)(void *c, struct vring_frame *f, struct vring_walk *rw);
/* Record the frame's last RX chain (f->buf_bytes written) without committing it: 0 or -fault. */
typedef int (*vring_rx_close_fn)(void *c, struct vring_frame *f, struct vring_walk *rw);

/*
 * One frame: stream the TX chain tw (initialised by the caller; header skipped, contents
 * ignored: no offload is offered) into the RX chains the callbacks open, one or, with
 * MRG_RXBUF, up to max_bufs. The RX header goes into the first chain split however the guest
 * split it; num_buffers is written last. Nothing is committed here: on VRING_FRAME_LOOPED the
 * caller commits f->nb_bufs RX chains (rw: the last one) and returns the TX chain; otherwise
 * the RX chains stay available. obs: NULL, or where the frame is recorded when looped.
 */
static vring_always_inline enum vring_frame_end
vring_frame_copy(void *c, struct vring_walk *tw, struct vring_walk *rw, struct vring_frame *f,
		 const struct vl_vring_opts *opts, uint32_t max_bufs, struct vl_vring_observer *obs,
		 uint32_t *nb_obs, bool packed, vring_rx_open_fn rx_open,
		 vring_rx_close_fn rx_close)
{
	const uint32_t hdr_len = opts->hdr_len;
	const bool mrg = opts->mrg_rxbuf;
	uint8_t hdr[VRING_HDR_LEN_MAX] = {0};
	uint8_t *num_buffers_byte[2] = {NULL, NULL};
	uint8_t *tx_ptr, *rx_ptr = NULL;
	const uint8_t *obs_data = NULL; /* the frame's first payload chunk in the RX buffer */
	uint64_t obs_bytes = 0;
	uint64_t tx_bytes, rx_bytes = 0, done;
	int ret;

	*f = (struct vring_frame){0};

	/* The TX header: any split, contents ignored. */
	for (done = 0; done < hdr_len; done += tx_bytes) {
		ret = walk_chunk(tw, hdr_len - done, &tx_ptr, &tx_bytes, packed);
		if (unlikely(ret < 0))
			goto tx_fault;
		if (ret == 0)
			return VRING_FRAME_DROP_SHORT;
	}

	/* The RX header into the first RX chain, split however the guest split that chain. */
	ret = rx_open(c, f, rw);
	if (unlikely(ret < 0))
		goto rx_fault;
	if (ret == 0)
		return VRING_FRAME_DROP_RX_FULL;
	if (hdr_len == VRING_HDR_LEN_MAX && !mrg)
		hdr[VRING_HDR_NUM_BUFFERS_OFF] = 1;
	for (done = 0; done < hdr_len; done += rx_bytes) {
		ret = walk_chunk(rw, hdr_len - done, &rx_ptr, &rx_bytes, packed);
		if (unlikely(ret < 0))
			goto rx_fault;
		if (unlikely(ret == 0)) {
			ret = -VL_VRING_FAULT_RX_HDR;
			goto rx_fault;
		}
		for (uint64_t k = 0; k < rx_bytes; k++) /* <= 12 bytes */
			rx_ptr[k] = hdr[done + k];
		for (uint32_t b = 0; b < 2; b++) {
			uint64_t off = VRING_HDR_NUM_BUFFERS_OFF + b;

			if (off >= done && off < done + rx_bytes)
				num_buffers_byte[b] = rx_ptr + (off - done);
		}
	}
	rx_bytes = 0; /* the header chunk is full */
	f->buf_bytes = hdr_len;
	f->nb_bufs = 1;

	/* The payload: fill each RX buffer before taking the next. */
	for (;;) {
		ret = walk_chunk(tw, (uint64_t)VL_VRING_FRAME_MAX_BYTES + 1 - f->payload_bytes,
				 &tx_ptr, &tx_bytes, packed);
		if (unlikely(ret < 0))
			goto tx_fault;
		if (ret == 0)
			break;
		f->payload_bytes += tx_bytes;
		if (f->payload_bytes > VL_VRING_FRAME_MAX_BYTES)
			return VRING_FRAME_DROP_TRUNCATED;
		while (tx_bytes > 0) {
			uint64_t n;

			if (rx_bytes == 0) {
				ret = walk_chunk(rw, UINT64_MAX, &rx_ptr, &rx_bytes, packed);
				if (unlikely(ret < 0))
					goto rx_fault;
				if (ret == 0) {
					/* This RX chain is full and walked to its end. */
					if (!mrg || f->nb_bufs == max_bufs)
						return VRING_FRAME_DROP_TRUNCATED;
					ret = rx_open(c, f, rw);
					if (unlikely(ret < 0))
						goto rx_fault;
					if (ret == 0)
						return VRING_FRAME_DROP_RX_FULL;
					f->nb_bufs++;
					f->buf_bytes = 0;
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
			f->buf_bytes += (uint32_t)n;
		}
	}

	ret = rx_close(c, f, rw);
	if (unlikely(ret < 0))
		goto rx_fault;
	if (mrg && num_buffers_byte[1] != NULL) {
		*num_buffers_byte[0] = (uint8_t)f->nb_bufs;
		*num_buffers_byte[1] = (uint8_t)(f->nb_bufs >> 8);
	}
	if (obs != NULL && obs_data != NULL)
		vring_observe(obs, nb_obs, obs_data, (uint32_t)VL_MIN(obs_bytes, f->payload_bytes),
			      (uint32_t)f->payload_bytes);
	return VRING_FRAME_LOOPED;

tx_fault:
	f->fault = (enum vl_vring_fault) - ret;
	return VRING_FRAME_TX_FAULT;
rx_fault:
	f->fault = (enum vl_vring_fault) - ret;
	return VRING_FRAME_RX_FAULT;
}

/* The counter of a dropped frame's end. */
static inline uint32_t *
vring_frame_drop_counter(struct vl_vring_burst *res, enum vring_frame_end end)
{
	switch (end) {
	case VRING_FRAME_DROP_SHORT:
		return &res->drop_short;
	case VRING_FRAME_DROP_RX_FULL:
		return &res->drop_rx_full;
	default:
		return &res->drop_truncated;
	}
}

#endif /* VRING_WALK_H */

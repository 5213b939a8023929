/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vring_priv.h - what the split (vl_vring.c) and packed (vl_vring_packed.c) fast paths share:
 * guest-physical translation, the guest-to-guest copy, the TX buffer check of the batch, the RX
 * header store, the observer record and header constants (the general path both share is
 * vring_walk.h). Private to lib/vring; vl_vring.h is the module's public header.
 */
#ifndef VRING_PRIV_H
#define VRING_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_vring.h"

/* Offset of num_buffers in struct virtio_net_hdr_mrg_rxbuf (12-byte header). */
#define VRING_HDR_NUM_BUFFERS_OFF 10
#define VRING_HDR_LEN_MAX 12
#define VRING_DESC_BYTES 16

/* Orders the single read of a guest descriptor before every use of the local copy. */
#define vring_compiler_barrier() __asm__ volatile("" ::: "memory")

/* ---- guest memory ------------------------------------------------------------------------- */

static inline void *
mem_region_hit(const struct vl_mem_region *r, uint64_t gpa, uint64_t *len)
{
	uint64_t off = gpa - r->guest_phys_addr; /* wraps to huge when gpa is below the region */
	uint64_t room;

	if (off >= r->size)
		return NULL;
	room = r->size - off;
	if (*len > room)
		*len = room;
	return (void *)(uintptr_t)(r->host_user_addr + off);
}

/* Inlined into the datapath: the hinted region is one compare away. */
static inline void *
mem_translate(const struct vl_mem *mem, uint64_t gpa, uint64_t *len, uint32_t *hint)
{
	uint32_t nb_regions = VL_MIN(mem->nb_regions, (uint32_t)VL_MEM_MAX_REGIONS);
	void *hva;

	if (likely(*hint < nb_regions)) {
		hva = mem_region_hit(&mem->regions[*hint], gpa, len);
		if (likely(hva != NULL))
			return hva;
	}
	for (uint32_t i = 0; i < nb_regions; i++) {
		hva = mem_region_hit(&mem->regions[i], gpa, len);
		if (hva != NULL) {
			*hint = i;
			return hva;
		}
	}
	return NULL;
}

/*
 * dst[0, n) = src[0, n) and dst[len - n, len) = src[len - n, len) for n <= len <= 2n: both
 * halves are loaded into locals before either is stored, so overlapping guest buffers get
 * memmove's result. Constant n: the compiler keeps the locals in vector registers and emits no
 * call (a memmove of a constant 32 or 64 bytes is a call to libc with SSE2-only builds).
 */
#define VRING_MOVE_2X(dst, src, len, n)                  \
	do {                                             \
		uint8_t head_[n], tail_[n];              \
		memcpy(head_, (src), (n));               \
		memcpy(tail_, (src) + (len) - (n), (n)); \
		memcpy((dst), head_, (n));               \
		memcpy((dst) + (len) - (n), tail_, (n)); \
	} while (0)

/*
 * Copy between guest buffers. Up to 128 bytes: two overlapping moves of a constant size, a few
 * vector loads and stores instead of a call. Loads before stores (or memmove), because a hostile
 * guest may point a TX and an RX buffer at the same bytes.
 */
static inline void
vring_copy(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	if (len <= 16) {
		if (len >= 8) {
			VRING_MOVE_2X(dst, src, len, 8);
		} else if (len >= 4) {
			VRING_MOVE_2X(dst, src, len, 4);
		} else {
			for (uint32_t i = 0; i < len; i++)
				dst[i] = src[i];
		}
	} else if (len <= 32) {
		VRING_MOVE_2X(dst, src, len, 16);
	} else if (len <= 64) {
		VRING_MOVE_2X(dst, src, len, 32);
	} else if (len <= 128) {
		VRING_MOVE_2X(dst, src, len, 64);
	} else {
		memmove(dst, src, len);
	}
}

/*
 * A TX buffer the fast paths take whole, checked as the walker would read it: len bytes at addr,
 * skip (the header, or 0) to skip + VL_VRING_FRAME_MAX_BYTES of them, in one memory region.
 * True with *payload (after skip) and *payload_len set.
 */
static inline __attribute__((always_inline)) bool
vring_tx_buf_take(const struct vl_mem *mem, uint32_t *hint, uint64_t addr, uint32_t len,
		  uint32_t skip, const uint8_t **payload, uint32_t *payload_len)
{
	uint64_t contig = len;
	const uint8_t *p;

	if (len < skip || len > skip + VL_VRING_FRAME_MAX_BYTES)
		return false;
	p = mem_translate(mem, addr, &contig, hint);
	if (unlikely(p == NULL) || contig != len)
		return false;
	*payload = p + skip;
	*payload_len = len - skip;
	return true;
}

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

/* Record a looped frame for the observer: its first contiguous bytes in the RX buffer. */
static inline void
vring_observe(struct vl_vring_observer *obs, uint32_t *nb_obs, const uint8_t *data,
	      uint32_t head_bytes, uint32_t frame_bytes)
{
	obs->frames[(*nb_obs)++] = (struct vl_vring_frame){
		.data = data, .head_bytes = head_bytes, .frame_bytes = frame_bytes};
}

/* Hand the recorded frames to the observer (if any); call before their RX buffers are published. */
static inline void
vring_observe_flush(struct vl_vring_observer *obs, uint32_t *nb_obs)
{
	if (obs != NULL && *nb_obs != 0) {
		obs->fn(obs->ctx, obs->frames, *nb_obs);
		*nb_obs = 0;
	}
}

/* ---- interrupts ----------------------------------------------------------------------------- */

/* vl_vring_call_settle of a packed ring (vl_vring_packed.c), something owed: fence, then decide
 * for the whole owed window. */
bool vring_packed_call_settle(struct vl_vring *vq, const struct vl_vring_opts *opts);

/* ---- dirty-page logging (vl_vring_log.c; cold: only with a log attached) ------------------- */

/* Split RX: mark the bytes written into the chains of used entries [from, to) (not yet
 * published). */
void vring_log_split_bufs(struct vl_vring *rx, const struct vl_mem *mem, uint16_t from,
			  uint16_t to);
/* Split: mark used entries [from, to), used->idx and (event_idx) avail_event (after the stores). */
void vring_log_split_ring(struct vl_vring *vq, uint16_t from, uint16_t to, bool event_idx);
/* Packed RX: mark len bytes of the chain in count slots from slot (before its used flags). */
void vring_log_packed_chain(struct vl_vring *vq, const struct vl_mem *mem, uint16_t slot,
			    uint16_t count, uint32_t len);
/* Packed: mark the descriptors of nb_slots slots from slot (after the used flags are stored). */
void vring_log_packed_ring(struct vl_vring *vq, uint16_t slot, uint32_t nb_slots);

/*
 * Ask for the line at p in exclusive state: we are about to write it. PREFETCHW (0f 0d /1) as
 * inline assembly, because __builtin_prefetch(p, 1) is a plain read prefetch (prefetcht0) under
 * the DPDK build flags (-march=corei7 has no PRFCHW). CPUs without PRFCHW execute it as a NOP.
 */
static inline void
vring_prefetchw(const void *p)
{
#if defined(__x86_64__)
	asm volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/* A spin-wait hint (PAUSE on x86): a short delay that leaves the other core's lines alone. */
static inline void
vring_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif /* VRING_PRIV_H */

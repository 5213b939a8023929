/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vring_log.c - dirty-page logging for live migration (VHOST_F_LOG_ALL): the frontend's
 * bitmap, one bit per 4 KiB guest-physical page, and the logged side of a burst for split and
 * packed rings. Out of line and cold: with logging off the bursts never come here.
 *
 * What a burst marks, and when (docs/MIGRATION.md):
 *   - RX buffers: the bytes written into each RX chain, found again from the used entries of
 *     the burst (buffer id and length) by walking the chain's descriptors, after the copies and
 *     before the used index (split) or the used flags (packed) hand the buffers back: once the
 *     guest sees them it may repost the descriptors with other addresses;
 *   - ring writes: the used entries, the used index and avail_event (split), the used
 *     descriptors (packed), after they are stored.
 * A bit is set after the write it covers (release), so the frontend, which reads and clears the
 * bitmap concurrently, copies the page again after any write it may have missed.
 *
 * Guest memory is hostile: descriptors are read once into locals, walks are bounded by the ring
 * (and table) size, lengths by what a burst can have written, and a page outside the bitmap is a
 * counted fault, never a write.
 */
#include <stddef.h>
#include <string.h>

#include "vl_compiler.h"
#include "vl_vring.h"
#include "vring_priv.h"

/* What one RX buffer can hold of a frame: the header and the largest payload we loop. */
#define LOG_BUF_BYTES_MAX ((uint64_t)VRING_HDR_LEN_MAX + VL_VRING_FRAME_MAX_BYTES)

void
vl_vring_log_write(struct vl_vring_log *log, uint64_t gpa, uint64_t len)
{
	uint64_t first, last, nb_pages = 0;

	if (len == 0)
		return;
	/* Pairs with the frontend's read of the bitmap: the write this bit covers is visible. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (unlikely(gpa + len - 1 < gpa)) { /* wraps around the address space */
		(*log->nb_faults)++;
		len = UINT64_MAX - gpa + 1;
	}
	first = gpa >> VL_VRING_LOG_PAGE_SHIFT;
	last = (gpa + len - 1) >> VL_VRING_LOG_PAGE_SHIFT;
	for (uint64_t page = first; page <= last; page++) {
		uint64_t byte = page >> 3;

		if (unlikely(byte >= log->bitmap_bytes)) {
			(*log->nb_faults)++; /* every further page is beyond it too */
			break;
		}
		__atomic_fetch_or(&log->bitmap[byte], (uint8_t)(1u << (page & 7)),
				  __ATOMIC_RELAXED);
		nb_pages++;
	}
	*log->nb_pages += nb_pages;
}

int
vl_mem_hva_to_gpa(const struct vl_mem *mem, const void *hva, uint64_t *gpa)
{
	uint64_t addr = (uint64_t)(uintptr_t)hva;
	uint32_t nb = VL_MIN(mem->nb_regions, (uint32_t)VL_MEM_MAX_REGIONS);

	for (uint32_t i = 0; i < nb; i++) {
		const struct vl_mem_region *r = &mem->regions[i];
		uint64_t off = addr - r->host_user_addr; /* wraps to huge below the region */

		if (off < r->size) {
			*gpa = r->guest_phys_addr + off;
			return 1;
		}
	}
	return 0;
}

/* Log the ring bytes [off, off + len) of vq (relative to its ring_gpa), if its LOG flag is on. */
static inline void
log_ring(struct vl_vring *vq, uint64_t off, uint64_t len)
{
	if (vq->log->log_ring)
		vl_vring_log_write(vq->log, vq->log->ring_gpa + off, len);
}

/*
 * Log left bytes of a chain of descriptors in table (nb_entries, starting at entry next): each
 * data descriptor gets min(its length, what is left). Returns what is left (0: all logged). An
 * INDIRECT descriptor ends the walk: copied to *indirect when the caller may follow it (the ring
 * part of a chain), else ignored (nested). A next index out of range ends it too (split rings
 * follow NEXT; the datapath already validated the chain, a guest that changed it since only
 * loses its own migration).
 */
static uint64_t
log_table_chain(struct vl_vring_log *log, const uint8_t *table, uint32_t nb_entries, uint32_t next,
		bool follow_next, uint64_t left, struct vl_vring_desc *indirect)
{
	for (uint32_t hops = 0; hops < nb_entries && left > 0 && next < nb_entries; hops++) {
		struct vl_vring_desc d;
		uint64_t n;

		memcpy(&d, table + (size_t)next * VRING_DESC_BYTES, sizeof(d));
		vring_compiler_barrier();
		if (d.flags & VL_VRING_DESC_F_INDIRECT) {
			if (indirect != NULL)
				*indirect = d;
			break;
		}
		n = VL_MIN((uint64_t)d.len, left);
		vl_vring_log_write(log, d.addr, n);
		left -= n;
		if (follow_next) {
			if (!(d.flags & VL_VRING_DESC_F_NEXT))
				break;
			next = d.next;
		} else {
			next++;
		}
	}
	return left;
}

/* An indirect table of an RX chain, translated as the walker does; NULL if it is unusable. */
static const uint8_t *
log_indirect_table(const struct vl_mem *mem, uint64_t addr, uint32_t len, uint16_t ring_size,
		   uint32_t *hint)
{
	uint64_t table_bytes = len;
	const uint8_t *table;

	if (len == 0 || len % VRING_DESC_BYTES != 0 || len / VRING_DESC_BYTES > ring_size)
		return NULL;
	table = mem_translate(mem, addr, &table_bytes, hint);
	return table != NULL && table_bytes == len ? table : NULL;
}

/* ---- split rings ---------------------------------------------------------------------------- */

void
vring_log_split_bufs(struct vl_vring *rx, const struct vl_mem *mem, uint16_t from, uint16_t to)
{
	const uint16_t mask = rx->size - 1;
	uint32_t hint = rx->region_hint;

	for (uint16_t i = from; i != to; i++) {
		struct vl_vring_used_elem e;
		struct vl_vring_desc ind;
		uint64_t left;

		/* Our own entry, not yet published (a guest that rewrote it only hurts itself). */
		memcpy(&e, &rx->used->ring[i & mask], sizeof(e));
		vring_compiler_barrier();
		if (e.id >= rx->size)
			continue;
		left = VL_MIN((uint64_t)e.len, LOG_BUF_BYTES_MAX);
		ind.flags = 0;
		/* The ring part, then the indirect table it may end in (at most one). */
		left = log_table_chain(rx->log, (const uint8_t *)rx->desc, rx->size, e.id, true,
				       left, &ind);
		if (left > 0 && (ind.flags & VL_VRING_DESC_F_INDIRECT)) {
			const uint8_t *table =
				log_indirect_table(mem, ind.addr, ind.len, rx->size, &hint);

			if (table != NULL)
				log_table_chain(rx->log, table, ind.len / VRING_DESC_BYTES, 0, true,
						left, NULL);
		}
	}
}

void
vring_log_split_ring(struct vl_vring *vq, uint16_t from, uint16_t to, bool event_idx)
{
	const uint64_t elem = sizeof(struct vl_vring_used_elem);
	const uint64_t ring_off = offsetof(struct vl_vring_used, ring);
	uint32_t nb = (uint16_t)(to - from), slot = from & (vq->size - 1);
	uint32_t first;

	if (vq->log == NULL || nb == 0)
		return;
	nb = VL_MIN(nb, (uint32_t)vq->size);
	first = VL_MIN(nb, (uint32_t)vq->size - slot);
	log_ring(vq, ring_off + slot * elem, first * elem);
	if (nb > first)
		log_ring(vq, ring_off, (nb - first) * elem);
	log_ring(vq, offsetof(struct vl_vring_used, idx), sizeof(uint16_t));
	if (event_idx) /* avail_event follows the ring: moved with last_avail */
		log_ring(vq, ring_off + (uint64_t)vq->size * elem, sizeof(uint16_t));
}

/* ---- packed rings --------------------------------------------------------------------------- */

void
vring_log_packed_chain(struct vl_vring *vq, const struct vl_mem *mem, uint16_t slot, uint16_t count,
		       uint32_t len)
{
	uint64_t left = VL_MIN((uint64_t)len, LOG_BUF_BYTES_MAX);
	uint32_t hint = vq->region_hint;

	for (uint16_t k = 0; k < count && k < vq->size && left > 0; k++) {
		struct vl_vring_packed_desc d;
		uint64_t n;

		/* Still the driver's descriptor: the used flags are not written yet. */
		memcpy(&d, &vq->pdesc[slot], sizeof(d));
		vring_compiler_barrier();
		if (++slot >= vq->size)
			slot = 0;
		if (d.flags & VL_VRING_DESC_F_INDIRECT) {
			const uint8_t *table =
				log_indirect_table(mem, d.addr, d.len, vq->size, &hint);

			if (table != NULL)
				left = log_table_chain(vq->log, table, d.len / VRING_DESC_BYTES, 0,
						       false, left, NULL);
			continue;
		}
		n = VL_MIN((uint64_t)d.len, left);
		vl_vring_log_write(vq->log, d.addr, n);
		left -= n;
	}
}

void
vring_log_packed_ring(struct vl_vring *vq, uint16_t slot, uint32_t nb_slots)
{
	uint32_t first;

	if (vq->log == NULL || nb_slots == 0 || slot >= vq->size)
		return;
	nb_slots = VL_MIN(nb_slots, (uint32_t)vq->size);
	first = VL_MIN(nb_slots, (uint32_t)vq->size - slot);
	log_ring(vq, (uint64_t)slot * VRING_DESC_BYTES, (uint64_t)first * VRING_DESC_BYTES);
	if (nb_slots > first)
		log_ring(vq, 0, (uint64_t)(nb_slots - first) * VRING_DESC_BYTES);
}

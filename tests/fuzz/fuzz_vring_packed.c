/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a hostile guest on packed rings. The input picks features, ring sizes (any
 * 1..64, not only powers of two), start slots and phases, memory regions (each its own exact-size
 * allocation, so ASan sees any byte past a region), descriptors and their avail/used bits, the
 * driver's event area and the guest memory contents; between bursts the "driver" posts more
 * descriptors at the device's cursor. ASan/UBSan must never fire, every burst must terminate,
 * and the cursors must stay consistent (everything consumed is handed back in the same burst).
 *
 * Features bit 5: a ring resumed after a stop (reconnect, migration): the used cursors and their
 * wrap counters come from the input too, anywhere init accepts them (behind the avail cursor
 * with buffers in flight, level with it, or a hostile frontend's "ahead"); every burst must then
 * keep the distance between the two cursors. Bit 6: before the bursts, init is also called with
 * what it must reject (a slot >= size, size 0 or > 32768, a NULL area), and must return -EINVAL
 * without touching the vring. Bit 7: opts.rx_lag_polls 2, the packed TX far-end idle poll (idle
 * polls that read only the slot where the expected burst ends, at most 2 in a row).
 *
 * The interrupt decision after each burst is, as the input picks, the fenced one or the busy
 * poll's lazy one, whose owed looks are settled now and then (and before a broken ring is reset,
 * as lib/fwd does). An oracle follows each vring: the used descriptors written since the vring
 * last owed nothing, counted burst by burst. Whenever a decision or settle leaves nothing owed
 * without having called since then, a fenced look at the driver event area as it is now must not
 * want a call for that window either (the lazy decision may postpone a call, never lose one);
 * never the bound of owed decisions in a row, and an owed window stays shorter than the ring.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl_vring.h"

#define FUZZ_GPA_BASE 0x10000ULL
#define FUZZ_REGION_MAX_BYTES 8192u
#define FUZZ_SIZE_MAX 64
/* Bursts per input: enough for the bound of owed decisions in a row (8) to be reached. */
#define FUZZ_BURSTS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t
in_u8(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint16_t
in_u16(struct input *in)
{
	uint16_t lo = in_u8(in);

	return (uint16_t)(lo | in_u8(in) << 8);
}

static void
in_bytes(struct input *in, void *out, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(out, in->p, n);
	memset((uint8_t *)out + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

struct fuzz_ring {
	struct vl_vring_packed_desc *desc;
	struct vl_vring_packed_event *drv;
	struct vl_vring_packed_event *dev;
	uint16_t size;
};

static bool
ring_new(struct fuzz_ring *r, uint16_t size)
{
	r->size = size;
	r->desc = calloc(size, sizeof(*r->desc));
	r->drv = calloc(1, sizeof(*r->drv));
	r->dev = calloc(1, sizeof(*r->dev));
	return r->desc != NULL && r->drv != NULL && r->dev != NULL;
}

static void
ring_free(struct fuzz_ring *r)
{
	free(r->desc);
	free(r->drv);
	free(r->dev);
}

/*
 * The driver posts up to size descriptors from the device's avail cursor on: mostly available in
 * the phase of their slot (the control byte's high bit keeps the raw avail/used bits instead);
 * addresses with bit 63 clear fold into the guest-physical window, lengths with bit 31 clear
 * stay small.
 */
static void
ring_post(struct fuzz_ring *r, struct input *in, const struct vl_vring *vq, uint64_t gpa_span)
{
	uint16_t slot = vq->last_avail_idx % r->size;
	bool wrap = vq->avail_wrap;
	uint32_t nb = in_u8(in) % (r->size + 1u);

	for (uint32_t i = 0; i < nb; i++) {
		struct vl_vring_packed_desc d;
		uint8_t ctl = in_u8(in);

		in_bytes(in, &d, sizeof(d));
		if (!(d.addr >> 63))
			d.addr = FUZZ_GPA_BASE + d.addr % (gpa_span + 64);
		if (!(d.len >> 31))
			d.len &= 0x7ff;
		if (!(ctl & 0x80)) {
			d.flags &= 0x7;
			d.flags |= wrap ? VL_VRING_DESC_F_AVAIL : VL_VRING_DESC_F_USED;
		}
		if (!(ctl & 0x40))
			d.id = (uint16_t)(d.id % r->size);
		r->desc[slot] = d;
		if (++slot == r->size) {
			slot = 0;
			wrap = !wrap;
		}
	}
	r->drv->flags = in_u8(in) % 4;
	r->drv->off_wrap = in_u16(in);
}

static void
check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* A cursor (slot, wrap counter) as a position on the circle of 2 * size. */
static uint32_t
cursor_pos(uint16_t slot, bool wrap, uint16_t size)
{
	return slot + (wrap ? 0u : size);
}

/* How far the avail cursor is ahead of the used one, mod 2 * size. */
static uint32_t
cursor_gap(const struct vl_vring *vq)
{
	uint32_t circle = 2u * vq->size;

	return (cursor_pos(vq->last_avail_idx, vq->avail_wrap, vq->size) + circle -
		cursor_pos(vq->last_used_idx, vq->used_wrap, vq->size)) %
	       circle;
}

/* The gap the ring started with (0 unless resumed) is kept: everything consumed was handed
 * back in the burst. */
static void
check_cursors(const struct vl_vring *vq, uint32_t gap)
{
	check(vq->last_avail_idx < vq->size && vq->last_used_idx < vq->size);
	check(cursor_gap(vq) == gap);
	if (gap == 0)
		check(vq->last_avail_idx == vq->last_used_idx && vq->avail_wrap == vq->used_wrap);
}

/* ---- the interrupt oracle ----------------------------------------------------------------- */

/* One vring's used descriptors written since it last owed nothing: win slots from pos. */
struct irq_model {
	uint32_t pos; /* slot + (wrap counter ? size : 0), as the driver's off_wrap counts */
	uint32_t win; /* may exceed the circle of 2 x size: counted burst by burst */
};

static uint32_t
used_pos(const struct vl_vring *vq)
{
	return vq->last_used_idx + (vq->used_wrap ? vq->size : 0u);
}

static void
model_reset(struct irq_model *m, const struct vl_vring *vq)
{
	m->pos = used_pos(vq);
	m->win = 0;
}

/* The burst moved the used cursor from before: at most size slots (the driver posts nothing
 * during a burst here), so the distance on the circle is exact. */
static void
model_burst(struct irq_model *m, uint32_t before, const struct vl_vring *vq)
{
	uint32_t circle = 2u * vq->size;

	m->win += (used_pos(vq) + circle - before) % circle;
}

/* Would a fenced look at the driver event area now want a call for the window? */
static bool
model_must_call(const struct irq_model *m, const struct vl_vring *vq, const struct fuzz_ring *r,
		const struct vl_vring_opts *opts)
{
	uint16_t flags = r->drv->flags, off = r->drv->off_wrap & 0x7fff;
	uint32_t circle = 2u * vq->size, ev;

	if (m->win == 0 || flags == VL_VRING_EVENT_F_DISABLE)
		return false;
	if (flags != VL_VRING_EVENT_F_DESC || !opts->event_idx || off >= vq->size)
		return true;
	ev = off + ((r->drv->off_wrap >> 15) ? vq->size : 0u);
	return (ev + circle - m->pos) % circle < m->win;
}

/* A decision or settle returned call: a call covers the window. Nothing owed after a "no call":
 * the oracle must agree. Still owed: within the bounds. */
static void
model_decided(struct irq_model *m, const struct vl_vring *vq, const struct fuzz_ring *r,
	      const struct vl_vring_opts *opts, bool call)
{
	if (call) {
		model_reset(m, vq);
		return;
	}
	if (vl_vring_call_owed(vq)) {
		check(vq->nb_call_owed < VL_VRING_CALL_OWED_MAX && m->win < vq->size);
		return;
	}
	check(!model_must_call(m, vq, r, opts));
	model_reset(m, vq);
}

/* The interrupt decision after a burst: fenced (mode 0), lazy (1, 2), lazy then settled (3). */
static void
decide(uint8_t mode, struct irq_model *m, struct vl_vring *vq, const struct fuzz_ring *r,
       const struct vl_vring_opts *opts)
{
	if (mode == 0) {
		model_decided(m, vq, r, opts, vl_vring_packed_need_call(vq, opts));
		check(!vl_vring_call_owed(vq));
		return;
	}
	model_decided(m, vq, r, opts, vl_vring_packed_need_call_lazy(vq, opts));
	if (mode == 3) {
		model_decided(m, vq, r, opts, vl_vring_call_settle(vq, opts));
		check(!vl_vring_call_owed(vq));
	}
}

/* A valid base (slot < size, any wrap counter) from an input word. */
static uint16_t
base_of(uint16_t v, uint16_t size)
{
	return (uint16_t)((v & 0x8000) | (v & 0x7fff) % size);
}

/*
 * What vl_vring_packed_init must refuse, chosen by the input: -EINVAL, and *vq untouched. The
 * valid arguments are the ring's own.
 */
static void
check_init_rejects(struct input *in, struct fuzz_ring *r, const struct vl_vring *vq)
{
	struct vl_vring probe = *vq;
	uint8_t before[sizeof(probe)];
	struct vl_vring_packed_desc *desc = r->desc;
	struct vl_vring_packed_event *drv = r->drv, *dev = r->dev;
	uint8_t how = in_u8(in);
	uint16_t v = in_u16(in), size = r->size;
	uint16_t avail_base = base_of(in_u16(in), size), used_base = base_of(in_u16(in), size);
	uint16_t bad_slot = (uint16_t)(size + v % (0x8000u - size)); /* size..0x7fff */

	memcpy(before, &probe, sizeof(probe));
	switch (how % 7) {
	case 0:
		avail_base = (uint16_t)((avail_base & 0x8000) | bad_slot);
		break;
	case 1:
		used_base = (uint16_t)((used_base & 0x8000) | bad_slot);
		break;
	case 2:
		size = 0;
		break;
	case 3:
		size = (uint16_t)(VL_VRING_PACKED_SIZE_MAX + 1 + v % (0x10000u - 0x8001u));
		break;
	case 4:
		desc = NULL;
		break;
	case 5:
		drv = NULL;
		break;
	default:
		dev = NULL;
		break;
	}
	check(vl_vring_packed_init(&probe, desc, drv, dev, size, avail_base, used_base) == -EINVAL);
	check(memcmp(before, &probe, sizeof(probe)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct vl_mem mem = {0};
	uint8_t *region_mem[VL_MEM_MAX_REGIONS] = {NULL};
	struct fuzz_ring txr = {0}, rxr = {0};
	struct vl_vring tx, rx;
	struct vl_vring_opts opts;
	uint64_t gpa = FUZZ_GPA_BASE;
	uint8_t features = in_u8(&in), nb_regions;
	uint16_t tx_size = (uint16_t)(1 + in_u8(&in) % FUZZ_SIZE_MAX);
	uint16_t rx_size = (uint16_t)(1 + in_u8(&in) % FUZZ_SIZE_MAX);
	uint16_t tx_base = in_u16(&in), rx_base = in_u16(&in);
	uint16_t tx_used_base, rx_used_base;
	uint32_t tx_gap, rx_gap;
	struct irq_model tx_irq, rx_irq;

	opts = (struct vl_vring_opts){
		.mrg_rxbuf = features & 1,
		.event_idx = (features >> 1) & 1,
		.indirect = (features >> 2) & 1,
		.in_order = (features >> 4) & 1,
		/* Packed TX: idle polls look at the far end of the expected burst, 2 at most. */
		.rx_lag_polls = (features >> 7) & 1 ? 2 : 0,
	};
	opts.hdr_len = (opts.mrg_rxbuf || (features >> 3) & 1) ? 12 : 10;
	tx_base = base_of(tx_base, tx_size);
	rx_base = base_of(rx_base, rx_size);
	tx_used_base = tx_base;
	rx_used_base = rx_base;
	if ((features >> 5) & 1) { /* resumed: the used cursors where the input puts them */
		tx_used_base = base_of(in_u16(&in), tx_size);
		rx_used_base = base_of(in_u16(&in), rx_size);
	}

	nb_regions = (uint8_t)(1 + in_u8(&in) % 3);
	for (uint32_t i = 0; i < nb_regions; i++) {
		uint32_t len = 1 + in_u16(&in) % FUZZ_REGION_MAX_BYTES;
		uint8_t gap = in_u8(&in);

		region_mem[i] = malloc(len);
		if (region_mem[i] == NULL)
			goto out;
		memset(region_mem[i], 0, len);
		gpa += (gap & 0x80) ? (gap & 0x7f) : 0;
		mem.regions[i] = (struct vl_mem_region){gpa, len, (uintptr_t)region_mem[i]};
		gpa += len;
	}
	mem.nb_regions = nb_regions;

	if (!ring_new(&txr, tx_size) || !ring_new(&rxr, rx_size))
		goto out;
	check(vl_vring_packed_init(&tx, txr.desc, txr.drv, txr.dev, tx_size, tx_base,
				   tx_used_base) == 0);
	check(vl_vring_packed_init(&rx, rxr.desc, rxr.drv, rxr.dev, rx_size, rx_base,
				   rx_used_base) == 0);
	tx_gap = cursor_gap(&tx);
	rx_gap = cursor_gap(&rx);
	if ((features >> 6) & 1) {
		check_init_rejects(&in, &txr, &tx);
		check_init_rejects(&in, &rxr, &rx);
	}
	/* Slots start "used in the previous phase" unless the input overwrites them. */
	for (uint16_t i = 0; i < tx_size; i++)
		txr.desc[i].flags = (i < tx.last_avail_idx) == tx.avail_wrap
					    ? (VL_VRING_DESC_F_AVAIL | VL_VRING_DESC_F_USED)
					    : 0;
	for (uint16_t i = 0; i < rx_size; i++)
		rxr.desc[i].flags = (i < rx.last_avail_idx) == rx.avail_wrap
					    ? (VL_VRING_DESC_F_AVAIL | VL_VRING_DESC_F_USED)
					    : 0;
	for (uint32_t i = 0; i < nb_regions; i++)
		in_bytes(&in, region_mem[i], mem.regions[i].size);
	vl_vring_packed_suppress_kicks(&tx, &opts);
	vl_vring_packed_suppress_kicks(&rx, &opts);
	check(txr.dev->flags == VL_VRING_EVENT_F_DISABLE);
	model_reset(&tx_irq, &tx);
	model_reset(&rx_irq, &rx);

	for (uint32_t b = 0; b < FUZZ_BURSTS; b++) {
		struct vl_vring_burst res;
		unsigned int n;
		uint16_t av, us;
		struct vl_vring again;
		uint32_t tx_before = used_pos(&tx), rx_before = used_pos(&rx);
		uint8_t mode;

		ring_post(&txr, &in, &tx, gpa - FUZZ_GPA_BASE);
		ring_post(&rxr, &in, &rx, gpa - FUZZ_GPA_BASE);
		if (in_u8(&in) & 1)
			n = vl_vring_packed_sink_burst(&tx, &opts, 1 + in_u8(&in) % 64, &res);
		else
			n = vl_vring_packed_loop_burst(&tx, &rx, &mem, &opts, 1 + in_u8(&in) % 64,
						       &res);

		check(n == res.nb_tx_done);
		check(n <= tx_size && res.nb_rx_bufs <= rx_size);
		check(res.nb_frames + res.drop_rx_full + res.drop_truncated + res.drop_short <= n);
		check(res.nb_frames <= res.nb_rx_bufs);
		check_cursors(&tx, tx_gap);
		check_cursors(&rx, rx_gap);
		model_burst(&tx_irq, tx_before, &tx);
		model_burst(&rx_irq, rx_before, &rx);
		mode = in_u8(&in) % 4;
		decide(mode, &tx_irq, &tx, &txr, &opts);
		decide(mode, &rx_irq, &rx, &rxr, &opts);
		(void)vl_vring_fault_str(tx.fault);
		(void)vl_vring_fault_str(rx.fault);

		/* The base round-trips through librte_vhost's encoding. */
		vl_vring_base(&tx, &av, &us);
		check(vl_vring_packed_init(&again, txr.desc, txr.drv, txr.dev, tx_size, av, us) ==
		      0);
		check(again.last_avail_idx == tx.last_avail_idx &&
		      again.avail_wrap == tx.avail_wrap);
		check(again.last_used_idx == tx.last_used_idx && again.used_wrap == tx.used_wrap);

		/* The guest sometimes resets a broken ring (a restart from the base). */
		if ((tx.fault != VL_VRING_FAULT_NONE || rx.fault != VL_VRING_FAULT_NONE) &&
		    (in_u8(&in) & 1)) {
			/* What the broken pair's decisions owe is settled first (lib/fwd). */
			model_decided(&tx_irq, &tx, &txr, &opts, vl_vring_call_settle(&tx, &opts));
			model_decided(&rx_irq, &rx, &rxr, &opts, vl_vring_call_settle(&rx, &opts));
			tx = again;
			vl_vring_base(&rx, &av, &us);
			check(vl_vring_packed_init(&rx, rxr.desc, rxr.drv, rxr.dev, rx_size, av,
						   us) == 0);
			model_reset(&tx_irq, &tx);
			model_reset(&rx_irq, &rx);
		}
	}

out:
	ring_free(&txr);
	ring_free(&rxr);
	for (uint32_t i = 0; i < VL_MEM_MAX_REGIONS; i++)
		free(region_mem[i]);
	return 0;
}

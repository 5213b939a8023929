/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl-micro-vring-packed - cycles per frame of vl_vring_packed_loop_burst on fake guest memory
 * (no EAL), warm caches: the packed-ring counterpart of vl-micro-vring's warm cases.
 *
 * One malloc'ed "guest memory" region holds a TX and an RX buffer per slot. Each iteration the
 * "guest" (same thread) reads the used descriptors the previous burst wrote and posts as many
 * fresh descriptors at its avail cursor (same buffers, head flags last), then one burst runs;
 * only the burst is timed (rdtsc). Cold cases flush every line the next burst will touch (the
 * burst's descriptors, indirect tables, TX frames and RX buffers) before it, as if the guest's
 * core had just written them: the misses a real guest causes, without the guest.
 *
 * Usage: vl-micro-vring-packed [frames_per_case [case_name_substring]]   (default 4000000, all)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "vl_vring.h"

#define MICRO_RING_SIZE 256
#define MICRO_BURST 32
#define MICRO_BUF_BYTES 2048
#define MICRO_GPA_BASE 0x40000000ULL
#define MICRO_SLICES 10
#define MICRO_LINE 64

struct micro_case {
	const char *name;
	uint32_t frame_bytes; /* without the virtio-net header */
	bool mrg;
	bool in_order;
	bool indirect;	/* TX frames as an indirect table of (header, frame) */
	bool hdr_split; /* TX frames as the header alone in one slot, the frame in the next */
	bool cold;	/* flush what the burst touches before each burst */
	uint32_t rx_buf_bytes; /* RX descriptor length; 0: MICRO_BUF_BYTES */
};

/* The driver's side of one packed ring. */
struct micro_ring {
	struct vl_vring_packed_desc *desc;
	struct vl_vring_packed_event *drv, *dev;
	uint16_t avail_slot, used_slot;
	bool avail_wrap, used_wrap;
	struct vl_vring vq;
};

struct micro {
	uint8_t *guest;
	struct vl_mem mem;
	struct micro_ring tx, rx;
	struct vl_vring_opts opts;
	const struct micro_case *mc;
};

static void *
micro_alloc(size_t bytes)
{
	void *p = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	memset(p, 0, bytes);
	return p;
}

static uint64_t
micro_gpa(uint32_t buf_idx)
{
	return MICRO_GPA_BASE + (uint64_t)buf_idx * MICRO_BUF_BYTES;
}

/* Post buffer id (its descriptor contents are fixed per id) at the avail cursor. */
static void
micro_post(struct micro *m, struct micro_ring *r, uint16_t id, bool rx)
{
	const struct micro_case *mc = m->mc;
	struct vl_vring_packed_desc *d = &r->desc[r->avail_slot];
	uint16_t flags = r->avail_wrap ? VL_VRING_DESC_F_AVAIL : VL_VRING_DESC_F_USED;

	if (rx) {
		d->addr = micro_gpa(MICRO_RING_SIZE + id);
		d->len = mc->rx_buf_bytes != 0 ? mc->rx_buf_bytes : MICRO_BUF_BYTES;
		flags |= VL_VRING_DESC_F_WRITE;
	} else if (mc->hdr_split) {
		/* The header alone here, the frame in the next slot (its flags before the head's).
		 */
		struct vl_vring_packed_desc *d2;
		uint16_t s2 = (uint16_t)((r->avail_slot + 1) % MICRO_RING_SIZE);
		bool w2 = s2 == 0 ? !r->avail_wrap : r->avail_wrap;

		d2 = &r->desc[s2];
		d2->addr = micro_gpa(id) + 12;
		d2->len = mc->frame_bytes;
		d2->id = id;
		d2->flags = w2 ? VL_VRING_DESC_F_AVAIL : VL_VRING_DESC_F_USED;
		d->addr = micro_gpa(id);
		d->len = 12;
		flags |= VL_VRING_DESC_F_NEXT;
	} else if (mc->indirect) {
		d->addr = micro_gpa(2 * MICRO_RING_SIZE) + id * 32u;
		d->len = 32;
		flags |= VL_VRING_DESC_F_INDIRECT;
	} else {
		d->addr = micro_gpa(id);
		d->len = 12 + mc->frame_bytes;
	}
	d->id = id;
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
	for (int k = 0; k < (!rx && mc->hdr_split ? 2 : 1); k++) {
		if (++r->avail_slot == MICRO_RING_SIZE) {
			r->avail_slot = 0;
			r->avail_wrap = !r->avail_wrap;
		}
	}
}

/* Every buffer the device returned goes straight back (with in_order, a batch of them). */
static void
micro_recycle(struct micro *m, struct micro_ring *r, bool rx)
{
	for (;;) {
		struct vl_vring_packed_desc *d = &r->desc[r->used_slot];
		uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
		uint16_t id, first, n;

		if (!!(f & VL_VRING_DESC_F_AVAIL) != r->used_wrap ||
		    !!(f & VL_VRING_DESC_F_USED) != r->used_wrap)
			return;
		id = d->id;
		/* Buffers are posted in id order, one slot each: the batch ends at id. */
		first = (uint16_t)(r->used_slot);
		n = (uint16_t)((id + MICRO_RING_SIZE - first) % MICRO_RING_SIZE + 1);
		if (!m->opts.in_order || rx)
			n = 1;
		if (!rx && m->mc->hdr_split) /* one chain per used descriptor, 2 slots, id = its */
			n = 1, first = id;
		for (uint16_t k = 0; k < n; k++) {
			micro_post(m, r, (uint16_t)((first + k) % MICRO_RING_SIZE), rx);
			for (int j = 0; j < (!rx && m->mc->hdr_split ? 2 : 1); j++) {
				if (++r->used_slot == MICRO_RING_SIZE) {
					r->used_slot = 0;
					r->used_wrap = !r->used_wrap;
				}
			}
		}
	}
}

static void
micro_flush_range(const void *p, size_t bytes)
{
	const uint8_t *b = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)(MICRO_LINE - 1));

	for (; b < (const uint8_t *)p + bytes; b += MICRO_LINE)
		_mm_clflush(b);
}

/* Evict what the next burst will touch, as if the guest's core had just written it. */
static void
micro_make_cold(struct micro *m)
{
	const uint32_t tx_slots = m->mc->hdr_split ? 2 : 1;

	micro_flush_range(m->tx.desc, MICRO_RING_SIZE * sizeof(*m->tx.desc));
	micro_flush_range(m->rx.desc, MICRO_RING_SIZE * sizeof(*m->rx.desc));
	for (uint32_t k = 0; k < MICRO_BURST; k++) {
		const struct vl_vring_packed_desc *td =
			&m->tx.desc[(m->tx.vq.last_avail_idx + k * tx_slots) % MICRO_RING_SIZE];
		const struct vl_vring_packed_desc *rd =
			&m->rx.desc[(m->rx.vq.last_avail_idx + k) % MICRO_RING_SIZE];
		uint16_t id = td->id;

		if (m->mc->indirect)
			micro_flush_range(m->guest + (td->addr - MICRO_GPA_BASE), td->len);
		micro_flush_range(m->guest + (micro_gpa(id) - MICRO_GPA_BASE),
				  12 + m->mc->frame_bytes);
		micro_flush_range(m->guest + (rd->addr - MICRO_GPA_BASE), 12 + m->mc->frame_bytes);
	}
	_mm_mfence();
}

static void
micro_ring_setup(struct micro_ring *r)
{
	r->desc = micro_alloc(MICRO_RING_SIZE * sizeof(*r->desc));
	r->drv = micro_alloc(sizeof(*r->drv));
	r->dev = micro_alloc(sizeof(*r->dev));
	r->avail_wrap = r->used_wrap = true;
	if (vl_vring_packed_init(&r->vq, r->desc, r->drv, r->dev, MICRO_RING_SIZE, 0x8000,
				 0x8000) != 0)
		exit(1);
}

static void
micro_setup(struct micro *m, const struct micro_case *mc)
{
	size_t guest_bytes = (size_t)(2 * MICRO_RING_SIZE + 4) * MICRO_BUF_BYTES;

	memset(m, 0, sizeof(*m));
	m->mc = mc;
	m->guest = micro_alloc(guest_bytes);
	m->mem.nb_regions = 1;
	m->mem.regions[0] =
		(struct vl_mem_region){MICRO_GPA_BASE, guest_bytes, (uintptr_t)m->guest};
	m->opts = (struct vl_vring_opts){
		.hdr_len = 12, .mrg_rxbuf = mc->mrg, .indirect = true, .in_order = mc->in_order};
	micro_ring_setup(&m->tx);
	micro_ring_setup(&m->rx);
	for (uint16_t id = 0; id < MICRO_RING_SIZE; id++) {
		struct vl_vring_packed_desc *t =
			(struct vl_vring_packed_desc *)(void *)(m->guest +
								2 * MICRO_RING_SIZE *
									MICRO_BUF_BYTES +
								id * 32u);

		t[0] = (struct vl_vring_packed_desc){micro_gpa(id), 12, 0, 0};
		t[1] = (struct vl_vring_packed_desc){micro_gpa(id) + 12, mc->frame_bytes, 0, 0};
		memset(m->guest + (size_t)id * MICRO_BUF_BYTES + 12, 0x5a, mc->frame_bytes);
		if (!mc->hdr_split || id < MICRO_RING_SIZE / 2) /* 2 slots per TX chain */
			micro_post(m, &m->tx, id, false);
		micro_post(m, &m->rx, id, true);
	}
}

static void
micro_teardown(struct micro *m)
{
	struct micro_ring *rings[2] = {&m->tx, &m->rx};

	for (int i = 0; i < 2; i++) {
		free(rings[i]->desc);
		free(rings[i]->drv);
		free(rings[i]->dev);
	}
	free(m->guest);
}

static int
micro_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
micro_slice(struct micro *m, uint64_t nb_frames)
{
	uint64_t cycles = 0, frames = 0;

	while (frames < nb_frames) {
		struct vl_vring_burst res;
		uint64_t t0, t1;
		unsigned int n;

		micro_recycle(m, &m->tx, false);
		micro_recycle(m, &m->rx, true);
		if (m->mc->cold)
			micro_make_cold(m);
		t0 = __rdtsc();
		n = vl_vring_packed_loop_burst(&m->tx.vq, &m->rx.vq, &m->mem, &m->opts, MICRO_BURST,
					       &res);
		t1 = __rdtsc();
		if (n == 0 || res.nb_frames != n || m->tx.vq.fault != VL_VRING_FAULT_NONE ||
		    m->rx.vq.fault != VL_VRING_FAULT_NONE) {
			fprintf(stderr, "%s: no progress (tx %s, rx %s)\n", m->mc->name,
				vl_vring_fault_str(m->tx.vq.fault),
				vl_vring_fault_str(m->rx.vq.fault));
			exit(1);
		}
		cycles += t1 - t0;
		frames += res.nb_frames;
	}
	return (double)cycles / (double)frames;
}

static void
micro_run(const struct micro_case *mc, uint64_t nb_frames)
{
	double per_frame[MICRO_SLICES];
	struct micro m;

	micro_setup(&m, mc);
	micro_slice(&m, nb_frames / MICRO_SLICES / 4 + 1); /* warm-up */
	for (int i = 0; i < MICRO_SLICES; i++)
		per_frame[i] = micro_slice(&m, nb_frames / MICRO_SLICES + 1);
	qsort(per_frame, MICRO_SLICES, sizeof(per_frame[0]), micro_cmp);
	printf("%-34s %5u B  median %6.1f  best %6.1f cycles/frame\n", mc->name, mc->frame_bytes,
	       per_frame[MICRO_SLICES / 2], per_frame[0]);
	micro_teardown(&m);
}

int
main(int argc, char **argv)
{
	static const struct micro_case cases[] = {
		{"packed warm 1desc", 64, false, false, false, false, false},
		{"packed warm 1desc mrg", 64, true, false, false, false, false},
		{"packed warm 1desc in_order", 64, false, true, false, false, false},
		{"packed warm 1desc", 1518, false, false, false, false, false},
		{"packed warm 1desc mrg", 1518, true, false, false, false, false},
		{"packed warm hdr-split", 64, false, false, false, true, false},
		{"packed warm hdr-split", 1518, false, false, false, true, false},
		{"packed warm indirect", 64, false, false, true, false, false},
		{"packed warm indirect", 1518, false, false, true, false, false},
		/* Frames over several RX buffers: the walker (pk_frame), not the batch. */
		{"packed warm mrg 512B RX bufs (scatter)", 1518, true, false, false, false, false,
		 512},
		{"packed cold 1desc", 64, false, false, false, false, true},
		{"packed cold 1desc mrg", 64, true, false, false, false, true},
		{"packed cold 1desc", 1518, false, false, false, false, true},
		{"packed cold hdr-split", 64, false, false, false, true, true},
		{"packed cold indirect", 64, false, false, true, false, true},
	};
	uint64_t nb_frames = argc > 1 ? strtoull(argv[1], NULL, 0) : 4000000;

	printf("vl-micro-vring-packed: burst %u, ring %u, TSC cycles per looped frame (backend "
	       "only)\n",
	       MICRO_BURST, MICRO_RING_SIZE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (argc <= 2 || strstr(cases[i].name, argv[2]) != NULL)
			micro_run(&cases[i], cases[i].cold ? nb_frames / 8 : nb_frames);
	return 0;
}

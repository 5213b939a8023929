/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl-micro-vring - cycles per frame of vl_vring_loop_burst on fake guest memory (no EAL).
 *
 * One malloc'ed "guest memory" region holds a TX and an RX buffer per descriptor. Each
 * iteration the "guest" (same thread) recycles what the previous burst returned into the avail
 * rings, then one burst runs; only the burst is timed (rdtsc).
 *
 * warm: buffers, rings and descriptors stay in this core's caches -- the lower bound.
 * cold: before each burst every line the guest would have touched (avail ring, descriptors, TX
 *       frames, RX buffers, used ring) is flushed with clflush, so the burst pays a miss per
 *       line, roughly what a guest on another core costs (a remote-core hit is usually cheaper
 *       than DRAM, a remote-socket one is not). Neither mode models the guest running at the
 *       same time (coherence ping-pong on ring lines).
 *
 * Usage: vl-micro-vring [frames_per_case [case_name_substring]]   (default 4000000, all)
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
#define MICRO_LINE 64

struct micro_ring {
	struct vl_vring_desc *desc;
	struct vl_vring_avail *avail;
	struct vl_vring_used *used;
	uint16_t avail_idx;
	uint16_t used_seen;
	struct vl_vring vq;
};

/* How the "guest" lays out each TX frame. */
enum micro_tx_layout {
	MICRO_TX_1DESC,	    /* header + frame in one descriptor */
	MICRO_TX_HDR_SPLIT, /* header alone, then the frame: a 2-descriptor chain */
	MICRO_TX_INDIRECT,  /* one INDIRECT descriptor -> a table of (header, frame) */
};

struct micro_case {
	const char *name;
	uint32_t frame_bytes;  /* without the virtio-net header */
	bool mrg;	       /* MRG_RXBUF negotiated */
	uint32_t rx_buf_bytes; /* RX descriptor length */
	enum micro_tx_layout tx_layout;
	bool cold;
	bool log; /* dirty-page logging on (live migration): both vrings marked in a bitmap */
};

struct micro {
	uint8_t *guest;
	struct vl_mem mem;
	struct micro_ring tx, rx;
	struct vl_vring_opts opts;
	const struct micro_case *mc;
	uint8_t *log_bitmap;
	struct vl_vring_log log_tx, log_rx;
	uint64_t log_pages, log_faults;
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

static void
micro_ring_setup(struct micro_ring *r)
{
	r->desc = micro_alloc(MICRO_RING_SIZE * sizeof(*r->desc));
	r->avail = micro_alloc(sizeof(*r->avail) + (MICRO_RING_SIZE + 1) * sizeof(uint16_t));
	r->used = micro_alloc(sizeof(*r->used) +
			      MICRO_RING_SIZE * sizeof(struct vl_vring_used_elem) + 2);
	if (vl_vring_init(&r->vq, r->desc, r->avail, r->used, MICRO_RING_SIZE, 0, 0) != 0)
		exit(1);
}

/* The guest's side: every chain the device returned goes straight back into the avail ring. */
static void
micro_recycle(struct micro_ring *r, uint32_t chain_descs)
{
	uint16_t used_idx = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);

	while (r->used_seen != used_idx) {
		uint32_t id = r->used->ring[r->used_seen & (MICRO_RING_SIZE - 1)].id;

		r->avail->ring[r->avail_idx & (MICRO_RING_SIZE - 1)] = (uint16_t)id;
		r->avail_idx++;
		r->used_seen++;
	}
	(void)chain_descs;
	__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

static void
micro_flush_range(const void *p, size_t bytes)
{
	const uint8_t *b = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)(MICRO_LINE - 1));

	for (; b < (const uint8_t *)p + bytes; b += MICRO_LINE)
		_mm_clflush(b);
}

static uint8_t *
micro_hva(struct micro *m, uint64_t gpa)
{
	return m->guest + (gpa - MICRO_GPA_BASE);
}

/* Evict what the next burst will touch, as if another core had written or read it. */
static void
micro_make_cold(struct micro *m)
{
	micro_flush_range(m->tx.avail, sizeof(*m->tx.avail) + MICRO_RING_SIZE * 2);
	micro_flush_range(m->rx.avail, sizeof(*m->rx.avail) + MICRO_RING_SIZE * 2);
	for (uint16_t k = 0; k < MICRO_BURST; k++) {
		uint16_t tx_head = m->tx.avail->ring[(m->tx.vq.last_avail_idx + k) & 255];
		uint16_t rx_head = m->rx.avail->ring[(m->rx.vq.last_avail_idx + k) & 255];
		const struct vl_vring_desc *td = &m->tx.desc[tx_head];
		const struct vl_vring_desc *rd = &m->rx.desc[rx_head];

		micro_flush_range(td, sizeof(*td) * 2);
		if (m->mc->tx_layout == MICRO_TX_INDIRECT) {
			td = (const struct vl_vring_desc *)(const void *)micro_hva(m, td->addr);
			micro_flush_range(td, sizeof(*td) * 2);
		}
		micro_flush_range(rd, sizeof(*rd));
		micro_flush_range(micro_hva(m, td->addr), m->opts.hdr_len + m->mc->frame_bytes);
		micro_flush_range(micro_hva(m, rd->addr), rd->len);
	}
	micro_flush_range(m->tx.used, sizeof(*m->tx.used) + MICRO_RING_SIZE * 8);
	micro_flush_range(m->rx.used, sizeof(*m->rx.used) + MICRO_RING_SIZE * 8);
	_mm_mfence();
}

static void
micro_setup(struct micro *m, const struct micro_case *mc)
{
	uint32_t tx_descs = mc->tx_layout == MICRO_TX_HDR_SPLIT ? 2 : 1;
	uint32_t nb_bufs = 3 * MICRO_RING_SIZE; /* TX, RX, indirect tables */

	memset(m, 0, sizeof(*m));
	m->mc = mc;
	m->guest = micro_alloc((size_t)nb_bufs * MICRO_BUF_BYTES);
	m->mem.nb_regions = 1;
	m->mem.regions[0] = (struct vl_mem_region){
		MICRO_GPA_BASE, (uint64_t)nb_bufs * MICRO_BUF_BYTES, (uintptr_t)m->guest};
	m->opts = (struct vl_vring_opts){.hdr_len = 12, .mrg_rxbuf = mc->mrg, .indirect = true};
	micro_ring_setup(&m->tx);
	micro_ring_setup(&m->rx);

	/* TX: MICRO_RING_SIZE / tx_descs chains; buffers 0..255. RX: one buffer per chain. */
	for (uint32_t c = 0; c < MICRO_RING_SIZE / tx_descs; c++) {
		uint16_t head = (uint16_t)(c * tx_descs);
		uint64_t gpa = micro_gpa(c);

		memset(micro_hva(m, gpa) + 12, (int)c, mc->frame_bytes);
		if (mc->tx_layout == MICRO_TX_1DESC) {
			m->tx.desc[head] = (struct vl_vring_desc){gpa, 12 + mc->frame_bytes, 0, 0};
		} else if (mc->tx_layout == MICRO_TX_INDIRECT) {
			uint64_t table_gpa = micro_gpa(2 * MICRO_RING_SIZE + c);
			struct vl_vring_desc *t =
				(struct vl_vring_desc *)(void *)micro_hva(m, table_gpa);

			t[0] = (struct vl_vring_desc){gpa, 12, VL_VRING_DESC_F_NEXT, 1};
			t[1] = (struct vl_vring_desc){gpa + 12, mc->frame_bytes, 0, 0};
			m->tx.desc[head] =
				(struct vl_vring_desc){table_gpa, 32, VL_VRING_DESC_F_INDIRECT, 0};
		} else {
			m->tx.desc[head] = (struct vl_vring_desc){gpa, 12, VL_VRING_DESC_F_NEXT,
								  (uint16_t)(head + 1)};
			m->tx.desc[head + 1] =
				(struct vl_vring_desc){gpa + 12, mc->frame_bytes, 0, 0};
		}
		m->tx.avail->ring[m->tx.avail_idx++ & 255] = head;
	}
	for (uint32_t c = 0; c < MICRO_RING_SIZE; c++) {
		m->rx.desc[c] = (struct vl_vring_desc){micro_gpa(MICRO_RING_SIZE + c),
						       mc->rx_buf_bytes, VL_VRING_DESC_F_WRITE, 0};
		m->rx.avail->ring[m->rx.avail_idx++ & 255] = (uint16_t)c;
	}
	m->tx.avail->idx = m->tx.avail_idx;
	m->rx.avail->idx = m->rx.avail_idx;
	if (mc->log) {
		/* A log covering guest memory; the rings (outside it) are logged at its base. */
		uint64_t bytes = ((MICRO_GPA_BASE + (uint64_t)nb_bufs * MICRO_BUF_BYTES) >>
				  VL_VRING_LOG_PAGE_SHIFT) /
					 8 +
				 1;

		m->log_bitmap = micro_alloc(bytes);
		m->log_tx = (struct vl_vring_log){.bitmap = m->log_bitmap,
						  .bitmap_bytes = bytes,
						  .ring_gpa = MICRO_GPA_BASE,
						  .log_ring = true,
						  .nb_pages = &m->log_pages,
						  .nb_faults = &m->log_faults};
		m->log_rx = m->log_tx;
		m->tx.vq.log = &m->log_tx;
		m->rx.vq.log = &m->log_rx;
	}
}

static void
micro_teardown(struct micro *m)
{
	struct micro_ring *rings[2] = {&m->tx, &m->rx};

	for (int i = 0; i < 2; i++) {
		free(rings[i]->desc);
		free(rings[i]->avail);
		free(rings[i]->used);
	}
	free(m->guest);
	free(m->log_bitmap);
}

#define MICRO_SLICES 10

static int
micro_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Cycles per frame of one slice of nb_frames frames. */
static double
micro_slice(struct micro *m, uint64_t nb_frames, uint64_t *rx_bufs, uint64_t *drops)
{
	const struct micro_case *mc = m->mc;
	uint64_t cycles = 0, frames = 0;

	while (frames < nb_frames) {
		struct vl_vring_burst res;
		uint64_t t0, t1;
		unsigned int n;

		micro_recycle(&m->tx, mc->tx_layout == MICRO_TX_HDR_SPLIT ? 2 : 1);
		micro_recycle(&m->rx, 1);
		if (mc->cold)
			micro_make_cold(m);
		t0 = __rdtsc();
		n = vl_vring_loop_burst(&m->tx.vq, &m->rx.vq, &m->mem, &m->opts, MICRO_BURST, &res);
		t1 = __rdtsc();
		if (n == 0 || m->tx.vq.fault != VL_VRING_FAULT_NONE ||
		    m->rx.vq.fault != VL_VRING_FAULT_NONE) {
			fprintf(stderr, "%s: no progress (tx %s, rx %s)\n", mc->name,
				vl_vring_fault_str(m->tx.vq.fault),
				vl_vring_fault_str(m->rx.vq.fault));
			exit(1);
		}
		cycles += t1 - t0;
		frames += res.nb_frames;
		*rx_bufs += res.nb_rx_bufs;
		*drops += res.drop_rx_full + res.drop_truncated + res.drop_short;
	}
	return (double)cycles / (double)frames;
}

/* Median and best slice: the machine is shared, a single average is mostly noise. */
static void
micro_run(const struct micro_case *mc, uint64_t nb_frames)
{
	double per_frame[MICRO_SLICES];
	uint64_t rx_bufs = 0, drops = 0;
	struct micro m;

	micro_setup(&m, mc);
	micro_slice(&m, nb_frames / MICRO_SLICES / 4 + 1, &rx_bufs, &drops); /* warm-up */
	rx_bufs = 0;
	for (int i = 0; i < MICRO_SLICES; i++)
		per_frame[i] = micro_slice(&m, nb_frames / MICRO_SLICES + 1, &rx_bufs, &drops);
	qsort(per_frame, MICRO_SLICES, sizeof(per_frame[0]), micro_cmp);
	printf("%-34s %5u B  median %6.1f  best %6.1f cycles/frame  (%.2f RX bufs/frame, %" PRIu64
	       " drops)\n",
	       mc->name, mc->frame_bytes, per_frame[MICRO_SLICES / 2], per_frame[0],
	       (double)rx_bufs / (double)(nb_frames / MICRO_SLICES + 1) / MICRO_SLICES, drops);
	micro_teardown(&m);
}

int
main(int argc, char **argv)
{
	static const struct micro_case cases[] = {
		{"warm 1desc", 64, false, 2048, MICRO_TX_1DESC, false},
		{"warm 1desc mrg", 64, true, 2048, MICRO_TX_1DESC, false},
		{"warm 1desc", 1518, false, 2048, MICRO_TX_1DESC, false},
		{"warm 1desc mrg", 1518, true, 2048, MICRO_TX_1DESC, false},
		{"warm hdr-split", 64, false, 2048, MICRO_TX_HDR_SPLIT, false},
		{"warm hdr-split", 1518, false, 2048, MICRO_TX_HDR_SPLIT, false},
		{"warm indirect", 64, false, 2048, MICRO_TX_INDIRECT, false},
		{"warm indirect", 1518, false, 2048, MICRO_TX_INDIRECT, false},
		{"warm mrg 512B RX bufs (scatter)", 1518, true, 512, MICRO_TX_1DESC, false},
		{"warm 1desc dirty-log", 64, false, 2048, MICRO_TX_1DESC, false, true},
		{"warm 1desc dirty-log", 1518, false, 2048, MICRO_TX_1DESC, false, true},
		{"warm mrg 512B dirty-log", 1518, true, 512, MICRO_TX_1DESC, false, true},
		{"cold 1desc", 64, false, 2048, MICRO_TX_1DESC, true},
		{"cold 1desc mrg", 64, true, 2048, MICRO_TX_1DESC, true},
		{"cold 1desc", 1518, false, 2048, MICRO_TX_1DESC, true},
		{"cold 1desc mrg", 1518, true, 2048, MICRO_TX_1DESC, true},
		{"cold hdr-split", 64, false, 2048, MICRO_TX_HDR_SPLIT, true},
		{"cold indirect", 64, false, 2048, MICRO_TX_INDIRECT, true},
	};
	uint64_t nb_frames = argc > 1 ? strtoull(argv[1], NULL, 0) : 4000000;

	printf("vl-micro-vring: burst %u, ring %u, TSC cycles per looped frame (backend only)\n",
	       MICRO_BURST, MICRO_RING_SIZE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (argc <= 2 || strstr(cases[i].name, argv[2]) != NULL)
			micro_run(&cases[i], cases[i].cold ? nb_frames / 8 : nb_frames);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the packed-ring direct datapath (no EAL). The test plays the guest driver of
 * two packed rings over a malloc'ed arena with two memory regions whose guest-physical ranges
 * touch but whose host ranges do not. Every byte the device may write (RX buffers) is marked;
 * after each burst every other arena byte must be unchanged (guard bytes), and ring slots the
 * device did not consume must be unchanged too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vl_vring.h"

#define GPA_A 0x100000ULL
#define REGION_BYTES (1u << 20)
#define GPA_B (GPA_A + REGION_BYTES)
#define HVA_OFF_B (REGION_BYTES + 65536u)
#define ARENA_BYTES (HVA_OFF_B + REGION_BYTES)
#define GUARD 0xee
#define GUARD_GAP 64
#define MAX_SEGS 512
#define FIFO_MAX 4096
#define F_AVAIL VL_VRING_DESC_F_AVAIL
#define F_USED VL_VRING_DESC_F_USED

/* One side of a packed ring as the driver sees it. */
struct pring {
	struct vl_vring_packed_desc *desc;
	struct vl_vring_packed_event *drv; /* driver event area (ours as the driver) */
	struct vl_vring_packed_event *dev; /* device event area */
	uint16_t size;
	uint16_t avail_slot; /* next slot the driver fills */
	bool avail_wrap;
	uint16_t used_slot; /* next slot the driver reads used descriptors at */
	bool used_wrap;
	uint16_t next_id;
	/* Chains posted and not yet seen used, in order: id and slots. */
	uint16_t fifo_id[FIFO_MAX], fifo_count[FIFO_MAX];
	unsigned int fifo_head, fifo_tail;
	unsigned int inflight;		   /* slots posted and not yet seen used */
	struct vl_vring_packed_desc *snap; /* desc copy taken before a burst */
};

struct rx_buf {
	unsigned int nb;
	uint64_t gpa[MAX_SEGS];
	uint32_t len[MAX_SEGS];
};

struct guest {
	uint8_t *arena;
	uint8_t *expect;
	uint8_t *writable;
	uint64_t bump_gpa;
	struct vl_mem mem;
	struct pring txr, rxr;
	struct vl_vring tx, rx;
	struct vl_vring_opts opts;
	struct vl_vring_burst res;
	struct rx_buf *rx_bufs; /* by id */
};

/* ---- fake guest memory -------------------------------------------------------------------- */

static size_t
gpa_off(uint64_t gpa)
{
	if (gpa >= GPA_A && gpa < GPA_B)
		return gpa - GPA_A;
	assert_true(gpa >= GPA_B && gpa < GPA_B + REGION_BYTES);
	return gpa - GPA_B + HVA_OFF_B;
}

static void
g_write(struct guest *g, uint64_t gpa, const void *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t off = gpa_off(gpa + i);

		g->arena[off] = ((const uint8_t *)data)[i];
		g->expect[off] = g->arena[off];
	}
}

static void
g_read(struct guest *g, uint64_t gpa, void *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)out)[i] = g->arena[gpa_off(gpa + i)];
}

static uint64_t
g_alloc(struct guest *g, uint32_t len)
{
	uint64_t gpa = g->bump_gpa;

	g->bump_gpa = (gpa + len + GUARD_GAP + 63) & ~63ULL;
	assert_true(g->bump_gpa < GPA_B - GUARD_GAP);
	return gpa;
}

static void
g_mark_writable(struct guest *g, uint64_t gpa, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		g->writable[gpa_off(gpa + i)] = 1;
}

static void
pring_alloc(struct pring *r, uint16_t size, uint16_t slot, bool wrap)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->desc = calloc(size, sizeof(*r->desc));
	r->snap = calloc(size, sizeof(*r->desc));
	r->drv = calloc(1, sizeof(*r->drv));
	r->dev = calloc(1, sizeof(*r->dev));
	assert_non_null(r->desc);
	assert_non_null(r->snap);
	assert_non_null(r->drv);
	assert_non_null(r->dev);
	r->avail_slot = r->used_slot = slot;
	r->avail_wrap = r->used_wrap = wrap;
	/* Slots look used in the previous phase, as after a lap of real traffic. */
	for (uint16_t i = 0; i < size; i++) {
		bool w = i < slot ? wrap : !wrap;

		r->desc[i].flags = w ? (F_AVAIL | F_USED) : 0;
	}
}

static void
pring_free(struct pring *r)
{
	free(r->desc);
	free(r->snap);
	free(r->drv);
	free(r->dev);
}

static uint16_t
base_of(uint16_t slot, bool wrap)
{
	return (uint16_t)(slot | (wrap ? 0x8000 : 0));
}

static struct guest *
g_new_at(uint16_t size, uint16_t hdr_len, bool mrg, uint16_t slot, bool wrap)
{
	struct guest *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	g->arena = malloc(ARENA_BYTES);
	g->expect = malloc(ARENA_BYTES);
	g->writable = calloc(1, ARENA_BYTES);
	g->rx_bufs = calloc(size, sizeof(*g->rx_bufs));
	assert_non_null(g->arena);
	assert_non_null(g->expect);
	assert_non_null(g->writable);
	assert_non_null(g->rx_bufs);
	memset(g->arena, GUARD, ARENA_BYTES);
	memset(g->expect, GUARD, ARENA_BYTES);
	g->bump_gpa = GPA_A + 4096;
	g->mem.nb_regions = 2;
	g->mem.regions[0] = (struct vl_mem_region){GPA_A, REGION_BYTES, (uintptr_t)g->arena};
	g->mem.regions[1] =
		(struct vl_mem_region){GPA_B, REGION_BYTES, (uintptr_t)(g->arena + HVA_OFF_B)};
	pring_alloc(&g->txr, size, slot, wrap);
	pring_alloc(&g->rxr, size, slot, wrap);
	assert_int_equal(vl_vring_packed_init(&g->tx, g->txr.desc, g->txr.drv, g->txr.dev, size,
					      base_of(slot, wrap), base_of(slot, wrap)),
			 0);
	assert_int_equal(vl_vring_packed_init(&g->rx, g->rxr.desc, g->rxr.drv, g->rxr.dev, size,
					      base_of(slot, wrap), base_of(slot, wrap)),
			 0);
	g->opts = (struct vl_vring_opts){.hdr_len = hdr_len, .mrg_rxbuf = mrg, .indirect = true};
	return g;
}

static struct guest *
g_new(uint16_t size, uint16_t hdr_len, bool mrg)
{
	return g_new_at(size, hdr_len, mrg, 0, true);
}

static void
g_free(struct guest *g)
{
	pring_free(&g->txr);
	pring_free(&g->rxr);
	free(g->arena);
	free(g->expect);
	free(g->writable);
	free(g->rx_bufs);
	free(g);
}

static void
g_check_guards(struct guest *g)
{
	for (size_t i = 0; i < ARENA_BYTES; i++) {
		if (!g->writable[i] && g->arena[i] != g->expect[i])
			fail_msg("device wrote arena byte %zu outside every RX buffer", i);
	}
}

/* Slots from the driver's used cursor to its avail cursor that the device did not consume
 * must be bit-identical to what the driver wrote. */
static void
pring_check_unconsumed(const struct pring *r, const struct vl_vring *vq)
{
	uint16_t s = vq->last_avail_idx;
	bool w = vq->avail_wrap;

	while (s != r->avail_slot || w != r->avail_wrap) {
		if (memcmp(&r->desc[s], &r->snap[s], sizeof(r->desc[s])) != 0)
			fail_msg("device changed unconsumed slot %u", s);
		if (++s == r->size) {
			s = 0;
			w = !w;
		}
	}
}

static unsigned int
g_burst(struct guest *g, unsigned int max_burst)
{
	unsigned int n;

	memcpy(g->txr.snap, g->txr.desc, g->txr.size * sizeof(*g->txr.desc));
	memcpy(g->rxr.snap, g->rxr.desc, g->rxr.size * sizeof(*g->rxr.desc));
	n = vl_vring_packed_loop_burst(&g->tx, &g->rx, &g->mem, &g->opts, max_burst, &g->res);
	g_check_guards(g);
	pring_check_unconsumed(&g->txr, &g->tx);
	pring_check_unconsumed(&g->rxr, &g->rx);
	assert_int_equal(n, g->res.nb_tx_done);
	return n;
}

/* ---- the driver --------------------------------------------------------------------------- */

/* Post a chain of nb descriptors (or one indirect descriptor for them): head flags last. */
static uint16_t
pring_post(struct guest *g, struct pring *r, const uint64_t *gpas, const uint32_t *lens,
	   unsigned int nb, uint16_t wflag, bool indirect)
{
	uint16_t id = r->next_id;
	uint16_t head = r->avail_slot, head_flags = 0;
	unsigned int slots = indirect ? 1 : nb;
	uint64_t tgpa;

	assert_true(r->inflight + slots <= r->size); /* a driver never overfills its ring */
	r->inflight += slots;
	r->next_id = (uint16_t)((r->next_id + 1) % r->size);
	if (indirect) {
		tgpa = g_alloc(g, nb * 16);

		for (unsigned int k = 0; k < nb; k++) {
			struct vl_vring_packed_desc d = {
				.addr = gpas[k], .len = lens[k], .flags = wflag};

			g_write(g, tgpa + k * 16, &d, sizeof(d));
		}
		gpas = &tgpa;
	}
	for (unsigned int k = 0; k < slots; k++) {
		uint16_t s = r->avail_slot;
		uint16_t f = (uint16_t)((r->avail_wrap ? F_AVAIL : F_USED) |
					(k + 1 < slots ? VL_VRING_DESC_F_NEXT : 0) |
					(indirect ? VL_VRING_DESC_F_INDIRECT : wflag));

		r->desc[s].addr = gpas[k];
		r->desc[s].len = indirect ? nb * 16 : lens[k];
		r->desc[s].id = id;
		if (k == 0)
			head_flags = f;
		else
			r->desc[s].flags = f;
		if (++r->avail_slot == r->size) {
			r->avail_slot = 0;
			r->avail_wrap = !r->avail_wrap;
		}
	}
	__atomic_store_n(&r->desc[head].flags, head_flags, __ATOMIC_RELEASE);
	assert_true(r->fifo_tail - r->fifo_head < FIFO_MAX);
	r->fifo_id[r->fifo_tail % FIFO_MAX] = id;
	r->fifo_count[r->fifo_tail % FIFO_MAX] = (uint16_t)slots;
	r->fifo_tail++;
	return id;
}

/* Read the next used descriptor: false if none. With in_order the driver frees every chain
 * up to the id read; *nb_chains says how many. */
static bool
pring_reap(struct pring *r, uint16_t *id, uint32_t *len, unsigned int *nb_chains)
{
	uint16_t f = __atomic_load_n(&r->desc[r->used_slot].flags, __ATOMIC_ACQUIRE);
	unsigned int n = 0;
	uint32_t slots = 0;

	if (!!(f & F_AVAIL) != r->used_wrap || !!(f & F_USED) != r->used_wrap)
		return false;
	*id = r->desc[r->used_slot].id;
	*len = r->desc[r->used_slot].len;
	for (;;) {
		uint16_t fid;

		assert_true(r->fifo_head != r->fifo_tail);
		fid = r->fifo_id[r->fifo_head % FIFO_MAX];
		slots += r->fifo_count[r->fifo_head % FIFO_MAX];
		r->fifo_head++;
		n++;
		if (fid == *id)
			break;
	}
	r->inflight -= slots;
	r->used_slot = (uint16_t)(r->used_slot + slots);
	if (r->used_slot >= r->size) {
		r->used_slot = (uint16_t)(r->used_slot - r->size);
		r->used_wrap = !r->used_wrap;
	}
	if (nb_chains != NULL)
		*nb_chains = n;
	else
		assert_int_equal(n, 1);
	return true;
}

static uint8_t
pattern(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* Post a TX frame of payload_len bytes split into nb descriptors (segment lengths from lens,
 * or even if lens is NULL). */
static uint16_t
tx_post(struct guest *g, uint32_t payload_len, uint32_t seed, unsigned int nb, const uint32_t *lens,
	bool indirect)
{
	uint32_t total = g->opts.hdr_len + payload_len, off = 0;
	uint64_t gpas[MAX_SEGS];
	uint32_t seg[MAX_SEGS];
	uint8_t *bytes = malloc(total + 1);

	assert_non_null(bytes);
	memset(bytes, 0xa5, g->opts.hdr_len);
	for (uint32_t i = 0; i < payload_len; i++)
		bytes[g->opts.hdr_len + i] = pattern(seed, i);
	for (unsigned int k = 0; k < nb; k++) {
		seg[k] = lens != NULL ? lens[k] : k + 1 < nb ? total / nb : total - off;
		gpas[k] = g_alloc(g, seg[k]);
		g_write(g, gpas[k], bytes + off, seg[k]);
		off += seg[k];
	}
	assert_int_equal(off, total);
	free(bytes);
	return pring_post(g, &g->txr, gpas, seg, nb, 0, indirect);
}

static uint16_t
rx_post(struct guest *g, const uint32_t *lens, unsigned int nb, bool indirect)
{
	uint64_t gpas[MAX_SEGS];
	uint16_t id;

	for (unsigned int k = 0; k < nb; k++) {
		gpas[k] = g_alloc(g, lens[k]);
		g_mark_writable(g, gpas[k], lens[k]);
	}
	id = pring_post(g, &g->rxr, gpas, lens, nb, VL_VRING_DESC_F_WRITE, indirect);
	g->rx_bufs[id].nb = nb;
	memcpy(g->rx_bufs[id].gpa, gpas, nb * sizeof(gpas[0]));
	memcpy(g->rx_bufs[id].len, lens, nb * sizeof(lens[0]));
	return id;
}

static void
rx_post_n(struct guest *g, unsigned int n, uint32_t len)
{
	for (unsigned int i = 0; i < n; i++)
		rx_post(g, &len, 1, false);
}

/* Bytes the device wrote into RX buffer id (len from its used descriptor). */
static void
rx_gather(struct guest *g, uint16_t id, uint32_t len, uint8_t *out)
{
	const struct rx_buf *b = &g->rx_bufs[id];
	uint32_t off = 0;

	for (unsigned int k = 0; k < b->nb && off < len; k++) {
		uint32_t n = b->len[k] < len - off ? b->len[k] : len - off;

		g_read(g, b->gpa[k], out + off, n);
		off += n;
	}
	assert_int_equal(off, len);
}

/* Reap one received frame and check it: payload and num_buffers. */
static void
rx_expect(struct guest *g, uint32_t payload_len, uint32_t seed, uint16_t nb_bufs)
{
	uint8_t *frame = malloc(g->opts.hdr_len + payload_len + 64 * 1024);
	uint32_t got = 0;

	assert_non_null(frame);
	for (uint16_t b = 0; b < nb_bufs; b++) {
		uint16_t id;
		uint32_t len;

		assert_true(pring_reap(&g->rxr, &id, &len, NULL));
		rx_gather(g, id, len, frame + got);
		got += len;
	}
	assert_int_equal(got, g->opts.hdr_len + payload_len);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(frame[i], 0);
	if (g->opts.hdr_len == 12) {
		assert_int_equal(frame[10] | frame[11] << 8, nb_bufs);
	}
	for (uint32_t i = 0; i < payload_len; i++)
		if (frame[g->opts.hdr_len + i] != pattern(seed, i))
			fail_msg("payload byte %u differs", i);
	free(frame);
}

static void
tx_expect_done(struct guest *g, unsigned int nb)
{
	for (unsigned int i = 0; i < nb; i++) {
		uint16_t id;
		uint32_t len;

		assert_true(pring_reap(&g->txr, &id, &len, NULL));
		assert_int_equal(len, 0);
	}
}

static bool
nothing_used(struct pring *r)
{
	uint16_t id;
	uint32_t len;
	unsigned int n;

	return !pring_reap(r, &id, &len, &n);
}

/* ---- datapath ----------------------------------------------------------------------------- */

static void
one_frame_loops_with_num_buffers_1(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint32_t len = 2048;

	(void)state;
	rx_post(g, &len, 1, false);
	tx_post(g, 60, 1, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.nb_frames, 1);
	assert_int_equal(g->res.nb_bytes, 60);
	assert_int_equal(g->res.nb_rx_bufs, 1);
	rx_expect(g, 60, 1, 1);
	tx_expect_done(g, 1);
	assert_int_equal(g_burst(g, 32), 0);
	g_free(g);
}

/* A ring of 5 (not a power of two), three laps: the cursors wrap in both phases. */
static void
wrap_at_the_end_of_the_ring_in_both_phases(void **state)
{
	(void)state;
	for (int start_wrap = 0; start_wrap < 2; start_wrap++) {
		for (uint16_t start = 0; start < 5; start++) {
			struct guest *g = g_new_at(5, 12, false, start, start_wrap);
			uint32_t seed = 0;

			for (int lap = 0; lap < 6; lap++) {
				unsigned int n = 1 + (unsigned int)lap % 4;

				for (unsigned int i = 0; i < n; i++) {
					rx_post_n(g, 1, 1600);
					tx_post(g, 100 + i, seed + i, 1, NULL, false);
				}
				assert_int_equal(g_burst(g, 32), n);
				for (unsigned int i = 0; i < n; i++)
					rx_expect(g, 100 + i, seed + i, 1);
				tx_expect_done(g, n);
				seed += n;
				assert_int_equal(g->tx.last_avail_idx, g->txr.avail_slot);
				assert_int_equal(g->tx.avail_wrap, g->txr.avail_wrap);
				assert_int_equal(g->tx.last_used_idx, g->txr.used_slot);
				assert_int_equal(g->tx.used_wrap, g->txr.used_wrap);
			}
			g_free(g);
		}
	}
}

static void
chains_cross_the_end_of_the_ring(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 6, false);
	uint32_t tx_lens[4] = {12, 300, 5, 700};
	uint32_t rx_lens[3] = {12, 500, 600};

	(void)state;
	rx_post(g, rx_lens, 3, false);		/* slots 6, 7, 0 */
	tx_post(g, 1005, 9, 4, tx_lens, false); /* slots 6, 7, 0, 1 */
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 1005, 9, 1);
	tx_expect_done(g, 1);
	assert_int_equal(g->tx.last_avail_idx, 2);
	assert_true(g->tx.avail_wrap);
	assert_int_equal(g->rx.last_used_idx, 1);
	assert_true(g->rx.used_wrap);
	/* The used descriptor sits at the chain's first slot, in the old phase. */
	assert_int_equal(g->txr.desc[6].flags, 0);
	g_free(g);
}

static void
in_order_returns_one_used_descriptor_per_tx_batch(void **state)
{
	struct guest *g = g_new_at(16, 12, false, 12, true);
	uint32_t two[2] = {12, 64};
	uint16_t id;
	uint32_t len;
	unsigned int n;

	(void)state;
	g->opts.in_order = true;
	rx_post_n(g, 6, 1600);
	for (uint32_t i = 0; i < 6; i++)
		tx_post(g, 64, i, i % 2 ? 2 : 1, i % 2 ? two : NULL, false);
	assert_int_equal(g_burst(g, 32), 6);
	/* RX: one per frame (lengths differ in general); TX: one for all six chains. */
	for (uint32_t i = 0; i < 6; i++)
		rx_expect(g, 64, i, 1);
	assert_true(pring_reap(&g->txr, &id, &len, &n));
	assert_int_equal(n, 6);
	assert_int_equal(id, 5);
	assert_int_equal(g->txr.used_slot, g->txr.avail_slot);
	assert_int_equal(g->txr.used_wrap, g->txr.avail_wrap);
	assert_true(nothing_used(&g->txr));
	g_free(g);
}

static void
mergeable_frames_fill_tiny_buffers(void **state)
{
	struct guest *g = g_new_at(256, 12, true, 250, true);
	uint32_t tiny = 64;

	(void)state;
	rx_post_n(g, 40, tiny);
	tx_post(g, 1514, 3, 1, NULL, false); /* 1526 bytes: 24 buffers */
	tx_post(g, 60, 4, 1, NULL, false);   /* 72 bytes: 2 buffers */
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->res.nb_rx_bufs, 26);
	rx_expect(g, 1514, 3, 24);
	rx_expect(g, 60, 4, 2);
	tx_expect_done(g, 2);
	/* Not enough buffers left for a 9000 B frame: dropped, the buffers stay available. */
	tx_post(g, 9000, 5, 3, NULL, false);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_rx_full, 1);
	assert_true(nothing_used(&g->rxr));
	tx_expect_done(g, 1);
	rx_post_n(g, 150, tiny);
	tx_post(g, 9000, 6, 3, NULL, false);
	assert_int_equal(g_burst(g, 32), 1);
	/* 14 left + 150: ceil(9012 / 64) = 141 */
	rx_expect(g, 9000, 6, 141);
	g_free(g);
}

static void
mergeable_frame_over_too_many_buffers_is_truncated(void **state)
{
	struct guest *g = g_new(1024, 12, true);
	uint32_t one = 16;

	(void)state;
	rx_post_n(g, 600, one);
	tx_post(g, 8000, 1, 1, NULL, false); /* 8012 / 16 = 501 buffers > 256 */
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_truncated, 1);
	assert_true(nothing_used(&g->rxr));
	g_free(g);
}

static void
indirect_tables_on_tx_and_rx(void **state)
{
	struct guest *g = g_new_at(4, 12, false, 3, true);
	uint32_t tx_lens[3] = {12, 40, 1000};
	uint32_t rx_lens[4] = {6, 6, 500, 600};

	(void)state;
	rx_post(g, rx_lens, 4, true);
	tx_post(g, 1040, 2, 3, tx_lens, true);
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 1040, 2, 1);
	tx_expect_done(g, 1);
	g_free(g);

	/* DPDK's virtio driver leaves WRITE set on the header entry of a packed TX indirect
	 * table: read-only use of it is tolerated. */
	g = g_new(8, 12, false);
	rx_post(g, rx_lens, 4, true);
	tx_post(g, 1040, 4, 3, tx_lens, true);
	g_write(g, g->txr.desc[0].addr + 14, (uint16_t[]){VL_VRING_DESC_F_WRITE}, 2);
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 1040, 4, 1);
	tx_expect_done(g, 1);
	g_free(g);

	g = g_new_at(8, 10, false, 7, false);
	rx_post(g, rx_lens, 4, true);
	tx_post(g, 900, 3, 3, NULL, true);
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 900, 3, 1);
	tx_expect_done(g, 1);
	g_free(g);
}

static void
buffers_crossing_a_region_boundary_are_split(void **state)
{
	(void)state;
	for (int rx_crosses = 0; rx_crosses < 2; rx_crosses++) {
		struct guest *g = g_new(8, 12, false);
		uint64_t tgpa = rx_crosses ? g_alloc(g, 1012) : GPA_B - 100;
		uint64_t rgpa = rx_crosses ? GPA_B - 30 : g_alloc(g, 2000);
		uint8_t bytes[1012];
		uint32_t len = 1012, rlen = 2000;

		memset(bytes, 0, 12);
		for (uint32_t i = 0; i < 1000; i++)
			bytes[12 + i] = pattern(7, i);
		g_write(g, tgpa, bytes, len);
		g_mark_writable(g, rgpa, rlen);
		g->rx_bufs[pring_post(g, &g->rxr, &rgpa, &rlen, 1, VL_VRING_DESC_F_WRITE, false)] =
			(struct rx_buf){.nb = 1, .gpa = {rgpa}, .len = {rlen}};
		pring_post(g, &g->txr, &tgpa, &len, 1, 0, false);
		assert_int_equal(g_burst(g, 32), 1);
		rx_expect(g, 1000, 7, 1);
		g_free(g);
	}
}

static void
drops_keep_rx_buffers_and_return_tx(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint32_t small = 100, hdr_only[1] = {8};

	(void)state;
	tx_post(g, 60, 1, 1, NULL, false); /* no RX buffer */
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_rx_full, 1);
	tx_expect_done(g, 1);
	rx_post(g, &small, 1, false);
	tx_post(g, 500, 2, 2, NULL, false); /* too big, not mergeable */
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_truncated, 1);
	assert_true(nothing_used(&g->rxr));
	tx_expect_done(g, 1);
	pring_post(g, &g->txr, (uint64_t[]){g_alloc(g, 8)}, hdr_only, 1, 0, false);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_short, 1);
	tx_expect_done(g, 1);
	/* The RX buffer is still there for a frame that fits. */
	tx_post(g, 80, 3, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 80, 3, 1);
	g_free(g);
}

static void
tx_frame_over_64k_is_truncated(void **state)
{
	struct guest *g = g_new(8, 12, true);
	uint32_t big = 70000;

	(void)state;
	rx_post(g, &big, 1, false);
	tx_post(g, 65537, 1, 2, NULL, false);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_truncated, 1);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	tx_expect_done(g, 1);
	g_free(g);
}

static void
max_burst_and_ring_full_bound_a_burst(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	rx_post_n(g, 8, 200);
	for (uint32_t i = 0; i < 8; i++)
		tx_post(g, 50, i, 1, NULL, false);
	assert_int_equal(g_burst(g, 3), 3);
	assert_int_equal(g_burst(g, 32), 5);
	for (uint32_t i = 0; i < 8; i++)
		rx_expect(g, 50, i, 1);
	tx_expect_done(g, 8);
	g_free(g);
}

/* ---- hostile rings ------------------------------------------------------------------------ */

static void
used_pattern_at_the_head_breaks_the_ring(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	rx_post_n(g, 2, 200);
	tx_post(g, 50, 1, 1, NULL, false);
	tx_post(g, 50, 2, 1, NULL, false);
	g->txr.desc[1].flags |= F_USED; /* AVAIL == USED == wrap: "used" before we used it */
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_AVAIL_FLAGS);
	rx_expect(g, 50, 1, 1);
	tx_expect_done(g, 1);
	assert_int_equal(g_burst(g, 32), 0); /* skipped until re-initialised */
	g_free(g);
}

static void
wrong_phase_heads_are_not_available(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 0, false);

	(void)state;
	rx_post_n(g, 1, 200);
	tx_post(g, 50, 1, 1, NULL, false);
	/* The driver used the wrong wrap counter: looks like last lap's buffer. */
	g->txr.desc[0].flags ^= F_AVAIL | F_USED;
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

static void
chain_member_in_the_wrong_phase_breaks_the_ring(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint32_t rx_lens[2] = {12, 400};

	(void)state;
	rx_post_n(g, 1, 400);
	tx_post(g, 100, 1, 3, NULL, false);
	g->txr.desc[2].flags ^= F_AVAIL; /* third descriptor not made available */
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_AVAIL_FLAGS);
	assert_true(nothing_used(&g->txr));
	g_free(g);

	g = g_new(8, 12, false);
	rx_post(g, rx_lens, 2, false);
	tx_post(g, 100, 1, 1, NULL, false);
	g->rxr.desc[1].flags ^= F_AVAIL | F_USED;
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_AVAIL_FLAGS);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_true(nothing_used(&g->txr)); /* the TX chain stays available */
	g_free(g);
}

static void
chain_longer_than_the_ring_breaks_it(void **state)
{
	struct guest *g = g_new(4, 12, false);

	(void)state;
	rx_post_n(g, 1, 400);
	tx_post(g, 100, 1, 4, NULL, false); /* the whole ring: fine */
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 100, 1, 1);
	tx_expect_done(g, 1);
	/* Now a chain whose last descriptor says NEXT: the walk would go round the ring. */
	tx_post(g, 100, 2, 4, NULL, false);
	g->txr.desc[3].flags |= VL_VRING_DESC_F_NEXT; /* ... and on round the ring */
	rx_post_n(g, 1, 400);
	assert_int_equal(g_burst(g, 32), 0);
	assert_true(g->tx.fault == VL_VRING_FAULT_CHAIN_LOOP);
	g_free(g);
}

static void
indirect_hostile_cases_break_the_ring(void **state)
{
	static const enum vl_vring_fault expect[] = {
		VL_VRING_FAULT_INDIRECT_NESTED,	 VL_VRING_FAULT_INDIRECT_NEXT,
		VL_VRING_FAULT_INDIRECT_LEN,	 VL_VRING_FAULT_ADDR,
		VL_VRING_FAULT_INDIRECT_FEATURE, VL_VRING_FAULT_INDIRECT_LEN,
	};

	(void)state;
	for (int c = 0; c < 6; c++) {
		struct guest *g = g_new(8, 12, false);
		uint32_t lens[2] = {12, 100};
		uint64_t tgpa;

		rx_post_n(g, 1, 400);
		tx_post(g, 100, 1, 2, lens, true);
		tgpa = g->txr.desc[0].addr;
		switch (c) {
		case 0: /* indirect inside indirect */
			g_write(g, tgpa + 16 + 14, (uint16_t[]){VL_VRING_DESC_F_INDIRECT}, 2);
			break;
		case 1: /* INDIRECT with NEXT */
			g->txr.desc[0].flags |= VL_VRING_DESC_F_NEXT;
			break;
		case 2: /* table length not a multiple of 16 */
			g->txr.desc[0].len = 17;
			break;
		case 3: /* table outside guest memory */
			g->txr.desc[0].addr = 0x10;
			break;
		case 4: /* no feature */
			g->opts.indirect = false;
			break;
		case 5: /* table larger than the ring */
			g->txr.desc[0].len = 16 * 9;
			break;
		}
		assert_int_equal(g_burst(g, 32), 0);
		assert_int_equal(g->tx.fault, expect[c]);
		assert_true(nothing_used(&g->txr));
		assert_true(nothing_used(&g->rxr));
		g_free(g);
	}
}

static void
address_outside_guest_memory_breaks_the_ring(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint32_t len = 400;
	uint64_t bad = GPA_B + REGION_BYTES - 10; /* runs off the end of region B */

	(void)state;
	rx_post_n(g, 1, 400);
	tx_post(g, 50, 1, 1, NULL, false);
	tx_post(g, 50, 2, 1, NULL, false);
	g->txr.desc[1].addr = GPA_B + REGION_BYTES + 4096;
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_ADDR);
	rx_expect(g, 50, 1, 1);
	tx_expect_done(g, 1);
	g_free(g);

	g = g_new(8, 12, false);
	pring_post(g, &g->rxr, &bad, &len, 1, VL_VRING_DESC_F_WRITE, false);
	g_mark_writable(g, bad, 10);
	tx_post(g, 50, 1, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_ADDR);
	assert_true(nothing_used(&g->txr));
	g_free(g);
}

static void
buffer_id_out_of_range_breaks_the_ring(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	rx_post_n(g, 1, 400);
	tx_post(g, 50, 1, 2, NULL, false);
	g->txr.desc[1].id = 8; /* the last descriptor's id names the buffer */
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_BUF_ID);
	g_free(g);

	g = g_new(8, 12, false);
	rx_post_n(g, 1, 400);
	g->rxr.desc[0].id = 0xffff;
	tx_post(g, 50, 1, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_BUF_ID);
	g_free(g);
}

static void
write_flag_and_rx_header_faults(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint32_t tiny = 8;

	(void)state;
	rx_post_n(g, 1, 400);
	tx_post(g, 50, 1, 1, NULL, false);
	g->txr.desc[0].flags |= VL_VRING_DESC_F_WRITE;
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_WRITE_FLAG);
	g_free(g);

	/* An RX indirect entry without WRITE: not ours to write. */
	g = g_new(8, 12, false);
	rx_post(g, (uint32_t[]){12, 400}, 2, true);
	g_write(g, g->rxr.desc[0].addr + 16 + 14, (uint16_t[]){0}, 2);
	tx_post(g, 50, 1, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_WRITE_FLAG);
	g_free(g);

	g = g_new(8, 12, false);
	rx_post(g, &tiny, 1, false);
	tx_post(g, 50, 1, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_RX_HDR);
	g_free(g);
}

/*
 * Every TX layout the batch takes (one descriptor, header alone then the frame, indirect tables
 * of one and two entries), chains it does not take (three descriptors, a table splitting the
 * header) in between, the header-alone chain crossing the end of the ring: one burst loops them
 * all in ring order with the right bytes, with 10- and 12-byte headers, with and without
 * IN_ORDER.
 */
static void
every_tx_layout_in_one_burst_keeps_order_and_bytes(void **state)
{
	(void)state;
	for (int v = 0; v < 4; v++) {
		const uint32_t hdr = v & 1 ? 10 : 12;
		const bool in_order = v & 2;
		struct guest *g = g_new_at(16, (uint16_t)hdr, false, 13, v & 1);
		static const uint32_t payload[] = {60, 1500, 200, 64, 300, 60, 64, 80, 1514};
		const unsigned int nb = sizeof(payload) / sizeof(payload[0]);
		unsigned int chains = 0;

		g->opts.in_order = in_order;
		rx_post_n(g, nb, 2048);
		tx_post(g, payload[0], 1, 1, NULL, false);			    /* slot 13 */
		tx_post(g, payload[1], 2, 1, NULL, false);			    /* 14 */
		tx_post(g, payload[2], 3, 2, (uint32_t[]){hdr, payload[2]}, false); /* 15, 0 */
		tx_post(g, payload[3], 4, 1, NULL, true);			    /* 1 */
		tx_post(g, payload[4], 5, 2, (uint32_t[]){hdr, payload[4]}, true);  /* 2 */
		tx_post(g, payload[5], 6, 3, (uint32_t[]){hdr, 30, 30}, false);	    /* 3-5 */
		tx_post(g, payload[6], 7, 1, NULL, false);			    /* 6 */
		tx_post(g, payload[7], 8, 2, (uint32_t[]){6, hdr - 6 + 80}, true);  /* 7 */
		tx_post(g, payload[8], 9, 2, (uint32_t[]){hdr, payload[8]}, false); /* 8, 9 */
		assert_int_equal(g_burst(g, 32), nb);
		assert_int_equal(g->res.nb_frames, nb);
		assert_int_equal(g->res.nb_rx_bufs, nb);
		assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
		assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
		for (unsigned int i = 0; i < nb; i++)
			rx_expect(g, payload[i], i + 1, 1);
		assert_true(nothing_used(&g->rxr));
		if (in_order) {
			uint16_t id;
			uint32_t len;

			assert_true(pring_reap(&g->txr, &id, &len, &chains));
			assert_int_equal(chains, nb);
		} else {
			tx_expect_done(g, nb);
		}
		assert_true(nothing_used(&g->txr));
		assert_int_equal(g->tx.last_used_idx, 10);
		assert_int_equal(g->rx.last_used_idx, (13 + nb) % 16);
		g_free(g);
	}
}

/*
 * The batch's layouts made hostile after a good frame: the good one is looped and published,
 * the bad one breaks the TX ring with the walker's fault and is not returned.
 */
static void
hostile_fast_layouts_break_tx(void **state)
{
	static const enum vl_vring_fault expect[] = {
		VL_VRING_FAULT_AVAIL_FLAGS,
		VL_VRING_FAULT_BUF_ID,
		VL_VRING_FAULT_ADDR,
		VL_VRING_FAULT_ADDR,
		VL_VRING_FAULT_INDIRECT_NESTED,
		VL_VRING_FAULT_BUF_ID,
		VL_VRING_FAULT_WRITE_FLAG,
		VL_VRING_FAULT_ADDR,
	};

	(void)state;
	for (int c = 0; c < 8; c++) {
		struct guest *g = g_new(8, 12, false);
		struct vl_vring_packed_desc *d = &g->txr.desc[1];
		bool indirect = c == 4 || c == 7;

		rx_post_n(g, 2, 2048);
		tx_post(g, 64, 1, 1, NULL, false); /* slot 0: good */
		if (c < 4)			   /* header alone in slot 1, the frame in slot 2 */
			tx_post(g, 100, 2, 2, (uint32_t[]){12, 100}, false);
		else if (indirect)
			tx_post(g, 100, 2, 2, (uint32_t[]){12, 100}, true);
		else
			tx_post(g, 100, 2, 1, NULL, false);
		switch (c) {
		case 0: /* the frame's descriptor in the other phase */
			g->txr.desc[2].flags ^= F_AVAIL | F_USED;
			break;
		case 1: /* the chain's buffer id (its last descriptor's) out of range */
			g->txr.desc[2].id = 8;
			break;
		case 2: /* header outside guest memory */
			d->addr = 0x10;
			break;
		case 3: /* frame outside guest memory */
			g->txr.desc[2].addr = GPA_B + REGION_BYTES;
			break;
		case 4: /* the table's second entry is a table */
			g_write(g, d->addr + 16 + 14, (uint16_t[]){VL_VRING_DESC_F_INDIRECT}, 2);
			break;
		case 5: /* one descriptor, id out of range */
			d->id = 0xffff;
			break;
		case 6: /* one descriptor marked device-writable */
			__atomic_store_n(&d->flags, (uint16_t)(d->flags | VL_VRING_DESC_F_WRITE),
					 __ATOMIC_RELEASE);
			break;
		case 7: /* the table's frame entry outside guest memory */
			g_write(g, d->addr + 16, (uint64_t[]){0x10}, 8);
			break;
		}
		assert_int_equal(g_burst(g, 32), 1);
		assert_int_equal(g->res.nb_frames, 1);
		assert_int_equal(g->tx.fault, expect[c]);
		assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
		rx_expect(g, 64, 1, 1);
		tx_expect_done(g, 1);
		assert_true(nothing_used(&g->txr));
		assert_true(nothing_used(&g->rxr));
		g_free(g);
	}
}

/* ---- control: base encoding, event suppression, sink ------------------------------------- */

static void
init_decodes_and_base_encodes_the_wrap_bit(void **state)
{
	struct vl_vring_packed_desc d[5];
	struct vl_vring_packed_event a, b;
	struct vl_vring vq;
	uint16_t av, us;

	(void)state;
	assert_int_equal(vl_vring_packed_init(&vq, d, &a, &b, 5, 0x8003, 0x0004), 0);
	assert_true(vq.packed);
	assert_int_equal(vq.last_avail_idx, 3);
	assert_true(vq.avail_wrap);
	assert_int_equal(vq.last_used_idx, 4);
	assert_false(vq.used_wrap);
	vl_vring_base(&vq, &av, &us);
	assert_int_equal(av, 0x8003);
	assert_int_equal(us, 0x0004);
	assert_int_equal(vl_vring_packed_init(&vq, d, &a, &b, 5, 5, 0), -EINVAL);
	assert_int_equal(vl_vring_packed_init(&vq, d, &a, &b, 5, 0, 0x8005), -EINVAL);
	assert_int_equal(vl_vring_packed_init(&vq, d, &a, &b, 0, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_packed_init(&vq, NULL, &a, &b, 5, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_packed_init(&vq, d, NULL, &b, 5, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_packed_init(&vq, d, &a, &b, 32768, 0x7fff, 0), 0);
}

/* Stop after some traffic, hand the base to a fresh vring (as a restart does), go on. */
static void
restart_from_the_base_resumes_at_the_right_slot_and_phase(void **state)
{
	struct guest *g = g_new_at(6, 12, false, 4, true);
	uint16_t av, us;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		rx_post_n(g, 1, 300);
		tx_post(g, 40, i, 1, NULL, false);
	}
	assert_int_equal(g_burst(g, 32), 4);
	for (uint32_t i = 0; i < 4; i++)
		rx_expect(g, 40, i, 1);
	tx_expect_done(g, 4);
	vl_vring_base(&g->tx, &av, &us);
	assert_int_equal(av, 2); /* 4 + 4 = 8 = slot 2 of the next phase (wrap 0) */
	assert_int_equal(us, 2);
	assert_int_equal(
		vl_vring_packed_init(&g->tx, g->txr.desc, g->txr.drv, g->txr.dev, 6, av, us), 0);
	vl_vring_base(&g->rx, &av, &us);
	assert_int_equal(
		vl_vring_packed_init(&g->rx, g->rxr.desc, g->rxr.drv, g->rxr.dev, 6, av, us), 0);
	for (uint32_t i = 4; i < 9; i++) {
		rx_post_n(g, 1, 300);
		tx_post(g, 40, i, 1, NULL, false);
		assert_int_equal(g_burst(g, 32), 1);
		rx_expect(g, 40, i, 1);
		tx_expect_done(g, 1);
	}
	g_free(g);
}

static void
suppress_kicks_disables_device_events(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	g->txr.dev->flags = VL_VRING_EVENT_F_ENABLE;
	vl_vring_packed_suppress_kicks(&g->tx, &g->opts);
	assert_int_equal(g->txr.dev->flags, VL_VRING_EVENT_F_DISABLE);
	g->opts.event_idx = true;
	g->rxr.dev->flags = VL_VRING_EVENT_F_DESC;
	vl_vring_packed_suppress_kicks(&g->rx, &g->opts);
	assert_int_equal(g->rxr.dev->flags, VL_VRING_EVENT_F_DISABLE);
	g_free(g);
}

static void
enable_kicks_sets_enable_and_reports_what_is_already_posted(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	for (int ev = 0; ev < 2; ev++) {
		g->opts.event_idx = ev != 0;
		vl_vring_packed_suppress_kicks(&g->tx, &g->opts);
		assert_false(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
		assert_int_equal(g->txr.dev->flags, VL_VRING_EVENT_F_ENABLE);
		/* A frame posted before kicks were enabled is seen by the re-check. */
		rx_post_n(g, 1, 300);
		tx_post(g, 40, (unsigned int)ev, 1, NULL, false);
		assert_true(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
		vl_vring_packed_suppress_kicks(&g->tx, &g->opts);
		assert_int_equal(g->txr.dev->flags, VL_VRING_EVENT_F_DISABLE);
		assert_int_equal(g_burst(g, 64), 1);
		rx_expect(g, 40, (unsigned int)ev, 1);
		tx_expect_done(g, 1);
		assert_false(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
	}
	/* Across the wrap: 8 more frames, one at a time, each one seen while armed. */
	for (unsigned int i = 0; i < 8; i++) {
		assert_false(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
		rx_post_n(g, 1, 300);
		tx_post(g, 40, 10 + i, 1, NULL, false);
		assert_true(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
		assert_int_equal(g_burst(g, 64), 1);
		rx_expect(g, 40, 10 + i, 1);
		tx_expect_done(g, 1);
	}
	assert_false(vl_vring_packed_enable_kicks(&g->tx, &g->opts));
	g_free(g);
}

static void
loop_frames(struct guest *g, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		rx_post_n(g, 1, 300);
		tx_post(g, 40, i, 1, NULL, false);
	}
	assert_int_equal(g_burst(g, 64), n);
	for (unsigned int i = 0; i < n; i++)
		rx_expect(g, 40, i, 1);
	tx_expect_done(g, n);
}

static void
need_call_follows_enable_and_disable(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	assert_false(vl_vring_packed_need_call(&g->rx, &g->opts)); /* nothing new */
	loop_frames(g, 2);
	g->rxr.drv->flags = VL_VRING_EVENT_F_DISABLE;
	assert_false(vl_vring_packed_need_call(&g->rx, &g->opts));
	loop_frames(g, 2);
	g->rxr.drv->flags = VL_VRING_EVENT_F_ENABLE;
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	assert_false(vl_vring_packed_need_call(&g->rx, &g->opts)); /* once per publish */
	loop_frames(g, 1);
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC; /* without EVENT_IDX: as ENABLE */
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	g_free(g);
}

static void
need_call_with_event_idx_uses_off_wrap_across_the_wrap(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 6, true);

	(void)state;
	g->opts.event_idx = true;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	g->rxr.drv->off_wrap = 0x8000 | 7;
	loop_frames(g, 1);					  /* used: slot 6 -> 7 */
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts)); /* first decision */
	loop_frames(g, 3); /* used 7, 0, 1 (phase flips at 0) -> cursor 2, wrap 0 */
	/* Event at slot 7 of phase 1: written in this batch. */
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	loop_frames(g, 2);	  /* used 2, 3 */
	g->rxr.drv->off_wrap = 5; /* slot 5 phase 0: not yet */
	assert_false(vl_vring_packed_need_call(&g->rx, &g->opts));
	loop_frames(g, 2); /* used 4, 5 */
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	g->rxr.drv->off_wrap = 0x8000 | 4; /* behind: a lap ago */
	loop_frames(g, 1);
	assert_false(vl_vring_packed_need_call(&g->rx, &g->opts));
	g->rxr.drv->off_wrap = 0x7fff; /* out of range: call rather than hang */
	loop_frames(g, 1);
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	g_free(g);
}

/*
 * The lazy decision (no fence) is certain when it finds a call; a "no call" is owed a fenced
 * look, because the driver may have enabled interrupts while our used flags were in flight.
 * Here the driver switches from DISABLE to ENABLE after the lazy read: the settle calls, once.
 */
static void
lazy_call_disable_is_owed_and_settled(void **state)
{
	struct guest *g = g_new(8, 12, false);

	(void)state;
	assert_false(vl_vring_call_owed(&g->rx));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts)); /* nothing owed */
	g->rxr.drv->flags = VL_VRING_EVENT_F_DISABLE;
	loop_frames(g, 1);
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_true(vl_vring_call_owed(&g->rx));
	g->rxr.drv->flags = VL_VRING_EVENT_F_ENABLE; /* the driver enabled interrupts meanwhile */
	assert_true(vl_vring_call_settle(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts)); /* settled once */
	/* Interrupts wanted at the decision: a call at once, nothing owed. */
	loop_frames(g, 1);
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* Still disabled at the settle: no call, nothing owed any more. */
	g->rxr.drv->flags = VL_VRING_EVENT_F_DISABLE;
	loop_frames(g, 1);
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* DESC without EVENT_IDX at the settle is ENABLE. */
	loop_frames(g, 1);
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	assert_true(vl_vring_call_settle(&g->rx, &g->opts));
	/* Nothing published since the last decision: nothing to decide, nothing owed. */
	g->rxr.drv->flags = VL_VRING_EVENT_F_DISABLE;
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* With EVENT_IDX the first decision after a restart has no window to owe: it is taken
	 * fenced, nothing owed. */
	g->opts.event_idx = true;
	assert_int_equal(vl_vring_packed_init(&g->rx, g->rxr.desc, g->rxr.drv, g->rxr.dev, 8,
					      base_of(g->rx.last_avail_idx, g->rx.avail_wrap),
					      base_of(g->rx.last_used_idx, g->rx.used_wrap)),
			 0);
	loop_frames(g, 1);
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/* A ring whose lazy decisions never stop finding "no call" settles itself after
 * VL_VRING_CALL_OWED_MAX of them in a row: the owed look comes within a bounded delay. */
static void
lazy_call_settles_itself_after_the_bound(void **state)
{
	struct guest *g = g_new(64, 12, false);

	(void)state;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DISABLE;
	for (unsigned int round = 0; round < 2; round++) {
		for (unsigned int k = 1; k < VL_VRING_CALL_OWED_MAX; k++) {
			loop_frames(g, 1);
			assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
			assert_true(vl_vring_call_owed(&g->rx));
		}
		loop_frames(g, 1);
		assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts)); /* the bound */
		assert_false(vl_vring_call_owed(&g->rx));
	}
	/* The bound's settle calls when the driver asked meanwhile for a descriptor of an earlier
	 * owed decision (the last decision's own window does not hold it). Used cursor: slot 16,
	 * phase 1. */
	g->opts.event_idx = true;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	g->rxr.drv->off_wrap = 0; /* slot 0 of phase 0: half the circle away */
	for (unsigned int k = 1; k < VL_VRING_CALL_OWED_MAX; k++) {
		loop_frames(g, 1);
		assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	}
	g->rxr.drv->off_wrap = 0x8000 | 16; /* the first owed descriptor */
	loop_frames(g, 1);
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/*
 * EVENT_IDX: the settle (and a fenced decision that follows owed ones) looks at every used
 * descriptor written since the last settled decision, not only the last burst's, on the circle
 * of slot and wrap counter: an off_wrap the driver wrote for an earlier owed window, here one
 * that crosses the end of the ring, must still bring its call.
 */
static void
lazy_call_with_event_idx_settles_the_whole_owed_window_across_the_wrap(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 6, true);

	(void)state;
	g->opts.event_idx = true;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	g->rxr.drv->off_wrap = 3; /* slot 3 of phase 0: not in any window below */
	loop_frames(g, 1);	  /* used 6 */
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts)); /* first decision */
	assert_false(vl_vring_call_owed(&g->rx));
	loop_frames(g, 1); /* used 7 of phase 1; the cursor wraps to 0 of phase 0 */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	loop_frames(g, 1); /* used 0 of phase 0 */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_true(vl_vring_call_owed(&g->rx));
	/* The driver had seen slot 6 and asked for a call at slot 7 of phase 1: the first owed
	 * window, before the wrap. */
	g->rxr.drv->off_wrap = 0x8000 | 7;
	assert_true(vl_vring_call_settle(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts));
	/* A fenced decision after owed ones covers their descriptors too. */
	g->rxr.drv->off_wrap = 0x8000 | 1; /* slot 1 of phase 1: half the circle away */
	loop_frames(g, 1);		   /* used 1 */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	g->rxr.drv->off_wrap = 1; /* slot 1 of phase 0: the owed one */
	loop_frames(g, 1);	  /* used 2 */
	assert_true(vl_vring_packed_need_call(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* Settled: the next window starts at slot 3. */
	loop_frames(g, 1);						/* used 3 */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts)); /* slot 1 is behind */
	assert_false(vl_vring_call_settle(&g->rx, &g->opts));
	/* A lazy decision that calls settles what was owed before it. */
	g->rxr.drv->off_wrap = 0x8000 | 4;
	loop_frames(g, 1); /* used 4 */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	g->rxr.drv->off_wrap = 5;
	loop_frames(g, 1); /* used 5 */
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/*
 * The event offset names one of 2 x size positions, so an owed window as long as the ring is
 * settled at once (then a window plus the next burst, at most size slots, stays shorter than
 * the circle): here after 4 decisions of 2 slots on a ring of 8, well before the bound of 8.
 */
static void
lazy_call_owed_window_is_settled_before_it_reaches_the_ring_size(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 5, false);

	(void)state;
	g->opts.event_idx = true;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	loop_frames(g, 1);					       /* used 5 */
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts)); /* first decision */
	/* Windows from slot 6 of phase 0; slot 5 of phase 0 is a lap behind, in none of them. */
	g->rxr.drv->off_wrap = 5;
	for (unsigned int k = 0; k < 3; k++) {
		loop_frames(g, 2);
		assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
		assert_true(vl_vring_call_owed(&g->rx));
	}
	loop_frames(g, 2); /* 8 slots owed */
	assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* Again from slot 6 of phase 1; the settle at that bound calls for its first slot. */
	g->rxr.drv->off_wrap = 0x8000 | 5;
	for (unsigned int k = 0; k < 3; k++) {
		loop_frames(g, 2);
		assert_false(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
		assert_true(vl_vring_call_owed(&g->rx));
	}
	g->rxr.drv->off_wrap = 0x8000 | 6;
	loop_frames(g, 2);
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/*
 * Mergeable frames that take more than a burst's worth of RX buffers make the burst publish RX
 * twice; it may then have taken more slots than the circle of 2 x size tells apart, so the next
 * decision calls with DESC, wherever off_wrap points.
 */
static void
rx_published_twice_in_a_burst_makes_the_next_decision_call(void **state)
{
	struct guest *g = g_new(512, 12, true);
	uint32_t tiny = 16;

	(void)state;
	g->opts.event_idx = true;
	g->rxr.drv->flags = VL_VRING_EVENT_F_DESC;
	rx_post_n(g, 4, tiny);
	tx_post(g, 52, 1, 1, NULL, false); /* 64 bytes: 4 buffers */
	assert_int_equal(g_burst(g, 32), 1);
	rx_expect(g, 52, 1, 4);
	tx_expect_done(g, 1);
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts)); /* first decision */
	g->rxr.drv->off_wrap = 0x8000 | 3; /* a lap behind the RX cursor (slot 4 of phase 1) */
	rx_post_n(g, 400, tiny);
	tx_post(g, 3188, 2, 1, NULL, false); /* 3200 bytes: 200 buffers each */
	tx_post(g, 3188, 3, 1, NULL, false);
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->res.nb_rx_bufs, 400);
	rx_expect(g, 3188, 2, 200);
	rx_expect(g, 3188, 3, 200);
	tx_expect_done(g, 2);
	assert_true(vl_vring_packed_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

static void
sink_returns_chains_and_leaves_rx_alone(void **state)
{
	struct guest *g = g_new_at(8, 12, false, 7, true);
	uint16_t id;
	uint32_t len;
	unsigned int n;

	(void)state;
	rx_post_n(g, 1, 300);
	tx_post(g, 40, 1, 3, NULL, false);
	tx_post(g, 40, 2, 1, NULL, true);
	assert_int_equal(vl_vring_packed_sink_burst(&g->tx, &g->opts, 32, &g->res), 2);
	tx_expect_done(g, 2);
	assert_true(nothing_used(&g->rxr));
	g->opts.in_order = true;
	tx_post(g, 40, 3, 2, NULL, false);
	tx_post(g, 40, 4, 1, NULL, false);
	assert_int_equal(vl_vring_packed_sink_burst(&g->tx, &g->opts, 32, &g->res), 2);
	assert_true(pring_reap(&g->txr, &id, &len, &n));
	assert_int_equal(n, 2);
	g->txr.desc[g->txr.avail_slot].flags =
		g->txr.avail_wrap ? (F_AVAIL | F_USED) : 0; /* used pattern at the head */
	assert_int_equal(vl_vring_packed_sink_burst(&g->tx, &g->opts, 32, &g->res), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_AVAIL_FLAGS);
	g_free(g);
}

/* What the observer (the steering audit) saw, checked after the burst. */
struct observed {
	struct guest *g;
	unsigned int nb_calls;
	unsigned int nb;
	bool rx_unpublished; /* the RX ring looked untouched when the observer ran */
	struct vl_vring_frame frames[VL_VRING_BURST_MAX];
	uint8_t heads[VL_VRING_BURST_MAX][128];
};

static void
observe(void *ctx, const struct vl_vring_frame *frames, unsigned int nb)
{
	struct observed *o = ctx;

	/* Called before the publish: no RX descriptor is marked used yet. */
	o->rx_unpublished = memcmp(o->g->rxr.snap, o->g->rxr.desc,
				   o->g->rxr.size * sizeof(*o->g->rxr.desc)) == 0;
	o->nb_calls++;
	o->nb = nb;
	for (unsigned int i = 0; i < nb; i++) {
		o->frames[i] = frames[i];
		memcpy(o->heads[i], frames[i].data,
		       frames[i].head_bytes < 128 ? frames[i].head_bytes : 128);
	}
}

static void
observer_sees_every_looped_frame_before_the_publish(void **state)
{
	struct guest *g = g_new_at(256, 12, true, 254, true); /* the burst crosses the wrap */
	static struct vl_vring_observer obs;
	static struct observed o;
	uint32_t big = 2048;
	unsigned int n;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.g = g;
	obs = (struct vl_vring_observer){.fn = observe, .ctx = &o};
	rx_post(g, &big, 1, false);
	rx_post_n(g, 4, 64);
	tx_post(g, 60, 1, 1, NULL, false);  /* fast path: one descriptor each side */
	tx_post(g, 200, 2, 2, NULL, false); /* walker: 2 TX descriptors into 4 tiny RX buffers */
	tx_post(g, 700, 3, 1, NULL, false); /* no RX buffer left: dropped, not observed */
	memcpy(g->rxr.snap, g->rxr.desc, g->rxr.size * sizeof(*g->rxr.desc));
	n = vl_vring_packed_loop_burst_observed(&g->tx, &g->rx, &g->mem, &g->opts, 32, &g->res,
						&obs);
	g_check_guards(g);
	assert_int_equal(n, 3);
	assert_int_equal(g->res.drop_rx_full, 1);
	assert_int_equal(o.nb_calls, 1);
	assert_true(o.rx_unpublished);
	assert_int_equal(o.nb, 2);
	assert_int_equal(o.frames[0].frame_bytes, 60);
	assert_int_equal(o.frames[0].head_bytes, 60);
	assert_int_equal(o.frames[1].frame_bytes, 200);
	assert_int_equal(o.frames[1].head_bytes, 64 - 12); /* the first RX buffer's payload */
	for (uint32_t i = 0; i < 60; i++)
		assert_int_equal(o.heads[0][i], pattern(1, i));
	for (uint32_t i = 0; i < 64 - 12; i++)
		assert_int_equal(o.heads[1][i], pattern(2, i));
	rx_expect(g, 60, 1, 1);
	rx_expect(g, 200, 2, 4);
	/* A burst that loops nothing does not call. */
	assert_int_equal(vl_vring_packed_loop_burst_observed(&g->tx, &g->rx, &g->mem, &g->opts, 32,
							     &g->res, &obs),
			 0);
	assert_int_equal(o.nb_calls, 1);
	g_free(g);
}

static void
split_functions_refuse_nothing_packed_functions_refuse_split(void **state)
{
	struct guest *g = g_new(8, 12, false);
	struct vl_vring split = {0};

	(void)state;
	assert_int_equal(vl_vring_packed_loop_burst(&split, &g->rx, &g->mem, &g->opts, 32, &g->res),
			 0);
	assert_int_equal(vl_vring_packed_sink_burst(&split, &g->opts, 32, &g->res), 0);
	assert_string_not_equal(vl_vring_fault_str(VL_VRING_FAULT_AVAIL_FLAGS),
				vl_vring_fault_str(VL_VRING_FAULT_BUF_ID));
	assert_string_not_equal(vl_vring_fault_str(VL_VRING_FAULT_BUF_ID), "unknown fault");
	g_free(g);
}

/* ---- far-end idle poll (opts.rx_lag_polls) ------------------------------------------------ */

/* Post n 64-byte frames (seeds seed..) and as many RX buffers. */
static void
far_post(struct guest *g, unsigned int n, uint32_t seed)
{
	for (unsigned int i = 0; i < n; i++) {
		rx_post_n(g, 1, 2048);
		tx_post(g, 64, seed + i, 1, NULL, false);
	}
}

static void
far_expect(struct guest *g, unsigned int n, uint32_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		rx_expect(g, 64, seed + i, 1);
	tx_expect_done(g, n);
}

/*
 * With opts.rx_lag_polls = 3, only after a full burst (max_burst frames) does the burst look
 * only at the slot where the guest's next full burst ends (as many TX slots on as that burst
 * took), until it is available, for at most 3 polls in a row; then at the cursor, and at the
 * cursor on every poll until the next full burst. A ring of 16 starting at slot 11, so that the
 * far slot and the bursts cross the end of the ring in both phases.
 */
static void
idle_poll_waits_for_the_far_end_of_the_expected_burst(void **state)
{
	(void)state;
	for (int start_wrap = 0; start_wrap < 2; start_wrap++) {
		struct guest *g = g_new_at(16, 12, false, 11, start_wrap);
		uint32_t seed = 0;

		g->opts.rx_lag_polls = 3;
		/* No full burst yet: three frames (slots 11-13) are taken at the cursor at once. */
		far_post(g, 3, seed);
		assert_int_equal(g_burst(g, 4), 3);
		far_expect(g, 3, seed);
		seed += 3;
		/* A full burst (slots 14, 15, 0, 1): at once too; from now on 4 slots expected. */
		far_post(g, 4, seed);
		assert_int_equal(g_burst(g, 4), 4);
		far_expect(g, 4, seed);
		seed += 4;
		/* Full bursts across the end of the ring (the far slot in the next phase every
		 * fourth lap): three of four posted are not looked at, the fourth makes the burst.
		 */
		for (int lap = 0; lap < 8; lap++) {
			far_post(g, 3, seed);
			assert_int_equal(g_burst(g, 4), 0);
			assert_true(nothing_used(&g->txr));
			assert_true(nothing_used(&g->rxr));
			far_post(g, 1, seed + 3);
			assert_int_equal(g_burst(g, 4), 4);
			far_expect(g, 4, seed);
			seed += 4;
			assert_int_equal(g->tx.last_avail_idx, g->txr.avail_slot);
			assert_int_equal(g->tx.avail_wrap, g->txr.avail_wrap);
		}
		/* The guest slows down: two frames wait out the bound (3 polls), then the cursor
		 * takes them; that short burst ends the far-end polls, so every single frame after
		 * it is taken at once. */
		far_post(g, 2, seed);
		for (int poll = 0; poll < 3; poll++)
			assert_int_equal(g_burst(g, 4), 0);
		assert_int_equal(g_burst(g, 4), 2);
		far_expect(g, 2, seed);
		seed += 2;
		for (int i = 0; i < 20; i++) {
			far_post(g, 1, seed);
			assert_int_equal(g_burst(g, 4), 1);
			far_expect(g, 1, seed++);
		}
		/* A full burst again, then the guest stops: three idle far-end polls, then the
		 * cursor for good, so a frame after the pause is taken on the first poll. */
		far_post(g, 4, seed);
		assert_int_equal(g_burst(g, 4), 4);
		far_expect(g, 4, seed);
		seed += 4;
		for (int poll = 0; poll < 3 + 5; poll++)
			assert_int_equal(g_burst(g, 4), 0);
		far_post(g, 1, seed);
		assert_int_equal(g_burst(g, 4), 1);
		far_expect(g, 1, seed++);
		assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
		assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
		g_free(g);
	}
}

/*
 * The far-end polls are bounded by the engine's constant whatever opts.rx_lag_polls says (the
 * engine sets 100): after a full burst, a single frame is taken on the 17th poll at the latest.
 */
static void
far_end_polls_are_bounded_by_16(void **state)
{
	struct guest *g = g_new_at(64, 12, false, 0, true);
	uint32_t seed = 0;
	int polls = 0;

	(void)state;
	g->opts.rx_lag_polls = 100;
	far_post(g, 32, seed);
	assert_int_equal(g_burst(g, 32), 32);
	far_expect(g, 32, seed);
	seed += 32;
	far_post(g, 1, seed);
	while (polls < 200 && g_burst(g, 32) == 0)
		polls++;
	assert_int_equal(polls, 16);
	far_expect(g, 1, seed);
	g_free(g);
}

/*
 * The gating: after a burst that took fewer than max_burst frames, the next poll reads the
 * cursor even though the last burst took as many TX slots as a full one (four frames of two
 * slots, a header alone and the rest, after a full burst of four one-slot frames): a frame
 * posted at the cursor is taken on the very next poll.
 */
static void
after_a_short_burst_the_next_poll_reads_the_cursor(void **state)
{
	struct guest *g = g_new_at(16, 12, false, 0, true);
	uint32_t seed = 0;

	(void)state;
	g->opts.rx_lag_polls = 3;
	far_post(g, 4, seed);
	assert_int_equal(g_burst(g, 4), 4); /* full: 4 slots expected now */
	far_expect(g, 4, seed);
	seed += 4;
	/* Two frames of two slots each: slots 4-7, the far slot (7) is available. */
	for (unsigned int i = 0; i < 2; i++) {
		rx_post_n(g, 1, 2048);
		tx_post(g, 64, seed + i, 2, (uint32_t[]){12, 64}, false);
	}
	assert_int_equal(g_burst(g, 4), 2);
	far_expect(g, 2, seed);
	seed += 2;
	/* Short (2 of 4 frames, though 4 slots): one frame at the cursor goes at once. */
	far_post(g, 1, seed);
	assert_int_equal(g_burst(g, 4), 1);
	far_expect(g, 1, seed);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

/*
 * The far slot is only a hint for when to look: a hostile guest that makes it available (or
 * writes a used pattern there) while the cursor's slot is not gets no frame taken, no fault,
 * and no endless wait; and without opts.rx_lag_polls every burst looks at the cursor.
 */
static void
far_end_hint_from_a_hostile_guest_takes_nothing(void **state)
{
	struct guest *g = g_new_at(16, 12, false, 0, true);
	struct vl_vring_packed_desc *far;
	uint32_t seed = 0;

	(void)state;
	g->opts.rx_lag_polls = 3;
	far_post(g, 4, seed);
	assert_int_equal(g_burst(g, 4), 4); /* expected now: 4 slots */
	far_expect(g, 4, seed);
	seed += 4;
	rx_post_n(g, 4, 2048);
	/* Slot 7 (the far end from cursor 4) available, slots 4-6 not. */
	far = &g->txr.desc[7];
	far->addr = 0;
	far->len = 100;
	far->id = 0;
	far->flags = F_AVAIL;
	for (int poll = 0; poll < 10; poll++)
		assert_int_equal(g_burst(g, 4), 0);
	/* A used pattern in the current phase there: not a fault (only the cursor's is). */
	far->flags = F_AVAIL | F_USED;
	for (int poll = 0; poll < 10; poll++)
		assert_int_equal(g_burst(g, 4), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->tx.last_avail_idx, 4);
	assert_true(nothing_used(&g->txr));
	assert_true(nothing_used(&g->rxr));
	g_free(g);

	/* Off (rx_lag_polls 0): one frame after a burst of four is taken at once. */
	g = g_new_at(16, 12, false, 0, true);
	far_post(g, 4, seed);
	assert_int_equal(g_burst(g, 4), 4);
	far_expect(g, 4, seed);
	seed += 4;
	far_post(g, 1, seed);
	assert_int_equal(g_burst(g, 4), 1);
	far_expect(g, 1, seed);
	g_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_frame_loops_with_num_buffers_1),
		cmocka_unit_test(observer_sees_every_looped_frame_before_the_publish),
		cmocka_unit_test(wrap_at_the_end_of_the_ring_in_both_phases),
		cmocka_unit_test(chains_cross_the_end_of_the_ring),
		cmocka_unit_test(in_order_returns_one_used_descriptor_per_tx_batch),
		cmocka_unit_test(mergeable_frames_fill_tiny_buffers),
		cmocka_unit_test(mergeable_frame_over_too_many_buffers_is_truncated),
		cmocka_unit_test(indirect_tables_on_tx_and_rx),
		cmocka_unit_test(buffers_crossing_a_region_boundary_are_split),
		cmocka_unit_test(drops_keep_rx_buffers_and_return_tx),
		cmocka_unit_test(tx_frame_over_64k_is_truncated),
		cmocka_unit_test(max_burst_and_ring_full_bound_a_burst),
		cmocka_unit_test(used_pattern_at_the_head_breaks_the_ring),
		cmocka_unit_test(wrong_phase_heads_are_not_available),
		cmocka_unit_test(chain_member_in_the_wrong_phase_breaks_the_ring),
		cmocka_unit_test(chain_longer_than_the_ring_breaks_it),
		cmocka_unit_test(indirect_hostile_cases_break_the_ring),
		cmocka_unit_test(address_outside_guest_memory_breaks_the_ring),
		cmocka_unit_test(buffer_id_out_of_range_breaks_the_ring),
		cmocka_unit_test(write_flag_and_rx_header_faults),
		cmocka_unit_test(every_tx_layout_in_one_burst_keeps_order_and_bytes),
		cmocka_unit_test(hostile_fast_layouts_break_tx),
		cmocka_unit_test(init_decodes_and_base_encodes_the_wrap_bit),
		cmocka_unit_test(restart_from_the_base_resumes_at_the_right_slot_and_phase),
		cmocka_unit_test(suppress_kicks_disables_device_events),
		cmocka_unit_test(enable_kicks_sets_enable_and_reports_what_is_already_posted),
		cmocka_unit_test(need_call_follows_enable_and_disable),
		cmocka_unit_test(need_call_with_event_idx_uses_off_wrap_across_the_wrap),
		cmocka_unit_test(lazy_call_disable_is_owed_and_settled),
		cmocka_unit_test(lazy_call_settles_itself_after_the_bound),
		cmocka_unit_test(
			lazy_call_with_event_idx_settles_the_whole_owed_window_across_the_wrap),
		cmocka_unit_test(lazy_call_owed_window_is_settled_before_it_reaches_the_ring_size),
		cmocka_unit_test(rx_published_twice_in_a_burst_makes_the_next_decision_call),
		cmocka_unit_test(sink_returns_chains_and_leaves_rx_alone),
		cmocka_unit_test(split_functions_refuse_nothing_packed_functions_refuse_split),
		cmocka_unit_test(idle_poll_waits_for_the_far_end_of_the_expected_burst),
		cmocka_unit_test(far_end_hint_from_a_hostile_guest_takes_nothing),
		cmocka_unit_test(far_end_polls_are_bounded_by_16),
		cmocka_unit_test(after_a_short_burst_the_next_poll_reads_the_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the split-ring direct datapath (no EAL). The test plays the guest driver: a
 * malloc'ed arena holds two memory regions whose guest-physical ranges touch but whose host
 * ranges do not, so a buffer crossing the boundary must be split. Every byte the device may
 * write (RX buffers) is marked; after each burst every other arena byte must be unchanged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vl_vring.h"

#define GPA_A 0x100000ULL
#define REGION_BYTES (1u << 20)
#define GPA_B (GPA_A + REGION_BYTES)	       /* guest-physically right after region A */
#define HVA_OFF_B (REGION_BYTES + 65536u)      /* ... but not right after it in our memory */
#define ARENA_BYTES (HVA_OFF_B + REGION_BYTES) /* [A][64 KiB hole][B] */
#define GUARD 0xee
#define GUARD_GAP 64
#define MAX_SEGS 512

struct ring {
	struct vl_vring_desc *desc;
	struct vl_vring_avail *avail;
	struct vl_vring_used *used;
	uint16_t size;
	uint16_t avail_idx; /* the driver's */
	uint16_t used_seen; /* used entries the driver has read */
	uint32_t next_desc;
};

struct rx_chain {
	unsigned int nb;
	uint64_t gpa[MAX_SEGS];
	uint32_t len[MAX_SEGS];
};

struct guest {
	uint8_t *arena;
	uint8_t *expect;   /* what every non-writable byte must still hold */
	uint8_t *writable; /* 1: inside an RX buffer */
	uint64_t bump_gpa;
	struct vl_mem mem;
	struct ring txr, rxr;
	struct vl_vring tx, rx;
	struct vl_vring_opts opts;
	struct vl_vring_burst res;
	struct rx_chain *rx_chains; /* by head */
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

/* Guest memory for a buffer in region A, with guard bytes after it. */
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
ring_alloc(struct ring *r, uint16_t size)
{
	r->size = size;
	r->desc = calloc(size, sizeof(*r->desc));
	r->avail = calloc(1, sizeof(*r->avail) + (size + 1) * sizeof(uint16_t));
	r->used = calloc(1, sizeof(*r->used) + size * sizeof(struct vl_vring_used_elem) + 8);
	assert_non_null(r->desc);
	assert_non_null(r->avail);
	assert_non_null(r->used);
}

static void
ring_free(struct ring *r)
{
	free(r->desc);
	free(r->avail);
	free(r->used);
}

static void
ring_start(struct ring *r, uint16_t idx)
{
	r->avail_idx = idx;
	r->used_seen = idx;
	r->avail->idx = idx;
	r->used->idx = idx;
}

static struct guest *
g_new_at(uint16_t size, uint16_t hdr_len, bool mrg, uint16_t start_idx)
{
	struct guest *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	g->arena = malloc(ARENA_BYTES);
	g->expect = malloc(ARENA_BYTES);
	g->writable = calloc(1, ARENA_BYTES);
	g->rx_chains = calloc(size, sizeof(*g->rx_chains));
	assert_non_null(g->arena);
	assert_non_null(g->expect);
	assert_non_null(g->writable);
	assert_non_null(g->rx_chains);
	memset(g->arena, GUARD, ARENA_BYTES);
	memset(g->expect, GUARD, ARENA_BYTES);
	g->bump_gpa = GPA_A + 4096;
	g->mem.nb_regions = 2;
	g->mem.regions[0] = (struct vl_mem_region){GPA_A, REGION_BYTES, (uintptr_t)g->arena};
	g->mem.regions[1] =
		(struct vl_mem_region){GPA_B, REGION_BYTES, (uintptr_t)(g->arena + HVA_OFF_B)};
	ring_alloc(&g->txr, size);
	ring_alloc(&g->rxr, size);
	ring_start(&g->txr, start_idx);
	ring_start(&g->rxr, start_idx);
	assert_int_equal(vl_vring_init(&g->tx, g->txr.desc, g->txr.avail, g->txr.used, size,
				       start_idx, start_idx),
			 0);
	assert_int_equal(vl_vring_init(&g->rx, g->rxr.desc, g->rxr.avail, g->rxr.used, size,
				       start_idx, start_idx),
			 0);
	g->opts = (struct vl_vring_opts){.hdr_len = hdr_len, .mrg_rxbuf = mrg, .indirect = true};
	return g;
}

static struct guest *
g_new(uint16_t size, uint16_t hdr_len, bool mrg)
{
	return g_new_at(size, hdr_len, mrg, 0);
}

static void
g_free(struct guest *g)
{
	ring_free(&g->txr);
	ring_free(&g->rxr);
	free(g->arena);
	free(g->expect);
	free(g->writable);
	free(g->rx_chains);
	free(g);
}

/* Nothing outside RX buffers changed. */
static void
g_check_guards(struct guest *g)
{
	for (size_t i = 0; i < ARENA_BYTES; i++) {
		if (!g->writable[i] && g->arena[i] != g->expect[i])
			fail_msg("device wrote arena byte %zu outside every RX buffer", i);
	}
}

static unsigned int
g_burst(struct guest *g, unsigned int max_burst)
{
	unsigned int n = vl_vring_loop_burst(&g->tx, &g->rx, &g->mem, &g->opts, max_burst, &g->res);

	g_check_guards(g);
	assert_int_equal(n, g->res.nb_tx_done);
	return n;
}

/* ---- the driver --------------------------------------------------------------------------- */

/* Write a chain of nb descriptors into table (the ring, or an indirect table copy). */
static uint16_t
ring_chain(struct ring *r, const uint64_t *gpas, const uint32_t *lens, unsigned int nb,
	   uint16_t flags)
{
	uint16_t mask = r->size - 1;
	uint16_t head = r->next_desc & mask;

	for (unsigned int k = 0; k < nb; k++) {
		uint16_t slot = r->next_desc++ & mask;

		r->desc[slot] = (struct vl_vring_desc){
			.addr = gpas[k],
			.len = lens[k],
			.flags = flags | (k + 1 < nb ? VL_VRING_DESC_F_NEXT : 0),
			.next = r->next_desc & mask,
		};
	}
	return head;
}

static void
ring_publish(struct ring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx & (r->size - 1)] = head;
	r->avail_idx++;
	__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

/* Bytes of a TX frame: a junk header (must be ignored) then payload. */
static uint8_t *
tx_bytes(const struct guest *g, const uint8_t *payload, uint32_t payload_len)
{
	uint8_t *b = malloc(g->opts.hdr_len + payload_len + 1);

	assert_non_null(b);
	memset(b, 0xa5, g->opts.hdr_len); /* num_buffers 0xa5a5 too: never copied */
	memcpy(b + g->opts.hdr_len, payload, payload_len);
	return b;
}

/* Allocate buffers of lens[] and fill them with the frame; gpas[] out. */
static void
tx_buffers(struct guest *g, const uint8_t *bytes, const uint32_t *lens, unsigned int nb,
	   uint64_t *gpas)
{
	uint32_t off = 0;

	for (unsigned int k = 0; k < nb; k++) {
		gpas[k] = g_alloc(g, lens[k]);
		g_write(g, gpas[k], bytes + off, lens[k]);
		off += lens[k];
	}
}

/* A TX chain for payload split into descriptors of lens[] (sum = hdr_len + payload). */
static uint16_t
tx_chain(struct guest *g, const uint8_t *payload, uint32_t payload_len, const uint32_t *lens,
	 unsigned int nb)
{
	uint64_t gpas[MAX_SEGS];
	uint8_t *b = tx_bytes(g, payload, payload_len);
	uint16_t head;

	tx_buffers(g, b, lens, nb, gpas);
	head = ring_chain(&g->txr, gpas, lens, nb, 0);
	free(b);
	return head;
}

static uint16_t
tx_add(struct guest *g, const uint8_t *payload, uint32_t payload_len)
{
	uint32_t len = g->opts.hdr_len + payload_len;
	uint16_t head = tx_chain(g, payload, payload_len, &len, 1);

	ring_publish(&g->txr, head);
	return head;
}

/* Write an indirect table in guest memory; returns its gpa. */
static uint64_t
indirect_table(struct guest *g, const uint64_t *gpas, const uint32_t *lens, unsigned int nb,
	       uint16_t flags)
{
	struct vl_vring_desc t[MAX_SEGS];
	uint64_t gpa = g_alloc(g, nb * sizeof(t[0]));

	for (unsigned int k = 0; k < nb; k++)
		t[k] = (struct vl_vring_desc){gpas[k], lens[k],
					      flags | (k + 1 < nb ? VL_VRING_DESC_F_NEXT : 0),
					      (uint16_t)(k + 1)};
	g_write(g, gpa, t, nb * sizeof(t[0]));
	return gpa;
}

/* One descriptor in the ring pointing to a table. */
static uint16_t
ring_indirect(struct ring *r, uint64_t table_gpa, uint32_t table_len, uint16_t extra_flags)
{
	uint16_t flags = VL_VRING_DESC_F_INDIRECT | extra_flags;
	uint16_t head = ring_chain(r, &table_gpa, &table_len, 1, 0);

	r->desc[head].flags = flags;
	return head;
}

/* RX buffers of lens[] at gpas[] (0: allocate), as one chain; not published. */
static uint16_t
rx_chain_at(struct guest *g, const uint64_t *gpas_in, const uint32_t *lens, unsigned int nb,
	    bool indirect)
{
	uint64_t gpas[MAX_SEGS];
	uint16_t head;

	for (unsigned int k = 0; k < nb; k++) {
		gpas[k] = gpas_in != NULL ? gpas_in[k] : g_alloc(g, lens[k]);
		g_mark_writable(g, gpas[k], lens[k]);
	}
	if (indirect)
		head = ring_indirect(&g->rxr,
				     indirect_table(g, gpas, lens, nb, VL_VRING_DESC_F_WRITE),
				     nb * 16, 0);
	else
		head = ring_chain(&g->rxr, gpas, lens, nb, VL_VRING_DESC_F_WRITE);
	g->rx_chains[head].nb = nb;
	memcpy(g->rx_chains[head].gpa, gpas, nb * sizeof(gpas[0]));
	memcpy(g->rx_chains[head].len, lens, nb * sizeof(lens[0]));
	return head;
}

static uint16_t
rx_add_chain(struct guest *g, const uint32_t *lens, unsigned int nb)
{
	uint16_t head = rx_chain_at(g, NULL, lens, nb, false);

	ring_publish(&g->rxr, head);
	return head;
}

static uint16_t
rx_add(struct guest *g, uint32_t len)
{
	return rx_add_chain(g, &len, 1);
}

static struct vl_vring_used_elem
used_next(struct ring *r)
{
	struct vl_vring_used_elem e = r->used->ring[r->used_seen & (r->size - 1)];

	r->used_seen++;
	return e;
}

static uint16_t
used_pending(const struct ring *r)
{
	return (uint16_t)(__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE) - r->used_seen);
}

/* Read up to max bytes written into the RX chain head. */
static uint32_t
rx_read(struct guest *g, uint16_t head, uint8_t *out, uint32_t len)
{
	const struct rx_chain *c = &g->rx_chains[head];
	uint32_t done = 0;

	for (unsigned int k = 0; k < c->nb && done < len; k++) {
		uint32_t n = c->len[k] < len - done ? c->len[k] : len - done;

		g_read(g, c->gpa[k], out + done, n);
		done += n;
	}
	return done;
}

/* The next RX frame: nb_bufs used entries, correct header, payload byte-identical. */
static void
expect_frame(struct guest *g, const uint8_t *payload, uint32_t payload_len, uint16_t nb_bufs)
{
	uint32_t total = g->opts.hdr_len + payload_len, done = 0;
	uint8_t *got = calloc(1, total + 1);

	assert_non_null(got);
	assert_true(used_pending(&g->rxr) >= nb_bufs);
	for (uint16_t b = 0; b < nb_bufs; b++) {
		struct vl_vring_used_elem e = used_next(&g->rxr);

		assert_true(e.id < g->rxr.size);
		assert_true(done + e.len <= total);
		assert_int_equal(rx_read(g, (uint16_t)e.id, got + done, e.len), e.len);
		done += e.len;
	}
	assert_int_equal(done, total);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(got[i], 0);
	if (g->opts.hdr_len == 12)
		assert_int_equal(got[10] | got[11] << 8, nb_bufs);
	assert_memory_equal(got + g->opts.hdr_len, payload, payload_len);
	free(got);
}

/* The next TX used entry returns head with len 0. */
static void
expect_tx_done(struct guest *g, uint16_t head)
{
	struct vl_vring_used_elem e;

	assert_true(used_pending(&g->txr) >= 1);
	e = used_next(&g->txr);
	assert_int_equal(e.id, head);
	assert_int_equal(e.len, 0);
}

static void
fill_payload(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* ---- happy paths -------------------------------------------------------------------------- */

static void
a_single_descriptor_frame_comes_back_byte_identical_with_num_buffers_1(void **state)
{
	static const uint16_t hdr_lens[] = {10, 12};

	(void)state;
	for (unsigned int m = 0; m < 4; m++) {
		struct guest *g = g_new(256, hdr_lens[m & 1], m >= 2 && hdr_lens[m & 1] == 12);
		uint8_t payload[1518];
		uint16_t head;

		fill_payload(payload, sizeof(payload), m);
		rx_add(g, 2048);
		head = tx_add(g, payload, sizeof(payload));
		assert_int_equal(g_burst(g, 32), 1);
		assert_int_equal(g->res.nb_frames, 1);
		assert_int_equal(g->res.nb_bytes, sizeof(payload));
		assert_int_equal(g->res.nb_rx_bufs, 1);
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, head);
		assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
		assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
		g_free(g);
	}
}

static void
a_burst_of_32_publishes_used_idx_plus_32_on_both_rings(void **state)
{
	struct guest *g = g_new(256, 12, false);
	uint8_t payload[32][64 + 32];
	uint16_t heads[32];

	(void)state;
	for (unsigned int i = 0; i < 32; i++) {
		fill_payload(payload[i], 64 + i, i);
		rx_add(g, 2048);
		heads[i] = tx_add(g, payload[i], 64 + i);
	}
	assert_int_equal(g_burst(g, 32), 32);
	assert_int_equal(g->rxr.used->idx, 32);
	assert_int_equal(g->txr.used->idx, 32);
	assert_int_equal(g->tx.last_used_idx, 32);
	assert_int_equal(g->rx.last_avail_idx, 32);
	for (unsigned int i = 0; i < 32; i++) {
		expect_frame(g, payload[i], 64 + i, 1);
		expect_tx_done(g, heads[i]);
	}
	/* Nothing new: no progress and the used idx stay put. */
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->txr.used->idx, 32);
	g_free(g);
}

static void
max_burst_bounds_the_frames_of_one_call(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[60] = {1};

	(void)state;
	for (unsigned int i = 0; i < 10; i++) {
		rx_add(g, 2048);
		tx_add(g, payload, sizeof(payload));
	}
	assert_int_equal(g_burst(g, 4), 4);
	assert_int_equal(g->txr.used->idx, 4);
	assert_int_equal(g_burst(g, 0), 0);
	assert_int_equal(g_burst(g, 100), 6);
	assert_int_equal(g->rxr.used->idx, 10);
	g_free(g);
}

static void
rx_lag_waits_for_the_next_refill_then_takes_what_is_there(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[60] = {7};
	uint16_t heads[8];

	(void)state;
	g->opts.rx_lag_polls = 3;
	for (unsigned int i = 0; i < 4; i++) {
		rx_add(g, 2048);
		heads[i] = tx_add(g, payload, sizeof(payload));
	}
	/* 4 RX buffers for 4 frames: fewer than twice, so three polls wait and take nothing. */
	for (unsigned int p = 0; p < 3; p++) {
		assert_int_equal(g_burst(g, 32), 0);
		assert_int_equal(g->rx.last_avail_idx, 0);
		assert_int_equal(g->tx.last_avail_idx, 0);
		assert_int_equal(g->rxr.used->idx, 0);
		assert_int_equal(g->txr.used->idx, 0);
	}
	/* The fourth runs the burst with the buffers there are. */
	assert_int_equal(g_burst(g, 32), 4);
	assert_int_equal(g->res.nb_frames, 4);
	for (unsigned int i = 0; i < 4; i++) {
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, heads[i]);
	}
	/* The count starts again: the next short burst waits the full three polls too. */
	rx_add(g, 2048);
	heads[4] = tx_add(g, payload, sizeof(payload));
	for (unsigned int p = 0; p < 3; p++)
		assert_int_equal(g_burst(g, 32), 0);
	/* A refill while waiting: two buffers for one frame end the wait at once. */
	rx_add(g, 2048);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 1);
	expect_tx_done(g, heads[4]);
	assert_int_equal(g->rx.nb_lag_polls, 0);
	g_free(g);
}

static void
rx_lag_never_waits_when_the_guest_is_a_refill_ahead(void **state)
{
	struct guest *g = g_new(8, 12, false);
	uint8_t payload[60] = {9};

	(void)state;
	g->opts.rx_lag_polls = 1000;
	/* Twice the frames: no wait. */
	for (unsigned int i = 0; i < 2; i++) {
		rx_add(g, 2048);
		rx_add(g, 2048);
		tx_add(g, payload, sizeof(payload));
	}
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->rxr.used->idx, 2);
	/* Half a ring of 8 is all it asks for: 4 buffers (2 left over, 2 new) for 4 frames. */
	for (unsigned int i = 0; i < 4; i++) {
		if (i < 2)
			rx_add(g, 2048);
		tx_add(g, payload, sizeof(payload));
	}
	assert_int_equal(g_burst(g, 32), 4);
	assert_int_equal(g->res.nb_frames, 4);
	g_free(g);
}

/*
 * One poll of the lag: nothing moved, nothing published, the wait counted in the result. The
 * first two polls of a wait warm the pending TX frames and say so (VL_VRING_RX_LAG_WARM: the
 * engine counts their cycles as busy), the later ones only wait.
 */
static void
expect_lag_wait(struct guest *g, unsigned int max_burst)
{
	uint16_t tx_used = g->txr.used->idx, rx_used = g->rxr.used->idx;
	uint16_t tx_avail = g->tx.last_avail_idx, rx_avail = g->rx.last_avail_idx;
	unsigned int nth = g->rx.nb_lag_polls + 1u; /* this poll's place in the wait */

	assert_int_equal(g_burst(g, max_burst), 0);
	assert_int_equal(g->res.rx_lag, nth <= 2 ? VL_VRING_RX_LAG_WARM : VL_VRING_RX_LAG_WAIT);
	assert_int_equal(g->res.nb_frames, 0);
	assert_int_equal(g->res.drop_rx_full, 0);
	assert_int_equal(g->txr.used->idx, tx_used);
	assert_int_equal(g->rxr.used->idx, rx_used);
	assert_int_equal(g->tx.last_avail_idx, tx_avail);
	assert_int_equal(g->rx.last_avail_idx, rx_avail);
}

/*
 * The polls that wait for the RX refill start the TX frames' misses (avail entries, descriptors,
 * payload lines) on what the guest wrote, before the burst has checked any of it. Hostile values
 * there must not be trusted: a head far out of range (its descriptor would lie 1 MiB past the
 * table, which here ends at an inaccessible guard), a buffer outside guest memory, a length
 * beyond its region, one shorter than the header. The waits read nothing outside the table,
 * write nothing, consume nothing and break nothing; the burst after them loops the good frame
 * and breaks the ring on the bad head, as without the waits.
 */
static void
rx_lag_wait_warms_tx_without_trusting_it(void **state)
{
	const size_t table_bytes = 256 * sizeof(struct vl_vring_desc), guard_bytes = 2u << 20;
	struct guest *g = g_new(256, 12, true);
	uint8_t payload[60] = {3};
	struct vl_vring_desc *table;
	uint16_t good;
	uint8_t *map;

	(void)state;
	map = mmap(NULL, table_bytes + guard_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map, table_bytes, PROT_READ | PROT_WRITE), 0);
	table = (struct vl_vring_desc *)map;
	memset(table, 0, table_bytes);
	free(g->txr.desc);
	g->txr.desc = table;
	assert_int_equal(vl_vring_init(&g->tx, table, g->txr.avail, g->txr.used, 256, 0, 0), 0);
	g->opts.rx_lag_polls = 3;

	good = tx_add(g, payload, sizeof(payload));
	ring_publish(&g->txr, 0xffff); /* head out of range */
	table[10] = (struct vl_vring_desc){.addr = 0x7000000000ULL, .len = 72}; /* no memory */
	ring_publish(&g->txr, 10);
	table[11] = (struct vl_vring_desc){.addr = GPA_B + REGION_BYTES - 8, .len = 4096};
	ring_publish(&g->txr, 11); /* runs past the last region */
	table[12] = (struct vl_vring_desc){.addr = GPA_A + 8192, .len = 4}; /* < header */
	ring_publish(&g->txr, 12);
	rx_add(g, 2048); /* one buffer for five frames: the burst waits */
	for (unsigned int p = 0; p < 3; p++) {
		expect_lag_wait(g, 32);
		assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
		assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	}
	/* At the limit: the good frame comes back, the bad head breaks the TX ring. */
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_TIMEOUT);
	expect_frame(g, payload, sizeof(payload), 1);
	expect_tx_done(g, good);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_HEAD_RANGE);
	g->txr.desc = NULL; /* not malloc'ed: ring_free must not free it */
	g_free(g);
	assert_int_equal(munmap(map, table_bytes + guard_bytes), 0);
}

/*
 * VIRTIO_F_IN_ORDER changes nothing in the lag: the guest posts its RX descriptors in table
 * order and gets them back in that order, the burst waits the same polls, and the result says
 * which polls waited and which burst ended a wait by the limit (not by a refill).
 */
static void
rx_lag_with_in_order_counts_waits_and_the_timeout(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[6][60];
	uint16_t rx_heads[6], tx_heads[6];

	(void)state;
	g->opts.in_order = true;
	g->opts.rx_lag_polls = 5;
	for (unsigned int i = 0; i < 3; i++) {
		fill_payload(payload[i], sizeof(payload[i]), i);
		rx_heads[i] = rx_add(g, 2048);
		tx_heads[i] = tx_add(g, payload[i], sizeof(payload[i]));
		assert_int_equal(rx_heads[i], i); /* in order: descriptors 0, 1, 2 */
	}
	/* 3 buffers for 3 frames (want 6): five polls wait, the sixth goes ahead at the limit. */
	for (unsigned int p = 0; p < 5; p++)
		expect_lag_wait(g, 32);
	assert_int_equal(g_burst(g, 32), 3);
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_TIMEOUT);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(g->rxr.used->ring[i].id, rx_heads[i]);
		expect_frame(g, payload[i], sizeof(payload[i]), 1);
		expect_tx_done(g, tx_heads[i]);
	}
	/* Ended by a refill: two polls wait, the refill ends the wait, no timeout. */
	for (unsigned int i = 3; i < 6; i++) {
		fill_payload(payload[i], sizeof(payload[i]), i);
		rx_heads[i] = rx_add(g, 2048);
		tx_heads[i] = tx_add(g, payload[i], sizeof(payload[i]));
	}
	expect_lag_wait(g, 32);
	expect_lag_wait(g, 32);
	for (unsigned int i = 0; i < 3; i++)
		rx_add(g, 2048);
	assert_int_equal(g_burst(g, 32), 3);
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_NONE);
	for (unsigned int i = 3; i < 6; i++) {
		assert_int_equal(g->rxr.used->ring[i].id, rx_heads[i]);
		expect_frame(g, payload[i], sizeof(payload[i]), 1);
		expect_tx_done(g, tx_heads[i]);
	}
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

/* Lag off (rx_lag_polls 0, lib/vring's default): a burst short of RX buffers never waits and is
 * not a timeout, whatever it drops. */
static void
rx_lag_off_never_waits_nor_times_out(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[60] = {3};

	(void)state;
	rx_add(g, 2048);
	for (unsigned int i = 0; i < 4; i++)
		tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 4);
	assert_int_equal(g->res.nb_frames, 1);
	assert_int_equal(g->res.drop_rx_full, 3);
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_NONE);
	g_free(g);
}

/*
 * Fill the TX ring with nb frames and the RX ring with nb_rx buffers, run the lag with a limit
 * of 1000 polls (never reached here) and check the burst waits exactly while the guest has
 * posted fewer than want buffers: one buffer fewer waits, the last one ends the wait and every
 * frame loops.
 */
static void
rx_lag_wants(uint16_t size, unsigned int nb, unsigned int max_burst, unsigned int want)
{
	struct guest *g = g_new(size, 12, false);
	uint8_t payload[60];
	unsigned int looped = 0;

	g->opts.rx_lag_polls = 1000;
	fill_payload(payload, sizeof(payload), size);
	for (unsigned int i = 0; i < nb; i++)
		tx_add(g, payload, sizeof(payload));
	for (unsigned int i = 0; i + 1 < want; i++)
		rx_add(g, 128);
	for (unsigned int p = 0; p < 3; p++)
		expect_lag_wait(g, max_burst);
	rx_add(g, 128);
	while (looped < nb) {
		unsigned int n = g_burst(g, max_burst);

		assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_NONE);
		assert_int_equal(g->res.drop_rx_full, 0);
		assert_int_equal(n, g->res.nb_frames);
		assert_true(n > 0);
		looped += n;
		while (used_pending(&g->rxr) > 0)
			expect_frame(g, payload, sizeof(payload), 1);
		/* Once past the first burst the guest is far enough ahead to never wait again:
		 * keep it so (a refill of what it got back). */
		for (unsigned int i = 0; i < n; i++)
			rx_add(g, 128);
	}
	assert_int_equal(g->txr.used->idx, nb);
	g_free(g);
}

/* A ring of 64 caps the want at half the ring: 32 buffers for a burst of 32 frames. */
static void
rx_lag_ring_64_wants_half_the_ring(void **state)
{
	(void)state;
	rx_lag_wants(64, 32, 32, 32);
}

/* A ring of 1024: twice the burst (the engine's 32 frames want 64 buffers), and the largest
 * burst (256) wants 512, exactly half the ring. */
static void
rx_lag_ring_1024_wants_twice_the_burst(void **state)
{
	(void)state;
	rx_lag_wants(1024, 32, 32, 64);
	rx_lag_wants(1024, 256, 256, 512);
}

/*
 * Mergeable RX with small buffers: each frame takes four (1000 bytes + header in 256-byte
 * buffers) while the lag counts buffers. After the limit the burst goes ahead with what is
 * there: the frames that fit loop, each frame that finds too few buffers is counted as
 * drop_rx_full with its TX chain returned and the buffers it started writing left posted (not
 * consumed), and a smaller frame behind it still takes them. Nothing waits forever, nothing is
 * lost without a count.
 */
static void
rx_lag_mergeable_frames_of_several_buffers(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t big[1000], small[100];
	uint16_t heads[5];

	(void)state;
	g->opts.rx_lag_polls = 2;
	fill_payload(big, sizeof(big), 1);
	fill_payload(small, sizeof(small), 2);
	for (unsigned int i = 0; i < 6; i++)
		rx_add(g, 256);
	heads[0] = tx_add(g, big, sizeof(big));
	heads[1] = tx_add(g, big, sizeof(big));
	heads[2] = tx_add(g, small, sizeof(small));
	heads[3] = tx_add(g, small, sizeof(small));
	/* 6 buffers for 4 frames (want 8): two waits, then the burst with the 6 there are. */
	expect_lag_wait(g, 32);
	expect_lag_wait(g, 32);
	assert_int_equal(g_burst(g, 32), 4);
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_TIMEOUT);
	assert_int_equal(g->res.nb_frames, 3);
	assert_int_equal(g->res.drop_rx_full, 1);
	assert_int_equal(g->res.nb_rx_bufs, 6);
	assert_int_equal(g->res.nb_tx_done, 4);
	expect_frame(g, big, sizeof(big), 4);	  /* buffers 0-3 */
	expect_frame(g, small, sizeof(small), 1); /* the second big one found 2: dropped */
	expect_frame(g, small, sizeof(small), 1);
	for (unsigned int i = 0; i < 4; i++)
		expect_tx_done(g, heads[i]);
	assert_int_equal(g->rx.last_avail_idx, 6);
	assert_int_equal(g->rxr.used->idx, 6);
	/* 3 buffers for one big frame satisfy the lag (want 2: it counts buffers, not frames),
	 * so it does not wait; the frame needs 4: counted as drop_rx_full, TX returned, the 3
	 * buffers it started writing stay posted. After a refill of one, the next big frame loops
	 * into those 3 and the new one. */
	for (unsigned int i = 0; i < 3; i++)
		rx_add(g, 256);
	heads[4] = tx_add(g, big, sizeof(big));
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.nb_frames, 0);
	assert_int_equal(g->res.drop_rx_full, 1); /* 3 buffers = want 2: no wait, 1 short */
	assert_int_equal(g->res.rx_lag, VL_VRING_RX_LAG_NONE);
	assert_int_equal(g->rxr.used->idx, 6); /* nothing consumed */
	expect_tx_done(g, heads[4]);
	rx_add(g, 256);
	heads[4] = tx_add(g, big, sizeof(big));
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.nb_frames, 1);
	assert_int_equal(g->res.nb_rx_bufs, 4);
	expect_frame(g, big, sizeof(big), 4);
	expect_tx_done(g, heads[4]);
	assert_int_equal(g->txr.used->idx, g->txr.avail_idx);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

static void
indices_wrap_at_65535(void **state)
{
	struct guest *g = g_new_at(16, 12, true, 65530);
	uint8_t payload[100];
	uint16_t heads[12];

	(void)state;
	/* One by one, then a burst that straddles the wrap of both the index and the slots. */
	for (unsigned int i = 0; i < 3; i++) {
		fill_payload(payload, sizeof(payload), i);
		rx_add(g, 2048);
		heads[0] = tx_add(g, payload, sizeof(payload));
		assert_int_equal(g_burst(g, 32), 1);
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, heads[0]);
	}
	for (unsigned int i = 0; i < 12; i++) {
		rx_add(g, 2048);
		fill_payload(payload, sizeof(payload), 50);
		heads[i] = tx_add(g, payload, sizeof(payload));
	}
	assert_int_equal(g_burst(g, 32), 12);
	assert_int_equal(g->txr.used->idx, (uint16_t)(65530 + 15));
	assert_int_equal(g->rxr.used->idx, (uint16_t)(65530 + 15));
	assert_int_equal(g->tx.last_avail_idx, 9);
	for (unsigned int i = 0; i < 12; i++) {
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, heads[i]);
	}
	g_free(g);
}

static void
mergeable_frames_over_small_buffers_wrap_at_65535(void **state)
{
	struct guest *g = g_new_at(32, 12, true, 65533);
	uint8_t payload[200];
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 9);
	for (unsigned int i = 0; i < 8; i++)
		rx_add(g, 64);
	head = tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->rxr.used->idx, (uint16_t)(65533 + 4)); /* 212 bytes / 64 */
	expect_frame(g, payload, sizeof(payload), 4);
	expect_tx_done(g, head);
	g_free(g);
}

static void
long_chains_as_long_as_the_ring_are_walked(void **state)
{
	struct guest *g = g_new(256, 12, false);
	uint32_t tx_lens[256], rx_lens[256];
	uint8_t payload[256 * 8 - 12];
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 3);
	for (unsigned int k = 0; k < 256; k++) {
		tx_lens[k] = 8;
		rx_lens[k] = 9;
	}
	rx_add_chain(g, rx_lens, 256);
	head = tx_chain(g, payload, sizeof(payload), tx_lens, 256);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 1);
	expect_tx_done(g, head);
	g_free(g);
}

static void
indirect_tables_work_on_tx_and_rx(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[300], *b;
	uint32_t tx_lens[3] = {12, 100, 200}, rx_lens[4] = {5, 7, 100, 1000};
	uint64_t gpas[3];
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 4);
	ring_publish(&g->rxr, rx_chain_at(g, NULL, rx_lens, 4, true));
	b = tx_bytes(g, payload, sizeof(payload));
	tx_buffers(g, b, tx_lens, 3, gpas);
	free(b);
	head = ring_indirect(&g->txr, indirect_table(g, gpas, tx_lens, 3, 0), 3 * 16, 0);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 1);
	expect_tx_done(g, head);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

static void
indirect_table_need_not_be_aligned(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[40];
	uint32_t tx_lens[2] = {12, 40};
	uint64_t gpas[2];
	uint8_t *b;
	struct vl_vring_desc t[2];
	uint64_t table_gpa;
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 8);
	rx_add(g, 512);
	b = tx_bytes(g, payload, sizeof(payload));
	tx_buffers(g, b, tx_lens, 2, gpas);
	free(b);
	t[0] = (struct vl_vring_desc){gpas[0], 12, VL_VRING_DESC_F_NEXT, 1};
	t[1] = (struct vl_vring_desc){gpas[1], 40, 0, 0};
	table_gpa = g_alloc(g, 40) + 3;
	g_write(g, table_gpa, t, sizeof(t));
	head = ring_indirect(&g->txr, table_gpa, sizeof(t), 0);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 1);
	g_free(g);
}

static void
mergeable_frame_fills_tiny_rx_buffers_in_order(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[100];
	uint16_t rx_heads[10], head;

	(void)state;
	fill_payload(payload, sizeof(payload), 5);
	for (unsigned int i = 0; i < 10; i++)
		rx_heads[i] = rx_add(g, 16);
	head = tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 1);
	/* 112 bytes into 16-byte buffers: 7 buffers, all full. */
	assert_int_equal(g->res.nb_rx_bufs, 7);
	assert_int_equal(g->res.nb_frames, 1);
	assert_int_equal(g->rxr.used->idx, 7);
	for (unsigned int i = 0; i < 7; i++) {
		struct vl_vring_used_elem e = g->rxr.used->ring[i];

		assert_int_equal(e.id, rx_heads[i]);
		assert_int_equal(e.len, 16);
	}
	expect_frame(g, payload, sizeof(payload), 7);
	expect_tx_done(g, head);
	assert_int_equal(g->rx.last_avail_idx, 7);
	g_free(g);
}

static void
mergeable_last_buffer_gets_only_the_rest(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[1000];
	uint16_t rx_lens[3] = {512, 512, 512};

	(void)state;
	fill_payload(payload, sizeof(payload), 6);
	for (unsigned int i = 0; i < 3; i++)
		rx_add(g, rx_lens[i]);
	tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->rxr.used->ring[0].len, 512);
	assert_int_equal(g->rxr.used->ring[1].len, 1012 - 512);
	assert_int_equal(g->rxr.used->idx, 2);
	expect_frame(g, payload, sizeof(payload), 2);
	g_free(g);
}

static void
mixed_fast_and_scattered_frames_keep_their_order(void **state)
{
	struct guest *g = g_new(128, 12, true);
	uint8_t payload[8][700];
	uint16_t heads[8];

	(void)state;
	for (unsigned int i = 0; i < 8; i++) {
		fill_payload(payload[i], 700, 20 + i);
		if (i % 3 == 1) { /* a frame split over two descriptors and two RX buffers */
			uint32_t lens[2] = {12, 700};

			heads[i] = tx_chain(g, payload[i], 700, lens, 2);
			ring_publish(&g->txr, heads[i]);
			rx_add(g, 400);
			rx_add(g, 400);
		} else {
			heads[i] = tx_add(g, payload[i], 700);
			rx_add(g, 2048);
		}
	}
	assert_int_equal(g_burst(g, 32), 8);
	for (unsigned int i = 0; i < 8; i++) {
		expect_frame(g, payload[i], 700, i % 3 == 1 ? 2 : 1);
		expect_tx_done(g, heads[i]);
	}
	g_free(g);
}

/* What the observer saw, checked by the test after the burst. */
struct observed {
	struct guest *g;
	uint16_t rx_used_idx_before; /* the guest's used->idx when the burst started */
	unsigned int nb_calls;
	unsigned int nb;
	struct vl_vring_frame frames[VL_VRING_BURST_MAX];
	uint8_t heads[VL_VRING_BURST_MAX][700];
};

static void
observe(void *ctx, const struct vl_vring_frame *frames, unsigned int nb)
{
	struct observed *o = ctx;

	/* Called before the publish: the guest cannot see (or reuse) these RX buffers yet. */
	assert_int_equal(__atomic_load_n(&o->g->rxr.used->idx, __ATOMIC_RELAXED),
			 o->rx_used_idx_before);
	o->nb_calls++;
	o->nb = nb;
	for (unsigned int i = 0; i < nb; i++) {
		o->frames[i] = frames[i];
		memcpy(o->heads[i], frames[i].data,
		       frames[i].head_bytes < 700 ? frames[i].head_bytes : 700);
	}
}

static void
observer_sees_every_looped_frame_before_the_publish(void **state)
{
	struct guest *g = g_new(128, 12, true);
	static struct vl_vring_observer obs;
	static struct observed o;
	uint8_t payload[8][700];
	unsigned int n;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.g = g;
	o.rx_used_idx_before = g->rxr.used->idx;
	obs = (struct vl_vring_observer){.fn = observe, .ctx = &o};
	for (unsigned int i = 0; i < 8; i++) {
		fill_payload(payload[i], 700, 40 + i);
		if (i == 7) {
			tx_add(g, payload[i], 700); /* no RX buffer left: dropped, not observed */
		} else if (i % 3 == 1) { /* scattered: the first RX buffer holds 400 - 12 bytes */
			uint32_t lens[2] = {12, 700};

			ring_publish(&g->txr, tx_chain(g, payload[i], 700, lens, 2));
			rx_add(g, 400);
			rx_add(g, 400);
		} else {
			tx_add(g, payload[i], 700);
			rx_add(g, 2048);
		}
	}
	n = vl_vring_loop_burst_observed(&g->tx, &g->rx, &g->mem, &g->opts, 32, &g->res, &obs);
	g_check_guards(g);
	assert_int_equal(n, 8);
	assert_int_equal(g->res.drop_rx_full, 1);
	assert_int_equal(o.nb_calls, 1);
	assert_int_equal(o.nb, 7);
	for (unsigned int i = 0; i < 7; i++) {
		uint32_t head = i % 3 == 1 ? 400 - 12 : 700;

		assert_int_equal(o.frames[i].frame_bytes, 700);
		assert_int_equal(o.frames[i].head_bytes, head);
		assert_memory_equal(o.heads[i], payload[i], head);
	}
	/* A burst that loops nothing does not call. */
	o.rx_used_idx_before = g->rxr.used->idx;
	assert_int_equal(
		vl_vring_loop_burst_observed(&g->tx, &g->rx, &g->mem, &g->opts, 32, &g->res, &obs),
		0);
	assert_int_equal(o.nb_calls, 1);
	g_free(g);
}

static void
header_split_1_1_10_works_on_tx_and_rx(void **state)
{
	for (unsigned int mrg = 0; mrg < 2; mrg++) {
		struct guest *g = g_new(64, 12, mrg);
		uint8_t payload[50];
		uint32_t tx_lens[4] = {1, 1, 10, 50}, rx_lens[4] = {1, 1, 10, 200};
		uint16_t head;

		(void)state;
		fill_payload(payload, sizeof(payload), 7);
		rx_add_chain(g, rx_lens, 4);
		head = tx_chain(g, payload, sizeof(payload), tx_lens, 4);
		ring_publish(&g->txr, head);
		assert_int_equal(g_burst(g, 32), 1);
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, head);
		g_free(g);
	}
}

static void
payload_may_start_in_the_header_descriptor(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[90];
	uint32_t tx_lens[3] = {7, 30, 65}, rx_lens[2] = {11, 10};
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 70);
	/* RX: a first chain of 11 + 10 (header split 11+1), then a plain buffer. */
	rx_add_chain(g, rx_lens, 2);
	rx_add(g, 200);
	head = tx_chain(g, payload, sizeof(payload), tx_lens, 3);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 2);
	expect_tx_done(g, head);
	g_free(g);
}

static void
buffers_crossing_a_region_boundary_are_split(void **state)
{
	/* There is one A|B boundary: first the TX buffer crosses it, then the RX buffer. */
	for (unsigned int rx_crosses = 0; rx_crosses < 2; rx_crosses++) {
		struct guest *g = g_new(64, 12, false);
		uint8_t payload[1400], *b;
		uint32_t tx_len = 12 + sizeof(payload), rx_len = 2000;
		uint64_t tx_gpa = rx_crosses ? g_alloc(g, tx_len) : GPA_B - 700;
		uint64_t rx_gpa = rx_crosses ? GPA_B - 100 : g_alloc(g, rx_len);
		uint16_t head;

		(void)state;
		fill_payload(payload, sizeof(payload), 8 + rx_crosses);
		ring_publish(&g->rxr, rx_chain_at(g, &rx_gpa, &rx_len, 1, false));
		b = tx_bytes(g, payload, sizeof(payload));
		g_write(g, tx_gpa, b, tx_len);
		free(b);
		head = ring_chain(&g->txr, &tx_gpa, &tx_len, 1, 0);
		ring_publish(&g->txr, head);
		assert_int_equal(g_burst(g, 32), 1);
		expect_frame(g, payload, sizeof(payload), 1);
		expect_tx_done(g, head);
		g_free(g);
	}
}

static void
zero_length_descriptors_in_a_chain_are_skipped(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[30];
	uint32_t tx_lens[5] = {0, 12, 0, 30, 0}, rx_lens[3] = {0, 100, 0};
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 9);
	rx_add_chain(g, rx_lens, 3);
	head = tx_chain(g, payload, sizeof(payload), tx_lens, 5);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, sizeof(payload), 1);
	g_free(g);
}

/* ---- drops -------------------------------------------------------------------------------- */

static void
non_mergeable_frame_too_big_for_the_rx_chain_is_truncated_and_the_chain_kept(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t big[1000], small[100];
	uint16_t rx_head, tx_big, tx_small;

	(void)state;
	fill_payload(big, sizeof(big), 1);
	fill_payload(small, sizeof(small), 2);
	rx_head = rx_add(g, 500);
	tx_big = tx_add(g, big, sizeof(big));
	tx_small = tx_add(g, small, sizeof(small));
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->res.drop_truncated, 1);
	assert_int_equal(g->res.nb_frames, 1);
	/* The small frame got the RX chain the big one could not use. */
	assert_int_equal(g->rxr.used->idx, 1);
	assert_int_equal(g->rxr.used->ring[0].id, rx_head);
	expect_frame(g, small, sizeof(small), 1);
	expect_tx_done(g, tx_big);
	expect_tx_done(g, tx_small);
	g_free(g);
}

static void
empty_rx_ring_drops_as_rx_full_and_still_returns_tx(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[64] = {0};
	uint16_t heads[3];

	(void)state;
	for (unsigned int i = 0; i < 3; i++)
		heads[i] = tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 3);
	assert_int_equal(g->res.drop_rx_full, 3);
	assert_int_equal(g->res.nb_frames, 0);
	assert_int_equal(g->rxr.used->idx, 0);
	for (unsigned int i = 0; i < 3; i++)
		expect_tx_done(g, heads[i]);
	g_free(g);
}

static void
mergeable_frame_without_enough_rx_buffers_leaves_them_unconsumed(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint8_t payload[300];
	uint16_t head;

	(void)state;
	fill_payload(payload, sizeof(payload), 3);
	rx_add(g, 100);
	rx_add(g, 100);
	head = tx_add(g, payload, sizeof(payload));
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_rx_full, 1);
	assert_int_equal(g->rx.last_avail_idx, 0);
	assert_int_equal(g->rx.last_used_idx, 0);
	assert_int_equal(g->rxr.used->idx, 0);
	expect_tx_done(g, head);
	/* A frame that fits uses them afterwards. */
	head = tx_add(g, payload, 150);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, 150, 2);
	g_free(g);
}

static void
tx_chain_shorter_than_the_header_is_drop_short(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[1] = {0};
	uint32_t lens[2] = {5, 6};
	uint16_t head;

	(void)state;
	rx_add(g, 200);
	head = tx_chain(g, payload, 0, lens, 2);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_short, 1);
	assert_int_equal(g->rxr.used->idx, 0);
	expect_tx_done(g, head);
	/* An empty frame (header only) is not short. */
	tx_add(g, payload, 0);
	assert_int_equal(g_burst(g, 32), 1);
	expect_frame(g, payload, 0, 1);
	g_free(g);
}

static void
tx_frame_over_64k_is_truncated_not_a_fault(void **state)
{
	struct guest *g = g_new(64, 12, true);
	uint32_t lens[3] = {12, 40000, 30000};
	uint8_t *payload = calloc(1, 70000);
	uint16_t head;

	(void)state;
	assert_non_null(payload);
	for (unsigned int i = 0; i < 30; i++)
		rx_add(g, 4096);
	head = tx_chain(g, payload, 70000, lens, 3);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(g->res.drop_truncated, 1);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->rx.last_avail_idx, 0);
	expect_tx_done(g, head);
	free(payload);
	g_free(g);
}

/* ---- hostile guests ----------------------------------------------------------------------- */

/* Queue two good frames, then the bad one built by the caller: the good ones must publish. */
static void
two_good_frames(struct guest *g, uint8_t payload[64], uint16_t heads[2])
{
	fill_payload(payload, 64, 11);
	for (unsigned int i = 0; i < 2; i++) {
		rx_add(g, 2048);
		heads[i] = tx_add(g, payload, 64);
	}
}

static void
expect_two_good_frames(struct guest *g, const uint8_t payload[64], const uint16_t heads[2])
{
	for (unsigned int i = 0; i < 2; i++) {
		expect_frame(g, payload, 64, 1);
		expect_tx_done(g, heads[i]);
	}
}

static void
avail_idx_jump_beyond_the_ring_breaks_that_ring(void **state)
{
	for (unsigned int which = 0; which < 2; which++) {
		struct guest *g = g_new(64, 12, false);
		uint8_t payload[64] = {0};

		(void)state;
		rx_add(g, 2048);
		tx_add(g, payload, sizeof(payload));
		if (which == 0)
			g->txr.avail->idx = 65;
		else
			g->rxr.avail->idx = 200;
		assert_int_equal(g_burst(g, 32), 0);
		assert_int_equal(which == 0 ? g->tx.fault : g->rx.fault, VL_VRING_FAULT_AVAIL_IDX);
		assert_int_equal(g->txr.used->idx, 0);
		/* A broken ring is skipped. */
		g->txr.avail->idx = 1;
		g->rxr.avail->idx = 1;
		assert_int_equal(g_burst(g, 32), 0);
		g_free(g);
	}
	/* Exactly the ring size is legal. */
	{
		struct guest *g = g_new(4, 12, false);
		uint8_t payload[64] = {0};

		for (unsigned int i = 0; i < 4; i++) {
			rx_add(g, 2048);
			tx_add(g, payload, sizeof(payload));
		}
		assert_int_equal(g_burst(g, 32), 4);
		g_free(g);
	}
}

static void
tx_head_out_of_range_breaks_tx_after_publishing_earlier_frames(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[64];
	uint16_t heads[2];

	(void)state;
	two_good_frames(g, payload, heads);
	rx_add(g, 2048);
	ring_publish(&g->txr, 64);
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_HEAD_RANGE);
	assert_int_equal(g->txr.used->idx, 2); /* no entry for the bad head */
	assert_int_equal(g->rxr.used->idx, 2);
	expect_two_good_frames(g, payload, heads);
	g_free(g);
}

static void
rx_head_out_of_range_breaks_rx_and_keeps_the_tx_chain(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[64];
	uint16_t heads[2];

	(void)state;
	two_good_frames(g, payload, heads);
	ring_publish(&g->rxr, 1000);
	tx_add(g, payload, 64);
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_HEAD_RANGE);
	assert_int_equal(g->tx.last_avail_idx, 2);
	assert_int_equal(g->rxr.used->idx, 2);
	expect_two_good_frames(g, payload, heads);
	g_free(g);
}

/* A TX chain the caller corrupts after building: returned with len 0, TX broken with fault. */
static void
expect_bad_tx_chain(struct guest *g, uint16_t head, enum vl_vring_fault fault)
{
	uint8_t payload[64];
	uint16_t heads[2];

	/* The bad chain sits at descriptor 40+, unpublished: two good frames go first. */
	fill_payload(payload, 64, 11);
	for (unsigned int i = 0; i < 2; i++) {
		rx_add(g, 2048);
		heads[i] = tx_add(g, payload, 64);
	}
	rx_add(g, 2048);
	ring_publish(&g->txr, head);
	assert_int_equal(g_burst(g, 32), 3);
	assert_int_equal(g->tx.fault, fault);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->txr.used->idx, 3);
	assert_int_equal(g->rxr.used->idx, 2);
	expect_two_good_frames(g, payload, heads);
	expect_tx_done(g, head);
	assert_int_equal(g->tx.last_avail_idx, 3);
}

/* Same for RX: the bad RX chain is not consumed, RX broken, the third TX chain stays. */
static void
expect_bad_rx_chain(struct guest *g, uint16_t bad_rx_head, enum vl_vring_fault fault)
{
	uint8_t payload[64];
	uint16_t heads[2];

	fill_payload(payload, 64, 11);
	for (unsigned int i = 0; i < 2; i++) {
		rx_add(g, 2048);
		heads[i] = tx_add(g, payload, 64);
	}
	ring_publish(&g->rxr, bad_rx_head);
	tx_add(g, payload, 64);
	assert_int_equal(g_burst(g, 32), 2);
	assert_int_equal(g->rx.fault, fault);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->txr.used->idx, 2);
	assert_int_equal(g->rxr.used->idx, 2);
	assert_int_equal(g->rx.last_avail_idx, 2);
	assert_int_equal(g->tx.last_avail_idx, 2);
	expect_two_good_frames(g, payload, heads);
}

static uint16_t
bad_tx_chain(struct guest *g)
{
	uint8_t payload[64] = {0};
	uint32_t lens[3] = {12, 30, 34};

	return tx_chain(g, payload, 64, lens, 3);
}

static uint16_t
bad_rx_chain(struct guest *g)
{
	uint32_t lens[3] = {12, 30, 2000};

	return rx_chain_at(g, NULL, lens, 3, false);
}

static void
next_out_of_range_returns_the_chain_and_breaks_tx(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint16_t head;

	(void)state;
	g->txr.next_desc = 40;
	head = bad_tx_chain(g);
	g->txr.desc[(head + 1) & 63].next = 64;
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_NEXT_RANGE);
	g_free(g);
}

static void
next_out_of_range_breaks_rx(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint16_t head;

	(void)state;
	g->rxr.next_desc = 40;
	head = bad_rx_chain(g);
	g->rxr.desc[head].next = 9999;
	g->rxr.next_desc = 0;
	expect_bad_rx_chain(g, head, VL_VRING_FAULT_NEXT_RANGE);
	g_free(g);
}

static void
descriptor_loop_is_a_chain_loop_fault(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint16_t head;

	(void)state;
	g->txr.next_desc = 40;
	head = bad_tx_chain(g);
	g->txr.desc[(head + 2) & 63].flags |= VL_VRING_DESC_F_NEXT;
	g->txr.desc[(head + 2) & 63].next = head;
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_CHAIN_LOOP);
	g_free(g);

	g = g_new(64, 12, true);
	g->rxr.next_desc = 40;
	head = bad_rx_chain(g);
	g->rxr.desc[(head + 1) & 63].next = (uint16_t)(head + 1); /* self loop */
	g->rxr.desc[(head + 1) & 63].len = 0;
	g->rxr.next_desc = 0;
	expect_bad_rx_chain(g, head, VL_VRING_FAULT_CHAIN_LOOP);
	g_free(g);
}

static void
loop_inside_an_indirect_table_is_a_chain_loop_fault(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint64_t gpas[2] = {g_alloc(g, 12), g_alloc(g, 100)};
	uint32_t lens[2] = {12, 100};
	uint64_t table = indirect_table(g, gpas, lens, 2, 0);
	struct vl_vring_desc d;
	uint16_t head;

	(void)state;
	g_read(g, table + 16, &d, sizeof(d));
	d.flags |= VL_VRING_DESC_F_NEXT;
	d.next = 0;
	g_write(g, table + 16, &d, sizeof(d));
	g->txr.next_desc = 40;
	head = ring_indirect(&g->txr, table, 32, 0);
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_CHAIN_LOOP);
	g_free(g);
}

/* An indirect TX descriptor variant: table of 2 good entries, then the caller's twist. */
enum indirect_twist {
	TWIST_NO_FEATURE,
	TWIST_LEN_ZERO,
	TWIST_LEN_NOT_16,
	TWIST_TOO_BIG,
	TWIST_NESTED,
	TWIST_WITH_NEXT,
	TWIST_OUTSIDE_MEMORY,
	TWIST_CROSSES_REGIONS,
};

static void
indirect_hostile_case(enum indirect_twist twist, enum vl_vring_fault fault)
{
	struct guest *g = g_new(64, 12, false);
	uint64_t gpas[2] = {g_alloc(g, 12), g_alloc(g, 100)};
	uint32_t lens[2] = {12, 100};
	uint64_t table = indirect_table(g, gpas, lens, 2, 0);
	uint32_t table_len = 32;
	uint16_t head, extra = 0;

	switch (twist) {
	case TWIST_NO_FEATURE:
		g->opts.indirect = false;
		break;
	case TWIST_LEN_ZERO:
		table_len = 0;
		break;
	case TWIST_LEN_NOT_16:
		table_len = 24;
		break;
	case TWIST_TOO_BIG:
		table_len = 65 * 16;
		table = g_alloc(g, table_len);
		break;
	case TWIST_NESTED: {
		uint64_t inner = table;
		uint32_t inner_len = 32;

		table = indirect_table(g, &inner, &inner_len, 1, VL_VRING_DESC_F_INDIRECT);
		table_len = 16;
		break;
	}
	case TWIST_WITH_NEXT:
		extra = VL_VRING_DESC_F_NEXT;
		break;
	case TWIST_OUTSIDE_MEMORY:
		table = GPA_B + REGION_BYTES + 4096;
		break;
	case TWIST_CROSSES_REGIONS:
		table = GPA_B - 16;
		break;
	}
	g->txr.next_desc = 40;
	head = ring_indirect(&g->txr, table, table_len, extra);
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, fault);
	g_free(g);
}

static void
hostile_indirect_descriptors_break_tx(void **state)
{
	(void)state;
	indirect_hostile_case(TWIST_NO_FEATURE, VL_VRING_FAULT_INDIRECT_FEATURE);
	indirect_hostile_case(TWIST_LEN_ZERO, VL_VRING_FAULT_INDIRECT_LEN);
	indirect_hostile_case(TWIST_LEN_NOT_16, VL_VRING_FAULT_INDIRECT_LEN);
	indirect_hostile_case(TWIST_TOO_BIG, VL_VRING_FAULT_INDIRECT_LEN);
	indirect_hostile_case(TWIST_NESTED, VL_VRING_FAULT_INDIRECT_NESTED);
	indirect_hostile_case(TWIST_WITH_NEXT, VL_VRING_FAULT_INDIRECT_NEXT);
	indirect_hostile_case(TWIST_OUTSIDE_MEMORY, VL_VRING_FAULT_ADDR);
	indirect_hostile_case(TWIST_CROSSES_REGIONS, VL_VRING_FAULT_ADDR);
}

/*
 * The layouts real guests send for one frame, all in one burst: header + frame in one
 * descriptor, the header alone then the frame (2-descriptor chain), an indirect table of those
 * two shapes, and a 3-entry table the batch leaves to the walker. Order and bytes must hold
 * whichever path takes each frame.
 */
static void
every_tx_layout_in_one_burst_keeps_order_and_bytes(void **state)
{
	enum { NB = 10 };
	struct guest *g = g_new(128, 12, false);
	uint8_t payload[NB][300];
	uint16_t heads[NB];

	(void)state;
	for (unsigned int i = 0; i < NB; i++) {
		uint32_t len = 60 + 23 * i, lens[3];
		uint64_t gpas[3];
		uint8_t *b;

		fill_payload(payload[i], len, 40 + i);
		b = tx_bytes(g, payload[i], len);
		switch (i % 5) {
		case 0: /* one descriptor */
			lens[0] = 12 + len;
			heads[i] = tx_chain(g, payload[i], len, lens, 1);
			break;
		case 1: /* header alone, then the frame */
			lens[0] = 12;
			lens[1] = len;
			heads[i] = tx_chain(g, payload[i], len, lens, 2);
			break;
		case 2: /* indirect (header, frame) */
			lens[0] = 12;
			lens[1] = len;
			tx_buffers(g, b, lens, 2, gpas);
			heads[i] =
				ring_indirect(&g->txr, indirect_table(g, gpas, lens, 2, 0), 32, 0);
			break;
		case 3: /* indirect, one entry: header + frame */
			lens[0] = 12 + len;
			tx_buffers(g, b, lens, 1, gpas);
			heads[i] =
				ring_indirect(&g->txr, indirect_table(g, gpas, lens, 1, 0), 16, 0);
			break;
		default: /* indirect, three entries: the walker's */
			lens[0] = 12;
			lens[1] = 7;
			lens[2] = len - 7;
			tx_buffers(g, b, lens, 3, gpas);
			heads[i] =
				ring_indirect(&g->txr, indirect_table(g, gpas, lens, 3, 0), 48, 0);
			break;
		}
		free(b);
		ring_publish(&g->txr, heads[i]);
		rx_add(g, 2048);
	}
	assert_int_equal(g_burst(g, 32), NB);
	assert_int_equal(g->res.nb_frames, NB);
	for (unsigned int i = 0; i < NB; i++) {
		expect_frame(g, payload[i], 60 + 23 * i, 1);
		expect_tx_done(g, heads[i]);
	}
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(g->rx.fault, VL_VRING_FAULT_NONE);
	g_free(g);
}

/*
 * The batch stores only the RX header bytes that differ from what the buffer holds (a recycled
 * buffer usually holds the right header already). Whatever the old header was, the frame must
 * come out with flags..csum_offset zero and num_buffers 1.
 */
static void
rx_header_is_right_whatever_the_buffer_held(void **state)
{
	static const uint8_t right12[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	uint8_t old[5][12];

	(void)state;
	memcpy(old[0], right12, 12); /* already right: nothing to store */
	memcpy(old[1], right12, 12);
	old[1][0] = 0x01; /* flags only */
	memcpy(old[2], right12, 12);
	old[2][10] = 7; /* num_buffers only */
	memcpy(old[3], right12, 12);
	old[3][11] = 1;		  /* num_buffers high byte only */
	memset(old[4], 0xee, 12); /* everything */
	for (uint16_t hdr_len = 10; hdr_len <= 12; hdr_len += 2) {
		struct guest *g = g_new(64, hdr_len, true);
		uint8_t payload[5][64];
		uint16_t heads[5];

		for (unsigned int i = 0; i < 5; i++) {
			uint64_t gpa = g_alloc(g, 2048);
			uint8_t want10[10] = {0};

			g_mark_writable(g, gpa, 2048);
			if (hdr_len == 10) { /* the 10-byte header has no num_buffers */
				memcpy(want10, old[i], 10);
				if (i == 2 || i == 3)
					want10[8] = 0x5a; /* gso_size junk instead */
				g_write(g, gpa, want10, 10);
			} else {
				g_write(g, gpa, old[i], 12);
			}
			ring_publish(&g->rxr, rx_chain_at(g, &gpa, (uint32_t[]){2048}, 1, false));
			fill_payload(payload[i], 64, 90 + i);
			heads[i] = tx_add(g, payload[i], 64);
		}
		assert_int_equal(g_burst(g, 32), 5);
		for (unsigned int i = 0; i < 5; i++) {
			expect_frame(g, payload[i], 64, 1); /* header bytes checked there */
			expect_tx_done(g, heads[i]);
		}
		g_free(g);
	}
}

/* A header-alone layout with one thing wrong: the same fault as any other chain. */
enum hdr_desc_twist {
	HDR_ADDR_OUTSIDE,  /* the header descriptor points outside guest memory */
	HDR_NEXT_RANGE,	   /* its next is past the ring (or the table) */
	FRAME_WRITE_FLAG,  /* the frame descriptor carries WRITE */
	FRAME_ADDR_OUTSIDE /* the frame descriptor points outside guest memory */
};

static void
hdr_desc_hostile_case(bool indirect, enum hdr_desc_twist twist, enum vl_vring_fault fault)
{
	struct guest *g = g_new(64, 12, false);
	uint64_t gpas[2] = {g_alloc(g, 12), g_alloc(g, 100)};
	uint32_t lens[2] = {12, 100};
	struct vl_vring_desc t[2] = {{gpas[0], 12, VL_VRING_DESC_F_NEXT, 1}, {gpas[1], 100, 0, 0}};
	uint16_t head;

	switch (twist) {
	case HDR_ADDR_OUTSIDE:
		t[0].addr = GPA_B + REGION_BYTES + 4096;
		break;
	case HDR_NEXT_RANGE:
		t[0].next = indirect ? 2 : 64;
		break;
	case FRAME_WRITE_FLAG:
		t[1].flags = VL_VRING_DESC_F_WRITE;
		break;
	case FRAME_ADDR_OUTSIDE:
		t[1].addr = GPA_B + REGION_BYTES + 4096;
		break;
	}
	g->txr.next_desc = 40;
	if (indirect) {
		uint64_t table = g_alloc(g, sizeof(t));

		g_write(g, table, t, sizeof(t));
		head = ring_indirect(&g->txr, table, sizeof(t), 0);
	} else {
		head = ring_chain(&g->txr, gpas, lens, 2, 0);
		if (twist != HDR_NEXT_RANGE)
			t[0].next = g->txr.desc[head].next;
		g->txr.desc[head] = t[0];
		g->txr.desc[t[0].next < 64 ? t[0].next : head + 1] = t[1];
	}
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, fault);
	g_free(g);
}

static void
hostile_header_alone_layouts_break_tx(void **state)
{
	(void)state;
	for (int indirect = 0; indirect < 2; indirect++) {
		hdr_desc_hostile_case(indirect, HDR_ADDR_OUTSIDE, VL_VRING_FAULT_ADDR);
		hdr_desc_hostile_case(indirect, HDR_NEXT_RANGE, VL_VRING_FAULT_NEXT_RANGE);
		hdr_desc_hostile_case(indirect, FRAME_WRITE_FLAG, VL_VRING_FAULT_WRITE_FLAG);
		hdr_desc_hostile_case(indirect, FRAME_ADDR_OUTSIDE, VL_VRING_FAULT_ADDR);
	}
}

static void
indirect_rx_without_the_feature_breaks_rx(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint32_t lens[2] = {12, 2000};
	uint16_t head;

	(void)state;
	g->opts.indirect = false;
	g->rxr.next_desc = 40;
	head = rx_chain_at(g, NULL, lens, 2, true);
	g->rxr.next_desc = 0;
	expect_bad_rx_chain(g, head, VL_VRING_FAULT_INDIRECT_FEATURE);
	g_free(g);
}

static void
address_outside_guest_memory_breaks_the_ring(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint16_t head;

	(void)state;
	g->txr.next_desc = 40;
	head = bad_tx_chain(g);
	g->txr.desc[(head + 1) & 63].addr = GPA_B + REGION_BYTES - 10; /* runs off the end */
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_ADDR);
	g_free(g);

	/* Single-descriptor TX with a wild address (the fast path must hand it over). */
	g = g_new(64, 12, false);
	g->txr.next_desc = 40;
	head = ring_chain(&g->txr, (uint64_t[]){0x10}, (uint32_t[]){100}, 1, 0);
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_ADDR);
	g_free(g);

	g = g_new(64, 12, false);
	g->rxr.next_desc = 40;
	head = bad_rx_chain(g);
	g->rxr.desc[(head + 2) & 63].addr = ~0ULL - 100;
	g->rxr.next_desc = 0;
	expect_bad_rx_chain(g, head, VL_VRING_FAULT_ADDR);
	g_free(g);
}

static void
write_flag_in_the_wrong_direction_breaks_the_ring(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint16_t head;

	(void)state;
	g->txr.next_desc = 40;
	head = bad_tx_chain(g);
	g->txr.desc[(head + 1) & 63].flags |= VL_VRING_DESC_F_WRITE;
	g->txr.next_desc = 0;
	expect_bad_tx_chain(g, head, VL_VRING_FAULT_WRITE_FLAG);
	g_free(g);

	g = g_new(64, 12, false);
	g->rxr.next_desc = 40;
	head = rx_chain_at(g, NULL, (uint32_t[]){2048}, 1, false);
	g->rxr.desc[head].flags = 0; /* device-readable RX buffer: never write it */
	g->rxr.next_desc = 0;
	expect_bad_rx_chain(g, head, VL_VRING_FAULT_WRITE_FLAG);
	/* It was not written either. */
	{
		uint8_t b[16];

		g_read(g, g->rx_chains[head].gpa[0], b, sizeof(b));
		for (unsigned int i = 0; i < sizeof(b); i++)
			assert_int_equal(b[i], GUARD);
	}
	g_free(g);
}

static void
rx_buffer_smaller_than_the_header_is_an_rx_hdr_fault(void **state)
{
	for (unsigned int mrg = 0; mrg < 2; mrg++) {
		struct guest *g = g_new(64, 12, mrg);
		uint16_t head;

		(void)state;
		g->rxr.next_desc = 40;
		head = rx_chain_at(g, NULL, (uint32_t[]){4, 6}, 2, false);
		g->rxr.next_desc = 0;
		expect_bad_rx_chain(g, head, VL_VRING_FAULT_RX_HDR);
		g_free(g);
	}
}

static void
broken_queue_is_skipped_until_reinitialised(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[64] = {0};

	(void)state;
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	g->rx.fault = VL_VRING_FAULT_ADDR;
	assert_int_equal(g_burst(g, 32), 0);
	assert_int_equal(g->txr.used->idx, 0);
	assert_int_equal(vl_vring_init(&g->rx, g->rxr.desc, g->rxr.avail, g->rxr.used, 64, 0, 0),
			 0);
	assert_int_equal(g_burst(g, 32), 1);
	g_free(g);
}

/* ---- notifications ------------------------------------------------------------------------ */

static void
need_call_without_event_idx_follows_no_interrupt(void **state)
{
	struct guest *g = g_new(64, 12, false);
	uint8_t payload[64] = {0};

	(void)state;
	/* Nothing published since init: no call. */
	assert_false(vl_vring_need_call(&g->rx, &g->opts));
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	g_burst(g, 32);
	assert_true(vl_vring_need_call(&g->rx, &g->opts));
	/* Nothing added since that decision. */
	assert_false(vl_vring_need_call(&g->rx, &g->opts));
	g->rxr.avail->flags = VL_VRING_AVAIL_F_NO_INTERRUPT;
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	g_burst(g, 32);
	assert_false(vl_vring_need_call(&g->rx, &g->opts));
	g->rxr.avail->flags = 0;
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	g_burst(g, 32);
	assert_true(vl_vring_need_call(&g->tx, &g->opts));
	assert_true(vl_vring_need_call(&g->rx, &g->opts));
	g_free(g);
}

static void
need_call_with_event_idx_uses_used_event_and_wraps(void **state)
{
	struct vl_vring_avail *avail = calloc(1, sizeof(*avail) + 17 * sizeof(uint16_t));
	struct vl_vring_used *used = calloc(1, sizeof(*used) + 16 * 8 + 8);
	struct vl_vring_desc desc[16];
	struct vl_vring_opts opts = {.hdr_len = 12, .event_idx = true};
	struct vl_vring vq;

	(void)state;
	assert_non_null(avail);
	assert_non_null(used);
	assert_int_equal(vl_vring_init(&vq, desc, avail, used, 16, 65530, 65530), 0);
	/* First decision after init: calls if anything was published, whatever used_event. */
	avail->ring[16] = 12345;
	assert_false(vl_vring_need_call(&vq, &opts));
	vq.last_used_idx = 65532;
	assert_true(vl_vring_need_call(&vq, &opts));
	/* The guest wants a call once used passes 65533: 65532 -> 65533 crosses it? no. */
	avail->ring[16] = 65533;
	vq.last_used_idx = 65533;
	assert_false(vl_vring_need_call(&vq, &opts));
	vq.last_used_idx = 65535;
	assert_true(vl_vring_need_call(&vq, &opts));
	/* Across the 16-bit wrap: event 2, used moves 65535 -> 1 (not past 2), then -> 4. */
	avail->ring[16] = 2;
	vq.last_used_idx = 1;
	assert_false(vl_vring_need_call(&vq, &opts));
	vq.last_used_idx = 4;
	assert_true(vl_vring_need_call(&vq, &opts));
	/* Event far behind (stale): no call. */
	avail->ring[16] = 60000;
	vq.last_used_idx = 8;
	assert_false(vl_vring_need_call(&vq, &opts));
	/* Event exactly at old used: new - event - 1 = new - old - 1 < new - old: call. */
	avail->ring[16] = 8;
	vq.last_used_idx = 9;
	assert_true(vl_vring_need_call(&vq, &opts));
	free(avail);
	free(used);
}

/* Publish one looped frame on g's rings. */
static void
g_loop_one(struct guest *g)
{
	uint8_t payload[64] = {0};

	rx_add(g, 2048);
	tx_add(g, payload, 64);
	assert_int_equal(g_burst(g, 32), 1);
}

/*
 * The lazy decision (no fence) is certain when it finds a call; a "no call" is owed a fenced
 * look, because the guest may have enabled interrupts while our used->idx store was in flight.
 * Here the guest clears NO_INTERRUPT after the lazy read: the settle must call, once.
 */
static void
lazy_call_no_interrupt_is_owed_and_settled(void **state)
{
	struct guest *g = g_new(64, 12, false);

	(void)state;
	assert_false(vl_vring_call_owed(&g->rx));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts)); /* nothing owed */
	g->rxr.avail->flags = VL_VRING_AVAIL_F_NO_INTERRUPT;
	g_loop_one(g);
	assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts));
	assert_true(vl_vring_call_owed(&g->rx));
	g->rxr.avail->flags = 0; /* the guest enabled interrupts meanwhile */
	assert_true(vl_vring_call_settle(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts)); /* settled once */
	/* Interrupts wanted when the burst read the flags: a call at once, nothing owed, even if
	 * the guest has turned them off since (a spurious call is allowed, a missed one is not). */
	g_loop_one(g);
	g->rxr.avail->flags = VL_VRING_AVAIL_F_NO_INTERRUPT;
	assert_true(vl_vring_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g->rxr.avail->flags = 0;
	/* Still suppressed at the settle: no call, nothing owed any more. */
	g->rxr.avail->flags = VL_VRING_AVAIL_F_NO_INTERRUPT;
	g_loop_one(g);
	assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_settle(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	/* Nothing published since the last decision: nothing to decide, nothing owed. */
	assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/* A queue whose lazy decisions never stop finding "no call" settles itself after
 * VL_VRING_CALL_OWED_MAX of them in a row: the owed look comes within a bounded delay. */
static void
lazy_call_settles_itself_after_the_bound(void **state)
{
	struct guest *g = g_new(64, 12, false);

	(void)state;
	g->rxr.avail->flags = VL_VRING_AVAIL_F_NO_INTERRUPT;
	for (unsigned int round = 0; round < 2; round++) {
		for (unsigned int k = 1; k < VL_VRING_CALL_OWED_MAX; k++) {
			g_loop_one(g);
			assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts));
			assert_true(vl_vring_call_owed(&g->rx));
		}
		g_loop_one(g);
		assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts)); /* the bound: settled */
		assert_false(vl_vring_call_owed(&g->rx));
	}
	/* The bound's settle calls when the guest asked meanwhile. */
	for (unsigned int k = 1; k < VL_VRING_CALL_OWED_MAX; k++) {
		g_loop_one(g);
		assert_false(vl_vring_need_call_lazy(&g->rx, &g->opts));
	}
	g_loop_one(g);
	g->rxr.avail->flags = 0;
	assert_true(vl_vring_need_call_lazy(&g->rx, &g->opts));
	assert_false(vl_vring_call_owed(&g->rx));
	g_free(g);
}

/*
 * EVENT_IDX: the settle (and a fenced decision that follows owed ones) looks at every entry
 * published since the last settled decision, not only the last burst's: a used_event the guest
 * wrote for an earlier owed window must still bring its call.
 */
static void
lazy_call_with_event_idx_settles_the_whole_owed_window(void **state)
{
	struct vl_vring_avail *avail = calloc(1, sizeof(*avail) + 17 * sizeof(uint16_t));
	struct vl_vring_used *used = calloc(1, sizeof(*used) + 16 * 8 + 8);
	struct vl_vring_desc desc[16];
	struct vl_vring_opts opts = {.hdr_len = 12, .event_idx = true};
	struct vl_vring vq;

	(void)state;
	assert_non_null(avail);
	assert_non_null(used);
	assert_int_equal(vl_vring_init(&vq, desc, avail, used, 16, 65534, 65534), 0);
	avail->ring[16] = 40000; /* far away: no call */
	vq.last_used_idx = 0;
	assert_true(vl_vring_need_call_lazy(&vq, &opts)); /* first decision after init */
	assert_false(vl_vring_call_owed(&vq));
	vq.last_used_idx = 2;
	assert_false(vl_vring_need_call_lazy(&vq, &opts)); /* window (0, 2], owed */
	vq.last_used_idx = 4;
	assert_false(vl_vring_need_call_lazy(&vq, &opts)); /* window (2, 4], owed */
	/* The guest had seen used idx 1 and asked for a call past it: in the first owed window. */
	avail->ring[16] = 1;
	assert_true(vl_vring_call_settle(&vq, &opts));
	assert_false(vl_vring_call_owed(&vq));
	/* A fenced decision after owed ones covers their entries too. */
	avail->ring[16] = 40000;
	vq.last_used_idx = 6;
	assert_false(vl_vring_need_call_lazy(&vq, &opts)); /* window (4, 6], owed */
	avail->ring[16] = 5;
	vq.last_used_idx = 8;
	assert_true(vl_vring_need_call(&vq, &opts)); /* (4, 8] holds 5 */
	assert_false(vl_vring_call_owed(&vq));
	/* Settled: the next window starts at 8. */
	vq.last_used_idx = 10;
	assert_false(vl_vring_need_call_lazy(&vq, &opts)); /* used_event 5 is behind (8, 10] */
	assert_false(vl_vring_call_settle(&vq, &opts));
	/* A lazy decision that calls settles what was owed before it. */
	vq.last_used_idx = 12;
	assert_false(vl_vring_need_call_lazy(&vq, &opts));
	avail->ring[16] = 12;
	vq.last_used_idx = 14;
	assert_true(vl_vring_need_call_lazy(&vq, &opts));
	assert_false(vl_vring_call_owed(&vq));
	free(avail);
	free(used);
}

static void
suppress_kicks_sets_no_notify_or_keeps_avail_event_behind(void **state)
{
	struct guest *g = g_new_at(64, 12, false, 100);
	uint8_t payload[64] = {0};
	uint16_t *avail_event = (uint16_t *)(void *)&g->txr.used->ring[64];
	uint16_t *rx_avail_event = (uint16_t *)(void *)&g->rxr.used->ring[64];

	(void)state;
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	assert_int_equal(g->txr.used->flags, VL_VRING_USED_F_NO_NOTIFY);

	g->opts.event_idx = true;
	g->txr.used->flags = VL_VRING_USED_F_NO_NOTIFY;
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	vl_vring_suppress_kicks(&g->rx, &g->opts);
	assert_int_equal(g->txr.used->flags, 0);
	assert_int_equal(*avail_event, 99);
	/* Bursts move it along with last_avail_idx, on both rings. */
	for (unsigned int i = 0; i < 3; i++) {
		rx_add(g, 2048);
		tx_add(g, payload, 64);
	}
	g_burst(g, 32);
	assert_int_equal(*avail_event, 102);
	assert_int_equal(*rx_avail_event, 102);
	/* The guest's kick rule (vring_need_event) then never fires for what it adds next. */
	{
		uint16_t old = g->txr.avail_idx, next = (uint16_t)(old + 64);

		assert_false((uint16_t)(next - *avail_event - 1) < (uint16_t)(next - old));
	}
	g_free(g);
}

static void
enable_kicks_arms_the_guest_and_reports_what_is_already_posted(void **state)
{
	struct guest *g = g_new_at(64, 12, false, 100);
	uint8_t payload[64] = {0};
	uint16_t *avail_event = (uint16_t *)(void *)&g->txr.used->ring[64];

	(void)state;
	/* Without EVENT_IDX: NO_NOTIFY cleared, and nothing posted yet. */
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	assert_false(vl_vring_enable_kicks(&g->tx, &g->opts));
	assert_int_equal(g->txr.used->flags, 0);
	/* A frame posted before (or while) kicks were enabled is seen by the re-check. */
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	assert_true(vl_vring_enable_kicks(&g->tx, &g->opts));
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	assert_int_equal(g->txr.used->flags, VL_VRING_USED_F_NO_NOTIFY);
	assert_int_equal(g_burst(g, 32), 1);
	assert_false(vl_vring_enable_kicks(&g->tx, &g->opts));

	/* EVENT_IDX: avail_event = the next entry we read, so the guest's next add kicks. */
	g->opts.event_idx = true;
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	assert_int_equal(*avail_event, 100);
	assert_false(vl_vring_enable_kicks(&g->tx, &g->opts));
	assert_int_equal(*avail_event, 101);
	assert_int_equal(g->txr.used->flags, 0);
	{
		uint16_t old = g->txr.avail_idx, next = (uint16_t)(old + 1);

		assert_true((uint16_t)(next - *avail_event - 1) < (uint16_t)(next - old));
	}
	rx_add(g, 2048);
	tx_add(g, payload, 64);
	assert_true(vl_vring_enable_kicks(&g->tx, &g->opts));
	/* Back to polling: suppressed again, and the burst keeps it behind. */
	vl_vring_suppress_kicks(&g->tx, &g->opts);
	assert_int_equal(*avail_event, 100);
	assert_int_equal(g_burst(g, 32), 1);
	assert_int_equal(*avail_event, 101);
	g_free(g);
}

/* ---- memory table and init ------------------------------------------------------------------ */

static void
mem_translate_uses_the_hint_clamps_to_the_region_and_misses_outside(void **state)
{
	struct guest *g = g_new(16, 12, false);
	uint32_t hint = 7;
	uint64_t len = 1000;
	uint8_t *p;

	(void)state;
	p = vl_mem_translate(&g->mem, GPA_B + 10, &len, &hint);
	assert_ptr_equal(p, g->arena + HVA_OFF_B + 10);
	assert_int_equal(len, 1000);
	assert_int_equal(hint, 1);
	len = 1000;
	p = vl_mem_translate(&g->mem, GPA_B - 100, &len, &hint);
	assert_ptr_equal(p, g->arena + REGION_BYTES - 100);
	assert_int_equal(len, 100);
	assert_int_equal(hint, 0);
	len = 10;
	assert_null(vl_mem_translate(&g->mem, GPA_A - 1, &len, &hint));
	assert_null(vl_mem_translate(&g->mem, GPA_B + REGION_BYTES, &len, &hint));
	g->mem.nb_regions = 99; /* clamped, never read past the table */
	len = 10;
	assert_non_null(vl_mem_translate(&g->mem, GPA_A, &len, &hint));
	g_free(g);
}

static void
init_rejects_bad_sizes_and_null_rings(void **state)
{
	struct vl_vring_desc desc[4];
	struct vl_vring_avail avail;
	struct vl_vring_used used;
	struct vl_vring vq;

	(void)state;
	assert_int_equal(vl_vring_init(&vq, desc, &avail, &used, 0, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vq, desc, &avail, &used, 3, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vq, NULL, &avail, &used, 4, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vq, desc, NULL, &used, 4, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vq, desc, &avail, NULL, 4, 0, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vq, desc, &avail, &used, 4, 7, 5), 0);
	assert_int_equal(vq.last_avail_idx, 7);
	assert_int_equal(vq.last_used_idx, 5);
	assert_int_equal(vq.fault, VL_VRING_FAULT_NONE);
	assert_false(vq.signalled_used_valid);
	assert_int_equal(vl_vring_init(&vq, desc, &avail, &used, 32768, 0, 0), 0);
}

static void
every_fault_has_a_distinct_text(void **state)
{
	(void)state;
	for (int f = 0; f < VL_VRING_FAULT_MAX; f++) {
		assert_non_null(vl_vring_fault_str(f));
		for (int h = 0; h < f; h++)
			assert_string_not_equal(vl_vring_fault_str(f), vl_vring_fault_str(h));
	}
	assert_string_equal(vl_vring_fault_str(VL_VRING_FAULT_MAX), "unknown fault");
}

/* The benchmark sink returns TX chains empty, never touches RX, and checks heads like the loop. */
static void
sink_returns_tx_chains_empty_and_leaves_rx_alone(void **state)
{
	struct guest *g = g_new(256, 12, true);
	uint8_t payload[100];
	uint16_t heads[3];

	(void)state;
	fill_payload(payload, sizeof(payload), 7);
	rx_add(g, 2048);
	for (unsigned int i = 0; i < 3; i++)
		heads[i] = tx_add(g, payload, sizeof(payload));
	assert_int_equal(vl_vring_sink_burst(&g->tx, &g->opts, 2, &g->res), 2);
	assert_int_equal(g->res.nb_tx_done, 2);
	assert_int_equal(g->res.nb_frames, 0);
	assert_int_equal(vl_vring_sink_burst(&g->tx, &g->opts, 32, &g->res), 1);
	for (unsigned int i = 0; i < 3; i++)
		expect_tx_done(g, heads[i]);
	assert_int_equal(used_pending(&g->rxr), 0);
	assert_int_equal(g->rx.last_avail_idx, g->rxr.used_seen);
	g_check_guards(g);

	/* A head out of range breaks the ring; nothing after it is returned. */
	g->txr.avail->ring[g->txr.avail_idx & 255] = 300;
	g->txr.avail_idx++;
	__atomic_store_n(&g->txr.avail->idx, g->txr.avail_idx, __ATOMIC_RELEASE);
	assert_int_equal(vl_vring_sink_burst(&g->tx, &g->opts, 32, &g->res), 0);
	assert_int_equal(g->tx.fault, VL_VRING_FAULT_HEAD_RANGE);
	assert_int_equal(used_pending(&g->txr), 0);
	g_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			a_single_descriptor_frame_comes_back_byte_identical_with_num_buffers_1),
		cmocka_unit_test(a_burst_of_32_publishes_used_idx_plus_32_on_both_rings),
		cmocka_unit_test(max_burst_bounds_the_frames_of_one_call),
		cmocka_unit_test(rx_lag_waits_for_the_next_refill_then_takes_what_is_there),
		cmocka_unit_test(rx_lag_wait_warms_tx_without_trusting_it),
		cmocka_unit_test(rx_lag_never_waits_when_the_guest_is_a_refill_ahead),
		cmocka_unit_test(rx_lag_with_in_order_counts_waits_and_the_timeout),
		cmocka_unit_test(rx_lag_off_never_waits_nor_times_out),
		cmocka_unit_test(rx_lag_ring_64_wants_half_the_ring),
		cmocka_unit_test(rx_lag_ring_1024_wants_twice_the_burst),
		cmocka_unit_test(rx_lag_mergeable_frames_of_several_buffers),
		cmocka_unit_test(indices_wrap_at_65535),
		cmocka_unit_test(mergeable_frames_over_small_buffers_wrap_at_65535),
		cmocka_unit_test(long_chains_as_long_as_the_ring_are_walked),
		cmocka_unit_test(indirect_tables_work_on_tx_and_rx),
		cmocka_unit_test(indirect_table_need_not_be_aligned),
		cmocka_unit_test(mergeable_frame_fills_tiny_rx_buffers_in_order),
		cmocka_unit_test(mergeable_last_buffer_gets_only_the_rest),
		cmocka_unit_test(mixed_fast_and_scattered_frames_keep_their_order),
		cmocka_unit_test(every_tx_layout_in_one_burst_keeps_order_and_bytes),
		cmocka_unit_test(rx_header_is_right_whatever_the_buffer_held),
		cmocka_unit_test(hostile_header_alone_layouts_break_tx),
		cmocka_unit_test(observer_sees_every_looped_frame_before_the_publish),
		cmocka_unit_test(header_split_1_1_10_works_on_tx_and_rx),
		cmocka_unit_test(payload_may_start_in_the_header_descriptor),
		cmocka_unit_test(buffers_crossing_a_region_boundary_are_split),
		cmocka_unit_test(zero_length_descriptors_in_a_chain_are_skipped),
		cmocka_unit_test(
			non_mergeable_frame_too_big_for_the_rx_chain_is_truncated_and_the_chain_kept),
		cmocka_unit_test(empty_rx_ring_drops_as_rx_full_and_still_returns_tx),
		cmocka_unit_test(mergeable_frame_without_enough_rx_buffers_leaves_them_unconsumed),
		cmocka_unit_test(tx_chain_shorter_than_the_header_is_drop_short),
		cmocka_unit_test(tx_frame_over_64k_is_truncated_not_a_fault),
		cmocka_unit_test(avail_idx_jump_beyond_the_ring_breaks_that_ring),
		cmocka_unit_test(tx_head_out_of_range_breaks_tx_after_publishing_earlier_frames),
		cmocka_unit_test(rx_head_out_of_range_breaks_rx_and_keeps_the_tx_chain),
		cmocka_unit_test(next_out_of_range_returns_the_chain_and_breaks_tx),
		cmocka_unit_test(next_out_of_range_breaks_rx),
		cmocka_unit_test(descriptor_loop_is_a_chain_loop_fault),
		cmocka_unit_test(loop_inside_an_indirect_table_is_a_chain_loop_fault),
		cmocka_unit_test(hostile_indirect_descriptors_break_tx),
		cmocka_unit_test(indirect_rx_without_the_feature_breaks_rx),
		cmocka_unit_test(address_outside_guest_memory_breaks_the_ring),
		cmocka_unit_test(write_flag_in_the_wrong_direction_breaks_the_ring),
		cmocka_unit_test(rx_buffer_smaller_than_the_header_is_an_rx_hdr_fault),
		cmocka_unit_test(broken_queue_is_skipped_until_reinitialised),
		cmocka_unit_test(need_call_without_event_idx_follows_no_interrupt),
		cmocka_unit_test(need_call_with_event_idx_uses_used_event_and_wraps),
		cmocka_unit_test(lazy_call_no_interrupt_is_owed_and_settled),
		cmocka_unit_test(lazy_call_settles_itself_after_the_bound),
		cmocka_unit_test(lazy_call_with_event_idx_settles_the_whole_owed_window),
		cmocka_unit_test(suppress_kicks_sets_no_notify_or_keeps_avail_event_behind),
		cmocka_unit_test(enable_kicks_arms_the_guest_and_reports_what_is_already_posted),
		cmocka_unit_test(
			mem_translate_uses_the_hint_clamps_to_the_region_and_misses_outside),
		cmocka_unit_test(init_rejects_bad_sizes_and_null_rings),
		cmocka_unit_test(every_fault_has_a_distinct_text),
		cmocka_unit_test(sink_returns_tx_chains_empty_and_leaves_rx_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

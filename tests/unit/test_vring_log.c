/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of dirty-page logging (live migration) in the direct datapath, no EAL. The test is
 * the frontend and the guest driver: one memory region holds the rings and the buffers at known
 * guest-physical addresses, and a bitmap (one bit per 4 KiB page) with guard bytes after the
 * part the engine is told about. After a burst exactly the pages the device wrote must be
 * marked: the RX buffer bytes written, the used rings (split) or the descriptors written back
 * (packed) — and nothing when no log is attached.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vl_vring.h"

#define GPA_BASE 0x100000ULL
#define ARENA_BYTES (1u << 20) /* guest pages 0x100 .. 0x1ff */
#define LOG_BYTES 64	       /* pages 0 .. 511: the whole arena */
#define LOG_GUARD 64
#define GUARD_BYTE 0x5a
#define PAGE(gpa) ((gpa) >> 12)
#define RING 8

/* Where things live (guest-physical). */
#define TX_DESC 0x100000ULL
#define TX_AVAIL 0x101000ULL
#define TX_USED 0x102000ULL
#define RX_DESC 0x103000ULL
#define RX_AVAIL 0x104000ULL
#define RX_USED 0x105000ULL
#define PK_TX_EVENTS 0x106000ULL /* driver area, then device area */
#define PK_RX_EVENTS 0x107000ULL
#define TX_BUF 0x120000ULL

struct fx {
	uint8_t *arena;
	struct vl_mem mem;
	uint8_t bitmap[LOG_BYTES + LOG_GUARD];
	uint64_t nb_pages, nb_faults;
	struct vl_vring_log log_tx, log_rx;
	struct vl_vring tx, rx;
	struct vl_vring_opts opts;
	struct vl_vring_burst res;
	uint16_t tx_avail, rx_avail, rx_next_desc;
	bool tx_wrap, rx_wrap;
	uint16_t tx_slot, rx_slot;
};

static void *
hva(struct fx *f, uint64_t gpa)
{
	assert_true(gpa >= GPA_BASE && gpa < GPA_BASE + ARENA_BYTES);
	return f->arena + (gpa - GPA_BASE);
}

static struct fx *
fx_new(bool packed, bool mrg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->arena = calloc(1, ARENA_BYTES);
	assert_non_null(f->arena);
	memset(f->bitmap, GUARD_BYTE, sizeof(f->bitmap));
	memset(f->bitmap, 0, LOG_BYTES);
	f->mem.nb_regions = 1;
	f->mem.regions[0] = (struct vl_mem_region){GPA_BASE, ARENA_BYTES, (uintptr_t)f->arena};
	f->opts = (struct vl_vring_opts){.hdr_len = 12, .mrg_rxbuf = mrg, .indirect = true};
	if (packed) {
		assert_int_equal(vl_vring_packed_init(&f->tx, hva(f, TX_DESC), hva(f, PK_TX_EVENTS),
						      hva(f, PK_TX_EVENTS + 4), RING, 0x8000,
						      0x8000),
				 0);
		assert_int_equal(vl_vring_packed_init(&f->rx, hva(f, RX_DESC), hva(f, PK_RX_EVENTS),
						      hva(f, PK_RX_EVENTS + 4), RING, 0x8000,
						      0x8000),
				 0);
		f->tx_wrap = f->rx_wrap = true;
	} else {
		assert_int_equal(vl_vring_init(&f->tx, hva(f, TX_DESC), hva(f, TX_AVAIL),
					       hva(f, TX_USED), RING, 0, 0),
				 0);
		assert_int_equal(vl_vring_init(&f->rx, hva(f, RX_DESC), hva(f, RX_AVAIL),
					       hva(f, RX_USED), RING, 0, 0),
				 0);
	}
	return f;
}

/* Attach the log to both vrings, as lib/dev does while the frontend logs. */
static void
fx_log_on(struct fx *f, bool log_ring)
{
	f->log_tx = (struct vl_vring_log){
		.bitmap = f->bitmap,
		.bitmap_bytes = LOG_BYTES,
		.ring_gpa = f->tx.packed ? TX_DESC : TX_USED,
		.log_ring = log_ring,
		.nb_pages = &f->nb_pages,
		.nb_faults = &f->nb_faults,
	};
	f->log_rx = f->log_tx;
	f->log_rx.ring_gpa = f->rx.packed ? RX_DESC : RX_USED;
	f->tx.log = &f->log_tx;
	f->rx.log = &f->log_rx;
}

static void
fx_free(struct fx *f)
{
	free(f->arena);
	free(f);
}

static bool
marked(const struct fx *f, uint64_t page)
{
	return (f->bitmap[page / 8] >> (page % 8)) & 1;
}

/* Exactly the pages in want[] are marked, and the guard after the log is untouched. */
static void
expect_pages(const struct fx *f, const uint64_t *want, unsigned int nb)
{
	for (uint64_t p = 0; p < LOG_BYTES * 8; p++) {
		bool w = false;

		for (unsigned int i = 0; i < nb; i++)
			w = w || want[i] == p;
		if (marked(f, p) != w)
			fail_msg("page 0x%llx is %s", (unsigned long long)p,
				 w ? "not marked" : "marked but was not written");
	}
	for (unsigned int i = LOG_BYTES; i < sizeof(f->bitmap); i++)
		assert_int_equal(f->bitmap[i], GUARD_BYTE);
}

/* ---- the split-ring driver ----------------------------------------------------------------- */

/* One TX frame: header + payload in one descriptor, payload bytes from a pattern. */
static void
split_tx(struct fx *f, uint32_t payload)
{
	struct vl_vring_desc *d = hva(f, TX_DESC);
	struct vl_vring_avail *a = hva(f, TX_AVAIL);
	uint16_t head = f->tx_avail % RING;
	uint64_t buf = TX_BUF + (uint64_t)head * 0x2000;
	uint8_t *p = hva(f, buf);

	memset(p, 0, 12);
	for (uint32_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + 1);
	d[head] = (struct vl_vring_desc){.addr = buf, .len = 12 + payload};
	a->ring[head] = head;
	a->idx = ++f->tx_avail;
}

/* One RX chain of nb descriptors (gpa[i], len[i]), or one INDIRECT descriptor pointing at a
 * table of them (table at table_gpa). */
static void
split_rx(struct fx *f, unsigned int nb, const uint64_t *gpa, const uint32_t *len,
	 uint64_t table_gpa)
{
	struct vl_vring_desc *d = hva(f, RX_DESC);
	struct vl_vring_avail *a = hva(f, RX_AVAIL);
	uint16_t head = f->rx_next_desc;

	if (table_gpa != 0) {
		struct vl_vring_desc *t = hva(f, table_gpa);

		for (unsigned int i = 0; i < nb; i++)
			t[i] = (struct vl_vring_desc){
				.addr = gpa[i],
				.len = len[i],
				.flags = VL_VRING_DESC_F_WRITE |
					 (i + 1 < nb ? VL_VRING_DESC_F_NEXT : 0),
				.next = (uint16_t)(i + 1)};
		d[head] = (struct vl_vring_desc){
			.addr = table_gpa, .len = nb * 16, .flags = VL_VRING_DESC_F_INDIRECT};
		f->rx_next_desc++;
	} else {
		for (unsigned int i = 0; i < nb; i++)
			d[head + i] = (struct vl_vring_desc){
				.addr = gpa[i],
				.len = len[i],
				.flags = VL_VRING_DESC_F_WRITE |
					 (i + 1 < nb ? VL_VRING_DESC_F_NEXT : 0),
				.next = (uint16_t)(head + i + 1)};
		f->rx_next_desc = (uint16_t)(f->rx_next_desc + nb);
	}
	a->ring[f->rx_avail % RING] = head;
	a->idx = ++f->rx_avail;
}

static void
split_rx1(struct fx *f, uint64_t gpa, uint32_t len)
{
	split_rx(f, 1, &gpa, &len, 0);
}

static void
split_burst(struct fx *f, unsigned int want_frames)
{
	vl_vring_loop_burst(&f->tx, &f->rx, &f->mem, &f->opts, 32, &f->res);
	assert_int_equal(f->res.nb_frames, want_frames);
	assert_int_equal(f->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(f->rx.fault, VL_VRING_FAULT_NONE);
}

/* ---- split tests ---------------------------------------------------------------------------- */

/* A frame written across a page boundary marks both pages; the used rings' pages too. */
static void
split_rx_buffer_spanning_pages(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t buf = 0x130f80; /* 128 bytes before the end of page 0x130 */
	const uint64_t want[] = {PAGE(buf), PAGE(buf) + 1, PAGE(RX_USED), PAGE(TX_USED)};
	const uint8_t *p = hva(f, buf);

	(void)state;
	fx_log_on(f, true);
	split_tx(f, 200);
	split_rx1(f, buf, 2048);
	split_burst(f, 1);
	expect_pages(f, want, 4);
	assert_int_equal(f->nb_faults, 0);
	assert_int_equal(p[12 + 150], (uint8_t)(150 * 7 + 1)); /* the frame is there */
	fx_free(f);
}

/* Only the bytes written count: a 100-byte frame in a two-page buffer marks one page. */
static void
split_unwritten_part_of_a_buffer_is_not_marked(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t want[] = {PAGE(0x140000ULL), PAGE(RX_USED), PAGE(TX_USED)};

	(void)state;
	fx_log_on(f, true);
	split_tx(f, 100);
	split_rx1(f, 0x140000, 8192);
	split_burst(f, 1);
	expect_pages(f, want, 3);
	fx_free(f);
}

/* Mergeable frame over two buffers, a chained RX buffer and an indirect one: every page any of
 * them got bytes in, and none of a buffer left posted. */
static void
split_mergeable_chained_and_indirect(void **state)
{
	struct fx *f = fx_new(false, true);
	const uint64_t chain_gpa[] = {0x160ff8, 0x162000}, ind_gpa[] = {0x170000, 0x171ff0};
	const uint32_t chain_len[] = {12, 1024}, ind_len[] = {12, 1024};
	const uint64_t want[] = {0x150, 0x151, 0x152, 0x160,	     0x161,	   0x162,
				 0x170, 0x171, 0x172, PAGE(RX_USED), PAGE(TX_USED)};

	(void)state;
	fx_log_on(f, true);
	/* Frame 1: 5000 bytes over two 4096-byte buffers at 0x150800 and 0x152000. */
	split_tx(f, 5000);
	split_rx1(f, 0x150800, 4096);
	split_rx1(f, 0x152000, 4096);
	split_burst(f, 1);
	/* Frame 2: a chained buffer (header alone, crossing into page 0x161, then data). */
	split_tx(f, 600);
	split_rx(f, 2, chain_gpa, chain_len, 0);
	/* Frame 3: an indirect buffer whose data crosses from page 0x171 into 0x172. */
	split_tx(f, 600);
	split_rx(f, 2, ind_gpa, ind_len, 0x17f000);
	split_rx1(f, 0x190000, 4096); /* posted, not used: never marked */
	split_burst(f, 2);
	expect_pages(f, want, sizeof(want) / sizeof(want[0]));
	fx_free(f);
}

/* An RX chain whose ring part ends in an indirect table (header alone, then INDIRECT): the
 * header's page and the table's data pages, not the table itself. */
static void
split_chain_ending_in_an_indirect_table(void **state)
{
	struct fx *f = fx_new(false, false);
	struct vl_vring_desc *d = hva(f, RX_DESC), *t = hva(f, 0x17f000);
	struct vl_vring_avail *a = hva(f, RX_AVAIL);
	const uint64_t want[] = {0x160, 0x171, 0x172, PAGE(RX_USED), PAGE(TX_USED)};

	(void)state;
	fx_log_on(f, true);
	d[0] = (struct vl_vring_desc){.addr = 0x160000,
				      .len = 12,
				      .flags = VL_VRING_DESC_F_WRITE | VL_VRING_DESC_F_NEXT,
				      .next = 1};
	d[1] = (struct vl_vring_desc){
		.addr = 0x17f000, .len = 16, .flags = VL_VRING_DESC_F_INDIRECT};
	t[0] = (struct vl_vring_desc){
		.addr = 0x171ff0, .len = 2048, .flags = VL_VRING_DESC_F_WRITE};
	a->ring[0] = 0;
	a->idx = ++f->rx_avail;
	split_tx(f, 600);
	split_burst(f, 1);
	expect_pages(f, want, 5);
	fx_free(f);
}

/* The used index and the used entry on different pages: both marked. */
static void
split_used_entries_and_index_on_two_pages(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t used_gpa = 0x10aff0; /* idx at 0x10aff2, entry 5 at 0x10b01c */
	const uint64_t want[] = {0x10a, 0x10b, 0x131, PAGE(TX_USED)};

	(void)state;
	assert_int_equal(vl_vring_init(&f->rx, hva(f, RX_DESC), hva(f, RX_AVAIL), hva(f, used_gpa),
				       RING, 5, 5),
			 0);
	f->rx_avail = 5;
	f->rx_next_desc = 0;
	fx_log_on(f, true);
	f->log_rx.ring_gpa = used_gpa;
	split_tx(f, 60);
	split_rx1(f, 0x131000, 2048);
	split_burst(f, 1);
	expect_pages(f, want, 4);
	fx_free(f);
}

/* No log attached: the same traffic marks nothing. */
static void
split_nothing_marked_when_off(void **state)
{
	struct fx *f = fx_new(false, true);

	(void)state;
	for (int i = 0; i < 4; i++) {
		split_tx(f, 3000);
		split_rx1(f, 0x130f80 + (uint64_t)i * 0x4000, 2048);
		split_rx1(f, 0x132000 + (uint64_t)i * 0x4000, 2048);
	}
	split_burst(f, 4);
	expect_pages(f, NULL, 0);
	assert_int_equal(f->nb_pages, 0);
	fx_free(f);
}

/* Without the vring's LOG flag only the buffers are marked. */
static void
split_ring_flag_off_marks_buffers_only(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t want[] = {0x140};

	(void)state;
	fx_log_on(f, false);
	split_tx(f, 100);
	split_rx1(f, 0x140000, 2048);
	split_burst(f, 1);
	expect_pages(f, want, 1);
	fx_free(f);
}

/* A page beyond the log is a counted fault; nothing is written past it, the frame still
 * loops. */
static void
split_pages_beyond_the_log_are_faults(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t want[] = {PAGE(RX_USED), PAGE(TX_USED)};

	(void)state;
	fx_log_on(f, true);
	f->log_rx.bitmap_bytes = f->log_tx.bitmap_bytes = 0x180 / 8; /* pages < 0x180 */
	split_tx(f, 200);
	split_rx1(f, 0x1f0f80, 2048); /* pages 0x1f0 and 0x1f1: beyond */
	split_burst(f, 1);
	expect_pages(f, want, 2);
	assert_int_equal(f->nb_faults, 1); /* one write, stopped at its first page beyond */
	fx_free(f);
}

/*
 * The split RX lag with the log on: the polls that wait write nothing and mark nothing; the burst
 * that goes ahead at the limit (vring_publish_logged) marks the buffer it wrote and both used
 * rings, nothing for the frame that found no buffer (drop_rx_full), and no buffer left posted.
 */
static void
split_rx_lag_waits_mark_nothing(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t want[] = {0x140, PAGE(RX_USED), PAGE(TX_USED)};
	const uint64_t want2[] = {0x140, 0x150, PAGE(RX_USED), PAGE(TX_USED)};
	const struct vl_vring_used *rx_used = hva(f, RX_USED), *tx_used = hva(f, TX_USED);

	(void)state;
	fx_log_on(f, true);
	f->opts.rx_lag_polls = 3;
	split_tx(f, 100);
	split_tx(f, 100);
	split_rx1(f, 0x140000, 2048); /* 1 buffer for 2 frames: want 4 (half the ring of 8) */
	for (int p = 0; p < 3; p++) {
		split_burst(f, 0);
		/* The first two waits warm the TX frames (reads only), the third just waits. */
		assert_int_equal(f->res.rx_lag,
				 p < 2 ? VL_VRING_RX_LAG_WARM : VL_VRING_RX_LAG_WAIT);
		assert_int_equal(rx_used->idx, 0);
		assert_int_equal(tx_used->idx, 0);
		expect_pages(f, NULL, 0);
		assert_int_equal(f->nb_pages, 0);
	}
	split_burst(f, 1);
	assert_int_equal(f->res.rx_lag, VL_VRING_RX_LAG_TIMEOUT);
	assert_int_equal(f->res.drop_rx_full, 1);
	assert_int_equal(rx_used->idx, 1);
	assert_int_equal(tx_used->idx, 2);
	expect_pages(f, want, 3);
	assert_int_equal(f->nb_faults, 0);
	/* The next frame and a refill of two (want 2): no wait, its buffer's page marked. */
	split_tx(f, 100);
	split_rx1(f, 0x150000, 2048);
	split_rx1(f, 0x160000, 2048);
	split_burst(f, 1);
	assert_int_equal(f->res.rx_lag, VL_VRING_RX_LAG_NONE);
	expect_pages(f, want2, 4); /* 0x160000: posted, not used */
	fx_free(f);
}

/* The bitmap writer on its own: pages, empty and wrapping ranges, the end of the log. */
static void
log_write_edges(void **state)
{
	struct fx *f = fx_new(false, false);
	const uint64_t want[] = {0, 7, 8, 0x1ff};

	(void)state;
	fx_log_on(f, true);
	vl_vring_log_write(&f->log_rx, 0, 1);
	vl_vring_log_write(&f->log_rx, 0x7fff, 2);	  /* pages 7 and 8 */
	vl_vring_log_write(&f->log_rx, 0x9000, 0);	  /* nothing */
	vl_vring_log_write(&f->log_rx, 0x1ff000, 0x2000); /* last page inside, then beyond */
	assert_int_equal(f->nb_faults, 1);
	vl_vring_log_write(&f->log_rx, UINT64_MAX - 10, 100); /* wraps: one fault, nothing */
	assert_int_equal(f->nb_faults, 3);
	vl_vring_log_write(&f->log_rx, 0x200000, UINT64_MAX); /* huge: stops at the end */
	assert_int_equal(f->nb_faults, 5);
	expect_pages(f, want, 4);
	assert_int_equal(f->nb_pages, 4);
	fx_free(f);
}

static void
hva_to_gpa_through_the_table(void **state)
{
	struct fx *f = fx_new(false, false);
	uint64_t gpa = 0;

	(void)state;
	assert_int_equal(vl_mem_hva_to_gpa(&f->mem, f->arena + 0x1234, &gpa), 1);
	assert_int_equal(gpa, GPA_BASE + 0x1234);
	assert_int_equal(vl_mem_hva_to_gpa(&f->mem, f->arena + ARENA_BYTES, &gpa), 0);
	assert_int_equal(vl_mem_hva_to_gpa(&f->mem, f->arena - 1, &gpa), 0);
	fx_free(f);
}

/* ---- the packed-ring driver ----------------------------------------------------------------- */

static uint16_t
pk_avail_flags(bool wrap)
{
	return wrap ? VL_VRING_DESC_F_AVAIL : VL_VRING_DESC_F_USED;
}

static void
pk_tx(struct fx *f, uint32_t payload)
{
	struct vl_vring_packed_desc *d = hva(f, TX_DESC);
	uint16_t slot = f->tx_slot;
	uint64_t buf = TX_BUF + (uint64_t)slot * 0x2000;
	uint8_t *p = hva(f, buf);

	memset(p, 0, 12);
	for (uint32_t i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + 1);
	d[slot] = (struct vl_vring_packed_desc){
		.addr = buf, .len = 12 + payload, .id = slot, .flags = pk_avail_flags(f->tx_wrap)};
	if (++f->tx_slot == RING) {
		f->tx_slot = 0;
		f->tx_wrap = !f->tx_wrap;
	}
}

/* An RX chain of nb descriptors in consecutive slots. */
static void
pk_rx(struct fx *f, unsigned int nb, const uint64_t *gpa, const uint32_t *len)
{
	struct vl_vring_packed_desc *d = hva(f, RX_DESC);

	for (unsigned int i = 0; i < nb; i++) {
		d[f->rx_slot] = (struct vl_vring_packed_desc){
			.addr = gpa[i],
			.len = len[i],
			.id = 3,
			.flags = (uint16_t)(pk_avail_flags(f->rx_wrap) | VL_VRING_DESC_F_WRITE |
					    (i + 1 < nb ? VL_VRING_DESC_F_NEXT : 0))};
		if (++f->rx_slot == RING) {
			f->rx_slot = 0;
			f->rx_wrap = !f->rx_wrap;
		}
	}
}

static void
pk_burst(struct fx *f, unsigned int want_frames)
{
	vl_vring_packed_loop_burst(&f->tx, &f->rx, &f->mem, &f->opts, 32, &f->res);
	assert_int_equal(f->res.nb_frames, want_frames);
	assert_int_equal(f->tx.fault, VL_VRING_FAULT_NONE);
	assert_int_equal(f->rx.fault, VL_VRING_FAULT_NONE);
}

/* Packed: the buffer pages written and the descriptor rings written back. */
static void
packed_rx_buffers_and_descriptors(void **state)
{
	struct fx *f = fx_new(true, true);
	const uint64_t one = 0x130f80, chain[] = {0x140ff8, 0x142000}, two[] = {0x150000};
	const uint32_t one_len = 2048, chain_len[] = {12, 2048}, two_len[] = {4096};
	const uint64_t want[] = {0x130, 0x131, 0x140, 0x141, 0x142, PAGE(RX_DESC), PAGE(TX_DESC)};

	(void)state;
	fx_log_on(f, true);
	pk_tx(f, 200); /* fast path */
	pk_rx(f, 1, &one, &one_len);
	pk_tx(f, 300); /* a chained RX buffer: the walker */
	pk_rx(f, 2, chain, chain_len);
	pk_rx(f, 1, two, two_len); /* posted, not used */
	pk_burst(f, 2);
	expect_pages(f, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(f->nb_faults, 0);
	fx_free(f);
}

static void
packed_nothing_marked_when_off(void **state)
{
	struct fx *f = fx_new(true, true);
	const uint64_t one = 0x130f80;
	const uint32_t one_len = 2048;

	(void)state;
	pk_tx(f, 200);
	pk_rx(f, 1, &one, &one_len);
	pk_burst(f, 1);
	expect_pages(f, NULL, 0);
	fx_free(f);
}

static void
packed_pages_beyond_the_log_are_faults(void **state)
{
	struct fx *f = fx_new(true, false);
	const uint64_t one = 0x1f0f80;
	const uint32_t one_len = 2048;
	const uint64_t want[] = {PAGE(RX_DESC), PAGE(TX_DESC)};

	(void)state;
	fx_log_on(f, true);
	f->log_rx.bitmap_bytes = f->log_tx.bitmap_bytes = 0x1f0 >> 3; /* pages < 0x1f0 */
	pk_tx(f, 200);
	pk_rx(f, 1, &one, &one_len);
	pk_burst(f, 1);
	expect_pages(f, want, 2);
	assert_int_equal(f->nb_faults, 1);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_write_edges),
		cmocka_unit_test(hva_to_gpa_through_the_table),
		cmocka_unit_test(split_rx_buffer_spanning_pages),
		cmocka_unit_test(split_unwritten_part_of_a_buffer_is_not_marked),
		cmocka_unit_test(split_mergeable_chained_and_indirect),
		cmocka_unit_test(split_chain_ending_in_an_indirect_table),
		cmocka_unit_test(split_used_entries_and_index_on_two_pages),
		cmocka_unit_test(split_nothing_marked_when_off),
		cmocka_unit_test(split_ring_flag_off_marks_buffers_only),
		cmocka_unit_test(split_pages_beyond_the_log_are_faults),
		cmocka_unit_test(split_rx_lag_waits_mark_nothing),
		cmocka_unit_test(packed_rx_buffers_and_descriptors),
		cmocka_unit_test(packed_nothing_marked_when_off),
		cmocka_unit_test(packed_pages_beyond_the_log_are_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

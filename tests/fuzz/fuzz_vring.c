/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a hostile guest. The input picks features, ring sizes, start indices, memory
 * regions (each its own exact-size allocation, so ASan sees any byte past a region), descriptor
 * tables, avail rings and the guest memory contents, then a few bursts run. ASan/UBSan must never
 * fire, every burst must terminate, and the ring bookkeeping must stay consistent.
 *
 * Features bit 5: a ring resumed after a stop (reconnect, migration): the used indices come from
 * the input too instead of equal to the avail ones (init accepts any 16-bit pair). Bit 6: before
 * the bursts, init is also called with what it must reject (size 0, not a power of two, > 32768,
 * a NULL ring), and must return -EINVAL without touching the vring.
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
#define FUZZ_SIZE_LOG2_MAX 7 /* rings up to 128 entries */
#define FUZZ_BURSTS 4

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
	uint16_t lo = in_u8(in); /* two statements: operand order is unspecified */

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
	struct vl_vring_desc *desc;
	struct vl_vring_avail *avail;
	struct vl_vring_used *used;
	uint16_t size;
};

static bool
ring_new(struct fuzz_ring *r, uint16_t size)
{
	r->size = size;
	r->desc = malloc(size * sizeof(*r->desc));
	r->avail = malloc(sizeof(*r->avail) + (size + 1u) * sizeof(uint16_t));
	r->used = malloc(sizeof(*r->used) + size * sizeof(struct vl_vring_used_elem) +
			 sizeof(uint16_t));
	return r->desc != NULL && r->avail != NULL && r->used != NULL;
}

static void
ring_free(struct fuzz_ring *r)
{
	free(r->desc);
	free(r->avail);
	free(r->used);
}

/*
 * Descriptors straight from the input, except that an address with bit 63 clear is folded into
 * the guest-physical window (otherwise almost nothing would translate) and a length with bit 31
 * clear is kept small.
 */
static void
ring_fill(struct fuzz_ring *r, struct input *in, uint64_t gpa_span)
{
	for (uint32_t i = 0; i < r->size; i++) {
		struct vl_vring_desc d;

		in_bytes(in, &d, sizeof(d));
		if (!(d.addr >> 63))
			d.addr = FUZZ_GPA_BASE + d.addr % (gpa_span + 64);
		if (!(d.len >> 31))
			d.len &= 0x7ff;
		d.flags &= 0x7;
		r->desc[i] = d;
	}
	for (uint32_t i = 0; i <= r->size; i++) {
		uint16_t v = in_u16(in);

		/* Mostly valid heads; the high bit keeps the raw value. */
		r->avail->ring[i] = (v & 0x8000) ? v : (uint16_t)(v % r->size);
	}
	r->avail->flags = in_u8(in) & 1;
	memset(r->used, 0x5a,
	       sizeof(*r->used) + r->size * sizeof(struct vl_vring_used_elem) + sizeof(uint16_t));
}

/* Add a mostly-sane number of new avail entries (sometimes an insane jump). */
static void
avail_bump(struct fuzz_ring *r, struct input *in, const struct vl_vring *vq)
{
	uint8_t v = in_u8(in);
	uint16_t idx = (v & 0x80) ? (uint16_t)(vq->last_avail_idx + in_u16(in))
				  : (uint16_t)(vq->last_avail_idx + v % (r->size + 1u));

	__atomic_store_n(&r->avail->idx, idx, __ATOMIC_RELEASE);
}

static void
check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* What vl_vring_init must refuse, chosen by the input: -EINVAL, and *vq untouched. The valid
 * arguments are the ring's own. */
static void
check_init_rejects(struct input *in, struct fuzz_ring *r, const struct vl_vring *vq)
{
	struct vl_vring probe = *vq;
	uint8_t before[sizeof(probe)];
	struct vl_vring_desc *desc = r->desc;
	struct vl_vring_avail *avail = r->avail;
	struct vl_vring_used *used = r->used;
	uint8_t how = in_u8(in);
	uint16_t v = in_u16(in), size = r->size, last_avail = in_u16(in), last_used = in_u16(in);

	memcpy(before, &probe, sizeof(probe));
	switch (how % 6) {
	case 0:
		size = 0;
		break;
	case 1: /* not a power of two: at least two bits set */
		size = (uint16_t)(v | 3u << (v % 15));
		break;
	case 2:
		size = (uint16_t)(VL_VRING_SIZE_MAX + 1 + v % (0x10000u - 0x8001u));
		break;
	case 3:
		desc = NULL;
		break;
	case 4:
		avail = NULL;
		break;
	default:
		used = NULL;
		break;
	}
	check(vl_vring_init(&probe, desc, avail, used, size, last_avail, last_used) == -EINVAL);
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
	uint8_t features = in_u8(&in), sizes = in_u8(&in), nb_regions;
	uint16_t tx_size = (uint16_t)(1u << ((sizes & 0xf) % (FUZZ_SIZE_LOG2_MAX + 1)));
	uint16_t rx_size = (uint16_t)(1u << ((sizes >> 4) % (FUZZ_SIZE_LOG2_MAX + 1)));
	uint16_t tx_start = in_u16(&in), rx_start = in_u16(&in);
	uint16_t tx_used_start = tx_start, rx_used_start = rx_start;
	uint16_t tx_total = 0, rx_total = 0; /* chains and buffers consumed so far */

	opts = (struct vl_vring_opts){
		.mrg_rxbuf = features & 1,
		.event_idx = (features >> 1) & 1,
		.indirect = (features >> 2) & 1,
		.rx_lag_polls = ((features >> 4) & 1) ? 2 : 0, /* some bursts wait for RX */
	};
	opts.hdr_len = (opts.mrg_rxbuf || (features >> 3) & 1) ? 12 : 10;
	if ((features >> 5) & 1) { /* resumed: the used indices where the input puts them */
		tx_used_start = in_u16(&in);
		rx_used_start = in_u16(&in);
	}

	/* Regions: guest-physically adjacent or with a hole, each its own allocation. */
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
	ring_fill(&txr, &in, gpa - FUZZ_GPA_BASE);
	ring_fill(&rxr, &in, gpa - FUZZ_GPA_BASE);
	for (uint32_t i = 0; i < nb_regions; i++)
		in_bytes(&in, region_mem[i], mem.regions[i].size);

	check(vl_vring_init(&tx, txr.desc, txr.avail, txr.used, tx_size, tx_start, tx_used_start) ==
	      0);
	check(vl_vring_init(&rx, rxr.desc, rxr.avail, rxr.used, rx_size, rx_start, rx_used_start) ==
	      0);
	if ((features >> 6) & 1) {
		check_init_rejects(&in, &txr, &tx);
		check_init_rejects(&in, &rxr, &rx);
	}
	vl_vring_suppress_kicks(&tx, &opts);
	vl_vring_suppress_kicks(&rx, &opts);

	for (uint32_t b = 0; b < FUZZ_BURSTS; b++) {
		struct vl_vring_burst res;
		uint16_t tx_avail0 = tx.last_avail_idx, tx_used0 = tx.last_used_idx;
		uint16_t rx_avail0 = rx.last_avail_idx, rx_used0 = rx.last_used_idx;
		unsigned int n;

		avail_bump(&txr, &in, &tx);
		avail_bump(&rxr, &in, &rx);
		n = vl_vring_loop_burst(&tx, &rx, &mem, &opts, 1 + in_u8(&in) % 64, &res);

		/* Every TX chain consumed got exactly one used entry; same for RX buffers. */
		check(n == res.nb_tx_done);
		check((uint16_t)(tx.last_avail_idx - tx_avail0) == n);
		check((uint16_t)(tx.last_used_idx - tx_used0) == n);
		check((uint16_t)(rx.last_avail_idx - rx_avail0) == res.nb_rx_bufs);
		check((uint16_t)(rx.last_used_idx - rx_used0) == res.nb_rx_bufs);
		check(n <= tx_size && res.nb_rx_bufs <= rx_size);
		check(res.nb_frames + res.drop_rx_full + res.drop_truncated + res.drop_short <= n);
		check(res.nb_frames <= res.nb_rx_bufs);
		/* Both indices moved by what was consumed since the start (resumed or not). */
		tx_total = (uint16_t)(tx_total + n);
		rx_total = (uint16_t)(rx_total + res.nb_rx_bufs);
		check((uint16_t)(tx.last_avail_idx - tx_start) == tx_total);
		check((uint16_t)(tx.last_used_idx - tx_used_start) == tx_total);
		check((uint16_t)(rx.last_avail_idx - rx_start) == rx_total);
		check((uint16_t)(rx.last_used_idx - rx_used_start) == rx_total);
		/* The RX lag: a poll that waits (and maybe warms the TX frames) moves nothing; a
		 * timeout only with the lag on. */
		check(res.rx_lag <= VL_VRING_RX_LAG_WARM);
		if (res.rx_lag == VL_VRING_RX_LAG_WAIT || res.rx_lag == VL_VRING_RX_LAG_WARM)
			check(n == 0 && res.nb_rx_bufs == 0 && res.nb_frames == 0);
		if (opts.rx_lag_polls == 0)
			check(res.rx_lag == VL_VRING_RX_LAG_NONE);
		if (n != 0)
			check(txr.used->idx == tx.last_used_idx);
		if (res.nb_rx_bufs != 0)
			check(rxr.used->idx == rx.last_used_idx);
		for (uint16_t k = 0; k < n; k++)
			check(txr.used->ring[(uint16_t)(tx_used0 + k) & (tx_size - 1)].len == 0);
		/* The interrupt decision: fenced, or the busy poll's lazy one, whose owed looks
		 * are settled now and then (never more than the bound owed in a row). */
		if (b % 2 == 0) {
			(void)vl_vring_need_call(&tx, &opts);
			(void)vl_vring_need_call(&rx, &opts);
			check(!vl_vring_call_owed(&tx) && !vl_vring_call_owed(&rx));
		} else {
			(void)vl_vring_need_call_lazy(&tx, &opts);
			(void)vl_vring_need_call_lazy(&rx, &opts);
			check(tx.nb_call_owed < VL_VRING_CALL_OWED_MAX &&
			      rx.nb_call_owed < VL_VRING_CALL_OWED_MAX);
			if (b % 3 == 0) {
				(void)vl_vring_call_settle(&tx, &opts);
				(void)vl_vring_call_settle(&rx, &opts);
				check(!vl_vring_call_owed(&tx) && !vl_vring_call_owed(&rx));
			}
		}
		(void)vl_vring_fault_str(tx.fault);
		(void)vl_vring_fault_str(rx.fault);
		/* The guest sometimes resets a broken ring. */
		if ((tx.fault != VL_VRING_FAULT_NONE || rx.fault != VL_VRING_FAULT_NONE) &&
		    (in_u8(&in) & 1)) {
			vl_vring_init(&tx, txr.desc, txr.avail, txr.used, tx_size,
				      tx.last_avail_idx, tx.last_used_idx);
			vl_vring_init(&rx, rxr.desc, rxr.avail, rxr.used, rx_size,
				      rx.last_avail_idx, rx.last_used_idx);
		}
	}

out:
	ring_free(&txr);
	ring_free(&rxr);
	for (uint32_t i = 0; i < VL_MEM_MAX_REGIONS; i++)
		free(region_mem[i]);
	return 0;
}

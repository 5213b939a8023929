/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_hist.c - latency histogram: log-linear buckets, GEN_HIST_SUB per power of two, so every
 * bucket is at most 1/32 (~3%) wide relative to its values and no sample array is kept.
 * Values below 2 * GEN_HIST_SUB ns get one bucket each.
 */
#include <string.h>

#include "gen.h"

static unsigned int
msb64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

unsigned int
gen_hist_bucket(uint64_t value_ns)
{
	unsigned int e;

	if (value_ns < 2 * GEN_HIST_SUB)
		return (unsigned int)value_ns;
	e = msb64(value_ns) - GEN_HIST_SUB_BITS; /* >= 1: value >> e is in [SUB, 2 * SUB) */
	if (e > GEN_HIST_MAX_EXP)
		return GEN_HIST_NB_BUCKETS - 1;
	return e * GEN_HIST_SUB + (unsigned int)(value_ns >> e);
}

uint64_t
gen_hist_bucket_low(unsigned int idx)
{
	unsigned int e;

	if (idx < 2 * GEN_HIST_SUB)
		return idx;
	e = idx / GEN_HIST_SUB - 1;
	return (uint64_t)(idx % GEN_HIST_SUB + GEN_HIST_SUB) << e;
}

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void
gen_hist_add(struct gen_hist *h, uint64_t value_ns)
{
	h->count++;
	if (value_ns < h->min_ns)
		h->min_ns = value_ns;
	if (value_ns > h->max_ns)
		h->max_ns = value_ns;
	h->bucket[gen_hist_bucket(value_ns)]++;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	if (src->count == 0)
		return;
	dst->count += src->count;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (unsigned int i = 0; i < GEN_HIST_NB_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min_ns;
	if (q >= 1)
		return h->max_ns;
	/* The sample of rank ceil(q * count), 1-based. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned int i = 0; i < GEN_HIST_NB_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t lo = gen_hist_bucket_low(i);
			uint64_t hi = i + 1 < GEN_HIST_NB_BUCKETS ? gen_hist_bucket_low(i + 1) : lo;
			uint64_t mid = lo + (hi - lo) / 2;

			/* The true extremes are known exactly: never report outside them. */
			if (mid < h->min_ns)
				mid = h->min_ns;
			if (mid > h->max_ns)
				mid = h->max_ns;
			return mid;
		}
	}
	return h->max_ns;
}

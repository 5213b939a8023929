/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_steer.c - steering audit: header parser, per-pair flow tables, the merged view.
 *
 * Tables: open addressing with linear probing, 64-byte slots (key, hash, frames, bytes), twice as
 * many slots as flows allowed, so a probe always ends at the key or at an empty slot within a few
 * steps. A table also lists its used slots in insertion order: merging and clearing cost what
 * the table holds, not its size. Nothing is allocated after vl_steer_qp_add(); a full table
 * counts the frame in flows_dropped.
 *
 * Lock-free read (epoch swap): each pair has two tables. The owner lcore writes tables[ack & 1]
 * only. The main lcore, at each collection, finds ack == req (the owner answered the last
 * request), so tables[(ack & 1) ^ 1] is no longer written by anybody: it merges and clears that
 * table, then publishes req + 1 (release). At its next poll, the owner sees req != ack (acquire),
 * switches to tables[req & 1] - the table just cleared - and publishes ack = req (release).
 *   - The owner's writes to the old table happen before its release of ack; the main lcore's
 *     acquire of ack orders its reads after them: it reads a table at rest, never a torn slot.
 *   - The main lcore's clearing happens before its release of req; the owner's acquire of req
 *     orders its first write to that table after the clearing.
 * No lock, no atomic read-modify-write, and the owner touches no line the main lcore writes but
 * `req` (read once per poll). The main lcore waits up to 2 ms for the answers and merges what
 * was handed over at once; an owner that does not poll the pair (stopped) answers later and its
 * data waits in its table until the next collection. At exit (owners stopped) both tables are
 * merged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vl_compiler.h"
#include "vl_steer.h"

_Static_assert(sizeof(struct vl_steer_key) == 44, "the key is hashed as 44 bytes, no holes");

#define ETH_HDR_LEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

/* ---- parser --------------------------------------------------------------------------------- */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* TCP/UDP ports at l4 (header ends by ip_end, what we can read ends at hdr_len). */
static int
parse_ports(const uint8_t *hdr, uint32_t hdr_len, uint32_t l4, uint32_t ip_end,
	    struct vl_steer_key *key)
{
	uint32_t need;

	if (key->l4_proto == IP_PROTO_TCP)
		need = 20;
	else if (key->l4_proto == IP_PROTO_UDP)
		need = 8;
	else
		return 0; /* no ports to read */
	if (l4 + need > ip_end || l4 + 4 > hdr_len)
		return -1; /* a TCP/UDP header cut short */
	key->src_port = rd16(hdr + l4);
	key->dst_port = rd16(hdr + l4 + 2);
	return 0;
}

static int
parse_ipv4(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len, uint32_t off,
	   struct vl_steer_key *key)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (off + 20 > hdr_len)
		return -1;
	if (hdr[off] >> 4 != 4)
		return -1;
	ihl = (uint32_t)(hdr[off] & 0xf) * 4;
	tot = rd16(hdr + off + 2);
	if (ihl < 20 || tot < ihl || off + tot > frame_len)
		return -1;
	frag = rd16(hdr + off + 6);
	key->kind = VL_STEER_IPV4;
	key->l4_proto = hdr[off + 9];
	memcpy(key->addr.ip.src, hdr + off + 12, 4);
	memcpy(key->addr.ip.dst, hdr + off + 16, 4);
	if ((frag & 0x3fff) != 0)
		return 0; /* a fragment (offset or MF): ports only in the first, key all alike */
	return parse_ports(hdr, hdr_len, off + ihl, off + tot, key);
}

#define IPV6_EXT_MAX 8

static int
parse_ipv6(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len, uint32_t off,
	   struct vl_steer_key *key)
{
	uint32_t l4 = off + 40, end;
	uint8_t nh;

	if (off + 40 > hdr_len)
		return -1;
	if (hdr[off] >> 4 != 6)
		return -1;
	end = l4 + rd16(hdr + off + 4);
	if (end > frame_len)
		return -1;
	nh = hdr[off + 6];
	key->kind = VL_STEER_IPV6;
	memcpy(key->addr.ip.src, hdr + off + 8, 16);
	memcpy(key->addr.ip.dst, hdr + off + 24, 16);
	for (unsigned int i = 0; i < IPV6_EXT_MAX; i++) {
		uint16_t frag;

		switch (nh) {
		case 0:	 /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (l4 + 8 > hdr_len || l4 + 8 > end)
				return -1;
			nh = hdr[l4];
			l4 += ((uint32_t)hdr[l4 + 1] + 1) * 8;
			if (l4 > end)
				return -1;
			continue;
		case 44: /* fragment */
			if (l4 + 8 > hdr_len || l4 + 8 > end)
				return -1;
			nh = hdr[l4];
			frag = rd16(hdr + l4 + 2);
			l4 += 8;
			if ((frag & 0xfff9) != 0) { /* offset or M: a fragment, no ports */
				key->l4_proto = nh;
				return 0;
			}
			continue;
		default:
			key->l4_proto = nh;
			return parse_ports(hdr, hdr_len, l4, end, key);
		}
	}
	return -1; /* more extension headers than a sane sender uses */
}

int
vl_steer_parse(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len, struct vl_steer_key *key)
{
	uint32_t off = ETH_HDR_LEN;
	uint16_t type;

	memset(key, 0, sizeof(*key));
	hdr_len = VL_MIN(hdr_len, frame_len); /* never past the frame */
	if (hdr_len < ETH_HDR_LEN)
		return -1;
	type = rd16(hdr + 12);
	if (type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ) {
		if (hdr_len < ETH_HDR_LEN + 4)
			return -1;
		key->vlan = (uint16_t)(0x1000 | (rd16(hdr + 14) & 0x0fff));
		type = rd16(hdr + 16);
		off += 4;
		if (type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ)
			return -1; /* one tag allowed */
	}
	if (type < 0x0600)
		type = 0; /* 802.3 length, not a type: one L2 flow whatever the length */
	key->ethertype = type;
	if (type == ETH_TYPE_IPV4)
		return parse_ipv4(hdr, hdr_len, frame_len, off, key);
	if (type == ETH_TYPE_IPV6)
		return parse_ipv6(hdr, hdr_len, frame_len, off, key);
	key->kind = VL_STEER_L2;
	memcpy(key->addr.mac.dst, hdr, 6);
	memcpy(key->addr.mac.src, hdr + 6, 6);
	return 0;
}

static const char *
key_proto_name(uint8_t proto, char *buf, size_t len)
{
	if (proto == IP_PROTO_TCP)
		return "tcp";
	if (proto == IP_PROTO_UDP)
		return "udp";
	snprintf(buf, len, "proto %u", proto);
	return buf;
}

void
vl_steer_key_format(const struct vl_steer_key *key, char *buf, unsigned int len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], proto[16], vlan[16] = "";
	const uint8_t *s = key->addr.mac.src, *d = key->addr.mac.dst;
	int af = key->kind == VL_STEER_IPV6 ? AF_INET6 : AF_INET;

	if (key->vlan != 0)
		snprintf(vlan, sizeof(vlan), " vlan %u", key->vlan & 0x0fff);
	if (key->kind == VL_STEER_L2) {
		snprintf(buf, len,
			 "l2 %02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x type "
			 "0x%04x%s",
			 s[0], s[1], s[2], s[3], s[4], s[5], d[0], d[1], d[2], d[3], d[4], d[5],
			 key->ethertype, vlan);
		return;
	}
	if (key->kind != VL_STEER_IPV4 && key->kind != VL_STEER_IPV6) {
		snprintf(buf, len, "none");
		return;
	}
	inet_ntop(af, key->addr.ip.src, src, sizeof(src));
	inet_ntop(af, key->addr.ip.dst, dst, sizeof(dst));
	if (key->src_port != 0 || key->dst_port != 0)
		snprintf(buf, len, "%s %s %s%s%s:%u > %s%s%s:%u%s", af == AF_INET ? "ipv4" : "ipv6",
			 key_proto_name(key->l4_proto, proto, sizeof(proto)),
			 af == AF_INET6 ? "[" : "", src, af == AF_INET6 ? "]" : "", key->src_port,
			 af == AF_INET6 ? "[" : "", dst, af == AF_INET6 ? "]" : "", key->dst_port,
			 vlan);
	else
		snprintf(buf, len, "%s %s %s > %s%s", af == AF_INET ? "ipv4" : "ipv6",
			 key_proto_name(key->l4_proto, proto, sizeof(proto)), src, dst, vlan);
}

/* ---- tables --------------------------------------------------------------------------------- */

/* 64 bit multiply-xorshift over the key's 11 words: good enough to spread flows, a few cycles. */
static inline uint32_t
steer_hash(const struct vl_steer_key *key)
{
	uint32_t w[11];
	uint64_t h = 0x9e3779b97f4a7c15ull;

	memcpy(w, key, sizeof(w));
	for (unsigned int i = 0; i < 11; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

struct steer_slot {
	struct vl_steer_key key; /* kind == VL_STEER_NONE: empty */
	uint32_t hash;
	uint64_t frames;
	uint64_t bytes;
};
_Static_assert(sizeof(struct steer_slot) == 64, "one slot, one cache line");

#define STEER_QP_SLOTS (2u * VL_STEER_QP_FLOWS_MAX)

struct steer_table {
	struct steer_slot *slots; /* [STEER_QP_SLOTS], mmap'ed: zero until first touched */
	uint32_t *used;		  /* [VL_STEER_QP_FLOWS_MAX] slot numbers, insertion order */
	uint32_t nb_flows;
	uint64_t unparsed;
	uint64_t dropped;
};

struct vl_steer_qp {
	/* Owner lcore. */
	struct steer_table *active; /* == tables[ack & 1] */
	uint32_t ack;		    /* owner: release store; main: acquire load */

	/* Main lcore: written at collection, read by the owner once per poll. */
	uint32_t req __attribute__((aligned(64)));
	struct steer_table tables[2];

	/* Fixed at vl_steer_qp_add. */
	const char *iface;
	uint16_t iface_idx;
	uint16_t qp;

	/* Main lcore: merged so far. */
	uint64_t frames;
	uint64_t unparsed;
} __attribute__((aligned(64)));

/* The merged view: (interface, flow) -> queue pairs. Main lcore only. */
struct steer_mslot {
	struct vl_steer_key key;
	uint32_t hash;
	uint16_t iface_idx;
	uint16_t nb_qps; /* distinct pairs, exact up to VL_STEER_FLOW_QPS_MAX (then saturates) */
	uint16_t pairs[VL_STEER_FLOW_QPS_MAX]; /* pair indices of the audit */
	uint64_t frames;
	uint64_t bytes;
};

#define STEER_MERGED_SLOTS (2u * VL_STEER_MERGED_FLOWS_MAX)

struct vl_steer {
	struct vl_steer_qp *pairs[VL_STEER_MAX_QPS];
	unsigned int nb_pairs;

	struct steer_mslot *mslots; /* [STEER_MERGED_SLOTS] */
	uint64_t nb_mflows;
	uint64_t nb_multi;
	uint32_t multi[VL_STEER_MULTI_LIST_MAX]; /* mslot numbers of multi-queue flows */
	uint64_t dropped;
	uint64_t frames;
};

static void *
steer_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void
steer_unmap(void *p, size_t bytes)
{
	if (p != NULL)
		munmap(p, bytes);
}

static int
table_init(struct steer_table *t)
{
	t->slots = steer_map(sizeof(*t->slots) * STEER_QP_SLOTS);
	t->used = steer_map(sizeof(*t->used) * VL_STEER_QP_FLOWS_MAX);
	if (t->slots == NULL || t->used == NULL)
		return -ENOMEM;
	return 0;
}

static void
table_fini(struct steer_table *t)
{
	steer_unmap(t->slots, sizeof(*t->slots) * STEER_QP_SLOTS);
	steer_unmap(t->used, sizeof(*t->used) * VL_STEER_QP_FLOWS_MAX);
}

static void
table_clear(struct steer_table *t)
{
	for (uint32_t i = 0; i < t->nb_flows; i++)
		memset(&t->slots[t->used[i]], 0, sizeof(t->slots[0]));
	t->nb_flows = 0;
	t->unparsed = 0;
	t->dropped = 0;
}

/* Owner lcore. At most half the slots are used, so the probe ends at the key or a hole. */
static inline void
table_add(struct steer_table *t, const struct vl_steer_key *key, uint64_t bytes)
{
	const uint32_t hash = steer_hash(key);
	uint32_t slot = hash & (STEER_QP_SLOTS - 1);

	for (;;) {
		struct steer_slot *s = &t->slots[slot];

		if (s->key.kind == VL_STEER_NONE) {
			if (unlikely(t->nb_flows == VL_STEER_QP_FLOWS_MAX)) {
				t->dropped++;
				return;
			}
			s->key = *key;
			s->hash = hash;
			s->frames = 1;
			s->bytes = bytes;
			t->used[t->nb_flows++] = slot;
			return;
		}
		if (s->hash == hash && memcmp(&s->key, key, sizeof(*key)) == 0) {
			s->frames++;
			s->bytes += bytes;
			return;
		}
		slot = (slot + 1) & (STEER_QP_SLOTS - 1);
	}
}

void
vl_steer_account(struct vl_steer_qp *sq, const uint8_t *frame, uint32_t hdr_len, uint32_t frame_len)
{
	uint8_t hdr[VL_STEER_HDR_MAX];
	struct vl_steer_key key;
	uint32_t n = VL_MIN(VL_MIN(hdr_len, frame_len), (uint32_t)VL_STEER_HDR_MAX);

	/* One read of the guest's bytes: the parser works on our copy. */
	memcpy(hdr, frame, n);
	if (unlikely(vl_steer_parse(hdr, n, frame_len, &key) != 0)) {
		sq->active->unparsed++;
		return;
	}
	table_add(sq->active, &key, frame_len);
}

void
vl_steer_qp_tick(struct vl_steer_qp *sq)
{
	/* Pairs with the main lcore's release of req, after it cleared tables[req & 1]. */
	uint32_t req = __atomic_load_n(&sq->req, __ATOMIC_ACQUIRE);

	if (likely(req == sq->ack))
		return;
	sq->active = &sq->tables[req & 1];
	/* Pairs with the main lcore's acquire of ack: our writes to the old table first. */
	__atomic_store_n(&sq->ack, req, __ATOMIC_RELEASE);
}

/* ---- the audit ------------------------------------------------------------------------------ */

struct vl_steer *
vl_steer_create(void)
{
	struct vl_steer *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->mslots = steer_map(sizeof(*s->mslots) * STEER_MERGED_SLOTS);
	if (s->mslots == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
vl_steer_destroy(struct vl_steer *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->nb_pairs; i++) {
		table_fini(&s->pairs[i]->tables[0]);
		table_fini(&s->pairs[i]->tables[1]);
		free(s->pairs[i]);
	}
	steer_unmap(s->mslots, sizeof(*s->mslots) * STEER_MERGED_SLOTS);
	free(s);
}

struct vl_steer_qp *
vl_steer_qp_add(struct vl_steer *s, const char *iface, uint16_t iface_idx, uint16_t qp)
{
	struct vl_steer_qp *sq;

	if (s->nb_pairs == VL_STEER_MAX_QPS)
		return NULL;
	sq = aligned_alloc(64, sizeof(*sq));
	if (sq == NULL)
		return NULL;
	memset(sq, 0, sizeof(*sq));
	if (table_init(&sq->tables[0]) != 0 || table_init(&sq->tables[1]) != 0) {
		table_fini(&sq->tables[0]);
		table_fini(&sq->tables[1]);
		free(sq);
		return NULL;
	}
	sq->active = &sq->tables[0];
	sq->iface = iface;
	sq->iface_idx = iface_idx;
	sq->qp = qp;
	s->pairs[s->nb_pairs++] = sq;
	return sq;
}

static void
merged_add(struct vl_steer *s, const struct steer_slot *f, uint16_t iface_idx, uint16_t pair)
{
	uint32_t slot = f->hash & (STEER_MERGED_SLOTS - 1);
	struct steer_mslot *m;

	for (;;) {
		m = &s->mslots[slot];
		if (m->key.kind == VL_STEER_NONE) {
			if (s->nb_mflows == VL_STEER_MERGED_FLOWS_MAX) {
				s->dropped += f->frames;
				return;
			}
			m->key = f->key;
			m->hash = f->hash;
			m->iface_idx = iface_idx;
			s->nb_mflows++;
			break;
		}
		if (m->hash == f->hash && m->iface_idx == iface_idx &&
		    memcmp(&m->key, &f->key, sizeof(f->key)) == 0)
			break;
		slot = (slot + 1) & (STEER_MERGED_SLOTS - 1);
	}
	m->frames += f->frames;
	m->bytes += f->bytes;
	s->frames += f->frames;
	for (unsigned int i = 0; i < VL_MIN(m->nb_qps, (uint16_t)VL_STEER_FLOW_QPS_MAX); i++)
		if (m->pairs[i] == pair)
			return;
	if (m->nb_qps >= VL_STEER_FLOW_QPS_MAX)
		return; /* saturated: cannot tell a new pair from a known one */
	m->pairs[m->nb_qps++] = pair;
	if (m->nb_qps == 2) {
		if (s->nb_multi < VL_STEER_MULTI_LIST_MAX)
			s->multi[s->nb_multi] = slot;
		s->nb_multi++;
	}
}

static void
steer_merge_table(struct vl_steer *s, unsigned int pair, struct steer_table *t)
{
	struct vl_steer_qp *sq = s->pairs[pair];

	for (uint32_t i = 0; i < t->nb_flows; i++) {
		const struct steer_slot *f = &t->slots[t->used[i]];

		sq->frames += f->frames;
		merged_add(s, f, sq->iface_idx, (uint16_t)pair);
	}
	sq->unparsed += t->unparsed;
	s->dropped += t->dropped;
	table_clear(t);
}

/* Merge the table the owner left, if it answered the last request; 1 if it had answered. */
static int
steer_merge_retired(struct vl_steer *s, unsigned int p)
{
	struct vl_steer_qp *sq = s->pairs[p];
	/* Pairs with the owner's release of ack in vl_steer_qp_tick. */
	uint32_t ack = __atomic_load_n(&sq->ack, __ATOMIC_ACQUIRE);

	if (ack != sq->req)
		return 0; /* the owner has not switched yet */
	steer_merge_table(s, p, &sq->tables[(ack & 1) ^ 1]);
	return 1;
}

static uint64_t
steer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* How long a collection waits for the owners to switch tables (they poll every few us). */
#define STEER_SWAP_WAIT_NS 2000000

void
vl_steer_collect(struct vl_steer *s, bool final)
{
	unsigned int nb_done;
	uint64_t deadline;

	if (final) {
		for (unsigned int p = 0; p < s->nb_pairs; p++) {
			steer_merge_table(s, p, &s->pairs[p]->tables[0]);
			steer_merge_table(s, p, &s->pairs[p]->tables[1]);
		}
		return;
	}
	/* Ask every owner that answered the previous request to switch tables again. */
	for (unsigned int p = 0; p < s->nb_pairs; p++) {
		struct vl_steer_qp *sq = s->pairs[p];

		if (!steer_merge_retired(s, p))
			continue; /* still switching (not polled now): next time */
		/* Pairs with the owner's acquire in vl_steer_qp_tick: the table is clear. */
		__atomic_store_n(&sq->req, sq->req + 1, __ATOMIC_RELEASE);
	}
	/* Wait briefly for the answers, so that this interval reports this interval's flows. An
	 * owner that does not answer in time (not polling, or this very thread) is merged at the
	 * next collection. */
	deadline = steer_now_ns() + STEER_SWAP_WAIT_NS;
	do {
		nb_done = 0;
		for (unsigned int p = 0; p < s->nb_pairs; p++)
			nb_done += __atomic_load_n(&s->pairs[p]->ack, __ATOMIC_ACQUIRE) ==
				   s->pairs[p]->req;
	} while (nb_done < s->nb_pairs && steer_now_ns() < deadline);
	for (unsigned int p = 0; p < s->nb_pairs; p++)
		steer_merge_retired(s, p);
}

void
vl_steer_totals(const struct vl_steer *s, struct vl_steer_totals *t)
{
	*t = (struct vl_steer_totals){
		.flows = s->nb_mflows,
		.flows_multi_queue = s->nb_multi,
		.flows_dropped = s->dropped,
		.frames = s->frames,
	};
	for (unsigned int p = 0; p < s->nb_pairs; p++)
		t->unparsed += s->pairs[p]->unparsed;
}

unsigned int
vl_steer_nb_qps(const struct vl_steer *s)
{
	return s->nb_pairs;
}

void
vl_steer_qp_counts(const struct vl_steer *s, unsigned int pair, uint64_t *frames,
		   uint64_t *unparsed)
{
	*frames = s->pairs[pair]->frames;
	*unparsed = s->pairs[pair]->unparsed;
}

void
vl_steer_qp_name(const struct vl_steer *s, unsigned int pair, const char **iface, uint16_t *qp)
{
	*iface = s->pairs[pair]->iface;
	*qp = s->pairs[pair]->qp;
}

int
vl_steer_multi_get(const struct vl_steer *s, unsigned int i, struct vl_steer_multi *out)
{
	const struct steer_mslot *m;

	if (i >= VL_MIN(s->nb_multi, (uint64_t)VL_STEER_MULTI_LIST_MAX))
		return -ENOENT;
	m = &s->mslots[s->multi[i]];
	memset(out, 0, sizeof(*out));
	out->key = m->key;
	out->iface = s->pairs[m->pairs[0]]->iface;
	out->frames = m->frames;
	out->bytes = m->bytes;
	out->nb_qps = m->nb_qps;
	/* Ascending, whatever order the pairs were merged in: a pair whose owner answers a
	 * collection late is merged at the next one, so the order found depends on timing and a
	 * report must not. */
	for (unsigned int k = 0; k < m->nb_qps && k < VL_STEER_FLOW_QPS_MAX; k++) {
		uint16_t qp = s->pairs[m->pairs[k]]->qp;
		unsigned int j = k;

		for (; j > 0 && out->qps[j - 1] > qp; j--)
			out->qps[j] = out->qps[j - 1];
		out->qps[j] = qp;
	}
	return 0;
}

double
vl_steer_jain(const uint64_t *x, unsigned int n)
{
	double sum = 0, sum_sq = 0;

	for (unsigned int i = 0; i < n; i++) {
		sum += (double)x[i];
		sum_sq += (double)x[i] * (double)x[i];
	}
	if (n == 0 || sum_sq == 0)
		return 0;
	return sum * sum / ((double)n * sum_sq);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* test_steer.c - the steering audit: header shapes, truncation, tables, hand-over, merge. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vl_steer.h"

/* ---- frame builders ------------------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
eth(struct frame *f, uint16_t type, int vlan)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};

	memset(f, 0, sizeof(*f));
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	f->len = 12;
	if (vlan >= 0) {
		put16(f->b + 12, 0x8100);
		put16(f->b + 14, (uint16_t)(0x2000 | vlan)); /* PCP 1 must not matter */
		f->len = 16;
	}
	put16(f->b + f->len, type);
	f->len += 2;
}

/* IPv4 + TCP (20) or UDP (8) header, payload bytes after; addresses 10.0.0.1 > 10.0.0.2. */
static void
ipv4(struct frame *f, uint8_t proto, uint16_t sport, uint16_t dport, uint32_t payload)
{
	uint8_t *ip = f->b + f->len;
	uint32_t l4_len = proto == 6 ? 20 : proto == 17 ? 8 : 0;

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len + payload));
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	if (l4_len != 0) {
		put16(ip + 20, sport);
		put16(ip + 22, dport);
	}
	f->len += 20 + l4_len + payload;
}

static void
ipv6(struct frame *f, uint8_t nh, uint16_t sport, uint16_t dport, uint32_t payload)
{
	uint8_t *ip = f->b + f->len;
	uint32_t l4_len = nh == 6 ? 20 : nh == 17 ? 8 : 0;

	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(l4_len + payload));
	ip[6] = nh;
	ip[7] = 64;
	ip[8] = 0xfd, ip[23] = 1;
	ip[24] = 0xfd, ip[39] = 2;
	if (l4_len != 0) {
		put16(ip + 40, sport);
		put16(ip + 42, dport);
	}
	f->len += 40 + l4_len + payload;
}

/* Parse from an exact-size heap copy, so that ASan sees any read past the frame. */
static int
parse(const struct frame *f, uint32_t len, struct vl_steer_key *key)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, f->b, len);
	rc = vl_steer_parse(copy, len, len, key);
	free(copy);
	return rc;
}

static void
assert_key_str(const struct vl_steer_key *key, const char *expected)
{
	char buf[VL_STEER_KEY_STRLEN];

	vl_steer_key_format(key, buf, sizeof(buf));
	assert_string_equal(buf, expected);
}

/* ---- parser --------------------------------------------------------------------------------- */

static void
l2_only_frame_keys_on_macs_and_ethertype(void **state)
{
	struct vl_steer_key key;
	struct frame f;

	(void)state;
	eth(&f, 0x88b5, -1);
	f.len = 60; /* ktstr-style raw AF_PACKET frame: no IP at all */
	assert_int_equal(parse(&f, f.len, &key), 0);
	assert_int_equal(key.kind, VL_STEER_L2);
	assert_int_equal(key.ethertype, 0x88b5);
	assert_int_equal(key.vlan, 0);
	assert_key_str(&key, "l2 02:00:00:00:00:01 > 02:00:00:00:00:02 type 0x88b5");
	/* The bare 14-byte header is enough. */
	assert_int_equal(parse(&f, 14, &key), 0);
	/* An 802.3 length field is one flow whatever the length. */
	eth(&f, 46, -1);
	f.len = 60;
	assert_int_equal(parse(&f, f.len, &key), 0);
	assert_int_equal(key.ethertype, 0);
}

static void
ipv4_tcp_and_udp_key_on_addresses_protocol_and_ports(void **state)
{
	struct vl_steer_key tcp, udp, other;
	struct frame f;

	(void)state;
	eth(&f, 0x0800, -1);
	ipv4(&f, 6, 1000, 2000, 10);
	assert_int_equal(parse(&f, f.len, &tcp), 0);
	assert_int_equal(tcp.kind, VL_STEER_IPV4);
	assert_int_equal(tcp.l4_proto, 6);
	assert_int_equal(tcp.src_port, 1000);
	assert_int_equal(tcp.dst_port, 2000);
	assert_key_str(&tcp, "ipv4 tcp 10.0.0.1:1000 > 10.0.0.2:2000");

	eth(&f, 0x0800, -1);
	ipv4(&f, 17, 53, 5353, 0);
	assert_int_equal(parse(&f, f.len, &udp), 0);
	assert_key_str(&udp, "ipv4 udp 10.0.0.1:53 > 10.0.0.2:5353");
	assert_memory_not_equal(&tcp, &udp, sizeof(tcp));

	/* Other protocols: addresses and protocol, no ports. */
	eth(&f, 0x0800, -1);
	ipv4(&f, 1, 0, 0, 8);
	assert_int_equal(parse(&f, f.len, &other), 0);
	assert_key_str(&other, "ipv4 proto 1 10.0.0.1 > 10.0.0.2");
}

static void
ipv4_options_move_the_ports(void **state)
{
	struct vl_steer_key key;
	struct frame f;
	uint8_t *ip;

	(void)state;
	eth(&f, 0x0800, -1);
	ip = f.b + f.len;
	ip[0] = 0x47; /* 28-byte header: 8 bytes of options */
	put16(ip + 2, 28 + 8);
	ip[9] = 17;
	put16(ip + 28, 7);
	put16(ip + 30, 9);
	f.len += 36;
	assert_int_equal(parse(&f, f.len, &key), 0);
	assert_int_equal(key.src_port, 7);
	assert_int_equal(key.dst_port, 9);
}

static void
ipv4_fragments_key_without_ports(void **state)
{
	struct vl_steer_key first, later;
	struct frame f;

	(void)state;
	eth(&f, 0x0800, -1);
	ipv4(&f, 17, 1, 2, 100);
	f.b[14 + 6] = 0x20; /* MF */
	assert_int_equal(parse(&f, f.len, &first), 0);
	assert_int_equal(first.src_port, 0);
	assert_int_equal(first.l4_proto, 17);
	f.b[14 + 6] = 0x00;
	f.b[14 + 7] = 0x10; /* offset 16 * 8 */
	assert_int_equal(parse(&f, f.len, &later), 0);
	assert_memory_equal(&first, &later, sizeof(first));
}

static void
ipv6_tcp_udp_and_extension_headers(void **state)
{
	struct vl_steer_key key, plain;
	struct frame f;
	uint8_t *ip;

	(void)state;
	eth(&f, 0x86dd, -1);
	ipv6(&f, 6, 443, 50000, 0);
	assert_int_equal(parse(&f, f.len, &plain), 0);
	assert_int_equal(plain.kind, VL_STEER_IPV6);
	assert_key_str(&plain, "ipv6 tcp [fd00::1]:443 > [fd00::2]:50000");

	/* Hop-by-hop (8 bytes) then UDP. */
	eth(&f, 0x86dd, -1);
	ip = f.b + f.len;
	ipv6(&f, 0, 0, 0, 16);
	ip[40] = 17; /* next: UDP */
	ip[41] = 0;  /* 8 bytes */
	put16(ip + 48, 123);
	put16(ip + 50, 456);
	assert_int_equal(parse(&f, f.len, &key), 0);
	assert_int_equal(key.l4_proto, 17);
	assert_int_equal(key.src_port, 123);
	assert_int_equal(key.dst_port, 456);

	/* Fragment header with an offset: no ports. */
	eth(&f, 0x86dd, -1);
	ip = f.b + f.len;
	ipv6(&f, 44, 0, 0, 24);
	ip[40] = 17;
	put16(ip + 42, 0x0008); /* offset 1 */
	assert_int_equal(parse(&f, f.len, &key), 0);
	assert_int_equal(key.l4_proto, 17);
	assert_int_equal(key.src_port, 0);

	/* An extension header running past the payload length is malformed. */
	eth(&f, 0x86dd, -1);
	ip = f.b + f.len;
	ipv6(&f, 60, 0, 0, 8);
	ip[40] = 17;
	ip[41] = 3; /* 32 bytes, only 8 in the payload */
	assert_int_equal(parse(&f, f.len, &key), -1);
}

static void
one_vlan_tag_is_part_of_the_key_two_are_unparsed(void **state)
{
	struct vl_steer_key tagged, untagged;
	struct frame f;

	(void)state;
	eth(&f, 0x0800, 7);
	ipv4(&f, 17, 1, 2, 0);
	assert_int_equal(parse(&f, f.len, &tagged), 0);
	assert_int_equal(tagged.vlan, 0x1000 | 7);
	assert_int_equal(tagged.src_port, 1);
	assert_key_str(&tagged, "ipv4 udp 10.0.0.1:1 > 10.0.0.2:2 vlan 7");
	eth(&f, 0x0800, -1);
	ipv4(&f, 17, 1, 2, 0);
	assert_int_equal(parse(&f, f.len, &untagged), 0);
	assert_memory_not_equal(&tagged, &untagged, sizeof(tagged));

	/* VLAN 0 (priority tag) is still tagged, and L2 frames carry the tag too. */
	eth(&f, 0x88b5, 0);
	f.len = 60;
	assert_int_equal(parse(&f, f.len, &tagged), 0);
	assert_int_equal(tagged.vlan, 0x1000);
	assert_int_equal(tagged.ethertype, 0x88b5);

	/* QinQ: a second tag. */
	eth(&f, 0x8100, 7);
	put16(f.b + 18, 0x0800);
	f.len = 60;
	assert_int_equal(parse(&f, f.len, &tagged), -1);
}

/* Every prefix shorter than the headers is unparsed, and read within its length (ASan). */
static void
every_truncation_of_every_shape_is_unparsed(void **state)
{
	struct frame shapes[6];
	uint32_t need[6];
	struct vl_steer_key key;

	(void)state;
	eth(&shapes[0], 0x0800, -1), ipv4(&shapes[0], 6, 1, 2, 0), need[0] = 14 + 20 + 20;
	eth(&shapes[1], 0x0800, 3), ipv4(&shapes[1], 17, 1, 2, 0), need[1] = 18 + 20 + 8;
	eth(&shapes[2], 0x86dd, -1), ipv6(&shapes[2], 6, 1, 2, 0), need[2] = 14 + 40 + 20;
	eth(&shapes[3], 0x86dd, 3), ipv6(&shapes[3], 17, 1, 2, 0), need[3] = 18 + 40 + 8;
	eth(&shapes[4], 0x88b5, -1), need[4] = 14;
	eth(&shapes[5], 0x88b5, 9), need[5] = 18;
	for (unsigned int s = 0; s < 6; s++) {
		assert_int_equal(parse(&shapes[s], need[s], &key), 0);
		for (uint32_t len = 0; len < need[s]; len++)
			if (parse(&shapes[s], len, &key) != -1)
				fail_msg("shape %u cut at %u bytes was parsed", s, len);
	}
}

static void
headers_beyond_the_readable_bytes_are_unparsed(void **state)
{
	struct vl_steer_key key;
	struct frame f;

	(void)state;
	/* The IP header says more than the frame holds. */
	eth(&f, 0x0800, -1);
	ipv4(&f, 17, 1, 2, 10);
	assert_int_equal(vl_steer_parse(f.b, f.len, f.len - 1, &key), -1);
	/* Only part of the frame is readable (headers split across buffers): unparsed, and a
	 * hdr_len larger than the frame is clamped to the frame. */
	assert_int_equal(vl_steer_parse(f.b, 14 + 20 + 2, f.len, &key), -1);
	assert_int_equal(vl_steer_parse(f.b, 200, f.len, &key), 0);
	assert_int_equal(vl_steer_parse(f.b, 200, 20, &key), -1);
}

static void
malformed_ip_headers_are_unparsed(void **state)
{
	struct vl_steer_key key;
	struct frame f;

	(void)state;
	eth(&f, 0x0800, -1);
	ipv4(&f, 6, 1, 2, 0);
	f.b[14] = 0x65; /* version 6 in an IPv4 frame */
	assert_int_equal(parse(&f, f.len, &key), -1);
	f.b[14] = 0x44; /* IHL 4 */
	assert_int_equal(parse(&f, f.len, &key), -1);
	f.b[14] = 0x4f; /* IHL 15: 60 bytes, more than the total length */
	assert_int_equal(parse(&f, f.len, &key), -1);
	f.b[14] = 0x45;
	put16(f.b + 16, 30); /* total length cuts the TCP header */
	assert_int_equal(parse(&f, f.len, &key), -1);

	eth(&f, 0x86dd, -1);
	ipv6(&f, 17, 1, 2, 0);
	f.b[14] = 0x40; /* version 4 in an IPv6 frame */
	assert_int_equal(parse(&f, f.len, &key), -1);
	f.b[14] = 0x60;
	put16(f.b + 18, 200); /* payload longer than the frame */
	assert_int_equal(parse(&f, f.len, &key), -1);
}

static void
endless_ipv6_extension_chain_is_unparsed(void **state)
{
	struct vl_steer_key key;
	struct frame f;
	uint8_t *ip;

	(void)state;
	eth(&f, 0x86dd, -1);
	ip = f.b + f.len;
	ipv6(&f, 60, 0, 0, 9 * 8);
	for (unsigned int i = 0; i < 9; i++)
		ip[40 + i * 8] = 60; /* next: another destination options header */
	assert_int_equal(parse(&f, f.len, &key), -1);
}

/* ---- tables, hand-over, merge --------------------------------------------------------------- */

static void
udp_frame(struct frame *f, uint16_t sport)
{
	eth(f, 0x0800, -1);
	ipv4(f, 17, sport, 9, 18); /* 14 + 20 + 8 + 18 = 60 bytes */
}

/* The owner answers, the main lcore merges: what an interval does. */
static void
interval(struct vl_steer *s, struct vl_steer_qp **qps, unsigned int nb)
{
	for (unsigned int i = 0; i < nb; i++)
		vl_steer_qp_tick(qps[i]);
	vl_steer_collect(s, false);
}

static void
flows_are_counted_per_pair_after_the_hand_over(void **state)
{
	struct vl_steer *s = vl_steer_create();
	struct vl_steer_qp *q;
	struct vl_steer_totals t;
	struct frame f;
	uint64_t frames, unparsed;

	(void)state;
	assert_non_null(s);
	q = vl_steer_qp_add(s, "vhost0", 0, 0);
	assert_non_null(q);
	vl_steer_collect(s, false); /* asks for the first swap */
	for (uint16_t p = 0; p < 10; p++) {
		udp_frame(&f, p);
		for (unsigned int k = 0; k <= p; k++)
			vl_steer_account(q, f.b, f.len, f.len);
	}
	vl_steer_account(q, f.b, 10, 10); /* unparsed */

	/* The owner has not answered: nothing is merged yet, nothing is lost. */
	vl_steer_collect(s, false);
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, 0);
	vl_steer_qp_tick(q);
	vl_steer_collect(s, false);
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, 10);
	assert_int_equal(t.frames, 55);
	assert_int_equal(t.unparsed, 1);
	assert_int_equal(t.flows_multi_queue, 0);
	assert_int_equal(t.flows_dropped, 0);
	vl_steer_qp_counts(s, 0, &frames, &unparsed);
	assert_int_equal(frames, 55);
	assert_int_equal(unparsed, 1);

	/* The same flows again are no new flows; the final collection takes both tables. */
	vl_steer_account(q, f.b, f.len, f.len);
	interval(s, &q, 1);
	vl_steer_account(q, f.b, f.len, f.len);
	vl_steer_collect(s, true);
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, 10);
	assert_int_equal(t.frames, 57);
	vl_steer_destroy(s);
}

/* An owner lcore that keeps polling (answers swaps), on its own thread. */
struct poller {
	struct vl_steer_qp *q;
	int stop;
};

static void *
poller_main(void *arg)
{
	struct poller *p = arg;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
		vl_steer_qp_tick(p->q);
	return NULL;
}

static void
a_concurrent_owner_hands_its_table_over(void **state)
{
	struct vl_steer *s = vl_steer_create();
	struct vl_steer_qp *q = vl_steer_qp_add(s, "vhost0", 0, 0);
	struct poller p = {.q = q};
	struct vl_steer_totals t;
	struct frame f;
	pthread_t th;

	(void)state;
	udp_frame(&f, 3);
	vl_steer_account(q, f.b, f.len, f.len); /* before the owner runs: tables[0] */
	assert_int_equal(pthread_create(&th, NULL, poller_main, &p), 0);
	/* Each collection waits 2 ms for the owner; a loaded machine may not run it that soon. */
	for (unsigned int i = 0; i < 2500; i++) { /* 5 s at most */
		vl_steer_collect(s, false);
		vl_steer_totals(s, &t);
		if (t.flows != 0)
			break;
	}
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	vl_steer_account(q, f.b, f.len, f.len); /* the owner's again: merged at the end */
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, 1);
	assert_int_equal(t.frames, 1);
	vl_steer_collect(s, true);
	vl_steer_totals(s, &t);
	assert_int_equal(t.frames, 2);
	vl_steer_destroy(s);
}

static void
a_flow_on_two_pairs_is_reported_with_its_queues(void **state)
{
	struct vl_steer *s = vl_steer_create();
	struct vl_steer_qp *q[4];
	struct vl_steer_totals t;
	struct vl_steer_multi m;
	struct frame f;

	(void)state;
	q[0] = vl_steer_qp_add(s, "vhost0", 0, 0);
	q[1] = vl_steer_qp_add(s, "vhost0", 0, 1);
	q[2] = vl_steer_qp_add(s, "vhost0", 0, 2);
	q[3] = vl_steer_qp_add(s, "vhost1", 1, 0); /* another interface: not a violation */
	vl_steer_collect(s, false);
	for (unsigned int p = 0; p < 4; p++) {
		udp_frame(&f, (uint16_t)(100 + p)); /* one flow of its own per pair */
		vl_steer_account(q[p], f.b, f.len, f.len);
		udp_frame(&f, 1); /* and one flow that every pair carries */
		vl_steer_account(q[p], f.b, f.len, f.len);
	}
	udp_frame(&f, 7); /* a flow that moves from qp 2 to qp 1 in the next interval */
	vl_steer_account(q[2], f.b, f.len, f.len);
	interval(s, q, 4);
	vl_steer_account(q[1], f.b, f.len, f.len);
	interval(s, q, 4);
	interval(s, q, 4);

	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, 4 + 1 + 1 + 1); /* own, shared on vhost0, vhost1's, moved */
	assert_int_equal(t.flows_multi_queue, 2);
	assert_int_equal(vl_steer_multi_get(s, 0, &m), 0);
	assert_string_equal(m.iface, "vhost0");
	assert_int_equal(m.key.src_port, 1);
	assert_int_equal(m.nb_qps, 3);
	assert_int_equal(m.qps[0], 0);
	assert_int_equal(m.qps[1], 1);
	assert_int_equal(m.qps[2], 2);
	assert_int_equal(m.frames, 3);
	assert_int_equal(vl_steer_multi_get(s, 1, &m), 0);
	assert_int_equal(m.key.src_port, 7);
	assert_int_equal(m.nb_qps, 2);
	assert_int_equal(m.qps[0], 1); /* found on 2 first, reported ascending */
	assert_int_equal(m.qps[1], 2);
	assert_int_equal(vl_steer_multi_get(s, 2, &m), -ENOENT);
	vl_steer_destroy(s);
}

static void
a_full_table_counts_flows_dropped_and_never_grows(void **state)
{
	struct vl_steer *s = vl_steer_create();
	struct vl_steer_qp *q = vl_steer_qp_add(s, "vhost0", 0, 0);
	struct vl_steer_totals t;
	struct frame f;

	(void)state;
	vl_steer_collect(s, false);
	udp_frame(&f, 0);
	for (uint32_t i = 0; i < VL_STEER_QP_FLOWS_MAX + 10; i++) {
		put16(f.b + 14 + 12, (uint16_t)(i >> 16)); /* vary the source address and port */
		put16(f.b + 14 + 20, (uint16_t)i);
		vl_steer_account(q, f.b, f.len, f.len);
	}
	/* A known flow still counts when the table is full. */
	put16(f.b + 14 + 12, 0);
	put16(f.b + 14 + 20, 5);
	vl_steer_account(q, f.b, f.len, f.len);
	interval(s, &q, 1);
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows, VL_STEER_QP_FLOWS_MAX);
	assert_int_equal(t.flows_dropped, 10);
	assert_int_equal(t.frames, VL_STEER_QP_FLOWS_MAX + 1);
	/* The next interval starts from an empty table. */
	vl_steer_account(q, f.b, f.len, f.len);
	interval(s, &q, 1);
	interval(s, &q, 1);
	vl_steer_totals(s, &t);
	assert_int_equal(t.flows_dropped, 10);
	assert_int_equal(t.frames, VL_STEER_QP_FLOWS_MAX + 2);
	vl_steer_destroy(s);
}

static void
jain_index_is_one_when_equal_and_one_over_n_when_one_carries_all(void **state)
{
	const uint64_t equal[4] = {5, 5, 5, 5}, one[4] = {0, 9, 0, 0}, zero[3] = {0, 0, 0};
	const uint64_t three_of_four[4] = {10, 10, 10, 0};

	(void)state;
	assert_float_equal(vl_steer_jain(equal, 4), 1.0, 1e-12);
	assert_float_equal(vl_steer_jain(one, 4), 0.25, 1e-12);
	assert_float_equal(vl_steer_jain(three_of_four, 4), 0.75, 1e-12);
	assert_float_equal(vl_steer_jain(zero, 3), 0.0, 0);
	assert_float_equal(vl_steer_jain(NULL, 0), 0.0, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(l2_only_frame_keys_on_macs_and_ethertype),
		cmocka_unit_test(ipv4_tcp_and_udp_key_on_addresses_protocol_and_ports),
		cmocka_unit_test(ipv4_options_move_the_ports),
		cmocka_unit_test(ipv4_fragments_key_without_ports),
		cmocka_unit_test(ipv6_tcp_udp_and_extension_headers),
		cmocka_unit_test(one_vlan_tag_is_part_of_the_key_two_are_unparsed),
		cmocka_unit_test(every_truncation_of_every_shape_is_unparsed),
		cmocka_unit_test(headers_beyond_the_readable_bytes_are_unparsed),
		cmocka_unit_test(malformed_ip_headers_are_unparsed),
		cmocka_unit_test(endless_ipv6_extension_chain_is_unparsed),
		cmocka_unit_test(flows_are_counted_per_pair_after_the_hand_over),
		cmocka_unit_test(a_concurrent_owner_hands_its_table_over),
		cmocka_unit_test(a_flow_on_two_pairs_is_reported_with_its_queues),
		cmocka_unit_test(a_full_table_counts_flows_dropped_and_never_grows),
		cmocka_unit_test(jain_index_is_one_when_equal_and_one_over_n_when_one_carries_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

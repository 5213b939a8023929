/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_frame.c - build, stamp and parse vhostloop-gen frames. Pure C, no EAL. */
#include <errno.h>
#include <string.h>

#include "gen.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "frames are stamped with host stores");

static const uint8_t gen_ip_src[4] = {198, 18, 0, 1}; /* RFC 2544 benchmarking range */
static const uint8_t gen_ip_dst[4] = {198, 18, 0, 2};

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Little-endian, cut after len bytes (a short frame keeps the low bytes of a stamp). */
static void
put_le(uint8_t *p, uint64_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint16_t
ipv4_cksum(const uint8_t *hdr)
{
	uint32_t sum = 0;

	for (unsigned int i = 0; i < 20; i += 2)
		sum += (uint32_t)(hdr[i] << 8 | hdr[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* splitmix64: spreads (qp, seq) so neighbouring frames share no pattern bytes. */
static uint64_t
pattern_seed(uint16_t qp, uint64_t seq)
{
	uint64_t z = ((uint64_t)qp << 48) ^ seq ^ UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return z != 0 ? z : 1; /* xorshift needs a non-zero state */
}

static void
pattern_fill(uint8_t *p, unsigned int len, uint16_t qp, uint64_t seq)
{
	uint64_t x = pattern_seed(qp, seq);

	while (len > 0) {
		unsigned int n = len < 8 ? len : 8;

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		put_le(p, x, n);
		p += n;
		len -= n;
	}
}

/* Bytes of the payload header field at [off, off + size) that fit in a frame of len bytes. */
static unsigned int
field_bytes(uint16_t len, unsigned int off, unsigned int size)
{
	if (len <= off)
		return 0;
	return len - off < size ? len - off : size;
}

static void
payload_hdr_write(uint8_t *buf, uint16_t len, uint16_t qp, uint64_t seq, uint64_t tsc)
{
	uint8_t *h = buf + GEN_HDR_OFF;

	put_le(h, GEN_MAGIC, 4); /* GEN_FRAME_MIN_BYTES keeps magic, qp, size and seq whole */
	put_le(h + 4, qp, 2);
	put_le(h + 6, len, 2);
	put_le(h + 8, seq, 8);
	put_le(h + 16, tsc, field_bytes(len, GEN_TSC_OFF, 8));
}

void
gen_frame_build(uint8_t *buf, uint16_t len, const uint8_t mac[6], uint16_t qp, uint64_t seq,
		uint64_t tsc)
{
	uint8_t *ip = buf + GEN_IP_OFF;
	uint8_t *udp = buf + GEN_UDP_OFF;

	memcpy(buf, mac, 6);
	memcpy(buf + 6, mac, 6);
	put_be16(buf + 12, 0x0800);

	ip[0] = 0x45; /* IPv4, 20-byte header */
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(len - GEN_ETH_HDR_BYTES));
	put_be16(ip + 4, 0);
	put_be16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 17; /* UDP */
	put_be16(ip + 10, 0);
	memcpy(ip + 12, gen_ip_src, 4);
	memcpy(ip + 16, gen_ip_dst, 4);
	put_be16(ip + 10, ipv4_cksum(ip));

	put_be16(udp, (uint16_t)(GEN_UDP_SRC_PORT_BASE + qp));
	put_be16(udp + 2, GEN_UDP_DST_PORT);
	put_be16(udp + 4, (uint16_t)(len - GEN_UDP_OFF));
	put_be16(udp + 6, 0); /* no checksum: the pattern is checked byte by byte anyway */

	payload_hdr_write(buf, len, qp, seq, tsc);
	if (len > GEN_PATTERN_OFF)
		pattern_fill(buf + GEN_PATTERN_OFF, len - GEN_PATTERN_OFF, qp, seq);
}

/*
 * Perf mode's per-frame cost: whole-field stores (one 8-byte store each for seq and a whole tsc)
 * instead of the byte loop of payload_hdr_write; magic and size stay from gen_frame_build().
 * The layout is little-endian by definition and so is every host this runs on (x86).
 */
void
gen_frame_stamp(uint8_t *buf, uint16_t len, uint16_t qp, uint64_t seq, uint64_t tsc)
{
	uint8_t *h = buf + GEN_HDR_OFF;
	unsigned int tsc_bytes = field_bytes(len, GEN_TSC_OFF, 8);

	put_be16(buf + GEN_UDP_OFF, (uint16_t)(GEN_UDP_SRC_PORT_BASE + qp));
	memcpy(h + 4, &qp, 2);
	memcpy(h + 8, &seq, 8);
	if (tsc_bytes == 8)
		memcpy(h + 16, &tsc, 8);
	else
		put_le(h + 16, tsc, tsc_bytes);
}

int
gen_frame_parse(const uint8_t *hdr, unsigned int hdr_len, unsigned int frame_len,
		struct gen_frame_info *info)
{
	const uint8_t *h = hdr + GEN_HDR_OFF;

	if (frame_len < GEN_TSC_OFF || hdr_len < GEN_TSC_OFF)
		return -EINVAL;
	if (get_le(h, 4) != GEN_MAGIC)
		return -EINVAL;
	info->udp_src_port = (uint16_t)(hdr[GEN_UDP_OFF] << 8 | hdr[GEN_UDP_OFF + 1]);
	info->qp = (uint16_t)get_le(h + 4, 2);
	info->size_bytes = (uint16_t)get_le(h + 6, 2);
	info->seq = get_le(h + 8, 8);
	info->tsc_bytes =
		field_bytes((uint16_t)(frame_len < hdr_len ? frame_len : hdr_len), GEN_TSC_OFF, 8);
	info->tsc = get_le(h + 16, info->tsc_bytes);
	return 0;
}

uint64_t
gen_tsc_delta(uint64_t now_tsc, uint64_t stamp_tsc, unsigned int stamp_bytes)
{
	uint64_t mask = stamp_bytes >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * stamp_bytes)) - 1;

	return (now_tsc - stamp_tsc) & mask;
}

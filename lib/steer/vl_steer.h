/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_steer.h - the steering audit: which flows each queue pair carried, and which flows were seen
 * on more than one queue pair of an interface (a guest whose RSS/XPS/RPS moved or split a flow).
 *
 *   owner lcore, per frame:  vl_steer_account()  -> the pair's bounded flow table
 *   owner lcore, per poll:   vl_steer_qp_tick()  -> answers the main lcore's table swap
 *   main lcore, per interval and at exit: vl_steer_collect() -> merged view, vl_steer_* readers
 *
 * Pure C: no EAL, nothing allocated on the datapath. Each pair has two flow tables; the owner
 * writes one while the main lcore reads and clears the other (see vl_steer.c, "Lock-free read").
 */
#ifndef VL_STEER_H
#define VL_STEER_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the flow key ---------------------------------------------------------------------------- */

enum vl_steer_kind {
	VL_STEER_NONE = 0, /* an empty table slot */
	VL_STEER_L2,	   /* no IP: source MAC, destination MAC, EtherType (ARP, 0x88B5, ...) */
	VL_STEER_IPV4,	   /* addresses, protocol, and TCP/UDP ports unless a fragment */
	VL_STEER_IPV6,
};

/* 44 bytes, no padding holes (it is hashed and compared as bytes); zero what is not used. */
struct vl_steer_key {
	uint8_t kind;	    /* enum vl_steer_kind */
	uint8_t l4_proto;   /* IP protocol / IPv6 upper-layer header; 0 for L2 */
	uint16_t ethertype; /* after the VLAN tag, host order; 0 for an 802.3 length field */
	uint16_t vlan;	    /* 0x1000 | VLAN ID when tagged, 0 when not */
	uint16_t src_port;  /* TCP/UDP, host order; 0 when none or a fragment */
	uint16_t dst_port;
	uint16_t reserved;
	union {
		struct {
			uint8_t src[6];
			uint8_t dst[6];
		} mac;
		struct {
			uint8_t src[16]; /* IPv4: the first 4 bytes */
			uint8_t dst[16];
		} ip;
	} addr;
};

/* Bytes of a frame the parser may look at: Ethernet + VLAN + IPv6 + a few extension headers. */
#define VL_STEER_HDR_MAX 128

/*
 * The flow of a frame. hdr holds the first hdr_len bytes of the frame (hdr_len <= the frame's
 * length); frame_len is the whole frame's length, against which IP lengths are checked. Reads
 * nothing at or past hdr[hdr_len]. Returns 0, or -1 for a frame too short for its headers or
 * with malformed ones (counted as unparsed): no Ethernet header, a second VLAN tag, a bad IP
 * version/header length, an IP length longer than the frame, a TCP/UDP header cut short, IPv6
 * extension headers beyond VL_STEER_HDR_MAX.
 */
int vl_steer_parse(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len,
		   struct vl_steer_key *key);

/* "ipv4 tcp 10.0.0.1:1000 > 10.0.0.2:2000", "l2 02:..:01 > 02:..:02 type 0x88b5 vlan 7", ... */
#define VL_STEER_KEY_STRLEN 128
void vl_steer_key_format(const struct vl_steer_key *key, char *buf, unsigned int len);

/* ---- per queue pair (the owner lcore) ---------------------------------------------------------
 */

/* Flows one pair's table holds between two collections; more count as flows_dropped. */
#define VL_STEER_QP_FLOWS_MAX 65536
/* Flows the merged view holds over the whole run; more count as flows_dropped. */
#define VL_STEER_MERGED_FLOWS_MAX 262144
/* Queue pairs one merged flow remembers; its count of pairs saturates there. */
#define VL_STEER_FLOW_QPS_MAX 8u
/* Queue pairs of one audit. */
#define VL_STEER_MAX_QPS 4096

struct vl_steer;
struct vl_steer_qp;

/*
 * Account one frame on its pair's table: hdr_len bytes are readable at frame (the start of the
 * frame, contiguous; may be fewer than frame_len), frame_len is the frame's length. The bytes
 * are copied once (up to VL_STEER_HDR_MAX) before they are parsed: guest memory may change
 * under us. Owner lcore only.
 */
void vl_steer_account(struct vl_steer_qp *sq, const uint8_t *frame, uint32_t hdr_len,
		      uint32_t frame_len);

/* Answer a pending table swap (a load and a compare when none is). Owner lcore, every poll. */
void vl_steer_qp_tick(struct vl_steer_qp *sq);

/* ---- the audit (main lcore) -------------------------------------------------------------------
 */

/* NULL on -ENOMEM. Tables are reserved, not touched: their pages are placed when first written,
 * by the owner lcore (first-touch), i.e. on the owner's NUMA node. */
struct vl_steer *vl_steer_create(void);
void vl_steer_destroy(struct vl_steer *s);

/* A queue pair of interface iface_idx (named iface, which must outlive s). NULL on -ENOMEM or
 * more than VL_STEER_MAX_QPS pairs. Before the owners start. Pair index = order of adding. */
struct vl_steer_qp *vl_steer_qp_add(struct vl_steer *s, const char *iface, uint16_t iface_idx,
				    uint16_t qp);

/*
 * Ask the owners to hand their tables over, wait up to 2 ms for them and merge what they handed
 * over. A pair whose owner does not answer in time (not polling it) is merged at a later call.
 * final: the owners have stopped for good; merge everything either table holds.
 */
void vl_steer_collect(struct vl_steer *s, bool final);

/* Counters of the merged view. */
struct vl_steer_totals {
	uint64_t flows;		    /* distinct (interface, flow) */
	uint64_t flows_multi_queue; /* of which seen on more than one queue pair */
	uint64_t unparsed;	    /* frames with truncated or malformed headers */
	uint64_t flows_dropped;	    /* frames of flows that found a table full (not tracked) */
	uint64_t frames;	    /* frames accounted to a flow */
};
void vl_steer_totals(const struct vl_steer *s, struct vl_steer_totals *t);

/* Per pair: frames and unparsed frames merged so far. */
unsigned int vl_steer_nb_qps(const struct vl_steer *s);
void vl_steer_qp_counts(const struct vl_steer *s, unsigned int pair, uint64_t *frames,
			uint64_t *unparsed);
void vl_steer_qp_name(const struct vl_steer *s, unsigned int pair, const char **iface,
		      uint16_t *qp);

/* The i-th flow seen on more than one queue pair (flows in the order they were found),
 * i < min(flows_multi_queue, VL_STEER_MULTI_LIST_MAX). */
#define VL_STEER_MULTI_LIST_MAX 1024
struct vl_steer_multi {
	struct vl_steer_key key;
	const char *iface;
	uint64_t frames;
	uint64_t bytes;
	unsigned int nb_qps;		     /* distinct queue pairs, exact up to the MAX */
	uint16_t qps[VL_STEER_FLOW_QPS_MAX]; /* the first min(nb_qps, MAX) found, ascending */
};
int vl_steer_multi_get(const struct vl_steer *s, unsigned int i, struct vl_steer_multi *out);

/* Jain's fairness index (sum x)^2 / (n * sum x^2) of n values: 1 when equal, 1/n when one carries
 * everything. 0 when n is 0 or every value is 0 (nothing to judge). */
double vl_steer_jain(const uint64_t *x, unsigned int n);

#endif /* VL_STEER_H */

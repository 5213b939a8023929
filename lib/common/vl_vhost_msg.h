/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_vhost_msg.h - one table of the vhost-user front-end messages (vhost-user spec numbering) and
 * what the engine needs to know of each: its name, whether it can move what a polling lcore
 * reads (rings, guest memory, the dirty log, call/kick fds, features), and where a per-vring
 * message carries its vring index. lib/dev and the test frontend (vl_fake_guest) both use it.
 * Pure C, no DPDK.
 */
#ifndef VL_VHOST_MSG_H
#define VL_VHOST_MSG_H

#include <stdbool.h>
#include <stdint.h>

/* Where the vring index of a message is. */
enum vl_vhost_msg_idx {
	VL_MSG_IDX_NONE,  /* not a per-vring message */
	VL_MSG_IDX_STATE, /* payload.state.index (also the first field of vring addresses) */
	VL_MSG_IDX_U64,	  /* bits 0-7 of the u64 payload (kick/call/err: bit 8 = no fd) */
};

/* X(id, NAME, moves_rings, vring index) */
#define VL_VHOST_USER_MSGS(X)                                \
	X(1, GET_FEATURES, false, VL_MSG_IDX_NONE)           \
	X(2, SET_FEATURES, true, VL_MSG_IDX_NONE)            \
	X(3, SET_OWNER, false, VL_MSG_IDX_NONE)              \
	X(4, RESET_OWNER, false, VL_MSG_IDX_NONE)            \
	X(5, SET_MEM_TABLE, true, VL_MSG_IDX_NONE)           \
	X(6, SET_LOG_BASE, true, VL_MSG_IDX_NONE)            \
	X(7, SET_LOG_FD, false, VL_MSG_IDX_NONE)             \
	X(8, SET_VRING_NUM, true, VL_MSG_IDX_STATE)          \
	X(9, SET_VRING_ADDR, true, VL_MSG_IDX_STATE)         \
	X(10, SET_VRING_BASE, true, VL_MSG_IDX_STATE)        \
	X(11, GET_VRING_BASE, false, VL_MSG_IDX_STATE)       \
	X(12, SET_VRING_KICK, true, VL_MSG_IDX_U64)          \
	X(13, SET_VRING_CALL, true, VL_MSG_IDX_U64)          \
	X(14, SET_VRING_ERR, true, VL_MSG_IDX_U64)           \
	X(15, GET_PROTOCOL_FEATURES, false, VL_MSG_IDX_NONE) \
	X(16, SET_PROTOCOL_FEATURES, false, VL_MSG_IDX_NONE) \
	X(17, GET_QUEUE_NUM, false, VL_MSG_IDX_NONE)         \
	X(18, SET_VRING_ENABLE, false, VL_MSG_IDX_STATE)     \
	X(19, SEND_RARP, false, VL_MSG_IDX_NONE)             \
	X(20, NET_SET_MTU, false, VL_MSG_IDX_NONE)           \
	X(21, SET_BACKEND_REQ_FD, false, VL_MSG_IDX_NONE)    \
	X(22, IOTLB_MSG, false, VL_MSG_IDX_NONE)             \
	X(23, SET_VRING_ENDIAN, false, VL_MSG_IDX_NONE)      \
	X(24, GET_CONFIG, false, VL_MSG_IDX_NONE)            \
	X(25, SET_CONFIG, false, VL_MSG_IDX_NONE)            \
	X(28, POSTCOPY_ADVISE, false, VL_MSG_IDX_NONE)       \
	X(29, POSTCOPY_LISTEN, false, VL_MSG_IDX_NONE)       \
	X(30, POSTCOPY_END, false, VL_MSG_IDX_NONE)          \
	X(31, GET_INFLIGHT_FD, false, VL_MSG_IDX_NONE)       \
	X(32, SET_INFLIGHT_FD, true, VL_MSG_IDX_NONE)        \
	X(34, RESET_DEVICE, false, VL_MSG_IDX_NONE)          \
	X(36, GET_MAX_MEM_SLOTS, false, VL_MSG_IDX_NONE)     \
	X(37, ADD_MEM_REG, false, VL_MSG_IDX_NONE)           \
	X(38, REM_MEM_REG, false, VL_MSG_IDX_NONE)           \
	X(39, SET_STATUS, false, VL_MSG_IDX_NONE)            \
	X(40, GET_STATUS, false, VL_MSG_IDX_NONE)

enum vl_vhost_msg_id {
#define VL_MSG_ENUM(id, name, moves, idx) VL_VHOST_USER_##name = id,
	VL_VHOST_USER_MSGS(VL_MSG_ENUM)
#undef VL_MSG_ENUM
};

/* The message's name ("SET_MEM_TABLE"), or NULL for a number the table does not know. */
static inline const char *
vl_vhost_msg_name(uint32_t id)
{
	switch (id) {
#define VL_MSG_NAME(id, name, moves, idx) \
	case id:                          \
		return #name;
		VL_VHOST_USER_MSGS(VL_MSG_NAME)
#undef VL_MSG_NAME
	}
	return NULL;
}

/* Whether a polling lcore must be stopped before the library handles the message. */
static inline bool
vl_vhost_msg_moves_rings(uint32_t id)
{
	switch (id) {
#define VL_MSG_MOVES(id, name, moves, idx) \
	case id:                           \
		return moves;
		VL_VHOST_USER_MSGS(VL_MSG_MOVES)
#undef VL_MSG_MOVES
	}
	return false;
}

static inline enum vl_vhost_msg_idx
vl_vhost_msg_idx_kind(uint32_t id)
{
	switch (id) {
#define VL_MSG_IDX(id, name, moves, idx) \
	case id:                         \
		return idx;
		VL_VHOST_USER_MSGS(VL_MSG_IDX)
#undef VL_MSG_IDX
	}
	return VL_MSG_IDX_NONE;
}

#endif /* VL_VHOST_MSG_H */

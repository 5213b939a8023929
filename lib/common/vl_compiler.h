/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_compiler.h - tiny helpers shared by every module; no EAL, no DPDK. */
#ifndef VL_COMPILER_H
#define VL_COMPILER_H

#include <stddef.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define VL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Guest TX/RX virtqueue numbers of queue pair qp (virtio-net: RX = 2i, TX = 2i + 1). */
#define VL_RXQ(qp) ((uint16_t)((qp)*2))
#define VL_TXQ(qp) ((uint16_t)((qp)*2 + 1))

/* librte_vhost 22.11 serves at most this many queue pairs (VHOST_MAX_QUEUE_PAIRS). */
#define VL_VHOST_MAX_QUEUE_PAIRS 128

#endif /* VL_COMPILER_H */

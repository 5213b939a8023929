#!/usr/bin/env python3
# Seeds for fuzz_vring_packed: small valid inputs in the input format the target reads (see its
# LLVMFuzzerTestOneInput). Usage: tests/fuzz/mkcorpus_vring_packed.py tests/fuzz/corpus-vring_packed
import struct, os, sys
OUT = sys.argv[1]
AVAIL, USED, NEXT, WRITE, INDIRECT = 1 << 7, 1 << 15, 1, 2, 4

def desc(addr, ln, did, flags=0, ctl=0):
    return struct.pack("<BQIHH", ctl, addr, ln, did, flags)

RESUMED, REJECTS = 1 << 5, 1 << 6  # features: used bases from the input; init's refusals

class Seed:
    # used: (tx_used_base, rx_used_base) with RESUMED; rejects: two (how, v, avail, used) with
    # REJECTS (the target's check_init_rejects, TX then RX).
    def __init__(s, features, tx_size, rx_size, tx_base, rx_base, region_len, used=None, rejects=()):
        s.b = bytearray(struct.pack("<BBBHH", features, tx_size - 1, rx_size - 1, tx_base, rx_base))
        if features & RESUMED:
            s.b += struct.pack("<HH", *used)
        s.b += struct.pack("<B", 0)
        s.b += struct.pack("<HB", region_len - 1, 0)
        for r in rejects if features & REJECTS else ():
            s.b += struct.pack("<BHHH", *r)
        s.region = bytearray(region_len)
    def mem(s, off, data):
        s.region[off:off + len(data)] = data
    def done_header(s):
        s.b += s.region
    def post(s, descs, drv_flags, off_wrap=0):
        s.b += struct.pack("<B", len(descs)) + b"".join(descs) + struct.pack("<BH", drv_flags, off_wrap)
    def burst(s, tx, rx, ctl, max_burst=32, tx_drv=1):
        s.post(tx, tx_drv)
        s.post(rx, 0)
        s.b += struct.pack("<BB", ctl, max_burst - 1)

def frame(hdr, n, seed):
    return bytes(hdr) + bytes((seed * 31 + i * 7) & 0xff for i in range(n))

seeds = {}
HOLD = 0  # features bit 7: unused by the target

# 1. one descriptor per frame (header + frame), 12-byte header, the TX driver polling (DISABLE):
# two bursts, an empty poll, another burst.
s = Seed(HOLD | 8 | 1, 8, 8, 0x8000, 0x8000, 4096)
for k in range(8):
    s.mem(k * 128, frame(b"\0" * 12, 60, k))
s.done_header()
s.burst([desc(k * 128, 72, k) for k in range(3)], [desc(2048 + k * 256, 256, k, WRITE) for k in range(3)], 0)
s.burst([desc(384 + k * 128, 72, 3 + k) for k in range(2)], [desc(2048 + (3 + k) * 256, 256, 3 + k, WRITE) for k in range(2)], 0)
s.burst([], [], 0)
s.burst([desc(k * 128, 72, 5 + k) for k in range(3)], [desc(2048 + k * 256, 256, 5 + k, WRITE) for k in range(3)], 0)
seeds["single-desc"] = s

# 2. header alone, then the frame (NEXT), 10-byte header, no hold, ring of 5 crossing the end.
s = Seed(0, 5, 5, 0x8003, 0x8003, 4096)
for k in range(4):
    s.mem(k * 128, bytes(10)); s.mem(k * 128 + 16, frame(b"", 100, k))
s.done_header()
tx = []
for k in range(2):
    tx += [desc(k * 128, 10, k, NEXT), desc(k * 128 + 16, 100, k)]
s.burst(tx, [desc(2048 + k * 256, 256, k, WRITE) for k in range(2)], 0)
s.burst([desc(256, 10, 2, NEXT), desc(256 + 16, 100, 2)], [desc(2048 + 512, 256, 2, WRITE)], 0)
s.burst([], [], 0)
s.burst([], [], 0)
seeds["hdr-split-wrap"] = s

# 3. indirect tables (header + frame) on TX, indirect on RX.
s = Seed(HOLD | 8 | 4, 8, 8, 0x8000, 0x8000, 4096)
for k in range(3):
    s.mem(k * 256, bytes(12)); s.mem(k * 256 + 16, frame(b"", 64, k))
    s.mem(1024 + k * 32, struct.pack("<QIHH", 0x10000 + k * 256, 12, 0, 0) + struct.pack("<QIHH", 0x10000 + k * 256 + 16, 64, 0, 0))
    s.mem(1536 + k * 16, struct.pack("<QIHH", 0x10000 + 2048 + k * 256, 256, 0, WRITE))
s.done_header()
s.burst([desc(1024 + k * 32, 32, k, INDIRECT) for k in range(3)], [desc(1536 + k * 16, 16, k, INDIRECT) for k in range(3)], 0)
s.burst([], [], 0)
s.burst([], [], 0)
s.burst([], [], 0)
seeds["indirect"] = s

# 4. IN_ORDER: one used descriptor per TX batch, two bursts, then the sink.
s = Seed(HOLD | 16 | 8 | 1, 16, 16, 0x8000, 0x8000, 4096)
for k in range(8):
    s.mem(k * 128, frame(b"\0" * 12, 50, k))
s.done_header()
s.burst([desc(k * 128, 62, k) for k in range(4)], [desc(2048 + k * 128, 128, k, WRITE) for k in range(4)], 0)
s.burst([desc(512 + k * 128, 62, 4 + k) for k in range(4)], [desc(2048 + (4 + k) * 128, 128, 4 + k, WRITE) for k in range(4)], 0)
s.burst([desc(k * 128, 62, 8 + k) for k in range(2)], [], 1)
s.burst([], [], 0)
seeds["in-order"] = s

# 5. mergeable: one 600-byte frame over tiny RX buffers (5 each), driver event ENABLE then DESC.
s = Seed(HOLD | 8 | 1, 8, 16, 0x8000, 0x8000, 4096)
s.mem(0, frame(b"\0" * 12, 600, 1))
s.done_header()
s.burst([desc(0, 612, 0)], [desc(1024 + k * 128, 128, k, WRITE) for k in range(6)], 0, tx_drv=0)
s.burst([desc(0, 612, 1)], [desc(1024 + k * 128, 128, 6 + k, WRITE) for k in range(6)], 0, tx_drv=2)
s.burst([], [], 0)
s.burst([], [], 0)
seeds["mrg-tiny-bufs"] = s

# 6. a ring resumed after a stop: 4 buffers in flight on both rings (used cursors 4 slots behind
# the avail ones, across the wrap: avail slot 2 in phase 0, used slot 6 in phase 1), one burst
# that wraps; init first refuses an avail slot beyond the ring (TX) and a NULL driver area (RX).
s = Seed(RESUMED | REJECTS | 8 | 1, 8, 8, 0x0002, 0x0002, 4096, used=(0x8006, 0x8006),
         rejects=((0, 100, 0x0002, 0x8006), (5, 0, 0x0002, 0x8006)))
for k in range(8):
    s.mem(k * 128, frame(b"\0" * 12, 60, k))
s.done_header()
s.burst([desc(k * 128, 72, k) for k in range(4)], [desc(2048 + k * 256, 256, k, WRITE) for k in range(4)], 0)
s.burst([desc(512 + k * 128, 72, 4 + k) for k in range(3)], [desc(2048 + (4 + k) * 256, 256, 4 + k, WRITE) for k in range(3)], 0)
s.burst([], [], 0)
s.burst([], [], 0)
seeds["resumed-in-flight"] = s

os.makedirs(OUT, exist_ok=True)
for name, s in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(s.b)
    print(name, len(s.b))

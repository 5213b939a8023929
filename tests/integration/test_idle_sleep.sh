#!/bin/bash
# --idle-sleep-us: an idle engine sleeps (CPU from /proc, against the same engine always polling),
# a woken one loops every frame (split and packed, check mode and a low fixed rate), a lone frame
# after a long sleep comes back (also after a new memory table, a new kick fd, a vring disabled
# and enabled while asleep; with and without EVENT_IDX), and a disconnect or SIGINT while asleep
# is served at once.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"
HZ=$(getconf CLK_TCK)
sock=$VL_TMP/idle.sock

# cpu_ticks PID: user + system time of the whole process, in clock ticks (/proc/PID/stat 14, 15;
# the command name has no blank).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start_engine NAME [args...]: engine with one poller (lcore 1), JSON lines in NAME.jsonl.
start_engine() {
	local name=$1
	shift
	vl_engine_start "$VL_TMP/$name.log" --socket "$sock" --stats-file "$VL_TMP/$name.jsonl" "$@"
	vl_wait_socket "$sock" || { cat "$VL_TMP/$name.log"; exit 1; }
}

gen_bg() { # gen_bg LOG [gen options...]: vhostloop-gen in the background, pid in GEN_PID
	local log=$1
	shift
	GEN_PREFIX="vlg-idle-$$-$RANDOM"
	"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "$GEN_PREFIX" \
		--log-level='*:notice' -- "$@" >"$log" 2>&1 &
	GEN_PID=$!
}

# gen LOG [gen options...]: vl_gen with a short leash (a hung engine fails in 30 s, not 120).
gen() {
	local log=$1 prefix="vlg-idle-$$-$RANDOM" rc
	shift
	timeout 30 "$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "$prefix" \
		--log-level='*:notice' -- --connect-timeout 5 "$@" >"$log" 2>&1
	rc=$?
	rm -rf "/var/run/dpdk/$prefix"
	return $rc
}

started() { [ "$(grep -c 'guest started' "$1")" -ge "$2" ]; }
stopped() { [ "$(grep -c 'guest stopped' "$1")" -ge "$2" ]; }

# busy_percent NAME: the engine's CPU use over 3 s while a connected generator sends nothing.
busy_percent() {
	local name=$1 a b
	shift
	start_engine "$name" "$@"
	gen_bg "$VL_TMP/$name-gen.log" --socket "$sock" --mode perf --idle-qp 0 --warmup 0 \
		--duration 30
	vl_wait_for 15 started "$VL_TMP/$name.log" 1 || { vl_fail "$name: no guest start"; return; }
	# The measurement window (not a synchronisation): 3 s of a silent, connected guest.
	a=$(cpu_ticks "$VL_ENGINE_PID")
	sleep 3
	b=$(cpu_ticks "$VL_ENGINE_PID")
	kill -KILL "$GEN_PID" 2>/dev/null
	wait "$GEN_PID" 2>/dev/null
	rm -rf "/var/run/dpdk/$GEN_PREFIX"
	vl_wait_for 5 stopped "$VL_TMP/$name.log" 1 ||
		vl_fail "$name: the engine did not notice the generator's death within 5 s"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$name: engine exits 0" "$VL_TMP/$name.log"
	BUSY=$(((b - a) * 100 / (3 * HZ)))
	vl_log "$name: engine used $((b - a)) ticks in 3 s = $BUSY % of a core (HZ $HZ)"
}

# 1. CPU of an idle engine with a connected, silent frontend: sleeping vs always polling.
busy_percent sleep100 --idle-sleep-us 100
if [ "$BUSY" -lt 5 ]; then vl_pass "idle sleep on: $BUSY % of a core (< 5 %)"; else
	vl_fail "idle sleep on: $BUSY % of a core (want < 5 %)"; fi
sleeps=$(vl_snap "$VL_TMP/sleep100.jsonl" idle_sleeps)
[ "$sleeps" != none ] && [ "$sleeps" -ge 1 ] && vl_pass "idle_sleeps counted ($sleeps)" ||
	vl_fail "idle_sleeps $sleeps (want >= 1)"
busy_percent poll
if [ "$BUSY" -ge 50 ]; then vl_pass "always poll: $BUSY % of a core (>= 50 %)"; else
	vl_fail "always poll: $BUSY % of a core (want >= 50 %: the measurement must see polling; other processes share the CPU)"; fi
vl_expect_eq 0 "$(vl_snap "$VL_TMP/poll.jsonl" idle_sleeps)" "always poll: no idle_sleeps"

# 2. A woken engine loops every frame: window 1 (the engine sleeps in gaps of a microsecond),
# then 1000 frames/s for 3 s (each frame after a 1 ms gap), split and packed rings.
start_engine woken --idle-sleep-us 1
for packed in 0 1; do
	gen "$VL_TMP/check$packed.log" --socket "$sock" --frames 3000 --window 1 \
		--sizes 60,1514,9000 --packed $packed
	vl_expect_rc 0 $? "packed=$packed: check mode, window 1: every frame back intact" \
		"$VL_TMP/check$packed.log"
	gen "$VL_TMP/rate$packed.log" --socket "$sock" --packed $packed --mode perf --rate 1000 \
		--warmup 0 --duration 3
	vl_expect_rc 0 $? "packed=$packed: 1000 frames/s for 3 s" "$VL_TMP/rate$packed.log"
	vl_expect_grep "loss 0 \(" "$VL_TMP/rate$packed.log" "packed=$packed: 1000 frames/s: none lost"
done
vl_engine_stop INT
vl_expect_rc 0 $? "woken engine exits 0" "$VL_TMP/woken.log"
wakeups=$(vl_snap "$VL_TMP/woken.jsonl" idle_wakeups)
# 2 x 3000 frames at 1000/s, each after a 1 ms gap: nearly all of them woke the engine.
[ "$wakeups" != none ] && [ "$wakeups" -ge 3000 ] &&
	vl_pass "the frames at 1000/s woke the engine ($wakeups wake-ups counted)" ||
	vl_fail "idle_wakeups $wakeups (want >= 3000: the rate runs must have slept between frames)"
lat=$(vl_snap "$VL_TMP/woken.jsonl" wakeup_latency_cycles)
[ "$lat" != none ] && [ "$lat" -gt 0 ] && vl_pass "wake-up latency counted" ||
	vl_fail "wakeup_latency_cycles $lat"
vl_expect_grep "^idle: vhost0 +0 +[1-9]" "$VL_TMP/woken.log" "exit table has the idle rows"

# 3. Lone frames after long sleeps, messages served while asleep (memory table, kick fd,
# vring enable), with and without EVENT_IDX; then a disconnect and SIGINT while asleep.
start_engine lone --idle-sleep-us 100
for ev in "" --event-idx; do
	timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario idle --rounds 8 --gap-ms 600 $ev \
		>"$VL_TMP/lone-fg.log" 2>&1
	vl_expect_rc 0 $? "lone frames after 600 ms sleeps ${ev:-without EVENT_IDX}: all back" \
		"$VL_TMP/lone-fg.log"
	sed 's/^/#   /' "$VL_TMP/lone-fg.log" | grep -E "round|kicks"
	# It left with its pair disabled and the engine asleep: the disconnect is served at once.
	n=$(grep -c 'frontend connected' "$VL_TMP/lone.log")
	vl_wait_for 2 stopped "$VL_TMP/lone.log" "$n" &&
		vl_pass "disconnect with the pair disabled, engine asleep: served" ||
		vl_fail "disconnect with the pair disabled, engine asleep: no 'guest stopped' in 2 s"
done
gen_bg "$VL_TMP/lone-gen.log" --socket "$sock" --mode perf --idle-qp 0 --warmup 0 --duration 30
vl_wait_for 15 started "$VL_TMP/lone.log" 3 || vl_fail "generator did not start"
t0=$(date +%s%N)
kill -KILL "$GEN_PID"
wait "$GEN_PID" 2>/dev/null
rm -rf "/var/run/dpdk/$GEN_PREFIX"
if vl_wait_for 2 stopped "$VL_TMP/lone.log" 3; then
	vl_pass "frontend killed while the engine sleeps: served in $((($(date +%s%N) - t0) / 1000000)) ms"
else
	vl_fail "frontend killed while the engine sleeps: no 'guest stopped' within 2 s"
fi
timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario loop --frames 2000 >"$VL_TMP/after.log" 2>&1
vl_expect_rc 0 $? "the next frontend loops 2000 frames" "$VL_TMP/after.log"
vl_wait_for 5 stopped "$VL_TMP/lone.log" 4
t0=$(date +%s%N)
vl_engine_stop INT
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
vl_expect_rc 0 $rc "SIGINT while asleep: exit 0" "$VL_TMP/lone.log"
[ "$ms" -lt 2000 ] && vl_pass "SIGINT while asleep: stopped in $ms ms" ||
	vl_fail "SIGINT while asleep: took $ms ms"
sleeps=$(vl_snap "$VL_TMP/lone.jsonl" idle_sleeps)
[ "$sleeps" != none ] && [ "$sleeps" -ge 16 ] && vl_pass "16 lone frames, $sleeps sleeps" ||
	vl_fail "idle_sleeps $sleeps (want >= 16: one before each lone frame)"

# 4. The main lcore polls (-l 0): it sleeps between its housekeeping, frames still come back.
vl_engine_start "$VL_TMP/main.log" -l 0 --no-huge --no-pci --file-prefix "vle-idle-$$" -- \
	--socket "$sock" --idle-sleep-us 100 --stats-interval 1
vl_wait_socket "$sock" || { cat "$VL_TMP/main.log"; exit 1; }
timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario idle --rounds 4 --gap-ms 600 \
	>"$VL_TMP/main-fg.log" 2>&1
vl_expect_rc 0 $? "main lcore poller: lone frames after sleeps all back" "$VL_TMP/main-fg.log"
vl_engine_stop INT
vl_expect_rc 0 $? "main lcore poller: exit 0" "$VL_TMP/main.log"
vl_expect_grep "^vhostloop: .*Mpps" "$VL_TMP/main.log" "main lcore poller: stats lines while it sleeps"
vl_done

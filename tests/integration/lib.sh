#!/bin/bash
# Shared helpers of the integration tests: start/stop the engine, run vhostloop-gen, assert.
# Environment (set by tests/integration/meson.build): VHOSTLOOP, VHOSTLOOP_GEN, VL_SOURCE_ROOT.
set -u

: "${VHOSTLOOP:?path of the vhostloop binary}"
: "${VHOSTLOOP_GEN:?path of the vhostloop-gen binary}"

VL_TMP=$(mktemp -d /tmp/vl-it.XXXXXX)
VL_ENGINE_PID=
VL_ENGINE_PREFIX=
VL_FAILS=0
VL_PASSES=0

# The runtime directory of a DPDK process that could not remove it itself (a signal ended it:
# SIGKILL, an abort): the engine and vhostloop-gen remove their own on every other exit path, and
# tests/run-all.sh fails on any left behind.
vl_rm_rundir() { # vl_rm_rundir PREFIX
	[ -n "$1" ] && rm -rf "/var/run/dpdk/$1"
}

vl_cleanup() {
	if [ -n "$VL_ENGINE_PID" ] && kill -0 "$VL_ENGINE_PID" 2>/dev/null; then
		kill -KILL "$VL_ENGINE_PID" 2>/dev/null
		wait "$VL_ENGINE_PID" 2>/dev/null
		vl_rm_rundir "${VL_ENGINE_PREFIX:-vhostloop-$VL_ENGINE_PID}"
	fi
	rm -rf "$VL_TMP"
}
trap vl_cleanup EXIT

vl_log() { echo "# $*"; }

vl_pass() {
	VL_PASSES=$((VL_PASSES + 1))
	echo "ok - $*"
}

vl_fail() {
	VL_FAILS=$((VL_FAILS + 1))
	echo "not ok - $*"
}

# The machine must have 2 CPUs for one engine poller and one generator poller.
vl_need_cpus() {
	if [ "$(nproc)" -lt 2 ]; then
		echo "SKIP: needs 2 CPUs (one poller each for the engine and the generator), have $(nproc)"
		exit 77
	fi
}

# vl_engine_start LOG [engine args...]: start the engine in the background with its default EAL
# setup (no hugepages, unique file prefix; on 2 CPUs the worker polls CPU 1).
vl_engine_start() {
	local log=$1 a prev=
	shift
	"$VHOSTLOOP" "$@" >"$log" 2>&1 &
	VL_ENGINE_PID=$!
	VL_ENGINE_PREFIX=vhostloop-$VL_ENGINE_PID # the engine's default file prefix
	for a in "$@"; do
		case "$a" in
		--file-prefix=*) VL_ENGINE_PREFIX=${a#--file-prefix=} ;;
		esac
		[ "$prev" = --file-prefix ] && VL_ENGINE_PREFIX=$a
		prev=$a
	done
}

# vl_wait_socket PATH: until a listener is there (10 s).
vl_wait_socket() {
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		kill -0 "$VL_ENGINE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# vl_engine_stop [signal]: stop it, return its exit status.
vl_engine_stop() {
	local sig=${1:-INT} rc
	kill "-$sig" "$VL_ENGINE_PID" 2>/dev/null
	for _ in $(seq 150); do
		kill -0 "$VL_ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$VL_ENGINE_PID" 2>/dev/null; then
		echo "# engine did not stop within 15 s of SIG$sig"
		kill -KILL "$VL_ENGINE_PID"
	fi
	wait "$VL_ENGINE_PID"
	rc=$?
	[ "$rc" -ge 128 ] && vl_rm_rundir "${VL_ENGINE_PREFIX:-vhostloop-$VL_ENGINE_PID}" # killed by a signal: it could not
	VL_ENGINE_PID=
	VL_ENGINE_PREFIX=
	return $rc
}

# vl_gen LOG [gen options...]: run the generator on CPU 0 with its own file prefix (killed if it
# has not stopped 10 s after the 120 s SIGTERM: it may be blocked on an engine that never answers).
# It removes its own runtime directory; if a signal ended it (SIGKILL, an abort), this does.
vl_gen() {
	local log=$1 prefix=vlg-$$-$RANDOM rc
	shift
	timeout -k 10 120 "$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "$prefix" \
		--log-level='*:notice' -- "$@" >"$log" 2>&1
	rc=$?
	[ "$rc" -ge 128 ] && vl_rm_rundir "$prefix"
	return $rc
}

# vl_wait_for SECONDS CMD...: until CMD succeeds (every 0.05 s); 1 if it never did in time.
# The deadline is in microseconds (EPOCHREALTIME, bash 5): bash's SECONDS counts whole seconds of
# the wall clock, so SECONDS + N ran out anywhere between N - 1 and N seconds later.
vl_wait_for() {
	local deadline=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME/[.,]/}" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# vl_snap FILE KEY [IFACE/QP]: KEY of the last snapshot in the engine's JSON-lines --stats-file
# (the engine writes one when it stops): a counter summed over every queue pair, or one pair's
# counter, lcore or state; burst_hist prints its buckets space-separated. Prints "none" and
# returns 1 when the file, the snapshot, the pair or the key is missing.
vl_snap() {
	python3 - "$@" <<'PY'
import json, sys
path, key = sys.argv[1], sys.argv[2]
which = sys.argv[3] if len(sys.argv) > 3 else None
last = None
try:
    with open(path) as f:
        for line in f:
            if line.strip():
                doc = json.loads(line)
                if isinstance(doc, dict) and isinstance(doc.get("queues"), list):
                    last = doc
except (OSError, ValueError) as e:
    print("none")
    print(f"vl_snap: {path}: {e}", file=sys.stderr)
    sys.exit(1)
queues = [] if last is None else last["queues"]
if which is not None:
    queues = [q for q in queues if f"{q.get('interface')}/{q.get('qp')}" == which]
if not queues or any(key not in q for q in queues):
    print("none")
    print(f"vl_snap: {path}: no {key} for {which or 'any queue pair'}", file=sys.stderr)
    sys.exit(1)
vals = [q[key] for q in queues]
if key == "burst_hist":
    print(" ".join(str(sum(col)) for col in zip(*vals)))
elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
    print(sum(vals))
elif len(vals) == 1:
    print(vals[0])
else:
    print("none")
    print(f"vl_snap: {key} is not a number: name one queue pair", file=sys.stderr)
    sys.exit(1)
PY
}

# vl_traffic_seen LOG: vhostloop-gen (--stats-interval) printed a live line with frames back.
vl_traffic_seen() {
	grep -qE '\| total [0-9.]+/[0-9.]*[1-9]' "$1"
}

# vl_expect_eq WANT GOT WHAT: exact equality of two values (numbers or words).
vl_expect_eq() {
	if [ "$1" = "$2" ]; then
		vl_pass "$3 ($2)"
	else
		vl_fail "$3 (got $2, want $1)"
	fi
}

vl_expect_rc() { # vl_expect_rc WANT GOT WHAT [LOG]
	if [ "$1" = "$2" ]; then
		vl_pass "$3"
	else
		vl_fail "$3 (exit $2, want $1)"
		[ -n "${4:-}" ] && sed 's/^/#   /' "$4" | tail -40
	fi
}

vl_expect_grep() { # vl_expect_grep PATTERN FILE WHAT
	if grep -qE -- "$1" "$2"; then
		vl_pass "$3"
	else
		vl_fail "$3 (no /$1/ in $2)"
		sed 's/^/#   /' "$2" | tail -40
	fi
}

vl_done() {
	echo "$VL_PASSES passed, $VL_FAILS failed"
	[ "$VL_FAILS" -eq 0 ]
}

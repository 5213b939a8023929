#!/bin/bash
# Shared helpers of the integration tests: start/stop the engine, run vhostloop-gen, assert.
# Environment (set by tests/integration/meson.build): VHOSTLOOP, VHOSTLOOP_GEN, VL_SOURCE_ROOT.
set -u

: "${VHOSTLOOP:?path of the vhostloop binary}"
: "${VHOSTLOOP_GEN:?path of the vhostloop-gen binary}"

VL_TMP=$(mktemp -d /tmp/vl-it.XXXXXX)
VL_ENGINE_PID=
VL_FAILS=0
VL_PASSES=0

vl_cleanup() {
	if [ -n "$VL_ENGINE_PID" ] && kill -0 "$VL_ENGINE_PID" 2>/dev/null; then
		kill -KILL "$VL_ENGINE_PID" 2>/dev/null
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
	local log=$1
	shift
	"$VHOSTLOOP" "$@" >"$log" 2>&1 &
	VL_ENGINE_PID=$!
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
	VL_ENGINE_PID=
	return $rc
}

# vl_gen LOG [gen options...]: run the generator on CPU 0 with its own file prefix.
vl_gen() {
	local log=$1
	shift
	timeout 120 "$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "vlg-$$-$RANDOM" \
		--log-level='*:notice' -- "$@" >"$log" 2>&1
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

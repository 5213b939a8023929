#!/bin/bash
# The operator surface end to end: EAL options with and without "--" keep the stock-box defaults,
# the runtime directory goes away on every exit path, socket permissions are set before a
# frontend can connect, path errors come before EAL (exit 2, nothing created), --version, and
# QEMU accepts the line --print-frontend qemu prints.
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"

RUNDIR=/var/run/dpdk
[ "$(id -u)" -eq 0 ] || RUNDIR=${XDG_RUNTIME_DIR:-/tmp}/dpdk

# expect_no_rundir PREFIX WHAT
expect_no_rundir() {
	if [ -e "$RUNDIR/$1" ]; then
		vl_fail "$2: $RUNDIR/$1 left behind"
		rm -rf "${RUNDIR:?}/$1"
	else
		vl_pass "$2: no $RUNDIR/$1 left"
	fi
}

# run_engine LOG ARGS...: the engine in the background (VL_ENGINE_PID), stopped later.
run_engine() {
	local log=$1
	shift
	vl_engine_start "$log" "$@"
}

# engine_wait: wait for an engine that stops by itself (--duration); its exit status.
engine_wait() {
	local rc
	wait "$VL_ENGINE_PID"
	rc=$?
	VL_ENGINE_PID=
	return $rc
}

# ---- item 2: EAL options ---------------------------------------------------------------------
timeout 30 "$VHOSTLOOP" --log-level='vhostloop.*:debug' --dump-config >"$VL_TMP/dump" 2>&1
vl_expect_rc 0 $? "--log-level without -- and --dump-config: exit 0" "$VL_TMP/dump"
vl_expect_grep '"queue_pairs": 1' "$VL_TMP/dump" "--log-level without --: the dump is printed"

sock=$VL_TMP/eal.sock
run_engine "$VL_TMP/eal1.log" -l 0 --log-level='vhostloop.*:debug' --socket "$sock" --duration 1
engine_wait
vl_expect_rc 0 $? "EAL options mixed with ours, no --: runs on the defaults (no hugepages)" \
	"$VL_TMP/eal1.log"
vl_expect_grep "listening on $sock" "$VL_TMP/eal1.log" "mixed options: the socket was served"
run_engine "$VL_TMP/eal2.log" -l 0 --log-level='lib.vhost.*:info' -- --socket "$sock" --duration 1
engine_wait
vl_expect_rc 0 $? "EAL options before --: the defaults still apply (no hugepage failure)" \
	"$VL_TMP/eal2.log"
vl_expect_grep "VHOST_CONFIG|vhost-user server: socket created" "$VL_TMP/eal2.log" \
	"a later --log-level overrides the engine's own lib.vhost level"

if [ "$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)" = "0" ]; then
	timeout 30 "$VHOSTLOOP" -l 0 -m 64 --file-prefix "vlop-huge-$$" -- --socket "$sock" \
		>"$VL_TMP/huge.log" 2>&1
	vl_expect_rc 2 $? "a memory option without hugepages: EAL fails, exit 2" "$VL_TMP/huge.log"
	vl_expect_grep "^vhostloop: hint: .*--no-huge" "$VL_TMP/huge.log" "one-line --no-huge hint"
	expect_no_rundir "vlop-huge-$$" "EAL failure"
else
	vl_log "hugepages are set up here: the no-hugepage hint is not exercised"
fi

# ---- item 1: the runtime directory on every exit path -------------------------------------
run_engine "$VL_TMP/int.log" -l 0 --socket "$sock"
vl_wait_socket "$sock" || vl_fail "engine did not listen"
pid=$VL_ENGINE_PID
[ -d "$RUNDIR/vhostloop-$pid" ] && vl_pass "runtime directory exists while running" ||
	vl_fail "no $RUNDIR/vhostloop-$pid while running"
vl_engine_stop INT
vl_expect_rc 0 $? "SIGINT: exit 0" "$VL_TMP/int.log"
expect_no_rundir "vhostloop-$pid" "SIGINT"

run_engine "$VL_TMP/term.log" -l 0 --socket "$sock"
vl_wait_socket "$sock" || vl_fail "engine did not listen"
pid=$VL_ENGINE_PID
vl_engine_stop TERM
vl_expect_rc 0 $? "SIGTERM: exit 0" "$VL_TMP/term.log"
expect_no_rundir "vhostloop-$pid" "SIGTERM"

run_engine "$VL_TMP/dur.log" -l 0 --socket "$sock" --duration 1
pid=$VL_ENGINE_PID
engine_wait
vl_expect_rc 0 $? "--duration: exit 0" "$VL_TMP/dur.log"
expect_no_rundir "vhostloop-$pid" "--duration"

# An error after EAL started: an mbuf pool that does not fit the memory given.
timeout 30 "$VHOSTLOOP" -l 0 --no-huge -m 16 --file-prefix "vlop-late-$$" -- --socket "$sock" \
	--datapath mbuf --mbufs 1000000 >"$VL_TMP/late.log" 2>&1
vl_expect_rc 1 $? "error after EAL init: exit 1" "$VL_TMP/late.log"
vl_expect_grep "cannot create 1000000 mbufs" "$VL_TMP/late.log" "error after EAL init: says why"
expect_no_rundir "vlop-late-$$" "error after EAL init"

# Another process's directory is never touched: an explicit prefix held by a live engine.
run_engine "$VL_TMP/own.log" -l 0 --file-prefix "vlop-own-$$" -- --socket "$sock"
vl_wait_socket "$sock" || vl_fail "engine did not listen"
first=$VL_ENGINE_PID
timeout 30 "$VHOSTLOOP" -l 0 --file-prefix "vlop-own-$$" -- --socket "$VL_TMP/other.sock" \
	>"$VL_TMP/own2.log" 2>&1
vl_expect_rc 2 $? "second primary on a held prefix: EAL refuses" "$VL_TMP/own2.log"
[ -d "$RUNDIR/vlop-own-$$" ] && vl_pass "the holder's runtime directory is left alone" ||
	vl_fail "the second process removed the first one's runtime directory"
VL_ENGINE_PID=$first
vl_engine_stop INT
expect_no_rundir "vlop-own-$$" "holder's own clean stop"

# ---- item 3: socket permissions ----------------------------------------------------------
# Watch the socket from its creation: it is never more open than 0600 before it gets its mode.
psock=$VL_TMP/perm.sock
(
	umask 000
	exec "$VHOSTLOOP" -l 0 -- --socket "$psock" --socket-mode 0640 --socket-group 4242 \
		>"$VL_TMP/perm.log" 2>&1
) &
VL_ENGINE_PID=$!
python3 - "$psock" "$VL_TMP/modes" <<'PY'
import os, stat, sys, time
path, out = sys.argv[1], sys.argv[2]
seen = set()
end = time.time() + 10
while time.time() < end:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        continue
    seen.add("%04o:%d" % (stat.S_IMODE(st.st_mode), st.st_gid))
    if stat.S_IMODE(st.st_mode) == 0o640:
        break
open(out, "w").write(" ".join(sorted(seen)) + "\n")
PY
vl_log "modes seen: $(cat "$VL_TMP/modes")"
if grep -qE '^(0600:[0-9]+ |0640:4242 )*0640:4242 ?$' "$VL_TMP/modes"; then
	vl_pass "--socket-mode 0640 --socket-group 4242 under umask 000: never more open on the way"
else
	vl_fail "socket modes seen under umask 000: $(cat "$VL_TMP/modes")"
fi
vl_engine_stop INT

(
	umask 022
	exec "$VHOSTLOOP" -l 0 -- --socket "$psock" >"$VL_TMP/perm2.log" 2>&1
) &
VL_ENGINE_PID=$!
vl_wait_socket "$psock" || vl_fail "engine did not listen"
# The socket exists from bind on; its mode is final once the engine says it listens.
vl_wait_for 10 grep -q "listening on" "$VL_TMP/perm2.log" || vl_fail "engine never said it listens"
mode=$(stat -c %a "$psock")
[ "$mode" = 660 ] && vl_pass "default socket mode 0660 (umask 022)" || vl_fail "default mode $mode"
vl_engine_stop INT

# ---- item 4: path errors before EAL -------------------------------------------------------
expect_path_error() { # expect_path_error PATTERN WHAT ARGS...
	local pat=$1 what=$2
	shift 2
	timeout 30 "$VHOSTLOOP" "$@" >"$VL_TMP/perr" 2>&1 &
	local pid=$!
	wait $pid
	vl_expect_rc 2 $? "$what: exit 2" "$VL_TMP/perr"
	vl_expect_grep "$pat" "$VL_TMP/perr" "$what: says why"
	if grep -q "^EAL:" "$VL_TMP/perr"; then
		vl_fail "$what: EAL started before the check"
	else
		vl_pass "$what: before EAL"
	fi
	expect_no_rundir "vhostloop-$pid" "$what"
}
expect_path_error "directory .*/missing does not exist" "socket directory missing" \
	--socket "$VL_TMP/missing/a.sock"
touch "$VL_TMP/regular"
expect_path_error "exists and is not a socket" "socket path is a regular file" \
	--socket "$VL_TMP/regular"
mkdir "$VL_TMP/adir"
expect_path_error "is a directory" "socket path is a directory" --socket "$VL_TMP/adir"
run_engine "$VL_TMP/live.log" -l 0 --socket "$sock"
vl_wait_socket "$sock" || vl_fail "engine did not listen"
expect_path_error "in use by a live listener" "socket with a live listener" -l 0 --socket "$sock"
vl_engine_stop INT
expect_path_error "--stats-file .*/nostats/s.jsonl: directory .* does not exist" \
	"--stats-file in a missing directory" --socket "$VL_TMP/s.sock" \
	--stats-file "$VL_TMP/nostats/s.jsonl"
[ -e "$VL_TMP/s.sock" ] && vl_fail "the socket was created before the stats-file check" ||
	vl_pass "--stats-file error: no socket created"

# ---- items 6, 8: notices, --version ------------------------------------------------------
timeout 30 "$VHOSTLOOP" --queue-pairs 300 --dump-config >"$VL_TMP/qp.out" 2>"$VL_TMP/qp.err"
vl_expect_rc 0 $? "--queue-pairs 300 --dump-config: exit 0" "$VL_TMP/qp.err"
vl_expect_grep "queue-pairs 300 clamped to 256" "$VL_TMP/qp.err" "clamp notice names both values"
vl_expect_grep "serves at most 128" "$VL_TMP/qp.err" "note: librte_vhost serves 128"
vl_expect_grep '"queue_pairs": 128' "$VL_TMP/qp.out" "--dump-config shows the 128 served"
timeout 30 "$VHOSTLOOP" --version >"$VL_TMP/ver" 2>&1
vl_expect_rc 0 $? "--version: exit 0" "$VL_TMP/ver"
vl_expect_grep "^vhostloop [0-9]+\.[0-9]+\.[0-9]+ \(DPDK 22\.11" "$VL_TMP/ver" "--version line"
timeout 30 "$VHOSTLOOP" --help >"$VL_TMP/help" 2>&1
if awk 'length > 80 { bad = 1 } END { exit bad }' "$VL_TMP/help"; then
	vl_pass "--help within 80 columns"
else
	vl_fail "--help has lines over 80 columns"
fi

# ---- item 7: QEMU accepts the printed line --------------------------------------------------
QEMU=$(command -v qemu-system-x86_64 || true)
if [ -z "$QEMU" ]; then
	vl_fail "qemu-system-x86_64 is not installed (tests/install-deps.sh installs it)"
else
	# qemu_accepts WHAT ENGINE-ARGS...: the engine serves, QEMU starts stopped (-S) on the
	# printed line and is still up 3 s later (a parse error exits at once).
	qemu_accepts() {
		local what=$1 fe=$2
		shift 2
		"$VHOSTLOOP" "$@" --print-frontend "$fe" >"$VL_TMP/fe.args" 2>"$VL_TMP/fe.notes"
		if grep -q '^#' "$VL_TMP/fe.args"; then
			vl_fail "$what: comments on stdout"
		fi
		run_engine "$VL_TMP/qe.log" -l 0 "$@"
		vl_wait_socket "$sock" || vl_fail "$what: engine did not listen"
		# shellcheck disable=SC2046
		eval "timeout 3 $QEMU -S -display none -nodefaults -monitor none -serial none \
			$(tr -d '\\\n' <"$VL_TMP/fe.args")" >"$VL_TMP/qemu.log" 2>&1
		vl_expect_rc 124 $? "$what: QEMU accepts the printed arguments" "$VL_TMP/qemu.log"
		vl_engine_stop INT
		vl_expect_grep "frontend connected" "$VL_TMP/qe.log" "$what: QEMU connected to the engine"
		vl_expect_rc 0 $? "$what: engine stops cleanly after QEMU went" "$VL_TMP/qe.log"
	}
	qemu_accepts "qemu line" qemu --socket "$sock,queue-pairs=2"
	qemu_accepts "qemu NUMA line (node 0)" qemu,node=0 --socket "$sock"
	( cd "$VL_TMP" && "$VHOSTLOOP" --socket eal.sock --print-frontend qemu 2>/dev/null ) \
		>"$VL_TMP/rel.args"
	vl_expect_grep "path=$VL_TMP/eal.sock,reconnect=1" "$VL_TMP/rel.args" \
		"relative socket path printed absolute, reconnect=1 when QEMU is the client"
fi
vl_done

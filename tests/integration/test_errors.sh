#!/bin/bash
# Bad input is a clear error with exit status 2 - never a crash or a hang: flags, config files,
# socket paths. Also --help, --dump-config and --print-frontend exit 0 without starting EAL.
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"

expect_usage_error() { # expect_usage_error PATTERN WHAT ARGS...
	local pat=$1 what=$2
	shift 2
	timeout 30 "$VHOSTLOOP" "$@" >"$VL_TMP/out" 2>&1
	vl_expect_rc 2 $? "$what: exit 2" "$VL_TMP/out"
	vl_expect_grep "$pat" "$VL_TMP/out" "$what: message"
}

expect_usage_error "--burst.*0.*\[1, 256\]" "burst out of range" --burst 0
expect_usage_error "--bogus" "unknown flag" --bogus
expect_usage_error "--bogus" "unknown flag among EAL options without --" -l 0 --bogus
expect_usage_error "/nonexistent/vl.ini" "missing config file" --config /nonexistent/vl.ini
cat >"$VL_TMP/bad.ini" <<'INI'
[interface vhost0]
socket = /tmp/vl-bad.sock
mac = 01:00:5e:00:00:01
INI
expect_usage_error "bad.ini.*interface vhost0.*mac.*multicast" "multicast MAC in a file" \
	--config "$VL_TMP/bad.ini"
expect_usage_error "directory .*/missing does not exist" "socket in a missing directory" \
	--socket "$VL_TMP/missing/vl.sock"
touch "$VL_TMP/file.sock"
expect_usage_error "exists and is not a socket" "regular file at the socket path" \
	--socket "$VL_TMP/file.sock"

timeout 30 "$VHOSTLOOP" --help >"$VL_TMP/help" 2>&1
vl_expect_rc 0 $? "--help exits 0" "$VL_TMP/help"
vl_expect_grep "--irq-coalesce-usecs" "$VL_TMP/help" "--help documents every option"

timeout 30 "$VHOSTLOOP" --socket "$VL_TMP/a.sock,queue-pairs=4,mac=02:aa:bb:cc:dd:ee" \
	--dump-config >"$VL_TMP/dump.json" 2>&1
vl_expect_rc 0 $? "--dump-config exits 0" "$VL_TMP/dump.json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); i=d["interfaces"][0]; \
	sys.exit(0 if i["mac"]=="02:aa:bb:cc:dd:ee" and i["queue_pairs"]==4 else 1)' \
	"$VL_TMP/dump.json"; then
	vl_pass "--dump-config is JSON with mac and queue_pairs"
else
	vl_fail "--dump-config is not the expected JSON"
fi
timeout 30 "$VHOSTLOOP" --socket "$VL_TMP/a.sock,queue-pairs=4" --print-frontend qemu \
	>"$VL_TMP/fe" 2>&1
vl_expect_rc 0 $? "--print-frontend qemu exits 0" "$VL_TMP/fe"
vl_expect_grep "netdev vhost-user.*queues=4" "$VL_TMP/fe" "qemu frontend has queues=4"

# A runtime failure after EAL start (no memory for the mbuf pool) is exit 1, with the reason.
timeout 30 "$VHOSTLOOP" -l 0 --no-huge -m 64 --no-pci --file-prefix "vle1-$$" -- \
	--datapath mbuf --mbufs 200000 --socket "$VL_TMP/nomem.sock" >"$VL_TMP/nomem.log" 2>&1
vl_expect_rc 1 $? "mbuf pool larger than the memory: exit 1" "$VL_TMP/nomem.log"
vl_expect_grep "cannot create 200000 mbufs" "$VL_TMP/nomem.log" "mbuf pool failure: message"
rm -rf "/var/run/dpdk/vle1-$$"

# A stale socket (nobody listening) is replaced; a live one is refused.
sock=$VL_TMP/stale.sock
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
[ -S "$sock" ] || vl_fail "could not create a stale socket"
vl_engine_start "$VL_TMP/engine.log" -l 0 --no-huge --no-pci --file-prefix "vle-$$" -- \
	--socket "$sock"
vl_wait_for 20 grep -q "removed stale socket" "$VL_TMP/engine.log"
vl_expect_grep "removed stale socket" "$VL_TMP/engine.log" "stale socket replaced"
# The socket is live once the engine accepts a connection on it.
vl_wait_for 20 python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
	"$sock" 2>/dev/null || vl_fail "the engine does not listen on the replaced socket"
timeout 30 "$VHOSTLOOP" -l 0 --no-huge --no-pci --file-prefix "vle2-$$" -- --socket "$sock" \
	>"$VL_TMP/second.log" 2>&1
vl_expect_rc 2 $? "second engine on a live socket: exit 2" "$VL_TMP/second.log"
vl_expect_grep "in use by a live listener" "$VL_TMP/second.log" "second engine says why"
vl_engine_stop INT
vl_expect_rc 0 $? "first engine still stops cleanly" "$VL_TMP/engine.log"
vl_done

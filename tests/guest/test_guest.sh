#!/bin/bash
# Real Linux guest tests: boot a Debian kernel under QEMU with a vhost-user virtio-net NIC on
# the engine, run guest_tool cases inside, parse the "VLGUEST" result lines off the serial
# console. One boot per case group. Usage: test_guest.sh mq|irq|packed|msix|restart|migrate|idle
#
# The guest is built from Debian packages only and cached (VL_GUEST_CACHE, default
# /var/cache/vhostloop-guest, else ~/.cache/vhostloop-guest): the linux-image-*-amd64 that
# linux-image-amd64 depends on (apt-get download + dpkg-deb -x; vmlinuz and the virtio-net
# modules), busybox from busybox-static, guest_tool from this build. Missing host packages
# (qemu-system-x86, busybox-static, cpio) are installed with apt. The msix group also unpacks
# bookworm-backports' QEMU into the cache (never installed): Debian 12's QEMU 7.2 segfaults
# under TCG when a vhost-user NIC uses MSI-X, so with it the NIC runs with vectors=0 (INTx).
#
# Environment (from tests/guest/meson.build): VHOSTLOOP, VL_GUEST_TOOL, VL_GUEST_BUILD.
# Optional: VL_GUEST_ACCEL=tcg|kvm (skip the KVM probe), VL_GUEST_KEEP=1 (keep logs).
set -u

: "${VHOSTLOOP:?path of the vhostloop binary}"
: "${VL_GUEST_TOOL:?path of the static guest_tool}"
: "${VL_GUEST_BUILD:?a build directory for the initramfs}"
GROUP=${1:?usage: test_guest.sh mq|irq|packed|msix|restart|migrate|idle}
HERE=$(cd "$(dirname "$0")" && pwd)

TMP=$(mktemp -d /tmp/vl-guest.XXXXXX)
ENGINE_PID=
QEMU_PID=
FAILS=0
PASSES=0
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo

cleanup() {
	# QEMU_PID is timeout(1) in the foreground mode: it passes TERM on to QEMU.
	# shellcheck disable=SC2086 # one or two PIDs
	[ -n "$QEMU_PID" ] && kill -TERM $QEMU_PID 2>/dev/null
	if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		kill -KILL "$ENGINE_PID" 2>/dev/null
		$SUDO rm -rf "/var/run/dpdk/vhostloop-$ENGINE_PID"
	fi
	if [ "${VL_GUEST_KEEP:-0}" = 1 ]; then
		echo "# logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log() { echo "# $*"; }
pass() {
	PASSES=$((PASSES + 1))
	echo "ok - $*"
}
fail() {
	FAILS=$((FAILS + 1))
	echo "not ok - $*"
}
die() { # setup failures are failures, never a skip
	echo "not ok - setup: $*"
	exit 1
}

# ---- host packages and the cache --------------------------------------------------------------

need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	$SUDO apt-get update -q >/dev/null || return 1
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
}

cache_dir() {
	local d=${VL_GUEST_CACHE:-/var/cache/vhostloop-guest}
	if ! mkdir -p "$d" 2>/dev/null || [ ! -w "$d" ]; then
		d=${XDG_CACHE_HOME:-$HOME/.cache}/vhostloop-guest
		mkdir -p "$d" || return 1
	fi
	echo "$d"
}

# The kernel package linux-image-amd64 points at, e.g. linux-image-6.1.0-57-amd64.
kernel_pkg() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [ -z "$p" ]; then
		$SUDO apt-get update -q >/dev/null
		p=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-/{print $2; exit}')
	fi
	echo "$p"
}

# CACHE/kernel-PKG/{vmlinuz,modules/*.ko,modules/order}: the kernel and the virtio-net modules
# of one package with everything they depend on, in load order.
add_module() { # add_module ROOT OUT NAME
	local f d
	grep -qx "$3" "$2/order" 2>/dev/null && return 0
	f=$(find "$1/lib/modules" -name "$3.ko*" | head -n 1)
	[ -n "$f" ] || return 1
	case "$f" in
	*.xz) xz -dc "$f" >"$2/$3.ko" ;;
	*.zst) zstd -qdc "$f" >"$2/$3.ko" ;;
	*) cp "$f" "$2/$3.ko" ;;
	esac
	for d in $(strings "$2/$3.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$1" "$2" "$d" || return 1
	done
	echo "$3" >>"$2/order"
}

get_kernel() {
	local cache=$1 pkg dir work m
	pkg=$(kernel_pkg)
	[ -n "$pkg" ] || return 1
	dir=$cache/kernel-$pkg
	[ -f "$dir/vmlinuz" ] && [ -f "$dir/modules/order" ] && echo "$dir" && return 0
	work=$(mktemp -d "$cache/.kernel.XXXXXX")
	(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || {
		rm -rf "$work"
		return 1
	}
	dpkg-deb -x "$work"/*.deb "$work/root" || return 1
	mkdir -p "$work/out/modules"
	cp "$work"/root/boot/vmlinuz-* "$work/out/vmlinuz" || return 1
	for m in virtio_pci virtio_net; do
		add_module "$work/root" "$work/out/modules" "$m" || return 1
	done
	rm -rf "$dir"
	mv "$work/out" "$dir" && rm -rf "$work"
	echo "$dir"
}

# bookworm-backports' QEMU unpacked into CACHE/qemu-bpo (never installed). The sources entry is
# derived from the machine's own Debian entry: same URIs, suite bookworm-backports.
get_qemu_bpo() {
	local cache=$1 apt=$1/apt-bpo root=$1/qemu-bpo uri work
	local -a opts
	if [ -x "$root/usr/bin/qemu-system-x86_64" ] &&
		"$root/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1; then
		echo "$root"
		return 0
	fi
	uri=$(awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)/{print u; exit}' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -z "$uri" ] && uri=$(awk '$1=="deb" && $3=="bookworm"{print $2; exit}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	[ -n "$uri" ] || return 1
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/prefs"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
		"$uri" /usr/share/keyrings/debian-archive-keyring.gpg >"$apt/bpo.sources"
	opts=(-o "Dir::Etc::sourcelist=$apt/bpo.sources" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "Dir::Etc::preferencesparts=$apt/prefs")
	apt-get "${opts[@]}" update -q >/dev/null 2>&1 || return 1
	work=$(mktemp -d "$cache/.qemu.XXXXXX")
	(cd "$work" && apt-get "${opts[@]}" download qemu-system-x86 qemu-system-data seabios \
		>/dev/null 2>&1) || {
		rm -rf "$work"
		return 1
	}
	mkdir -p "$work/root"
	for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/root" || return 1; done
	"$work/root/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1 || return 1
	rm -rf "$root"
	mv "$work/root" "$root" && rm -rf "$work"
	echo "$root"
}

# VL_GUEST_BUILD/initramfs.cpio.gz: busybox, guest_tool, /init and the modules.
build_initramfs() {
	local kdir=$1 root=$VL_GUEST_BUILD/initramfs-root out=$VL_GUEST_BUILD/initramfs.cpio.gz
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev"
	cp /bin/busybox "$root/bin/busybox" || return 1
	cp "$VL_GUEST_TOOL" "$root/bin/guest_tool" || return 1
	cp "$HERE/init.sh" "$root/init" && chmod 755 "$root/init"
	cp "$kdir"/modules/*.ko "$kdir/modules/order" "$root/lib/modules/" || return 1
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out" || return 1
	echo "$out"
}

# A small uncompressed cpio archive holding /cases, put before the compressed one: the kernel
# unpacks both (uncompressed archives must come first, like early microcode).
cases_cpio() {
	local dir=$TMP/cases-$1
	mkdir -p "$dir"
	cat >"$dir/cases"
	(cd "$dir" && echo cases | cpio -o -H newc --quiet) >"$TMP/cases-$1.cpio"
	cat "$TMP/cases-$1.cpio" "$INITRAMFS" >"$TMP/initrd-$1"
	echo "$TMP/initrd-$1"
}

# ---- one boot ---------------------------------------------------------------------------------

# The QEMU arguments the engine prints for SOCKET and QP pairs, comment lines stripped and
# shell words split; VEC (if not "keep") replaces vectors= and EXTRA is appended to the NIC.
frontend_args() {
	local qp=$1 sock=$2 vec=$3 extra=$4 eargs=${5:-} text w
	local -a words
	FRONTEND=()
	# shellcheck disable=SC2086 # engine args split on purpose
	text=$("$VHOSTLOOP" --socket "$sock" --queue-pairs "$qp" $eargs --print-frontend qemu) ||
		return 1
	text=$(printf '%s\n' "$text" | grep -v '^[[:space:]]*#' | sed 's/\\$//' | tr '\n' ' ')
	eval "words=($text)" || return 1
	for w in "${words[@]}"; do
		case "$w" in
		virtio-net-pci,*)
			if [ "$vec" != keep ]; then
				w=$(echo "$w" | sed -E 's/,vectors=[0-9]+//')
				w="$w,vectors=$vec"
			fi
			w="$w$extra"
			;;
		esac
		FRONTEND+=("$w")
	done
	printf '%s\n' "${FRONTEND[@]}" | grep -q '^virtio-net-pci,' || return 1
}

# boot NAME QEMU VEC NIC_EXTRA QP "ENGINE ARGS" <cases: runs one guest, leaves NAME.serial.
boot() {
	local name=$1 qemu=$2 vec=$3 extra=$4 qp=$5 eargs=$6 initrd sock=$TMP/$1.sock t0 t1 rc
	local -a qemu_args
	initrd=$(cases_cpio "$name")
	# shellcheck disable=SC2086 # engine args split on purpose
	"$VHOSTLOOP" --socket "$sock" --queue-pairs "$qp" $eargs >"$TMP/$name.engine" 2>&1 &
	ENGINE_PID=$!
	echo "$ENGINE_PID" >"$TMP/$name.engine.pid"
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	if [ ! -S "$sock" ]; then
		fail "$name: engine did not listen on $sock"
		sed 's/^/#   /' "$TMP/$name.engine" | tail -20
		return 1
	fi
	if ! frontend_args "$qp" "$sock" "$vec" "$extra"; then
		fail "$name: --print-frontend qemu gave no usable virtio-net-pci device"
		return 1
	fi
	qemu_args=(-machine "q35,accel=$ACCEL" -nodefaults -no-user-config -display none -smp 1
		-no-reboot -serial "file:$TMP/$name.serial" -kernel "$KDIR/vmlinuz" -initrd "$initrd"
		-append "console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable print-fatal-signals=1"
		"${FRONTEND[@]}")
	[ ${#QEMU_L[@]} -gt 0 ] && qemu_args=("${QEMU_L[@]}" "${qemu_args[@]}")
	log "$name: $qemu ${qemu_args[*]}"
	t0=$(date +%s.%N)
	# The engine's worker polls the last CPU; QEMU's TCG thread gets the first one.
	timeout --foreground 400 taskset -c 0 "$qemu" "${qemu_args[@]}" >"$TMP/$name.qemu" 2>&1 &
	QEMU_PID=$!
	wait "$QEMU_PID"
	rc=$?
	QEMU_PID=
	t1=$(date +%s.%N)
	BOOT_SECONDS=$(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')
	kill -INT "$ENGINE_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$ENGINE_PID" 2>/dev/null
	wait "$ENGINE_PID"
	$SUDO rm -rf "/var/run/dpdk/vhostloop-$ENGINE_PID"
	ENGINE_PID=
	tr -d '\r' <"$TMP/$name.serial" >"$TMP/$name.out" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		fail "$name: QEMU exited $rc after ${BOOT_SECONDS}s"
		sed 's/^/#   qemu: /' "$TMP/$name.qemu" | tail -20
		sed 's/^/#   serial: /' "$TMP/$name.out" | tail -30
		sed 's/^/#   engine: /' "$TMP/$name.engine" | tail -20
		return 1
	fi
	log "$name: QEMU ran ${BOOT_SECONDS}s, $(grep -m1 BOOTED "$TMP/$name.out")"
	grep -a '^VLGUEST' "$TMP/$name.out" | sed 's/^/#   /'
	if grep -aq '^VLGUEST init FAIL' "$TMP/$name.out"; then
		fail "$name: the guest could not load virtio-net"
		return 1
	fi
	if ! grep -aq '^VLGUEST DONE' "$TMP/$name.out"; then
		fail "$name: the guest did not finish its cases"
		sed 's/^/#   serial: /' "$TMP/$name.out" | tail -30
		return 1
	fi
	return 0
}

# start_engine LOG ARGS...: one engine instance in the background (ENGINE_PID).
start_engine() {
	local log=$1
	shift
	"$VHOSTLOOP" "$@" >"$log" 2>&1 &
	ENGINE_PID=$!
}

stop_engine() { # stop_engine SIGNAL
	kill "-$1" "$ENGINE_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$ENGINE_PID" 2>/dev/null
	wait "$ENGINE_PID" 2>/dev/null
	$SUDO rm -rf "/var/run/dpdk/vhostloop-$ENGINE_PID"
	ENGINE_PID=
}

# restart NAME client|server: the guest's soak runs while the engine is stopped (SIGKILL and
# SIGTERM in turn) and started again RESTARTS times. client: QEMU owns the socket (server=on),
# the engine connects with --client; server: the engine listens, QEMU reconnects (reconnect=1).
RESTARTS=10
restart() {
	local name=$1 mode=$2 sock=$TMP/$1.sock eargs="" initrd i sig t0 rc
	local -a qemu_args
	initrd=$(echo "soak soak 2 45" | cases_cpio "$name")
	[ "$mode" = client ] && eargs=--client
	frontend_args 2 "$sock" 0 "" "$eargs" || {
		fail "$name: --print-frontend qemu gave no usable virtio-net-pci device"
		return 1
	}
	if [ "$mode" = server ]; then
		for i in "${!FRONTEND[@]}"; do
			case "${FRONTEND[$i]}" in
			socket,*reconnect=*) ;; # the printer says it already
			socket,*) FRONTEND[$i]="${FRONTEND[$i]},reconnect=1" ;;
			esac
		done
		start_engine "$TMP/$name.engine.0" --socket "$sock" --queue-pairs 2
		for _ in $(seq 100); do
			[ -S "$sock" ] && break
			sleep 0.1
		done
	fi
	qemu_args=(-machine "q35,accel=$ACCEL" -nodefaults -no-user-config -display none -smp 1
		-no-reboot -serial "file:$TMP/$name.serial" -kernel "$KDIR/vmlinuz" -initrd "$initrd"
		-append "console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable print-fatal-signals=1" "${FRONTEND[@]}")
	log "$name: $QEMU ${qemu_args[*]}"
	timeout --foreground 300 taskset -c 0 "$QEMU" "${qemu_args[@]}" >"$TMP/$name.qemu" 2>&1 &
	QEMU_PID=$!
	if [ "$mode" = client ]; then
		for _ in $(seq 100); do
			[ -S "$sock" ] && break
			sleep 0.1
		done
		start_engine "$TMP/$name.engine.0" --socket "$sock" --queue-pairs 2 --client
	fi
	for _ in $(seq 600); do
		grep -aq 'soak-start' "$TMP/$name.serial" 2>/dev/null && break
		sleep 0.1
	done
	t0=$(date +%s)
	for i in $(seq "$RESTARTS"); do
		sleep 2.5
		sig=KILL
		[ $((i % 2)) -eq 0 ] && sig=TERM
		stop_engine "$sig"
		echo "stopped with SIG$sig" >>"$TMP/$name.engine.$((i - 1))"
		if [ "$mode" = client ]; then
			start_engine "$TMP/$name.engine.$i" --socket "$sock" --queue-pairs 2 --client
		else
			start_engine "$TMP/$name.engine.$i" --socket "$sock" --queue-pairs 2
		fi
	done
	log "$name: $RESTARTS restarts in $(($(date +%s) - t0)) s"
	wait "$QEMU_PID"
	rc=$?
	QEMU_PID=
	stop_engine INT
	tr -d '\r' <"$TMP/$name.serial" >"$TMP/$name.out" 2>/dev/null
	grep -a '^VLGUEST' "$TMP/$name.out" | sed 's/^/#   /'
	if [ "$rc" -ne 0 ] || ! grep -aq '^VLGUEST DONE' "$TMP/$name.out"; then
		fail "$name: QEMU exited $rc, the guest did not finish"
		sed 's/^/#   qemu: /' "$TMP/$name.qemu" | tail -20
		sed 's/^/#   serial: /' "$TMP/$name.out" | tail -20
		return 1
	fi
	expect "$name" soak
	# Every engine instance got the guest's device running again.
	local started=0
	for i in $(seq 0 "$RESTARTS"); do
		grep -q "guest started" "$TMP/$name.engine.$i" && started=$((started + 1))
	done
	if [ "$started" -eq $((RESTARTS + 1)) ]; then
		pass "$name: all $((RESTARTS + 1)) engine instances got the guest's queues running"
	else
		fail "$name: only $started of $((RESTARTS + 1)) engine instances saw the guest start"
		for i in $(seq 0 "$RESTARTS"); do
			sed "s/^/#   engine.$i: /" "$TMP/$name.engine.$i" | tail -5
		done
	fi
}

# hmp SOCKET COMMAND: one HMP monitor command over QEMU's unix socket, its output on stdout.
hmp() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")
until_prompt()  # the banner
s.sendall(sys.argv[2].encode() + b"\n")
out = until_prompt()
# the monitor echoes the command line; print what follows it
lines = out.replace("\r", "").split("\n")
print("\n".join(l for l in lines[1:] if not l.startswith("(qemu)")))
PY
}

# iface_snap JSONL IFACE KEY: the last snapshot's KEY summed over IFACE's queue pairs ("none": no
# such snapshot or key).
iface_snap() {
	python3 - "$@" <<'PY'
import json, sys
path, iface, key = sys.argv[1:4]
last = None
try:
    for line in open(path):
        if line.strip():
            doc = json.loads(line)
            if isinstance(doc, dict) and isinstance(doc.get("queues"), list):
                last = doc
except (OSError, ValueError):
    pass
qs = [] if last is None else [q for q in last["queues"] if q.get("interface") == iface]
print(sum(q[key] for q in qs) if qs and all(key in q for q in qs) else "none")
PY
}

# migrate NAME NIC_EXTRA: the guest loops frames on 2 queue pairs while it is live-migrated from
# one QEMU (engine interface "src") to another started with -incoming (interface "dst" of the
# same engine: one busy poller). The migration is slowed (max-bandwidth) so that it takes several
# dirty-log passes under traffic. Passes when the migration completed, the guest's check saw
# every frame come back intact before, across and after the switch (guest_tool migrate), the
# engine looped frames on both interfaces, and the source marked pages in the dirty log.
MIGRATE_SECONDS=${VL_MIGRATE_SECONDS:-20}
MIGRATE_BANDWIDTH=${VL_MIGRATE_BANDWIDTH:-16M}
MIGRATE_CONVERGE=${VL_MIGRATE_CONVERGE:-10}
migrate() {
	local name=$1 extra=$2 broken=${3:-0} attempt=${4:-last} sa=$TMP/$1-src.sock sb=$TMP/$1-dst.sock initrd w i st t0 t1
	local msrc=$TMP/$1-src.mon mdst=$TMP/$1-dst.mon uri=unix:$TMP/$1.mig jsonl=$TMP/$1.jsonl
	local src_pid dst_pid rc status
	local -a common src_args dst_args
	initrd=$(echo "migrate migrate 2 $MIGRATE_SECONDS" | cases_cpio "$name")
	# broken: the engine's test-only switch offers LOG_ALL and marks nothing.
	VHOSTLOOP_TEST_BREAK_DIRTY_LOG=$broken start_engine "$TMP/$name.engine" \
		--socket "$sa,name=src,queue-pairs=2" --socket "$sb,name=dst,queue-pairs=2" \
		--stats-file "$jsonl" --stats-interval 1
	for _ in $(seq 100); do
		[ -S "$sa" ] && [ -S "$sb" ] && break
		sleep 0.1
	done
	if ! [ -S "$sa" ] || ! [ -S "$sb" ]; then
		fail "$name: the engine did not listen on both sockets"
		sed 's/^/#   engine: /' "$TMP/$name.engine" | tail -20
		return 1
	fi
	frontend_args 2 "$sa" 0 "$extra" || {
		fail "$name: --print-frontend qemu gave no usable virtio-net-pci device"
		return 1
	}
	# A smaller guest than the printer's 1G: less RAM to move (the memfd backend keeps its size).
	common=()
	for w in "${FRONTEND[@]}"; do
		case "$w" in
		1G) w=256M ;;
		memory-backend-memfd,*) w=${w/size=1G/size=256M} ;;
		esac
		common+=("$w")
	done
	common=(-machine "q35,accel=$ACCEL" -nodefaults -no-user-config -display none -smp 1
		-no-reboot -kernel "$KDIR/vmlinuz" -initrd "$initrd"
		-append "console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable print-fatal-signals=1" "${common[@]}")
	src_args=("${common[@]}" -serial "file:$TMP/$name.serial" -monitor "unix:$msrc,server=on,wait=off")
	dst_args=()
	for w in "${common[@]}" -serial "file:$TMP/$name.serial2" \
		-monitor "unix:$mdst,server=on,wait=off" -incoming "$uri"; do
		dst_args+=("${w/path=$sa/path=$sb}")
	done
	log "$name: source $QEMU ${src_args[*]}"
	log "$name: destination: the same on $sb, -incoming $uri"
	timeout --foreground 300 taskset -c 0 "$QEMU" "${dst_args[@]}" >"$TMP/$name.qemu2" 2>&1 &
	dst_pid=$!
	timeout --foreground 300 taskset -c 0 "$QEMU" "${src_args[@]}" >"$TMP/$name.qemu" 2>&1 &
	src_pid=$!
	QEMU_PID="$src_pid $dst_pid"
	# Traffic first: the guest's tool has started and the engine loops on "src".
	for _ in $(seq 600); do
		grep -aq 'migrate-start' "$TMP/$name.serial" 2>/dev/null &&
			[ "$(iface_snap "$jsonl" src frames)" != none ] &&
			[ "$(iface_snap "$jsonl" src frames)" -gt 1000 ] && break
		sleep 0.1
	done
	st=$(iface_snap "$jsonl" src frames)
	if [ "$st" = none ] || [ "$st" -le 1000 ]; then
		fail "$name: no traffic on the source before the migration (src frames: $st)"
		sed 's/^/#   serial: /' "$TMP/$name.serial" | tail -20
		sed 's/^/#   engine: /' "$TMP/$name.engine" | tail -20
		kill $src_pid $dst_pid 2>/dev/null
		wait $src_pid $dst_pid 2>/dev/null
		QEMU_PID=
		return 1
	fi
	log "$name: $st frames looped on src before the migration"
	hmp "$msrc" "migrate_set_parameter max-bandwidth $MIGRATE_BANDWIDTH" >/dev/null
	t0=$(date +%s.%N)
	hmp "$msrc" "migrate -d $uri" >"$TMP/$name.hmp"
	# Poll until the migration ends, the source QEMU exits (its guest finished before the
	# migration did) or 120 s pass. A migration still running after MIGRATE_CONVERGE
	# seconds gets the bandwidth cap lifted: the slow passes under traffic have happened by
	# then, and a pass that dirties more than the cap moves in the allowed downtime would
	# otherwise never end (seen once in CI: still active when the guest finished its
	# ${MIGRATE_SECONDS} s on the source).
	status= lifted=0
	while :; do
		kill -0 "$src_pid" 2>/dev/null || {
			status="not finished: the source QEMU exited (last status: ${status:-none})"
			break
		}
		t1=$(date +%s.%N)
		w=$(echo "$t0 $t1" | awk '{printf "%d", $2 - $1}')
		[ "$w" -lt 120 ] || {
			status="not finished after 120 s (last status: ${status:-none})"
			break
		}
		i=$(hmp "$msrc" "info migrate" 2>/dev/null)
		if [ -n "$i" ]; then
			echo "$i" >"$TMP/$name.info"
			status=$(echo "$i" | sed -n 's/^Migration status: *//p')
		fi
		case "$status" in completed | failed | cancelled) break ;; esac
		if [ "$lifted" = 0 ] && [ "$w" -ge "$MIGRATE_CONVERGE" ]; then
			lifted=1
			log "$name: still ${status:-starting} after ${w}s at $MIGRATE_BANDWIDTH/s: $(grep -E '^(dirty sync count|dirty pages rate|expected downtime)' "$TMP/$name.info" | tr '\n' ' ')"
			log "$name: lifting the bandwidth cap"
			hmp "$msrc" "migrate_set_parameter max-bandwidth 1G" >/dev/null
		fi
		sleep 0.1
	done
	t1=$(date +%s.%N)
	MIGRATE_TIME=$(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')
	sed -n 's/^\(total time\|downtime\|transferred ram\|dirty sync count\|dirty pages rate\):/\1:/p' \
		"$TMP/$name.info" | sed "s/^/#   $name: /"
	if [ "$status" = completed ]; then
		pass "$name: migration completed in ${MIGRATE_TIME}s$([ "$lifted" = 1 ] && echo ", cap lifted") ($(grep -E '^(downtime|dirty sync count)' "$TMP/$name.info" | tr '\n' ' '))"
	else
		fail "$name: migration ${status:-status unknown} (${MIGRATE_TIME}s after it started)"
		sed 's/^/#   hmp: /' "$TMP/$name.hmp" "$TMP/$name.info" | tail -20
		sed 's/^/#   qemu(dst): /' "$TMP/$name.qemu2" | tail -10
	fi
	hmp "$msrc" quit >/dev/null 2>&1
	wait "$src_pid" 2>/dev/null
	# Without a completed migration the destination would wait for it until its timeout.
	[ "$status" = completed ] || kill -TERM "$dst_pid" 2>/dev/null
	# The guest finishes on the destination and powers off.
	wait "$dst_pid"
	rc=$?
	QEMU_PID=
	stop_engine INT
	cat "$TMP/$name.serial" "$TMP/$name.serial2" 2>/dev/null | tr -d '\r' >"$TMP/$name.out"
	grep -a '^VLGUEST' "$TMP/$name.out" | sed 's/^/#   /'
	if [ "$rc" -ne 0 ] || ! grep -aq '^VLGUEST DONE' "$TMP/$name.serial2" 2>/dev/null; then
		fail "$name: the guest did not finish on the destination (QEMU exited $rc)"
		sed 's/^/#   qemu(dst): /' "$TMP/$name.qemu2" | tail -10
		sed 's/^/#   serial(dst): /' "$TMP/$name.serial2" | tr -d '\r' | tail -20
		sed 's/^/#   engine: /' "$TMP/$name.engine" | tail -20
	fi
	local src_frames dst_frames pages faults line
	if [ "$broken" = 1 ]; then
		# The run must fail: frames whose bytes only the engine wrote reach the
		# destination stale (the guest's check says so, and still finishes).
		engine_says "$name" "TEST ONLY: VHOSTLOOP_TEST_BREAK_DIRTY_LOG" \
			"the engine ran with dirty logging broken on purpose"
		line=$(grep -a '^VLGUEST migrate ' "$TMP/$name.out" | head -n 1)
		case "$line" in
		*" FAIL "*) pass "$name: with dirty logging broken the guest's check failed, as it must (${line#VLGUEST migrate FAIL })" ;;
		*" PASS "*)
			# Whether a stale frame is seen depends on timing (one run here caught only
			# 6 lost and 5 corrupted frames): one more attempt before calling it blind.
			if [ "$attempt" != last ]; then
				log "$name: the guest saw nothing wrong this time (${line#VLGUEST migrate PASS }); once more"
				return 2
			fi
			fail "$name: the guest saw nothing wrong with dirty logging broken, twice: this test cannot see a missing log (${line#VLGUEST migrate PASS })" ;;
		*) fail "$name: no result line from the guest" ;;
		esac
		log "$name: engine: src frames $(iface_snap "$jsonl" src frames), dst frames $(iface_snap "$jsonl" dst frames), src dirty pages $(iface_snap "$jsonl" src dirty_pages)"
		return
	fi
	if ! expect "$name" migrate; then
		# What the engine and librte_vhost said (ring state found inconsistent on the
		# destination, faults) and how QEMU ended, for a failure that does not repeat.
		grep -aiE 'warn|err|fault|mismatch|stopped|started|logging' "$TMP/$name.engine" |
			tail -n 30 | sed 's/^/#   engine: /'
		sed 's/^/#   qemu(src): /' "$TMP/$name.qemu" | tail -5
		sed 's/^/#   qemu(dst): /' "$TMP/$name.qemu2" | tail -5
	fi
	src_frames=$(iface_snap "$jsonl" src frames)
	dst_frames=$(iface_snap "$jsonl" dst frames)
	pages=$(iface_snap "$jsonl" src dirty_pages)
	faults=$(iface_snap "$jsonl" src dirty_log_faults)
	log "$name: engine: src frames $src_frames, dst frames $dst_frames, src dirty pages $pages, log faults $faults"
	if [ "$dst_frames" != none ] && [ "$dst_frames" -gt 0 ]; then
		pass "$name: the loop resumed on the destination's interface ($dst_frames frames)"
	else
		fail "$name: no frames looped on the destination's interface ($dst_frames)"
	fi
	if [ "$pages" != none ] && [ "$pages" -gt 0 ] && [ "$faults" = 0 ]; then
		pass "$name: the source marked $pages pages in the dirty log, no log faults"
	else
		fail "$name: dirty log on the source: $pages pages, $faults faults"
	fi
	if grep -q "dirty-page logging on" "$TMP/$name.engine"; then
		pass "$name: the engine saw logging turned on"
	else
		fail "$name: the engine never saw dirty-page logging turned on"
	fi
}

# idle_cpu_watch BOOT FROM TO: prints "TICKS SECONDS", the CPU time of BOOT's engine (user +
# system, all threads, /proc/PID/stat 14 and 15) between the guest's FROM-th and TO-th finished
# case (its "step-done" lines on the serial console, polled until they appear).
steps() {
	local n
	n=$(grep -ac '^VLGUEST step-done' "$TMP/$1.serial" 2>/dev/null)
	echo "${n:-0}"
}
idle_cpu_watch() {
	local pid ticks0 ticks1 t0 t1
	for _ in $(seq 6000); do
		[ -s "$TMP/$1.engine.pid" ] && [ "$(steps "$1")" -ge "$2" ] && break
		sleep 0.05
	done
	pid=$(cat "$TMP/$1.engine.pid" 2>/dev/null)
	[ -n "$pid" ] && [ "$(steps "$1")" -ge "$2" ] || return 1
	ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat") || return 1
	t0=$(date +%s.%N)
	for _ in $(seq 6000); do
		[ "$(steps "$1")" -ge "$3" ] && break
		sleep 0.05
	done
	ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat") || return 1
	t1=$(date +%s.%N)
	[ "$(steps "$1")" -ge "$3" ] || return 1
	echo "$((ticks1 - ticks0)) $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')"
}

# engine_counter BOOT NAME: the counter NAME summed over the queue pairs of the last exit table
# in BOOT's engine log ("none" without one).
engine_counter() {
	awk -v name="$2" '
		$1 == "interface" { col = 0; s = 0; n = 0
			for (i = 1; i <= NF; i++) if ($i == name) col = i
			next }
		col && $1 != "total" && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { s += $col; n++ }
		END { if (n) print s; else print "none" }' "$TMP/$1.engine"
}

# calls_per_burst BOOT: the engine's calls (interrupts sent) per burst that moved frames.
calls_per_burst() {
	awk -v c="$(engine_counter "$1" calls)" -v b="$(engine_counter "$1" bursts)" \
		'BEGIN{if (c ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) printf "%.2f", c / b}'
}

# engine_says BOOT PATTERN WHAT: the engine's log of that boot matches (e.g. what was negotiated).
engine_says() {
	if grep -qE -- "$2" "$TMP/$1.engine"; then
		pass "$1: $3"
	else
		fail "$1: $3 (no /$2/ in the engine's log)"
		sed 's/^/#   engine: /' "$TMP/$1.engine" | tail -10
	fi
}

# expect BOOT CASE: the case's result line in BOOT's output says PASS.
expect() {
	local line
	line=$(grep -a "^VLGUEST $2 " "$TMP/$1.out" | head -n 1)
	case "$line" in
	*" PASS"*) pass "$1/$2: ${line#VLGUEST $2 PASS }" ;;
	"") fail "$1/$2: no result line" && return 1 ;;
	*) fail "$1/$2: ${line#VLGUEST }" && return 1 ;;
	esac
}

# engine_story BOOT: after a failed case, what the engine said about its queue pairs in that
# boot (run with vhostloop.dev at debug: every vring enabled or disabled, every pair started,
# TX frames a disabled pair left on the guest's ring) and its per-queue counters at exit.
ENGINE_DEBUG=--log-level=vhostloop.dev:debug
engine_story() {
	grep -aE 'vring [0-9]+ (enabled|disabled)|running on lcore|not taken|guest (started|stopped)|broken|fault|refus' \
		"$TMP/$1.engine" | tail -n 150 | sed 's/^/#   engine: /'
	awk '$1 == "interface" && $2 == "qp" { on = 1 } on { print } on && $1 == "total" { exit }' \
		"$TMP/$1.engine" | sed 's/^/#   engine: /'
}

# field BOOT CASE KEY: a key=value of a result line.
field() {
	grep -a "^VLGUEST $2 " "$TMP/$1.out" | head -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# ---- setup ------------------------------------------------------------------------------------

need_pkgs qemu-system-x86 busybox-static cpio || die "apt could not install the QEMU/busybox packages"
CACHE=$(cache_dir) || die "no writable cache directory"
exec 9>"$CACHE/.lock"
flock 9
KDIR=$(get_kernel "$CACHE") || die "could not fetch and unpack the Debian kernel package"
QEMU=qemu-system-x86_64
QEMU_L=()
if [ "$GROUP" = msix ]; then
	BPO=$(get_qemu_bpo "$CACHE") || die "could not fetch bookworm-backports' QEMU"
	QEMU=$BPO/usr/bin/qemu-system-x86_64
	QEMU_L=(-L "$BPO/usr/share/seabios" -L "$BPO/usr/share/qemu")
fi
flock -u 9
INITRAMFS=$(build_initramfs "$KDIR") || die "could not build the initramfs"
log "kernel $(basename "$KDIR"), $("$QEMU" --version | head -n 1)"

# KVM only when it really boots this guest (a nested /dev/kvm may open and then hang the guest);
# the probe's answer is kept in the build directory.
ACCEL=${VL_GUEST_ACCEL:-}
if [ -z "$ACCEL" ] && [ -f "$VL_GUEST_BUILD/accel" ]; then
	ACCEL=$(cat "$VL_GUEST_BUILD/accel")
fi
if [ -z "$ACCEL" ]; then
	ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		initrd=$(echo "" | cases_cpio kvm-probe)
		timeout 30 "$QEMU" -machine q35,accel=kvm -nodefaults -no-user-config -display none \
			-m 256 -no-reboot -serial "file:$TMP/kvm-probe.serial" -kernel "$KDIR/vmlinuz" \
			-initrd "$initrd" -append "console=ttyS0 quiet panic=-1" >/dev/null 2>&1
		grep -aq '^VLGUEST DONE' "$TMP/kvm-probe.serial" 2>/dev/null && ACCEL=kvm
	fi
	echo "$ACCEL" >"$VL_GUEST_BUILD/accel"
fi
log "accelerator: $ACCEL"

# ---- case groups -------------------------------------------------------------------------------

case "$GROUP" in
mq)
	# Four queue pairs, INTx (vectors=0): 1, 2 and 4 active pairs, the channel count lowered
	# and raised with frames in flight (frames stranded on a queue the guest disables before
	# the engine took them are parked until it is enabled again: guest_tool gt_park), the
	# driver unbound and rebound.
	if boot mq "$QEMU" 0 "" 4 "$ENGINE_DEBUG" <<-'EOF'; then
		loop qp1 1 2000
		loop qp2 2 4000
		loop qp4 4 8000
		channels channels 6000 1,4,2,3,1,4,2,4,1,3,4
		rebind rebind 2000
	EOF
		ok=1
		for c in qp1 qp2 qp4 channels rebind rebind-max; do expect mq $c || ok=0; done
		[ "$ok" = 1 ] || engine_story mq
	fi
	;;
irq)
	# One queue pair, the same traffic three times: EVENT_IDX on, EVENT_IDX off, EVENT_IDX on
	# with interrupt coalescing. Lone frames after idle periods must come back in every boot.
	cases='loop loop 1 3000
lone lone 5 300'
	boot evidx-on "$QEMU" 0 "" 1 "" <<<"$cases" && {
		expect evidx-on loop
		expect evidx-on lone
		engine_says evidx-on "guest started .*event idx" "EVENT_IDX negotiated"
	}
	boot evidx-off "$QEMU" 0 ",event_idx=off" 1 "" <<<"$cases" && {
		expect evidx-off loop
		expect evidx-off lone
		engine_says evidx-off "guest started" "the guest started"
		grep "guest started" "$TMP/evidx-off.engine" | grep -q "event idx" &&
			fail "evidx-off: the engine negotiated EVENT_IDX with event_idx=off" ||
			pass "evidx-off: EVENT_IDX not negotiated"
	}
	boot coalesce "$QEMU" 0 "" 1 "--irq-coalesce-frames 32 --irq-coalesce-usecs 2000" \
		<<<"$cases" && {
		expect coalesce loop
		expect coalesce lone
	}
	on=$(field evidx-on loop irq_per_frame)
	off=$(field evidx-off loop irq_per_frame)
	co=$(field coalesce loop irq_per_frame)
	log "interrupts per frame: EVENT_IDX on ${on:-?}, off ${off:-?}, coalesced ${co:-?}"
	if [ -n "$on" ] && [ -n "$off" ] && [ -n "$co" ]; then
		# Both notification schemes interrupt the guest (else nothing would come back) and
		# never more than twice per frame (one RX, one TX completion).
		awk -v a="$on" -v b="$off" 'BEGIN{exit !(a > 0 && b > 0 && a <= 2 && b <= 2)}' &&
			pass "interrupts per frame in range with EVENT_IDX on ($on) and off ($off)" ||
			fail "interrupts per frame out of (0, 2]: EVENT_IDX on $on, off $off"
		awk -v a="$on" -v c="$co" 'BEGIN{exit !(c < a)}' &&
			pass "coalescing cut interrupts per frame ($on -> $co)" ||
			fail "coalescing did not cut interrupts per frame ($on -> $co)"
	else
		fail "missing interrupt figures (on=$on off=$off coalesced=$co)"
	fi
	;;
packed)
	# The same guest on packed virtqueues (packed=on on the NIC), two queue pairs. Lone frames
	# after idle periods: each needs its interrupt (NAPI re-enables them with EVENT_IDX's DESC
	# between frames; the engine decides without the fence and settles at its next idle poll).
	if boot packed "$QEMU" 0 ",packed=on" 2 "$ENGINE_DEBUG" <<-'EOF'; then
		loop qp1 1 2000
		loop qp2 2 4000
		channels channels 3000 1,2,1,2
		rebind rebind 1000
		lone lone 5 300
	EOF
		ok=1
		for c in qp1 qp2 channels rebind rebind-max lone; do expect packed $c || ok=0; done
		[ "$ok" = 1 ] || engine_story packed
		engine_says packed "guest started .*packed rings" "packed rings negotiated"
	fi
	;;
restart)
	# The engine restarted 10 times under a running guest, QEMU as the socket's server and
	# then as its client; the guest keeps looping without a reboot.
	restart restart-client client
	restart restart-server server
	;;
migrate)
	# Live migration between two QEMUs on two sockets of one engine, split rings then packed.
	# VL_MIGRATE_RINGS (default "split packed") picks the ring layouts. Then once more on
	# split rings with the engine's dirty logging broken (a test-only switch): that run must
	# fail the guest's check, on a second attempt at the latest (VL_MIGRATE_BROKEN=0 leaves
	# it out).
	for r in ${VL_MIGRATE_RINGS:-split packed}; do
		case "$r" in
		split) migrate migrate-split ",rx_queue_size=1024,tx_queue_size=1024" ;;
		packed) migrate migrate-packed ",packed=on,rx_queue_size=1024,tx_queue_size=1024" ;;
		*) die "VL_MIGRATE_RINGS: unknown layout $r" ;;
		esac
	done
	if [ "${VL_MIGRATE_BROKEN:-1}" = 1 ]; then
		migrate migrate-broken ",rx_queue_size=1024,tx_queue_size=1024" 1 first ||
			migrate migrate-broken2 ",rx_queue_size=1024,tx_queue_size=1024" 1 last
	fi
	;;
msix)
	# bookworm-backports' QEMU with MSI-X (the vectors the engine prints): per-queue vectors.
	if boot msix "$QEMU" keep "" 4 "$ENGINE_DEBUG" <<-'EOF'; then
		loop qp1 1 2000
		loop qp4 4 8000
		channels channels 4000 2,4,1,3,4
		rebind rebind 1000
	EOF
		ok=1
		for c in qp1 qp4 channels rebind rebind-max; do expect msix $c || ok=0; done
		[ "$ok" = 1 ] || engine_story msix
		line=$(grep -a '^VLGUEST qp4 ' "$TMP/msix.out")
		n=$(echo "$line" | grep -o 'irq_in[0-9]*' | wc -l)
		[ "$n" -eq 4 ] && pass "msix: all 4 RX vectors interrupted ($line)" ||
			fail "msix: $n of 4 RX vectors interrupted"
	fi
	# EVENT_IDX on and off (event_idx=off), two short boots with one pair and the same
	# traffic. The guest's RX and TX vectors are counted and compared, but under TCG they do
	# not tell the two apart: QEMU reads a call eventfd once for several writes and the
	# guest's handler takes what came meanwhile. Measured here (interrupts per frame, RX + TX
	# vectors, 6 runs, 3000 frames): on 0.58 0.67 0.42 0.74 0.54 0.84, off 0.65 0.65 0.85
	# 0.65 0.72 0.69. What EVENT_IDX changes is the engine's decisions: with it the guest's
	# used_event stops the calls after the first until it re-arms, without it only the
	# NO_INTERRUPT flag does, which the guest sets from its interrupt handler, late. Calls per
	# burst that published (both vrings decide once per burst) were on 1.18 1.27 1.19 1.33
	# 1.16 1.36, off 1.85 1.91 1.81 1.87 1.86 1.89 (on/off 0.62-0.72; with need_call ignoring
	# used_event: 2.00 vs 1.89). On an AMD EPYC host whose vCPUs the hypervisor moves
	# (2026-12-01): on/off 0.70 (3b470b2), then 0.81 and 0.87 (7711efe, which changed no call
	# decision), so 0.85 left no margin: on must stay under 0.92 x off, which the
	# used_event-ignoring decision (1.06) still fails.
	for ev in on off; do
		extra=
		[ "$ev" = off ] && extra=",event_idx=off"
		boot "evidx-$ev" "$QEMU" keep "$extra" 1 "" <<<"loop loop 1 3000" &&
			expect "evidx-$ev" loop
	done
	engine_says evidx-on "guest started .*event idx" "evidx-on: EVENT_IDX negotiated"
	if grep "guest started" "$TMP/evidx-off.engine" | grep -q "event idx"; then
		fail "evidx-off: the engine negotiated EVENT_IDX with event_idx=off"
	fi
	for ev in on off; do
		log "EVENT_IDX $ev: guest interrupts per frame $(field "evidx-$ev" loop irq_per_frame) (RX vectors $(field "evidx-$ev" loop rx_irq_per_frame), TX vectors $(field "evidx-$ev" loop tx_irq_per_frame)); engine calls $(engine_counter "evidx-$ev" calls), suppressed $(engine_counter "evidx-$ev" calls_suppressed), in $(engine_counter "evidx-$ev" bursts) bursts"
	done
	cpb_on=$(calls_per_burst evidx-on)
	cpb_off=$(calls_per_burst evidx-off)
	if [ -n "$cpb_on" ] && [ -n "$cpb_off" ] &&
		awk -v a="$cpb_on" -v b="$cpb_off" 'BEGIN{exit !(a < 0.92 * b)}'; then
		pass "EVENT_IDX cut the engine's calls per burst: on $cpb_on, off $cpb_off"
	else
		fail "EVENT_IDX did not cut the engine's calls per burst: on ${cpb_on:-?}, off ${cpb_off:-?} (want on < 0.92 x off)"
	fi
	;;
idle)
	# The engine sleeps when idle (--idle-sleep-us 100): the guest's kicks wake it (a worker
	# lcore sleeps without a timeout, so nothing else would). 1 and 2 pairs loop every frame
	# (the engine sleeps between the windows and is woken by the next), lone frames after 3 s
	# of silence each come back (and after 0.3 s), the engine used under 5 % of a core while
	# the guest sat silent between them (its CPU time from /proc over the lone case: 3 frames
	# in 9 s; the case after it keeps the engine up while that is read), and the exit table's
	# idle: rows count sleeps and wake-ups.
	idle_cpu_watch idle 2 3 >"$TMP/idle.cpu" &
	watch_pid=$!
	if boot idle "$QEMU" 0 "" 2 "--idle-sleep-us 100" <<-'EOF'; then
		loop qp1 1 2000
		loop qp2 2 4000
		lone lone 3 3000
		lone lone-short 5 300
	EOF
		for c in qp1 qp2 lone lone-short; do expect idle $c; done
		wait "$watch_pid"
		read -r ticks secs <"$TMP/idle.cpu"
		if [ -n "${ticks:-}" ] && [ -n "${secs:-}" ]; then
			pct=$(awk -v t="$ticks" -v s="$secs" -v hz="$(getconf CLK_TCK)" \
				'BEGIN{printf "%.1f", 100 * t / hz / s}')
			awk -v p="$pct" -v s="$secs" 'BEGIN{exit !(p < 5 && s >= 8)}' &&
				pass "idle: the engine used $pct % of a core over the ${secs} s of lone frames (< 5 %)" ||
				fail "idle: the engine used $pct % of a core over ${secs} s of lone frames (want < 5 % over >= 8 s)"
		else
			fail "idle: no CPU figure for the lone case ($(cat "$TMP/idle.cpu"))"
		fi
		sleeps=$(awk '/^idle: /&&$3~/^[0-9]+$/{s+=$4} END{print s+0}' "$TMP/idle.engine")
		wakeups=$(awk '/^idle: /&&$3~/^[0-9]+$/{s+=$5} END{print s+0}' "$TMP/idle.engine")
		[ "$sleeps" -gt 0 ] && [ "$wakeups" -gt 0 ] &&
			pass "idle: the engine slept $sleeps times, woken with frames $wakeups times" ||
			fail "idle: sleeps $sleeps, wake-ups $wakeups (want both > 0)"
		grep '^idle: ' "$TMP/idle.engine" | sed 's/^/#   /'
	else
		kill "$watch_pid" 2>/dev/null
		wait "$watch_pid" 2>/dev/null
	fi
	;;
*)
	die "unknown group $GROUP"
	;;
esac

echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ] && [ "$PASSES" -gt 0 ]

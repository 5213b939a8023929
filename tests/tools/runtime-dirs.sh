#!/bin/bash
# DPDK runtime directories (/var/run/dpdk/<file prefix> as root) left behind by our processes.
#   runtime-dirs.sh list > BEFORE      the directories there now, one name a line
#   runtime-dirs.sh check BEFORE       names every new directory of ours no live process uses;
#                                      exit 1 if there is one
# Ours: the engine's default prefix vhostloop-<pid>, the generator's vlgen-<pid>, and the vl*
# prefixes the tests and benchmarks choose. "In use": a live DPDK primary holds a POSIX lock on the
# directory's config file (/proc/locks). On a machine shared with other runs of this suite, a
# directory another run left behind is named too: it is a leak all the same.
set -u

dir() {
	if [ "$(id -u)" -eq 0 ]; then
		echo /var/run/dpdk
	else
		echo "${XDG_RUNTIME_DIR:-/tmp}/dpdk"
	fi
}

list() {
	local d
	d=$(dir)
	[ -d "$d" ] || return 0
	ls -1 "$d"
}

in_use() { # in_use PATH: a live process holds a lock on PATH/config
	local ino
	ino=$(stat -c %i "$1/config" 2>/dev/null) || return 1
	awk -v ino="$ino" '{ split($6, f, ":"); if (f[3] == ino) found = 1 } END { exit !found }' \
		/proc/locks
}

case "${1:-}" in
list)
	list
	;;
check)
	before=${2:?runtime-dirs.sh check BEFORE}
	d=$(dir)
	left=()
	while read -r name; do
		case "$name" in
		vhostloop-* | vl*) ;;
		*) continue ;;
		esac
		grep -qxF -- "$name" "$before" && continue
		in_use "$d/$name" && continue
		left+=("$name")
	done < <(list)
	if [ ${#left[@]} -gt 0 ]; then
		echo "runtime directories left in $d: ${left[*]}"
		exit 1
	fi
	echo "no runtime directory of ours left in $d"
	;;
*)
	echo "usage: runtime-dirs.sh list | check BEFORE" >&2
	exit 2
	;;
esac

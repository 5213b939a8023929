#!/bin/busybox sh
# /init of the test guest: load virtio-net, run every line of /cases with guest_tool, power off.
# Everything the host parses is a "VLGUEST ..." line on the serial console.
/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec >/dev/console 2>&1
# Only our frames on the wire: no IPv6 neighbour discovery from the guest kernel.
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
while read -r m; do # dependencies first
	insmod "/lib/modules/$m.ko" || echo "VLGUEST init FAIL error=insmod_$m"
done </lib/modules/order
echo "VLGUEST BOOTED uptime_s=$(cut -d' ' -f1 /proc/uptime)"
while read -r cmd; do
	case "$cmd" in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086 # one case per line, words split on purpose
	/bin/guest_tool $cmd
	rc=$?
	echo "VLGUEST step-done rc=$rc uptime_s=$(cut -d' ' -f1 /proc/uptime)"
	# Killed by a signal: what the kernel said about it (print-fatal-signals), for the host.
	[ "$rc" -ge 128 ] && dmesg | tail -n 40 | sed 's/^/VLGUEST dmesg /'
done </cases
echo "VLGUEST DONE uptime_s=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f

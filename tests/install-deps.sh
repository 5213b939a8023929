#!/bin/bash
# Debian 12 packages vhostloop needs to build, test and benchmark. Idempotent; run as root.
set -euo pipefail
pkgs=(
	build-essential meson ninja-build pkg-config
	libdpdk-dev dpdk-dev dpdk  # librte_vhost 22.11, dpdk-testpmd, dpdk-telemetry.py
	libnuma-dev libcmocka-dev libjansson-dev
	clang libclang-rt-14-dev  # libFuzzer and clang's sanitizer runtimes
	clang-format python3 gnuplot-nox procps
	qemu-system-x86 busybox-static cpio  # tests/guest (it installs them itself too), tests/integration/test_operator.sh
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

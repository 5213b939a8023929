#!/bin/bash
# Install, build and run every test: unit + integration (release build), the same under
# ASan+UBSan, the libFuzzer targets for a bounded time, and the clang-format check.
# This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh

step() { echo; echo "=== $* ==="; }

# Every DPDK process the suite starts removes its runtime directory (or its test does, when it
# had to SIGKILL it): what is there now is compared with what is left at the end.
rundirs_before=$(mktemp)
bash tests/tools/runtime-dirs.sh list >"$rundirs_before"

step "release build"
meson setup build --wipe >/dev/null 2>&1 || meson setup build
ninja -C build

step "all tests (release)"
# Includes suite "guest": real Debian guests under QEMU (TCG here), a few minutes. Release build
# only: guest_tool is static (no sanitizer runtime) and a sanitized engine under a TCG guest
# measures nothing the integration suite does not already cover under ASan.
meson test -C build --print-errorlogs --num-processes 2

step "ASan+UBSan build and tests (unit and integration; not guest, see above)"
meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debugoptimized \
	--wipe >/dev/null 2>&1 || meson setup build-asan -Db_sanitize=address,undefined \
	-Dbuildtype=debugoptimized
ninja -C build-asan
# The unit tests start no EAL: leaks there are ours, so LeakSanitizer is on. The integration
# tests run DPDK processes, whose EAL keeps allocations until exit: leak detection off there.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 --suite integration \
	--logbase testlog-integration

step "fuzzers (clang, libFuzzer, ASan+UBSan, bounded time)"
CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debugoptimized --wipe >/dev/null 2>&1 ||
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized
ninja -C build-fuzz
nb_fuzzers=0
for f in build-fuzz/tests/fuzz/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=tests/fuzz/corpus-${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	echo "$name: 60 s"
	# The last lines on success; on failure the whole output (the crash trace and input).
	if "$f" -max_total_time=60 -print_final_stats=0 "$work" >"$work.log" 2>&1; then
		tail -n 3 "$work.log"
	else
		cat "$work.log"
		echo "$name: FAILED (output above)"
		rm -rf "$work" "$work.log"
		exit 1
	fi
	rm -rf "$work" "$work.log"
	nb_fuzzers=$((nb_fuzzers + 1))
done
if [ "$nb_fuzzers" -eq 0 ]; then
	echo "no fuzz target was built in build-fuzz/tests/fuzz: none ran"
	exit 1
fi
echo "$nb_fuzzers fuzz targets ran"

step "clang-format"
ninja -C build clang-format-check

step "runtime directories left behind"
rundirs_ok=0
bash tests/tools/runtime-dirs.sh check "$rundirs_before" || rundirs_ok=1
rm -f "$rundirs_before"

# One closing line over every meson test run above (release and sanitizer builds).
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-asan/meson-logs/testlog-integration.json <<'PY'
import json, sys
counts = {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result", "?")
        counts[r] = counts.get(r, 0) + 1
passed = counts.pop("OK", 0)
skipped = counts.pop("SKIP", 0)
failed = sum(counts.values())
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $rundirs_ok

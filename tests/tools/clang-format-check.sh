#!/bin/sh
# Check (or with --fix, apply) .clang-format on every C file the repository tracks.
set -eu
clang_format=$1
cd "${MESON_SOURCE_ROOT:-$(dirname "$0")/../..}"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find app lib bench tests -name '*.[ch]')
if [ "${2:-}" = "--fix" ]; then
	"$clang_format" -i $files
else
	"$clang_format" --dry-run -Werror $files
fi

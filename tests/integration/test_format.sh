#!/bin/sh
# NAME
#	test_format.sh - every C source and header is in the house style
# DESCRIPTION
#	Runs clang-format (.clang-format at the top of the tree) over every
#	C file the repository keeps and fails, naming the files and showing
#	the first differences, when one is not as `make format` would leave
#	it. Skipped (77) without clang-format.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
command -v clang-format >/dev/null 2>&1 || { echo "no clang-format (scripts/deps.sh installs it)"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null) ||
	files=$(find . -name '*.[ch]' -not -path './build/*' -not -path '*/node_modules/*')
[ -n "$files" ] || { echo "FAIL: no C files found under $top"; exit 1; }
n=0 bad=""
for f in $files; do
	n=$((n + 1))
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "FAIL: not in the house style (make format):$bad"
	for f in $bad; do
		clang-format "$f" | diff -u "$f" - | head -20
		break
	done
	exit 1
fi
echo "format: $n C files as clang-format leaves them"

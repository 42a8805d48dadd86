#!/bin/sh
# NAME
#	run.sh - run test programs and scripts, summarise, fail on any failure
# DESCRIPTION
#	Each argument is an executable test (cmocka program, integration
#	program or shell script). Exit 0 passes, 77 is skipped (the test printed
#	why), anything else fails. Output of each test is shown as it runs.
#	Environment: BINDIR (programs under test), OUT (build directory).
set -u
pass=0 fail=0 skip=0 failed=""
export BINDIR="${BINDIR:-bin}" OUT="${OUT:-build/default}"
for t in "$@"; do
	echo "=== RUN $t"
	start=$(date +%s)
	"$t"
	rc=$?
	dur=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "=== PASS $t (${dur}s)" ;;
	77) skip=$((skip + 1)); echo "=== SKIP $t (${dur}s)" ;;
	*) fail=$((fail + 1)); failed="$failed $t"; echo "=== FAIL $t (exit $rc, ${dur}s)" ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "tests ($OUT): $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

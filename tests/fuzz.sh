#!/bin/sh
# NAME
#	fuzz.sh - run each libFuzzer target for a bounded time
# SYNOPSIS
#	fuzz.sh SECONDS TARGET...
# DESCRIPTION
#	Each target starts from its seed corpus in fuzz/corpus/<name>/ (kept
#	in the tree) and a scratch corpus under build/fuzz/corpus/<name>/.
#	A crash, leak or sanitizer report fails the run; the reproducer is
#	left in build/fuzz/.
set -u
secs=$1; shift
pass=0 fail=0
for t in "$@"; do
	name=${t##*/}
	seeds=fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	mkdir -p "$work"
	echo "=== FUZZ $name for ${secs}s"
	if [ -d "$seeds" ]; then set -- "$work" "$seeds"; else set -- "$work"; fi
	if "$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
		-artifact_prefix=build/fuzz/"$name"- "$@" >build/fuzz/"$name".log 2>&1; then
		pass=$((pass + 1)); echo "=== PASS $name ($(grep -c '' build/fuzz/"$name".log) log lines)"
	else
		fail=$((fail + 1)); tail -40 build/fuzz/"$name".log; echo "=== FAIL $name"
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

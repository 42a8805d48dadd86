#!/bin/bash
# NAME
#	fuzz.sh - run each libFuzzer target for a bounded time
# SYNOPSIS
#	fuzz.sh SECONDS TARGET...
# DESCRIPTION
#	Each target starts from its seed corpus in fuzz/corpus/<name>/ (kept
#	in the tree) and a scratch corpus under build/fuzz/corpus/<name>/.
#	A crash, leak or sanitizer report fails the run; the reproducer is
#	left in build/fuzz/run/, beside each target's log (<name>.log), so
#	that build/fuzz/fuzz_* names the targets alone. Before fuzzing, a
#	target runs every input in fuzz/regress/<name>/ once: a reproducer
#	of a crash once found is copied there (named after what it broke)
#	and stays a regression test. Targets run FUZZ_JOBS at a time
#	(default: the number of processors), each one process for SECONDS,
#	so every target gets the same fuzzing time as when run alone and the
#	whole run takes about SECONDS x targets / FUZZ_JOBS.
set -u
secs=$1; shift
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
run=build/fuzz/run
mkdir -p "$run"

one() {
	local t=$1 name=${1##*/} seeds work
	seeds=fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	mkdir -p "$work"
	: >"$run/$name".log
	if [ -d fuzz/regress/"$name" ] &&
	   ! "$t" -runs=0 fuzz/regress/"$name" >"$run/$name".log 2>&1; then
		echo "regression input of fuzz/regress/$name failed" >>"$run/$name".log
		return 1
	fi
	set -- "$work"
	[ -d "$seeds" ] && set -- "$work" "$seeds"
	"$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
		-artifact_prefix="$run/$name"- "$@" >>"$run/$name".log 2>&1
}

running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "=== FUZZ ${t##*/} for ${secs}s"
	( one "$t"; echo $? >"$run/${t##*/}".rc ) &
	running=$((running + 1))
done
wait

pass=0 fail=0
for t in "$@"; do
	name=${t##*/}
	if [ "$(cat "$run/$name".rc 2>/dev/null)" = 0 ]; then
		pass=$((pass + 1)); echo "=== PASS $name ($(grep -c '' "$run/$name".log) log lines)"
	else
		fail=$((fail + 1)); tail -40 "$run/$name".log; echo "=== FAIL $name"
	fi
	rm -f "$run/$name".rc
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

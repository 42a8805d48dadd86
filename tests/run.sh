#!/bin/bash
# NAME
#	run.sh - run test programs and scripts, summarise, fail on any failure
# DESCRIPTION
#	Each argument is an executable test (cmocka program, integration
#	program or shell script). Exit 0 passes, 77 is skipped (the test printed
#	why), anything else fails.
#
#	Most integration tests spend their time waiting for cameras that send
#	in real time, not computing, so they run TEST_JOBS at a time, each in
#	a network namespace of its own (unshare -n, loopback up): their ports
#	cannot collide and their loopback traffic stays apart. A test's output
#	is shown in one piece when it ends. Tests that need the machine to
#	themselves (heavy CPU, a daemon of the host, figures that mean
#	something only alone) say so with a line "# run alone: REASON" in the
#	script or in the .c source of a test program; they run afterwards, one
#	by one, in the host's namespace, their output shown as it comes.
#	Without root or unshare, or with TEST_JOBS=1, everything runs one by
#	one as before.
#
#	A test still running after TEST_TIMEOUT seconds (default 600) is
#	killed and fails, saying so, instead of holding up everything else.
#
#	Environment: BINDIR (programs under test), OUT (build directory),
#	TEST_JOBS (default: processors + 1), TEST_TIMEOUT.
set -u
pass=0 fail=0 skip=0 failed=""
export BINDIR="${BINDIR:-bin}" OUT="${OUT:-build/default}"
jobs=${TEST_JOBS:-$(($(nproc) + 1))}
limit=${TEST_TIMEOUT:-600}

result() { # test rc seconds
	case $2 in
	0) pass=$((pass + 1)); echo "=== PASS $1 ($3s)" ;;
	77) skip=$((skip + 1)); echo "=== SKIP $1 ($3s)" ;;
	124) fail=$((fail + 1)); failed="$failed $1"; echo "=== FAIL $1 (killed after ${limit}s, $3s)" ;;
	*) fail=$((fail + 1)); failed="$failed $1"; echo "=== FAIL $1 (exit $2, $3s)" ;;
	esac
}

# the file that may carry the "run alone" line: a script, or a program's source
alone() {
	local src=$1
	case $1 in
	*.sh) ;;
	*) src=tests/${1#*/tests/}.c ;;
	esac
	[ -f "$src" ] && grep -q '^[#/ *]*run alone:' "$src"
}

netns_ok() {
	[ "$jobs" -gt 1 ] && [ "$(id -u)" -eq 0 ] &&
		unshare -n sh -c 'ip link set lo up' 2>/dev/null
}

serial=() pool=()
for t in "$@"; do
	if alone "$t"; then serial+=("$t"); else pool+=("$t"); fi
done
if ! netns_ok; then
	serial=("$@") pool=()
fi

if [ ${#pool[@]} -gt 0 ]; then
	logs=$(mktemp -d)
	trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$logs"' EXIT
	trap 'exit 130' INT TERM
	declare -A slot_test=() slot_start=()
	next=0
	echo "=== ${#pool[@]} tests, $jobs at a time, each in its own network namespace"
	while [ $next -lt ${#pool[@]} ] || [ ${#slot_test[@]} -gt 0 ]; do
		while [ $next -lt ${#pool[@]} ] && [ ${#slot_test[@]} -lt "$jobs" ]; do
			t=${pool[$next]}
			( timeout -k 10 "$limit" unshare -n sh -c 'ip link set lo up && exec "$0"' "$t" \
				>"$logs/$next.out" 2>&1
			  echo $? >"$logs/$next.rc.tmp" && mv "$logs/$next.rc.tmp" "$logs/$next.rc" ) &
			slot_test[$next]=$t slot_start[$next]=$(date +%s)
			next=$((next + 1))
		done
		sleep 0.2
		for k in "${!slot_test[@]}"; do
			[ -f "$logs/$k.rc" ] || continue
			t=${slot_test[$k]}
			echo "=== RUN $t"
			cat "$logs/$k.out"
			result "$t" "$(cat "$logs/$k.rc")" $(( $(date +%s) - ${slot_start[$k]} ))
			unset "slot_test[$k]" "slot_start[$k]"
		done
	done
fi

for t in "${serial[@]}"; do
	echo "=== RUN $t"
	start=$(date +%s)
	timeout -k 10 "$limit" "$t"
	result "$t" $? $(( $(date +%s) - start ))
done
[ -n "$failed" ] && echo "failed:$failed"
echo "tests ($OUT): $pass passed, $fail failed, $skip skipped"
if [ $((pass + fail + skip)) -ne $# ]; then
	echo "run.sh: $# tests given, $((pass + fail + skip)) reported"
	exit 1
fi
[ "$fail" -eq 0 ]

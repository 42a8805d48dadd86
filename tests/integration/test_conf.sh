#!/bin/sh
# NAME
#	test_conf.sh - vigild -n refuses every mistake in vigil.conf, naming
#	the line and the key, and takes etc/vigil.conf and every role file
# DESCRIPTION
#	Each bad file must make vigild -n exit 1 with a message that names
#	FILE:LINE and what is wrong; etc/vigil.conf, every etc/roles/*.conf
#	(docs/DEPLOY.md), the block form and the older "stage NAME =
#	PROGRAM ARGS" lines must pass. The role files of several machines
#	agree on what every node of a deployment must share (writers, the
#	transport, the NATS servers and stream). No server is started.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0

fail() { echo "FAIL: $*"; exit 1; }

# refused TEXT WANT...: vigild -n exits 1 on a file of TEXT, saying each WANT
refused() {
	printf "$1" >"$tmp/c.conf"
	shift
	"$BIN/vigild" -n -c "$tmp/c.conf" >"$tmp/out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc, not 1, for: $(cat "$tmp/c.conf")"
	for want in "$@"; do
		grep -qF -- "$want" "$tmp/out" || fail "no \"$want\" in: $(cat "$tmp/out")"
	done
	n=$((n + 1))
}
w="stage writer = $BIN/vigil-writer -D $tmp\n"

refused "$w"'writers = 0\n' "c.conf:2: writers = 0: must be 1..32"
refused "$w"'ring_slots = 3\n' "c.conf:2: ring_slots = 3: must be 64..1048576, a power of two"
refused "$w"'metrics_listen = 999.1.1.1:99999\n' "c.conf:2: metrics_listen = 999.1.1.1:99999"
refused "$w"'metrics_listen = 1.2.3.4:99999\n' "c.conf:2:" "port must be 0..65535"
refused "stage writer = $BIN/vigil-writer -D $tmp -Q bogus\n" "c.conf:1: stage writer: -Q: unknown option"
refused "stage writer = $BIN/vigil-writer -i 1OO\n" "c.conf:1:" "-i 1OO: not a number"
refused 'stage bogus = /bin/true\n' "c.conf:1: stage bogus: unknown stage"
refused 'bogus {\n}\n' "c.conf:1: stage bogus: unknown stage"
refused '' "no stage configured"
refused '# only a comment\n' "no stage configured"
refused "$w"'wri\000ters = 2\n' "c.conf:2: a NUL byte"
refused "$w# $(head -c 3000 /dev/zero | tr '\0' x)\n" "c.conf:2: line longer than"
refused "$w"'writers = 3\nwriters = 4\n' "c.conf:3: writers = 4: given twice"
refused "$w"'restart_min_ms = 500\nrestart_max_ms = 100\n' "restart_max_ms 100 is below restart_min_ms 500"
refused "$w"'hello_cookie = sometimes\n' "c.conf:2: hello_cookie = sometimes: must be one of auto|always|off"
refused 'writer {\n\tsync_ms = 5000000\n}\n' "c.conf:2: sync_ms = 5000000: must be 0..3600000 ms"
refused 'writer {\n\tsync = fast\n}\n' "c.conf:2: sync = fast"
refused 'writer {\n\tgroup = 5\n}\n' "c.conf:2: group = 5: no such key in writer"
refused 'writer {\n\tsync_ms = 5\n' "c.conf:1: writer { is not closed"
refused 'writer {\n}\nwriter {\n}\n' "c.conf:3: stage writer: configured twice"
refused 'syncd {\n\trto_ms = 100\n}\n' "syncd: data_dir (-D DATA_DIR) is required"
refused 'syncd {\n\tdata_dir = /d\n\trto_ms = 100\n\trto_max_ms = 50\n}\n' "rto_max_ms (-T) 50 is below rto_ms (-t) 100"
refused 'listener {\n\texit_after = 5\n}\n' "c.conf:2: exit_after = 5: no such key"
refused 'streamer {\n\tlisten = [::1]80\n}\n' "c.conf:2: listen = [::1]80"
refused "$w"'nonsense\n' "c.conf:2:"
"$BIN/vigild" -n -c "$tmp" >"$tmp/out" 2>&1 && fail "a directory passed"
grep -qF "not a regular file" "$tmp/out" || fail "a directory: $(cat "$tmp/out")"
n=$((n + 1))

# taken: the shipped file, blocks, old lines, a stand-in program
"$BIN/vigild" -n -c etc/vigil.conf >"$tmp/out" 2>&1 || fail "etc/vigil.conf: $(cat "$tmp/out")"
nroles=0
for f in etc/roles/*.conf; do
	"$BIN/vigild" -n -c "$f" >"$tmp/out" 2>&1 || fail "$f: $(cat "$tmp/out")"
	nroles=$((nroles + 1))
done
[ "$nroles" -ge 4 ] || fail "etc/roles holds $nroles files, not the 4 roles"
for k in writers transport nats_url nats_stream nats_ack_wait_ms nats_replicas; do
	v=$(sed -n "s/^$k[ \t]*=[ \t]*\([^ \t#]*\).*/\1/p" etc/roles/ingest.conf \
		etc/roles/writer.conf etc/roles/streamer.conf | sort -u)
	[ "$(echo "$v" | wc -l)" -eq 1 ] && [ -n "$v" ] ||
		fail "the role files of several machines differ on $k: $(echo $v)"
done
grep -q '^transport = nats$' etc/roles/writer.conf || fail "writer.conf: not transport = nats"
cat >"$tmp/ok.conf" <<CONF
writers = 3
hello_cookie = always
metrics_listen =
listener {
	program = $BIN/vigil-listener
	listen = [::1]:7400
	hello_rate = 0.5
}
stage writer = $BIN/vigil-writer -D $tmp/%i -s durable -i 50
indexer {
}
stage syncd = sleep 1000
CONF
"$BIN/vigild" -n -c "$tmp/ok.conf" >"$tmp/out" 2>&1 || fail "ok.conf: $(cat "$tmp/out")"
grep -q "configuration ok (4 stage kinds, 3 writers)" "$tmp/out" || fail "ok.conf: $(cat "$tmp/out")"

# -D prints every default: a file vigild takes once syncd's required
# data_dir, which has none, is left out with its block
"$BIN/vigild" -D | sed '/^syncd {/,/^}/d' >"$tmp/defaults.conf" || fail "vigild -D"
grep -q '^ring_slots = 4096$' "$tmp/defaults.conf" || fail "-D has no ring_slots"
"$BIN/vigild" -n -c "$tmp/defaults.conf" >"$tmp/out" 2>&1 || fail "-D's file refused: $(cat "$tmp/out")"
"$BIN/vigild" -h | grep -qF "ring_slots" || fail "vigild -h does not list ring_slots"
"$BIN/vigild" -Q >/dev/null 2>&1; [ $? -eq 2 ] || fail "vigild -Q did not exit 2"

# vigil-listener -n: good options and its keys taken, a value out of
# range refused (exit 2) with the range, no server key refused (exit 1)
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail "keygen"
"$BIN/vigil-listener" -n -d "$tmp/keys" -l 127.0.0.1:7400 -c 5 -r 100 -k always >"$tmp/out" 2>&1 ||
	fail "vigil-listener -n: $(cat "$tmp/out")"
grep -q "configuration ok" "$tmp/out" || fail "vigil-listener -n: $(cat "$tmp/out")"
"$BIN/vigil-listener" -n -d "$tmp/keys" -w 5000000000 >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "vigil-listener -n -w 5000000000: exit $rc, not 2"
grep -qF -- "-w 5000000000: must be 0..4294967295" "$tmp/out" || fail "vigil-listener -w: $(cat "$tmp/out")"
"$BIN/vigil-listener" -n -d "$tmp/none" >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "vigil-listener -n without a server key: exit $rc, not 1"
grep -qF "$tmp/none/server.key" "$tmp/out" || fail "vigil-listener -n: $(cat "$tmp/out")"
"$BIN/vigil-listener" -h >"$tmp/out" || fail "vigil-listener -h did not exit 0"
grep -qF "hello_window_ms" "$tmp/out" || fail "vigil-listener -h does not list hello_window_ms"
echo "conf: $n bad files refused with their line; etc/vigil.conf, $nroles role files, blocks and -D's file taken"

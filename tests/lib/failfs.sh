# NAME
#	failfs.sh - a vigild test's data folder on failfs (tests/tools/failfs.c)
# SYNOPSIS
#	. tests/lib/failfs.sh; ff_need; . tests/lib/vigil_server.sh;
#	vs_setup NAME; ff_mount [WORD]
# DESCRIPTION
#	ff_need exits 77 with the reason when failfs, /dev/fuse or
#	fusermount3 is missing. ff_mount mounts $tmp/backing at $tmp/mnt
#	with the control file $tmp/fail created (holding WORD, e.g. "lose",
#	when given: every sync on the mount fails until the test removes
#	it), logs to $tmp/failfs.log, sets $data to a folder on the mount,
#	and installs a cleanup trap that detaches the mount before
#	vs_cleanup. Needs $BINDIR/$OUT as the tests set them.
ff_need() {
	FAILFS=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/failfs
	[ -x "$FAILFS" ] || { echo "skipped: failfs not built ($FAILFS)"; exit 77; }
	[ -c /dev/fuse ] || { echo "skipped: no /dev/fuse: FUSE mounts cannot run here"; exit 77; }
	command -v fusermount3 >/dev/null 2>&1 ||
		{ echo "skipped: no fusermount3 (scripts/deps.sh installs fuse3)"; exit 77; }
}
ff_cleanup() {
	# detach the mount first: vs_cleanup kills every process under $tmp
	# (failfs among them) and removes $tmp
	fusermount3 -u -z "$tmp/mnt" 2>/dev/null
	[ -n "$ffpid" ] && kill -9 "$ffpid" 2>/dev/null
	vs_cleanup
}
ff_mount() {
	ffpid=""
	trap ff_cleanup EXIT INT TERM
	mkdir -p "$tmp/backing" "$tmp/mnt"
	echo "${1:-}" >"$tmp/fail"
	"$FAILFS" --backing="$tmp/backing" --fail-if="$tmp/fail" --log="$tmp/failfs.log" \
		-f -o max_threads=16 "$tmp/mnt" 2>"$tmp/failfs.err" &
	ffpid=$!
	ff_i=0
	until grep -q " $tmp/mnt fuse" /proc/mounts; do
		kill -0 "$ffpid" 2>/dev/null ||
			{ echo "skipped: failfs does not mount here: $(tail -1 "$tmp/failfs.err")"; exit 77; }
		ff_i=$((ff_i + 1))
		[ $ff_i -gt 50 ] && { echo "skipped: failfs did not mount within 5 s"; exit 77; }
		sleep 0.1
	done
	data=$tmp/mnt/data
	mkdir "$data" || fail "mkdir on the mount"
}
# ff_vigild: vigild with a listener, a writer (${WRITER_ARGS:-}), the
# indexer and syncd on $data, and one provisioned camera: sets $cam and
# $store (its local store).
ff_vigild() {
	vs_run syncd 1 <<CONF
restart_min_ms = 50
index_days = 64
index_arena_mb = 4
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $data ${WRITER_ARGS:-}
stage indexer = $BIN/vigil-indexer -D $data -d $tmp/keys -r 200
stage syncd = $BIN/vigil-syncd -D $data
CONF
	cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
	store=$tmp/cams/$cam/state.store
}
# ff_stream_failing FRAMES N: the camera streams FRAMES pictures and
# lingers (output in $tmp/cam1.out) until syncd has failed to confirm N
# times (syncd_confirm_unsynced), then ends.
ff_stream_failing() {
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n "$1" --fps 30 --no-gpsd \
		--linger 8000 >"$tmp/cam1.out" 2>"$tmp/cam1.err" &
	ff_cpid=$!
	pids=$ff_cpid
	ff_i=0
	until [ "$(vs_counter syncd syncd_confirm_unsynced)" -ge "$2" ] || ! kill -0 "$ff_cpid" 2>/dev/null; do
		ff_i=$((ff_i + 1))
		[ $ff_i -gt 300 ] && fail "syncd_confirm_unsynced never reached $2"
		sleep 0.1
	done
	wait "$ff_cpid" || fail "camera exit (while syncs fail): $(tail -3 "$tmp/cam1.err")"
	pids=""
	[ "$(vs_counter syncd syncd_confirm_unsynced)" -ge "$2" ] || fail "syncd tried to confirm fewer than $2 times"
}

#!/bin/sh
# NAME
#	test_disk_full.sh - the data file system fills up and comes back:
#	nothing a camera recorded is lost
# DESCRIPTION
#	The data folder is a 2 MiB tmpfs; one camera streams about 4 MB of
#	H.264 through the test relay. When the file system is full the
#	writer's append fails: it exits without releasing its ring entries
#	and vigild restarts it with a growing delay, the listener drops and
#	counts what no longer fits in the ring, and the camera keeps all of
#	it in its store. Then the file system grows to 64 MiB (as an
#	operator freeing space would): the writer appends what its ring
#	held, syncd asks the camera for what the listener dropped, and the
#	day must end complete, every counter once, verified. Needs root and
#	tmpfs mounts; exits 77 when it cannot mount.
. "$(dirname "$0")/sync_setup.sh"
sync_setup diskfull 41
mkdir -p "$tmp/data"
if ! mount -t tmpfs -o size=2m vigiltest "$tmp/data" 2>/dev/null; then
	echo "cannot mount a tmpfs here (not root, or no mount permission): skipped"
	exit 77
fi
trap 'umount -l "$tmp/data" 2>/dev/null; sync_cleanup' EXIT INT TERM
sync_conf "" ""
sync_start
sync_relay 0:loss=0
sleep 0.3
timeout 120 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 400 --fps 25 --kbps 2000 \
	--no-gpsd --linger 60000 >"$tmp/cam.out" 2>&1 &
cpid=$!

# wait until the file system is full and a writer has failed on it
i=0
until grep -q 'No space left' "$tmp/vigild.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "the data file system never filled"; sleep 0.1
done
echo "data file system full: $(df -k "$tmp/data" | awk 'NR == 2 {print $3 " KiB used of " $2}')"
sleep 3 # the camera streams on while nothing can be stored
mount -o remount,size=64m "$tmp/data" || fail "remount"
echo "data file system grown to 64 MiB"
wait $cpid || fail "camera exit"
cpid=""
sleep 1
m=$(curl -s "http://127.0.0.1:$mport/metrics")
sync_stop
grep -v hello-ack "$tmp/cam.out" | tail -5
echo "$m" | grep -E 'vigil_(ring_full|accepted)\{stage="listener"' || true

# the writer names the cause and the file, not "Input/output error"
grep -E "vigil-writer\[[0-9]+\]: .*$tmp/data/$c/[^ ]*\.vgl.*No space left on device" "$tmp/vigild.log" |
	head -1 | grep . || fail "the writer's full-disk error does not name the file and the cause"
grep -q 'vigil-writer.*Input/output error' "$tmp/vigild.log" && fail "the writer reported a full disk as an I/O error"
restarts=$(grep -c 'writer\[[0-9]*\] exited' "$tmp/vigild.log")
echo "writer exits while full: $restarts"
[ "$restarts" -gt 0 ] || fail "no writer ever failed: the test did not fill the disk"
day=$(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p' | head -1)
[ -n "$day" ] || fail "no day file"
sync_check_day "$day"
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
stored=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
echo "sent $sent, stored $stored"
[ "$stored" -eq "$sent" ] || fail "stored $stored of $sent"
echo "disk full: all checks passed"

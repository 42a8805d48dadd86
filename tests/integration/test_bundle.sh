#!/bin/sh
# NAME
#	test_bundle.sh - an evidence bundle verifies standalone, any edited
#	byte is found and named, and its MP4 plays
# DESCRIPTION
#	A camera streams H.264 into vigild (listener and writer); the day is
#	chained (vigilctl chain) and exported with vigilctl export-bundle for
#	a recipient key. vigil-verify must verify it and write an MP4 that
#	ffprobe reads with as many frames as vigilctl export decrypts, and a
#	bundle for a time window an MP4 of the frames captured in it. Then,
#	for every file of the bundle, a copy with one byte changed in the
#	middle of that file must fail vigil-verify with a line naming that
#	file; so must a copy whose manifest was rewritten to match an edited
#	day file (the server's signature no longer matches), and a
#	verification with another recipient's key.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
command -v ffprobe >/dev/null || { echo "ffprobe is not installed"; exit 77; }
vs_setup bundle
vs_record_day 60
dayname=$(basename "$day" .vgl)
"$BIN/vigilctl" chain -d "$tmp/keys" -c "$day" >/dev/null || fail "vigilctl chain"
"$BIN/vigilctl" keygen -d "$tmp/court" >/dev/null || fail "recipient keygen"
"$BIN/vigilctl" keygen -d "$tmp/other" >/dev/null || fail "other keygen"
"$BIN/vigilctl" export-bundle -d "$tmp/keys" -D "$tmp/data" -r "$tmp/court/server.pub" \
	"$cam" "$dayname" "$tmp/b" || fail "export-bundle"
frames=$("$BIN/vigilctl" export -d "$tmp/keys" -l "$day" 2>/dev/null | grep -c '^frame=')
[ "$frames" -gt 10 ] || fail "only $frames frames exported"

"$BIN/vigil-verify" "$tmp/b" -k "$tmp/court/server.key" --mp4 "$tmp/out.mp4" >"$tmp/v.out" 2>&1 ||
	{ cat "$tmp/v.out"; fail "untouched bundle does not verify"; }
cat "$tmp/v.out"
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
	-of csv=p=0 "$tmp/out.mp4")
[ "$n" = "$frames" ] || fail "ffprobe reads $n frames from the MP4, want $frames"
echo "mp4: $n frames"

# a time window: the MP4 holds the frames captured in it, the checks cover the day
# (from the keyframe at or before its start, so that the MP4 decodes from its first frame)
"$BIN/vigilctl" export -d "$tmp/keys" -l "$day" 2>/dev/null |
	sed -n 's/.*key=\([01]\) capture_ms=\([0-9]*\).*/\2 \1/p' | sort -n >"$tmp/caps"
t0=$(sed -n 40p "$tmp/caps" | cut -d' ' -f1) t1=$(sed -n 55p "$tmp/caps" | cut -d' ' -f1)
k0=$(awk -v a="$t0" '$2 == 1 && $1 <= a {k = $1} END {print k}' "$tmp/caps")
want=$(awk -v a="$k0" -v b="$t1" '$1 >= a && $1 <= b' "$tmp/caps" | wc -l)
"$BIN/vigilctl" export-bundle -d "$tmp/keys" -D "$tmp/data" -r "$tmp/court/server.pub" \
	"$cam" "$dayname" "$t0" "$t1" "$tmp/w" >/dev/null || fail "export-bundle FROM TO"
"$BIN/vigil-verify" "$tmp/w" -k "$tmp/court/server.key" --mp4 "$tmp/w.mp4" >"$tmp/w.out" 2>&1 ||
	{ cat "$tmp/w.out"; fail "windowed bundle does not verify"; }
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
	-of csv=p=0 "$tmp/w.mp4")
[ "$n" = "$want" ] || fail "windowed MP4 has $n frames, want $want"
echo "window: $n frames"

"$BIN/vigil-verify" "$tmp/b" -k "$tmp/other/server.key" >"$tmp/o.out" 2>&1 &&
	fail "verified with another recipient's key"
grep -q "FAIL secrets.txt" "$tmp/o.out" || { cat "$tmp/o.out"; fail "wrong key not named"; }

# one byte in the middle of every file
for f in $(cd "$tmp/b" && find . -type f | sed 's|^\./||' | sort); do
	rm -rf "$tmp/e"; cp -r "$tmp/b" "$tmp/e"
	size=$(stat -c %s "$tmp/e/$f")
	off=$((size / 2))
	old=$(od -An -tx1 -j "$off" -N1 "$tmp/e/$f" | tr -d ' ')
	new=$(printf '%02x' $(( (0x$old + 1) % 256 )))
	printf "\\$(printf '%03o' 0x$new)" | dd of="$tmp/e/$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
	if "$BIN/vigil-verify" "$tmp/e" -k "$tmp/court/server.key" >"$tmp/e.out" 2>&1; then
		cat "$tmp/e.out"; fail "byte $off of $f changed: still verified"
	fi
	# a changed manifest line names its file; the server's signature names the manifest
	want="^FAIL $f"; [ "$f" = manifest.txt ] && want="^FAIL manifest.sig"
	grep -q "$want" "$tmp/e.out" || { cat "$tmp/e.out"; fail "byte $off of $f changed: not named"; }
	echo "edit $f@$off: $(grep '^FAIL' "$tmp/e.out" | head -2 | tr '\n' ' ')"
done

# an edited record with the manifest made to match: the signatures show it
rm -rf "$tmp/e"; cp -r "$tmp/b" "$tmp/e"
rel=$cam/$dayname.vgl
printf 'X' | dd of="$tmp/e/$rel" bs=1 seek=5000 conv=notrunc 2>/dev/null
sum=$(sha256sum "$tmp/e/$rel" | cut -d' ' -f1)
sed -i "s|^[0-9a-f]*  $rel\$|$sum  $rel|" "$tmp/e/manifest.txt"
"$BIN/vigil-verify" "$tmp/e" -k "$tmp/court/server.key" >"$tmp/e.out" 2>&1 && fail "re-manifested edit verified"
grep -q "^FAIL manifest.sig" "$tmp/e.out" || { cat "$tmp/e.out"; fail "manifest signature not checked"; }
grep -q "^FAIL $rel: bytes [0-9]*\.\.[0-9]* are not a good record" "$tmp/e.out" || { cat "$tmp/e.out"; fail "edited record not located"; }
echo "bundle: verified, $frames frames in the MP4, every edit detected"

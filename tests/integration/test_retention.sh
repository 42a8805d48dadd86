#!/bin/sh
# NAME
#	test_retention.sh - retention per camera, legal holds, expiry and the
#	signed audit log, on a temporary data folder
# DESCRIPTION
#	A camera records a day through vigild; the day is chained. With a
#	retention of 30 days: ten days later nothing expires; forty days
#	later a held day (one-day hold, then a hold on all the camera's
#	days) is kept; once released, a dry run deletes nothing, and expire
#	deletes the day file and everything beside it. The audit log holds
#	one signed entry per change (retention, holds, releases, the expiry
#	with the deleted file's SHA-256) and verifies; an edited entry or a
#	removed one does not.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup retention
vs_record_day 10
d=$(basename "$day" .vgl)
sum=$(sha256sum "$day" | cut -d' ' -f1)
ctl() { sub=$1; shift; "$BIN/vigilctl" "$sub" -D "$tmp/data" -d "$tmp/keys" "$@"; }
"$BIN/vigilctl" chain -d "$tmp/keys" "$day" >/dev/null || fail chain
later() { date -u -d "$d + $1 days" +%F; }

ctl retention "$cam" 30 || fail retention
ctl expire -t "$(later 10)" | grep -q "^0 days expired" || fail "expired before its time"
ctl hold "$cam" "$d" "case 42" >/dev/null || fail hold
ctl expire -t "$(later 40)" >"$tmp/e1" || fail expire
grep -q "^held $cam/$d" "$tmp/e1" || { cat "$tmp/e1"; fail "held day not reported held"; }
[ -f "$day" ] || fail "a held day was deleted"
ctl hold -r "$cam" "$d" >/dev/null || fail release
ctl hold "$cam" all "whole camera" >/dev/null || fail "hold all"
ctl expire -t "$(later 40)" | grep -q "^0 days expired" || fail "expired under a camera hold"
ctl hold -r "$cam" all >/dev/null || fail "release all"
ctl expire -t "$(later 40)" -n | grep -q "^would expire $cam/$d sha256=$sum" || fail "dry run"
[ -f "$day" ] || fail "a dry run deleted the day"
ctl expire -t "$(later 40)" >"$tmp/e2" || fail expire
grep -q "^expired $cam/$d sha256=$sum .*chain=verified" "$tmp/e2" || { cat "$tmp/e2"; fail "expiry not reported"; }
left=$(ls "$tmp/data/$cam" | grep -c "^$d\.")
[ "$left" -eq 0 ] || fail "$left files of the day left: $(ls "$tmp/data/$cam")"

ctl audit >"$tmp/a" || { cat "$tmp/a"; fail "audit log does not verify"; }
cat "$tmp/a"
grep -q "^6 entries: verified" "$tmp/a" || fail "want 6 audit entries"
grep -q " expire $cam $d sha256=$sum " "$tmp/a" || fail "expiry not in the audit log"
cp "$tmp/data/audit.log" "$tmp/audit.ok"
sed -i '2s/case_42/case_43/' "$tmp/data/audit.log"
ctl audit >"$tmp/a" && fail "edited audit entry verified"
grep -q "line 2: signature does not verify" "$tmp/a" || { cat "$tmp/a"; fail "edit not located"; }
sed '3d' "$tmp/audit.ok" >"$tmp/data/audit.log"
ctl audit >"$tmp/a" && fail "audit log with an entry removed verified"
grep -q "line 3: does not follow" "$tmp/a" || { cat "$tmp/a"; fail "removal not located"; }
echo "retention: held days kept, expired day deleted and accounted for in the audit log"

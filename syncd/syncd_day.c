/*
 * NAME
 *	syncd_day.c - one (camera, day): follow its file, ask for what is
 *	missing, confirm what is held, record completeness
 *
 * DESCRIPTION
 *	Which counters are stored comes from the shared index (libindex)
 *	once an indexer has it ready. Without one (or while the indexer's
 *	start-up scan runs) the day file is followed with the storage reader (each record's counter and arrival
 *	time go into a proto_dayscan_t), and a restarted syncd learns it all
 *	again from the file.
 *
 *	Reports give the camera's high-water mark (next counter) and the
 *	oldest counter it still holds. A counter is asked for only once a
 *	report that covered it is settle_ms old (so what is merely in
 *	flight is not asked for twice), only while the camera is online
 *	(a report within online_ms), and never below oldest held: what the
 *	camera no longer holds and the server lacks is lost, counted, never
 *	asked for. One MISSING is in flight per day at a time, at most the
 *	camera's backfill budget in size (docs/PROTOCOL.md, "Pacing"). The
 *	next is sent when every counter of the last has arrived, or when
 *	its wait (rto) runs out; a wait that brought nothing doubles, up to
 *	rto_max_ms, and a range asked for max_tries times in vain is given
 *	up and counted as lost.
 *
 *	Every second the counters that were stored one second earlier are
 *	confirmed (CONFIRM), so the camera may free them. The writer syncs
 *	every 100 ms, but a slow or failing disk can hold a sync back for
 *	longer than that, so syncd fdatasyncs the day file itself before
 *	each CONFIRM and confirms nothing when that fails (counted
 *	syncd_confirm_unsynced): a camera never frees what is only in the
 *	page cache. After a failed sync, the day is confirmed again only
 *	once what was written since the last good sync reads back whole
 *	from the disk (durable(), read_back()).
 *
 *	When every counter in [0, high) is stored the day is complete: the
 *	time is kept in the .sync file (docs/STORAGE.md) at once, other
 *	changes at most every two seconds; a write that fails is tried
 *	again two seconds later, even when nothing changes meanwhile. While the camera streams on, the
 *	day stays complete as long as every settled counter is stored
 *	(newer ones are on their way to the writer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx.h"
#include "stage_log.h"
#include "syncd.h"

#define FOLLOW_MAX 8192 /* records read per day per turn */
#define STATE_EVERY_MS 2000
#define CONFIRM_EVERY_MS 1000

void
syncd_day_report(syncd_t *d, syncd_day_t *day, const proto_report_day_t *rd, uint64_t now,
		 uint64_t mono)
{
	(void)d;
	if (rd->next_counter > day->st.high)
		day->st.high = rd->next_counter, day->state_dirty = 1;
	/* oldest held only from the camera's newest report (the caller checks) */
	if (rd->oldest_held != day->st.oldest_held)
		day->st.oldest_held = rd->oldest_held, day->state_dirty = 1;
	day->st.report_ms = now;
	day->last_report_ms = mono;
	if (day->nck && day->ck[day->nck - 1].next >= rd->next_counter)
		return;
	if (day->nck == SYNCD_CKPT) {
		memmove(&day->ck[0], &day->ck[1], sizeof(day->ck[0]) * (SYNCD_CKPT - 1));
		day->nck--;
	}
	day->ck[day->nck].next = rd->next_counter;
	day->ck[day->nck].ms = mono;
	day->nck++;
}

static void
follow(syncd_t *d, syncd_day_t *day)
{
	char path[4096];
	proto_rec_t rec;
	int n = 0;

	if (day->rd == NULL) {
		if (proto_file_path(d->o.datadir, day->cam->uuid, day->date, path, sizeof(path)) <
			0 ||
		    proto_reader_open(path, &day->rd) < 0) {
			day->rd = NULL;
			return; /* not written yet */
		}
	}
	/* the end, a tail or a read error ends this turn; the next reads on from the last record */
	while (n < FOLLOW_MAX && proto_reader_next(day->rd, &rec) > 0) {
		n++;
		if (rec.len < PROTO_C2S_HDR_LEN)
			continue;
		uint32_t c = proto_dgram_counter(rec.dgram);
		int was_asked = proto_ranges_has(&day->asked, c);
		if (proto_dayscan_note(&day->scan, c, rec.meta.arrival_ns, was_asked) == 0 &&
		    was_asked) {
			day->cam->backfilled++;
			syncd_count(d->m_backfilled, 1);
		}
	}
}

/*
 * From the shared index: the day's stored ranges, as the indexer read
 * them from the file. Counters asked for that became present are noted
 * as backfilled, at the time syncd saw them. Returns 0, or -1 when the
 * index cannot say now (no indexer, still scanning, or reset).
 */
static int
from_index(syncd_t *d, syncd_day_t *day, uint64_t now)
{
	proto_ranges_t fresh = {0};
	idx_range_t *v = day->idxbuf;
	uint32_t i;
	int n;

	if (!idx_ready(d->idx))
		return -1;
	for (;;) {
		n = idx_day_ranges(d->idx, day->cam->uuid, day->date, v, day->idxcap);
		if (n == -ENOENT)
			n = 0; /* nothing stored yet */
		if (n < 0)
			return -1;
		if ((uint32_t)n <= day->idxcap)
			break;
		if ((v = realloc(day->idxbuf, (size_t)n * 2 * sizeof(*v))) == NULL)
			return -1;
		day->idxbuf = v;
		day->idxcap = (uint32_t)n * 2;
	}
	for (i = 0; i < (uint32_t)n; i++)
		if (proto_ranges_add(&fresh, v[i].first, v[i].last + 1) < 0) {
			proto_ranges_free(&fresh);
			return -1;
		}
	for (i = 0; i < day->asked.n; i++)
		for (uint32_t c = day->asked.r[i].lo; c < day->asked.r[i].hi; c++)
			if (!proto_ranges_has(&day->scan.present, c) &&
			    proto_ranges_has(&fresh, c)) {
				proto_dayscan_note(&day->scan, c, now * 1000000ull, 1);
				day->cam->backfilled++;
				syncd_count(d->m_backfilled, 1);
			}
	proto_ranges_free(&day->scan.present);
	day->scan.present = fresh;
	return 0;
}

/* Counters below the newest report at least settle_ms old. */
static void
settle(syncd_t *d, syncd_day_t *day, uint64_t mono)
{
	int i, keep = 0;

	for (i = 0; i < day->nck; i++)
		if (day->ck[i].ms + d->o.settle_ms <= mono) {
			if (day->ck[i].next > day->settled)
				day->settled = day->ck[i].next;
			keep = i;
		}
	if (keep > 0) {
		memmove(&day->ck[0], &day->ck[keep],
			sizeof(day->ck[0]) * (size_t)(day->nck - keep));
		day->nck -= keep;
	}
}

static uint64_t
missing_in(const syncd_day_t *day, const proto_ranges_t *set)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < set->n; i++)
		n += (set->r[i].hi - set->r[i].lo) -
		     proto_ranges_count(&day->scan.present, set->r[i].lo, set->r[i].hi);
	return n;
}

static void
request(syncd_t *d, syncd_day_t *day, uint64_t mono)
{
	syncd_cam_t *c = day->cam;
	proto_missing_t m = {0};
	uint32_t from, lo, hi, want, got, take;
	uint64_t still = day->asked.n ? missing_in(day, &day->asked) : 0;

	if (day->asked.n) {
		/* the camera resends at most `rate` a second: wait for all of it */
		if (mono < day->asked_ms + day->rto_ms + day->asked_missing * 1000 / d->o.rate)
			return;
		if (still >= day->asked_missing) {
			/* nothing came: wait longer next time */
			day->tries++;
			day->rto_ms =
			    day->rto_ms * 2 > d->o.rto_max_ms ? d->o.rto_max_ms : day->rto_ms * 2;
			if (day->tries >= d->o.max_tries) {
				uint32_t i;
				for (i = 0; i < day->asked.n; i++)
					proto_ranges_add(&day->abandoned, day->asked.r[i].lo,
							 day->asked.r[i].hi);
				log_warnx("%s %u: gave up on %llu counters after %u requests",
					  c->name, day->date, (unsigned long long)still,
					  day->tries);
				day->tries = 0;
				day->rto_ms = d->o.rto_ms;
			}
		} else {
			day->tries = 0;
			day->rto_ms = d->o.rto_ms;
		}
		proto_ranges_free(&day->asked);
	}
	if (mono > c->last_report_ms + d->o.online_ms)
		return; /* the camera is away: nothing it could answer */
	from = day->st.oldest_held;
	want = 0;
	/* collect gaps below the settled mark, not given up, within the budget */
	while (m.n < PROTO_MISSING_MAX_RANGES &&
	       proto_ranges_gap(&day->scan.present, from, day->settled, &lo, &hi) == 0) {
		uint32_t alo, ahi;
		from = hi;
		/* skip what was given up and what the camera never used */
		while (lo < hi && (proto_ranges_has(&day->abandoned, lo) ||
				   proto_ranges_has(&day->st.voids, lo)))
			lo++;
		if (lo >= hi)
			continue;
		if (proto_ranges_gap(&day->abandoned, lo, hi, &alo, &ahi) == 0)
			hi = ahi; /* up to the next abandoned counter */
		if (proto_ranges_gap(&day->st.voids, lo, hi, &alo, &ahi) == 0)
			hi = ahi; /* up to the next unused one */
		from = hi;
		take = hi - lo;
		if (want + take > d->o.rate / 2 + 1)
			take = d->o.rate / 2 + 1 - want;
		if (take == 0)
			break;
		m.range[m.n++] = (proto_range_t){day->date, lo, take};
		want += take;
		if (take < hi - lo)
			break;
	}
	if (m.n == 0)
		return;
	got = syncd_cam_budget(d, c, want, mono);
	if (got == 0)
		return;
	/* trim to the budget granted */
	for (uint32_t i = 0, sum = 0; i < m.n; i++) {
		if (sum + m.range[i].count > got) {
			m.range[i].count = got - sum;
			m.n = (uint16_t)(m.range[i].count ? i + 1 : i);
			break;
		}
		sum += m.range[i].count;
	}
	if (m.n == 0 || syncd_send(d, c->uuid, PROTO_T_MISSING, &m) < 0)
		return;
	for (uint32_t i = 0; i < m.n; i++)
		proto_ranges_add(&day->asked, m.range[i].first,
				 m.range[i].first + m.range[i].count);
	day->asked_missing = missing_in(day, &day->asked);
	day->asked_ms = mono;
	if (day->first_ask_ms == 0)
		day->first_ask_ms = mono;
	if (day->rto_ms < d->o.rto_ms)
		day->rto_ms = d->o.rto_ms;
	c->missing_sent++;
	c->asked += day->asked_missing;
	syncd_count(d->m_missing, 1);
	syncd_count(d->m_asked, day->asked_missing);
	if (d->o.verbose)
		log_info("%s %u: asked for %llu counters in %u ranges from %u (high %u)", c->name,
			 day->date, (unsigned long long)day->asked_missing, m.n, m.range[0].first,
			 day->st.high);
}

/*
 * Read the file back from the disk itself (O_DIRECT: past the page cache,
 * whoever maps the file) from a page before from up to to, and check
 * that the records there are whole and follow each other with no gap.
 * A failed writeback leaves its pages in the cache marked clean, so a
 * normal read, or the index, would still show what the disk may have
 * lost. Returns 0 when whole, 1 with *bad the offset where the damage
 * starts, -1 when it cannot tell (the read failed; try again later).
 */
#define READBACK_WINDOW (4u << 20)
#define REC_MAX (PROTO_REC_HDR_LEN + PROTO_MAX_DGRAM)

static int
read_back(const char *path, uint64_t from, uint64_t to, uint64_t *bad)
{
	uint8_t *io = NULL, *win; /* a page for the header's copy, then the window */
	uint64_t pos, expect = 0; /* end of the last record known whole, 0 before the first */
	proto_file_hdr_t fh;
	int fd, rc = -1;

	if (to <= from)
		return 0;
	if ((fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0) {
		/* a file system without O_DIRECT (tmpfs of old): its cache is all there is */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
	}
	if (posix_memalign((void **)&io, 4096, 4096 + READBACK_WINDOW) != 0)
		goto out;
	win = io + 4096;
	/* the file header, for the reader: lost too if it was never synced */
	ssize_t h = pread(fd, win, 4096, 0);
	if (h < 0)
		goto out;
	if (h < PROTO_FILE_HDR_LEN || proto_file_hdr_decode(win, (size_t)h, &fh) < 0) {
		*bad = 0;
		rc = 1;
		goto out;
	}
	memcpy(win - PROTO_FILE_HDR_LEN, win, PROTO_FILE_HDR_LEN); /* stays before each window */
	pos = from > 2 * 4096 ? (from & ~4095ull) - 4096 : 0; /* records are shorter than a page */
	if (pos == 0)
		expect = PROTO_FILE_HDR_LEN;
	while (pos < to && expect < to) {
		uint64_t want = ((to - pos + 4095) & ~4095ull);
		if (want > READBACK_WINDOW)
			want = READBACK_WINDOW;
		ssize_t n = pread(fd, win, want, (off_t)pos);
		if (n < 0)
			goto out;
		if ((uint64_t)n > to - pos)
			n = (ssize_t)(to - pos);
		/* the first window holds the header itself; the others get its copy before them */
		const uint8_t *start = pos ? win - PROTO_FILE_HDR_LEN : win;
		size_t len = (size_t)n + (pos ? PROTO_FILE_HDR_LEN : 0);
		uint64_t base =
		    pos ? pos - PROTO_FILE_HDR_LEN : 0; /* file offset = reader offset + base */
		proto_reader_t *r;
		proto_rec_t rec;
		if (len <= PROTO_FILE_HDR_LEN)
			break;
		if (proto_reader_mem(start, len, &r) < 0)
			goto out;
		while (rc < 0 && proto_reader_next(r, &rec) > 0) {
			/* a record starts where the one before ended, or there was damage */
			uint64_t o = rec.offset + base, end = proto_reader_offset(r) + base;
			if (expect == 0 && o > from) /* no whole record in the page before from */
				*bad = pos, rc = 1;
			else if (expect != 0 && end > expect && o != expect)
				*bad = expect, rc = 1;
			else if (end > expect)
				expect = end;
		}
		proto_reader_free(r);
		if (rc > 0 || (uint64_t)n < want || pos + (uint64_t)n >= to)
			break;
		/* the next window starts at the page of the last whole record's end */
		uint64_t next = expect ? (expect & ~4095ull) : pos + (uint64_t)n - 4096;
		if (next <= pos)
			next = pos + (uint64_t)n - 4096;
		pos = next;
	}
	if (rc > 0)
		goto out;
	/* up to to: at most one record being appended when the size was taken */
	if (expect == 0 || (expect < to && to - expect >= REC_MAX)) {
		*bad = expect ? expect : from;
		rc = 1;
	} else {
		rc = 0;
	}
out:
	free(io);
	close(fd);
	return rc;
}

/*
 * Make what the day file holds durable before confirming any of it: a
 * sync on syncd's own descriptor waits for every page of the file, the
 * writer's included (a no-op when the writer has synced already).
 *
 * The descriptor stays open while the day is followed: Linux reports a
 * failed writeback once to each descriptor open when it happened, so a
 * failure the writer's sync saw first still reaches this one (one
 * opened afterwards would never hear of it). A sync that succeeds after
 * one that failed proves nothing of the pages that failed: the kernel
 * marked them clean, and the disk may have lost them while the cache
 * still shows them. So after a failure the day is confirmed again only
 * once what was written since the last good sync reads back from the
 * disk whole; if it does not, nothing more of the day is confirmed
 * (syncd_day_damaged, logged with the offset) and the camera keeps it.
 */
/*
 * Open syncd's descriptor of the day file as soon as the file exists
 * (each tick until then), so that it is open before the records it will
 * confirm are written. Returns 0, or -errno (-ENOENT: not yet).
 */
static int
open_day(syncd_t *d, syncd_day_t *day, char *path, size_t cap)
{
	if (proto_file_path(d->o.datadir, day->cam->uuid, day->date, path, cap) < 0)
		return -ENAMETOOLONG;
	if (day->has_fd)
		return 0;
	if ((day->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	day->has_fd = 1;
	return 0;
}

static int
durable(syncd_t *d, syncd_day_t *day)
{
	char path[4096];
	struct stat st;
	uint64_t bad = 0;
	int rc;

	if (day->st.damaged)
		return -1;
	if ((rc = open_day(d, day, path, sizeof(path))) < 0) {
		log_warnx("confirm: open %s: %s", path, strerror(-rc));
		return -1;
	}
	if (fstat(day->fd, &st) < 0)
		return -1;
	if (fdatasync(day->fd) < 0) {
		if (!day->st.unsynced) {
			log_warnx("confirm: fdatasync %s: %s; confirming nothing of this day until "
				  "what was written since byte %llu reads back whole from the disk",
				  path, strerror(errno), (unsigned long long)day->synced_to);
			day->st.unsynced = 1; /* kept in .sync: a restart does not forget it */
			day->st.unsynced_from = day->synced_to;
			day->state_dirty = 1;
		}
		return -1;
	}
	if (day->st.unsynced) {
		if ((rc = read_back(path, day->st.unsynced_from, (uint64_t)st.st_size, &bad)) < 0)
			return -1;
		if (rc > 0) {
			log_warnx(
			    "confirm: %s is damaged on the disk at byte %llu (after a failed "
			    "sync): nothing more of this day is confirmed; the camera keeps it",
			    path, (unsigned long long)bad);
			day->st.damaged = 1;
			day->st.damaged_at = bad;
			day->state_dirty = 1;
			syncd_count(d->m_damaged, 1);
			return -1;
		}
		log_warnx("confirm: %s reads back whole from the disk up to byte %llu after a "
			  "failed sync; confirming again",
			  path, (unsigned long long)st.st_size);
		day->st.unsynced = 0;
		day->state_dirty = 1;
	}
	day->synced_to = (uint64_t)st.st_size;
	return 0;
}

static void
confirm(syncd_t *d, syncd_day_t *day, uint64_t mono)
{
	proto_missing_t m = {0};
	uint32_t i;

	if (mono < day->confirm_ms + CONFIRM_EVERY_MS)
		return;
	day->confirm_ms = mono;
	if (mono <= day->cam->last_report_ms + d->o.online_ms) {
		for (i = 0; i < day->confirmable.n && m.n < PROTO_MISSING_MAX_RANGES; i++) {
			if (day->confirmable.r[i].hi <= day->conf_cursor)
				continue;
			m.range[m.n++] =
			    (proto_range_t){day->date, day->confirmable.r[i].lo,
					    day->confirmable.r[i].hi - day->confirmable.r[i].lo};
		}
		/* go round the ranges a hundred at a time */
		day->conf_cursor = m.n == PROTO_MISSING_MAX_RANGES ? m.range[m.n - 1].first + 1 : 0;
		if (m.n && durable(d, day) < 0) {
			syncd_count(d->m_unsynced, 1);
			m.n = 0; /* asked again next second */
		}
		if (m.n && syncd_send(d, day->cam->uuid, PROTO_T_CONFIRM, &m) == 0) {
			day->cam->confirm_sent++;
			syncd_count(d->m_confirm, 1);
		}
	}
	/* what is stored now is confirmed next time */
	proto_ranges_free(&day->confirmable);
	for (i = 0; i < day->scan.present.n; i++)
		proto_ranges_add(&day->confirmable, day->scan.present.r[i].lo,
				 day->scan.present.r[i].hi);
}

static void
write_state(syncd_t *d, syncd_day_t *day, uint64_t mono)
{
	char dir[4096], u[37];
	proto_late_t *v;
	uint32_t n = day->st.nlate + day->scan.nlate;
	int rc;

	/* the backfilled runs: those of earlier runs of syncd and ours */
	if (n && (v = malloc(n * sizeof(*v))) != NULL) {
		if (day->st.nlate)
			memcpy(v, day->st.late, day->st.nlate * sizeof(*v));
		if (day->scan.nlate)
			memcpy(v + day->st.nlate, day->scan.late, day->scan.nlate * sizeof(*v));
		free(day->st.late);
		day->st.late = v;
		day->st.nlate = proto_late_merge(v, n);
	}
	proto_uuid_fmt(day->cam->uuid, u);
	snprintf(dir, sizeof(dir), "%s/%s", d->o.datadir, u);
	mkdir(d->o.datadir, 0755);
	mkdir(dir, 0755);
	day->state_ms = mono;
	day->state_dirty = 0;
	if ((rc = proto_daystate_write(d->o.datadir, day->cam->uuid, day->date, &day->st)) < 0) {
		log_warnx("%s %u: cannot write the sync state: %s", day->cam->name, day->date,
			  proto_strerror(rc));
		day->state_dirty = 1; /* again STATE_EVERY_MS later: it may be the last change */
	}
}

void
syncd_day_tick(syncd_t *d, syncd_day_t *day, uint64_t now, uint64_t mono)
{
	uint64_t have, lost;
	char path[4096];

	if (!day->has_fd)
		(void)open_day(d, day, path, sizeof(path)); /* before its records are written */
	if (d->idx && from_index(d, day, now) == 0) {
		if (!day->indexed) {
			day->indexed = 1;
			syncd_count(d->m_indexed, 1);
		}
		if (day->rd) { /* the index has taken over */
			proto_reader_free(day->rd);
			day->rd = NULL;
		}
	} else {
		follow(d, day); /* no indexer, or it is still scanning */
	}
	settle(d, day, mono);
	if (day->st.high == 0)
		return;
	/* what the camera no longer holds and we lack, and what was given up */
	lost = day->st.oldest_held - proto_ranges_count(&day->scan.present, 0, day->st.oldest_held);
	for (uint32_t i = 0; i < day->abandoned.n; i++)
		lost += (day->abandoned.r[i].hi - day->abandoned.r[i].lo) -
			proto_ranges_count(&day->scan.present, day->abandoned.r[i].lo,
					   day->abandoned.r[i].hi);
	if (lost != day->st.lost) {
		if (lost > day->st.lost) {
			day->cam->lost += lost - day->st.lost;
			syncd_count(d->m_lost, lost - day->st.lost);
		}
		day->st.lost = lost;
		day->state_dirty = 1;
	}
	have = proto_ranges_count(&day->scan.present, 0, day->st.high);
	for (uint32_t i = 0; i < day->st.voids.n; i++) {
		/* counters never used count as held: nothing is missing there */
		uint32_t a = day->st.voids.r[i].lo, b = day->st.voids.r[i].hi;
		if (b > day->st.high)
			b = day->st.high;
		if (a < b)
			have += (b - a) - proto_ranges_count(&day->scan.present, a, b);
	}
	if (have == day->st.high) {
		if (day->st.complete_ms == 0) {
			day->st.complete_ms = now;
			day->cam->days_complete++;
			syncd_count(d->m_complete, 1);
			if (d->o.verbose || day->scan.nlate)
				log_info("%s %u: complete, counters 0-%u, %u late runs",
					 day->cam->name, day->date, day->st.high - 1,
					 day->scan.nlate);
			write_state(d, day, mono);
		}
	} else if (day->st.complete_ms &&
		   proto_ranges_count(&day->scan.present, 0, day->settled) +
			   proto_ranges_count(&day->st.voids, 0, day->settled) <
		       day->settled) {
		/* a real gap (not datagrams merely in flight to the writer) */
		day->st.complete_ms = 0;
		day->state_dirty = 1;
	}
	if (day->asked.n && missing_in(day, &day->asked) == 0) {
		/* all of the last request arrived: backfill latency since the first ask */
		uint64_t lat = mono - day->first_ask_ms;
		day->cam->latency_ms_sum += lat;
		day->cam->latency_n++;
		day->cam->latency_last_ms = lat;
		day->first_ask_ms = 0;
		day->tries = 0;
		day->rto_ms = d->o.rto_ms;
		proto_ranges_free(&day->asked);
	}
	if (have < day->st.high)
		request(d, day, mono);
	confirm(d, day, mono);
	if (day->state_dirty && mono >= day->state_ms + STATE_EVERY_MS)
		write_state(d, day, mono);
}

void
syncd_day_close(syncd_t *d, syncd_day_t *day)
{
	if (day->state_dirty && day->st.high)
		write_state(d, day, proto_mono_ms());
	if (day->rd)
		proto_reader_free(day->rd);
	if (day->has_fd)
		close(day->fd);
	proto_dayscan_free(&day->scan);
	proto_daystate_free(&day->st);
	free(day->idxbuf);
	proto_ranges_free(&day->asked);
	proto_ranges_free(&day->abandoned);
	proto_ranges_free(&day->confirmable);
	memset(day, 0, sizeof(*day));
}

/*
 * NAME
 *	streamer_order.c - recorded playback in counter order
 *
 * DESCRIPTION
 *	A day file holds its records in the order they arrived: a stretch
 *	that a camera resent after an outage (backfill) sits later in the
 *	file than the datagrams captured after it. Recorded playback
 *	follows the counters instead, which increase with capture time.
 *
 *	The index has a point at every run start (a record whose counter
 *	does not follow the previous record's in the file) and at least
 *	every IDX_POINT_EVERY records, so the records between two points
 *	hold consecutive counters. The viewer keeps the counter it sends
 *	next and reads the file straight on while the records carry
 *	exactly that counter: a run costs one sequential read, like file
 *	order, and no index lookup. Where the file's next record carries
 *	another counter (the run ended), the counter is found again: the
 *	point with the largest counter <= it starts the stretch that holds
 *	it, at most a few dozen records before it; when that stretch ends
 *	first, the counter is not stored (a gap) and playback goes on at
 *	the point with the smallest counter above it, which is where the
 *	next stored counter starts a run. Every record found is checked to
 *	carry the counter looked for; nothing is sent twice. A point whose
 *	offset does not hold a record of its counter (a resynchronised
 *	read, another counter, the end of the file) means the index and the
 *	file disagree: -EPROTO, and the caller goes on in file order.
 *
 *	The points are copied from the index into the viewer's own table,
 *	sorted by counter, when the first run ends (the table is kept for
 *	the next play or seek in the same day), and topped up with the
 *	points indexed since (they are append-only) when a counter is not
 *	where the table says. After a new index generation (a restarted
 *	indexer) the points are copied again and merged without
 *	duplicates: offsets stay true, since the file only grows.
 *
 *	A counter that was a gap when playback passed it and was filled
 *	later is not sent (the viewer is past it). When no stored counter
 *	follows, streamer_order_next returns 0 with the reader just after
 *	the last record sent: a recorded stream then goes on as live from
 *	there, skipping what it sent already (counters below the last).
 *
 *	A paused live stream resumes from the smallest counter the file
 *	holds after the pause: the first record there, or a point further
 *	on (a smaller counter starts a run), or a record the indexer has
 *	not read yet (a bounded stretch past indexed_to is read). The
 *	records sent live, the offsets [sent_lo, sent_hi), are passed over
 *	by the caller (streamer_order_sent): their counters are walked as
 *	any other, so what follows them is found, but they are not sent
 *	again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "streamer.h"

#define ORDER_SCAN_MAX (4 * IDX_POINT_EVERY) /* records from a point to its counter, at most */
#define ORDER_COPY 1024			    /* points copied from the index per call */
#define ORDER_TAIL_MAX 4096		    /* records read past the index on resume, at most */

/* The counter of a record, as the indexer reads it: 0, or -1 for none. */
static int
rec_counter(const proto_rec_t *rec, uint32_t *c)
{
	if (rec->len < PROTO_C2S_HDR_LEN ||
	    (rec->dgram[3] == PROTO_T_DATA && rec->len < PROTO_DATA_HDR_LEN))
		return -1;
	*c = proto_get32(rec->dgram + 24);
	return 0;
}

static int
by_counter(const void *a, const void *b)
{
	uint32_t x = ((const idx_point_t *)a)->counter, y = ((const idx_point_t *)b)->counter;

	return x < y ? -1 : x > y;
}

/*
 * Add the points indexed since the last call. Returns how many were
 * added (0: none new or the index cannot say now), or -ENOMEM.
 */
static int
refresh(viewer_t *v)
{
	struct view_order *o = &v->ord;
	uint64_t gen = idx_generation(streamer.idx);
	uint32_t old, added = 0;
	idx_point_t *p;
	int total, got, again = gen != o->gen;

	if (o->date != v->date || memcmp(o->uuid, v->uuid, 16)) { /* another day's */
		o->npts = o->seen = 0;
		o->gen = gen;
		again = 0;
		memcpy(o->uuid, v->uuid, 16);
		o->date = v->date;
	}
	if (again) { /* a new generation copies them all again: duplicates go below */
		o->seen = 0;
		o->gen = gen;
	}
	old = o->npts;
	do {
		if (o->cap - o->npts < ORDER_COPY) {
			uint32_t ncap = o->cap ? o->cap * 2 : ORDER_COPY * 2;
			if ((p = realloc(o->pts, (size_t)ncap * sizeof(*p))) == NULL)
				return -ENOMEM;
			o->pts = p;
			o->cap = ncap;
		}
		total = idx_day_points(streamer.idx, v->uuid, v->date, o->seen, o->pts + o->npts,
				       ORDER_COPY);
		if (total < 0 || (uint32_t)total <= o->seen)
			break;
		got = total - (int)o->seen < ORDER_COPY ? total - (int)o->seen : ORDER_COPY;
		o->npts += (uint32_t)got;
		o->seen += (uint32_t)got;
		added += (uint32_t)got;
	} while (o->seen < (uint32_t)total);
	if (added == 0)
		return 0;
	/* the new points are sorted, then merged with the old ones from the back */
	qsort(o->pts + old, added, sizeof(*o->pts), by_counter);
	if (old && o->pts[old - 1].counter > o->pts[old].counter) {
		idx_point_t *tmp = malloc((size_t)added * sizeof(*tmp));
		uint32_t i = old, j = added, k = old + added;
		if (tmp == NULL)
			return -ENOMEM;
		memcpy(tmp, o->pts + old, (size_t)added * sizeof(*tmp));
		while (j > 0) {
			if (i > 0 && o->pts[i - 1].counter > tmp[j - 1].counter)
				o->pts[--k] = o->pts[--i];
			else
				o->pts[--k] = tmp[--j];
		}
		free(tmp);
	}
	if (again) {
		uint32_t i, k = 0;
		for (i = 0; i < o->npts; i++)
			if (k == 0 || o->pts[k - 1].counter != o->pts[i].counter)
				o->pts[k++] = o->pts[i];
		o->npts = k;
	}
	return (int)added;
}

/* Index of the first point with a counter > c (npts when none). */
static uint32_t
upper(const struct view_order *o, uint32_t c)
{
	uint32_t lo = 0, hi = o->npts;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o->pts[mid].counter <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Read from point p on until counter c: 1 with *rec when the stretch
 * holds it, 0 when it ends first, -EPROTO when the file holds no record
 * of p's counter at p's offset, or a reader error.
 */
static int
scan(viewer_t *v, const idx_point_t *p, uint32_t c, proto_rec_t *rec)
{
	uint32_t want = p->counter, k, got;
	int rc;

	if (c - p->counter > ORDER_SCAN_MAX || proto_reader_seek(v->rd, p->offset) < 0)
		return 0;
	for (k = 0; k <= ORDER_SCAN_MAX; k++) {
		if ((rc = proto_reader_next(v->rd, rec)) <= 0)
			return rc < 0 || k > 0 ? rc : -EPROTO;
		if (k == 0 && (rec->offset != p->offset || rec_counter(rec, &got) < 0 ||
			       got != p->counter))
			return -EPROTO; /* the index has a record there; the file another, or none */
		if (rec_counter(rec, &got) < 0)
			continue;
		if (got != want)
			return 0;
		if (got == c)
			return 1;
		want++;
	}
	return 0;
}

/*
 * The record of v->ord.next, else of the next stored counter: 1 with
 * *rec (and ord.next set to its counter), 0 when no stored counter
 * follows, -EPROTO when the index and the file disagree, or an error.
 */
static int
locate(viewer_t *v, proto_rec_t *rec)
{
	struct view_order *o = &v->ord;
	uint32_t c = o->next, i;
	int rc, refreshed = 0;

	if (o->npts == 0 || o->date != v->date || memcmp(o->uuid, v->uuid, 16)) {
		if ((rc = refresh(v)) < 0)
			return rc;
		refreshed = 1;
	}
	for (;;) {
		i = upper(o, c);
		if (i > 0 && (rc = scan(v, &o->pts[i - 1], c, rec)) != 0)
			return rc;
		if (refreshed)
			break;
		/* c is not where the table says: maybe in a stretch indexed since */
		if ((rc = refresh(v)) < 0)
			return rc;
		refreshed = 1;
		if (rc == 0)
			break;
	}
	/* c is not stored: the next stored counter starts a run, so it is a point */
	if ((i = upper(o, c)) == o->npts)
		return 0;
	if ((rc = scan(v, &o->pts[i], o->pts[i].counter, rec)) <= 0)
		return rc < 0 ? rc : -EPROTO;
	o->next = o->pts[i].counter;
	return 1;
}

void
streamer_order_start(viewer_t *v, uint32_t c)
{
	v->ord.on = 1;
	v->ord.next = c;
	v->ord.floor_on = 0;
}

int
streamer_order_resume(viewer_t *v, uint64_t lo, uint64_t hi)
{
	struct view_order *o = &v->ord;
	idx_day_info_t info;
	proto_rec_t rec;
	uint32_t c, min, i, k;
	int rc;

	if (!idx_ready(streamer.idx))
		return -EAGAIN;
	/* the first record at hi, else nothing is stored after the pause */
	while ((rc = proto_reader_next(v->rd, &rec)) > 0 && rec_counter(&rec, &c) < 0)
		;
	if (rc <= 0) {
		proto_reader_seek(v->rd, hi);
		return rc;
	}
	min = c;
	/*
	 * A smaller counter further on starts a run, so it is a point; what
	 * the indexer did not read yet is read here, a bounded stretch.
	 */
	if ((rc = refresh(v)) < 0) {
		proto_reader_seek(v->rd, hi);
		return rc;
	}
	for (i = 0; i < o->npts; i++)
		if (o->pts[i].offset >= hi && o->pts[i].counter < min)
			min = o->pts[i].counter;
	if (idx_day_info(streamer.idx, v->uuid, v->date, &info) == 0 && info.indexed_to > hi &&
	    proto_reader_seek(v->rd, info.indexed_to) == 0)
		for (k = 0; k < ORDER_TAIL_MAX && proto_reader_next(v->rd, &rec) > 0; k++)
			if (rec_counter(&rec, &c) == 0 && c < min)
				min = c;
	proto_reader_seek(v->rd, hi);
	if (o->floor_on && min < o->floor)
		min = o->floor;
	streamer_order_start(v, min);
	o->sent_on = 1;
	o->sent_lo = lo;
	o->sent_hi = hi;
	return 1;
}

int
streamer_order_sent(const viewer_t *v, uint64_t off)
{
	return v->ord.sent_on && off >= v->ord.sent_lo && off < v->ord.sent_hi;
}

void
streamer_order_stop(viewer_t *v)
{
	v->ord.on = 0;
	v->ord.floor_on = 0;
}

void
streamer_order_free(viewer_t *v)
{
	free(v->ord.pts);
	memset(&v->ord, 0, sizeof(v->ord));
}

int
streamer_order_next(viewer_t *v, proto_rec_t *rec)
{
	uint64_t at = proto_reader_offset(v->rd);
	uint32_t c;
	int rc;

	while ((rc = proto_reader_next(v->rd, rec)) > 0 && rec_counter(rec, &c) < 0)
		at = proto_reader_offset(v->rd);
	if (rc < 0)
		return rc;
	if (rc > 0 && c == v->ord.next) {
		v->ord.next++;
		return 1;
	}
	if ((rc = locate(v, rec)) > 0) {
		v->ord.next++;
		return 1;
	}
	/* nothing further (or no telling): back to just after the last record sent */
	proto_reader_seek(v->rd, at);
	return rc;
}

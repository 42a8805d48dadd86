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
 *	The points are copied from the index into a table sorted by
 *	counter when a viewer's first run ends, and topped up in place with
 *	the points indexed since (they are append-only) when a counter is
 *	not where the table says. A worker holds one table per (day, index
 *	generation), shared by every viewer of that day: each viewer holds
 *	a reference (kept for the next play or seek in the same day), the
 *	first copies, the others find the points there, and whichever needs
 *	points indexed since adds them for all. The event loop is the only
 *	thread of the worker: no locks. The last viewer to let go of a
 *	table frees it. After a new index generation (a restarted indexer)
 *	a viewer moves to that generation's table and merges its old
 *	points into it without duplicates (offsets stay true, since the
 *	file only grows), so no counter of the old table is taken for a gap
 *	while the new index is incomplete.
 *
 *	The tables of a worker hold at most -t TABLE_SIZE bytes (streamer.h,
 *	STREAMER_TABLE_BYTES by default), counted in the order_table_bytes,
 *	order_tables and order_table_viewers (references held) gauges of
 *	its metrics. A table that would not fit
 *	(or memory that cannot be had) is -ENOMEM: the viewer goes on in
 *	file order, as for -EPROTO, and says so; the table stays as it was
 *	for its other viewers.
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
#define ORDER_COPY 1024     /* points a table grows by when the index grew unseen */
#define ORDER_TAIL_MAX 4096 /* records read past the index on resume, at most */

/* The counter of a record, as the indexer reads it: 0, or -1 for none. */
static int
rec_counter(const proto_rec_t *rec, uint32_t *c)
{
	if (rec->len < PROTO_C2S_HDR_LEN ||
	    (proto_dgram_type(rec->dgram) == PROTO_T_DATA && rec->len < PROTO_DATA_HDR_LEN))
		return -1;
	*c = proto_dgram_counter(rec->dgram);
	return 0;
}

static int
by_counter(const void *a, const void *b)
{
	uint32_t x = ((const idx_point_t *)a)->counter, y = ((const idx_point_t *)b)->counter;

	return x < y ? -1 : x > y;
}

/*
 * The point tables of this worker, one per (day, index generation),
 * each shared by the viewers that hold a reference to it. The event
 * loop is the only thread of the worker: no locks.
 */
struct order_table {
	order_table_t *next;
	uint8_t uuid[16];
	uint32_t date;
	uint64_t gen;             /* index generation whose points it copies */
	uint64_t id;              /* unique in the worker: what absorbed an older table */
	uint64_t merged_into;     /* the id of the newer table that absorbed it, 0 none */
	idx_point_t *pts;         /* by counter */
	uint32_t npts, cap, seen; /* seen: points copied from the index of gen */
	int mixed;                /* holds an older generation's points: merges drop duplicates */
	int refs;
};

static order_table_t *tables;
static size_t held;             /* bytes of all tables */
static uint32_t ntables, nrefs; /* tables, and viewers that hold one */
static uint64_t last_id;

static void
publish(void)
{
	streamer_gauge(streamer.m_table_bytes, held);
	streamer_gauge(streamer.m_tables, ntables);
	streamer_gauge(streamer.m_table_viewers, nrefs);
}

static void
table_put(order_table_t *t)
{
	order_table_t **pp;

	if (t == NULL)
		return;
	nrefs--;
	if (--t->refs > 0) {
		publish();
		return;
	}
	for (pp = &tables; *pp != NULL && *pp != t; pp = &(*pp)->next)
		;
	if (*pp == t) /* always: every table referenced is on the list */
		*pp = t->next;
	held -= sizeof(*t) + (size_t)t->cap * sizeof(*t->pts);
	ntables--;
	free(t->pts);
	free(t);
	publish();
}

/* A new table of (uuid, date, gen), referenced once; NULL past the cap or out of memory. */
static order_table_t *
table_new(const uint8_t uuid[16], uint32_t date, uint64_t gen)
{
	order_table_t *t;

	if (held + sizeof(*t) > streamer.table_bytes || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	memcpy(t->uuid, uuid, 16);
	t->date = date;
	t->gen = gen;
	t->id = ++last_id;
	t->refs = 1;
	nrefs++;
	t->next = tables;
	tables = t;
	held += sizeof(*t);
	ntables++;
	publish();
	return t;
}

/* Room for n more points: 0, or -ENOMEM (past the cap, or no memory). */
static int
table_grow(order_table_t *t, uint32_t n)
{
	size_t room = streamer.table_bytes - held, want;
	uint32_t ncap;
	idx_point_t *p;

	if (t->cap - t->npts >= n)
		return 0;
	if (n > UINT32_MAX / 2 - t->npts)
		return -ENOMEM;
	/* a quarter more, so that a growing day is not copied at every top-up */
	ncap = t->npts + n;
	if (ncap < t->cap + t->cap / 4)
		ncap = t->cap + t->cap / 4;
	if ((size_t)(ncap - t->cap) * sizeof(*p) > room)
		ncap = t->npts + n; /* what it needs, no more */
	want = (size_t)(ncap - t->cap) * sizeof(*p);
	if (want > room || (p = realloc(t->pts, (size_t)ncap * sizeof(*p))) == NULL)
		return -ENOMEM;
	t->pts = p;
	held += want;
	t->cap = ncap;
	publish();
	return 0;
}

/*
 * Merge the sorted points [old, npts) with the sorted ones before them,
 * dropping duplicates when the table is mixed. 0, or -ENOMEM with the
 * new points dropped (the table as it was).
 */
static int
table_merge(order_table_t *t, uint32_t old)
{
	uint32_t added = t->npts - old, i = old, j = added, k = t->npts;
	idx_point_t *tmp;

	if (old && t->pts[old - 1].counter > t->pts[old].counter) {
		if ((tmp = malloc((size_t)added * sizeof(*tmp))) == NULL) {
			t->npts = old;
			return -ENOMEM;
		}
		memcpy(tmp, t->pts + old, (size_t)added * sizeof(*tmp));
		while (j > 0) {
			if (i > 0 && t->pts[i - 1].counter > tmp[j - 1].counter)
				t->pts[--k] = t->pts[--i];
			else
				t->pts[--k] = tmp[--j];
		}
		free(tmp);
	}
	if (t->mixed) {
		for (i = k = 0; i < t->npts; i++)
			if (k == 0 || t->pts[k - 1].counter != t->pts[i].counter)
				t->pts[k++] = t->pts[i];
		t->npts = k;
	}
	return 0;
}

/*
 * v's table: of its day and of the index generation now. A viewer
 * whose table is of an older generation moves to the new one and
 * brings its points along (offsets stay true: the file only grows).
 * 0, or -ENOMEM (v then holds no new table).
 */
static int
attach(viewer_t *v, uint64_t gen)
{
	order_table_t *t = v->ord.tab, *n;
	int rc = 0;

	if (t && t->gen == gen && t->date == v->date && !memcmp(t->uuid, v->uuid, 16))
		return 0;
	if (t && (t->date != v->date || memcmp(t->uuid, v->uuid, 16))) { /* another day's */
		table_put(t);
		t = NULL;
	}
	v->ord.tab = NULL;
	for (n = tables; n; n = n->next)
		if (n->gen == gen && n->date == v->date && !memcmp(n->uuid, v->uuid, 16))
			break;
	if (n) {
		n->refs++;
		nrefs++;
		publish();
	} else if ((n = table_new(v->uuid, v->date, gen)) == NULL)
		rc = -ENOMEM;
	if (n && t && t->npts && t->merged_into != n->id) {
		uint32_t old = n->npts;
		if ((rc = table_grow(n, t->npts)) == 0) {
			memcpy(n->pts + old, t->pts, (size_t)t->npts * sizeof(*t->pts));
			n->npts += t->npts;
			n->mixed = 1;
			if ((rc = table_merge(n, old)) == 0)
				t->merged_into = n->id;
		}
	}
	table_put(t);
	v->ord.tab = n;
	return rc;
}

/*
 * Add to v's table the points indexed since the last call (by any
 * viewer of the table). Returns how many were added (0: none new or
 * the index cannot say now), or -ENOMEM.
 */
static int
refresh(viewer_t *v)
{
	order_table_t *t;
	uint32_t old, added = 0, room, got;
	int total, rc = 0;

	if ((rc = attach(v, idx_generation(streamer.idx))) < 0)
		return rc;
	t = v->ord.tab;
	old = t->npts;
	/* how many there are first, so that the table grows once */
	total = idx_day_points(streamer.idx, v->uuid, v->date, t->seen, NULL, 0);
	if (total <= 0 || (uint32_t)total <= t->seen)
		return 0;
	if ((rc = table_grow(t, (uint32_t)total - t->seen)) < 0)
		return rc;
	for (;;) {
		if (t->cap == t->npts && (rc = table_grow(t, ORDER_COPY)) < 0)
			break; /* indexed since the count: what was copied is kept */
		room = t->cap - t->npts;
		total =
		    idx_day_points(streamer.idx, v->uuid, v->date, t->seen, t->pts + t->npts, room);
		if (total < 0 || (uint32_t)total <= t->seen)
			break;
		got = (uint32_t)total - t->seen < room ? (uint32_t)total - t->seen : room;
		t->npts += got;
		t->seen += got;
		added += got;
		if (t->seen >= (uint32_t)total)
			break;
	}
	if (added == 0)
		return rc;
	/* the new points are sorted, then merged with the old ones from the back */
	qsort(t->pts + old, added, sizeof(*t->pts), by_counter);
	if (table_merge(t, old) < 0) {
		t->seen -= added;
		return -ENOMEM;
	}
	return rc < 0 ? rc : (int)added;
}

/* Index of the first point with a counter > c (npts when none). */
static uint32_t
upper(const order_table_t *t, uint32_t c)
{
	uint32_t lo = 0, hi = t->npts;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->pts[mid].counter <= c)
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
		if (k == 0 &&
		    (rec->offset != p->offset || rec_counter(rec, &got) < 0 || got != p->counter))
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
	order_table_t *t = o->tab;
	uint32_t c = o->next, i;
	int rc, refreshed = 0;

	if (t == NULL || t->npts == 0 || t->date != v->date || memcmp(t->uuid, v->uuid, 16)) {
		if ((rc = refresh(v)) < 0)
			return rc;
		refreshed = 1;
	}
	for (;;) {
		t = o->tab; /* refresh may move v to another generation's table */
		i = upper(t, c);
		if (i > 0 && (rc = scan(v, &t->pts[i - 1], c, rec)) != 0)
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
	t = o->tab;
	if ((i = upper(t, c)) == t->npts)
		return 0;
	if ((rc = scan(v, &t->pts[i], t->pts[i].counter, rec)) <= 0)
		return rc < 0 ? rc : -EPROTO;
	o->next = t->pts[i].counter;
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
	for (i = 0; i < o->tab->npts; i++)
		if (o->tab->pts[i].offset >= hi && o->tab->pts[i].counter < min)
			min = o->tab->pts[i].counter;
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
streamer_order_day(viewer_t *v)
{
	order_table_t *t = v->ord.tab;

	if (t && (t->date != v->date || memcmp(t->uuid, v->uuid, 16))) {
		table_put(t);
		v->ord.tab = NULL;
	}
}

void
streamer_order_free(viewer_t *v)
{
	table_put(v->ord.tab);
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

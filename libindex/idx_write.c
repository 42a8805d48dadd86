/*
 * NAME
 *	idx_write.c - the indexer's side of the index segment
 *
 * DESCRIPTION
 *	Only vigil-indexer calls these. Day slots are claimed by writing
 *	the key and then release-storing the state word. A batch of records
 *	of one day is one sequence-lock write section (idx_day_begin/end):
 *	the counter goes odd, the summary and the range list change, the
 *	counter goes even; each fence is commented. Arrays grow by copying
 *	into a new arena block (the old one stays valid for readers until
 *	the next reset). The arena is a bump allocator over the segment;
 *	when it is full, further growth is refused and counted.
 */
#include <errno.h>
#include <string.h>

#include "idx_int.h"
#include "proto.h"

void
idx_reset(idx_t *x)
{
	idx_hdr_t *h = x->hdr;

	ck_pr_store_64(&h->generation, h->generation + 1); /* odd: readers back off */
	ck_pr_fence_store();                               /* ... before we clear */
	memset(x->days, 0, (size_t)h->ndays * sizeof(struct idx_day));
	ck_pr_store_32(&h->ready, 0);
	ck_pr_store_64(&h->arena_used, 8);
	ck_pr_fence_store(); /* the cleared table before the even generation */
	ck_pr_store_64(&h->generation, h->generation + 1);
}

void
idx_set_ready(idx_t *x, int ready)
{
	/* every day the start-up scan added is visible before ready says the scan is done */
	ck_pr_fence_store();
	ck_pr_store_32(&x->hdr->ready, (uint32_t)ready);
}

idx_day_t *
idx_day_get(idx_t *x, const uint8_t uuid[16], uint32_t date)
{
	uint32_t i = idx_hash(uuid, date) & x->mask, k;

	for (k = 0; k <= x->mask; k++, i = (i + 1) & x->mask) {
		struct idx_day *d = &x->days[i];
		if (d->state == 0) {
			memcpy(d->uuid, uuid, 16);
			d->date = date;
			ck_pr_fence_store(); /* the key before the state that publishes it */
			ck_pr_store_32(&d->state, 1);
			return d;
		}
		if (d->date == date && !memcmp(d->uuid, uuid, 16))
			return d;
	}
	return NULL;
}

uint64_t
idx_arena_alloc(idx_t *x, uint64_t bytes)
{
	idx_hdr_t *h = x->hdr;
	uint64_t ref = (h->arena_used + 7) & ~7ull;

	if (ref + bytes > h->arena_size) {
		ck_pr_store_64(&h->arena_full, h->arena_full + 1);
		return 0;
	}
	ck_pr_store_64(&h->arena_used, ref + bytes);
	return ref;
}

void *
idx_arena_ptr(idx_t *x, uint64_t ref)
{
	return x->body + x->hdr->arena_off + ref;
}

void
idx_day_begin(idx_t *x, idx_day_t *d)
{
	(void)x;
	ck_pr_store_32(&d->seq, d->seq + 1); /* odd: readers retry */
	ck_pr_fence_store();                 /* ... before any field changes */
}

void
idx_day_end(idx_t *x, idx_day_t *d)
{
	(void)x;
	ck_pr_fence_store(); /* every field change before the even counter */
	ck_pr_store_32(&d->seq, d->seq + 1);
}

/* Append p to a chunked append-only array (word, own). */
int
idx_arr_push(idx_t *x, uint64_t *word, struct idx_arr_own *a, const idx_point_t *p)
{
	uint64_t w = *word, dref = IDX_ARR_REF(w), c, *dir;
	uint32_t n = IDX_ARR_N(w), ci = n / IDX_CHUNK, k = n % IDX_CHUNK;

	if (dref == 0) {
		if ((dref = idx_arena_alloc(x, 4 * sizeof(uint64_t))) == 0)
			return -ENOSPC;
		memset(idx_arena_ptr(x, dref), 0, 4 * sizeof(uint64_t));
		a->dcap = 4;
		a->c0cap = 0;
		ck_pr_fence_store(); /* the empty directory before the word naming it */
		ck_pr_store_64(word, IDX_ARR_WORD(dref, 0));
	}
	if (ci >= a->dcap) {
		uint64_t nref = idx_arena_alloc(x, (uint64_t)a->dcap * 2 * sizeof(uint64_t));
		if (nref == 0)
			return -ENOSPC;
		memset(idx_arena_ptr(x, nref), 0, (size_t)a->dcap * 2 * sizeof(uint64_t));
		memcpy(idx_arena_ptr(x, nref), idx_arena_ptr(x, dref),
		       (size_t)a->dcap * sizeof(uint64_t));
		a->dcap *= 2;
		dref = nref;
		ck_pr_fence_store(); /* the copied directory before the word naming it */
		ck_pr_store_64(word, IDX_ARR_WORD(dref, n));
	}
	dir = idx_arena_ptr(x, dref);
	if (ci == 0 && n == a->c0cap) { /* chunk 0 grows by doubling */
		uint32_t ncap = a->c0cap ? a->c0cap * 2 : 16;
		if ((c = idx_arena_alloc(x, (uint64_t)ncap * sizeof(idx_point_t))) == 0)
			return -ENOSPC;
		if (n)
			memcpy(idx_arena_ptr(x, c), idx_arena_ptr(x, dir[0]),
			       (size_t)n * sizeof(idx_point_t));
		a->c0cap = ncap;
		ck_pr_fence_store(); /* the copy before the offset that points at it */
		ck_pr_store_64(&dir[0], c);
	} else if (ci > 0 && k == 0) { /* a new whole chunk */
		if ((c = idx_arena_alloc(x, (uint64_t)IDX_CHUNK * sizeof(idx_point_t))) == 0)
			return -ENOSPC;
		ck_pr_store_64(&dir[ci], c); /* published by the fence below */
	}
	((idx_point_t *)idx_arena_ptr(x, dir[ci]))[k] = *p;
	ck_pr_fence_store(); /* the entry (and any new offset) before the count */
	ck_pr_store_64(word, IDX_ARR_WORD(dref, n + 1));
	return 0;
}

/* Insert counter c (time t, 0 unknown) into the range list. 1 new, 0 present. */
static int
range_add(idx_t *x, struct idx_day *d, uint32_t c, uint64_t t)
{
	/* no array yet (offset 0, as after idx_reset) means no ranges */
	idx_range_t *r = d->ranges ? idx_arena_ptr(x, d->ranges) : NULL;
	uint32_t n = r != NULL ? d->nranges : 0, lo = 0, hi = n;

	/* the common case: the next counter after the last range */
	if (n && r[n - 1].last + 1 == c && c != 0) {
		r[n - 1].last = c;
		if (t)
			r[n - 1].end_ms = t;
		return 1;
	}
	while (lo < hi) { /* first range with first > c */
		uint32_t mid = lo + (hi - lo) / 2;
		if (r[mid].first <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	idx_range_t *prev = lo ? &r[lo - 1] : NULL, *next = lo < n ? &r[lo] : NULL;
	if (prev && prev->last >= c)
		return 0;
	int joins_prev = prev && prev->last + 1 == c;
	int joins_next = next && c + 1 == next->first;
	if (joins_prev && joins_next) {
		prev->last = next->last;
		prev->end_ms = next->end_ms ? next->end_ms : prev->end_ms;
		memmove(next, next + 1, (size_t)(n - lo - 1) * sizeof(*r));
		d->nranges = n - 1;
		return 1;
	}
	if (joins_prev) {
		prev->last = c;
		if (t)
			prev->end_ms = t;
		return 1;
	}
	if (joins_next) {
		next->first = c;
		if (t)
			next->start_ms = t;
		return 1;
	}
	if (r == NULL || n == d->rcap) {
		uint32_t ncap = n ? n * 2 : 8;
		uint64_t nref = idx_arena_alloc(x, (uint64_t)ncap * sizeof(*r));
		if (nref == 0)
			return -ENOSPC;
		if (n)
			memcpy(idx_arena_ptr(x, nref), r, (size_t)n * sizeof(*r));
		d->ranges = nref; /* inside the write section: readers retry */
		d->rcap = ncap;
		r = idx_arena_ptr(x, nref);
	}
	memmove(&r[lo + 1], &r[lo], (size_t)(n - lo) * sizeof(*r));
	r[lo] = (idx_range_t){c, c, t, t};
	d->nranges = n + 1;
	return 1;
}

int
idx_day_add(idx_t *x, idx_day_t *d, const idx_rec_t *r)
{
	int32_t rel = 0;
	int rc, kf, run;

	if (r->next > d->indexed_to)
		d->indexed_to = r->next;
	/* a run of the file starts where the counter does not follow the previous record's */
	run = d->follow == 0 || r->counter != d->follow;
	d->follow = r->counter + 1;
	if ((rc = range_add(x, d, r->counter, r->capture_ms)) <= 0) {
		/*
		 * Present already (a duplicate the writer let through) or full:
		 * not indexed, so the record after it starts a run even when
		 * its counter follows the duplicate's.
		 */
		d->follow = 0;
		return rc;
	}
	if (r->counter + 1 > d->high)
		d->high = r->counter + 1;
	d->records++;
	d->bytes += r->len;
	if (r->arrival_ms > d->last_arrival_ms)
		d->last_arrival_ms = r->arrival_ms;
	if (r->capture_ms) {
		int64_t t = (int64_t)r->capture_ms - (int64_t)d->date * 86400000;
		rel = t < INT32_MIN ? INT32_MIN : t > INT32_MAX ? INT32_MAX : (int32_t)t;
		if (r->type == PROTO_T_DATA && r->capture_ms > d->last_capture_ms)
			d->last_capture_ms = r->capture_ms;
	}
	idx_point_t p = {r->offset, r->counter, rel};
	if (r->type == PROTO_T_DATA && r->codec < 32)
		d->codecs |= 1u << r->codec;
	if (r->type == PROTO_T_HELLO && (rc = idx_arr_push(x, &d->hellos, &d->hellos_own, &p)) < 0)
		return rc;
	kf = r->type == PROTO_T_DATA && r->stream == PROTO_S_VIDEO &&
	     (r->flags & PROTO_F_KEYFRAME) && r->frag_index == 0;
	if (kf && (rc = idx_arr_push(x, &d->kf, &d->kf_own, &p)) < 0)
		return rc;
	if ((++d->since_point >= IDX_POINT_EVERY && !kf) || run) {
		d->since_point = 0;
		if ((rc = idx_arr_push(x, &d->pts, &d->pts_own, &p)) < 0)
			return rc;
	}
	return 0;
}

void
idx_day_set_telemetry(idx_day_t *d, const idx_telemetry_t *t)
{
	if (t->time_ms >= d->tele.time_ms)
		d->tele = *t;
}

void
idx_day_set_reported(idx_day_t *d, uint32_t next)
{
	if (next > d->reported_next)
		d->reported_next = next;
}

uint64_t
idx_day_indexed_to(const idx_day_t *d)
{
	return d->indexed_to;
}

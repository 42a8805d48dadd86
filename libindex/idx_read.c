/*
 * NAME
 *	idx_read.c - the index segment: create, attach, and lock-free reads
 *
 * DESCRIPTION
 *	Readers (streamer, syncd, tools) never write to the segment. Every
 *	read checks the generation before and after (a reset in between
 *	gives -EAGAIN), finds the day slot by probing the hash table, and
 *	copies what it needs: the day summary and ranges under the day's
 *	sequence lock (bounded retries), the append-only arrays through
 *	their one-word (offset, count) descriptor. Offsets read from the
 *	segment are bounds-checked against the arena before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idx_int.h"

#define IDX_READ_TRIES 4096

static int
idx_map(idx_t *x)
{
	x->body = shm_seg_body(&x->seg);
	x->hdr = (idx_hdr_t *)x->body;
	if (ck_pr_load_64(&x->hdr->magic) != IDX_MAGIC)
		return -EPROTO;
	/* the magic was stored after the layout fields (idx_create): read them after it */
	ck_pr_fence_load();
	if (x->hdr->version != IDX_VERSION || x->hdr->ndays == 0 ||
	    (x->hdr->ndays & (x->hdr->ndays - 1)) ||
	    x->hdr->arena_off + x->hdr->arena_size > shm_seg_body_size(&x->seg) ||
	    x->hdr->days_off + (uint64_t)x->hdr->ndays * sizeof(struct idx_day) > x->hdr->arena_off)
		return -EPROTO;
	x->days = (struct idx_day *)(x->body + x->hdr->days_off);
	x->mask = x->hdr->ndays - 1;
	return 0;
}

int
idx_create(const char *prefix, uint32_t days, uint64_t arena_bytes, idx_t **out)
{
	uint32_t n = 64;
	idx_t *x;
	int rc;

	while (n < days && n < (1u << 24))
		n <<= 1;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	uint64_t days_off = sizeof(idx_hdr_t);
	uint64_t arena_off = days_off + (uint64_t)n * sizeof(struct idx_day);
	arena_off = (arena_off + 63) & ~63ull;
	rc = shm_kind_create(prefix, SHM_KIND_INDEX, NULL, 0, arena_off + arena_bytes, &x->seg);
	if (rc < 0) {
		free(x);
		return rc;
	}
	idx_hdr_t *h = shm_seg_body(&x->seg);
	h->version = IDX_VERSION;
	h->ndays = n;
	h->days_off = days_off;
	h->arena_off = arena_off;
	h->arena_size = arena_bytes;
	h->arena_used = 8; /* offset 0 of the arena means "no array" */
	/* the layout fields above are visible before the magic that declares them */
	ck_pr_fence_store();
	ck_pr_store_64(&h->magic, IDX_MAGIC);
	idx_map(x);
	*out = x;
	return 0;
}

int
idx_attach(const char *prefix, idx_t **out)
{
	idx_t *x;
	int rc;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	rc = shm_kind_attach(prefix, SHM_KIND_INDEX, NULL, 0, sizeof(idx_hdr_t), &x->seg);
	if (rc < 0 || (rc = idx_map(x)) < 0) {
		if (x->seg.base)
			shm_seg_detach(&x->seg);
		free(x);
		return rc;
	}
	*out = x;
	return 0;
}

void
idx_close(idx_t *x)
{
	if (x == NULL)
		return;
	shm_seg_detach(&x->seg);
	free(x);
}

void
idx_set_patience(idx_t *x, unsigned ms)
{
	x->patience_ms = ms;
}

int
idx_ready(const idx_t *x)
{
	return (int)ck_pr_load_32(&x->hdr->ready);
}

uint64_t
idx_generation(const idx_t *x)
{
	return ck_pr_load_64(&x->hdr->generation);
}

void
idx_arena_usage(const idx_t *x, uint64_t *used, uint64_t *size)
{
	*used = ck_pr_load_64(&x->hdr->arena_used);
	*size = x->hdr->arena_size;
}

/* Generation bracket of every read. */
static int
gen_begin(const idx_t *x, uint64_t *g)
{
	*g = ck_pr_load_64(&x->hdr->generation);
	/* the generation before any read of the table (pairs with idx_reset's second fence) */
	ck_pr_fence_load();
	return (*g & 1) ? -EAGAIN : 0;
}

static int
gen_end(const idx_t *x, uint64_t g, int rc)
{
	/* every read of the table before the generation is read again (pairs with
	 * idx_reset's first fence: a reset begun meanwhile shows as a new generation) */
	ck_pr_fence_load();
	return ck_pr_load_64(&x->hdr->generation) == g ? rc : -EAGAIN;
}

static const struct idx_day *
find(const idx_t *x, const uint8_t uuid[16], uint32_t date)
{
	uint32_t i = idx_hash(uuid, date) & x->mask, k;

	for (k = 0; k <= x->mask; k++, i = (i + 1) & x->mask) {
		const struct idx_day *d = &x->days[i];
		uint32_t st = ck_pr_load_32(&d->state);
		ck_pr_fence_load(); /* key fields after the state that published them */
		if (st == 0)
			return NULL;
		if (d->date == date && !memcmp(d->uuid, uuid, 16))
			return d;
	}
	return NULL;
}

/*
 * Sequence lock, reader side: bounded, so a dead writer never hangs us.
 * Spin first (an update takes well under a microsecond); a reader with
 * patience then sleeps in short steps until its deadline, for an indexer
 * preempted in mid-update.
 */
static int
seq_begin(const idx_t *x, const struct idx_day *d, uint32_t *v)
{
	uint64_t deadline = 0;
	int i;

	for (;;) {
		for (i = 0; i < IDX_READ_TRIES; i++) {
			*v = ck_pr_load_32(&d->seq);
			if ((*v & 1) == 0) {
				ck_pr_fence_load(); /* fields after the even counter */
				return 0;
			}
			ck_pr_stall();
		}
		if (x->patience_ms == 0)
			return -EAGAIN;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t t = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		if (deadline == 0)
			deadline = t + (uint64_t)x->patience_ms * 1000000u;
		else if (t >= deadline)
			return -EAGAIN;
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	}
}

static int
seq_retry(const struct idx_day *d, uint32_t v)
{
	ck_pr_fence_load(); /* fields before the re-read of the counter */
	return ck_pr_load_32(&d->seq) != v;
}

/* The arena memory of an array reference, or NULL if it does not fit. */
static const void *
arena_at(const idx_t *x, uint64_t ref, uint64_t bytes)
{
	if (ref == 0 || ref + bytes > x->hdr->arena_size || ref + bytes < ref)
		return NULL;
	return x->body + x->hdr->arena_off + ref;
}

int
idx_day_ranges(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_range_t *out, size_t max)
{
	const struct idx_day *d;
	uint64_t g;
	uint32_t v, n;
	int tries, rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	if ((d = find(x, uuid, date)) == NULL)
		return gen_end(x, g, -ENOENT);
	for (tries = 0; tries < IDX_READ_TRIES; tries++) {
		if (seq_begin(x, d, &v) < 0)
			break;
		n = d->nranges;
		uint64_t ref = d->ranges;
		size_t k = n < max ? n : max;
		const idx_range_t *r = arena_at(x, ref, (uint64_t)k * sizeof(idx_range_t));
		if (k && r == NULL) {
			if (seq_retry(d, v))
				continue;
			return -EPROTO;
		}
		if (k)
			memcpy(out, r, k * sizeof(idx_range_t));
		if (!seq_retry(d, v))
			return gen_end(x, g, (int)n);
	}
	return -EAGAIN;
}

int
idx_day_has(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c)
{
	const struct idx_day *d;
	uint64_t g;
	uint32_t v;
	int tries, rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	if ((d = find(x, uuid, date)) == NULL)
		return gen_end(x, g, 0);
	for (tries = 0; tries < IDX_READ_TRIES; tries++) {
		if (seq_begin(x, d, &v) < 0)
			break;
		uint32_t n = d->nranges, lo = 0, hi = n;
		const idx_range_t *r = arena_at(x, d->ranges, (uint64_t)n * sizeof(idx_range_t));
		int has = 0;
		if (r != NULL) {
			while (lo < hi) { /* first range with last >= c */
				uint32_t mid = lo + (hi - lo) / 2;
				if (r[mid].last < c)
					lo = mid + 1;
				else
					hi = mid;
			}
			has = lo < n && r[lo].first <= c;
		}
		if (!seq_retry(d, v))
			return gen_end(x, g, has);
	}
	return -EAGAIN;
}

int
idx_day_info(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_day_info_t *out)
{
	const struct idx_day *d;
	uint64_t g;
	uint32_t v;
	int tries, rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	if ((d = find(x, uuid, date)) == NULL)
		return gen_end(x, g, -ENOENT);
	for (tries = 0; tries < IDX_READ_TRIES; tries++) {
		if (seq_begin(x, d, &v) < 0)
			break;
		memcpy(out->uuid, d->uuid, 16);
		out->date = d->date;
		out->high = d->high;
		out->nranges = d->nranges;
		out->codecs = d->codecs;
		out->reported_next = d->reported_next;
		out->records = d->records;
		out->bytes = d->bytes;
		out->indexed_to = d->indexed_to;
		out->last_arrival_ms = d->last_arrival_ms;
		out->last_capture_ms = d->last_capture_ms;
		out->tele = d->tele;
		out->nkeyframes = IDX_ARR_N(ck_pr_load_64(&d->kf));
		out->npoints = IDX_ARR_N(ck_pr_load_64(&d->pts));
		if (!seq_retry(d, v))
			return gen_end(x, g, 0);
	}
	return -EAGAIN;
}

/* A chunked array as loaded once: its directory and count. */
typedef struct arr {
	const uint64_t *dir;
	uint32_t n;
} arr_t;

static int
arr_load(const idx_t *x, const uint64_t *word, arr_t *a)
{
	uint64_t w = ck_pr_load_64(word);

	ck_pr_fence_load(); /* directory and entries after the word that published them */
	a->n = IDX_ARR_N(w);
	a->dir = NULL;
	if (a->n == 0)
		return 0;
	a->dir = arena_at(x, IDX_ARR_REF(w), ((uint64_t)(a->n - 1) / IDX_CHUNK + 1) * 8);
	return a->dir ? 0 : -EAGAIN;
}

/* Entries of chunk ci (len of them), or NULL. */
static const idx_point_t *
arr_chunk(const idx_t *x, const arr_t *a, uint32_t ci, uint32_t *len)
{
	uint32_t first = ci * IDX_CHUNK;

	*len = a->n - first < IDX_CHUNK ? a->n - first : IDX_CHUNK;
	return arena_at(x, ck_pr_load_64(&a->dir[ci]), (uint64_t)*len * sizeof(idx_point_t));
}

/* Entries from the from-th on of keyframes (which 0) or points (1): up to max. */
static int
copy_from(const idx_t *x, const uint8_t uuid[16], uint32_t date, int which, uint32_t from,
	  idx_point_t *out, size_t max)
{
	const struct idx_day *d;
	uint32_t ci, len, skip, got = 0;
	uint64_t g;
	arr_t a;
	int rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	if ((d = find(x, uuid, date)) == NULL)
		return gen_end(x, g, -ENOENT);
	if (arr_load(x, which == 0 ? &d->kf : &d->pts, &a) < 0)
		return -EAGAIN;
	for (ci = from / IDX_CHUNK; got < max && ci * IDX_CHUNK < a.n; ci++) {
		const idx_point_t *p = arr_chunk(x, &a, ci, &len);
		if (p == NULL)
			return -EAGAIN;
		skip = ci == from / IDX_CHUNK ? from % IDX_CHUNK : 0;
		if (skip >= len)
			break;
		len -= skip;
		if (len > max - got)
			len = (uint32_t)(max - got);
		memcpy(out + got, p + skip, len * sizeof(*p));
		got += len;
	}
	return gen_end(x, g, (int)a.n);
}

int
idx_day_keyframes(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_point_t *out,
		  size_t max)
{
	return copy_from(x, uuid, date, 0, 0, out, max);
}

int
idx_day_points(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t from,
	       idx_point_t *out, size_t max)
{
	return copy_from(x, uuid, date, 1, from, out, max);
}

/*
 * Which entry of the array to pick: the largest key <= key, else the
 * smallest. Keys are times (by_t) or counters. Linear, not a binary
 * search: backfill makes file order only mostly ordered by time and
 * counter. A day of keyframes at one a second is 86,400 entries: well
 * under a millisecond.
 */
static int
pick(const idx_t *x, const arr_t *a, int by_t, int64_t key, idx_point_t *out)
{
	int64_t best = INT64_MIN, first = INT64_MAX;
	const idx_point_t *bp = NULL, *fp = NULL;
	uint32_t ci, i, len;

	for (ci = 0; ci * IDX_CHUNK < a->n; ci++) {
		const idx_point_t *p = arr_chunk(x, a, ci, &len);
		if (p == NULL)
			return -EAGAIN;
		for (i = 0; i < len; i++) {
			int64_t k = by_t ? p[i].t : (int64_t)p[i].counter;
			if (k <= key && k > best) {
				best = k;
				bp = &p[i];
			}
			if (k < first) {
				first = k;
				fp = &p[i];
			}
		}
	}
	if (bp == NULL)
		bp = fp;
	if (bp == NULL)
		return -ENOENT;
	*out = *bp;
	return 0;
}

static int
lookup(const idx_t *x, const uint8_t uuid[16], uint32_t date, int which, int by_t, int64_t key,
       idx_point_t *out)
{
	const struct idx_day *d;
	uint64_t g;
	arr_t a;
	int rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	if ((d = find(x, uuid, date)) == NULL)
		return gen_end(x, g, -ENOENT);
	rc = arr_load(x, which == 0 ? &d->kf : which == 1 ? &d->pts : &d->hellos, &a);
	if (rc == 0)
		rc = a.n ? pick(x, &a, by_t, key, out) : -ENOENT;
	return gen_end(x, g, rc);
}

int
idx_day_keyframe_at(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint64_t t,
		    idx_point_t *out)
{
	int64_t rel = (int64_t)t - (int64_t)date * 86400000;

	return lookup(x, uuid, date, 0, 1, rel, out);
}

int
idx_day_keyframe_counter(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c,
			 idx_point_t *out)
{
	return lookup(x, uuid, date, 0, 0, c, out);
}

int
idx_day_seek_counter(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c,
		     idx_point_t *out)
{
	idx_point_t kf;
	int rc = lookup(x, uuid, date, 1, 0, c, out);

	if (rc == -ENOENT || (rc == 0 && out->counter > c)) {
		out->offset = 64;
		out->counter = 0;
		out->t = 0;
		rc = find(x, uuid, date) ? 0 : -ENOENT;
	}
	if (rc == 0 && lookup(x, uuid, date, 0, 0, c, &kf) == 0 && kf.counter <= c &&
	    kf.counter > out->counter)
		*out = kf;
	return rc;
}

int
idx_day_hello(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t s, uint64_t *offset)
{
	idx_point_t p;
	int rc = lookup(x, uuid, date, 2, 0, s, &p);

	if (rc == 0 && p.counter != s)
		rc = -ENOENT;
	if (rc == 0)
		*offset = p.offset;
	return rc;
}

int
idx_camera_days(const idx_t *x, const uint8_t uuid[16], uint32_t *dates, size_t max)
{
	uint64_t g;
	uint32_t i;
	size_t n = 0, j;
	int rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	for (i = 0; i <= x->mask; i++) {
		const struct idx_day *d = &x->days[i];
		if (ck_pr_load_32(&d->state) == 0)
			continue;
		ck_pr_fence_load(); /* key fields after the state that published them */
		if (memcmp(d->uuid, uuid, 16))
			continue;
		uint32_t date = d->date;
		/* insertion keeps the earliest max dates, ascending, whatever the slots' order */
		if (n < max || (max > 0 && date < dates[max - 1])) {
			for (j = n < max ? n : max - 1; j > 0 && dates[j - 1] > date; j--)
				dates[j] = dates[j - 1];
			dates[j] = date;
		}
		n++;
	}
	return gen_end(x, g, (int)n);
}

int
idx_cameras(const idx_t *x, uint8_t (*uuids)[16], size_t max)
{
	uint64_t g;
	uint32_t i;
	size_t n = 0, j, k;
	int rc;

	if ((rc = gen_begin(x, &g)) < 0)
		return rc;
	for (i = 0; i <= x->mask; i++) {
		const struct idx_day *d = &x->days[i];
		if (ck_pr_load_32(&d->state) == 0)
			continue;
		ck_pr_fence_load(); /* key fields after the state that published them */
		k = n < max ? n : max;
		for (j = 0; j < k; j++)
			if (!memcmp(uuids[j], d->uuid, 16))
				break;
		if (j < k)
			continue;
		if (n < max)
			memcpy(uuids[n], d->uuid, 16);
		n++;
	}
	return gen_end(x, g, (int)n);
}

/*
 * NAME
 *	sync.c - sync ring messages, counter ranges, day scan, sync state
 *	file
 *
 * DESCRIPTION
 *	See proto_sync.h. Ring messages (docs/PROTOCOL.md, "Sync rings")
 *	start with a 4-byte header: kind, version, two reserved zero bytes.
 *	A REPORT message then carries the camera UUID, the report
 *	datagram's date, session and counter, and the report body as on the
 *	wire; a REQUEST carries the wire type (MISSING or CONFIRM), three
 *	reserved bytes, the UUID, and the MISSING body as on the wire.
 *
 *	The state file (docs/STORAGE.md, "Sync state") is text, one
 *	"name value" per line after the line "vigil-sync 1".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto_record.h"
#include "proto_sync.h"

static int
bad(int err, const char *what)
{
	proto_set_errmsg("sync message: %s", what);
	return err;
}

int
proto_sync_report_encode(const proto_sync_report_t *s, uint8_t *buf, size_t cap)
{
	int n;

	if (cap < PROTO_SYNC_HDR_LEN)
		return PROTO_E_SHORT;
	memset(buf, 0, PROTO_SYNC_HDR_LEN);
	buf[0] = PROTO_SYNC_REPORT;
	buf[1] = PROTO_SYNC_VERSION;
	memcpy(buf + 4, s->uuid, PROTO_UUID_LEN);
	proto_put32(buf + 20, s->date);
	proto_put32(buf + 24, s->session);
	proto_put32(buf + 28, s->counter);
	if ((n = proto_report_encode(&s->r, buf + PROTO_SYNC_HDR_LEN, cap - PROTO_SYNC_HDR_LEN)) < 0)
		return n;
	return PROTO_SYNC_HDR_LEN + n;
}

static int
hdr_check(const uint8_t *buf, size_t len, int kind, size_t min)
{
	if (len < min)
		return bad(PROTO_E_SHORT, "short");
	if (buf[0] != kind)
		return bad(PROTO_E_TYPE, "unexpected kind");
	if (buf[1] != PROTO_SYNC_VERSION)
		return bad(PROTO_E_VERSION, "unknown version");
	if (buf[2] || buf[3])
		return bad(PROTO_E_FIELD, "reserved bytes");
	return 0;
}

int
proto_sync_report_decode(const uint8_t *buf, size_t len, proto_sync_report_t *out)
{
	int rc;

	if ((rc = hdr_check(buf, len, PROTO_SYNC_REPORT, PROTO_SYNC_HDR_LEN)) < 0)
		return rc;
	memcpy(out->uuid, buf + 4, PROTO_UUID_LEN);
	out->date = proto_get32(buf + 20);
	out->session = proto_get32(buf + 24);
	out->counter = proto_get32(buf + 28);
	return proto_report_decode(buf + PROTO_SYNC_HDR_LEN, len - PROTO_SYNC_HDR_LEN, &out->r);
}

int
proto_sync_req_encode(const proto_sync_req_t *q, uint8_t *buf, size_t cap)
{
	int n;

	if (q->type != PROTO_T_MISSING && q->type != PROTO_T_CONFIRM)
		return PROTO_E_TYPE;
	if (cap < 24)
		return PROTO_E_SHORT;
	memset(buf, 0, 24);
	buf[0] = PROTO_SYNC_REQUEST;
	buf[1] = PROTO_SYNC_VERSION;
	buf[4] = q->type;
	memcpy(buf + 8, q->uuid, PROTO_UUID_LEN);
	if ((n = proto_missing_encode(&q->m, buf + 24, cap - 24)) < 0)
		return n;
	return 24 + n;
}

int
proto_sync_req_decode(const uint8_t *buf, size_t len, proto_sync_req_t *out)
{
	int rc;

	if ((rc = hdr_check(buf, len, PROTO_SYNC_REQUEST, 24)) < 0)
		return rc;
	if (buf[4] != PROTO_T_MISSING && buf[4] != PROTO_T_CONFIRM)
		return bad(PROTO_E_TYPE, "request type");
	if (buf[5] || buf[6] || buf[7])
		return bad(PROTO_E_FIELD, "reserved bytes");
	out->type = buf[4];
	memcpy(out->uuid, buf + 8, PROTO_UUID_LEN);
	return proto_missing_decode(buf + 24, len - 24, &out->m);
}

/* --- ranges ----------------------------------------------------------- */

/* Index of the first span with hi >= c (where c would join or go). */
static uint32_t
find(const proto_ranges_t *s, uint32_t c)
{
	uint32_t a = 0, b = s->n;

	while (a < b) {
		uint32_t m = (a + b) / 2;
		if (s->r[m].hi < c)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

int
proto_ranges_add(proto_ranges_t *s, uint32_t lo, uint32_t hi)
{
	uint32_t i, j;

	if (lo >= hi)
		return 0;
	i = find(s, lo);
	/* spans i..j-1 touch or overlap [lo, hi) */
	for (j = i; j < s->n && s->r[j].lo <= hi; j++)
		;
	if (j > i) {
		if (s->r[i].lo < lo)
			lo = s->r[i].lo;
		if (s->r[j - 1].hi > hi)
			hi = s->r[j - 1].hi;
		s->r[i].lo = lo;
		s->r[i].hi = hi;
		memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(s->r[0]));
		s->n -= j - i - 1;
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->r, cap * sizeof(s->r[0]));
		if (p == NULL)
			return -ENOMEM;
		s->r = p;
		s->cap = cap;
	}
	memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
	s->r[i].lo = lo;
	s->r[i].hi = hi;
	s->n++;
	return 0;
}

int
proto_ranges_has(const proto_ranges_t *s, uint32_t c)
{
	uint32_t i = find(s, c + 1 == 0 ? c : c + 1);

	/* the span that could hold c has hi >= c + 1 */
	return i < s->n && s->r[i].lo <= c && c < s->r[i].hi;
}

uint64_t
proto_ranges_count(const proto_ranges_t *s, uint32_t lo, uint32_t hi)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = find(s, lo); i < s->n && s->r[i].lo < hi; i++) {
		uint32_t a = s->r[i].lo > lo ? s->r[i].lo : lo;
		uint32_t b = s->r[i].hi < hi ? s->r[i].hi : hi;
		if (b > a)
			n += b - a;
	}
	return n;
}

int
proto_ranges_gap(const proto_ranges_t *s, uint32_t from, uint32_t hi, uint32_t *glo,
		 uint32_t *ghi)
{
	uint32_t i;

	for (i = find(s, from); from < hi; i++) {
		if (i >= s->n || s->r[i].lo > from) {
			*glo = from;
			*ghi = i < s->n && s->r[i].lo < hi ? s->r[i].lo : hi;
			return 0;
		}
		if (s->r[i].hi > from)
			from = s->r[i].hi;
	}
	return -ENOENT;
}

void
proto_ranges_free(proto_ranges_t *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* --- day scan ----------------------------------------------------------- */

static int
late_push(proto_dayscan_t *d, const proto_late_t *l)
{
	if (d->nlate == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		void *p = realloc(d->late, cap * sizeof(d->late[0]));
		if (p == NULL)
			return -ENOMEM;
		d->late = p;
		d->cap = cap;
	}
	d->late[d->nlate++] = *l;
	return 0;
}

int
proto_dayscan_add_late(proto_dayscan_t *d, const proto_late_t *v, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (late_push(d, &v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int
late_cmp(const void *a, const void *b)
{
	const proto_late_t *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

uint32_t
proto_late_merge(proto_late_t *v, uint32_t n)
{
	uint32_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), late_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].lo <= v[k].hi) {
			if (v[i].hi > v[k].hi)
				v[k].hi = v[i].hi;
			if (v[i].first_ms < v[k].first_ms)
				v[k].first_ms = v[i].first_ms;
			if (v[i].last_ms > v[k].last_ms)
				v[k].last_ms = v[i].last_ms;
		} else {
			v[++k] = v[i];
		}
	}
	return k + 1;
}

int
proto_dayscan_note(proto_dayscan_t *d, uint32_t counter, uint64_t arrival_ns, int asked)
{
	uint64_t ms = arrival_ns / 1000000;

	if (proto_ranges_has(&d->present, counter)) {
		d->dups++;
		return 0;
	}
	if (proto_ranges_add(&d->present, counter, counter + 1) < 0)
		return -ENOMEM;
	d->records++;
	if (d->first_ms == 0)
		d->first_ms = ms;
	d->last_ms = ms;
	if (!d->any || counter > d->max) {
		d->max = counter;
		d->any = 1;
		if (!asked) {
			if (d->nlate)
				d->live_since_late++;
			return 0;
		}
	}
	/* lower than a counter already stored: it came late (backfill) */
	d->live_during_backfill = d->live_since_late;
	if (d->nlate && d->late[d->nlate - 1].hi == counter) {
		d->late[d->nlate - 1].hi++;
		d->late[d->nlate - 1].last_ms = ms;
		return 0;
	}
	return late_push(d, &(proto_late_t){counter, counter + 1, ms, ms});
}

int
proto_dayscan_file(const char *path, proto_dayscan_t *d)
{
	proto_reader_t *r;
	proto_rec_t rec;
	int rc;

	if ((rc = proto_reader_open(path, &r)) < 0)
		return rc;
	while ((rc = proto_reader_next(r, &rec)) > 0)
		if (rec.len >= PROTO_C2S_HDR_LEN &&
		    (rc = proto_dayscan_note(d, proto_get32(rec.dgram + 24), rec.meta.arrival_ns, 0)) < 0)
			break;
	proto_reader_free(r);
	return rc < 0 ? rc : 0;
}

void
proto_dayscan_free(proto_dayscan_t *d)
{
	proto_ranges_free(&d->present);
	free(d->late);
	memset(d, 0, sizeof(*d));
}

/* --- sync state file -------------------------------------------------- */

int
proto_daystate_path(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, char *out,
		    size_t cap)
{
	char u[37], d[11];

	proto_uuid_fmt(uuid, u);
	proto_date_fmt(date, d);
	if ((size_t)snprintf(out, cap, "%s/%s/%s.sync", dir, u, d) >= cap)
		return PROTO_E_OVERSIZE;
	return 0;
}

int
proto_daystate_read(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		    proto_daystate_t *st)
{
	char path[4096], line[128], name[32];
	unsigned long long v;
	int rc, first = 1, magic = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	if ((rc = proto_daystate_path(dir, uuid, date, path, sizeof(path))) < 0)
		return rc;
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (first) {
			first = 0;
			if (strcmp(line, "vigil-sync 1\n") != 0)
				break;
			magic = 1;
			continue;
		}
		unsigned lo, hi;
		unsigned long long t0, t1;
		if (sscanf(line, "late %u %u %llu %llu", &lo, &hi, &t0, &t1) == 4 && lo <= hi) {
			void *p = realloc(st->late, (st->nlate + 1) * sizeof(*st->late));
			if (p == NULL)
				break;
			st->late = p;
			st->late[st->nlate++] = (proto_late_t){lo, hi + 1, t0, t1};
			continue;
		}
		if (sscanf(line, "void %u %u", &lo, &hi) == 2 && lo <= hi) {
			if (proto_ranges_add(&st->voids, lo, hi + 1) < 0)
				break;
			continue;
		}
		if (sscanf(line, "%31s %llu", name, &v) != 2)
			continue;
		if (!strcmp(name, "high"))
			st->high = (uint32_t)v;
		else if (!strcmp(name, "oldest_held"))
			st->oldest_held = (uint32_t)v;
		else if (!strcmp(name, "report_ms"))
			st->report_ms = v;
		else if (!strcmp(name, "complete_ms"))
			st->complete_ms = v;
		else if (!strcmp(name, "lost"))
			st->lost = v;
		else if (!strcmp(name, "unsynced_from"))
			st->unsynced = 1, st->unsynced_from = v;
		else if (!strcmp(name, "damaged_at"))
			st->damaged = 1, st->damaged_at = v;
	}
	fclose(f);
	if (!magic) { /* empty, or not a sync state */
		proto_daystate_free(st);
		return PROTO_E_FIELD;
	}
	return 0;
}

void
proto_daystate_free(proto_daystate_t *st)
{
	free(st->late);
	st->late = NULL;
	st->nlate = 0;
	proto_ranges_free(&st->voids);
}

int
proto_daystate_write(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		     const proto_daystate_t *st)
{
	char path[4096], tmp[4200], buf[512];
	uint32_t i;
	FILE *f;
	int fd, n, rc = 0;

	if ((rc = proto_daystate_path(dir, uuid, date, path, sizeof(path))) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf),
		     "vigil-sync 1\nhigh %u\noldest_held %u\nreport_ms %llu\ncomplete_ms %llu\n"
		     "lost %llu\n",
		     st->high, st->oldest_held, (unsigned long long)st->report_ms,
		     (unsigned long long)st->complete_ms, (unsigned long long)st->lost);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	fwrite(buf, 1, (size_t)n, f);
	/* backfilled runs, the first PROTO_DAYSTATE_LATE_MAX of them */
	for (i = 0; i < st->nlate && i < PROTO_DAYSTATE_LATE_MAX; i++)
		fprintf(f, "late %u %u %llu %llu\n", st->late[i].lo, st->late[i].hi - 1,
			(unsigned long long)st->late[i].first_ms,
			(unsigned long long)st->late[i].last_ms);
	for (i = 0; i < st->voids.n; i++)
		fprintf(f, "void %u %u\n", st->voids.r[i].lo, st->voids.r[i].hi - 1);
	if (st->unsynced)
		fprintf(f, "unsynced_from %llu\n", (unsigned long long)st->unsynced_from);
	if (st->damaged)
		fprintf(f, "damaged_at %llu\n", (unsigned long long)st->damaged_at);
	if (fflush(f) != 0 || ferror(f) || fdatasync(fd) != 0)
		rc = -EIO;
	fclose(f);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/*
 * NAME
 *	dayscan.c - the counters a day file holds and those that came late
 *
 * DESCRIPTION
 *	See proto_dayscan.h. A counter lower than one already stored is
 *	late (backfill); consecutive late counters make one run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_dayscan.h"
#include "proto_record.h"

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
		    (rc = proto_dayscan_note(d, proto_dgram_counter(rec.dgram), rec.meta.arrival_ns,
					     0)) < 0)
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

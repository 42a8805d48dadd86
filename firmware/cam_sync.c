/*
 * NAME
 *	cam_sync.c - take the server's MISSING and CONFIRM, build REPORT
 *
 * DESCRIPTION
 *	docs/PROTOCOL.md, "Completeness". A MISSING request is queued (the
 *	newest request for a day replaces the ranges queued for that day:
 *	the server asks again for whatever stays missing); cam_resend.c
 *	answers the queue from the store. A CONFIRM frees what the server
 *	holds. A REPORT names today's next counter and the earlier days the
 *	store still holds unconfirmed data of.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cam.h"
#include "cam_store.h"

int
cam_sync_open(cam_t *c, const char *dir, uint64_t max_bytes, uint32_t rate)
{
	cam_sync_t *y = calloc(1, sizeof(*y));
	int rc;

	if (y == NULL)
		return -ENOMEM;
	if ((rc = cam_store_open(&y->store, dir, max_bytes)) < 0) {
		free(y);
		return rc;
	}
	y->rate = rate ? rate : 1000;
	c->sync = y;
	/* after a crash the counter resumes past its reserved block: those never went out */
	if (c->state.fd >= 0 && cam_store_void_from(&y->store, c->state.date, c->state.next) > 0)
		printf("vigil-cam: counters %u-%u of day %u were never used (after a crash)\n",
		       cam_store_high(&y->store, c->state.date), c->state.next - 1, c->state.date);
	/* a lost or stale state: never below what the store knows was used */
	if (c->state.fd >= 0 &&
	    cam_state_raise(&c->state, cam_store_used(&y->store, c->state.date)))
		fprintf(stderr, "vigil-cam: counter resumes at %u of day %u, above the store\n",
			c->state.next, c->state.date);
	return 0;
}

void
cam_sync_close(cam_t *c)
{
	if (c->sync == NULL)
		return;
	cam_store_close(&c->sync->store);
	free(c->sync);
	c->sync = NULL;
}

void
cam_sync_missing(cam_t *c, const proto_missing_t *m)
{
	cam_sync_t *y = c->sync;
	uint32_t i, j, k;

	if (y == NULL)
		return;
	/* the newest request for a day replaces what was queued for it */
	for (i = 0; i < m->n; i++) {
		for (j = k = 0; j < y->nq; j++)
			if (y->q[j].date != m->range[i].date)
				y->q[k++] = y->q[j];
		y->nq = k;
	}
	for (i = 0; i < m->n && y->nq < CAM_SYNC_QUEUE; i++)
		y->q[y->nq++] = m->range[i];
	y->missing_ranges += m->n;
}

void
cam_sync_queue(cam_t *c, const proto_range_t *r)
{
	if (c->sync && c->sync->nq < CAM_SYNC_QUEUE)
		c->sync->q[c->sync->nq++] = *r;
}

void
cam_sync_confirm(cam_t *c, const proto_missing_t *m, int earlier)
{
	cam_sync_t *y = c->sync;
	uint64_t before;
	uint32_t i;

	if (y == NULL)
		return;
	before = y->store.confirmed;
	for (i = 0; i < m->n; i++)
		cam_store_confirm(&y->store, &m->range[i]);
	y->confirms++;
	if (earlier)
		y->confirmed_earlier += y->store.confirmed - before;
}

void
cam_sync_report(cam_t *c, uint32_t today, uint32_t next, proto_report_t *r)
{
	cam_store_t *s;
	uint32_t i;

	r->n = 1;
	r->day[0].date = today;
	r->day[0].next_counter = next;
	r->day[0].oldest_held = 0;
	if (c->sync == NULL)
		return;
	s = &c->sync->store;
	r->day[0].oldest_held = cam_store_oldest(s, today, next);
	for (i = 0; i < s->nday && r->n < PROTO_REPORT_MAX_DAYS; i++) {
		const cam_store_day_t *d = &s->day[i];
		if (d->date == today || d->unconfirmed == 0)
			continue;
		uint32_t high = cam_store_high(s, d->date);
		r->day[r->n].date = d->date;
		r->day[r->n].next_counter = high;
		r->day[r->n].oldest_held = cam_store_oldest(s, d->date, high);
		r->n++;
	}
	/* counters never used, as further entries of a listed day */
	for (i = 0; i < s->nvoid && r->n < PROTO_REPORT_MAX_DAYS; i++) {
		uint32_t k;
		for (k = 0; k < r->n && r->day[k].date != s->voids[i].date; k++)
			;
		if (k == r->n || s->voids[i].first + s->voids[i].count > r->day[k].next_counter)
			continue;
		r->day[r->n].date = s->voids[i].date;
		r->day[r->n].next_counter = s->voids[i].first + s->voids[i].count;
		r->day[r->n].oldest_held = s->voids[i].first;
		r->n++;
	}
}

void
cam_sync_print(const cam_t *c)
{
	const cam_sync_t *y = c->sync;
	uint32_t i;

	if (y == NULL)
		return;
	printf("store: stored=%llu bytes=%llu unconfirmed=%llu confirmed=%llu evicted=%llu "
	       "dropped_unconfirmed=%llu torn_cut=%llu\n",
	       (unsigned long long)y->store.stored, (unsigned long long)y->store.bytes,
	       (unsigned long long)cam_store_unconfirmed(&y->store),
	       (unsigned long long)y->store.confirmed, (unsigned long long)y->store.evicted,
	       (unsigned long long)y->store.dropped_unconfirmed,
	       (unsigned long long)y->store.torn_cut);
	printf("sync: resent=%llu resent_bytes=%llu resent_hellos=%llu not_held=%llu "
	       "missing_ranges=%llu confirms=%llu confirmed_earlier=%llu\n",
	       (unsigned long long)y->resent, (unsigned long long)y->resent_bytes,
	       (unsigned long long)y->resent_hellos, (unsigned long long)y->not_held,
	       (unsigned long long)y->missing_ranges, (unsigned long long)y->confirms,
	       (unsigned long long)y->confirmed_earlier);
	/* what the store holds of each day, and how much of it awaits the server */
	for (i = 0; i < y->store.nday; i++) {
		const cam_store_day_t *d = &y->store.day[i];
		uint32_t j, held = 0;
		char day[11];
		for (j = d->first; j < d->n; j++)
			held += d->e[j].seg != CAM_STORE_FREED;
		proto_date_fmt(d->date, day);
		printf("store_day %s held=%u unconfirmed=%llu\n", day, held,
		       (unsigned long long)d->unconfirmed);
	}
}

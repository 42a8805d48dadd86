/*
 * NAME
 *	cam_sync.c - answer the server's MISSING and CONFIRM from the store
 *
 * DESCRIPTION
 *	docs/PROTOCOL.md, "Completeness". A MISSING request is queued (the
 *	newest request for a day replaces the ranges queued for that day:
 *	the server asks again for whatever stays missing) and answered a
 *	little each loop turn, after the turn's live datagrams, within a
 *	token bucket of `rate` datagrams a second holding a tenth of a
 *	second's worth: live video is never queued behind backfill. Each
 *	datagram goes out byte for byte as the store holds it; before a
 *	datagram of a session other than the current one, that session's
 *	stored hello goes first (at most every 5 s per session). A counter
 *	the store does not hold is skipped and counted. A hello goes with
 *	the cookie's trailer while one is fresh (cam_cookie.c).
 *
 *	When the server has said nothing for 5 s while the camera sends, the
 *	current hello is resent byte for byte, every 5 s while that lasts:
 *	a restarted server lost its sessions and learns the key again.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cam.h"
#include "cam_store.h"

#define SILENCE_MS 5000
#define HELLO_AGAIN_MS 5000

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

/* Before a datagram of an earlier session: that session's hello, now and then. */
static void
past_hello(cam_t *c, uint32_t date, uint32_t session, uint64_t now)
{
	cam_sync_t *y = c->sync;
	const cam_store_hello_t *h;
	int i, slot = 0;

	if (c->session && proto_session_date(c->session) == date &&
	    proto_session_id(c->session) == session)
		return;
	for (i = 0; i < 8; i++) {
		if (y->past_hello[i].date == date && y->past_hello[i].session == session &&
		    y->past_hello[i].ms) {
			if (now < y->past_hello[i].ms + HELLO_AGAIN_MS)
				return;
			slot = i;
			break;
		}
		if (y->past_hello[i].ms < y->past_hello[slot].ms)
			slot = i;
	}
	if ((h = cam_store_hello_of(&y->store, date, session)) == NULL)
		return;
	if (cam_cookie_send(c, h->dg, h->len) == 0) {
		y->resent_hellos++;
		y->resent++;
		y->resent_bytes += h->len;
	}
	y->past_hello[slot].date = date;
	y->past_hello[slot].session = session;
	y->past_hello[slot].ms = now;
}

static void
resend(cam_t *c, uint64_t now)
{
	cam_sync_t *y = c->sync;
	uint8_t dg[PROTO_MAX_DGRAM];
	double cap = y->rate / 10.0 + 1;
	int n;

	y->tokens += (double)(now - y->tokens_ms) * y->rate / 1000.0;
	y->tokens_ms = now;
	if (y->tokens > cap)
		y->tokens = cap;
	while (y->nq && y->tokens >= 1) {
		proto_range_t *r = &y->q[0];
		if ((n = cam_store_get(&y->store, r->date, r->first, dg)) > 0) {
			if (dg[3] != PROTO_T_HELLO)
				past_hello(c, r->date, proto_get32(dg + 28), now);
			int ok = dg[3] == PROTO_T_HELLO ? cam_cookie_send(c, dg, (size_t)n) == 0
							: send(c->fd, dg, (size_t)n, 0) == n;
			if (ok) {
				y->resent++;
				y->resent_bytes += (uint64_t)n;
			}
			y->tokens -= 1;
		} else {
			y->not_held++;
		}
		r->first++;
		if (--r->count == 0) {
			memmove(&y->q[0], &y->q[1], (y->nq - 1) * sizeof(y->q[0]));
			y->nq--;
		}
	}
}

void
cam_sync_tick(cam_t *c, uint64_t now_ms)
{
	cam_sync_t *y = c->sync;
	uint64_t real = proto_now_ms(); /* heard_ms is on the system clock */

	if (y == NULL)
		return;
	if (y->heard_ms == 0)
		y->heard_ms = real;
	resend(c, now_ms);
	/* a silent server may have restarted: tell it the session's key again */
	if (c->session && c->hello_len && real > y->heard_ms + SILENCE_MS &&
	    real > y->silence_hello_ms + HELLO_AGAIN_MS) {
		y->silence_hello_ms = real;
		if (cam_cookie_send(c, c->hello, c->hello_len) == 0)
			c->hello_resent++;
	}
	cam_store_sync(&y->store, now_ms);
}

void
cam_sync_linger(cam_t *c, uint64_t ms, long long clock_offset)
{
	uint64_t start = proto_now_ms(), next_report = 0;
	uint32_t date = c->state.date, upto = c->state.next;

	if (c->sync == NULL)
		return;
	/* until all sent before lingering is confirmed (the reports sent since need not be) */
	while (proto_now_ms() < start + ms &&
	       cam_store_unconfirmed_before(&c->sync->store, date, upto) > 0) {
		uint64_t now = proto_now_ms() + (uint64_t)clock_offset;
		struct timespec ts = {0, 10 * 1000000L};
		if (now >= next_report) {
			if (cam_send_report(c) < 0)
				break;
			next_report = now + 1000;
		}
		cam_poll_replies(c);
		cam_sync_tick(c, now);
		nanosleep(&ts, NULL);
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

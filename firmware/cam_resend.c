/*
 * NAME
 *	cam_resend.c - answer the server's MISSING from the store
 *
 * DESCRIPTION
 *	docs/PROTOCOL.md, "Completeness". The ranges cam_sync.c queued are
 *	answered a little each loop turn, after the turn's live datagrams,
 *	within a token bucket of `rate` datagrams a second holding a tenth
 *	of a second's worth: live video is never queued behind backfill.
 *	Each datagram goes out byte for byte as the store holds it; before a
 *	datagram of a session other than the current one, that session's
 *	stored hello goes first (at most every 5 s per session). A counter
 *	the store does not hold is skipped and counted. A hello goes with
 *	the cookie's trailer while one is fresh (cam_cookie.c).
 *
 *	When the server has said nothing for 5 s while the camera sends, the
 *	current hello is resent byte for byte, every 5 s while that lasts:
 *	a restarted server lost its sessions and learns the key again.
 */
#include <string.h>
#include <sys/socket.h>

#include "cam.h"
#include "cam_store.h"

#define SILENCE_MS 5000
#define HELLO_AGAIN_MS 5000

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
cam_resend_tick(cam_t *c, uint64_t now_ms)
{
	cam_sync_t *y = c->sync;

	if (y == NULL)
		return;
	if (y->heard_ms == 0)
		y->heard_ms = now_ms;
	resend(c, now_ms);
	/* a silent server may have restarted: tell it the session's key again */
	if (c->session && c->hello_len && now_ms > y->heard_ms + SILENCE_MS &&
	    now_ms > y->silence_hello_ms + HELLO_AGAIN_MS) {
		y->silence_hello_ms = now_ms;
		if (cam_cookie_send(c, c->hello, c->hello_len) == 0)
			c->hello_resent++;
	}
	cam_store_sync(&y->store, now_ms);
}

/*
 * NAME
 *	cam_cookie.c - the camera's side of the hello cookie
 *
 * DESCRIPTION
 *	docs/PROTOCOL.md, "COOKIE (type 9) and the hello cookie trailer". A
 *	server under load answers a hello with a COOKIE (not sealed: there
 *	is no session yet) instead of going on with it. The camera takes a
 *	COOKIE only when it names the camera and a hello it sent in the last
 *	PROTO_COOKIE_TTL_S seconds (its current hello, or an earlier
 *	session's resent from the store): it keeps the issued time and MAC
 *	with the time it came, resends that hello at once with the 20-byte
 *	trailer, and appends the trailer to every hello it sends (new,
 *	retried, resent from the store) while the cookie is less than
 *	CAM_COOKIE_USE_MS old. Any other COOKIE is dropped and counted.
 *	What the camera sent after its current hello, while that hello had
 *	no answer but the COOKIE, found no session at the server: it is
 *	queued for resending from the store (cam_sync.c) at once.
 *
 *	The trailer is transport only: the store keeps the signed hello
 *	alone (cam_send.c stores it before this file sends it). A server
 *	that answers the resent hello with a COOKIE again gets the next
 *	resend no sooner than a second later (the hello's own retry), so
 *	the two never exchange datagrams as fast as the link carries them.
 */
#include <string.h>
#include <sys/socket.h>

#include "cam.h"
#include "cam_store.h"

#define CAM_COOKIE_USE_MS 60000
#define ANSWER_EVERY_MS 1000

/* Hello bytes 44..59: its hello id (docs/PROTOCOL.md, "HELLO"). */
#define HELLO_ID_OFF 44

/* Note a hello as sent now (its id, date and session). */
static void
note_sent(cam_cookie_t *k, const uint8_t *dg, uint64_t now)
{
	int i, slot = 0;

	for (i = 0; i < CAM_COOKIE_SENT; i++) {
		if (memcmp(k->sent[i].id, dg + HELLO_ID_OFF, PROTO_HELLO_ID_LEN) == 0) {
			slot = i;
			break;
		}
		if (k->sent[i].ms < k->sent[slot].ms)
			slot = i;
	}
	if (memcmp(k->sent[slot].id, dg + HELLO_ID_OFF, PROTO_HELLO_ID_LEN) != 0)
		k->sent[slot].answered_ms = 0;
	memcpy(k->sent[slot].id, dg + HELLO_ID_OFF, PROTO_HELLO_ID_LEN);
	k->sent[slot].date = proto_get32(dg + 20);
	k->sent[slot].session = proto_get32(dg + 24);
	k->sent[slot].ms = now;
}

int
cam_cookie_send(cam_t *c, const uint8_t *dg, size_t len)
{
	uint8_t out[PROTO_MAX_DGRAM + PROTO_COOKIE_TRAILER];
	cam_cookie_t *k = &c->cookie;
	uint64_t now = proto_mono_ms();
	size_t n = len;

	if (len < PROTO_HELLO_FIXED_LEN || len > PROTO_MAX_DGRAM)
		return -1;
	note_sent(k, dg, now);
	memcpy(out, dg, len);
	if (k->got_ms && now - k->got_ms < CAM_COOKIE_USE_MS) {
		proto_put32(out + len, k->issued);
		memcpy(out + len + 4, k->mac, PROTO_COOKIE_MAC_LEN);
		n += PROTO_COOKIE_TRAILER;
	}
	return send(c->fd, out, n, 0) == (ssize_t)n ? 0 : -1;
}

/* The hello of (date, session) the camera can send again: current or stored. */
static const uint8_t *
hello_of(cam_t *c, uint32_t date, uint32_t session, size_t *len)
{
	const cam_store_hello_t *h;

	if (c->session && c->hello_len && proto_session_date(c->session) == date &&
	    proto_session_id(c->session) == session) {
		*len = c->hello_len;
		return c->hello;
	}
	if (c->sync && (h = cam_store_hello_of(&c->sync->store, date, session)) != NULL) {
		*len = h->len;
		return h->dg;
	}
	return NULL;
}

int
cam_cookie_take(cam_t *c, const uint8_t *dg, size_t len)
{
	cam_cookie_t *k = &c->cookie;
	uint64_t now = proto_mono_ms();
	const uint8_t *hello;
	proto_cookie_t ck;
	size_t hlen;
	int i;

	if (len < 4 || dg[3] != PROTO_T_COOKIE)
		return 0;
	if (proto_cookie_decode(dg, len, &ck) < 0 ||
	    memcmp(ck.uuid, c->conf.uuid, PROTO_UUID_LEN) != 0)
		goto drop;
	for (i = 0; i < CAM_COOKIE_SENT; i++)
		if (k->sent[i].ms && now - k->sent[i].ms <= PROTO_COOKIE_TTL_S * 1000ull &&
		    k->sent[i].date == ck.date &&
		    memcmp(k->sent[i].id, ck.hello_id, PROTO_HELLO_ID_LEN) == 0)
			break;
	if (i == CAM_COOKIE_SENT ||
	    (hello = hello_of(c, k->sent[i].date, k->sent[i].session, &hlen)) == NULL ||
	    memcmp(hello + HELLO_ID_OFF, ck.hello_id, PROTO_HELLO_ID_LEN) != 0)
		goto drop;
	k->issued = ck.issued;
	memcpy(k->mac, ck.mac, PROTO_COOKIE_MAC_LEN);
	k->got_ms = now;
	k->accepted++;
	/* that hello again, now with the trailer; a second COOKIE for it waits for a retry */
	if (k->sent[i].answered_ms == 0 || now - k->sent[i].answered_ms >= ANSWER_EVERY_MS) {
		k->sent[i].answered_ms = now;
		if (cam_cookie_send(c, hello, hlen) == 0)
			c->hello_resent++;
		/*
		 * What the session sent since its hello found no session at the
		 * server: from the store, behind the live datagrams, as if asked.
		 */
		if (hello == c->hello && !c->acked && c->state.date == k->sent[i].date &&
		    c->state.next > k->sent[i].session + 1) {
			proto_range_t r = {k->sent[i].date, k->sent[i].session + 1,
					   c->state.next - k->sent[i].session - 1};
			cam_sync_queue(c, &r);
		}
	}
	return 1;
drop:
	k->dropped++;
	return 1;
}

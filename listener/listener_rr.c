/*
 * NAME
 *	listener_rr.c - receiver reports: what each camera's datagrams did
 *
 * DESCRIPTION
 *	For every camera with a session the listener counts, between two
 *	reports, the datagrams it accepted, their bytes and the highest
 *	counter seen. About once a second it sends each camera that spoke
 *	an RR (type 6, docs/PROTOCOL.md), sealed with the session's s2c key,
 *	from the listening socket to the address the camera's authenticated
 *	datagrams came from (the only one its NAT lets through). Datagrams
 *	expected = how far the highest counter moved since the last report
 *	(never fewer than were received: resends and late datagrams count),
 *	so the camera learns its loss rate and the rate that gets through,
 *	and adapts its bitrate.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"

#define RR_INTERVAL_MS 1000

typedef struct listener_rr_slot {
	uint32_t date;
	uint32_t high;     /* highest counter seen on date */
	uint32_t base;     /* highest counter at the last report */
	uint32_t received; /* since the last report */
	uint32_t bytes;
	uint8_t active, based;
} listener_rr_slot_t;

struct listener_rr {
	listener_rr_slot_t slot[LISTENER_MAX_SESSIONS];
	uint64_t last_ms;
};

int
listener_rr_init(listener_t *l)
{
	if ((l->rr = calloc(1, sizeof(*l->rr))) == NULL)
		return -1;
	l->rr->last_ms = proto_mono_ms();
	return 0;
}

void
listener_rr_free(listener_t *l)
{
	free(l->rr);
	l->rr = NULL;
}

void
listener_rr_note(listener_t *l, listener_sess_t *ls, const uint8_t *dg, size_t len)
{
	listener_rr_slot_t *r;
	uint32_t date, counter;

	if (l->rr == NULL || len < PROTO_C2S_HDR_LEN || ls == NULL)
		return;
	r = &l->rr->slot[ls - l->sess];
	date = proto_dgram_date(dg);
	counter = proto_dgram_counter(dg);
	if (!r->active || r->date != date) {
		memset(r, 0, sizeof(*r));
		r->date = date;
		r->high = counter;
		r->active = 1;
	}
	if (counter > r->high)
		r->high = counter;
	r->received++;
	r->bytes += (uint32_t)len;
}

void
listener_rr_tick(listener_t *l, uint64_t now_ms)
{
	uint8_t body[32], out[PROTO_S2C_HDR_LEN + sizeof(body) + PROTO_TAG_LEN];
	uint32_t interval;
	size_t i;
	int n;

	if (l->rr == NULL || now_ms - l->rr->last_ms < RR_INTERVAL_MS)
		return;
	interval = (uint32_t)(now_ms - l->rr->last_ms);
	l->rr->last_ms = now_ms;
	for (i = 0; i < LISTENER_MAX_SESSIONS; i++) {
		listener_rr_slot_t *r = &l->rr->slot[i];
		listener_sess_t *ls = &l->sess[i];
		proto_rr_t rr;

		if (!r->active)
			continue;
		if (!ls->used || ls->s == NULL || r->received == 0) {
			r->active = 0; /* silent for a whole interval: start afresh */
			continue;
		}
		rr.interval_ms = interval;
		rr.received = r->received;
		rr.expected = r->based ? r->high - r->base : r->received;
		if (rr.expected < rr.received)
			rr.expected = rr.received;
		rr.bytes = r->bytes;
		rr.highest_counter = r->high;
		r->base = r->high;
		r->based = 1;
		r->received = r->bytes = 0;
		if ((n = proto_rr_encode(&rr, body, sizeof(body))) < 0 ||
		    (n = proto_s2c_seal(ls->s, PROTO_T_RR, NULL, body, (size_t)n, out,
					sizeof(out))) < 0)
			continue;
		if (sendto(l->fd, out, (size_t)n, 0, (const struct sockaddr *)&ls->peer,
			   ls->peer_len) == n)
			l->st.rr_sent++;
	}
}

/*
 * NAME
 *	replay.c - bounded cache of recent hello ids
 *
 * DESCRIPTION
 *	A hello is accepted only when its date is the UTC day of its camera
 *	time, that time is within window_ms of the server's clock and its
 *	(camera, hello id) pair has not been seen within that window. The
 *	date and the time are both signed, so a camera key cannot open a
 *	session for a day it does not also claim as the time of signing,
 *	nor one ahead of the server. Entries live in an open-addressed table with
 *	linear probing; an entry whose expiry has passed counts as free. The
 *	table never evicts a live entry: when it is full, commit fails
 *	(PROTO_E_FULL), so a flood cannot push out an id and let its replay
 *	through. A probe chain is at most 64 slots long, so a lookup is
 *	bounded too. Memory is fixed at creation.
 */
#include <stdlib.h>
#include <string.h>

#include "proto_crypto.h"

typedef struct replay_ent {
	uint8_t uuid[PROTO_UUID_LEN];
	uint8_t id[PROTO_HELLO_ID_LEN];
	uint64_t expiry_ms; /* 0: never used */
} replay_ent_t;

struct proto_replay {
	size_t cap; /* power of two */
	uint32_t window_ms;
	replay_ent_t *ent;
};

proto_replay_t *
proto_replay_new(size_t capacity, uint32_t window_ms)
{
	proto_replay_t *r;
	size_t cap = 16;

	while (cap < capacity * 2 && cap < ((size_t)1 << 30))
		cap <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->ent = calloc(cap, sizeof(*r->ent))) == NULL) {
		free(r);
		return NULL;
	}
	r->cap = cap;
	r->window_ms = window_ms;
	return r;
}

void
proto_replay_free(proto_replay_t *r)
{
	if (r == NULL)
		return;
	free(r->ent);
	free(r);
}

/* Probe chains are bounded so a lookup costs at most MAX_PROBE compares. */
#define MAX_PROBE 64

static size_t
probes(const proto_replay_t *r)
{
	return r->cap < MAX_PROBE ? r->cap : MAX_PROBE;
}

static size_t
slot_of(const proto_replay_t *r, const proto_hello_t *h)
{
	uint64_t x = 0;

	/* the hello id is random: its first bytes are a good hash */
	memcpy(&x, h->hello_id, sizeof(x));
	x ^= (uint64_t)h->uuid[0] << 56 ^ (uint64_t)h->uuid[15] << 48;
	return (size_t)(x & (r->cap - 1));
}

int
proto_replay_check(proto_replay_t *r, const proto_hello_t *h, uint64_t now_ms)
{
	size_t i, n;

	if (h->date != proto_date_from_ms(h->camera_ms)) {
		proto_set_errmsg("hello date %u is not the day of its time %llu", h->date,
				 (unsigned long long)h->camera_ms);
		return PROTO_E_DATE;
	}
	if (h->camera_ms > now_ms && h->camera_ms - now_ms > r->window_ms) {
		proto_set_errmsg("hello time ahead of the server clock by %llu ms",
				 (unsigned long long)(h->camera_ms - now_ms));
		return PROTO_E_FUTURE;
	}
	if (h->camera_ms < now_ms && now_ms - h->camera_ms > r->window_ms) {
		proto_set_errmsg("hello time behind the server clock by %llu ms",
				 (unsigned long long)(now_ms - h->camera_ms));
		return PROTO_E_STALE;
	}
	for (i = slot_of(r, h), n = 0; n < probes(r); i = (i + 1) & (r->cap - 1), n++) {
		replay_ent_t *e = &r->ent[i];
		if (e->expiry_ms == 0)
			break; /* never used: end of the probe chain */
		if (e->expiry_ms > now_ms && memcmp(e->id, h->hello_id, PROTO_HELLO_ID_LEN) == 0 &&
		    memcmp(e->uuid, h->uuid, PROTO_UUID_LEN) == 0) {
			proto_set_errmsg("hello id seen before");
			return PROTO_E_REPLAY;
		}
	}
	return 0;
}

int
proto_replay_commit(proto_replay_t *r, const proto_hello_t *h, uint64_t now_ms)
{
	size_t i, n;
	int rc;

	if ((rc = proto_replay_check(r, h, now_ms)) < 0)
		return rc;
	/*
	 * Reuse the first expired slot on the chain. A never-used slot ends
	 * every chain, so expired slots keep chains intact for lookups.
	 */
	for (i = slot_of(r, h), n = 0; n < probes(r); i = (i + 1) & (r->cap - 1), n++) {
		replay_ent_t *e = &r->ent[i];
		if (e->expiry_ms <= now_ms) {
			memcpy(e->uuid, h->uuid, PROTO_UUID_LEN);
			memcpy(e->id, h->hello_id, PROTO_HELLO_ID_LEN);
			/* live until the hello time leaves the window */
			e->expiry_ms =
			    (h->camera_ms > now_ms ? h->camera_ms : now_ms) + r->window_ms + 1;
			return 0;
		}
	}
	proto_set_errmsg("replay cache full");
	return PROTO_E_FULL;
}

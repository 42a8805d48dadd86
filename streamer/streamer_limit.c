/*
 * NAME
 *	streamer_limit.c - how often a source address and a user name may
 *	try a password
 *
 * DESCRIPTION
 *	Two tables per worker, one keyed by the source address of a login,
 *	one by the user name it gives (known or not, so that the answer
 *	says nothing of which names exist). Every attempt admitted counts
 *	as a failure in both until it succeeds: parallel guesses are held
 *	to the limit before any of them is checked. The first
 *	LIMIT_FREE attempts of a key are admitted at once; after that each
 *	admitted attempt makes the next wait LIMIT_DELAY_MIN_S, doubling
 *	up to LIMIT_DELAY_MAX_S. An attempt that comes before its wait is
 *	over is refused (429 with Retry-After) without any hashing, and
 *	does not lengthen the wait: the right password after the wait is
 *	checked. A success clears both keys; a key left alone for
 *	LIMIT_FORGET_S starts afresh. A full table gives a slot of the key
 *	used least recently.
 *
 *	The tables are the worker's own: with W workers an address or a
 *	name gets W times the attempts, spread by the kernel over them.
 */
#include <stdio.h>
#include <string.h>

#include "streamer.h"

#define LIMIT_SLOTS 4096 /* per table, a power of two */
#define LIMIT_PROBE 8
#define LIMIT_FREE 5
#define LIMIT_DELAY_MIN_S 1
#define LIMIT_DELAY_MAX_S 30
#define LIMIT_FORGET_S 600
#define LIMIT_KEY_MAX 64

typedef struct limit_slot {
	char key[LIMIT_KEY_MAX];
	uint32_t fails;    /* admitted since the last success */
	uint64_t until_us; /* the next attempt waits until */
	uint64_t used_us;  /* the last attempt */
} limit_slot_t;

static limit_slot_t by_source[LIMIT_SLOTS], by_user[LIMIT_SLOTS];

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* The slot of key, taken over from the least recently used when new. */
static limit_slot_t *
slot(limit_slot_t *t, const char *key, uint64_t now)
{
	limit_slot_t *s, *old = NULL;
	uint32_t h = hash(key), i;

	for (i = 0; i < LIMIT_PROBE; i++) {
		s = &t[(h + i) & (LIMIT_SLOTS - 1)];
		if (!strncmp(s->key, key, LIMIT_KEY_MAX - 1)) {
			if (now - s->used_us > (uint64_t)LIMIT_FORGET_S * 1000000)
				s->fails = 0, s->until_us = 0;
			return s;
		}
		if (old == NULL || s->used_us < old->used_us)
			old = s;
	}
	memset(old, 0, sizeof(*old));
	snprintf(old->key, sizeof(old->key), "%s", key);
	return old;
}

static void
charge(limit_slot_t *s, uint64_t now)
{
	uint32_t over;
	uint64_t d;

	s->used_us = now;
	if (++s->fails <= LIMIT_FREE)
		return;
	over = s->fails - LIMIT_FREE - 1;
	d = over >= 5 ? LIMIT_DELAY_MAX_S : (uint64_t)LIMIT_DELAY_MIN_S << over;
	if (d > LIMIT_DELAY_MAX_S)
		d = LIMIT_DELAY_MAX_S;
	s->until_us = now + d * 1000000;
}

unsigned
streamer_limit_admit(const char *source, const char *user, uint64_t now)
{
	limit_slot_t *a = slot(by_source, source, now), *b = slot(by_user, user, now);
	uint64_t until = a->until_us > b->until_us ? a->until_us : b->until_us;

	if (now < until) {
		a->used_us = b->used_us = now;
		return (unsigned)((until - now + 999999) / 1000000);
	}
	charge(a, now);
	charge(b, now);
	return 0;
}

void
streamer_limit_success(const char *source, const char *user, uint64_t now)
{
	limit_slot_t *a = slot(by_source, source, now), *b = slot(by_user, user, now);

	a->fails = b->fails = 0;
	a->until_us = b->until_us = 0;
}

/*
 * NAME
 *	listener_sess.c - bounded table of camera sessions
 *
 * DESCRIPTION
 *	One slot per camera, open addressing on the UUID (random, so its
 *	first bytes hash well). The table never grows: memory stays flat
 *	however many cameras speak, and a camera beyond the bound is
 *	refused and counted.
 */
#include <string.h>

#include "listener.h"

static size_t
home(const uint8_t uuid[PROTO_UUID_LEN])
{
	uint32_t h;

	memcpy(&h, uuid, sizeof(h));
	return h & (LISTENER_MAX_SESSIONS - 1);
}

listener_sess_t *
listener_sess_find(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN])
{
	size_t i = home(uuid), n;

	for (n = 0; n < LISTENER_MAX_SESSIONS; n++, i = (i + 1) & (LISTENER_MAX_SESSIONS - 1)) {
		if (!l->sess[i].used)
			return NULL;
		if (memcmp(l->sess[i].uuid, uuid, PROTO_UUID_LEN) == 0)
			return &l->sess[i];
	}
	return NULL;
}

listener_sess_t *
listener_sess_slot(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN])
{
	size_t i = home(uuid), n;

	/* keep a quarter free so probe chains stay short */
	for (n = 0; n < LISTENER_MAX_SESSIONS * 3 / 4;
	     n++, i = (i + 1) & (LISTENER_MAX_SESSIONS - 1)) {
		if (!l->sess[i].used) {
			l->sess[i].used = 1;
			memcpy(l->sess[i].uuid, uuid, PROTO_UUID_LEN);
			return &l->sess[i];
		}
		if (memcmp(l->sess[i].uuid, uuid, PROTO_UUID_LEN) == 0)
			return &l->sess[i];
	}
	return NULL;
}

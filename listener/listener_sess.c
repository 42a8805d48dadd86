/*
 * NAME
 *	listener_sess.c - bounded table of camera sessions
 *
 * DESCRIPTION
 *	One slot per camera, open addressing on the UUID (random, so its
 *	first bytes hash well). The table never grows: memory stays flat
 *	however many cameras speak, and a camera beyond the bound is
 *	refused and counted. Under vigild every session is also kept in a
 *	shared segment (listener_saved_t), from which a restarted listener
 *	rebuilds the table, so cameras keep streaming across a restart
 *	without a new hello. Each camera also keeps up to LISTENER_PAST
 *	earlier sessions (replaced ones, and those a resent hello made
 *	known), so that datagrams resent from a camera's store verify.
 *	Beside each session the sum of the hello that opened it is kept,
 *	so that a copy of those bytes is recognised without RSA work, and
 *	the address its authenticated datagrams came from, the only one a
 *	copy of its hello is answered at.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "listener.h"

int
listener_sess_init(listener_t *l)
{
	l->sess = calloc(LISTENER_MAX_SESSIONS, sizeof(*l->sess));
	return l->sess ? 0 : -1;
}

void
listener_sess_free(listener_t *l)
{
	int i, k;

	if (l->sess == NULL)
		return;
	for (i = 0; i < LISTENER_MAX_SESSIONS; i++) {
		proto_session_free(l->sess[i].s);
		for (k = 0; k < LISTENER_PAST; k++)
			proto_session_free(l->sess[i].past[k]);
	}
	free(l->sess);
	l->sess = NULL;
}

static size_t
home(const uint8_t uuid[PROTO_UUID_LEN])
{
	uint32_t h;

	memcpy(&h, uuid, sizeof(h));
	return h & (LISTENER_MAX_SESSIONS - 1);
}

/* Rebuild the table from the shared slots; returns the sessions restored. */
static int
restore(listener_t *l)
{
	int i, n = 0;

	for (i = 0; i < LISTENER_MAX_SESSIONS; i++) {
		listener_saved_t *v = &l->saved[i];
		/* acquire: the fields after the valid word that was stored after them */
		if (!__atomic_load_n(&v->valid, __ATOMIC_ACQUIRE) || v->peer_len > sizeof(v->peer))
			continue;
		if (l->keydir && proto_registry_revoked(l->keydir, v->uuid) == 1) {
			__atomic_store_n(&v->valid, 0, __ATOMIC_RELEASE); /* revoked meanwhile */
			continue;
		}
		listener_sess_t *ls = &l->sess[i];
		ls->used = 1;
		memcpy(ls->uuid, v->uuid, PROTO_UUID_LEN);
		ls->s = proto_session_new(v->uuid, v->date, v->session, v->secret);
		memcpy(&ls->peer, &v->peer, v->peer_len);
		ls->peer_len = v->peer_len;
		if (ls->s)
			n++;
	}
	return n;
}

int
listener_sess_attach(listener_t *l, uint32_t index, shm_seg_t *seg)
{
	size_t size = LISTENER_MAX_SESSIONS * sizeof(listener_saved_t);
	int rc;

	if (l->prefix == NULL)
		return 0;
	if ((rc = shm_kind_attach(l->prefix, SHM_KIND_SESSIONS, NULL, index, size, seg)) < 0 &&
	    (rc = shm_kind_create(l->prefix, SHM_KIND_SESSIONS, NULL, index, size, seg)) < 0)
		return rc;
	l->saved = shm_seg_body(seg);
	return restore(l);
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

int
listener_sess_set(listener_t *l, listener_sess_t *ls, uint32_t date, uint32_t session,
		  const uint8_t secret[PROTO_SECRET_LEN], const uint8_t sum[LISTENER_SUM_LEN],
		  const struct sockaddr_storage *peer, socklen_t peer_len)
{
	proto_session_t *s = proto_session_new(ls->uuid, date, session, secret);

	if (s == NULL)
		return -1;
	if (ls->s) {
		/* the replaced session stays known: its late datagrams still verify */
		uint32_t k = ls->past_next++ % LISTENER_PAST;
		proto_session_free(ls->past[k]);
		ls->past[k] = ls->s;
		memcpy(ls->past_sum[k], ls->sum, LISTENER_SUM_LEN);
	}
	ls->s = s;
	memcpy(ls->sum, sum, LISTENER_SUM_LEN);
	memcpy(&ls->peer, peer, peer_len);
	ls->peer_len = peer_len;
	ls->ack_owed = 0;
	if (l->saved) {
		listener_saved_t *v = &l->saved[ls - l->sess];
		/* invalid before any field changes: a successor restoring after our
		 * crash skips a half-written slot (read with acquire in restore) */
		__atomic_store_n(&v->valid, 0, __ATOMIC_RELEASE);
		memcpy(v->uuid, ls->uuid, PROTO_UUID_LEN);
		v->date = date;
		v->session = session;
		memcpy(v->secret, secret, PROTO_SECRET_LEN);
		memcpy(&v->peer, peer, peer_len);
		v->peer_len = peer_len;
		/* every field is in place before the slot says it is valid */
		__atomic_store_n(&v->valid, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

proto_session_t *
listener_sess_lookup(listener_sess_t *ls, uint32_t date, uint32_t session)
{
	int i;

	if (ls->s && proto_session_date(ls->s) == date && proto_session_id(ls->s) == session)
		return ls->s;
	for (i = 0; i < LISTENER_PAST; i++)
		if (ls->past[i] && proto_session_date(ls->past[i]) == date &&
		    proto_session_id(ls->past[i]) == session)
			return ls->past[i];
	return NULL;
}

int
listener_sess_add_past(listener_sess_t *ls, uint32_t date, uint32_t session,
		       const uint8_t secret[PROTO_SECRET_LEN], const uint8_t sum[LISTENER_SUM_LEN])
{
	proto_session_t *s = proto_session_new(ls->uuid, date, session, secret);
	uint32_t k;

	if (s == NULL)
		return -1;
	/* bounded: the oldest-added past session makes room */
	k = ls->past_next++ % LISTENER_PAST;
	proto_session_free(ls->past[k]);
	ls->past[k] = s;
	memcpy(ls->past_sum[k], sum, LISTENER_SUM_LEN);
	return 0;
}

void
listener_sess_sum(const uint8_t *hello, size_t len, uint8_t sum[LISTENER_SUM_LEN])
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256(hello, len, md);
	memcpy(sum, md, LISTENER_SUM_LEN);
}

/* Where the sum of s, a session of ls, is kept; NULL when s is not one of them. */
static uint8_t *
sum_of(listener_sess_t *ls, const proto_session_t *s)
{
	int i;

	if (s == NULL)
		return NULL;
	if (s == ls->s)
		return ls->sum;
	for (i = 0; i < LISTENER_PAST; i++)
		if (ls->past[i] == s)
			return ls->past_sum[i];
	return NULL;
}

int
listener_sess_verified(const listener_sess_t *ls, const proto_session_t *s,
		       const uint8_t sum[LISTENER_SUM_LEN])
{
	const uint8_t *k = sum_of((listener_sess_t *)ls, s);

	/* an unknown sum is all zero, which no SHA-256 is but by chance */
	return k != NULL && memcmp(k, sum, LISTENER_SUM_LEN) == 0;
}

void
listener_sess_note(listener_sess_t *ls, const proto_session_t *s,
		   const uint8_t sum[LISTENER_SUM_LEN])
{
	uint8_t *k = sum_of(ls, s);

	if (k != NULL)
		memcpy(k, sum, LISTENER_SUM_LEN);
}

int
listener_sess_proven(const listener_sess_t *ls, const struct sockaddr_storage *peer,
		     socklen_t peer_len)
{
	return ls->peer_len == peer_len && memcmp(&ls->peer, peer, peer_len) == 0;
}

int
listener_sess_peer(listener_t *l, listener_sess_t *ls, const struct sockaddr_storage *peer,
		   socklen_t peer_len)
{
	if (listener_sess_proven(ls, peer, peer_len))
		return 0;
	/* the camera's NAT mapping moved: replies go to the new one */
	memcpy(&ls->peer, peer, peer_len);
	ls->peer_len = peer_len;
	if (l->saved && ls->s) {
		listener_saved_t *v = &l->saved[ls - l->sess];
		/* as in listener_sess_set: invalid while the address changes, valid after */
		__atomic_store_n(&v->valid, 0, __ATOMIC_RELEASE);
		memcpy(&v->peer, peer, peer_len);
		v->peer_len = peer_len;
		__atomic_store_n(&v->valid, 1, __ATOMIC_RELEASE);
	}
	return 1;
}

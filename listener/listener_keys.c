/*
 * NAME
 *	listener_keys.c - the server's key, and the cameras' registered
 *	public keys, cached
 *
 * DESCRIPTION
 *	The server's private key is KEYDIR/server.key; the key of the hello
 *	cookies is derived from it (listener_cookie.c).
 *
 *	Looking a camera up in the registry costs two file checks and a PEM
 *	parse, about 320 us: fifteen times the RSA verify it precedes. A flood
 *	of forged hellos from many addresses, each allowed through the rate
 *	limits, then kept the listener from reading its socket and good
 *	datagrams were lost (bench_attack). The answer of the registry,
 *	a key, "unknown" or "revoked", is kept LISTENER_KEY_TTL_MS in a
 *	fixed table of LISTENER_KEY_SLOTS entries (open addressing, a short
 *	probe, the oldest entry of the probe replaced), so a newly
 *	provisioned camera takes effect within that time; a change the
 *	listener sees in the registry folder (listener_revoke.c) drops the
 *	camera's entry at once.
 *	listener_key_lookup hands out a reference the caller frees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"

#define LISTENER_KEY_PROBE 8

typedef struct listener_key {
	uint8_t uuid[PROTO_UUID_LEN];
	int used;
	int rc;        /* the registry's answer: 0 or a negative proto_err */
	EVP_PKEY *pub; /* when rc == 0 */
	uint64_t until_ms;
} listener_key_t;

int
listener_keys_load_server(listener_t *l)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/server.key", l->keydir) >= sizeof(path)) {
		stage_set_errmsg("%s/server.key: name too long", l->keydir);
		return -1;
	}
	if ((l->server_key = proto_key_load_private(path)) == NULL ||
	    proto_cookie_key(l->server_key, l->cookie_key) < 0) {
		stage_set_errmsg("%s", proto_errmsg());
		return -1;
	}
	return 0;
}

int
listener_keys_init(listener_t *l)
{
	l->keys = calloc(LISTENER_KEY_SLOTS, sizeof(listener_key_t));
	return l->keys ? 0 : -1;
}

int
listener_key_lookup(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN], uint64_t now_ms,
		    EVP_PKEY **pub)
{
	listener_key_t *k = l->keys, *victim = NULL;
	uint32_t h = proto_partition(uuid, LISTENER_KEY_SLOTS), i;
	int rc;

	*pub = NULL;
	if (k == NULL) /* no cache: ask the registry every time */
		return proto_registry_lookup(l->keydir, uuid, pub);
	for (i = 0; i < LISTENER_KEY_PROBE; i++) {
		listener_key_t *e = &k[(h + i) % LISTENER_KEY_SLOTS];

		if (e->used && memcmp(e->uuid, uuid, PROTO_UUID_LEN) == 0) {
			if (now_ms < e->until_ms) {
				if (e->rc == 0 && EVP_PKEY_up_ref(e->pub) == 1)
					*pub = e->pub;
				return e->rc == 0 && *pub == NULL ? PROTO_E_CRYPTO : e->rc;
			}
			victim = e; /* expired: ask again, in place */
			break;
		}
		if (victim == NULL || !e->used || (victim->used && e->until_ms < victim->until_ms))
			victim = e;
	}
	rc = proto_registry_lookup(l->keydir, uuid, pub);
	if (rc == PROTO_E_IO) /* a passing read error is not an answer to keep */
		return rc;
	EVP_PKEY_free(victim->pub);
	memcpy(victim->uuid, uuid, PROTO_UUID_LEN);
	victim->used = 1;
	victim->rc = rc;
	victim->pub = NULL;
	victim->until_ms = now_ms + LISTENER_KEY_TTL_MS;
	if (rc == 0 && EVP_PKEY_up_ref(*pub) == 1)
		victim->pub = *pub;
	else if (rc == 0)
		victim->used = 0;
	return rc;
}

void
listener_key_forget(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN])
{
	listener_key_t *k = l->keys;
	uint32_t h = proto_partition(uuid, LISTENER_KEY_SLOTS), i;

	for (i = 0; k && i < LISTENER_KEY_PROBE; i++) {
		listener_key_t *e = &k[(h + i) % LISTENER_KEY_SLOTS];
		if (e->used && memcmp(e->uuid, uuid, PROTO_UUID_LEN) == 0) {
			e->until_ms = 0; /* asked again at the next lookup */
			return;
		}
	}
}

void
listener_keys_free(listener_t *l)
{
	listener_key_t *k = l->keys;
	int i;

	EVP_PKEY_free(l->server_key);
	l->server_key = NULL;
	OPENSSL_cleanse(l->cookie_key, sizeof(l->cookie_key));
	if (k == NULL)
		return;
	for (i = 0; i < LISTENER_KEY_SLOTS; i++)
		EVP_PKEY_free(k[i].pub);
	free(k);
	l->keys = NULL;
}

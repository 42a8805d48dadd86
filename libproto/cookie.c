/*
 * NAME
 *	cookie.c - the hello cookie: a stateless retry for a server under load
 *
 * DESCRIPTION
 *	A server under load answers a hello that carries no valid trailer
 *	with a COOKIE (type 9, 60 bytes, not sealed):
 *	  prefix (24, uuid and date of the hello) || hello id (16)
 *	  || issued (u32) || mac (16)
 *	and the camera resends its hello with issued || mac appended (the
 *	20-byte trailer, outside the signature). The MAC is
 *	  HMAC-SHA-256(K, "vigil/1 cookie" || issued || addr (16) || port
 *	  || uuid), first 16 bytes
 *	with the source address as 16 bytes (IPv4 as ::ffff:a.b.c.d), and
 *	  K = HKDF-SHA-256(salt "vigil/1 cookie", IKM = DER of the server's
 *	  private key, info "cookie key", 32)
 *	so every listener process of one server computes the same key and
 *	keeps no state per cookie. Only a sender that receives at its source
 *	address can answer; a forged source never gets past the cookie, and
 *	the 60-byte answer to a hello of 576 bytes or more amplifies nothing.
 *	Layout and rules: docs/PROTOCOL.md, "COOKIE (type 9)".
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "proto_crypto.h"

#define COOKIE_LABEL "vigil/1 cookie" /* 14 bytes: MAC prefix and HKDF salt */
#define COOKIE_LABEL_LEN 14

static int
fail(int err, const char *what)
{
	proto_set_errmsg("%s: %s", what, proto_strerror(err));
	return err;
}

int
proto_cookie_key(EVP_PKEY *server_priv, uint8_t key[32])
{
	unsigned char *der = NULL;
	int n, rc;

	if ((n = i2d_PrivateKey(server_priv, &der)) <= 0) {
		proto_set_errmsg("cookie key: i2d_PrivateKey failed");
		return PROTO_E_CRYPTO;
	}
	rc = proto_hkdf(der, (size_t)n, (const uint8_t *)COOKIE_LABEL, COOKIE_LABEL_LEN,
			(const uint8_t *)"cookie key", 10, key, 32);
	OPENSSL_clear_free(der, (size_t)n);
	return rc;
}

/*
 * An HMAC context keyed with the last key used on this thread: keying
 * costs as much as the MAC itself, and a listener uses one key for ever.
 * Returns the context ready for update, or NULL.
 */
static EVP_MAC_CTX *
hmac_ctx(const uint8_t key[32])
{
	static EVP_MAC *mac; /* fetched once; OpenSSL keeps it alive */
	static __thread EVP_MAC_CTX *ctx;
	static __thread uint8_t ctx_key[32];
	OSSL_PARAM params[2];

	if (ctx != NULL && CRYPTO_memcmp(ctx_key, key, 32) == 0)
		return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 ? ctx : NULL;
	if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(ctx_key, sizeof(ctx_key));
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, 32, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
		return NULL;
	}
	memcpy(ctx_key, key, 32);
	return ctx;
}

/* The 16-byte address and the port of peer, IPv4 as ::ffff:a.b.c.d. */
static void
peer_bytes(const struct sockaddr_storage *peer, uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	*port = 0;
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
	} else if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	}
}

void
proto_cookie_mac(const uint8_t key[32], uint32_t issued, const struct sockaddr_storage *peer,
		 const uint8_t uuid[PROTO_UUID_LEN], uint8_t mac[PROTO_COOKIE_MAC_LEN])
{
	uint8_t msg[COOKIE_LABEL_LEN + 4 + 16 + 2 + PROTO_UUID_LEN], out[32];
	EVP_MAC_CTX *ctx;
	size_t outlen = 0;
	uint16_t port;

	memcpy(msg, COOKIE_LABEL, COOKIE_LABEL_LEN);
	proto_put32(msg + 14, issued);
	peer_bytes(peer, msg + 18, &port);
	proto_put16(msg + 34, port);
	memcpy(msg + 36, uuid, PROTO_UUID_LEN);
	if ((ctx = hmac_ctx(key)) == NULL || EVP_MAC_update(ctx, msg, sizeof(msg)) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, sizeof(out)) != 1 || outlen != 32) {
		/* a MAC nobody can match: no cookie passes while OpenSSL fails */
		proto_set_errmsg("cookie mac: HMAC-SHA-256 failed");
		if (RAND_bytes(out, sizeof(out)) != 1)
			memset(out, 0, sizeof(out));
		out[0] ^= 0x5a;
	}
	memcpy(mac, out, PROTO_COOKIE_MAC_LEN);
	OPENSSL_cleanse(out, sizeof(out));
}

int
proto_cookie_check(const uint8_t key[32], uint32_t issued, const uint8_t mac[PROTO_COOKIE_MAC_LEN],
		   const struct sockaddr_storage *peer, const uint8_t uuid[PROTO_UUID_LEN],
		   uint64_t now_s)
{
	uint8_t want[PROTO_COOKIE_MAC_LEN];

	if ((uint64_t)issued + PROTO_COOKIE_TTL_S < now_s ||
	    (uint64_t)issued > now_s + PROTO_COOKIE_FUTURE_S)
		return 0;
	proto_cookie_mac(key, issued, peer, uuid, want);
	return CRYPTO_memcmp(want, mac, PROTO_COOKIE_MAC_LEN) == 0;
}

int
proto_cookie_encode(const proto_cookie_t *c, uint8_t *out, size_t cap)
{
	if (cap < PROTO_COOKIE_LEN)
		return fail(PROTO_E_SHORT, "cookie buffer");
	out[0] = PROTO_MAGIC0;
	out[1] = PROTO_MAGIC1;
	out[2] = PROTO_VERSION;
	out[3] = PROTO_T_COOKIE;
	memcpy(out + 4, c->uuid, PROTO_UUID_LEN);
	proto_put32(out + 20, c->date);
	memcpy(out + 24, c->hello_id, PROTO_HELLO_ID_LEN);
	proto_put32(out + 40, c->issued);
	memcpy(out + 44, c->mac, PROTO_COOKIE_MAC_LEN);
	return PROTO_COOKIE_LEN;
}

int
proto_cookie_decode(const uint8_t *dg, size_t len, proto_cookie_t *c)
{
	proto_prefix_t p;
	int t;

	if ((t = proto_prefix_decode(dg, len, &p)) < 0)
		return t;
	if (t != PROTO_T_COOKIE)
		return fail(PROTO_E_TYPE, "not a cookie");
	if (len != PROTO_COOKIE_LEN)
		return fail(len < PROTO_COOKIE_LEN ? PROTO_E_SHORT : PROTO_E_LENGTH,
			    "cookie length");
	memcpy(c->uuid, p.uuid, PROTO_UUID_LEN);
	c->date = p.date;
	memcpy(c->hello_id, dg + 24, PROTO_HELLO_ID_LEN);
	c->issued = proto_get32(dg + 40);
	memcpy(c->mac, dg + 44, PROTO_COOKIE_MAC_LEN);
	return 0;
}

int
proto_hello_trailer(const uint8_t *dg, size_t len, size_t *signed_len, uint32_t *issued,
		    uint8_t mac[PROTO_COOKIE_MAC_LEN])
{
	proto_prefix_t p;
	uint16_t w, s;
	size_t base;
	int t;

	if ((t = proto_prefix_decode(dg, len, &p)) < 0)
		return t;
	if (t != PROTO_T_HELLO)
		return fail(PROTO_E_TYPE, "not a hello");
	if (len < PROTO_HELLO_FIXED_LEN)
		return fail(PROTO_E_SHORT, "hello header");
	w = proto_get16(dg + 60);
	s = proto_get16(dg + 62);
	if ((w != 256 && w != 384 && w != 512) || (s != 256 && s != 384 && s != 512))
		return fail(PROTO_E_FIELD, "hello RSA lengths");
	base = PROTO_HELLO_FIXED_LEN + (size_t)w + s;
	*signed_len = base;
	if (len == base)
		return 0;
	if (len != base + PROTO_COOKIE_TRAILER)
		return fail(len < base ? PROTO_E_SHORT : PROTO_E_LENGTH, "hello length");
	*issued = proto_get32(dg + base);
	memcpy(mac, dg + base + 4, PROTO_COOKIE_MAC_LEN);
	return 1;
}

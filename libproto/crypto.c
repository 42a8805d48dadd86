/*
 * NAME
 *	crypto.c - key schedule, sessions, AES-256-GCM sealing and opening
 *
 * DESCRIPTION
 *	The key schedule (docs/PROTOCOL.md, "Keys"):
 *	  PRK       = HKDF-Extract(salt = "vigil/1" || uuid, IKM = secret)
 *	  frame key = HKDF-Expand(PRK, "vigil/1 frame" || date || session ||
 *	              stream || frame, 32)
 *	  s2c key   = HKDF-Expand(PRK, "vigil/1 s2c" || date || session, 32)
 *	A session keeps the PRK and one keyed cipher context per stream,
 *	remembering which frame it is keyed for: the datagrams of one frame
 *	cost one HKDF-Expand and one AES key schedule, then only an IV each.
 *	A session made from an s2c key alone (a camera's earlier session,
 *	kept without its secret) seals and opens server messages only.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "proto_crypto.h"

#define STREAMS 4 /* video, audio, telemetry, control */

struct proto_session {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t id;
	uint8_t prk[32];
	uint8_t s2c_key[PROTO_KEY_LEN];
	int s2c_only;                 /* made from an s2c key alone: no PRK, no frame keys */
	EVP_CIPHER_CTX *ctx[STREAMS]; /* keyed for frame[i] when keyed[i] */
	uint32_t frame[STREAMS];
	int keyed[STREAMS];
	EVP_CIPHER_CTX *s2c;
	uint8_t scratch[PROTO_MAX_DGRAM];
};

static EVP_KDF *
hkdf(void)
{
	static EVP_KDF *kdf; /* fetched once; OpenSSL keeps it alive */

	if (kdf == NULL)
		kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	return kdf;
}

static int
kdf_run(int mode, const uint8_t *key, size_t keylen, const uint8_t *salt, size_t saltlen,
	const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[6], *p = params;
	EVP_KDF_CTX *kctx;
	int rc = PROTO_E_CRYPTO;

	if (hkdf() == NULL || (kctx = EVP_KDF_CTX_new(hkdf())) == NULL) {
		proto_set_errmsg("EVP_KDF_CTX_new(HKDF) failed");
		return PROTO_E_CRYPTO;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	if (salt)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	if (info)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) != 1)
		proto_set_errmsg("EVP_KDF_derive(HKDF) failed");
	else
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int
proto_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
	   const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, ikmlen, salt, saltlen, info,
		       infolen, out, outlen);
}

int
proto_kdf_prk(const uint8_t secret[PROTO_SECRET_LEN], const uint8_t uuid[PROTO_UUID_LEN],
	      uint8_t prk[32])
{
	uint8_t salt[7 + PROTO_UUID_LEN];

	memcpy(salt, "vigil/1", 7);
	memcpy(salt + 7, uuid, PROTO_UUID_LEN);
	return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, secret, PROTO_SECRET_LEN, salt, sizeof(salt),
		       NULL, 0, prk, 32);
}

int
proto_kdf_frame(const uint8_t prk[32], uint32_t date, uint32_t session, uint8_t stream,
		uint32_t frame, uint8_t key[PROTO_KEY_LEN])
{
	uint8_t info[13 + 13];

	memcpy(info, "vigil/1 frame", 13);
	proto_put32(info + 13, date);
	proto_put32(info + 17, session);
	info[21] = stream;
	proto_put32(info + 22, frame);
	return kdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, info, sizeof(info), key,
		       PROTO_KEY_LEN);
}

int
proto_kdf_s2c(const uint8_t prk[32], uint32_t date, uint32_t session, uint8_t key[PROTO_KEY_LEN])
{
	uint8_t info[11 + 8];

	memcpy(info, "vigil/1 s2c", 11);
	proto_put32(info + 11, date);
	proto_put32(info + 15, session);
	return kdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, info, sizeof(info), key,
		       PROTO_KEY_LEN);
}

void
proto_c2s_nonce(uint32_t date, uint32_t counter, uint8_t nonce[PROTO_NONCE_LEN])
{
	proto_put32(nonce, date);
	proto_put32(nonce + 4, counter);
	proto_put32(nonce + 8, 0);
}

proto_session_t *
proto_session_s2c_new(const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, uint32_t session,
		      const uint8_t s2c_key[PROTO_KEY_LEN])
{
	proto_session_t *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		proto_set_errmsg("session: out of memory");
		return NULL;
	}
	memcpy(s->uuid, uuid, PROTO_UUID_LEN);
	s->date = date;
	s->id = session;
	s->s2c_only = 1;
	memcpy(s->s2c_key, s2c_key, PROTO_KEY_LEN);
	if ((s->s2c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(s->s2c, EVP_aes_256_gcm(), NULL, s->s2c_key, NULL, -1) != 1) {
		proto_set_errmsg("session: cipher setup failed");
		proto_session_free(s);
		return NULL;
	}
	return s;
}

/* The s2c part as above, then the PRK and a cipher context per stream. */
proto_session_t *
proto_session_new(const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, uint32_t session,
		  const uint8_t secret[PROTO_SECRET_LEN])
{
	uint8_t prk[32], key[PROTO_KEY_LEN];
	proto_session_t *s = NULL;
	int i;

	if (proto_kdf_prk(secret, uuid, prk) == 0 && proto_kdf_s2c(prk, date, session, key) == 0)
		s = proto_session_s2c_new(uuid, date, session, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (s == NULL) {
		OPENSSL_cleanse(prk, sizeof(prk));
		proto_set_errmsg("session: key derivation or cipher setup failed");
		return NULL;
	}
	memcpy(s->prk, prk, sizeof(prk));
	OPENSSL_cleanse(prk, sizeof(prk));
	s->s2c_only = 0;
	for (i = 0; i < STREAMS; i++) {
		if ((s->ctx[i] = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_CipherInit_ex(s->ctx[i], EVP_aes_256_gcm(), NULL, NULL, NULL, -1) != 1) {
			proto_set_errmsg("session: cipher setup failed");
			proto_session_free(s);
			return NULL;
		}
	}
	return s;
}

void
proto_session_s2c_key(const proto_session_t *s, uint8_t key[PROTO_KEY_LEN])
{
	memcpy(key, s->s2c_key, PROTO_KEY_LEN);
}

void
proto_session_free(proto_session_t *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < STREAMS; i++)
		EVP_CIPHER_CTX_free(s->ctx[i]);
	EVP_CIPHER_CTX_free(s->s2c);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

uint32_t
proto_session_id(const proto_session_t *s)
{
	return s->id;
}

uint32_t
proto_session_date(const proto_session_t *s)
{
	return s->date;
}

int
proto_session_frame_key(proto_session_t *s, uint8_t stream, uint32_t frame,
			uint8_t key[PROTO_KEY_LEN])
{
	if (s->s2c_only)
		return PROTO_E_CRYPTO;
	return proto_kdf_frame(s->prk, s->date, s->id, stream, frame, key);
}

/* The cipher context of a stream, keyed for this frame. */
static EVP_CIPHER_CTX *
frame_ctx(proto_session_t *s, uint8_t stream, uint32_t frame)
{
	uint8_t key[PROTO_KEY_LEN];
	int ok;

	if (stream >= STREAMS || s->s2c_only)
		return NULL;
	if (s->keyed[stream] && s->frame[stream] == frame)
		return s->ctx[stream];
	s->keyed[stream] = 0;
	if (proto_kdf_frame(s->prk, s->date, s->id, stream, frame, key) < 0)
		return NULL;
	/* enc = -1: keep the direction; each call below sets it again. */
	ok = EVP_CipherInit_ex(s->ctx[stream], NULL, NULL, key, NULL, -1) == 1;
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok)
		return NULL;
	s->frame[stream] = frame;
	s->keyed[stream] = 1;
	return s->ctx[stream];
}

/*
 * One AES-256-GCM pass. enc: out = ciphertext, tag written after it.
 * dec: out = plaintext, tag read from in + len.
 */
static int
gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t nonce[PROTO_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	int n;

	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, enc) != 1)
		goto crypto;
	if (EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto crypto;
	if (len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto crypto;
	if (enc) {
		if (EVP_CipherFinal_ex(c, out + len, &n) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, PROTO_TAG_LEN, tag) != 1)
			goto crypto;
		return 0;
	}
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, PROTO_TAG_LEN, tag) != 1)
		goto crypto;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1) {
		proto_set_errmsg("AES-GCM tag mismatch");
		return PROTO_E_TAG;
	}
	return 0;
crypto:
	proto_set_errmsg("AES-GCM operation failed");
	return PROTO_E_CRYPTO;
}

static int
owned_by(const proto_session_t *s, const uint8_t *uuid, uint32_t date, uint32_t session)
{
	if (memcmp(s->uuid, uuid, PROTO_UUID_LEN) != 0 || s->date != date || s->id != session) {
		proto_set_errmsg("message is not for this session");
		return PROTO_E_CAMERA;
	}
	return 0;
}

int
proto_data_seal(proto_session_t *s, const proto_data_hdr_t *h, const uint8_t *payload, uint8_t *out,
		size_t cap)
{
	size_t total = PROTO_DATA_HDR_LEN + (size_t)h->payload_len + PROTO_TAG_LEN;
	uint8_t nonce[PROTO_NONCE_LEN];
	EVP_CIPHER_CTX *c;
	int rc;

	if ((rc = owned_by(s, h->uuid, h->date, h->session)) < 0)
		return rc;
	if (cap < PROTO_DATA_HDR_LEN)
		return PROTO_E_SHORT;
	if ((rc = proto_data_hdr_encode(h, out)) < 0)
		return rc;
	if (cap < total)
		return PROTO_E_SHORT;
	if ((c = frame_ctx(s, h->stream, h->frame)) == NULL)
		return PROTO_E_CRYPTO;
	proto_c2s_nonce(h->date, h->counter, nonce);
	rc = gcm(c, 1, nonce, out, PROTO_DATA_HDR_LEN, payload, h->payload_len,
		 out + PROTO_DATA_HDR_LEN, out + PROTO_DATA_HDR_LEN + h->payload_len);
	return rc < 0 ? rc : (int)total;
}

int
proto_data_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_data_hdr_t *h,
		uint8_t *plain)
{
	uint8_t nonce[PROTO_NONCE_LEN];
	EVP_CIPHER_CTX *c;
	int rc;

	if ((rc = proto_data_hdr_decode(dgram, len, h)) < 0)
		return rc;
	if ((rc = owned_by(s, h->uuid, h->date, h->session)) < 0)
		return rc;
	if ((c = frame_ctx(s, h->stream, h->frame)) == NULL)
		return PROTO_E_CRYPTO;
	proto_c2s_nonce(h->date, h->counter, nonce);
	rc =
	    gcm(c, 0, nonce, dgram, PROTO_DATA_HDR_LEN, dgram + PROTO_DATA_HDR_LEN, h->payload_len,
		plain ? plain : s->scratch, (uint8_t *)dgram + PROTO_DATA_HDR_LEN + h->payload_len);
	return rc < 0 ? rc : h->payload_len;
}

int
proto_c2s_seal(proto_session_t *s, uint8_t type, uint32_t counter, const uint8_t *body,
	       size_t body_len, uint8_t *out, size_t cap)
{
	size_t total = PROTO_C2S_HDR_LEN + body_len + PROTO_TAG_LEN;
	uint8_t nonce[PROTO_NONCE_LEN];
	EVP_CIPHER_CTX *c;
	int rc;

	if (total > PROTO_MAX_DGRAM)
		return PROTO_E_OVERSIZE;
	if (cap < total)
		return PROTO_E_SHORT;
	if ((rc = proto_c2s_hdr_encode(type, s->uuid, s->date, counter, s->id, out)) < 0)
		return rc;
	if ((c = frame_ctx(s, PROTO_S_CONTROL, counter)) == NULL)
		return PROTO_E_CRYPTO;
	proto_c2s_nonce(s->date, counter, nonce);
	rc = gcm(c, 1, nonce, out, PROTO_C2S_HDR_LEN, body, body_len, out + PROTO_C2S_HDR_LEN,
		 out + PROTO_C2S_HDR_LEN + body_len);
	return rc < 0 ? rc : (int)total;
}

int
proto_c2s_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_c2s_hdr_t *h,
	       uint8_t *body, size_t cap)
{
	uint8_t nonce[PROTO_NONCE_LEN];
	EVP_CIPHER_CTX *c;
	int rc;

	if ((rc = proto_c2s_hdr_decode(dgram, len, h)) < 0)
		return rc;
	if ((rc = owned_by(s, h->uuid, h->date, h->session)) < 0)
		return rc;
	if (cap < h->body_len)
		return PROTO_E_SHORT;
	if ((c = frame_ctx(s, PROTO_S_CONTROL, h->counter)) == NULL)
		return PROTO_E_CRYPTO;
	proto_c2s_nonce(h->date, h->counter, nonce);
	rc = gcm(c, 0, nonce, dgram, PROTO_C2S_HDR_LEN, dgram + PROTO_C2S_HDR_LEN, h->body_len,
		 body, (uint8_t *)dgram + PROTO_C2S_HDR_LEN + h->body_len);
	return rc < 0 ? rc : (int)h->body_len;
}

int
proto_s2c_seal(proto_session_t *s, uint8_t type, const uint8_t nonce_in[PROTO_NONCE_LEN],
	       const uint8_t *body, size_t body_len, uint8_t *out, size_t cap)
{
	size_t total = PROTO_S2C_HDR_LEN + body_len + PROTO_TAG_LEN;
	uint8_t nonce[PROTO_NONCE_LEN];
	int rc;

	if (total > PROTO_MAX_DGRAM)
		return PROTO_E_OVERSIZE;
	if (cap < total)
		return PROTO_E_SHORT;
	if (nonce_in)
		memcpy(nonce, nonce_in, PROTO_NONCE_LEN);
	else if (RAND_bytes(nonce, PROTO_NONCE_LEN) != 1)
		return PROTO_E_CRYPTO;
	if ((rc = proto_s2c_hdr_encode(type, s->uuid, s->date, s->id, nonce, out)) < 0)
		return rc;
	rc = gcm(s->s2c, 1, nonce, out, PROTO_S2C_HDR_LEN, body, body_len, out + PROTO_S2C_HDR_LEN,
		 out + PROTO_S2C_HDR_LEN + body_len);
	return rc < 0 ? rc : (int)total;
}

int
proto_s2c_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_s2c_hdr_t *h,
	       uint8_t *body, size_t cap)
{
	int rc;

	if ((rc = proto_s2c_hdr_decode(dgram, len, h)) < 0)
		return rc;
	if ((rc = owned_by(s, h->uuid, h->date, h->session)) < 0)
		return rc;
	if (cap < h->body_len)
		return PROTO_E_SHORT;
	rc = gcm(s->s2c, 0, h->nonce, dgram, PROTO_S2C_HDR_LEN, dgram + PROTO_S2C_HDR_LEN,
		 h->body_len, body, (uint8_t *)dgram + PROTO_S2C_HDR_LEN + h->body_len);
	return rc < 0 ? rc : (int)h->body_len;
}

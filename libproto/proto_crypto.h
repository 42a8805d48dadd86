/*
 * NAME
 *	proto_crypto.h - session keys, sealing and opening, hellos, replay
 *	cache, RSA keys and the camera registry
 *
 * DESCRIPTION
 *	Key schedule (docs/PROTOCOL.md, "Keys"):
 *	  PRK        = HKDF-Extract(salt = "vigil/1" || uuid, IKM = secret)
 *	  frame key  = HKDF-Expand(PRK, "vigil/1 frame" || date || session ||
 *	               stream || frame, 32)
 *	  s2c key    = HKDF-Expand(PRK, "vigil/1 s2c" || date || session, 32)
 *	c2s nonce    = date || counter || 00000000 (all big-endian)
 *	s2c nonce    = 12 random bytes carried in the message
 *	AAD          = every byte of the message before the ciphertext.
 *
 *	A proto_session_t caches the PRK, the s2c key and one keyed AES-GCM
 *	context per stream, so a frame key is derived once per frame, not once
 *	per datagram. A session is used by one thread at a time.
 *
 *	Ownership: *_new returns memory the caller frees with the matching
 *	*_free. EVP_PKEY values returned by proto_key_* belong to the caller
 *	(EVP_PKEY_free).
 */
#ifndef VIGIL_PROTO_CRYPTO_H
#define VIGIL_PROTO_CRYPTO_H

#include <openssl/evp.h>

#include "proto.h"

/* --- key schedule (known-answer tested) ----------------------------- */
/* HKDF-SHA-256 extract and expand (RFC 5869); 0 or PROTO_E_CRYPTO. */
int proto_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
	       const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen);
int proto_kdf_prk(const uint8_t secret[PROTO_SECRET_LEN], const uint8_t uuid[PROTO_UUID_LEN],
		  uint8_t prk[32]);
int proto_kdf_frame(const uint8_t prk[32], uint32_t date, uint32_t session, uint8_t stream,
		    uint32_t frame, uint8_t key[PROTO_KEY_LEN]);
int proto_kdf_s2c(const uint8_t prk[32], uint32_t date, uint32_t session,
		  uint8_t key[PROTO_KEY_LEN]);
void proto_c2s_nonce(uint32_t date, uint32_t counter, uint8_t nonce[PROTO_NONCE_LEN]);

/* --- sessions -------------------------------------------------------- */
typedef struct proto_session proto_session_t;

proto_session_t *proto_session_new(const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
				   uint32_t session, const uint8_t secret[PROTO_SECRET_LEN]);
/*
 * A session known by its s2c key alone (a camera keeps its earlier
 * sessions so, without their secrets): it seals and opens server-to-camera
 * messages; data, control and frame-key calls fail.
 */
proto_session_t *proto_session_s2c_new(const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
				       uint32_t session, const uint8_t s2c_key[PROTO_KEY_LEN]);
/* Copy out a session's s2c key. */
void proto_session_s2c_key(const proto_session_t *s, uint8_t key[PROTO_KEY_LEN]);
void proto_session_free(proto_session_t *s);
uint32_t proto_session_id(const proto_session_t *s);
uint32_t proto_session_date(const proto_session_t *s);
/* The frame key a viewer needs to check one frame (streamer to player). */
int proto_session_frame_key(proto_session_t *s, uint8_t stream, uint32_t frame,
			    uint8_t key[PROTO_KEY_LEN]);

/*
 * Data datagrams. seal: h->uuid, date, session must be the session's;
 * writes header + ciphertext + tag into out, returns the datagram length.
 * open: decodes and checks the header, checks it belongs to this session
 * (else PROTO_E_CAMERA), verifies the tag; plain may be NULL to verify
 * only. Returns the payload length.
 */
int proto_data_seal(proto_session_t *s, const proto_data_hdr_t *h, const uint8_t *payload,
		    uint8_t *out, size_t cap);
int proto_data_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_data_hdr_t *h,
		    uint8_t *plain);

/* Camera-to-server control messages (report, bye): stream CONTROL, frame = counter. */
int proto_c2s_seal(proto_session_t *s, uint8_t type, uint32_t counter, const uint8_t *body,
		   size_t body_len, uint8_t *out, size_t cap);
int proto_c2s_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_c2s_hdr_t *h,
		   uint8_t *body, size_t cap);

/* Server-to-camera messages (hello-ack, missing, rr). nonce NULL: random. */
int proto_s2c_seal(proto_session_t *s, uint8_t type, const uint8_t nonce[PROTO_NONCE_LEN],
		   const uint8_t *body, size_t body_len, uint8_t *out, size_t cap);
int proto_s2c_open(proto_session_t *s, const uint8_t *dgram, size_t len, proto_s2c_hdr_t *h,
		   uint8_t *body, size_t cap);

/* --- hello ------------------------------------------------------------ */
/*
 * Build a hello: fields uuid, date, counter, boot_id, camera_ms, hello_id
 * are taken from h (the rest is computed). The secret is wrapped with
 * RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) for server_pub and the
 * message is signed with RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) by
 * cam_priv. Returns the datagram length.
 */
int proto_hello_seal(EVP_PKEY *cam_priv, EVP_PKEY *server_pub, const proto_hello_t *h,
		     const uint8_t secret[PROTO_SECRET_LEN], uint8_t *out, size_t cap);
/* Verify the signature with cam_pub first (cheap), then unwrap (expensive). */
int proto_hello_verify(const uint8_t *dgram, size_t len, EVP_PKEY *cam_pub, proto_hello_t *h);
int proto_hello_unwrap(const proto_hello_t *h, EVP_PKEY *server_priv,
		       uint8_t secret[PROTO_SECRET_LEN]);

/* --- replay cache for hellos -------------------------------------------- */
/*
 * Bounded: capacity entries, each kept for window_ms after its hello
 * time. check, in this order: PROTO_E_DATE when date is not the UTC day
 * of camera_ms, PROTO_E_FUTURE when camera_ms - now_ms > window_ms,
 * PROTO_E_STALE when now_ms - camera_ms > window_ms, PROTO_E_REPLAY when
 * the (uuid, hello_id) pair is cached. commit (after
 * the signature verified): PROTO_E_FULL when every slot holds a live
 * entry, so a replay is never let through by eviction.
 */
typedef struct proto_replay proto_replay_t;
proto_replay_t *proto_replay_new(size_t capacity, uint32_t window_ms);
void proto_replay_free(proto_replay_t *r);
int proto_replay_check(proto_replay_t *r, const proto_hello_t *h, uint64_t now_ms);
int proto_replay_commit(proto_replay_t *r, const proto_hello_t *h, uint64_t now_ms);

/* --- RSA keys ----------------------------------------------------------- */
EVP_PKEY *proto_key_generate(int bits);
int proto_key_save_private(EVP_PKEY *k, const char *path); /* PEM PKCS#8, mode 0600 */
int proto_key_save_public(EVP_PKEY *k, const char *path);  /* PEM SubjectPublicKeyInfo */
EVP_PKEY *proto_key_load_private(const char *path);
EVP_PKEY *proto_key_load_public(const char *path);

/* --- camera registry (docs/PROTOCOL.md, "Registry") ------------------- */
/*
 * A directory: <dir>/cameras/<uuid>.pub (camera public key, PEM) and,
 * for a revoked camera, <dir>/cameras/<uuid>.revoked (one line: time and
 * reason). lookup: 0 and *pub (caller frees), PROTO_E_CAMERA when unknown,
 * PROTO_E_REVOKED when revoked.
 */
int proto_registry_add(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], EVP_PKEY *pub);
int proto_registry_revoke(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], const char *reason);
int proto_registry_lookup(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], EVP_PKEY **pub);
/* 1 when the camera is revoked, 0 when not (or unknown), PROTO_E_IO for a bad path. */
int proto_registry_revoked(const char *dir, const uint8_t uuid[PROTO_UUID_LEN]);

/* --- provisioning (provision.c) --------------------------------------- */
/* mkdir -p; 0 or -errno. */
int proto_mkdirs(const char *path);
/*
 * A new camera: UUIDv4 and RSA key pair of `bits`, the directory
 * outdir/<uuid>/ (camera.conf naming `server` HOST:PORT, camera.key,
 * server.pub from keydir), registered in keydir. Fills uuid; 0 or a
 * negative error, context in proto_errmsg().
 */
int proto_provision(const char *keydir, const char *server, const char *outdir, int bits,
		    uint8_t uuid[PROTO_UUID_LEN]);

#endif

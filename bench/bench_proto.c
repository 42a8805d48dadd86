/*
 * NAME
 *	bench_proto.c - cost of sealing, opening and hellos against bare OpenSSL
 *
 * DESCRIPTION
 *	Prints, each as a ratio against a reference measured in the same run:
 *	  BENCH proto_seal ns_per_dgram=... ref=... ratio=...
 *	  BENCH proto_open ns_per_dgram=... ref=... ratio=...
 *	  BENCH proto_hello hellos_per_s=... ref=... ratio=...
 *	Datagrams carry 1400-byte payloads in frames of 10 datagrams, so
 *	libproto derives a frame key once per 10 datagrams. The reference
 *	is a bare EVP AES-256-GCM loop with one key over the same buffers;
 *	for hellos, bare EVP RSA-PSS verify plus RSA-OAEP decrypt. The
 *	best of several rounds is kept; nothing here is asserted.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "proto_crypto.h"

#define N 200000
#define FRAME 10
#define ROUNDS 5

static uint8_t payload[PROTO_DATA_MAX_PAYLOAD];
static uint8_t dgrams[FRAME * 10][PROTO_MAX_DGRAM];
static const uint8_t UUID[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double
bare_gcm(int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t key[32], iv[12] = {0}, out[PROTO_MAX_DGRAM], tag[16];
	double t0, t;
	int i, n;

	RAND_bytes(key, sizeof(key));
	EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL, 1);
	EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 1);
	EVP_CipherUpdate(c, NULL, &n, dgrams[0], 56);
	EVP_CipherUpdate(c, out, &n, payload, sizeof(payload));
	EVP_CipherFinal_ex(c, out + n, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	memcpy(dgrams[1], out, sizeof(payload));
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		iv[11] = (uint8_t)i;
		EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc);
		EVP_CipherUpdate(c, NULL, &n, dgrams[0], 56);
		EVP_CipherUpdate(c, out, &n, enc ? payload : dgrams[1], sizeof(payload));
		if (enc) {
			EVP_CipherFinal_ex(c, out + n, &n);
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
		} else {
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
			EVP_CipherFinal_ex(c, out + n, &n); /* fails for i > 0: same work */
		}
	}
	t = (now_ns() - t0) / N;
	EVP_CIPHER_CTX_free(c);
	return t;
}

static double
proto_loop(int seal)
{
	uint8_t secret[32], plain[PROTO_MAX_DGRAM];
	proto_session_t *tx, *rx;
	proto_data_hdr_t h = {0}, oh;
	double t0, t;
	int i, lens[FRAME * 10];

	RAND_bytes(secret, sizeof(secret));
	tx = proto_session_new(UUID, 20782, 0, secret);
	rx = proto_session_new(UUID, 20782, 0, secret);
	memcpy(h.uuid, UUID, 16);
	h.date = 20782;
	h.stream = PROTO_S_VIDEO;
	h.codec = PROTO_C_H264;
	h.frag_count = FRAME;
	h.payload_len = sizeof(payload);
	/* pre-seal 10 frames for the open loop */
	for (i = 0; i < FRAME * 10; i++) {
		h.counter = (uint32_t)i;
		h.frame = (uint32_t)i / FRAME;
		h.frag_index = (uint16_t)(i % FRAME);
		lens[i] = proto_data_seal(tx, &h, payload, dgrams[i], PROTO_MAX_DGRAM);
	}
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		if (seal) {
			h.counter = (uint32_t)i;
			h.frame = (uint32_t)i / FRAME;
			h.frag_index = (uint16_t)(i % FRAME);
			proto_data_seal(tx, &h, payload, dgrams[i % (FRAME * 10)], PROTO_MAX_DGRAM);
		} else {
			/* frames 0..9 cycle: every 10th datagram derives a new key */
			int k = i % (FRAME * 10);
			if (proto_data_open(rx, dgrams[k], (size_t)lens[k], &oh, plain) < 0) {
				fprintf(stderr, "bench_proto: open failed\n");
				return -1;
			}
		}
	}
	t = (now_ns() - t0) / N;
	proto_session_free(tx);
	proto_session_free(rx);
	return t;
}

static void
hellos(double *per_s, double *ref_per_s)
{
	EVP_PKEY *cam = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *srv = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	uint8_t dg[PROTO_MAX_DGRAM], secret[32], got[32], out[512];
	proto_hello_t h = {0}, oh;
	proto_replay_t *r = proto_replay_new(4096, 120000);
	int i, n, iters = 400;
	double t0;

	h.camera_ms = proto_now_ms();
	h.date = proto_date_from_ms(h.camera_ms);
	RAND_bytes(secret, sizeof(secret));
	n = proto_hello_seal(cam, srv, &h, secret, dg, sizeof(dg));
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		if (proto_hello_verify(dg, (size_t)n, cam, &oh) != 0 ||
		    proto_replay_check(r, &oh, h.camera_ms) != 0 ||
		    proto_hello_unwrap(&oh, srv, got) != 0) {
			fprintf(stderr, "bench_proto: hello failed\n");
			break;
		}
	}
	*per_s = iters / ((now_ns() - t0) / 1e9);

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		EVP_PKEY_CTX *v = NULL, *d = EVP_PKEY_CTX_new(srv, NULL);
		size_t olen = sizeof(out);
		EVP_DigestVerifyInit(md, &v, EVP_sha256(), NULL, cam);
		EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(v, 32);
		EVP_DigestVerify(md, dg + 64 + 256, 256, dg, 64 + 256);
		EVP_PKEY_decrypt_init(d);
		EVP_PKEY_CTX_set_rsa_padding(d, RSA_PKCS1_OAEP_PADDING);
		EVP_PKEY_CTX_set_rsa_oaep_md(d, EVP_sha256());
		EVP_PKEY_decrypt(d, out, &olen, dg + 64, 256);
		EVP_MD_CTX_free(md);
		EVP_PKEY_CTX_free(d);
	}
	*ref_per_s = iters / ((now_ns() - t0) / 1e9);
	proto_replay_free(r);
	EVP_PKEY_free(cam);
	EVP_PKEY_free(srv);
}

static double
min2(double a, double b)
{
	return a < b ? a : b;
}

int
main(void)
{
	double seal = 1e18, open = 1e18, rseal = 1e18, ropen = 1e18, hs, rhs;
	int r;

	RAND_bytes(payload, sizeof(payload));
	for (r = 0; r < ROUNDS; r++) {
		rseal = min2(rseal, bare_gcm(1));
		seal = min2(seal, proto_loop(1));
		ropen = min2(ropen, bare_gcm(0));
		open = min2(open, proto_loop(0));
	}
	if (open < 0)
		return 1;
	hellos(&hs, &rhs);
	printf("BENCH proto_seal ns_per_dgram=%.0f ref=%.0f ratio=%.2f\n", seal, rseal,
	       seal / rseal);
	printf("BENCH proto_open ns_per_dgram=%.0f ref=%.0f ratio=%.2f\n", open, ropen,
	       open / ropen);
	printf("BENCH proto_hello hellos_per_s=%.0f ref=%.0f ratio=%.2f\n", hs, rhs, hs / rhs);
	return 0;
}

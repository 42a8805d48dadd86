/*
 * NAME
 *	hello.c - session establishment: sign and wrap, verify and unwrap
 *
 * DESCRIPTION
 *	A hello carries a fresh 32-byte session secret wrapped for the
 *	server (RSA-OAEP, SHA-256, MGF1-SHA-256, empty label) and is signed
 *	by the camera (RSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt) over
 *	every byte before the signature. The server checks the signature
 *	(tens of microseconds) before it unwraps (hundreds), so a flood of
 *	forged hellos costs it little.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "proto_crypto.h"

static int
pss_setup(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
}

static int
oaep_setup(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
}

int
proto_hello_seal(EVP_PKEY *cam_priv, EVP_PKEY *server_pub, const proto_hello_t *in,
		 const uint8_t secret[PROTO_SECRET_LEN], uint8_t *out, size_t cap)
{
	proto_hello_t h = *in;
	EVP_PKEY_CTX *ectx = NULL, *sctx = NULL;
	EVP_MD_CTX *md = NULL;
	size_t wlen, slen, total;
	int rc = PROTO_E_CRYPTO;

	h.wrapped_len = (uint16_t)EVP_PKEY_get_size(server_pub);
	h.sig_len = (uint16_t)EVP_PKEY_get_size(cam_priv);
	total = PROTO_HELLO_FIXED_LEN + (size_t)h.wrapped_len + h.sig_len;
	if (total > PROTO_MAX_DGRAM)
		return PROTO_E_OVERSIZE;
	if (cap < total)
		return PROTO_E_SHORT;
	if ((rc = proto_hello_hdr_encode(&h, out)) < 0)
		return rc;
	rc = PROTO_E_CRYPTO;

	wlen = h.wrapped_len;
	if ((ectx = EVP_PKEY_CTX_new(server_pub, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ectx) != 1 || !oaep_setup(ectx) ||
	    EVP_PKEY_encrypt(ectx, out + PROTO_HELLO_FIXED_LEN, &wlen, secret, PROTO_SECRET_LEN) !=
		1 ||
	    wlen != h.wrapped_len) {
		proto_set_errmsg("hello: RSA-OAEP wrap failed");
		goto out;
	}
	slen = h.sig_len;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, &sctx, EVP_sha256(), NULL, cam_priv) != 1 || !pss_setup(sctx) ||
	    EVP_DigestSign(md, out + PROTO_HELLO_FIXED_LEN + wlen, &slen, out,
			   PROTO_HELLO_FIXED_LEN + wlen) != 1 ||
	    slen != h.sig_len) {
		proto_set_errmsg("hello: RSA-PSS sign failed");
		goto out;
	}
	rc = (int)total;
out:
	EVP_MD_CTX_free(md); /* frees sctx */
	EVP_PKEY_CTX_free(ectx);
	return rc;
}

int
proto_hello_verify(const uint8_t *dgram, size_t len, EVP_PKEY *cam_pub, proto_hello_t *h)
{
	EVP_PKEY_CTX *vctx = NULL;
	EVP_MD_CTX *md;
	int rc, ok;

	if ((rc = proto_hello_decode(dgram, len, h)) < 0)
		return rc;
	if (h->sig_len != (size_t)EVP_PKEY_get_size(cam_pub)) {
		proto_set_errmsg("hello: signature length does not match the camera key");
		return PROTO_E_SIGNATURE;
	}
	if ((md = EVP_MD_CTX_new()) == NULL)
		return PROTO_E_NOMEM;
	if (EVP_DigestVerifyInit(md, &vctx, EVP_sha256(), NULL, cam_pub) != 1 || !pss_setup(vctx)) {
		EVP_MD_CTX_free(md);
		proto_set_errmsg("hello: verify setup failed");
		return PROTO_E_CRYPTO;
	}
	ok = EVP_DigestVerify(md, h->sig, h->sig_len, dgram, h->signed_len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok) {
		proto_set_errmsg("hello: RSA-PSS signature does not verify");
		return PROTO_E_SIGNATURE;
	}
	return 0;
}

int
proto_hello_unwrap(const proto_hello_t *h, EVP_PKEY *server_priv, uint8_t secret[PROTO_SECRET_LEN])
{
	uint8_t buf[512];
	size_t n = sizeof(buf);
	EVP_PKEY_CTX *dctx;
	int ok;

	if ((dctx = EVP_PKEY_CTX_new(server_priv, NULL)) == NULL)
		return PROTO_E_NOMEM;
	ok = EVP_PKEY_decrypt_init(dctx) == 1 && oaep_setup(dctx) &&
	     EVP_PKEY_decrypt(dctx, buf, &n, h->wrapped, h->wrapped_len) == 1 &&
	     n == PROTO_SECRET_LEN;
	EVP_PKEY_CTX_free(dctx);
	if (!ok) {
		OPENSSL_cleanse(buf, sizeof(buf));
		proto_set_errmsg("hello: RSA-OAEP unwrap failed");
		return PROTO_E_UNWRAP;
	}
	memcpy(secret, buf, PROTO_SECRET_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

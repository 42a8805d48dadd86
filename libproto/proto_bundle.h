/*
 * NAME
 *	proto_bundle.h - evidence bundles: file digests, manifest, RSA
 *	signatures and key wrapping shared by vigilctl export-bundle and
 *	vigil-verify
 *
 * DESCRIPTION
 *	A bundle is a folder (docs/SECURITY.md, "Evidence bundle"). Its
 *	manifest.txt lists every other file as "<sha256 hex>  <path>" lines
 *	(the sha256sum format) and manifest.sig is the server key's RSA-PSS
 *	signature of manifest.txt. secrets.txt carries each session secret
 *	wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) for the
 *	recipient's key.
 *
 *	Functions return 0 (or a length) or a negative proto_err; context in
 *	proto_errmsg(). They never print or exit.
 */
#ifndef VIGIL_PROTO_BUNDLE_H
#define VIGIL_PROTO_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "proto.h"

#define PROTO_BUNDLE_MANIFEST "manifest.txt"
#define PROTO_BUNDLE_SIG "manifest.sig"
#define PROTO_BUNDLE_SECRETS "secrets.txt"

int proto_sha256_file(const char *path, uint8_t out[32]);

/* RSA-PSS (SHA-256, MGF1-SHA-256, salt 32). sign: *siglen in = cap, out = length. */
int proto_pss_sign(EVP_PKEY *priv, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen);
int proto_pss_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig,
		     size_t siglen);
/* RSA-OAEP (SHA-256, MGF1-SHA-256). *outlen in = cap, out = length. */
int proto_oaep_wrap(EVP_PKEY *pub, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);
int proto_oaep_unwrap(EVP_PKEY *priv, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);

/*
 * One manifest line, "<64 hex digits>  <path>": the digest into sha, the
 * path into rel (cap bytes). PROTO_E_FIELD for anything else, and for a
 * path that is absolute, holds "..", or a control byte.
 */
int proto_manifest_parse(const char *line, uint8_t sha[32], char *rel, size_t cap);
/*
 * One secrets line, "session <date> <session> <hex>": fills date and
 * session, the wrapped secret into wrapped (cap bytes), and returns its
 * length; 0 for a line of another kind; PROTO_E_FIELD when malformed.
 */
int proto_secret_parse(const char *line, uint32_t *date, uint32_t *session, uint8_t *wrapped,
		       size_t cap);

#endif

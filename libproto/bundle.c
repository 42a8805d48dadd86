/*
 * NAME
 *	bundle.c - digests, RSA-PSS signatures and RSA-OAEP wrapping for
 *	evidence bundles and chain checkpoints
 *
 * DESCRIPTION
 *	Small wrappers over OpenSSL 3 with the parameters every signature
 *	and wrap of the project uses (SHA-256, MGF1-SHA-256, PSS salt 32).
 *	See proto_bundle.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "proto_bundle.h"

int
proto_sha256_file(const char *path, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	ssize_t n;
	int fd, ok;

	if (md == NULL)
		return PROTO_E_NOMEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		proto_set_errmsg("%s: %s", path, strerror(errno));
		EVP_MD_CTX_free(md);
		return PROTO_E_IO;
	}
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		ok = EVP_DigestUpdate(md, buf, (size_t)n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
	close(fd);
	EVP_MD_CTX_free(md);
	if (!ok)
		proto_set_errmsg("%s: read or digest failed", path);
	return ok ? 0 : PROTO_E_IO;
}

static int
pss(EVP_PKEY_CTX *p)
{
	return EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(p, EVP_sha256()) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(p, 32) == 1;
}

static int
oaep(EVP_PKEY_CTX *p)
{
	return EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_OAEP_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_oaep_md(p, EVP_sha256()) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(p, EVP_sha256()) == 1;
}

int
proto_pss_sign(EVP_PKEY *priv, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;
	int ok = md && (size_t)EVP_PKEY_get_size(priv) <= *siglen &&
		 EVP_DigestSignInit(md, &p, EVP_sha256(), NULL, priv) == 1 && pss(p) &&
		 EVP_DigestSign(md, sig, siglen, msg, len) == 1;

	EVP_MD_CTX_free(md);
	if (!ok)
		proto_set_errmsg("RSA-PSS sign failed");
	return ok ? 0 : PROTO_E_CRYPTO;
}

int
proto_pss_verify(EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;
	int ok = md && EVP_DigestVerifyInit(md, &p, EVP_sha256(), NULL, pub) == 1 && pss(p) &&
		 EVP_DigestVerify(md, sig, siglen, msg, len) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : PROTO_E_SIGNATURE;
}

int
proto_oaep_wrap(EVP_PKEY *pub, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new(pub, NULL);
	int ok = p && EVP_PKEY_encrypt_init(p) == 1 && oaep(p) &&
		 EVP_PKEY_encrypt(p, out, outlen, in, n) == 1;

	EVP_PKEY_CTX_free(p);
	if (!ok)
		proto_set_errmsg("RSA-OAEP wrap failed");
	return ok ? 0 : PROTO_E_CRYPTO;
}

int
proto_oaep_unwrap(EVP_PKEY *priv, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new(priv, NULL);
	int ok = p && EVP_PKEY_decrypt_init(p) == 1 && oaep(p) &&
		 EVP_PKEY_decrypt(p, out, outlen, in, n) == 1;

	EVP_PKEY_CTX_free(p);
	return ok ? 0 : PROTO_E_UNWRAP;
}

int
proto_manifest_parse(const char *line, uint8_t sha[32], char *rel, size_t cap)
{
	size_t n = strcspn(line, "\n");

	if (n < 67 || line[64] != ' ' || line[65] != ' ' || proto_unhex(line, sha, 32) < 0)
		return PROTO_E_FIELD;
	line += 66;
	n -= 66;
	/* a path inside the bundle: relative, no "..", no control bytes */
	if (n + 1 > cap || line[0] == '/' || memmem(line, n, "..", 2) != NULL)
		return PROTO_E_FIELD;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20)
			return PROTO_E_FIELD;
	memcpy(rel, line, n);
	rel[n] = '\0';
	return 0;
}

int
proto_secret_parse(const char *line, uint32_t *date, uint32_t *session, uint8_t *wrapped,
		   size_t cap)
{
	unsigned long long d, s;
	const char *p;
	char *end;
	size_t n;

	if (strncmp(line, "session ", 8) != 0)
		return 0;
	d = strtoull(line + 8, &end, 10);
	if (end == line + 8 || *end != ' ' || d > UINT32_MAX)
		return PROTO_E_FIELD;
	p = end + 1;
	s = strtoull(p, &end, 10);
	if (end == p || *end != ' ' || s > UINT32_MAX)
		return PROTO_E_FIELD;
	p = end + 1;
	n = strcspn(p, "\n");
	if (n == 0 || n % 2 || n / 2 > cap || proto_unhex(p, wrapped, n / 2) < 0)
		return PROTO_E_FIELD;
	*date = (uint32_t)d;
	*session = (uint32_t)s;
	return (int)(n / 2);
}

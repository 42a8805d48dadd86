/*
 * NAME
 *	auth_users.c - the users file and scrypt passwords
 *
 * DESCRIPTION
 *	Parses and formats the users file described in auth.h; hashes and
 *	checks passwords with scrypt (OpenSSL EVP_KDF "SCRYPT"). The parser
 *	takes untrusted text (the file may be edited by hand) and is fuzzed
 *	(fuzz/fuzz_users.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "auth.h"
#include "proto.h"

int
auth_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > AUTH_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	size_t i;

	if (slen != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

static int
number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* One line (without its newline) into u. */
static int
parse_line(const char *s, size_t len, auth_user_t *u)
{
	const char *f[8];
	size_t fl[8], i, k = 0, start = 0;
	uint64_t v;
	char buf[40];

	for (i = 0; i <= len && k < 8; i++) {
		if (i == len || s[i] == ' ') {
			f[k] = s + start;
			fl[k++] = i - start;
			start = i + 1;
		}
	}
	if (k != 8 || start <= len)
		return -1;
	memset(u, 0, sizeof(*u));
	if (fl[0] > AUTH_NAME_MAX)
		return -1;
	memcpy(u->name, f[0], fl[0]);
	if (strlen(u->name) != fl[0] || !auth_name_valid(u->name) || fl[1] != 6 ||
	    memcmp(f[1], "scrypt", 6))
		return -1;
	if (number(f[2], fl[2], 1u << 24, &u->N) < 0 || (u->N & (u->N - 1)) || u->N < 2)
		return -1;
	if (number(f[3], fl[3], 64, &v) < 0)
		return -1;
	u->r = (uint32_t)v;
	if (number(f[4], fl[4], 16, &v) < 0)
		return -1;
	u->p = (uint32_t)v;
	if (unhex(f[5], fl[5], u->salt, AUTH_SALT_LEN) < 0 ||
	    unhex(f[6], fl[6], u->hash, AUTH_HASH_LEN) < 0)
		return -1;
	if (fl[7] == 3 && !memcmp(f[7], "all", 3)) {
		u->all = 1;
		return 0;
	}
	for (i = 0; i < fl[7]; i += 37) {
		if (u->ncameras == AUTH_CAMERAS_MAX || fl[7] - i < 36 ||
		    (fl[7] - i > 36 && f[7][i + 36] != ','))
			return -1;
		memcpy(buf, f[7] + i, 36);
		buf[36] = '\0';
		if (proto_uuid_parse(buf, u->cameras[u->ncameras]) < 0)
			return -1;
		u->ncameras++;
	}
	return u->ncameras ? 0 : -1;
}

int
auth_users_parse(const char *text, size_t len, auth_users_t *out, int *line)
{
	size_t i = 0, e;
	int ln = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		ln++;
		if (e > i && text[i] != '#') {
			auth_user_t u;
			if (parse_line(text + i, e - i, &u) < 0 || auth_users_find(out, u.name)) {
				if (line)
					*line = ln;
				auth_users_free(out);
				return -EINVAL;
			}
			void *p = realloc(out->u, (size_t)(out->n + 1) * sizeof(u));
			if (p == NULL) {
				auth_users_free(out);
				return -ENOMEM;
			}
			out->u = p;
			out->u[out->n++] = u;
		}
		i = e + 1;
	}
	return 0;
}

int
auth_users_load(const char *path, auth_users_t *out, int *line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	buf = malloc(1 << 20);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	rc = auth_users_parse(buf, len, out, line);
	free(buf);
	return rc;
}

void
auth_users_free(auth_users_t *us)
{
	if (us->u)
		OPENSSL_cleanse(us->u, (size_t)us->n * sizeof(*us->u));
	free(us->u);
	us->u = NULL;
	us->n = 0;
}

const auth_user_t *
auth_users_find(const auth_users_t *us, const char *name)
{
	int i;

	for (i = 0; i < us->n; i++)
		if (!strcmp(us->u[i].name, name))
			return &us->u[i];
	return NULL;
}

int
auth_user_may(const auth_user_t *u, const uint8_t uuid[16])
{
	int i;

	if (u->all)
		return 1;
	for (i = 0; i < u->ncameras; i++)
		if (!memcmp(u->cameras[i], uuid, 16))
			return 1;
	return 0;
}

int
auth_user_format(const auth_user_t *u, char *buf, size_t cap)
{
	size_t n;
	int i, k;

	k = snprintf(buf, cap, "%s scrypt %llu %u %u ", u->name, (unsigned long long)u->N, u->r,
		     u->p);
	if (k < 0 || (size_t)k >= cap)
		return -ENOSPC;
	n = (size_t)k;
	if (n + 2 * (AUTH_SALT_LEN + AUTH_HASH_LEN) + 2 >= cap)
		return -ENOSPC;
	for (i = 0; i < AUTH_SALT_LEN; i++, n += 2)
		sprintf(buf + n, "%02x", u->salt[i]);
	buf[n++] = ' ';
	for (i = 0; i < AUTH_HASH_LEN; i++, n += 2)
		sprintf(buf + n, "%02x", u->hash[i]);
	buf[n++] = ' ';
	if (u->all) {
		if (n + 5 > cap)
			return -ENOSPC;
		memcpy(buf + n, "all", 3);
		n += 3;
	}
	for (i = 0; i < u->ncameras; i++) {
		if (n + 38 + 2 > cap)
			return -ENOSPC;
		if (i)
			buf[n++] = ',';
		proto_uuid_fmt(u->cameras[i], buf + n);
		n += 36;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return (int)n;
}

static int
scrypt(const auth_user_t *u, const char *password, uint8_t out[AUTH_HASH_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t N = u->N;
	uint32_t r = u->r, p = u->p;
	OSSL_PARAM params[6];
	int rc = -EIO;

	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
						      strlen(password));
	params[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)u->salt, AUTH_SALT_LEN);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &N);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	params[5] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, AUTH_HASH_LEN, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
auth_password_set(auth_user_t *u, const char *password)
{
	u->N = 16384;
	u->r = 8;
	u->p = 1;
	if (RAND_bytes(u->salt, AUTH_SALT_LEN) != 1)
		return -EIO;
	return scrypt(u, password, u->hash);
}

int
auth_user_dummy(auth_user_t *u)
{
	memset(u, 0, sizeof(*u));
	u->N = 16384;
	u->r = 8;
	u->p = 1;
	if (RAND_bytes(u->salt, AUTH_SALT_LEN) != 1 || RAND_bytes(u->hash, AUTH_HASH_LEN) != 1)
		return -EIO;
	return 0;
}

int
auth_password_check(const auth_user_t *u, const char *password)
{
	uint8_t h[AUTH_HASH_LEN];
	int rc;

	if ((rc = scrypt(u, password, h)) < 0)
		return rc;
	rc = CRYPTO_memcmp(h, u->hash, AUTH_HASH_LEN) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

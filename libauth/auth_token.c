/*
 * NAME
 *	auth_token.c - login tokens: HMAC-SHA256 over name and expiry
 *
 * DESCRIPTION
 *	"NAME.EXPIRY.MAC" (auth.h). Stateless, so every streamer worker
 *	checks a token that another issued; the key lives in a 0600 file
 *	beside the server keys so that tokens survive a streamer restart.
 *	The MAC covers the user's salt and hash as well: a token is good
 *	for the password it was issued under, and a deleted or re-created
 *	user's tokens are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"

static int
mac_hex(const uint8_t key[AUTH_KEY_LEN], const char *msg, size_t len, const auth_user_t *u,
	char out[65])
{
	uint8_t in[AUTH_TOKEN_MAX + AUTH_SALT_LEN + AUTH_HASH_LEN], mac[32];
	unsigned int n = 0;
	int i;

	if (len > AUTH_TOKEN_MAX)
		return -EINVAL;
	memcpy(in, msg, len);
	memcpy(in + len, u->salt, AUTH_SALT_LEN);
	memcpy(in + len + AUTH_SALT_LEN, u->hash, AUTH_HASH_LEN);
	if (HMAC(EVP_sha256(), key, AUTH_KEY_LEN, in, len + AUTH_SALT_LEN + AUTH_HASH_LEN, mac,
		 &n) == NULL ||
	    n != 32)
		return -EIO;
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	return 0;
}

int
auth_token_make(const uint8_t key[AUTH_KEY_LEN], const auth_user_t *u, uint64_t expiry_s, char *out,
		size_t cap)
{
	char mac[65];
	int n;

	if (!auth_name_valid(u->name))
		return -EINVAL;
	n = snprintf(out, cap, "%s.%llu", u->name, (unsigned long long)expiry_s);
	if (n < 0 || (size_t)n + 66 > cap || mac_hex(key, out, (size_t)n, u, mac) < 0)
		return -ENOSPC;
	snprintf(out + n, cap - (size_t)n, ".%s", mac);
	return 0;
}

/* The dots of a well-formed token: 0, or -EACCES. */
static int
split(const char *token, const char **d1, const char **d2)
{
	if (token == NULL || strlen(token) > AUTH_TOKEN_MAX || (*d1 = strchr(token, '.')) == NULL ||
	    (*d2 = strchr(*d1 + 1, '.')) == NULL || (size_t)(*d1 - token) > AUTH_NAME_MAX ||
	    strlen(*d2 + 1) != 64)
		return -EACCES;
	return 0;
}

int
auth_token_name(const char *token, char name[AUTH_NAME_MAX + 1])
{
	const char *d1, *d2;

	if (split(token, &d1, &d2) < 0)
		return -EACCES;
	memcpy(name, token, (size_t)(d1 - token));
	name[d1 - token] = '\0';
	return auth_name_valid(name) ? 0 : -EACCES;
}

int
auth_token_check(const uint8_t key[AUTH_KEY_LEN], const char *token, const auth_user_t *u,
		 uint64_t now_s, uint64_t life_s)
{
	const char *d1, *d2;
	char mac[65], *end;
	uint64_t exp;

	if (split(token, &d1, &d2) < 0 || strlen(u->name) != (size_t)(d1 - token) ||
	    memcmp(token, u->name, (size_t)(d1 - token)))
		return -EACCES;
	if (mac_hex(key, token, (size_t)(d2 - token), u, mac) < 0 || CRYPTO_memcmp(mac, d2 + 1, 64))
		return -EACCES;
	exp = strtoull(d1 + 1, &end, 10);
	if (end != d2 || exp < now_s || exp - now_s > life_s)
		return -EACCES;
	return 0;
}

int
auth_key_load(const char *path, uint8_t key[AUTH_KEY_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd >= 0) {
		rc = read(fd, key, AUTH_KEY_LEN) == AUTH_KEY_LEN ? 0 : -EINVAL;
		close(fd);
		return rc;
	}
	if (errno != ENOENT)
		return -errno;
	if (RAND_bytes(key, AUTH_KEY_LEN) != 1)
		return -EIO;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return errno == EEXIST ? auth_key_load(path, key) : -errno;
	if (write(fd, key, AUTH_KEY_LEN) != AUTH_KEY_LEN)
		rc = -EIO;
	close(fd);
	return rc;
}

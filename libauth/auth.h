/*
 * NAME
 *	auth.h - viewer accounts: the users file, scrypt passwords, tokens
 *
 * DESCRIPTION
 *	The users file (vigilctl user add; read by vigil-streamer) has one
 *	line per user, fields separated by one space:
 *
 *	  NAME scrypt N r p SALT HASH CAMERAS
 *
 *	NAME is 1..32 of [A-Za-z0-9_-]; N, r, p the scrypt parameters
 *	(N a power of two); SALT (16 bytes) and HASH (32 bytes) in lower-case
 *	hex; CAMERAS is "all" or a comma list of camera UUIDs. Lines
 *	starting with '#' and empty lines are ignored; a malformed line is
 *	an error that names the line. Passwords are hashed with scrypt
 *	through OpenSSL's EVP_KDF "SCRYPT" and compared in constant time.
 *
 *	A token is "NAME.EXPIRY.MAC": EXPIRY in Unix seconds, MAC the hex
 *	HMAC-SHA256, under a 32-byte server key, of "NAME.EXPIRY" followed
 *	by the user's SALT and HASH (48 bytes): a new password (a new salt)
 *	ends every token issued before it. Any worker holding the key and
 *	the users file checks a token without shared state.
 *
 *	Functions return 0 or -errno and never print.
 */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_NAME_MAX 32
#define AUTH_CAMERAS_MAX 64
#define AUTH_SALT_LEN 16
#define AUTH_HASH_LEN 32
#define AUTH_KEY_LEN 32
#define AUTH_TOKEN_MAX 128

typedef struct auth_user {
	char name[AUTH_NAME_MAX + 1];
	uint64_t N;
	uint32_t r, p;
	uint8_t salt[AUTH_SALT_LEN];
	uint8_t hash[AUTH_HASH_LEN];
	int all; /* every camera */
	int ncameras;
	uint8_t cameras[AUTH_CAMERAS_MAX][16];
} auth_user_t;

typedef struct auth_users {
	auth_user_t *u;
	int n;
} auth_users_t;

/* Parse a users file held in memory. *line gets the bad line's number on -EINVAL. */
int auth_users_parse(const char *text, size_t len, auth_users_t *out, int *line);
int auth_users_load(const char *path, auth_users_t *out, int *line);
void auth_users_free(auth_users_t *us);
const auth_user_t *auth_users_find(const auth_users_t *us, const char *name);
/* One line (with '\n') for u into buf. Returns its length or -ENOSPC. */
int auth_user_format(const auth_user_t *u, char *buf, size_t cap);
/* May u see camera uuid? */
int auth_user_may(const auth_user_t *u, const uint8_t uuid[16]);
int auth_name_valid(const char *name);

/* A new salt and hash of password into u (N 16384, r 8, p 1). */
int auth_password_set(auth_user_t *u, const char *password);
/* 1 when password matches u, 0 when not, -errno on failure. */
int auth_password_check(const auth_user_t *u, const char *password);
/*
 * A record that no password matches, with the parameters of
 * auth_password_set (random salt and hash): checking a password of an
 * unknown user against it costs what a known user's check costs.
 */
int auth_user_dummy(auth_user_t *u);

/* Token "NAME.EXPIRY.MAC" for u into out (AUTH_TOKEN_MAX). */
int auth_token_make(const uint8_t key[AUTH_KEY_LEN], const auth_user_t *u, uint64_t expiry_s,
		    char *out, size_t cap);
/* The name a token claims (nothing checked but its form): 0 or -EACCES. */
int auth_token_name(const char *token, char name[AUTH_NAME_MAX + 1]);
/*
 * 0 when the token is genuine for u as it is now (its name, its current
 * password), not expired at now_s, and expires at most life_s after
 * now_s (a token issued under a longer lifetime ends when the lifetime
 * is shortened); else -EACCES.
 */
int auth_token_check(const uint8_t key[AUTH_KEY_LEN], const char *token, const auth_user_t *u,
		     uint64_t now_s, uint64_t life_s);
/* The server's token key from path, created (0600, random) when absent. */
int auth_key_load(const char *path, uint8_t key[AUTH_KEY_LEN]);

#endif

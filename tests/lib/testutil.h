/*
 * NAME
 *	testutil.h - helpers shared by the unit tests
 *
 * DESCRIPTION
 *	Paths of fixtures relative to the source tree (the tests run from the
 *	repository root; VIGIL_SRCDIR overrides), hex formatting, fixed
 *	inputs used by the test vectors, temporary folders, and the cameras
 *	of a simulated fleet (the benchmarks link these too).
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "proto_crypto.h"

/* "<srcdir>/<rel>" in a static buffer. */
const char *tu_path(const char *rel);
/* Lower-case hex of buf, 32 bytes per line; caller frees. */
char *tu_hex(const uint8_t *buf, size_t len);
/* Parse hex (white space ignored) into out; returns bytes or -1. */
int tu_unhex(const char *s, uint8_t *out, size_t cap);
/* The body of the fenced block after "<!-- vector: NAME -->" in a doc; caller frees. */
char *tu_doc_vector(const char *doc_rel, const char *name);
/* Test keys in tests/vectors/ (camera.pem, server.pem, ...). */
EVP_PKEY *tu_key(const char *name, int priv);
/* Seconds on the monotonic clock, to time a stretch of work. */
double tu_now_s(void);
/*
 * A benchmark's setting from the environment: dflt when name is unset,
 * else all of its value as a number within min..max; a mistyped value
 * ends the program with status 2 and says why (never a silent 0).
 */
int tu_env_int(const char *name, int dflt, int min, int max);
double tu_env_double(const char *name, double dflt, double min, double max);
/* A fresh temporary directory; caller removes it with tu_rmtree. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);
/*
 * One camera of a simulated fleet: a fresh UUID registered in keydir with
 * the public key of cam (one key pair serves a whole fleet: generating a
 * thousand would take minutes), and its first hello (counter 0 of date,
 * made at ms, random hello id and secret) sealed for srv into hello (cap
 * bytes). Fills h (the hello's fields), secret and *s (the session).
 * Returns the hello's length, or -1.
 */
int tu_fleet_camera(EVP_PKEY *cam, EVP_PKEY *srv, const char *keydir, uint32_t date, uint64_t ms,
		    proto_hello_t *h, uint8_t secret[PROTO_SECRET_LEN], uint8_t *hello, size_t cap,
		    proto_session_t **s);

#endif

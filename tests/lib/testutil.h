/*
 * NAME
 *	testutil.h - helpers shared by the unit tests
 *
 * DESCRIPTION
 *	Paths of fixtures relative to the source tree (the tests run from the
 *	repository root; VIGIL_SRCDIR overrides), hex formatting, and fixed
 *	inputs used by the test vectors.
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

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
/* A fresh temporary directory; caller removes it with tu_rmtree. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);

#endif

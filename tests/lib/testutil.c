/*
 * NAME
 *	testutil.c - helpers shared by the unit tests
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "testutil.h"

const char *
tu_path(const char *rel)
{
	static char buf[4096];
	const char *src = getenv("VIGIL_SRCDIR");

	snprintf(buf, sizeof(buf), "%s/%s", src && *src ? src : ".", rel);
	return buf;
}

char *
tu_hex(const uint8_t *buf, size_t len)
{
	char *s = malloc(len * 2 + len / 32 + 2), *p = s;
	size_t i;

	for (i = 0; i < len; i++) {
		p += sprintf(p, "%02x", buf[i]);
		if (i % 32 == 31 && i + 1 < len)
			*p++ = '\n';
	}
	*p = '\0';
	return s;
}

int
tu_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
			continue;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

char *
tu_doc_vector(const char *doc_rel, const char *name)
{
	char marker[256], *doc = NULL, *p, *q, *out = NULL;
	FILE *f;
	long sz;

	if ((f = fopen(tu_path(doc_rel), "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (doc = calloc(1, (size_t)sz + 1)) != NULL &&
	    fread(doc, 1, (size_t)sz, f) != (size_t)sz) {
		free(doc);
		doc = NULL;
	}
	fclose(f);
	if (doc == NULL)
		return NULL;
	snprintf(marker, sizeof(marker), "<!-- vector: %s -->", name);
	if ((p = strstr(doc, marker)) == NULL || (p = strstr(p, "```")) == NULL ||
	    (p = strchr(p, '\n')) == NULL || (q = strstr(++p, "```")) == NULL)
		goto out;
	while (q > p && (q[-1] == '\n' || q[-1] == ' '))
		q--;
	out = strndup(p, (size_t)(q - p));
out:
	free(doc);
	return out;
}

EVP_PKEY *
tu_key(const char *name, int priv)
{
	char rel[256];
	EVP_PKEY *k;
	FILE *f;

	snprintf(rel, sizeof(rel), "tests/vectors/%s", name);
	if ((f = fopen(tu_path(rel), "r")) == NULL)
		return NULL;
	k = priv ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

char *
tu_tmpdir(void)
{
	char tmpl[] = "/tmp/vigil-test.XXXXXX";

	return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tu_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
tu_fleet_camera(EVP_PKEY *cam, EVP_PKEY *srv, const char *keydir, uint32_t date, uint64_t ms,
		proto_hello_t *h, uint8_t secret[PROTO_SECRET_LEN], uint8_t *hello, size_t cap,
		proto_session_t **s)
{
	int len;

	memset(h, 0, sizeof(*h));
	proto_uuid_v4(h->uuid);
	if (proto_registry_add(keydir, h->uuid, cam) < 0)
		return -1;
	h->date = date;
	h->camera_ms = ms;
	if (RAND_bytes(h->hello_id, sizeof(h->hello_id)) != 1 ||
	    RAND_bytes(secret, PROTO_SECRET_LEN) != 1 ||
	    (len = proto_hello_seal(cam, srv, h, secret, hello, cap)) < 0 ||
	    (*s = proto_session_new(h->uuid, date, 0, secret)) == NULL)
		return -1;
	return len;
}

int
tu_env_int(const char *name, int dflt, int min, int max)
{
	const char *s = getenv(name);
	int v;

	if (s == NULL)
		return dflt;
	if (proto_parse_int(name, s, min, max, &v) < 0) {
		fprintf(stderr, "%s\n", proto_errmsg());
		exit(2);
	}
	return v;
}

double
tu_env_double(const char *name, double dflt, double min, double max)
{
	const char *s = getenv(name);
	double v;

	if (s == NULL)
		return dflt;
	if (proto_parse_double(name, s, min, max, &v) < 0) {
		fprintf(stderr, "%s\n", proto_errmsg());
		exit(2);
	}
	return v;
}

double
tu_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * NAME
 *	registry.c - the server's list of cameras and their public keys
 *
 * DESCRIPTION
 *	A directory, documented in docs/PROTOCOL.md ("Registry"):
 *	  <dir>/cameras/<uuid>.pub      the camera's RSA public key (PEM)
 *	  <dir>/cameras/<uuid>.revoked  present once revoked: one line,
 *	                                "<unix seconds> <reason>"
 *	Adding never replaces a registered camera. Revocation is final: a
 *	revoked camera stays known, so its datagrams are counted as revoked,
 *	not as unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto_crypto.h"

static int
path_of(char *buf, size_t cap, const char *dir, const uint8_t uuid[PROTO_UUID_LEN], const char *ext)
{
	char u[37];

	proto_uuid_fmt(uuid, u);
	if ((size_t)snprintf(buf, cap, "%s/cameras/%s%s", dir, u, ext) >= cap) {
		proto_set_errmsg("registry path too long");
		return PROTO_E_IO;
	}
	return 0;
}

int
proto_registry_add(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], EVP_PKEY *pub)
{
	char path[4096];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/cameras", dir) >= sizeof(path))
		return PROTO_E_IO;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		goto ioerr;
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		goto ioerr;
	if ((rc = path_of(path, sizeof(path), dir, uuid, ".pub")) < 0)
		return rc;
	if (access(path, F_OK) == 0) {
		proto_set_errmsg("%s: camera already registered", path);
		return PROTO_E_CAMERA;
	}
	return proto_key_save_public(pub, path);
ioerr:
	proto_set_errmsg("mkdir %s: %s", path, strerror(errno));
	return PROTO_E_IO;
}

int
proto_registry_revoke(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], const char *reason)
{
	char path[4096];
	FILE *f;
	int rc;

	if ((rc = path_of(path, sizeof(path), dir, uuid, ".pub")) < 0)
		return rc;
	if (access(path, F_OK) != 0) {
		proto_set_errmsg("%s: no such camera", path);
		return PROTO_E_CAMERA;
	}
	if ((rc = path_of(path, sizeof(path), dir, uuid, ".revoked")) < 0)
		return rc;
	if ((f = fopen(path, "a")) == NULL) {
		proto_set_errmsg("open %s: %s", path, strerror(errno));
		return PROTO_E_IO;
	}
	fprintf(f, "%lld %s\n", (long long)time(NULL), reason && *reason ? reason : "revoked");
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return PROTO_E_IO;
	}
	fclose(f);
	return 0;
}

int
proto_registry_revoked(const char *dir, const uint8_t uuid[PROTO_UUID_LEN])
{
	char path[4096];
	int rc;

	if ((rc = path_of(path, sizeof(path), dir, uuid, ".revoked")) < 0)
		return rc;
	return access(path, F_OK) == 0;
}

int
proto_registry_lookup(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], EVP_PKEY **pub)
{
	char path[4096];
	int rc;

	if ((rc = path_of(path, sizeof(path), dir, uuid, ".revoked")) < 0)
		return rc;
	if (access(path, F_OK) == 0) {
		proto_set_errmsg("camera revoked");
		return PROTO_E_REVOKED;
	}
	if ((rc = path_of(path, sizeof(path), dir, uuid, ".pub")) < 0)
		return rc;
	if (access(path, F_OK) != 0) {
		proto_set_errmsg("unknown camera");
		return PROTO_E_CAMERA;
	}
	if ((*pub = proto_key_load_public(path)) == NULL)
		return PROTO_E_IO;
	return 0;
}

/*
 * NAME
 *	provision.c - create a camera and register it
 *
 * DESCRIPTION
 *	What `vigilctl provision` and vigil-cam's fleet mode share: a new
 *	UUIDv4 and RSA key pair, a camera directory OUTDIR/<uuid>/ holding
 *	camera.key (mode 0600), server.pub and camera.conf, and the camera's
 *	public key registered in the server's key directory (registry.c).
 *	The camera directory is complete before the camera is registered,
 *	so a registered camera always has its files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "proto_crypto.h"

int
proto_mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(buf, 0755) == 0 || errno == EEXIST)
		return 0;
fail:
	proto_set_errmsg("mkdir %s: %s", buf, strerror(errno));
	return -errno;
}

int
proto_provision(const char *keydir, const char *server, const char *outdir, int bits,
		uint8_t uuid[PROTO_UUID_LEN])
{
	char path[4200], camdir[4096], u[37];
	EVP_PKEY *k = NULL, *spub = NULL;
	int rc = PROTO_E_IO;
	FILE *f;

	snprintf(path, sizeof(path), "%s/server.pub", keydir);
	if ((spub = proto_key_load_public(path)) == NULL)
		goto out;
	proto_uuid_v4(uuid);
	proto_uuid_fmt(uuid, u);
	snprintf(camdir, sizeof(camdir), "%s/%s", outdir, u);
	if (proto_mkdirs(camdir) < 0)
		goto out;
	if ((k = proto_key_generate(bits)) == NULL) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/camera.key", camdir);
	if (proto_key_save_private(k, path) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/server.pub", camdir);
	if (proto_key_save_public(spub, path) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/camera.conf", camdir);
	if ((f = fopen(path, "w")) == NULL) {
		proto_set_errmsg("open %s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f,
		"# vigil camera configuration, written by vigilctl provision\n"
		"uuid = %s\nserver = %s\ncamera_key = camera.key\nserver_key = server.pub\n"
		"state = state\n",
		u, server);
	if (fclose(f) != 0) {
		proto_set_errmsg("write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = proto_registry_add(keydir, uuid, k);
out:
	EVP_PKEY_free(k);
	EVP_PKEY_free(spub);
	return rc;
}

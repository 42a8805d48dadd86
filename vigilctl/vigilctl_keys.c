/*
 * NAME
 *	vigilctl_keys.c - server keys and camera provisioning
 *
 * DESCRIPTION
 *	keygen makes the server's RSA key pair in the key directory.
 *	provision creates a camera: a UUIDv4, its RSA key pair, its public
 *	key registered in the key directory, and a camera directory holding
 *	what the camera needs (camera.conf, camera.key, server.pub).
 *	revoke marks a registered camera revoked. Layout: docs/PROTOCOL.md,
 *	"Registry".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto_crypto.h"
#include "vigilctl.h"

static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void
err(const char *what)
{
	fprintf(stderr, "vigilctl: %s: %s\n", what, proto_errmsg());
}

int
vigilctl_keygen(int argc, char **argv)
{
	const char *dir = NULL;
	char priv[4096], pub[4096];
	int bits = 2048, force = 0, c, rc = 1;
	EVP_PKEY *k = NULL;

	while ((c = getopt(argc, argv, "d:b:fh")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'b': bits = atoi(optarg); break;
		case 'f': force = 1; break;
		case 'h':
			printf("usage: vigilctl keygen [-d KEYDIR] [-b 2048|3072|4096] [-f]\n");
			return 0;
		default: return 2;
		}
	}
	dir = vigilctl_keydir(dir);
	snprintf(priv, sizeof(priv), "%s/server.key", dir);
	snprintf(pub, sizeof(pub), "%s/server.pub", dir);
	if (!force && access(priv, F_OK) == 0) {
		fprintf(stderr, "vigilctl: %s exists; -f replaces it (cameras provisioned "
				"with the old key will no longer connect)\n", priv);
		return 1;
	}
	if (mkdirs(dir) != 0) {
		fprintf(stderr, "vigilctl: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if ((k = proto_key_generate(bits)) == NULL) {
		err("keygen");
		goto out;
	}
	if (proto_key_save_private(k, priv) < 0 || proto_key_save_public(k, pub) < 0) {
		err("save");
		goto out;
	}
	printf("server key: %s\npublic key: %s\n", priv, pub);
	rc = 0;
out:
	EVP_PKEY_free(k);
	return rc;
}

int
vigilctl_provision(int argc, char **argv)
{
	const char *dir = NULL, *outdir = NULL, *server = "127.0.0.1:7400";
	char path[4200], camdir[4096], u[37];
	uint8_t uuid[PROTO_UUID_LEN];
	EVP_PKEY *k = NULL, *spub = NULL;
	int bits = 2048, c, rc = 1;
	FILE *f;

	while ((c = getopt(argc, argv, "d:o:s:b:h")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': outdir = optarg; break;
		case 's': server = optarg; break;
		case 'b': bits = atoi(optarg); break;
		case 'h':
			printf("usage: vigilctl provision [-d KEYDIR] [-s HOST:PORT] [-b BITS] "
			       "-o OUTDIR\n");
			return 0;
		default: return 2;
		}
	}
	if (outdir == NULL) {
		fprintf(stderr, "vigilctl provision: -o OUTDIR is required\n");
		return 2;
	}
	dir = vigilctl_keydir(dir);
	snprintf(path, sizeof(path), "%s/server.pub", dir);
	if ((spub = proto_key_load_public(path)) == NULL) {
		err("server public key (run vigilctl keygen first)");
		goto out;
	}
	proto_uuid_v4(uuid);
	proto_uuid_fmt(uuid, u);
	snprintf(camdir, sizeof(camdir), "%s/%s", outdir, u);
	if (mkdirs(camdir) != 0) {
		fprintf(stderr, "vigilctl: mkdir %s: %s\n", camdir, strerror(errno));
		goto out;
	}
	if ((k = proto_key_generate(bits)) == NULL) {
		err("keygen");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/camera.key", camdir);
	if (proto_key_save_private(k, path) < 0) {
		err("save camera key");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/server.pub", camdir);
	if (proto_key_save_public(spub, path) < 0) {
		err("save server key");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/camera.conf", camdir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "vigilctl: open %s: %s\n", path, strerror(errno));
		goto out;
	}
	fprintf(f, "# vigil camera configuration, written by vigilctl provision\n"
		   "uuid = %s\nserver = %s\ncamera_key = camera.key\nserver_key = server.pub\n"
		   "state = state\n",
		u, server);
	if (fclose(f) != 0)
		goto out;
	if (proto_registry_add(dir, uuid, k) < 0) {
		err("register");
		goto out;
	}
	printf("%s\n", u);
	rc = 0;
out:
	EVP_PKEY_free(k);
	EVP_PKEY_free(spub);
	return rc;
}

int
vigilctl_revoke(int argc, char **argv)
{
	const char *dir = NULL;
	uint8_t uuid[PROTO_UUID_LEN];
	int c;

	while ((c = getopt(argc, argv, "d:h")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': printf("usage: vigilctl revoke [-d KEYDIR] UUID [REASON]\n"); return 0;
		default: return 2;
		}
	}
	if (optind >= argc || proto_uuid_parse(argv[optind], uuid) < 0) {
		fprintf(stderr, "vigilctl revoke: a camera UUID is required\n");
		return 2;
	}
	if (proto_registry_revoke(vigilctl_keydir(dir), uuid,
				  optind + 1 < argc ? argv[optind + 1] : "revoked") < 0) {
		err("revoke");
		return 1;
	}
	printf("revoked %s\n", argv[optind]);
	return 0;
}

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
		case 'b':
			if (proto_parse_int("-b", optarg, 2048, 4096, &bits) < 0) {
				fprintf(stderr, "vigilctl keygen: %s\n", proto_errmsg());
				return 2;
			}
			break;
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
		fprintf(stderr,
			"vigilctl: %s exists; -f replaces it (cameras provisioned "
			"with the old key will no longer connect)\n",
			priv);
		return 1;
	}
	if (proto_mkdirs(dir) != 0) {
		err("key directory");
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
	uint8_t uuid[PROTO_UUID_LEN];
	char u[37];
	int bits = 2048, c;

	while ((c = getopt(argc, argv, "d:o:s:b:h")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': outdir = optarg; break;
		case 's': server = optarg; break;
		case 'b':
			if (proto_parse_int("-b", optarg, 2048, 4096, &bits) < 0) {
				fprintf(stderr, "vigilctl provision: %s\n", proto_errmsg());
				return 2;
			}
			break;
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
	if (proto_provision(vigilctl_keydir(dir), server, outdir, bits, uuid) < 0) {
		err("provision (run vigilctl keygen first)");
		return 1;
	}
	proto_uuid_fmt(uuid, u);
	printf("%s\n", u);
	return 0;
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

/*
 * NAME
 *	keys.c - RSA key pairs: generate, save, load
 *
 * DESCRIPTION
 *	Private keys are PEM PKCS#8 files of mode 0600, public keys PEM
 *	SubjectPublicKeyInfo. Files are written to a temporary name in the
 *	same directory and renamed, so a crash never leaves half a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "proto_crypto.h"

EVP_PKEY *
proto_key_generate(int bits)
{
	EVP_PKEY *k;

	if (bits != 2048 && bits != 3072 && bits != 4096) {
		proto_set_errmsg("RSA key size %d not one of 2048, 3072, 4096", bits);
		return NULL;
	}
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) == NULL)
		proto_set_errmsg("RSA key generation failed");
	return k;
}

static int
save(EVP_PKEY *k, const char *path, int priv)
{
	char tmp[4096];
	FILE *f = NULL;
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return PROTO_E_IO;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, priv ? 0600 : 0644)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		proto_set_errmsg("open %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return PROTO_E_IO;
	}
	ok = priv ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1
		  : PEM_write_PUBKEY(f, k) == 1;
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		proto_set_errmsg("write %s: %s", path, strerror(errno));
		unlink(tmp);
		return PROTO_E_IO;
	}
	return 0;
}

int
proto_key_save_private(EVP_PKEY *k, const char *path)
{
	return save(k, path, 1);
}

int
proto_key_save_public(EVP_PKEY *k, const char *path)
{
	return save(k, path, 0);
}

static EVP_PKEY *
load(const char *path, int priv)
{
	EVP_PKEY *k;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		proto_set_errmsg("open %s: %s", path, strerror(errno));
		return NULL;
	}
	k = priv ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		proto_set_errmsg("%s: not a PEM %s key", path, priv ? "private" : "public");
	else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		proto_set_errmsg("%s: not an RSA key", path);
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

EVP_PKEY *
proto_key_load_private(const char *path)
{
	return load(path, 1);
}

EVP_PKEY *
proto_key_load_public(const char *path)
{
	return load(path, 0);
}

/*
 * NAME
 *	vigilctl_bundle.c - export-bundle: a day's evidence in one folder
 *
 * DESCRIPTION
 *	export-bundle [-d KEYDIR] [-D DATA_DIR] -r RECIPIENT_PUB UUID DAY
 *	              [FROM TO] OUT
 *
 *	Writes the folder OUT (docs/SECURITY.md, "Evidence bundle"): the
 *	day file exactly as stored with its signed chain and sync state
 *	under <uuid>/, the day's hellos (hellos.vgl, a day file of only
 *	them), the camera's and the server's public keys, the completeness
 *	statement (vigilctl completeness), the selection (FROM and TO as
 *	HH:MM[:SS] UTC or Unix ms; the whole day without them), every
 *	session secret wrapped with RSA-OAEP for RECIPIENT_PUB
 *	(secrets.txt), and manifest.txt with the SHA-256 of every file,
 *	signed by the server key (manifest.sig). vigil-verify checks it
 *	without the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "proto_bundle.h"
#include "proto_chain.h"
#include "proto_crypto.h"
#include "proto_record.h"
#include "proto_daystate.h"
#include "vigilctl.h"

#define BUNDLE_FILES 16

typedef struct bundle {
	const char *out;
	char files[BUNDLE_FILES][256]; /* relative paths for the manifest */
	int nfiles;
} bundle_t;

static void
usage(FILE *f)
{
	fprintf(f, "usage: vigilctl export-bundle [-d KEYDIR] [-D DATA_DIR] -r RECIPIENT_PUB "
		   "UUID DAY [FROM TO] OUT\n");
}

static int
add_file(bundle_t *b, const char *rel)
{
	if (b->nfiles == BUNDLE_FILES)
		return -1;
	snprintf(b->files[b->nfiles++], sizeof(b->files[0]), "%s", rel);
	return 0;
}

static int
copy_file(bundle_t *b, const char *src, const char *rel)
{
	char dst[4200], buf[65536];
	ssize_t n;
	int in, out, rc = -1;

	snprintf(dst, sizeof(dst), "%s/%s", b->out, rel);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (n == 0 && fsync(out) == 0)
		rc = add_file(b, rel);
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/* HH:MM[:SS] on the day, or Unix ms. */
static int
parse_time(const char *s, uint32_t date, uint64_t *ms)
{
	unsigned h, m, sec = 0;
	int n = -1;

	if ((sscanf(s, "%2u:%2u%n:%2u%n", &h, &m, &n, &sec, &n) >= 2 && n > 0 && s[n] == '\0') &&
	    h < 24 && m < 60 && sec < 61) {
		*ms = (uint64_t)date * 86400000ull + ((uint64_t)h * 3600 + m * 60 + sec) * 1000;
		return 0;
	}
	return proto_parse_u64("time", s, UINT64_MAX, ms) < 0 ? -1 : 0;
}

/* Hellos into hellos.vgl, secrets wrapped for the recipient into secrets.txt. */
static int
hellos_and_secrets(bundle_t *b, const char *day, EVP_PKEY *server, EVP_PKEY *cam, EVP_PKEY *rcpt)
{
	uint8_t hdr[PROTO_FILE_HDR_LEN], secret[PROTO_SECRET_LEN], w[1024], fp[32];
	char path[4200], hx[2 * sizeof(w) + 1];
	proto_reader_t *r;
	proto_rec_t rec;
	proto_hello_t h;
	FILE *hf, *sf;
	size_t wl;
	int rc, bad = 0, n = 0;
	unsigned char *der = NULL;
	int derlen;

	if (proto_reader_open(day, &r) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/hellos.vgl", b->out);
	hf = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/%s", b->out, PROTO_BUNDLE_SECRETS);
	sf = fopen(path, "w");
	if (hf == NULL || sf == NULL) {
		bad = 1;
		goto out;
	}
	proto_file_hdr_encode(proto_reader_header(r), hdr);
	fwrite(hdr, 1, sizeof(hdr), hf);
	/* the recipient key's fingerprint: SHA-256 of its DER public key */
	if ((derlen = i2d_PUBKEY(rcpt, &der)) > 0) {
		EVP_Digest(der, (size_t)derlen, fp, NULL, EVP_sha256(), NULL);
		proto_hex(fp, 32, hx);
		fprintf(sf, "vigil-secrets 1\nrecipient %s\n", hx);
	}
	OPENSSL_free(der);
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		if (rec.len < PROTO_C2S_HDR_LEN || proto_dgram_type(rec.dgram) != PROTO_T_HELLO)
			continue;
		fwrite(rec.dgram - PROTO_REC_HDR_LEN, 1, PROTO_REC_HDR_LEN + (size_t)rec.len, hf);
		if (proto_hello_verify(rec.dgram, rec.len, cam, &h) < 0 ||
		    proto_hello_unwrap(&h, server, secret) < 0) {
			fprintf(stderr, "vigilctl: hello at offset %llu does not open\n",
				(unsigned long long)rec.offset);
			bad = 1;
			continue;
		}
		wl = sizeof(w);
		if (proto_oaep_wrap(rcpt, secret, sizeof(secret), w, &wl) < 0) {
			bad = 1;
			continue;
		}
		OPENSSL_cleanse(secret, sizeof(secret));
		proto_hex(w, wl, hx);
		fprintf(sf, "session %u %u %s\n", h.date, h.counter, hx);
		n++;
	}
	if (rc < 0)
		bad = 1;
out:
	if (hf && fclose(hf) != 0)
		bad = 1;
	if (sf && fclose(sf) != 0)
		bad = 1;
	proto_reader_free(r);
	if (bad || add_file(b, "hellos.vgl") < 0 || add_file(b, PROTO_BUNDLE_SECRETS) < 0)
		return -1;
	return n;
}

/* vigilctl completeness into completeness.txt. */
static int
completeness(bundle_t *b, const char *data, const char *uuid, const char *day)
{
	char path[4200],
	    *args[] = {"completeness", "-D", (char *)data, (char *)uuid, (char *)day, NULL};
	int fd, saved, rc;

	snprintf(path, sizeof(path), "%s/completeness.txt", b->out);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	optind = 1;
	rc = vigilctl_completeness(5, args);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	(void)rc; /* an incomplete day is still exported: the statement says so */
	return add_file(b, "completeness.txt");
}

static int
manifest(bundle_t *b, EVP_PKEY *server)
{
	char path[4200], hx[65];
	uint8_t d[32], sig[1024], *m = NULL;
	size_t sl = sizeof(sig), ml = 0;
	FILE *f, *mem = open_memstream((char **)&m, &ml);
	int i, rc = -1;

	if (mem == NULL)
		return -1;
	for (i = 0; i < b->nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", b->out, b->files[i]);
		if (proto_sha256_file(path, d) < 0)
			goto out;
		proto_hex(d, 32, hx);
		fprintf(mem, "%s  %s\n", hx, b->files[i]);
	}
	fclose(mem);
	mem = NULL;
	snprintf(path, sizeof(path), "%s/%s", b->out, PROTO_BUNDLE_MANIFEST);
	if ((f = fopen(path, "w")) == NULL)
		goto out;
	fwrite(m, 1, ml, f);
	if (fclose(f) != 0 || proto_pss_sign(server, m, ml, sig, &sl) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", b->out, PROTO_BUNDLE_SIG);
	if ((f = fopen(path, "wb")) == NULL)
		goto out;
	fwrite(sig, 1, sl, f);
	rc = fclose(f) == 0 ? 0 : -1;
out:
	if (mem)
		fclose(mem);
	free(m);
	return rc;
}

int
vigilctl_bundle(int argc, char **argv)
{
	const char *keydir = NULL, *rcptpath = NULL;
	const char *data =
	    getenv("VIGIL_DATADIR") ? getenv("VIGIL_DATADIR") : "/var/lib/vigil/data";
	EVP_PKEY *server = NULL, *cam = NULL, *rcpt = NULL;
	char path[4200], rel[256], day[4200], u[37];
	uint8_t uuid[PROTO_UUID_LEN];
	uint64_t from = 0, to = UINT64_MAX;
	bundle_t b = {0};
	uint32_t date;
	FILE *f;
	int c, n, rc = 1;

	optind = 1;
	while ((c = getopt(argc, argv, "d:D:r:h")) != -1) {
		switch (c) {
		case 'd': keydir = optarg; break;
		case 'D': data = optarg; break;
		case 'r': rcptpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	n = argc - optind;
	if (rcptpath == NULL || (n != 3 && n != 5) || proto_uuid_parse(argv[optind], uuid) < 0 ||
	    proto_date_parse(argv[optind + 1], &date) < 0 ||
	    (n == 5 && (parse_time(argv[optind + 2], date, &from) < 0 ||
			parse_time(argv[optind + 3], date, &to) < 0))) {
		usage(stderr);
		return 2;
	}
	b.out = argv[argc - 1];
	keydir = vigilctl_keydir(keydir);
	proto_uuid_fmt(uuid, u);
	snprintf(path, sizeof(path), "%s/server.key", keydir);
	if ((server = proto_key_load_private(path)) == NULL ||
	    (rcpt = proto_key_load_public(rcptpath)) == NULL) {
		fprintf(stderr, "vigilctl: %s\n", proto_errmsg());
		goto done;
	}
	/* a revoked camera's recordings are still evidence: read its key file */
	snprintf(path, sizeof(path), "%s/cameras/%s.pub", keydir, u);
	if ((cam = proto_key_load_public(path)) == NULL) {
		fprintf(stderr, "vigilctl: %s\n", proto_errmsg());
		goto done;
	}
	snprintf(rel, sizeof(rel), "%s/%s", b.out, u);
	if (proto_mkdirs(rel) < 0) {
		fprintf(stderr, "vigilctl: %s: %s\n", rel, strerror(errno));
		goto done;
	}
	proto_file_path(data, uuid, date, day, sizeof(day));
	snprintf(rel, sizeof(rel), "%s/%s%s", u, argv[optind + 1], PROTO_FILE_SUFFIX);
	if (copy_file(&b, day, rel) < 0) {
		fprintf(stderr, "vigilctl: %s: cannot copy\n", day);
		goto done;
	}
	proto_chain_path(day, path, sizeof(path));
	snprintf(rel, sizeof(rel), "%s/%s%s", u, argv[optind + 1], PROTO_CHAIN_SUFFIX);
	if (copy_file(&b, path, rel) < 0)
		fprintf(stderr, "vigilctl: %s: no chain to export\n", path);
	proto_daystate_path(data, uuid, date, path, sizeof(path));
	snprintf(rel, sizeof(rel), "%s/%s.sync", u, argv[optind + 1]);
	copy_file(&b, path, rel);
	snprintf(path, sizeof(path), "%s/cameras/%s.pub", keydir, u);
	if (copy_file(&b, path, "camera.pub") < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/server.pub", b.out);
	if (proto_key_save_public(server, path) < 0 || add_file(&b, "server.pub") < 0)
		goto done;
	if ((n = hellos_and_secrets(&b, day, server, cam, rcpt)) < 0) {
		fprintf(stderr, "vigilctl: hellos or secrets could not be written\n");
		goto done;
	}
	snprintf(path, sizeof(path), "%s/selection.txt", b.out);
	if ((f = fopen(path, "w")) == NULL)
		goto done;
	fprintf(f, "camera %s\nday %s\nfrom_ms %llu\nto_ms %llu\n", u, argv[optind + 1],
		(unsigned long long)from, (unsigned long long)to);
	if (fclose(f) != 0 || add_file(&b, "selection.txt") < 0)
		goto done;
	if (completeness(&b, data, u, argv[optind + 1]) < 0 || manifest(&b, server) < 0) {
		fprintf(stderr, "vigilctl: manifest could not be written\n");
		goto done;
	}
	printf("bundle %s: %d files, %d sessions\n", b.out, b.nfiles + 2, n);
	rc = 0;
done:
	EVP_PKEY_free(server);
	EVP_PKEY_free(cam);
	EVP_PKEY_free(rcpt);
	return rc;
}

/*
 * NAME
 *	bench_chain.c - what tamper evidence costs: chaining a day file,
 *	checking it, and signing a checkpoint
 *
 * DESCRIPTION
 *	Writes a day file of RECORDS records of 1400-byte datagrams (about
 *	70 MB) to a temporary folder, with the server key of
 *	tests/vectors/server.pem (run from the repository root), then
 *	measures, against references run in the same process:
 *
 *	  chain_update: proto_chain_update over the whole file, MB/s.
 *	    ref: reading the same file and one SHA-256 over all its bytes,
 *	    MB/s (the floor: the chain hashes each record once more with
 *	    the 32-byte link and walks the file with the record reader).
 *	  chain_check: proto_chain_check of the file, MB/s; ref as above.
 *	  chain_checkpoint: extending the chain by one record, ms per
 *	    checkpoint (RSA-2048 PSS signature, links block, pwrite and
 *	    fdatasync of the chain file). ref: the RSA-PSS signature alone.
 *
 *	Prints one line per figure:
 *	  BENCH chain_update mb_per_s=... ref=... ratio=...
 *	  BENCH chain_check mb_per_s=... ref=... ratio=...
 *	  BENCH chain_checkpoint ms=... ref=... ratio=...
 *	(ratio = figure / ref). The folder is under /tmp: where that is a
 *	tmpfs, the fdatasync of a checkpoint costs nothing. Nothing is
 *	asserted.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "proto_bundle.h"
#include "proto_chain.h"
#include "proto_record.h"
#include "testutil.h"

#define RECORDS 50000
#define DLEN 1400
#define ROUNDS 50

static void
append_records(const char *path, int first, int n)
{
	proto_rec_meta_t m = {.port = 5000};
	uint8_t rec[PROTO_REC_HDR_LEN + DLEN];
	FILE *f = fopen(path, "ab");
	int i;

	m.addr[10] = m.addr[11] = 0xff;
	m.addr[15] = 1;
	for (i = first; i < first + n; i++) {
		memset(rec + PROTO_REC_HDR_LEN, i & 0xff, DLEN);
		proto_put32(rec + PROTO_REC_HDR_LEN + 24, (uint32_t)i);
		m.arrival_ns = 1795608000000000000ull + (uint64_t)i;
		proto_rec_encode(&m, rec + PROTO_REC_HDR_LEN, DLEN, rec);
		fwrite(rec, 1, sizeof(rec), f);
	}
	fclose(f);
}

static double
ref_sha(const char *path, double *mb)
{
	static uint8_t buf[1 << 16];
	uint8_t d[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	double t0 = tu_now_s();
	ssize_t n;
	int fd = open(path, O_RDONLY);

	*mb = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		*mb += (double)n / 1e6;
	}
	EVP_DigestFinal_ex(md, d, NULL);
	close(fd);
	EVP_MD_CTX_free(md);
	return tu_now_s() - t0;
}

int
main(void)
{
	char *dir = NULL, path[256], chain[256];
	proto_file_hdr_t fh = {.date = 20782, .created_ms = 1795608000000ull};
	uint8_t hdr[PROTO_FILE_HDR_LEN], sig[512];
	proto_chain_report_t rep;
	EVP_PKEY *key;
	FILE *f;
	double mb, tref, t, t0, sign = 0, ck = 0;
	size_t sl;
	int i;

	if ((f = fopen("tests/vectors/server.pem", "r")) == NULL) {
		fprintf(stderr, "bench_chain: run from the repository root\n");
		return 77;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || (dir = tu_tmpdir()) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/2026-11-25.vgl", dir);
	snprintf(chain, sizeof(chain), "%s/2026-11-25.chain", dir);
	proto_file_hdr_encode(&fh, hdr);
	if ((f = fopen(path, "wb")) == NULL)
		return 1;
	fwrite(hdr, 1, sizeof(hdr), f);
	fclose(f);
	append_records(path, 0, RECORDS);

	ref_sha(path, &mb); /* warm the page cache for both */
	tref = ref_sha(path, &mb);
	t0 = tu_now_s();
	if (proto_chain_update(path, key, 1, 0, 0) != RECORDS)
		fprintf(stderr, "bench_chain: update: %s\n", proto_errmsg());
	t = tu_now_s() - t0;
	printf("BENCH chain_update mb_per_s=%.0f ref=%.0f ratio=%.2f\n", mb / t, mb / tref,
	       tref / t);
	tref = ref_sha(path, &mb);
	t0 = tu_now_s();
	if (proto_chain_check(path, NULL, key, &rep) < 0 || !rep.ok)
		fprintf(stderr, "bench_chain: check failed: %s\n", rep.where);
	t = tu_now_s() - t0;
	printf("BENCH chain_check mb_per_s=%.0f ref=%.0f ratio=%.2f\n", mb / t, mb / tref,
	       tref / t);

	for (i = 0; i < ROUNDS; i++) {
		append_records(path, RECORDS + i, 1);
		t0 = tu_now_s();
		proto_chain_update(path, key, 2 + (uint64_t)i, 0, 0);
		ck += tu_now_s() - t0;
		sl = sizeof(sig);
		t0 = tu_now_s();
		proto_pss_sign(key, hdr, sizeof(hdr), sig, &sl);
		sign += tu_now_s() - t0;
	}
	printf("BENCH chain_checkpoint ms=%.3f ref=%.3f ratio=%.2f\n", ck * 1e3 / ROUNDS,
	       sign * 1e3 / ROUNDS, ck / sign);
	EVP_PKEY_free(key);
	tu_rmtree(dir);
	free(dir);
	return 0;
}

/*
 * NAME
 *	test_chain.c - libproto/chain.c: chain vectors, checkpoints, and
 *	every kind of edit to a chained day file detected and located
 *
 * DESCRIPTION
 *	The vectors of docs/STORAGE.md ("Chain beside a day file") are
 *	recomputed from the file-header and record vectors. A day file of
 *	RECORDS records is written to a temporary folder and chained; then
 *	copies with one record deleted, two swapped, the file truncated, a
 *	record edited with its CRC made good again (what an insider would
 *	do) or left bad, and a chain file edited, must all fail the check,
 *	which names the record. An untouched or grown file passes; a chain
 *	locked by another updater is left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_chain.h"
#include "proto_record.h"
#include "testutil.h"

#define DOC "docs/STORAGE.md"
#define RECORDS 20
#define DLEN 100

static const uint8_t vec_uuid[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				     0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

static int doc_bad;

static void
check_doc(const char *name, const uint8_t *b, size_t n)
{
	char *got = tu_hex(b, n), *doc = tu_doc_vector(DOC, name);
	uint8_t want[512];
	int wn = doc ? tu_unhex(doc, want, sizeof(want)) : -1;

	if (wn != (int)n || memcmp(want, b, n) != 0) {
		print_error("%s: the block after <!-- vector: %s --> should read:\n%s\n", DOC, name,
			    got);
		doc_bad++;
	}
	free(got);
	free(doc);
}

static void
test_vectors(void **state)
{
	proto_file_hdr_t fh = {.date = 20782, .created_ms = 1795608000000ull};
	proto_rec_meta_t m = {.flags = 0, .arrival_ns = 1795608000123456789ull, .port = 40000};
	uint8_t hdr[64], rec[PROTO_REC_HDR_LEN + 32], h[32], links[24], ck[600];
	proto_chain_ckpt_t c, d;
	EVP_PKEY *priv = tu_key("server.pem", 1), *pub = tu_key("server.pub", 0);
	int i, n;

	(void)state;
	assert_non_null(priv);
	memcpy(fh.uuid, vec_uuid, 16);
	proto_file_hdr_encode(&fh, hdr);
	m.addr[10] = m.addr[11] = 0xff;
	m.addr[12] = 192, m.addr[13] = 0, m.addr[14] = 2, m.addr[15] = 7;
	for (i = 0; i < 32; i++)
		rec[PROTO_REC_HDR_LEN + i] = (uint8_t)i;
	assert_int_equal(proto_rec_encode(&m, rec + PROTO_REC_HDR_LEN, 32, rec), 0);

	assert_int_equal(proto_chain_start(hdr, h), 0);
	check_doc("chain-h0", h, 32);
	assert_int_equal(proto_chain_step(h, rec, sizeof(rec)), 0);
	check_doc("chain-h1", h, 32);

	memcpy(links, PROTO_CHAIN_LK_MAGIC, 4);
	proto_put32(links + 4, 1);
	proto_put64(links + 8, 64);
	memcpy(links + 16, h, 8);
	check_doc("chain-links", links, sizeof(links));

	memset(&c, 0, sizeof(c));
	c.flags = PROTO_CHAIN_F_CLOSED;
	memcpy(c.uuid, vec_uuid, 16);
	c.date = 20782;
	c.records = 1;
	c.end = 64 + sizeof(rec);
	c.time_ms = 1795694460000ull;
	memcpy(c.hash, h, 32);
	EVP_Digest(links, sizeof(links), c.links, NULL, EVP_sha256(), NULL);
	assert_int_equal(proto_chain_ckpt_sign(&c, priv), 0);
	assert_int_equal(c.sig_len, 256);
	n = proto_chain_ckpt_encode(&c, ck, sizeof(ck));
	assert_int_equal(n, PROTO_CHAIN_SIGNED_LEN + 256 + 4);
	/* the signature is randomised (PSS): the vector is what it covers */
	check_doc("chain-checkpoint", ck, PROTO_CHAIN_SIGNED_LEN);
	assert_int_equal(proto_get32(ck + n - 4), (uint32_t)n);
	assert_int_equal(proto_chain_ckpt_decode(ck, (size_t)n, &d), n);
	assert_int_equal(proto_chain_ckpt_verify(&d, pub), 0);
	assert_int_equal(proto_chain_ckpt_decode(ck, (size_t)n - 1, &d), PROTO_E_TORN);
	ck[130] ^= 1;
	assert_int_equal(proto_chain_ckpt_decode(ck, (size_t)n, &d), n);
	assert_int_equal(proto_chain_ckpt_verify(&d, pub), PROTO_E_SIGNATURE);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	assert_int_equal(doc_bad, 0);
}

/* --- a day file and its edits ---------------------------------------- */

typedef struct day {
	char *dir;
	char path[512], chain[512];
	uint8_t buf[64 + 2 * RECORDS * (PROTO_REC_HDR_LEN + DLEN)];
	size_t len;
	EVP_PKEY *priv, *pub;
} day_t;

static size_t
rec_off(int i)
{
	return 64 + (size_t)i * (PROTO_REC_HDR_LEN + DLEN);
}

static void
put_record(day_t *d, uint32_t counter)
{
	proto_rec_meta_t m = {.arrival_ns = 1795608000000000000ull + counter, .port = 5000};
	uint8_t *p = d->buf + d->len;
	int i;

	m.addr[10] = m.addr[11] = 0xff;
	m.addr[15] = 1;
	for (i = 0; i < DLEN; i++)
		p[PROTO_REC_HDR_LEN + i] = (uint8_t)(counter * 7 + (uint32_t)i);
	proto_put32(p + PROTO_REC_HDR_LEN + 24, counter);
	assert_int_equal(proto_rec_encode(&m, p + PROTO_REC_HDR_LEN, DLEN, p), 0);
	d->len += PROTO_REC_HDR_LEN + DLEN;
}

static void
write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static int
setup(void **state)
{
	proto_file_hdr_t fh = {.date = 20782, .created_ms = 1795608000000ull};
	day_t *d = calloc(1, sizeof(*d));
	int i;

	d->dir = tu_tmpdir();
	snprintf(d->path, sizeof(d->path), "%s/2026-11-25.vgl", d->dir);
	snprintf(d->chain, sizeof(d->chain), "%s/2026-11-25.chain", d->dir);
	memcpy(fh.uuid, vec_uuid, 16);
	proto_file_hdr_encode(&fh, d->buf);
	d->len = 64;
	for (i = 0; i < RECORDS; i++)
		put_record(d, (uint32_t)i);
	write_file(d->path, d->buf, d->len);
	d->priv = tu_key("server.pem", 1);
	d->pub = tu_key("server.pub", 0);
	/* two checkpoints: 12 records, then the other 8 */
	write_file(d->path, d->buf, rec_off(12));
	assert_int_equal(proto_chain_update(d->path, d->priv, 1000, 0, 0), 12);
	write_file(d->path, d->buf, d->len);
	assert_int_equal(proto_chain_update(d->path, d->priv, 2000, 0, 0), 8);
	assert_int_equal(proto_chain_update(d->path, d->priv, 3000, 0, 0), 0);
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	day_t *d = *state;

	tu_rmtree(d->dir);
	free(d->dir);
	EVP_PKEY_free(d->priv);
	EVP_PKEY_free(d->pub);
	free(d);
	return 0;
}

/* Checks the day file with bytes b in place of the original. */
static proto_chain_report_t
check_with(day_t *d, const uint8_t *b, size_t n)
{
	proto_chain_report_t rep;

	write_file(d->path, b, n);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	write_file(d->path, d->buf, d->len);
	return rep;
}

static void
expect_broken(proto_chain_report_t rep, const char *what)
{
	if (rep.ok || strstr(rep.where, what) == NULL) {
		print_error("ok=%d where=\"%s\", wanted \"%s\"\n", rep.ok, rep.where, what);
		fail();
	}
}

static void
test_untouched(void **state)
{
	day_t *d = *state;
	proto_chain_report_t rep = check_with(d, d->buf, d->len);

	assert_true(rep.ok);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.records, RECORDS);
	assert_int_equal(rep.unchained, 0);
}

static void
test_delete(void **state)
{
	day_t *d = *state;
	static uint8_t b[sizeof(d->buf)];
	size_t rl = PROTO_REC_HDR_LEN + DLEN;

	memcpy(b, d->buf, rec_off(5));
	memcpy(b + rec_off(5), d->buf + rec_off(6), d->len - rec_off(6));
	expect_broken(check_with(d, b, d->len - rl), "record 5 ");
	/* the last record removed is a truncation */
	expect_broken(check_with(d, d->buf, d->len - rl), "truncated: the file holds 19 of the 20");
}

static void
test_reorder(void **state)
{
	day_t *d = *state;
	static uint8_t b[sizeof(d->buf)];
	size_t rl = PROTO_REC_HDR_LEN + DLEN;

	memcpy(b, d->buf, d->len);
	memcpy(b + rec_off(9), d->buf + rec_off(10), rl);
	memcpy(b + rec_off(10), d->buf + rec_off(9), rl);
	expect_broken(check_with(d, b, d->len), "record 9 at offset");
}

static void
test_truncate(void **state)
{
	day_t *d = *state;

	expect_broken(check_with(d, d->buf, rec_off(15)), "truncated");
	expect_broken(check_with(d, d->buf, rec_off(15) + 30), "record 15 was at offset");
	expect_broken(check_with(d, d->buf, 64), "holds 0 of the 20");
}

static void
test_edit(void **state)
{
	day_t *d = *state;
	static uint8_t b[sizeof(d->buf)];
	proto_rec_meta_t m;
	proto_rec_t r;
	uint8_t *p;

	/* an edit whose CRC is made good again: only the chain shows it */
	memcpy(b, d->buf, d->len);
	p = b + rec_off(7);
	assert_true(proto_rec_decode(p, PROTO_REC_HDR_LEN + DLEN, &r) > 0);
	m = r.meta;
	p[PROTO_REC_HDR_LEN + 60] ^= 0x40;
	assert_int_equal(proto_rec_encode(&m, p + PROTO_REC_HDR_LEN, DLEN, p), 0);
	expect_broken(check_with(d, b, d->len), "record 7 at offset");
	/* an edited arrival time, CRC made good */
	memcpy(b, d->buf, d->len);
	p = b + rec_off(3);
	assert_true(proto_rec_decode(p, PROTO_REC_HDR_LEN + DLEN, &r) > 0);
	m = r.meta;
	m.arrival_ns += 1000000000ull;
	assert_int_equal(proto_rec_encode(&m, p + PROTO_REC_HDR_LEN, DLEN, p), 0);
	expect_broken(check_with(d, b, d->len), "record 3 at offset");
	/* a plain edit: the record no longer passes its CRC */
	memcpy(b, d->buf, d->len);
	b[rec_off(11) + PROTO_REC_HDR_LEN + 5] ^= 1;
	expect_broken(check_with(d, b, d->len), "record 11 (chained at offset");
	/* the file header */
	memcpy(b, d->buf, d->len);
	proto_put64(b + 40, 1795608000001ull);
	proto_put32(b + 60, proto_crc32c(0, b, 60));
	expect_broken(check_with(d, b, d->len), "file header");
}

static void
test_chain_file_edit(void **state)
{
	day_t *d = *state;
	proto_chain_report_t rep;
	uint8_t *c = malloc(8192);
	FILE *f = fopen(d->chain, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(c, 1, 8192, f);
	fclose(f);
	/* a signature byte of the first checkpoint */
	c[8 + 12 * 16 + 130] ^= 1;
	write_file(d->chain, c, n);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	expect_broken(rep, "signature does not verify");
	c[8 + 12 * 16 + 130] ^= 1;
	/* the last signature: the chain is not extended on top of it, nor cut back */
	c[n - 10] ^= 1;
	write_file(d->chain, c, n);
	assert_int_equal(proto_chain_update(d->path, d->priv, 4000, 1, 0), PROTO_E_FIELD);
	c[n - 10] ^= 1;
	/* a link of the second block */
	c[n - 505] ^= 1;
	write_file(d->chain, c, n);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	expect_broken(rep, "links block does not match");
	c[n - 505] ^= 1;
	write_file(d->chain, c, n);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	assert_true(rep.ok);
	free(c);
}

static void
test_grow_and_torn(void **state)
{
	day_t *d = *state;
	proto_chain_report_t rep;
	uint8_t *c = malloc(8192);
	FILE *f;
	size_t n, len0 = d->len;
	int i;

	for (i = RECORDS; i < RECORDS + 5; i++)
		put_record(d, (uint32_t)i);
	write_file(d->path, d->buf, d->len);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.unchained, 5);
	/* a crash while appending to the chain: the torn entry is cut off */
	f = fopen(d->chain, "rb");
	n = fread(c, 1, 8192, f);
	fclose(f);
	memcpy(c + n, "VLNK\0\0\0\3garbage", 15);
	write_file(d->chain, c, n + 15);
	assert_int_equal(proto_chain_update(d->path, d->priv, 5000, 1, 0), 5);
	assert_int_equal(proto_chain_check(d->path, NULL, d->pub, &rep), 0);
	assert_true(rep.ok);
	assert_true(rep.closed);
	assert_int_equal(rep.checkpoints, 3);
	assert_int_equal(rep.records, RECORDS + 5);
	/* closed once: nothing new, nothing written */
	assert_int_equal(proto_chain_update(d->path, d->priv, 6000, 1, 0), 0);
	/* another key's chain is not extended */
	EVP_PKEY *other = tu_key("camera.pem", 1);
	assert_int_equal(proto_chain_update(d->path, other, 7000, 1, 0), PROTO_E_FIELD);
	EVP_PKEY_free(other);
	write_file(d->chain, c, n);
	d->len = len0;
	write_file(d->path, d->buf, d->len);
	free(c);
}

static void
test_locked(void **state)
{
	day_t *d = *state;
	int fd, i;

	for (i = RECORDS; i < RECORDS + 3; i++)
		put_record(d, (uint32_t)i);
	write_file(d->path, d->buf, d->len);
	/* another updater holds the chain: this one leaves it alone */
	fd = open(d->chain, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(proto_chain_update(d->path, d->priv, 8000, 0, 0), 0);
	close(fd);
	assert_int_equal(proto_chain_update(d->path, d->priv, 9000, 0, 0), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test_setup_teardown(test_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_file_edit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grow_and_torn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

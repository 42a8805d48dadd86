/*
 * NAME
 *	test_storage_vectors.c - docs/STORAGE.md test vectors against the code
 *
 * DESCRIPTION
 *	Encodes a file header and a record from fixed inputs, decodes them
 *	back, and compares the bytes with the hex blocks that follow the
 *	marker lines "<!-- vector: file-header -->" and
 *	"<!-- vector: record -->" in docs/STORAGE.md (found under
 *	$VIGIL_SRCDIR, else the current directory). When they differ the
 *	test prints the block the document should hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_record.h"

static const uint8_t vec_uuid[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				     0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

static char *doc;

/* Hex block as the document writes it: 16 bytes a line, two-digit lowercase. */
static void
hex_block(const uint8_t *b, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x%s", b[i],
				      (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
	out[o] = '\0';
}

/* The hex digits of the fenced block after marker, without white space. */
static int
doc_block(const char *marker, char *out, size_t cap)
{
	const char *p, *end;
	size_t o = 0;

	if (doc == NULL || (p = strstr(doc, marker)) == NULL)
		return -1;
	if ((p = strstr(p, "```")) == NULL || (p = strchr(p, '\n')) == NULL)
		return -1;
	if ((end = strstr(++p, "```")) == NULL)
		return -1;
	for (; p < end && o + 1 < cap; p++)
		if (strchr(" \t\r\n", *p) == NULL)
			out[o++] = *p;
	out[o] = '\0';
	return 0;
}

static void
check_vector(const char *name, const uint8_t *b, size_t n)
{
	char marker[64], want[8192], got[8192], flat[8192];
	size_t i, o = 0;

	snprintf(marker, sizeof(marker), "<!-- vector: %s -->", name);
	hex_block(b, n, want, sizeof(want));
	for (i = 0; want[i] != '\0'; i++)
		if (strchr(" \n", want[i]) == NULL)
			flat[o++] = want[i];
	flat[o] = '\0';
	if (doc_block(marker, got, sizeof(got)) < 0 || strcmp(got, flat) != 0) {
		print_error("docs/STORAGE.md: the block after %s should read:\n```\n%s```\n",
			    marker, want);
		fail();
	}
}

static int
setup(void **state)
{
	const char *dir = getenv("VIGIL_SRCDIR");
	char path[4096];
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/STORAGE.md", dir != NULL ? dir : ".");
	if ((f = fopen(path, "rb")) == NULL) {
		/* Each test then fails and prints the block it expected. */
		print_error("cannot open %s (run from the repository root or set VIGIL_SRCDIR)\n",
			    path);
		return 0;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	if (doc == NULL || fread(doc, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(doc);
	doc = NULL;
	return 0;
}

static void
test_file_header_vector(void **state)
{
	proto_file_hdr_t h = {.date = 20782, .created_ms = 1795608000000ull}, back;
	uint8_t b[PROTO_FILE_HDR_LEN];

	(void)state;
	memcpy(h.uuid, vec_uuid, 16);
	proto_file_hdr_encode(&h, b);
	assert_int_equal(proto_file_hdr_decode(b, sizeof(b), &back), 0);
	assert_memory_equal(back.uuid, vec_uuid, 16);
	assert_int_equal(back.date, 20782);
	assert_int_equal(back.created_ms, 1795608000000ull);
	check_vector("file-header", b, sizeof(b));
}

static void
test_record_vector(void **state)
{
	proto_rec_meta_t m = {.arrival_ns = 1795608000123456789ull, .port = 40000};
	uint8_t rec[PROTO_REC_HDR_LEN + 32];
	proto_rec_t r;
	size_t i;

	(void)state;
	m.addr[10] = m.addr[11] = 0xff; /* ::ffff:192.0.2.7 */
	m.addr[12] = 192;
	m.addr[14] = 2;
	m.addr[15] = 7;
	for (i = 0; i < 32; i++)
		rec[PROTO_REC_HDR_LEN + i] = (uint8_t)i;
	assert_int_equal(proto_rec_encode(&m, rec + PROTO_REC_HDR_LEN, 32, rec), 0);
	assert_int_equal(proto_rec_decode(rec, sizeof(rec), &r), (int)sizeof(rec));
	assert_int_equal(r.len, 32);
	assert_int_equal(r.meta.arrival_ns, 1795608000123456789ull);
	assert_int_equal(r.meta.port, 40000);
	assert_int_equal(r.meta.flags, 0);
	assert_memory_equal(r.meta.addr, m.addr, 16);
	check_vector("record", rec, sizeof(rec));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_header_vector),
	    cmocka_unit_test(test_record_vector),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

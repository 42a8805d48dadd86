/*
 * NAME
 *	test_indexer_file.c - the indexer's day files (indexer/indexer_file.c)
 *
 * DESCRIPTION
 *	With real files in a temporary folder, written with libproto's
 *	record encoders, and a shared index of this test's own. Checks: a
 *	scan of the folder indexes every record of a day file, with its
 *	counter ranges, keyframes and the offset indexed to (the file's
 *	end); records appended later are indexed by the next update, and
 *	an update with nothing new indexes nothing; a torn record at the
 *	tail is not indexed until it is whole; a file whose header names
 *	another camera is refused and nothing of it is indexed; the check
 *	of -n takes a missing folder (the writers make it) and refuses a
 *	plain file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "indexer/indexer.h"
#include "proto_record.h"
#include "testutil.h"

#define DATE 20782u
#define PAYLOAD 40
#define FRAGS 5 /* fragments per frame: counters 5k are keyframe starts */

static const uint8_t A[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
static const uint8_t B[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0f};

typedef struct fixture {
	char *dir;
	char prefix[64];
	idx_t *idx;
	indexer_t ix;
} fixture_t;

/* A record of the video datagram of counter c (a keyframe's fragment) into out. */
static size_t
mk_rec(uint8_t *out, const uint8_t *uuid, uint32_t c)
{
	proto_data_hdr_t h = {0};
	proto_rec_meta_t m = {.port = 7000};
	uint8_t *dg = out + PROTO_REC_HDR_LEN;
	size_t len = PROTO_DATA_HDR_LEN + PAYLOAD + PROTO_TAG_LEN;

	h.type = PROTO_T_DATA;
	memcpy(h.uuid, uuid, PROTO_UUID_LEN);
	h.date = DATE;
	h.counter = c;
	h.session = 0;
	h.stream = PROTO_S_VIDEO;
	h.codec = PROTO_C_H264;
	h.flags = PROTO_F_KEYFRAME;
	h.frame = c / FRAGS;
	h.frag_index = (uint16_t)(c % FRAGS);
	h.frag_count = FRAGS;
	h.capture_ms = (uint64_t)DATE * 86400000ull + 1000 + c;
	h.payload_len = PAYLOAD;
	memset(dg, 0xa5, len);
	assert_int_equal(proto_data_hdr_encode(&h, dg), PROTO_DATA_HDR_LEN);
	m.arrival_ns = h.capture_ms * 1000000ull;
	m.addr[10] = m.addr[11] = 0xff;
	assert_int_equal(proto_rec_encode(&m, dg, len, out), 0);
	return PROTO_REC_HDR_LEN + len;
}

/* Append the records of counters [lo, hi) of camera rec_uuid to path; the first
 * `cut` bytes of one more record after them when cut > 0. */
static void
append(const char *path, const uint8_t *rec_uuid, uint32_t lo, uint32_t hi, size_t cut)
{
	uint8_t rec[PROTO_REC_HDR_LEN + PROTO_MAX_DGRAM];
	FILE *fp = fopen(path, "ab");
	uint32_t c;

	assert_non_null(fp);
	for (c = lo; c < hi; c++) {
		size_t n = mk_rec(rec, rec_uuid, c);
		assert_int_equal(fwrite(rec, 1, n, fp), n);
	}
	if (cut) {
		mk_rec(rec, rec_uuid, hi);
		assert_int_equal(fwrite(rec, 1, cut, fp), cut);
	}
	assert_int_equal(fclose(fp), 0);
}

/* A new day file of uuid whose header names hdr_uuid; its path in path. */
static void
mk_file(const char *dir, const uint8_t *uuid, const uint8_t *hdr_uuid, char *path, size_t cap)
{
	proto_file_hdr_t h = {0};
	uint8_t b[PROTO_FILE_HDR_LEN];
	char sub[4200];
	FILE *fp;

	assert_int_equal(proto_file_path(dir, uuid, DATE, path, cap), 0);
	snprintf(sub, sizeof(sub), "%s", path);
	*strrchr(sub, '/') = '\0';
	assert_true(mkdir(sub, 0755) == 0 || errno == EEXIST);
	memcpy(h.uuid, hdr_uuid, PROTO_UUID_LEN);
	h.date = DATE;
	proto_file_hdr_encode(&h, b);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(b, 1, sizeof(b), fp), sizeof(b));
	assert_int_equal(fclose(fp), 0);
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static int
setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_non_null(fx->dir = tu_tmpdir());
	snprintf(fx->prefix, sizeof(fx->prefix), "vigil-test-ixf-%d", (int)getpid());
	assert_int_equal(idx_create(fx->prefix, 16, 4u << 20, &fx->idx), 0);
	fx->ix.idx = fx->idx;
	fx->ix.dir = fx->dir;
	fx->ix.max_open = 4;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *fx = *state;
	char name[128];
	int i;

	for (i = 0; i < fx->ix.nfiles; i++) {
		indexer_keys_free(&fx->ix.f[i]);
		proto_reader_free(fx->ix.f[i].rd);
	}
	free(fx->ix.f);
	idx_close(fx->idx);
	snprintf(name, sizeof(name), "%s-index", fx->prefix);
	shm_seg_unlink(name);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void
test_scan_then_follow(void **state)
{
	fixture_t *fx = *state;
	idx_range_t r[4];
	idx_day_info_t info;
	char path[4200];
	uint64_t whole;

	mk_file(fx->dir, A, A, path, sizeof(path));
	append(path, A, 0, 10, 0);
	append(path, A, 20, 25, 0);
	assert_int_equal(indexer_scan_dir(&fx->ix), 15);
	assert_int_equal(fx->ix.nfiles, 1);
	assert_int_equal(idx_day_ranges(fx->idx, A, DATE, r, 4), 2);
	assert_int_equal(r[0].first, 0);
	assert_int_equal(r[0].last, 9);
	assert_int_equal(r[1].first, 20);
	assert_int_equal(r[1].last, 24);
	assert_int_equal(idx_day_info(fx->idx, A, DATE, &info), 0);
	assert_int_equal(info.records, 15);
	assert_int_equal(info.high, 25);
	assert_int_equal(info.nkeyframes, 3); /* frames starting at 0, 5 and 20 */
	assert_int_equal(info.indexed_to, file_size(path));

	/* the writer appends: the next update reads on from there */
	whole = file_size(path);
	append(path, A, 10, 15, 30);
	indexer_file_t *f = indexer_file_get(&fx->ix, A, DATE);
	assert_non_null(f);
	assert_ptr_equal(f, &fx->ix.f[0]);
	assert_int_equal(indexer_file_update(&fx->ix, f), 5);
	assert_int_equal(idx_day_ranges(fx->idx, A, DATE, r, 4), 2);
	assert_int_equal(r[0].last, 14);
	/* the torn record at the tail waits until it is whole */
	assert_int_equal(idx_day_info(fx->idx, A, DATE, &info), 0);
	assert_int_equal(info.records, 20);
	assert_true(info.indexed_to < file_size(path));
	assert_true(info.indexed_to > whole);
	assert_int_equal(indexer_file_update(&fx->ix, f), 0);
	assert_int_equal(indexer_scan_dir(&fx->ix), 0);
	assert_int_equal(fx->ix.nfiles, 1);
}

static void
test_foreign_header(void **state)
{
	fixture_t *fx = *state;
	idx_day_info_t info;
	char path[4200];

	/* A's name, B's header and records: another partition's file */
	mk_file(fx->dir, A, B, path, sizeof(path));
	append(path, B, 0, 5, 0);
	indexer_file_t *f = indexer_file_get(&fx->ix, A, DATE);
	assert_non_null(f);
	assert_int_equal(indexer_file_update(&fx->ix, f), PROTO_E_FIELD);
	assert_int_equal(indexer_scan_dir(&fx->ix), 0);
	assert_int_equal(idx_day_info(fx->idx, A, DATE, &info), 0);
	assert_int_equal(info.records, 0);
	assert_int_equal(fx->ix.open, 0);
}

static void
test_check(void **state)
{
	fixture_t *fx = *state;
	char path[4200];
	FILE *fp;

	assert_int_equal(indexer_file_check(fx->dir), 0);
	snprintf(path, sizeof(path), "%s/none", fx->dir);
	assert_int_equal(indexer_file_check(path), 0); /* the writers make it */
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	assert_int_equal(indexer_file_check(path), -ENOTDIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scan_then_follow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * NAME
 *	test_writer_file.c - the writer's cache of open day files
 *	(writer/writer_file.c)
 *
 * DESCRIPTION
 *	With real files in a temporary folder. Checks: a new file is
 *	created with the header of its camera and date, dirty and fresh
 *	(its folder wants a sync); asking again is a hit on the same entry;
 *	past `max` open files the least recently used one is closed, and
 *	asking for it again opens it again; reopening a file that holds
 *	records learns its counters and where its last record ends; a torn
 *	record at the tail is cut, counted, and its bytes kept beside the
 *	file; a file whose header names another camera is refused; a file
 *	torn inside its header (1, 8, 63 bytes, or a header that does not
 *	parse) is set aside and started again; a counter held under one
 *	session is a conflict under another, and a hello of the same
 *	session number with another hello id makes that session's
 *	duplicates conflicts too.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "proto_record.h"
#include "testutil.h"
#include "writer/writer.h"

#define DATE 20782u
#define DG_LEN 48

static const uint8_t A[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
static const uint8_t B[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0f};
static const uint8_t C[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x10};

static writer_file_t *
get(writer_files_t *fs, const uint8_t *uuid, uint32_t date)
{
	writer_file_t *f = NULL;

	return writer_files_get(fs, uuid, date, WRITER_DAY, &f) == 0 ? f : NULL;
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* A record of a data datagram of counter c into out: its length. */
static size_t
mk_rec(uint8_t *out, uint32_t c)
{
	proto_rec_meta_t m = {.port = 1};
	uint8_t dg[DG_LEN];
	size_t i;

	for (i = 0; i < sizeof(dg); i++)
		dg[i] = (uint8_t)(c + i);
	dg[0] = 0x56;
	dg[1] = 0x47;
	dg[2] = 1;
	dg[3] = PROTO_T_DATA;
	proto_put32(dg + 20, DATE);
	proto_put32(dg + 24, c);
	proto_put32(dg + 28, 0);
	m.addr[10] = m.addr[11] = 0xff;
	assert_int_equal(proto_rec_encode(&m, dg, sizeof(dg), out), 0);
	memcpy(out + PROTO_REC_HDR_LEN, dg, sizeof(dg));
	return PROTO_REC_HDR_LEN + sizeof(dg);
}

/* Write a day file of uuid holding counters [lo, hi), then extra bytes. */
static void
mk_file(const char *dir, const uint8_t *uuid, const uint8_t *hdr_uuid, uint32_t lo, uint32_t hi,
	const uint8_t *extra, size_t nextra)
{
	char path[4096], sub[4096], u[37];
	proto_file_hdr_t h = {.date = DATE, .created_ms = 1795600000000ull};
	uint8_t b[PROTO_REC_MAX_LEN];
	uint32_t c;
	int fd;

	proto_uuid_fmt(uuid, u);
	snprintf(sub, sizeof(sub), "%s/%s", dir, u);
	mkdir(sub, 0755);
	assert_int_equal(proto_file_path(dir, uuid, DATE, path, sizeof(path)), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	memcpy(h.uuid, hdr_uuid, 16);
	proto_file_hdr_encode(&h, b);
	assert_int_equal(write(fd, b, PROTO_FILE_HDR_LEN), PROTO_FILE_HDR_LEN);
	for (c = lo; c < hi; c++) {
		size_t n = mk_rec(b, c);
		assert_int_equal(write(fd, b, n), (ssize_t)n);
	}
	if (nextra)
		assert_int_equal(write(fd, extra, nextra), (ssize_t)nextra);
	close(fd);
}

static void
test_create(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	uint8_t b[PROTO_FILE_HDR_LEN];
	proto_file_hdr_t h;
	writer_files_t fs;
	writer_file_t *f;
	int fd;

	(void)state;
	assert_int_equal(writer_files_init(&fs, dir, 4), 0);
	f = get(&fs, A, DATE);
	assert_non_null(f);
	assert_true(f->fd >= 0);
	assert_int_equal(f->size, PROTO_FILE_HDR_LEN);
	assert_true(f->dirty);
	assert_true(f->fresh);
	assert_int_equal(fs.opened, 1);
	assert_int_equal(writer_files_dirty(&fs), 1);
	/* asked again: the same entry, nothing opened */
	assert_ptr_equal(get(&fs, A, DATE), f);
	assert_int_equal(fs.opened, 1);
	/* another day of the same camera is another file */
	assert_ptr_not_equal(get(&fs, A, DATE + 1), f);
	assert_int_equal(fs.opened, 2);
	assert_int_equal(writer_files_sync_all(&fs), 0);
	assert_int_equal(writer_files_dirty(&fs), 0);
	writer_files_close(&fs);

	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	assert_int_equal(file_size(path), PROTO_FILE_HDR_LEN);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, b, sizeof(b)), sizeof(b));
	close(fd);
	assert_int_equal(proto_file_hdr_decode(b, sizeof(b), &h), 0);
	assert_memory_equal(h.uuid, A, 16);
	assert_int_equal(h.date, DATE);
	tu_rmtree(dir);
	free(dir);
}

static void
test_lru(void **state)
{
	char *dir = tu_tmpdir();
	writer_files_t fs;
	writer_file_t *fa;

	(void)state;
	assert_int_equal(writer_files_init(&fs, dir, 2), 0);
	fa = get(&fs, A, DATE);
	assert_non_null(fa);
	assert_non_null(get(&fs, B, DATE));
	/* A used last: B is the least recently used */
	assert_ptr_equal(get(&fs, A, DATE), fa);
	assert_non_null(get(&fs, C, DATE));
	assert_int_equal(fs.opened, 3);
	assert_int_equal(fs.evicted, 1);
	/* A stayed open */
	assert_ptr_equal(get(&fs, A, DATE), fa);
	assert_int_equal(fs.opened, 3);
	/* B was closed: opened again, and C (least recent now) goes */
	assert_non_null(get(&fs, B, DATE));
	assert_int_equal(fs.opened, 4);
	assert_int_equal(fs.evicted, 2);
	assert_ptr_equal(get(&fs, A, DATE), fa);
	assert_int_equal(fs.opened, 4);
	writer_files_close(&fs);
	assert_int_equal(fs.evicted, 4);
	tu_rmtree(dir);
	free(dir);
}

static void
test_reopen(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	writer_files_t fs;
	writer_file_t *f;

	(void)state;
	mk_file(dir, A, A, 5, 8, NULL, 0);
	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	assert_int_equal(writer_files_init(&fs, dir, 2), 0);
	f = get(&fs, A, DATE);
	assert_non_null(f);
	assert_int_equal(f->size, file_size(path));
	assert_int_equal(f->size, PROTO_FILE_HDR_LEN + 3 * (PROTO_REC_HDR_LEN + DG_LEN));
	assert_false(f->dirty);
	assert_false(f->fresh);
	assert_false(proto_ranges_has(&f->have, 4));
	assert_true(proto_ranges_has(&f->have, 5));
	assert_true(proto_ranges_has(&f->have, 6));
	assert_true(proto_ranges_has(&f->have, 7));
	assert_false(proto_ranges_has(&f->have, 8));
	assert_int_equal(fs.torn_cut, 0);
	writer_files_close(&fs);
	tu_rmtree(dir);
	free(dir);
}

static void
test_torn_tail(void **state)
{
	char *dir = tu_tmpdir(), path[4096], tail[4200];
	uint8_t rec[PROTO_REC_MAX_LEN], back[PROTO_REC_MAX_LEN];
	size_t n = mk_rec(rec, 8), cut = n - 10;
	uint64_t good = PROTO_FILE_HDR_LEN + 3 * (PROTO_REC_HDR_LEN + DG_LEN);
	writer_files_t fs;
	writer_file_t *f;
	int fd;

	(void)state;
	/* counters 5..7, then a record of 8 that a crash cut short */
	mk_file(dir, A, A, 5, 8, rec, cut);
	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	assert_int_equal(file_size(path), good + cut);
	assert_int_equal(writer_files_init(&fs, dir, 2), 0);
	f = get(&fs, A, DATE);
	assert_non_null(f);
	assert_int_equal(fs.torn_cut, 1);
	assert_int_equal(fs.torn_bytes, cut);
	assert_int_equal(f->size, good);
	assert_int_equal(file_size(path), good);
	assert_true(proto_ranges_has(&f->have, 7));
	assert_false(proto_ranges_has(&f->have, 8));
	/* the bytes cut are kept beside the file */
	snprintf(tail, sizeof(tail), "%s.tail-%llu", path, (unsigned long long)good);
	fd = open(tail, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)cut);
	close(fd);
	assert_memory_equal(back, rec, cut);
	writer_files_close(&fs);

	/* reopened: nothing more to cut */
	assert_int_equal(writer_files_init(&fs, dir, 2), 0);
	assert_non_null(get(&fs, A, DATE));
	assert_int_equal(fs.torn_cut, 0);
	writer_files_close(&fs);
	tu_rmtree(dir);
	free(dir);
}

static void
test_foreign_header(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	writer_files_t fs;

	(void)state;
	/* A's file name, B's header */
	mk_file(dir, A, B, 5, 8, NULL, 0);
	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	assert_int_equal(writer_files_init(&fs, dir, 2), 0);
	assert_null(get(&fs, A, DATE));
	assert_int_equal(fs.opened, 0);
	/* left as it was */
	assert_int_equal(file_size(path), PROTO_FILE_HDR_LEN + 3 * (PROTO_REC_HDR_LEN + DG_LEN));
	writer_files_close(&fs);
	tu_rmtree(dir);
	free(dir);
}

/* Files beside path whose name starts with its name and then suffix. */
static int
count_beside(const char *path, const char *suffix)
{
	char cmd[8192], line[64];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -d '%s'%s* 2>/dev/null | wc -l", path, suffix);
	assert_non_null(p = popen(cmd, "r"));
	if (fgets(line, sizeof(line), p))
		n = atoi(line);
	pclose(p);
	return n;
}

static void
test_torn_header(void **state)
{
	static const size_t cuts[] = {1, 8, 63, PROTO_FILE_HDR_LEN};
	char *dir = tu_tmpdir(), path[4096];
	writer_files_t fs;
	writer_file_t *f;
	size_t i;
	int fd;

	(void)state;
	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		mk_file(dir, A, A, 0, 3, NULL, 0);
		if (cuts[i] < PROTO_FILE_HDR_LEN) {
			assert_int_equal(truncate(path, (off_t)cuts[i]), 0);
		} else { /* whole, but its CRC does not match */
			assert_true((fd = open(path, O_WRONLY)) >= 0);
			assert_int_equal(pwrite(fd, "X", 1, 40), 1);
			close(fd);
		}
		assert_int_equal(writer_files_init(&fs, dir, 2), 0);
		f = get(&fs, A, DATE);
		assert_non_null(f);
		assert_int_equal(f->size, PROTO_FILE_HDR_LEN);
		assert_int_equal(fs.torn_headers, 1);
		assert_false(proto_ranges_has(&f->have, 0));
		writer_files_close(&fs);
		assert_int_equal(file_size(path), PROTO_FILE_HDR_LEN);
		assert_int_equal(count_beside(path, ".torn-header-"), (int)i + 1);
		usleep(2000); /* the next one's name is another millisecond */
	}
	tu_rmtree(dir);
	free(dir);
}

/* A datagram of counter c, session s, type t (a hello gets hello id byte id). */
static void
mk_dg(uint8_t *dg, uint32_t c, uint32_t s, int t, uint8_t id)
{
	memset(dg, id, 80);
	dg[3] = (uint8_t)t;
	proto_put32(dg + 24, c);
	proto_put32(dg + 28, s);
}

static void
test_conflicts(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	uint8_t dg[80];
	writer_files_t fs;
	writer_file_t *f, *c;
	uint32_t by;

	(void)state;
	/* the scan learns the file's counters 0-9 under session 0 */
	mk_file(dir, A, A, 0, 10, NULL, 0);
	assert_int_equal(writer_files_init(&fs, dir, 4), 0);
	assert_non_null(f = get(&fs, A, DATE));
	mk_dg(dg, 5, 0, PROTO_T_DATA, 1);
	assert_false(writer_file_conflicts(f, dg, sizeof(dg), &by)); /* a resend */
	mk_dg(dg, 5, 3, PROTO_T_DATA, 1);
	assert_true(writer_file_conflicts(f, dg, sizeof(dg), &by));
	assert_int_equal(by, 0);
	/* appended: counters 10-11 under session 10, its hello first */
	mk_dg(dg, 10, 10, PROTO_T_HELLO, 7);
	assert_int_equal(writer_file_note(f, dg, sizeof(dg)), 0);
	mk_dg(dg, 11, 10, PROTO_T_DATA, 7);
	assert_int_equal(writer_file_note(f, dg, sizeof(dg)), 0);
	assert_false(writer_file_conflicts(f, dg, sizeof(dg), &by));
	mk_dg(dg, 10, 10, PROTO_T_HELLO, 7);
	assert_false(writer_file_conflicts(f, dg, sizeof(dg), &by)); /* its hello again */
	mk_dg(dg, 11, 0, PROTO_T_DATA, 1);
	assert_true(writer_file_conflicts(f, dg, sizeof(dg), &by));
	assert_int_equal(by, 10);
	/* another hello named 10: from now on session 10's duplicates conflict */
	mk_dg(dg, 10, 10, PROTO_T_HELLO, 8);
	assert_true(writer_file_conflicts(f, dg, sizeof(dg), &by));
	mk_dg(dg, 11, 10, PROTO_T_DATA, 7);
	assert_true(writer_file_conflicts(f, dg, sizeof(dg), &by));
	/* the conflict file is another entry, another name */
	assert_int_equal(writer_files_get(&fs, A, DATE, WRITER_CONFLICT, &c), 0);
	assert_ptr_not_equal(c, f);
	writer_files_path(&fs, A, DATE, WRITER_CONFLICT, path, sizeof(path));
	assert_non_null(strstr(path, "2026-11-25.conflict.vgl"));
	assert_int_equal(file_size(path), PROTO_FILE_HDR_LEN);
	writer_files_close(&fs);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create),         cmocka_unit_test(test_lru),
	    cmocka_unit_test(test_reopen),         cmocka_unit_test(test_torn_tail),
	    cmocka_unit_test(test_foreign_header), cmocka_unit_test(test_torn_header),
	    cmocka_unit_test(test_conflicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * NAME
 *	test_reader.c - walking storage files: round trip, damage, torn
 *	tails, growing and shrinking files, seeking, scanning for the writer
 *
 * DESCRIPTION
 *	Files are real temporary files written the way the writer writes
 *	them (file header, then record header and datagram per record);
 *	the same bytes are also read through a memory reader. Every test
 *	runs twice: file readers mapping the file, then reading with pread()
 *	(VIGIL_READER_PREAD).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_record.h"

#define MAXREC 2000

/* An image of a file being written, and where its records start. */
typedef struct img {
	uint8_t *buf;
	size_t len, cap;
	size_t nrec;
	size_t off[MAXREC];
	size_t dlen[MAXREC];
} img_t;

static const uint8_t uuid[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

static void
img_put(img_t *im, const void *p, size_t n)
{
	if (im->len + n > im->cap) {
		im->cap = (im->len + n) * 2;
		im->buf = realloc(im->buf, im->cap);
		assert_non_null(im->buf);
	}
	memcpy(im->buf + im->len, p, n);
	im->len += n;
}

static img_t *
img_new(void)
{
	proto_file_hdr_t h = {.date = 20782, .created_ms = 1795608000000ull};
	uint8_t b[PROTO_FILE_HDR_LEN];
	img_t *im = calloc(1, sizeof(*im));

	assert_non_null(im);
	memcpy(h.uuid, uuid, 16);
	proto_file_hdr_encode(&h, b);
	img_put(im, b, sizeof(b));
	return im;
}

static void
img_free(img_t *im)
{
	free(im->buf);
	free(im);
}

/* Datagram k: deterministic length and contents, never containing "VREC". */
static size_t
dgram_of(size_t k, uint8_t *d)
{
	size_t len = 1 + (k * 7919 + 13) % PROTO_MAX_DGRAM, i;
	uint32_t x = (uint32_t)k * 2654435761u + 1;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (uint8_t)((x >> 16) & 0x3f); /* never 'V' (0x56) */
	}
	if (len >= 4)
		proto_put32(d, (uint32_t)k);
	return len;
}

static void
img_add(img_t *im)
{
	uint8_t hdr[PROTO_REC_HDR_LEN], d[PROTO_MAX_DGRAM];
	proto_rec_meta_t m = {0};
	size_t k = im->nrec, len = dgram_of(k, d);

	assert_true(k < MAXREC);
	m.arrival_ns = 1795608000000000000ull + k * 1000;
	m.addr[10] = m.addr[11] = 0xff;
	m.addr[12] = 10;
	m.addr[15] = (uint8_t)k;
	m.port = (uint16_t)(5000 + k);
	assert_int_equal(proto_rec_encode(&m, d, len, hdr), 0);
	im->off[k] = im->len;
	im->dlen[k] = len;
	img_put(im, hdr, sizeof(hdr));
	img_put(im, d, len);
	im->nrec++;
}

static void
check_rec(const proto_rec_t *r, const img_t *im, size_t k)
{
	uint8_t d[PROTO_MAX_DGRAM];
	size_t len = dgram_of(k, d);

	assert_int_equal(r->offset, im->off[k]);
	assert_int_equal(r->len, len);
	assert_memory_equal(r->dgram, d, len);
	assert_int_equal(r->meta.arrival_ns, 1795608000000000000ull + k * 1000);
	assert_int_equal(r->meta.port, (uint16_t)(5000 + k));
	assert_int_equal(r->meta.addr[15], (uint8_t)k);
}

static int
tmpfile_with(const uint8_t *buf, size_t len, char *path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, 256, "%s/vigil-reader-XXXXXX", dir != NULL ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static void
append(int fd, const uint8_t *p, size_t n)
{
	assert_int_equal(pwrite(fd, p, n, lseek(fd, 0, SEEK_END)), (ssize_t)n);
}

/*
 * Read everything with r; expect records from first on, except those in
 * skip[0..nskip) (sorted), in order. Returns how many records came.
 */
static size_t
read_from(proto_reader_t *r, const img_t *im, size_t first, const size_t *skip, size_t nskip)
{
	proto_rec_t rec;
	size_t k = first, s = 0, n = 0;
	int rc;

	while ((rc = proto_reader_next(r, &rec)) == 1) {
		while (s < nskip && skip[s] == k) {
			k++;
			s++;
		}
		assert_true(k < im->nrec);
		check_rec(&rec, im, k);
		k++;
		n++;
	}
	assert_int_equal(rc, 0);
	return n;
}

static size_t
read_all(proto_reader_t *r, const img_t *im, const size_t *skip, size_t nskip)
{
	return read_from(r, im, 0, skip, nskip);
}

static void
test_roundtrip_file_and_mem(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	char path[256];
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < 1000; i++) /* about 740 KB: several buffer refills */
		img_add(im);
	fd = tmpfile_with(im->buf, im->len, path);
	assert_int_equal(proto_reader_open(path, &r), 0);
	assert_memory_equal(proto_reader_header(r)->uuid, uuid, 16);
	assert_int_equal(proto_reader_header(r)->date, 20782);
	assert_int_equal(read_all(r, im, NULL, 0), 1000);
	assert_int_equal(proto_reader_stats(r)->records, 1000);
	assert_int_equal(proto_reader_stats(r)->record_bytes, im->len - PROTO_FILE_HDR_LEN);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	assert_int_equal(proto_reader_offset(r), im->len);
	proto_reader_free(r);

	assert_int_equal(proto_reader_mem(im->buf, im->len, &r), 0);
	assert_int_equal(read_all(r, im, NULL, 0), 1000);
	proto_reader_free(r);

	/* A header and no record. */
	assert_int_equal(proto_reader_mem(im->buf, PROTO_FILE_HDR_LEN, &r), 0);
	assert_int_equal(read_all(r, im, NULL, 0), 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_damaged_middle_record(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	const proto_reader_stats_t *st;
	size_t i, pos, mid = 5, skip[1] = {5};
	char path[256];
	uint8_t saved;
	int fd;

	(void)state;
	for (i = 0; i < 11; i++)
		img_add(im);
	/* Every byte of the middle record, damaged in turn. */
	for (pos = im->off[mid]; pos < im->off[mid + 1]; pos++) {
		saved = im->buf[pos];
		im->buf[pos] ^= 0x5a;
		assert_int_equal(proto_reader_mem(im->buf, im->len, &r), 0);
		assert_int_equal(read_all(r, im, skip, 1), 10);
		st = proto_reader_stats(r);
		assert_int_equal(st->damaged, 1);
		assert_int_equal(st->skipped_bytes, im->off[mid + 1] - im->off[mid]);
		assert_int_equal(st->tail_len, 0);
		proto_reader_free(r);
		im->buf[pos] = saved;
	}
	/* The same through a file, damage in the datagram. */
	im->buf[im->off[mid] + PROTO_REC_HDR_LEN + 2] ^= 1;
	fd = tmpfile_with(im->buf, im->len, path);
	assert_int_equal(proto_reader_open(path, &r), 0);
	assert_int_equal(read_all(r, im, skip, 1), 10);
	assert_int_equal(proto_reader_stats(r)->damaged, 1);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_garbage_between_records(void **state)
{
	img_t *im = img_new(), *g = img_new();
	proto_reader_t *r;
	uint8_t junk[700 * 1024];
	size_t i, glen[] = {1, 3, 4, 39, 40, 41, 1000, sizeof(junk)};
	size_t t;
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 8; i++)
		img_add(im);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 13);
	/* Fake record starts in the garbage: magic with a bad CRC, a truncated header. */
	memcpy(junk + 100, "VREC", 4);
	memcpy(junk + 300000, "VREC\x00\x10", 6);
	memcpy(junk + sizeof(junk) - 2, "VR", 2);
	for (t = 0; t < sizeof(glen) / sizeof(glen[0]); t++) {
		/* g: records 0..3, garbage, records 4..7 (offsets as in im shifted). */
		g->len = PROTO_FILE_HDR_LEN;
		g->nrec = 0;
		for (i = 0; i < 8; i++) {
			if (i == 4)
				img_put(g, glen[t] == sizeof(junk) ? junk : junk + 1000, glen[t]);
			g->off[i] = g->len;
			img_put(g, im->buf + im->off[i],
				(i + 1 < 8 ? im->off[i + 1] : im->len) - im->off[i]);
			g->nrec++;
		}
		fd = tmpfile_with(g->buf, g->len, path);
		assert_int_equal(proto_reader_open(path, &r), 0);
		assert_int_equal(read_all(r, g, NULL, 0), 8);
		assert_int_equal(proto_reader_stats(r)->damaged, 1);
		assert_int_equal(proto_reader_stats(r)->skipped_bytes, glen[t]);
		proto_reader_free(r);
		close(fd);
		unlink(path);
	}
	img_free(g);
	img_free(im);
}

static void
test_torn_tail_every_cut(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	const proto_reader_stats_t *st;
	size_t i, cut, last;
	uint64_t good_end;
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 5; i++)
		img_add(im);
	last = im->off[4];
	fd = tmpfile_with(im->buf, im->len, path);
	for (cut = 0; cut < im->len - last; cut++) {
		assert_int_equal(ftruncate(fd, (off_t)(last + cut)), 0);
		assert_int_equal(proto_reader_fdopen(fd, &r), 0);
		assert_int_equal(read_all(r, im, NULL, 0), 4);
		st = proto_reader_stats(r);
		assert_int_equal(st->damaged, 0);
		assert_int_equal(st->tail_len, cut);
		if (cut > 0)
			assert_int_equal(st->tail_offset, last);
		assert_int_equal(proto_reader_offset(r), last);
		proto_reader_free(r);
		assert_int_equal(proto_file_scan_tail(fd, &good_end), 0);
		assert_int_equal(good_end, last);
	}
	/* Whole again: nothing torn. */
	assert_int_equal(pwrite(fd, im->buf + last, im->len - last, (off_t)last),
			 (ssize_t)(im->len - last));
	assert_int_equal(proto_file_scan_tail(fd, &good_end), 0);
	assert_int_equal(good_end, im->len);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_growing_file(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	proto_rec_t rec;
	size_t i, k, half;
	uint64_t good_end;
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 30; i++)
		img_add(im);
	fd = tmpfile_with(im->buf, im->off[10], path);
	assert_int_equal(proto_reader_open(path, &r), 0);
	for (k = 0; k < 10; k++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, k);
	}
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_reader_next(r, &rec), 0);

	/* Append whole records: next continues. */
	append(fd, im->buf + im->off[10], im->off[15] - im->off[10]);
	for (; k < 15; k++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, k);
	}
	assert_int_equal(proto_reader_next(r, &rec), 0);

	/* Half a record (a write in progress): a tail, then whole. */
	half = (im->off[16] - im->off[15]) / 2;
	append(fd, im->buf + im->off[15], half);
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, half);
	append(fd, im->buf + im->off[15] + half, im->off[16] - im->off[15] - half);
	assert_int_equal(proto_reader_next(r, &rec), 1);
	check_rec(&rec, im, 15);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);

	/*
	 * A torn write the reader has buffered, cut off by a restarted
	 * writer, which then appends other records in its place.
	 */
	append(fd, im->buf + im->off[16], im->off[17] - im->off[16] - 1);
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_file_scan_tail(fd, &good_end), 0);
	assert_int_equal(good_end, im->off[16]);
	assert_int_equal(ftruncate(fd, (off_t)good_end), 0);
	/* Records 17.. now start at im->off[16]: rebuild the image to match. */
	half = im->off[17] - im->off[16];
	memmove(im->buf + im->off[16], im->buf + im->off[17], im->len - im->off[17]);
	im->len -= half;
	for (i = 17; i < im->nrec; i++)
		im->off[i] -= half;
	append(fd, im->buf + im->off[17], im->len - im->off[17]);
	for (k = 17; k < 30; k++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, k);
	}
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_stale_buffer(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	proto_rec_t rec;
	size_t i, delta, skip[1] = {10};
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 16; i++)
		img_add(im);
	/* Records 0..9 and the first half of 10, all buffered by the first call. */
	fd = tmpfile_with(im->buf, im->off[10] + (im->off[11] - im->off[10]) / 2, path);
	assert_int_equal(proto_reader_fdopen(fd, &r), 0);
	assert_int_equal(proto_reader_next(r, &rec), 1);
	check_rec(&rec, im, 0);
	/* The writer restarts, cuts the torn record and appends 11..15 there. */
	assert_int_equal(ftruncate(fd, (off_t)im->off[10]), 0);
	append(fd, im->buf + im->off[11], im->len - im->off[11]);
	delta = im->off[11] - im->off[10];
	for (i = 11; i < 16; i++)
		im->off[i] -= delta;
	assert_int_equal(read_from(r, im, 1, skip, 1), 14);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	assert_int_equal(proto_reader_offset(r), im->len - delta);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_seek(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	proto_rec_t rec;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		img_add(im);
	assert_int_equal(proto_reader_mem(im->buf, im->len, &r), 0);
	assert_int_equal(proto_reader_seek(r, im->off[12]), 0);
	assert_int_equal(proto_reader_next(r, &rec), 1);
	check_rec(&rec, im, 12);
	assert_int_equal(proto_reader_offset(r), im->off[13]);
	assert_int_equal(proto_reader_seek(r, 10), PROTO_E_FIELD);
	assert_int_equal(proto_reader_seek(r, im->len + 1), PROTO_E_FIELD);
	/* Into the middle of a record: resynchronise at the next one. */
	assert_int_equal(proto_reader_seek(r, im->off[3] + 5), 0);
	assert_int_equal(proto_reader_next(r, &rec), 1);
	check_rec(&rec, im, 4);
	assert_int_equal(proto_reader_stats(r)->damaged, 1);
	proto_reader_free(r);
	img_free(im);
}

static void
test_open_errors(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r = (proto_reader_t *)&r;
	uint64_t good_end = 99;
	char path[256];
	int fd;

	(void)state;
	img_add(im);
	assert_int_equal(proto_reader_open("/nonexistent/vigil/x.vgl", &r), PROTO_E_IO);
	assert_null(r);
	assert_int_equal(proto_reader_mem(im->buf, 63, &r), PROTO_E_SHORT);
	im->buf[0] = 'X';
	assert_int_equal(proto_reader_mem(im->buf, im->len, &r), PROTO_E_MAGIC);
	im->buf[0] = 'V';
	im->buf[9] = 2;
	assert_int_equal(proto_reader_mem(im->buf, im->len, &r), PROTO_E_VERSION);
	im->buf[9] = 1;
	im->buf[40] ^= 1;
	assert_int_equal(proto_reader_mem(im->buf, im->len, &r), PROTO_E_CRC);
	im->buf[40] ^= 1;

	/* The writer's view: empty file, short header, bad header. */
	fd = tmpfile_with(im->buf, 0, path);
	assert_int_equal(proto_file_scan_tail(fd, &good_end), PROTO_E_SHORT);
	assert_int_equal(good_end, 0);
	append(fd, im->buf, 30);
	good_end = 99;
	assert_int_equal(proto_file_scan_tail(fd, &good_end), PROTO_E_SHORT);
	assert_int_equal(good_end, 0);
	assert_int_equal(ftruncate(fd, 0), 0);
	append(fd, im->buf, im->len);
	assert_int_equal(proto_file_scan_tail(fd, &good_end), 0);
	assert_int_equal(good_end, im->len);
	assert_int_equal(proto_file_scan_tail_from(fd, im->off[0], &good_end), 0);
	assert_int_equal(good_end, im->len);
	assert_int_equal(pwrite(fd, "Y", 1, 0), 1);
	good_end = 99;
	assert_int_equal(proto_file_scan_tail(fd, &good_end), PROTO_E_MAGIC);
	assert_int_equal(good_end, 99);
	close(fd);
	unlink(path);
	img_free(im);
}

static void
test_damage_then_tail(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	size_t i, skip[1] = {2};
	uint64_t good_end;
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 4; i++)
		img_add(im);
	/* Record 2 damaged, record 3 torn: damage is not counted, all is tail. */
	im->buf[im->off[2] + 50] ^= 1;
	fd = tmpfile_with(im->buf, im->len - 1, path);
	assert_int_equal(proto_reader_fdopen(fd, &r), 0);
	assert_int_equal(read_all(r, im, NULL, 0), 2);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	assert_int_equal(proto_reader_stats(r)->tail_offset, im->off[2]);
	assert_int_equal(proto_reader_stats(r)->tail_len, im->len - 1 - im->off[2]);
	assert_int_equal(proto_file_scan_tail(fd, &good_end), 0);
	assert_int_equal(good_end, im->off[2]);
	/* The last byte arrives: record 3 is good, record 2 becomes damage. */
	append(fd, im->buf + im->len - 1, 1);
	assert_int_equal(read_from(r, im, 2, skip, 1), 1);
	assert_int_equal(proto_reader_stats(r)->damaged, 1);
	assert_int_equal(proto_reader_stats(r)->skipped_bytes, im->off[3] - im->off[2]);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

/*
 * The file is cut under an open reader at a page boundary inside a record
 * (so the rest of that record is on a page the file no longer has: a
 * mapped reader faults there), then written whole again.
 */
static void
test_shrink_under_reader(void **state)
{
	img_t *im = img_new();
	proto_reader_t *r;
	proto_rec_t rec;
	size_t i, k, cut;
	char path[256];
	int fd;

	(void)state;
	for (i = 0; i < 200; i++)
		img_add(im);
	/* a record past what a pread() reader holds after ten records, crossing a page boundary */
	for (k = 20; k < im->nrec - 1 &&
		     (im->off[k] < 98304 || im->off[k] / 4096 == im->off[k + 1] / 4096 ||
		      im->off[k + 1] % 4096 == 0);
	     k++)
		;
	assert_true(k < im->nrec - 1);
	cut = im->off[k + 1] / 4096 * 4096;
	assert_true(cut > im->off[k] + PROTO_REC_HDR_LEN);
	fd = tmpfile_with(im->buf, im->len, path);
	assert_int_equal(proto_reader_fdopen(fd, &r), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, i);
	}
	assert_int_equal(ftruncate(fd, (off_t)cut), 0);
	for (; i < k; i++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, i);
	}
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_reader_stats(r)->tail_offset, im->off[k]);
	assert_int_equal(proto_reader_stats(r)->tail_len, cut - im->off[k]);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	/* whole again: the rest follows */
	assert_int_equal(pwrite(fd, im->buf + cut, im->len - cut, (off_t)cut),
			 (ssize_t)(im->len - cut));
	for (; i < im->nrec; i++) {
		assert_int_equal(proto_reader_next(r, &rec), 1);
		check_rec(&rec, im, i);
	}
	assert_int_equal(proto_reader_next(r, &rec), 0);
	assert_int_equal(proto_reader_stats(r)->damaged, 0);
	assert_int_equal(proto_reader_stats(r)->tail_len, 0);
	assert_int_equal(proto_reader_stats(r)->records, im->nrec);
	proto_reader_free(r);
	close(fd);
	unlink(path);
	img_free(im);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_file_and_mem),
	    cmocka_unit_test(test_damaged_middle_record),
	    cmocka_unit_test(test_garbage_between_records),
	    cmocka_unit_test(test_torn_tail_every_cut),
	    cmocka_unit_test(test_growing_file),
	    cmocka_unit_test(test_stale_buffer),
	    cmocka_unit_test(test_seek),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_damage_then_tail),
	    cmocka_unit_test(test_shrink_under_reader),
	};
	int rc;

	/* file readers map the file; then again with pread() through a buffer */
	unsetenv("VIGIL_READER_PREAD");
	if ((rc = cmocka_run_group_tests_name("mapped", tests, NULL, NULL)) != 0)
		return rc;
	setenv("VIGIL_READER_PREAD", "1", 1);
	return cmocka_run_group_tests_name("pread", tests, NULL, NULL);
}

/*
 * NAME
 *	fuzz_reader.c - libFuzzer target: the storage file reader
 *
 * DESCRIPTION
 *	The input is a storage file, or with the first byte odd, the rest of
 *	the input after a valid file header (so that the fuzzer spends its
 *	time on records). It is read through a memory reader and through a
 *	file reader over a memfd; both must return the same records and
 *	stats, and those must account for every byte after the header
 *	exactly once: good records + skipped stretches + tail = file size.
 *	Each record start is also decoded on its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto.h"
#include "proto_record.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

typedef struct seen {
	uint64_t offset;
	uint16_t len;
	uint32_t crc; /* of the datagram */
} seen_t;

static size_t
walk(proto_reader_t *r, size_t total, seen_t *out, size_t max)
{
	const proto_reader_stats_t *st;
	proto_rec_t rec;
	uint64_t prev_end = PROTO_FILE_HDR_LEN;
	size_t n = 0;
	int rc;

	while ((rc = proto_reader_next(r, &rec)) == 1) {
		CHECK(rec.offset >= prev_end);
		CHECK(rec.len >= 1 && rec.len <= PROTO_MAX_DGRAM);
		CHECK(rec.offset + PROTO_REC_HDR_LEN + rec.len <= total);
		prev_end = rec.offset + PROTO_REC_HDR_LEN + rec.len;
		CHECK(proto_reader_offset(r) == prev_end);
		if (n < max) {
			out[n].offset = rec.offset;
			out[n].len = rec.len;
			out[n].crc = proto_crc32c(0, rec.dgram, rec.len);
		}
		n++;
	}
	CHECK(rc == 0);
	st = proto_reader_stats(r);
	CHECK(st->records == n);
	CHECK(st->record_bytes + st->skipped_bytes + st->tail_len == total - PROTO_FILE_HDR_LEN);
	CHECK(st->tail_len == 0 || st->tail_offset + st->tail_len == total);
	/* At the end, the end again. */
	CHECK(proto_reader_next(r, &rec) == 0);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static seen_t a[4096], b[4096];
	proto_file_hdr_t h = {.date = 20782, .created_ms = 1795608000000ull};
	proto_reader_t *r;
	proto_rec_t rec;
	uint8_t *buf;
	size_t len, na, nb, i;
	int fd, rc_mem, rc_fd;

	if (size == 0)
		return 0;
	if ((buf = malloc(size + PROTO_FILE_HDR_LEN)) == NULL)
		return 0;
	if (data[0] & 1) {
		memset(h.uuid, 0x42, sizeof(h.uuid));
		proto_file_hdr_encode(&h, buf);
		memcpy(buf + PROTO_FILE_HDR_LEN, data + 1, size - 1);
		len = PROTO_FILE_HDR_LEN + size - 1;
	} else {
		memcpy(buf, data, size);
		len = size;
	}

	/* Every offset as a record start: decode never reads past len. */
	for (i = 0; i < len; i++)
		if (proto_rec_decode(buf + i, len - i, &rec) > 0)
			CHECK(rec.dgram + rec.len <= buf + len);

	rc_mem = proto_reader_mem(buf, len, &r);
	na = 0;
	if (rc_mem == 0) {
		na = walk(r, len, a, 4096);
		proto_reader_free(r);
	}

	fd = memfd_create("fuzz_reader", MFD_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, buf, len) == (ssize_t)len) {
			rc_fd = proto_reader_fdopen(fd, &r);
			CHECK(rc_fd == rc_mem);
			if (rc_fd == 0) {
				nb = walk(r, len, b, 4096);
				CHECK(na == nb);
				CHECK(memcmp(a, b, (na < 4096 ? na : 4096) * sizeof(a[0])) == 0);
				proto_reader_free(r);
			}
		}
		close(fd);
	}
	free(buf);
	return 0;
}

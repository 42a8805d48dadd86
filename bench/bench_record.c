/*
 * NAME
 *	bench_record.c - CRC-32C, record encoding and the reader, against memcpy
 *
 * DESCRIPTION
 *	Each figure is printed with its ratio to memcpy of the same bytes,
 *	measured in the same run, so that figures from noisy machines can be
 *	compared. Never part of the tests.
 */
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "proto_record.h"
#include "testutil.h"

#define NREC 40000
#define DLEN 1400

static void
report(const char *what, double secs, double ref, size_t bytes, size_t items)
{
	char name[48];
	size_t i;

	printf("%-28s %8.0f MB/s %10.0f records/s  %.2fx memcpy time\n", what,
	       (double)bytes / secs / 1e6, (double)items / secs, secs / ref);
	for (i = 0; what[i] && i < sizeof(name) - 1; i++)
		name[i] = isalnum((unsigned char)what[i]) ? what[i] : '_';
	name[i] = '\0';
	/* the figure against memcpy of the same bytes in this run */
	printf("BENCH record_%s mb_per_s=%.0f ref=%.0f ratio=%.2f\n", name,
	       (double)bytes / secs / 1e6, (double)bytes / ref / 1e6, ref / secs);
}

int
main(void)
{
	proto_file_hdr_t fh = {.date = 20782, .created_ms = 1};
	proto_rec_meta_t m = {.arrival_ns = 1, .port = 1};
	size_t len = PROTO_FILE_HDR_LEN + (size_t)NREC * (PROTO_REC_HDR_LEN + DLEN), i, off;
	uint8_t *img = malloc(len), *copy = malloc(len);
	volatile uint32_t sink = 0;
	proto_reader_t *r;
	proto_rec_t rec;
	double t0, ref, t;
	int rep;

	if (img == NULL || copy == NULL)
		return 1;
	m.addr[10] = m.addr[11] = 0xff;
	memset(img, 0, len); /* fault the pages in before timing */
	for (i = 0; i < len; i++)
		copy[i] = (uint8_t)(i * 7);

	t0 = tu_now_s();
	for (rep = 0; rep < 5; rep++) {
		memcpy(img, copy, len);
		sink += img[rep];
	}
	ref = (tu_now_s() - t0) / 5;
	report("memcpy (reference)", ref, ref, len, NREC);

	t0 = tu_now_s();
	for (rep = 0; rep < 5; rep++)
		sink += proto_crc32c_sw(0, copy, len);
	report("crc32c slicing-by-8", (tu_now_s() - t0) / 5, ref, len, NREC);
	t0 = tu_now_s();
	for (rep = 0; rep < 5; rep++)
		sink += proto_crc32c_hw(0, copy, len);
	report(proto_crc32c_hw_available() ? "crc32c sse4.2" : "crc32c sse4.2 (absent: sw)",
	       (tu_now_s() - t0) / 5, ref, len, NREC);

	proto_file_hdr_encode(&fh, img);
	t0 = tu_now_s();
	for (i = 0, off = PROTO_FILE_HDR_LEN; i < NREC; i++) {
		proto_rec_encode(&m, copy + off, DLEN, img + off);
		memcpy(img + off + PROTO_REC_HDR_LEN, copy + off, DLEN);
		off += PROTO_REC_HDR_LEN + DLEN;
	}
	report("encode + copy", tu_now_s() - t0, ref, len, NREC);

	t0 = tu_now_s();
	for (rep = 0; rep < 5; rep++) {
		if (proto_reader_mem(img, len, &r) < 0)
			return 1;
		while (proto_reader_next(r, &rec) == 1)
			sink += rec.len;
		proto_reader_free(r);
	}
	t = (tu_now_s() - t0) / 5;
	report("reader (memory)", t, ref, len, NREC);
	free(img);
	free(copy);
	return sink == 42 ? 2 : 0;
}

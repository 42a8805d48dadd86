/*
 * NAME
 *	fuzz_reasm.c - libFuzzer target: the fragment reassembler
 *
 * DESCRIPTION
 *	The input is a sequence of 10-byte operations, each a fragment (or,
 *	with one bit set, an expiry at the current time) over a small key
 *	space, so that fragments of the same frames meet: any order, gaps,
 *	duplicates, contradicting counts, codecs, counters and indexes. A
 *	fragment's payload is a function of (frame, index, count), so a
 *	completed frame can be checked byte for byte. The reassembler's
 *	bounds are small to exercise eviction; they must hold after every
 *	operation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_frag.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define MAX_FRAMES 6
#define MAX_BYTES (96 * 1024)

static size_t
frag_len(uint32_t frame, unsigned index, unsigned count)
{
	return (frame * 97u + index * 31u + count * 7u) % (PROTO_DATA_MAX_PAYLOAD + 1);
}

static uint8_t
frag_byte(uint32_t frame, unsigned index, size_t j)
{
	return (uint8_t)(frame * 13u + index * 5u + j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[PROTO_DATA_MAX_PAYLOAD + 64];
	proto_reasm_t *r;
	proto_data_hdr_t h;
	proto_frame_t f;
	uint64_t now = 1000;
	size_t off, j, i, plen;
	const proto_reasm_stats_t *st;
	int rc;

	if ((r = proto_reasm_new(MAX_FRAMES, MAX_BYTES, 500)) == NULL)
		return 0;
	for (off = 0; off + 10 <= size; off += 10) {
		const uint8_t *op = data + off;

		now += op[9] & 0x3f;
		if (op[9] & 0x80) {
			proto_reasm_expire(r, now);
			continue;
		}
		memset(&h, 0, sizeof(h));
		memset(h.uuid, 0x11 * (op[0] >> 6), PROTO_UUID_LEN);
		h.date = 20782;
		h.session = op[0] & 1;
		h.stream = (op[0] >> 1) & 3;
		h.frame = op[1] & 7;
		h.frag_count = op[2] & 0x40 ? (uint16_t)(op[2] | op[3] << 8) : op[2] & 0x3f;
		h.frag_index = op[4] & 0x40 ? (uint16_t)(op[4] | op[5] << 8) : op[4] & 0x3f;
		h.counter = (uint32_t)(h.frame * 100 + (op[6] & 0x80 ? op[6] : h.frag_index));
		h.codec = op[7] & 1 ? PROTO_C_H264 : PROTO_C_JPEG;
		h.flags = (op[7] >> 1) & 1;
		h.capture_ms = 5000 + h.frame + ((op[7] >> 2) & 1);
		plen = op[8] == 0xff ? PROTO_DATA_MAX_PAYLOAD + 1
				     : frag_len(h.frame, h.frag_index, h.frag_count);
		h.payload_len = (uint16_t)plen;
		for (j = 0; j < plen && j < sizeof(payload); j++)
			payload[j] = frag_byte(h.frame, h.frag_index, j);
		rc = proto_reasm_add(r, &h, payload, now, &f);
		CHECK(rc == 0 || rc == 1 || rc == PROTO_E_FIELD || rc == PROTO_E_OVERSIZE ||
		      rc == PROTO_E_FULL);
		if (rc == 1) {
			size_t pos = 0;

			CHECK(f.frame == h.frame && f.stream == h.stream &&
			      f.frag_count == h.frag_count);
			for (i = 0; i < f.frag_count; i++) {
				size_t n = frag_len(f.frame, (unsigned)i, f.frag_count);

				CHECK(pos + n <= f.len);
				for (j = 0; j < n; j++)
					CHECK(f.data[pos + j] ==
					      frag_byte(f.frame, (unsigned)i, j));
				pos += n;
			}
			CHECK(pos == f.len);
		}
		st = proto_reasm_stats(r);
		CHECK(st->frames <= MAX_FRAMES);
		CHECK(st->bytes <= MAX_BYTES);
		CHECK(st->frames > 0 || st->bytes == 0);
	}
	proto_reasm_free(r);
	return 0;
}

/*
 * NAME
 *	fuzz_sync.c - libFuzzer target for the sync ring messages and the
 *	counter-range set
 *
 * DESCRIPTION
 *	Arbitrary bytes go to both ring-message decoders (what the listener
 *	and syncd read from each other's rings); whatever decodes must
 *	encode again to the same bytes. The same bytes, read as a list of
 *	(lo, count) pairs, are added to a range set, which must stay sorted,
 *	disjoint and agree with a bitmap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_ranges.h"
#include "proto_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[2048], bits[1024];
	proto_sync_report_t r;
	proto_sync_req_t q;
	proto_ranges_t s = {0};
	uint32_t top = 0;
	size_t i;
	int n;

	if (proto_sync_report_decode(data, size, &r) == 0) {
		n = proto_sync_report_encode(&r, out, sizeof(out));
		if (n != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	if (proto_sync_req_decode(data, size, &q) == 0) {
		n = proto_sync_req_encode(&q, out, sizeof(out));
		if (n != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	memset(bits, 0, sizeof(bits));
	for (i = 0; i + 2 <= size; i += 2) {
		uint32_t lo = data[i] * 16u, hi = lo + data[i + 1] % 40;
		if (proto_ranges_add(&s, lo, hi) < 0)
			break;
		if (hi > top)
			top = hi;
		for (uint32_t c = lo; c < hi; c++)
			bits[c / 8] |= (uint8_t)(1u << (c % 8));
	}
	for (i = 0; i < s.n; i++)
		if (s.r[i].lo >= s.r[i].hi || (i && s.r[i - 1].hi >= s.r[i].lo))
			abort();
	/* past the highest range added, the set must hold nothing */
	if (s.n && s.r[s.n - 1].hi > top)
		abort();
	/* the ranges, walked once, agree with the bitmap counter by counter */
	for (uint32_t c = 0, k = 0; c < top; c++) {
		while (k < s.n && s.r[k].hi <= c)
			k++;
		if ((k < s.n && s.r[k].lo <= c) != !!(bits[c / 8] & (1u << (c % 8))))
			abort();
	}
	/* and the lookup agrees at every edge, where an off-by-one would show */
	for (i = 0; i < s.n; i++) {
		uint32_t lo = s.r[i].lo, hi = s.r[i].hi;
		if (!proto_ranges_has(&s, lo) || !proto_ranges_has(&s, hi - 1) ||
		    proto_ranges_has(&s, hi) || (lo > 0 && proto_ranges_has(&s, lo - 1)))
			abort();
	}
	proto_ranges_free(&s);
	return 0;
}

/*
 * NAME
 *	fuzz_notice.c - libFuzzer target for the writer-to-indexer notice
 *
 * DESCRIPTION
 *	A notice slot may hold anything a dying writer left: the decoder
 *	must refuse what is not a whole notice, and what it accepts must
 *	encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[IDX_NOTICE_LEN];
	idx_notice_t n;

	if (idx_notice_decode(data, size, &n) == 0) {
		idx_notice_encode(&n, again);
		if (memcmp(again, data, IDX_NOTICE_LEN))
			abort();
	}
	return 0;
}

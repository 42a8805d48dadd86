/*
 * NAME
 *	fuzz_ckpt.c - libFuzzer target for index checkpoints
 *
 * DESCRIPTION
 *	A checkpoint file beside a day file may be damaged or foreign. The
 *	decoder must refuse what is malformed, and what it accepts must
 *	restore into an index day without reading out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static idx_t *x;
	static char pfx[64];
	idx_ckpt_t c;

	if (x == NULL) {
		snprintf(pfx, sizeof(pfx), "vigilfuzzckpt%d", (int)getpid());
		if (idx_create(pfx, 64, 64u << 20, &x) < 0)
			abort();
		snprintf(pfx + strlen(pfx), sizeof(pfx) - strlen(pfx), "-index");
		shm_seg_unlink(pfx); /* the mapping stays while the process runs */
	}
	if (idx_ckpt_decode(data, size, &c) == 0) {
		idx_reset(x);
		idx_day_t *d = idx_day_get(x, c.uuid, c.date);
		if (d == NULL || idx_ckpt_restore(x, d, &c) < -1000)
			abort();
		idx_range_t r[4];
		(void)idx_day_ranges(x, c.uuid, c.date, r, 4);
	}
	return 0;
}

/*
 * NAME
 *	fuzz_streamer_json.c - libFuzzer target for the streamer's JSON
 *	parser (WebSocket commands and login bodies)
 *
 * DESCRIPTION
 *	Any bytes a viewer sends: the parser must never crash nor read out
 *	of bounds, and what it accepts must hold terminated, bounded fields.
 *	The parser is linked from the streamer's objects (streamer_json.o).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "streamer/streamer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_obj_t o;
	json_buf_t b;
	double x;
	int i;

	if (json_parse_obj((const char *)data, size, &o) == 0) {
		if (o.n > JSON_MAX_FIELDS)
			abort();
		jb_init(&b, 1 << 16);
		for (i = 0; i < o.n; i++) {
			if (strlen(o.f[i].key) >= sizeof(o.f[i].key) ||
			    strlen(o.f[i].str) >= JSON_STR_MAX)
				abort();
			jb_str(&b, o.f[i].str);
		}
		(void)json_str(&o, "op");
		(void)json_num(&o, "from_ms", &x);
		jb_free(&b);
	}
	return 0;
}

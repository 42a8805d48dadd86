/*
 * NAME
 *	idx_notice.c - the writer's "appended" notice to the indexer
 *
 * DESCRIPTION
 *	36 bytes, big-endian: "VNOT", version 1 (u16), reserved 0 (u16),
 *	camera UUID (16), date (u32), file end (u64). The decoder refuses
 *	anything else, so a corrupt slot is ignored (the indexer's rescan
 *	covers whatever it would have announced).
 */
#include <errno.h>
#include <string.h>

#include "idx.h"
#include "proto.h"

void
idx_notice_encode(const idx_notice_t *n, uint8_t out[IDX_NOTICE_LEN])
{
	memcpy(out, "VNOT", 4);
	proto_put16(out + 4, 1);
	proto_put16(out + 6, 0);
	memcpy(out + 8, n->uuid, 16);
	proto_put32(out + 24, n->date);
	proto_put64(out + 28, n->end);
}

int
idx_notice_decode(const uint8_t *buf, size_t len, idx_notice_t *out)
{
	if (len != IDX_NOTICE_LEN || memcmp(buf, "VNOT", 4) || proto_get16(buf + 4) != 1 ||
	    proto_get16(buf + 6) != 0)
		return -EINVAL;
	memcpy(out->uuid, buf + 8, 16);
	out->date = proto_get32(buf + 24);
	out->end = proto_get64(buf + 28);
	if (out->end < 64) /* never shorter than a file header */
		return -EINVAL;
	return 0;
}

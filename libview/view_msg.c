/*
 * NAME
 *	view_msg.c - encode and decode the streamer's binary messages
 *
 * DESCRIPTION
 *	Byte layouts of docs/PROTOCOL.md, "Streamer API"; big-endian.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "view.h"

void
view_frame_key_encode(const view_frame_key_t *k, uint8_t out[VIEW_FRAME_KEY_LEN])
{
	memset(out, 0, VIEW_FRAME_KEY_LEN);
	out[0] = VIEW_KIND_FRAME_KEY;
	memcpy(out + 4, k->uuid, 16);
	proto_put32(out + 20, k->date);
	proto_put32(out + 24, k->session);
	out[28] = k->stream;
	proto_put32(out + 32, k->frame);
	memcpy(out + 36, k->key, 32);
}

int
view_frame_key_decode(const uint8_t *b, size_t len, view_frame_key_t *k)
{
	if (len != VIEW_FRAME_KEY_LEN || b[0] != VIEW_KIND_FRAME_KEY || b[1] || b[2] || b[3] ||
	    b[29] || b[30] || b[31])
		return -EINVAL;
	memcpy(k->uuid, b + 4, 16);
	k->date = proto_get32(b + 20);
	k->session = proto_get32(b + 24);
	k->stream = b[28];
	k->frame = proto_get32(b + 32);
	memcpy(k->key, b + 36, 32);
	return 0;
}

void
view_datagram_hdr(uint8_t flags, uint8_t out[VIEW_DATAGRAM_HDR_LEN])
{
	out[0] = VIEW_KIND_DATAGRAM;
	out[1] = flags;
	out[2] = 0;
	out[3] = 0;
}

/*
 * NAME
 *	view.h - the streamer's binary WebSocket messages to viewers
 *
 * DESCRIPTION
 *	docs/PROTOCOL.md, "Streamer API": kind 1 DATAGRAM (4-byte header,
 *	then the stored datagram) and kind 2 FRAME_KEY (68 bytes). Shared
 *	by the streamer, the tests' viewer and the benchmark, so that the
 *	layout lives in one place.
 */
#ifndef VIGIL_VIEW_H
#define VIGIL_VIEW_H

#include <stddef.h>
#include <stdint.h>

#define VIEW_KIND_DATAGRAM 1
#define VIEW_KIND_FRAME_KEY 2
#define VIEW_DATAGRAM_HDR_LEN 4
#define VIEW_FRAME_KEY_LEN 68
#define VIEW_F_LIVE 0x01

typedef struct view_frame_key {
	uint8_t uuid[16];
	uint32_t date, session;
	uint8_t stream;
	uint32_t frame;
	uint8_t key[32];
} view_frame_key_t;

void view_frame_key_encode(const view_frame_key_t *k, uint8_t out[VIEW_FRAME_KEY_LEN]);
/* 0, or -EINVAL for a wrong kind, length or reserved byte. */
int view_frame_key_decode(const uint8_t *buf, size_t len, view_frame_key_t *out);
void view_datagram_hdr(uint8_t flags, uint8_t out[VIEW_DATAGRAM_HDR_LEN]);

#endif

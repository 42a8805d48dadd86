/*
 * NAME
 *	proto_frag.h - splitting frames into data datagrams and reassembling
 *
 * DESCRIPTION
 *	A frame of up to PROTO_MAX_FRAME bytes travels in frag_count data
 *	datagrams with consecutive counters: fragment i has counter
 *	first_counter + i and frag_index i, and every fragment carries the
 *	same session, stream, codec, flags, capture_ms, frame and
 *	frag_count. The splitter cuts a frame into fragments of max_payload
 *	bytes (PROTO_DATA_MAX_PAYLOAD, or less: PROTO_DATA_MAX_PAYLOAD_V6 on
 *	IPv6), the last one shorter; the reassembler accepts any split and
 *	concatenates the payloads in index order.
 *
 *	The reassembler keys frames by (uuid, date, session, stream, frame),
 *	accepts fragments in any order, counts and drops duplicates (also of
 *	a frame it completed recently), rejects fragments inconsistent with
 *	the ones already held, and bounds its memory: at most max_frames
 *	frames and max_bytes bytes in flight; past either bound the oldest
 *	incomplete frame is evicted and counted. A frame whose fragments
 *	stop arriving is dropped by proto_reasm_expire() timeout_ms after its
 *	first fragment arrived. now_ms is any clock that does not go back.
 *
 *	A reassembler is used by one thread at a time.
 */
#ifndef VIGIL_PROTO_FRAG_H
#define VIGIL_PROTO_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * Number of fragments for a frame of frame_len bytes (1 for an empty
 * frame), or PROTO_E_OVERSIZE (frame_len > PROTO_MAX_FRAME, or more than
 * 65535 fragments), or PROTO_E_FIELD (max_payload 0 or above
 * PROTO_DATA_MAX_PAYLOAD).
 */
int proto_frag_count(size_t frame_len, size_t max_payload);
/* Offset and length of fragment index; PROTO_E_FIELD if index >= count. */
int proto_frag_slice(size_t frame_len, size_t max_payload, unsigned index, size_t *off,
		     size_t *len);

typedef struct proto_reasm proto_reasm_t;

/* A reassembled frame. */
typedef struct proto_frame {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t session;
	uint8_t stream;
	uint8_t codec;
	uint8_t flags;
	uint32_t frame;
	uint32_t first_counter;
	uint16_t frag_count;
	uint64_t capture_ms;
	const uint8_t *data; /* frag payloads in index order; see proto_reasm_add() */
	size_t len;
} proto_frame_t;

typedef struct proto_reasm_stats {
	uint64_t completed;  /* frames returned */
	uint64_t expired;    /* incomplete frames dropped by proto_reasm_expire() */
	uint64_t evicted;    /* incomplete frames dropped to stay within the bounds */
	uint64_t duplicates; /* fragments already held or of a completed frame */
	uint64_t rejected;   /* fragments refused with an error */
	uint64_t frames;     /* incomplete frames held now */
	uint64_t bytes;      /* bytes charged to them now */
} proto_reasm_stats_t;

/*
 * max_frames >= 1, max_bytes >= PROTO_MAX_FRAME is sensible (a smaller
 * bound refuses larger frames with PROTO_E_FULL). Returns NULL when out
 * of memory or max_frames is 0. Free with proto_reasm_free().
 */
proto_reasm_t *proto_reasm_new(size_t max_frames, size_t max_bytes, uint64_t timeout_ms);
void proto_reasm_free(proto_reasm_t *r);

/*
 * Add one fragment: h is its decoded data header, payload its
 * h->payload_len plaintext bytes. Returns 1 when the fragment completed
 * a frame, filling out: out->data points into memory owned by r (or into
 * payload for a one-fragment frame) and stays valid until the next call
 * on r. Returns 0 when the frame is still pending or the fragment was a
 * duplicate; a negative error when the fragment is refused:
 * PROTO_E_FIELD (frag_count 0, frag_index >= frag_count, counter not
 * first_counter + frag_index, frag_count/codec/flags/capture_ms not those
 * of the frame's other fragments), PROTO_E_OVERSIZE (payload above
 * PROTO_DATA_MAX_PAYLOAD, frame above PROTO_MAX_FRAME), PROTO_E_FULL
 * (the frame alone exceeds max_bytes), PROTO_E_NOMEM. A refused fragment
 * leaves the frame's other fragments in place.
 */
int proto_reasm_add(proto_reasm_t *r, const proto_data_hdr_t *h, const uint8_t *payload,
		    uint64_t now_ms, proto_frame_t *out);
/* Drop incomplete frames whose first fragment is timeout_ms old; returns how many. */
size_t proto_reasm_expire(proto_reasm_t *r, uint64_t now_ms);
const proto_reasm_stats_t *proto_reasm_stats(const proto_reasm_t *r);

#endif

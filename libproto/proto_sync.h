/*
 * NAME
 *	proto_sync.h - the messages of the sync rings between the listener
 *	and syncd
 *
 * DESCRIPTION
 *	Two rings join the listener and vigil-syncd (docs/PROTOCOL.md,
 *	"Sync rings"): the listener forwards every authenticated REPORT
 *	(PROTO_SYNC_REPORT), syncd asks the listener to send a MISSING or a
 *	CONFIRM to a camera (PROTO_SYNC_REQUEST). Each message is versioned
 *	and typed; decoders reject a short, long or unexpected message.
 *
 *	Encoders return the length written, decoders 0; both return a
 *	negative proto_err on failure.
 */
#ifndef VIGIL_PROTO_SYNC_H
#define VIGIL_PROTO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define PROTO_SYNC_VERSION 1
#define PROTO_SYNC_HDR_LEN 32

enum proto_sync_kind {
	PROTO_SYNC_REPORT = 1,  /* listener -> syncd */
	PROTO_SYNC_REQUEST = 2, /* syncd -> listener */
};

/* An authenticated REPORT: who sent it, and its decoded body. */
typedef struct proto_sync_report {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;    /* the report datagram's date */
	uint32_t session; /* its session */
	uint32_t counter; /* its counter */
	proto_report_t r;
} proto_sync_report_t;

/* A server-to-camera message for the listener to seal and send. */
typedef struct proto_sync_req {
	uint8_t type; /* PROTO_T_MISSING or PROTO_T_CONFIRM */
	uint8_t uuid[PROTO_UUID_LEN];
	proto_missing_t m; /* same body for both */
} proto_sync_req_t;

int proto_sync_report_encode(const proto_sync_report_t *s, uint8_t *buf, size_t cap);
int proto_sync_report_decode(const uint8_t *buf, size_t len, proto_sync_report_t *out);
int proto_sync_req_encode(const proto_sync_req_t *q, uint8_t *buf, size_t cap);
int proto_sync_req_decode(const uint8_t *buf, size_t len, proto_sync_req_t *out);

#endif

/*
 * NAME
 *	sync.c - the messages of the sync rings
 *
 * DESCRIPTION
 *	See proto_sync.h. Ring messages (docs/PROTOCOL.md, "Sync rings")
 *	start with a 4-byte header: kind, version, two reserved zero bytes.
 *	A REPORT message then carries the camera UUID, the report
 *	datagram's date, session and counter, and the report body as on the
 *	wire; a REQUEST carries the wire type (MISSING or CONFIRM), three
 *	reserved bytes, the UUID, and the MISSING body as on the wire.
 */
#include <string.h>

#include "proto_sync.h"

static int
bad(int err, const char *what)
{
	proto_set_errmsg("sync message: %s", what);
	return err;
}

int
proto_sync_report_encode(const proto_sync_report_t *s, uint8_t *buf, size_t cap)
{
	int n;

	if (cap < PROTO_SYNC_HDR_LEN)
		return PROTO_E_SHORT;
	memset(buf, 0, PROTO_SYNC_HDR_LEN);
	buf[0] = PROTO_SYNC_REPORT;
	buf[1] = PROTO_SYNC_VERSION;
	memcpy(buf + 4, s->uuid, PROTO_UUID_LEN);
	proto_put32(buf + 20, s->date);
	proto_put32(buf + 24, s->session);
	proto_put32(buf + 28, s->counter);
	if ((n = proto_report_encode(&s->r, buf + PROTO_SYNC_HDR_LEN, cap - PROTO_SYNC_HDR_LEN)) <
	    0)
		return n;
	return PROTO_SYNC_HDR_LEN + n;
}

static int
hdr_check(const uint8_t *buf, size_t len, int kind, size_t min)
{
	if (len < min)
		return bad(PROTO_E_SHORT, "short");
	if (buf[0] != kind)
		return bad(PROTO_E_TYPE, "unexpected kind");
	if (buf[1] != PROTO_SYNC_VERSION)
		return bad(PROTO_E_VERSION, "unknown version");
	if (buf[2] || buf[3])
		return bad(PROTO_E_FIELD, "reserved bytes");
	return 0;
}

int
proto_sync_report_decode(const uint8_t *buf, size_t len, proto_sync_report_t *out)
{
	int rc;

	if ((rc = hdr_check(buf, len, PROTO_SYNC_REPORT, PROTO_SYNC_HDR_LEN)) < 0)
		return rc;
	memcpy(out->uuid, buf + 4, PROTO_UUID_LEN);
	out->date = proto_get32(buf + 20);
	out->session = proto_get32(buf + 24);
	out->counter = proto_get32(buf + 28);
	return proto_report_decode(buf + PROTO_SYNC_HDR_LEN, len - PROTO_SYNC_HDR_LEN, &out->r);
}

int
proto_sync_req_encode(const proto_sync_req_t *q, uint8_t *buf, size_t cap)
{
	int n;

	if (q->type != PROTO_T_MISSING && q->type != PROTO_T_CONFIRM)
		return PROTO_E_TYPE;
	if (cap < 24)
		return PROTO_E_SHORT;
	memset(buf, 0, 24);
	buf[0] = PROTO_SYNC_REQUEST;
	buf[1] = PROTO_SYNC_VERSION;
	buf[4] = q->type;
	memcpy(buf + 8, q->uuid, PROTO_UUID_LEN);
	if ((n = proto_missing_encode(&q->m, buf + 24, cap - 24)) < 0)
		return n;
	return 24 + n;
}

int
proto_sync_req_decode(const uint8_t *buf, size_t len, proto_sync_req_t *out)
{
	int rc;

	if ((rc = hdr_check(buf, len, PROTO_SYNC_REQUEST, 24)) < 0)
		return rc;
	if (buf[4] != PROTO_T_MISSING && buf[4] != PROTO_T_CONFIRM)
		return bad(PROTO_E_TYPE, "request type");
	if (buf[5] || buf[6] || buf[7])
		return bad(PROTO_E_FIELD, "reserved bytes");
	out->type = buf[4];
	memcpy(out->uuid, buf + 8, PROTO_UUID_LEN);
	return proto_missing_decode(buf + 24, len - 24, &out->m);
}

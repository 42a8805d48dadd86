/*
 * NAME
 *	wire.c - decode and encode the clear parts of vigil datagrams
 *
 * DESCRIPTION
 *	Everything here works without keys: the 24-byte prefix, the clear
 *	headers of each message type and the plaintext bodies of control
 *	messages. Every decoder checks every field it can and returns a
 *	distinct proto_err; none reads past the length it is given.
 *	Layouts: docs/PROTOCOL.md.
 */
#include <string.h>

#include "proto.h"

static int
fail(int err, const char *what)
{
	proto_set_errmsg("%s: %s", what, proto_strerror(err));
	return err;
}

int
proto_prefix_decode(const uint8_t *buf, size_t len, proto_prefix_t *out)
{
	if (len > PROTO_MAX_DGRAM)
		return fail(PROTO_E_OVERSIZE, "datagram");
	if (len < PROTO_PREFIX_LEN)
		return fail(PROTO_E_SHORT, "prefix");
	if (buf[0] != PROTO_MAGIC0 || buf[1] != PROTO_MAGIC1)
		return fail(PROTO_E_MAGIC, "prefix");
	if (buf[2] != PROTO_VERSION)
		return fail(PROTO_E_VERSION, "prefix");
	if (buf[3] < PROTO_T_HELLO || buf[3] > PROTO_T_COOKIE)
		return fail(PROTO_E_TYPE, "prefix");
	out->version = buf[2];
	out->type = buf[3];
	memcpy(out->uuid, buf + 4, PROTO_UUID_LEN);
	out->date = proto_get32(buf + 20);
	return out->type;
}

int
proto_dgram_peek(const uint8_t *dg, size_t len, proto_data_hdr_t *h)
{
	memset(h, 0, sizeof(*h));
	if (len < 4)
		return 0;
	h->type = dg[3];
	if (len >= PROTO_PREFIX_LEN) {
		memcpy(h->uuid, dg + 4, PROTO_UUID_LEN);
		h->date = proto_get32(dg + 20);
	}
	if (len >= 28)
		h->counter = proto_get32(dg + 24);
	if (len >= PROTO_C2S_HDR_LEN)
		h->session = proto_get32(dg + 28);
	if (h->type == PROTO_T_DATA && len >= PROTO_DATA_HDR_LEN) {
		h->stream = dg[32];
		h->codec = dg[33];
		h->flags = dg[34];
		h->frame = proto_get32(dg + 36);
		h->frag_index = proto_get16(dg + 40);
		h->frag_count = proto_get16(dg + 42);
		h->capture_ms = proto_get64(dg + 44);
		h->payload_len = proto_get16(dg + 52);
	}
	return h->type;
}

static void
prefix_encode(uint8_t *buf, uint8_t type, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date)
{
	buf[0] = PROTO_MAGIC0;
	buf[1] = PROTO_MAGIC1;
	buf[2] = PROTO_VERSION;
	buf[3] = type;
	memcpy(buf + 4, uuid, PROTO_UUID_LEN);
	proto_put32(buf + 20, date);
}

static int
expect_type(const uint8_t *buf, size_t len, int want, proto_prefix_t *p)
{
	int t = proto_prefix_decode(buf, len, p);

	if (t < 0)
		return t;
	if (t != want)
		return fail(PROTO_E_TYPE, "unexpected type");
	return 0;
}

/* Which codecs a stream may carry. */
static int
codec_valid(uint8_t stream, uint8_t codec)
{
	switch (stream) {
	case PROTO_S_VIDEO:
		return codec == PROTO_C_H264 || codec == PROTO_C_H265 || codec == PROTO_C_JPEG;
	case PROTO_S_AUDIO: return codec == PROTO_C_OPUS;
	case PROTO_S_TELEMETRY: return codec == PROTO_C_TELEMETRY;
	default: return 0;
	}
}

static int
data_fields_valid(const proto_data_hdr_t *h)
{
	if (!codec_valid(h->stream, h->codec))
		return fail(PROTO_E_FIELD, "data stream/codec");
	if (h->flags & ~PROTO_F_KEYFRAME)
		return fail(PROTO_E_FIELD, "data flags");
	if ((h->flags & PROTO_F_KEYFRAME) && h->stream != PROTO_S_VIDEO)
		return fail(PROTO_E_FIELD, "keyframe flag on a non-video stream");
	if (h->frag_count == 0 || h->frag_index >= h->frag_count)
		return fail(PROTO_E_FIELD, "data fragment index/count");
	if (h->payload_len > PROTO_DATA_MAX_PAYLOAD)
		return fail(PROTO_E_OVERSIZE, "data payload");
	return 0;
}

int
proto_data_hdr_decode(const uint8_t *buf, size_t len, proto_data_hdr_t *h)
{
	proto_prefix_t p;
	int rc;

	if ((rc = expect_type(buf, len, PROTO_T_DATA, &p)) < 0)
		return rc;
	if (len < PROTO_DATA_HDR_LEN + PROTO_TAG_LEN)
		return fail(PROTO_E_SHORT, "data header");
	if (buf[35] != 0 || proto_get16(buf + 54) != 0)
		return fail(PROTO_E_FIELD, "data reserved bytes");
	h->type = p.type;
	memcpy(h->uuid, p.uuid, PROTO_UUID_LEN);
	h->date = p.date;
	h->counter = proto_get32(buf + 24);
	h->session = proto_get32(buf + 28);
	h->stream = buf[32];
	h->codec = buf[33];
	h->flags = buf[34];
	h->frame = proto_get32(buf + 36);
	h->frag_index = proto_get16(buf + 40);
	h->frag_count = proto_get16(buf + 42);
	h->capture_ms = proto_get64(buf + 44);
	h->payload_len = proto_get16(buf + 52);
	if ((rc = data_fields_valid(h)) < 0)
		return rc;
	if ((size_t)PROTO_DATA_HDR_LEN + h->payload_len + PROTO_TAG_LEN != len)
		return fail(PROTO_E_LENGTH, "data payload length");
	return 0;
}

int
proto_data_hdr_encode(const proto_data_hdr_t *h, uint8_t *buf)
{
	int rc;

	if ((rc = data_fields_valid(h)) < 0)
		return rc;
	prefix_encode(buf, PROTO_T_DATA, h->uuid, h->date);
	proto_put32(buf + 24, h->counter);
	proto_put32(buf + 28, h->session);
	buf[32] = h->stream;
	buf[33] = h->codec;
	buf[34] = h->flags;
	buf[35] = 0;
	proto_put32(buf + 36, h->frame);
	proto_put16(buf + 40, h->frag_index);
	proto_put16(buf + 42, h->frag_count);
	proto_put64(buf + 44, h->capture_ms);
	proto_put16(buf + 52, h->payload_len);
	proto_put16(buf + 54, 0);
	return PROTO_DATA_HDR_LEN;
}

static int
rsa_len_valid(uint16_t n)
{
	return n == 256 || n == 384 || n == 512;
}

int
proto_hello_decode(const uint8_t *buf, size_t len, proto_hello_t *h)
{
	proto_prefix_t p;
	int rc;

	if ((rc = expect_type(buf, len, PROTO_T_HELLO, &p)) < 0)
		return rc;
	if (len < PROTO_HELLO_FIXED_LEN)
		return fail(PROTO_E_SHORT, "hello header");
	memcpy(h->uuid, p.uuid, PROTO_UUID_LEN);
	h->date = p.date;
	h->counter = proto_get32(buf + 24);
	if (proto_get32(buf + 28) != h->counter)
		return fail(PROTO_E_FIELD, "hello session != counter");
	h->boot_id = proto_get32(buf + 32);
	h->camera_ms = proto_get64(buf + 36);
	memcpy(h->hello_id, buf + 44, PROTO_HELLO_ID_LEN);
	h->wrapped_len = proto_get16(buf + 60);
	h->sig_len = proto_get16(buf + 62);
	if (!rsa_len_valid(h->wrapped_len) || !rsa_len_valid(h->sig_len))
		return fail(PROTO_E_FIELD, "hello RSA lengths");
	if ((size_t)PROTO_HELLO_FIXED_LEN + h->wrapped_len + h->sig_len != len)
		return fail(len < (size_t)PROTO_HELLO_FIXED_LEN + h->wrapped_len + h->sig_len
				? PROTO_E_SHORT
				: PROTO_E_LENGTH,
			    "hello length");
	h->wrapped = buf + PROTO_HELLO_FIXED_LEN;
	h->signed_len = PROTO_HELLO_FIXED_LEN + h->wrapped_len;
	h->sig = buf + h->signed_len;
	return 0;
}

int
proto_hello_hdr_encode(const proto_hello_t *h, uint8_t *buf)
{
	if (!rsa_len_valid(h->wrapped_len) || !rsa_len_valid(h->sig_len))
		return fail(PROTO_E_FIELD, "hello RSA lengths");
	prefix_encode(buf, PROTO_T_HELLO, h->uuid, h->date);
	proto_put32(buf + 24, h->counter);
	proto_put32(buf + 28, h->counter);
	proto_put32(buf + 32, h->boot_id);
	proto_put64(buf + 36, h->camera_ms);
	memcpy(buf + 44, h->hello_id, PROTO_HELLO_ID_LEN);
	proto_put16(buf + 60, h->wrapped_len);
	proto_put16(buf + 62, h->sig_len);
	return PROTO_HELLO_FIXED_LEN;
}

int
proto_c2s_hdr_decode(const uint8_t *buf, size_t len, proto_c2s_hdr_t *h)
{
	proto_prefix_t p;
	int t = proto_prefix_decode(buf, len, &p);

	if (t < 0)
		return t;
	if (t != PROTO_T_REPORT && t != PROTO_T_BYE)
		return fail(PROTO_E_TYPE, "not a camera control message");
	if (len < PROTO_C2S_HDR_LEN + PROTO_TAG_LEN)
		return fail(PROTO_E_SHORT, "control header");
	h->type = (uint8_t)t;
	memcpy(h->uuid, p.uuid, PROTO_UUID_LEN);
	h->date = p.date;
	h->counter = proto_get32(buf + 24);
	h->session = proto_get32(buf + 28);
	h->body_len = len - PROTO_C2S_HDR_LEN - PROTO_TAG_LEN;
	return 0;
}

int
proto_c2s_hdr_encode(uint8_t type, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		     uint32_t counter, uint32_t session, uint8_t *buf)
{
	if (type != PROTO_T_REPORT && type != PROTO_T_BYE)
		return fail(PROTO_E_TYPE, "not a camera control message");
	prefix_encode(buf, type, uuid, date);
	proto_put32(buf + 24, counter);
	proto_put32(buf + 28, session);
	return PROTO_C2S_HDR_LEN;
}

int
proto_type_is_s2c(int type)
{
	return type == PROTO_T_HELLO_ACK || type == PROTO_T_MISSING || type == PROTO_T_RR ||
	       type == PROTO_T_CONFIRM;
}

int
proto_s2c_hdr_decode(const uint8_t *buf, size_t len, proto_s2c_hdr_t *h)
{
	proto_prefix_t p;
	int t = proto_prefix_decode(buf, len, &p);

	if (t < 0)
		return t;
	if (!proto_type_is_s2c(t))
		return fail(PROTO_E_TYPE, "not a server message");
	if (len < PROTO_S2C_HDR_LEN + PROTO_TAG_LEN)
		return fail(PROTO_E_SHORT, "server header");
	h->type = (uint8_t)t;
	memcpy(h->uuid, p.uuid, PROTO_UUID_LEN);
	h->date = p.date;
	h->session = proto_get32(buf + 24);
	memcpy(h->nonce, buf + 28, PROTO_NONCE_LEN);
	h->body_len = len - PROTO_S2C_HDR_LEN - PROTO_TAG_LEN;
	return 0;
}

int
proto_s2c_hdr_encode(uint8_t type, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		     uint32_t session, const uint8_t nonce[PROTO_NONCE_LEN], uint8_t *buf)
{
	if (!proto_type_is_s2c(type))
		return fail(PROTO_E_TYPE, "not a server message");
	prefix_encode(buf, type, uuid, date);
	proto_put32(buf + 24, session);
	memcpy(buf + 28, nonce, PROTO_NONCE_LEN);
	return PROTO_S2C_HDR_LEN;
}

/* --- bodies --------------------------------------------------------- */

/*
 * Report and missing bodies are both a count (u16), a reserved u16 and
 * that many entries of three u32; the structs mirror the entries.
 */
_Static_assert(sizeof(proto_report_day_t) == 12, "report entry is three u32");
_Static_assert(sizeof(proto_range_t) == 12, "missing entry is three u32");

static int
triples_encode(const uint32_t *t, uint16_t n, uint8_t *buf, size_t cap, const char *what)
{
	size_t need = 4 + (size_t)n * 12, i;

	if (cap < need)
		return fail(PROTO_E_SHORT, what);
	proto_put16(buf, n);
	proto_put16(buf + 2, 0);
	for (i = 0; i < (size_t)n * 3; i++)
		proto_put32(buf + 4 + i * 4, t[i]);
	return (int)need;
}

static int
triples_decode(const uint8_t *buf, size_t len, uint32_t *t, uint16_t *n, uint16_t min, uint16_t max,
	       int count_err, const char *what)
{
	size_t i;

	if (len < 4)
		return fail(PROTO_E_SHORT, what);
	*n = proto_get16(buf);
	if (proto_get16(buf + 2) != 0)
		return fail(PROTO_E_FIELD, what);
	if (*n < min || *n > max)
		return fail(count_err, what);
	if (len != 4 + (size_t)*n * 12)
		return fail(PROTO_E_LENGTH, what);
	for (i = 0; i < (size_t)*n * 3; i++)
		t[i] = proto_get32(buf + 4 + i * 4);
	return 0;
}

int
proto_report_encode(const proto_report_t *r, uint8_t *buf, size_t cap)
{
	if (r->n > PROTO_REPORT_MAX_DAYS)
		return fail(PROTO_E_OVERSIZE, "report days");
	return triples_encode(&r->day[0].date, r->n, buf, cap, "report buffer");
}

int
proto_report_decode(const uint8_t *buf, size_t len, proto_report_t *r)
{
	int rc, i;

	rc = triples_decode(buf, len, &r->day[0].date, &r->n, 0, PROTO_REPORT_MAX_DAYS,
			    PROTO_E_OVERSIZE, "report body");
	if (rc < 0)
		return rc;
	for (i = 0; i < r->n; i++)
		if (r->day[i].oldest_held > r->day[i].next_counter)
			return fail(PROTO_E_FIELD, "report oldest_held > next_counter");
	return 0;
}

static int
ranges_valid(const proto_missing_t *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->range[i].count == 0 ||
		    (uint64_t)m->range[i].first + m->range[i].count > UINT32_MAX + 1ull)
			return fail(PROTO_E_FIELD, "missing range");
	return 0;
}

/* MISSING and CONFIRM: 1..100 ranges of (date, first, count >= 1). */
static int
ranges_encode(const proto_missing_t *m, uint8_t *buf, size_t cap, const char *what)
{
	int rc;

	if (m->n == 0 || m->n > PROTO_MISSING_MAX_RANGES)
		return fail(PROTO_E_FIELD, what);
	if ((rc = ranges_valid(m)) < 0)
		return rc;
	return triples_encode(&m->range[0].date, m->n, buf, cap, what);
}

static int
ranges_decode(const uint8_t *buf, size_t len, proto_missing_t *m, const char *what)
{
	int rc;

	rc = triples_decode(buf, len, &m->range[0].date, &m->n, 1, PROTO_MISSING_MAX_RANGES,
			    PROTO_E_FIELD, what);
	return rc < 0 ? rc : ranges_valid(m);
}

int
proto_missing_encode(const proto_missing_t *m, uint8_t *buf, size_t cap)
{
	return ranges_encode(m, buf, cap, "missing");
}

int
proto_missing_decode(const uint8_t *buf, size_t len, proto_missing_t *m)
{
	return ranges_decode(buf, len, m, "missing body");
}

int
proto_confirm_encode(const proto_confirm_t *m, uint8_t *buf, size_t cap)
{
	return ranges_encode(m, buf, cap, "confirm");
}

int
proto_confirm_decode(const uint8_t *buf, size_t len, proto_confirm_t *m)
{
	return ranges_decode(buf, len, m, "confirm body");
}

int
proto_rr_encode(const proto_rr_t *r, uint8_t *buf, size_t cap)
{
	if (cap < 20)
		return fail(PROTO_E_SHORT, "rr buffer");
	proto_put32(buf, r->interval_ms);
	proto_put32(buf + 4, r->expected);
	proto_put32(buf + 8, r->received);
	proto_put32(buf + 12, r->bytes);
	proto_put32(buf + 16, r->highest_counter);
	return 20;
}

int
proto_rr_decode(const uint8_t *buf, size_t len, proto_rr_t *r)
{
	if (len != 20)
		return fail(len < 20 ? PROTO_E_SHORT : PROTO_E_LENGTH, "rr body");
	r->interval_ms = proto_get32(buf);
	r->expected = proto_get32(buf + 4);
	r->received = proto_get32(buf + 8);
	r->bytes = proto_get32(buf + 12);
	r->highest_counter = proto_get32(buf + 16);
	if (r->received > r->expected)
		return fail(PROTO_E_FIELD, "rr received > expected");
	return 0;
}

int
proto_hello_ack_encode(const proto_hello_ack_t *a, uint8_t *buf, size_t cap)
{
	if (cap < 16)
		return fail(PROTO_E_SHORT, "hello-ack buffer");
	buf[0] = a->status;
	buf[1] = buf[2] = buf[3] = 0;
	proto_put64(buf + 4, a->server_ms);
	proto_put32(buf + 12, a->next_counter);
	return 16;
}

int
proto_hello_ack_decode(const uint8_t *buf, size_t len, proto_hello_ack_t *a)
{
	if (len != 16)
		return fail(len < 16 ? PROTO_E_SHORT : PROTO_E_LENGTH, "hello-ack body");
	if (buf[1] | buf[2] | buf[3])
		return fail(PROTO_E_FIELD, "hello-ack reserved");
	if (buf[0] > PROTO_ACK_REUSED)
		return fail(PROTO_E_FIELD, "hello-ack status");
	a->status = buf[0];
	a->server_ms = proto_get64(buf + 4);
	a->next_counter = proto_get32(buf + 12);
	return 0;
}

int
proto_bye_encode(const proto_bye_t *b, uint8_t *buf, size_t cap)
{
	if (cap < 4)
		return fail(PROTO_E_SHORT, "bye buffer");
	proto_put32(buf, b->reason);
	return 4;
}

int
proto_bye_decode(const uint8_t *buf, size_t len, proto_bye_t *b)
{
	if (len != 4)
		return fail(len < 4 ? PROTO_E_SHORT : PROTO_E_LENGTH, "bye body");
	b->reason = proto_get32(buf);
	return 0;
}

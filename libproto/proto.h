/*
 * NAME
 *	proto.h - vigil wire protocol: constants, message layouts, errors
 *
 * DESCRIPTION
 *	Every datagram between a camera and the server starts with the same
 *	24-byte prefix (magic, version, type, camera UUID, UTC date). All
 *	integers on the wire are big-endian. docs/PROTOCOL.md is the byte-exact
 *	specification; the offsets below are its single source in code.
 *
 *	Camera-to-server messages (hello, data, report, bye) each take the
 *	next value of the camera's per-day counter and are stored by the
 *	server exactly as received. Server-to-camera messages (hello-ack,
 *	missing, receiver report, confirm) carry a random 96-bit nonce
 *	instead of a counter and are never stored; the cookie (cookie.c) is
 *	the one server-to-camera message that is not sealed.
 *
 *	Functions return 0 (or a length) on success and a negative error
 *	on failure, a proto_err or -errno, both named by proto_strerror();
 *	they never print and never exit. A short per-thread error string
 *	with context is kept: proto_errmsg().
 */
#ifndef VIGIL_PROTO_H
#define VIGIL_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/types.h>

#define PROTO_MAGIC0 0x56 /* 'V' */
#define PROTO_MAGIC1 0x47 /* 'G' */
#define PROTO_VERSION 1

#define PROTO_MAX_DGRAM 1472    /* IPv4: 1500 - 20 - 8 */
#define PROTO_MAX_DGRAM_V6 1452 /* IPv6: 1500 - 40 - 8 */
#define PROTO_UUID_LEN 16
#define PROTO_SECRET_LEN 32
#define PROTO_KEY_LEN 32
#define PROTO_TAG_LEN 16
#define PROTO_NONCE_LEN 12
#define PROTO_HELLO_ID_LEN 16
#define PROTO_MAX_FRAME (4u << 20) /* 4 MiB */

/* Message types (byte 3). */
enum proto_type {
	PROTO_T_HELLO = 1,     /* c2s, RSA-signed, stored */
	PROTO_T_HELLO_ACK = 2, /* s2c, sealed with the s2c key */
	PROTO_T_DATA = 3,      /* c2s, sealed with a frame key, stored */
	PROTO_T_REPORT = 4,    /* c2s, sealed with a control key, stored */
	PROTO_T_MISSING = 5,   /* s2c */
	PROTO_T_RR = 6,        /* s2c receiver report */
	PROTO_T_BYE = 7,       /* c2s, sealed with a control key, stored */
	PROTO_T_CONFIRM = 8,   /* s2c: counters the server holds durably */
	PROTO_T_COOKIE = 9,    /* s2c, not sealed: retry the hello with this trailer */
};

/* Stream kinds (data byte 32). */
enum proto_stream {
	PROTO_S_VIDEO = 0,
	PROTO_S_AUDIO = 1,
	PROTO_S_TELEMETRY = 2,
	PROTO_S_CONTROL = 3, /* report and bye: used only in key derivation */
};

/* Codecs (data byte 33). */
enum proto_codec {
	PROTO_C_NONE = 0,
	PROTO_C_H264 = 1,      /* Annex-B access unit */
	PROTO_C_H265 = 2,      /* Annex-B access unit */
	PROTO_C_JPEG = 3,      /* one JFIF image */
	PROTO_C_TELEMETRY = 4, /* proto_telemetry_t record(s), see PROTOCOL.md */
	PROTO_C_OPUS = 5,
};

#define PROTO_F_KEYFRAME 0x01 /* data flags (byte 34); other bits must be 0 */

/* Layout sizes. */
#define PROTO_PREFIX_LEN 24  /* magic..date */
#define PROTO_C2S_HDR_LEN 32 /* prefix + counter + session */
#define PROTO_DATA_HDR_LEN 56
#define PROTO_HELLO_FIXED_LEN 64
#define PROTO_S2C_HDR_LEN 40 /* prefix + session + nonce */
#define PROTO_DATA_MAX_PAYLOAD (PROTO_MAX_DGRAM - PROTO_DATA_HDR_LEN - PROTO_TAG_LEN) /* 1400 */
#define PROTO_DATA_MAX_PAYLOAD_V6                                                                  \
	(PROTO_MAX_DGRAM_V6 - PROTO_DATA_HDR_LEN - PROTO_TAG_LEN) /* 1380 */
#define PROTO_REPORT_MAX_DAYS 64
#define PROTO_MISSING_MAX_RANGES 100

/*
 * Errors: negative return values. Each rejection has its own code below;
 * what the system refuses is -errno (never as low as PROTO_E_SHORT).
 */
enum proto_err {
	PROTO_OK = 0,
	PROTO_E_SHORT = -1001,    /* shorter than its header or declared length */
	PROTO_E_MAGIC = -1002,    /* not a vigil datagram */
	PROTO_E_VERSION = -1003,  /* unknown protocol version */
	PROTO_E_TYPE = -1004,     /* unknown or unexpected message type */
	PROTO_E_OVERSIZE = -1005, /* larger than PROTO_MAX_DGRAM, or a field exceeds its limit */
	PROTO_E_LENGTH = -1006,   /* declared length does not match datagram length */
	PROTO_E_FIELD = -1007, /* field out of range: reserved bits, fragment index >= count, ... */
	PROTO_E_TAG = -1008,   /* AES-GCM authentication failed (wrong key, tampered) */
	PROTO_E_SIGNATURE = -1009, /* RSA-PSS signature did not verify */
	PROTO_E_UNWRAP = -1010,    /* RSA-OAEP unwrap failed */
	PROTO_E_REPLAY = -1011,    /* hello id already seen */
	PROTO_E_STALE = -1012,     /* hello time older than the accepted window */
	PROTO_E_CAMERA = -1013,    /* unknown camera, or message for another camera/session */
	PROTO_E_REVOKED = -1014,   /* camera revoked */
	PROTO_E_NOMEM = -1015,
	PROTO_E_CRYPTO = -1016, /* OpenSSL failed for another reason */
	PROTO_E_IO = -1017,     /* file or key I/O failed */
	PROTO_E_CRC = -1018,    /* storage checksum mismatch */
	PROTO_E_TORN = -1019,   /* storage record extends past end of file */
	PROTO_E_FULL = -1020,   /* bounded structure full */
	PROTO_E_DATE = -1021,   /* hello date is not the UTC day of its camera time */
	PROTO_E_FUTURE = -1022, /* hello time ahead of the server clock beyond the window */
	PROTO_E_LOWEST =
	    PROTO_E_FUTURE, /* the last code above: every proto_err is in [LOWEST, SHORT] */
};

/*
 * --- err.c ---
 * The name of any error a libproto call returns, PROTO_E_* or -errno
 * (strerror's text); never NULL. The string is static or per-thread.
 */
const char *proto_strerror(int err);
/* Last error context of this thread; never NULL. */
const char *proto_errmsg(void);
void proto_set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Decoded headers. Decoding validates every field it can without keys:
 * magic, version, type, length, reserved bytes, fragment index < count,
 * payload length == datagram length - header - tag.
 */
typedef struct proto_prefix {
	uint8_t version;
	uint8_t type;
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date; /* days since 1970-01-01, UTC */
} proto_prefix_t;

/*
 * The clear header of a data datagram; proto_dgram_peek() fills the
 * same struct for any stored datagram (hello, data, report, bye), with
 * the data fields 0 for the other types.
 */
typedef struct proto_data_hdr {
	uint8_t type; /* enum proto_type */
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t counter;
	uint32_t session; /* counter of the hello that opened this session, same day */
	uint8_t stream;   /* enum proto_stream */
	uint8_t codec;    /* enum proto_codec */
	uint8_t flags;    /* PROTO_F_* */
	uint32_t frame;   /* frame number within (session, stream), from 0 */
	uint16_t frag_index;
	uint16_t frag_count;
	uint64_t capture_ms;  /* capture time, ms since the Unix epoch, UTC */
	uint16_t payload_len; /* plaintext = ciphertext length */
} proto_data_hdr_t;

typedef struct proto_hello {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t counter; /* also the session id */
	uint32_t boot_id; /* random per program start */
	uint64_t camera_ms;
	uint8_t hello_id[PROTO_HELLO_ID_LEN];
	uint16_t wrapped_len;
	uint16_t sig_len;
	const uint8_t *wrapped; /* points into the datagram */
	const uint8_t *sig;     /* points into the datagram */
	size_t signed_len;      /* bytes [0, signed_len) are signed */
} proto_hello_t;

typedef struct proto_c2s_hdr { /* report, bye */
	uint8_t type;
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t counter;
	uint32_t session;
	size_t body_len; /* ciphertext length, excludes tag */
} proto_c2s_hdr_t;

typedef struct proto_s2c_hdr { /* hello-ack, missing, rr */
	uint8_t type;
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint32_t session;
	uint8_t nonce[PROTO_NONCE_LEN];
	size_t body_len;
} proto_s2c_hdr_t;

/* Bodies (plaintext). */
/* HELLO_ACK status (docs/PROTOCOL.md, "Server-to-camera messages") */
enum proto_ack_status {
	PROTO_ACK_OK = 0,     /* accepted */
	PROTO_ACK_REUSED = 1, /* accepted, but the hello's counter was held already: reopen */
};

typedef struct proto_hello_ack {
	uint8_t status; /* enum proto_ack_status */
	uint64_t server_ms;
	/*
	 * 1 + the highest counter of the session's (camera, date) the server
	 * has seen or stored, this hello's included: the camera never uses a
	 * counter below it (a camera whose own next counter is lower opens a
	 * new session at this counter).
	 */
	uint32_t next_counter;
} proto_hello_ack_t;

typedef struct proto_report_day {
	uint32_t date;
	uint32_t next_counter; /* counters 0..next_counter-1 were used that day */
	uint32_t oldest_held;  /* lowest counter still held in the camera's store */
} proto_report_day_t;

typedef struct proto_report {
	uint16_t n;
	proto_report_day_t day[PROTO_REPORT_MAX_DAYS];
} proto_report_t;

typedef struct proto_range {
	uint32_t date;
	uint32_t first;
	uint32_t count;
} proto_range_t;

typedef struct proto_missing {
	uint16_t n;
	proto_range_t range[PROTO_MISSING_MAX_RANGES];
} proto_missing_t;

/* CONFIRM has the body of MISSING: ranges the server durably holds. */
typedef proto_missing_t proto_confirm_t;

typedef struct proto_rr {
	uint32_t interval_ms;
	uint32_t expected;
	uint32_t received;
	uint32_t bytes;
	uint32_t highest_counter;
} proto_rr_t;

typedef struct proto_bye {
	uint32_t reason;
} proto_bye_t;

/* Byte order helpers. */
static inline void
proto_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}
static inline void
proto_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}
static inline void
proto_put64(uint8_t *p, uint64_t v)
{
	proto_put32(p, (uint32_t)(v >> 32));
	proto_put32(p + 4, (uint32_t)v);
}
static inline uint16_t
proto_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t
proto_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t
proto_get64(const uint8_t *p)
{
	return (uint64_t)proto_get32(p) << 32 | proto_get32(p + 4);
}

/*
 * The writer that appends a camera's files: FNV-1a (32-bit) of the 16
 * UUID bytes, modulo the number of writers (docs/STORAGE.md).
 */
static inline uint32_t
proto_partition(const uint8_t uuid[PROTO_UUID_LEN], uint32_t writers)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < PROTO_UUID_LEN; i++)
		h = (h ^ uuid[i]) * 16777619u;
	return writers ? h % writers : 0;
}

/*
 * Single fields of a datagram, for a path that has checked the length
 * and needs one field: type of any datagram of 4 bytes, uuid and date of
 * any of PROTO_PREFIX_LEN; counter and session of a camera-to-server
 * one (hello, data, report, bye) of PROTO_C2S_HDR_LEN (a hello's session
 * is its counter); capture_ms of a data datagram of PROTO_DATA_HDR_LEN.
 * Nothing is validated. uuid points into dg.
 */
static inline uint8_t
proto_dgram_type(const uint8_t *dg)
{
	return dg[3];
}
static inline const uint8_t *
proto_dgram_uuid(const uint8_t *dg)
{
	return dg + 4;
}
static inline uint32_t
proto_dgram_date(const uint8_t *dg)
{
	return proto_get32(dg + 20);
}
static inline uint32_t
proto_dgram_counter(const uint8_t *dg)
{
	return proto_get32(dg + 24);
}
static inline uint32_t
proto_dgram_session(const uint8_t *dg)
{
	return proto_get32(dg + 28);
}
static inline uint64_t
proto_dgram_capture_ms(const uint8_t *dg)
{
	return proto_get64(dg + 44);
}

/* --- wire.c: parse and build clear headers (no keys) ---------------- */

/*
 * The clear header of a stored datagram, as the reader returns it: what
 * the listener authenticated and the record's CRC guards, so only its
 * length is checked. Fills what dg is long enough to hold (type from 4
 * bytes, uuid and date from PROTO_PREFIX_LEN, counter from 28, session
 * from PROTO_C2S_HDR_LEN, the data fields from a data datagram of
 * PROTO_DATA_HDR_LEN) and zeroes the rest. Returns the type (0 when
 * len < 4). Decode once per record and read the fields.
 */
int proto_dgram_peek(const uint8_t *dg, size_t len, proto_data_hdr_t *h);

/* Check the prefix of any datagram; returns its type or a negative error. */
int proto_prefix_decode(const uint8_t *buf, size_t len, proto_prefix_t *out);
int proto_data_hdr_decode(const uint8_t *buf, size_t len, proto_data_hdr_t *out);
/* Writes PROTO_DATA_HDR_LEN bytes; validates fields. */
int proto_data_hdr_encode(const proto_data_hdr_t *h, uint8_t *buf);
int proto_hello_decode(const uint8_t *buf, size_t len, proto_hello_t *out);
/* Writes the 64 fixed bytes of a hello (wrapped_len and sig_len from h). */
int proto_hello_hdr_encode(const proto_hello_t *h, uint8_t *buf);
int proto_c2s_hdr_decode(const uint8_t *buf, size_t len, proto_c2s_hdr_t *out);
int proto_c2s_hdr_encode(uint8_t type, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
			 uint32_t counter, uint32_t session, uint8_t *buf);
/*
 * 1 for the sealed server-to-camera types (hello-ack, missing, rr,
 * confirm); the cookie (type 9) is not sealed: proto_cookie_decode.
 */
int proto_type_is_s2c(int type);
int proto_s2c_hdr_decode(const uint8_t *buf, size_t len, proto_s2c_hdr_t *out);
int proto_s2c_hdr_encode(uint8_t type, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
			 uint32_t session, const uint8_t nonce[PROTO_NONCE_LEN], uint8_t *buf);

/* Body codecs (plaintext). encode returns bytes written or error. */
int proto_report_encode(const proto_report_t *r, uint8_t *buf, size_t cap);
int proto_report_decode(const uint8_t *buf, size_t len, proto_report_t *out);
int proto_missing_encode(const proto_missing_t *m, uint8_t *buf, size_t cap);
int proto_missing_decode(const uint8_t *buf, size_t len, proto_missing_t *out);
int proto_confirm_encode(const proto_confirm_t *m, uint8_t *buf, size_t cap);
int proto_confirm_decode(const uint8_t *buf, size_t len, proto_confirm_t *out);
int proto_rr_encode(const proto_rr_t *r, uint8_t *buf, size_t cap);
int proto_rr_decode(const uint8_t *buf, size_t len, proto_rr_t *out);
int proto_hello_ack_encode(const proto_hello_ack_t *a, uint8_t *buf, size_t cap);
int proto_hello_ack_decode(const uint8_t *buf, size_t len, proto_hello_ack_t *out);
int proto_bye_encode(const proto_bye_t *b, uint8_t *buf, size_t cap);
int proto_bye_decode(const uint8_t *buf, size_t len, proto_bye_t *out);

/*
 * --- cookie.c: the hello cookie (docs/PROTOCOL.md, "COOKIE (type 9) and
 * the hello cookie trailer") ---
 *
 * A server under load answers a hello without a valid trailer with a
 * COOKIE of 60 bytes; the camera resends the hello with the cookie's
 * issued time and MAC appended (the 20-byte trailer, outside the
 * signature). The MAC binds the source address and port, so only a
 * camera that receives at its source address can answer.
 */
#define PROTO_COOKIE_LEN 60
#define PROTO_COOKIE_TRAILER 20
#define PROTO_COOKIE_TTL_S 120  /* the server accepts a cookie this old */
#define PROTO_COOKIE_FUTURE_S 5 /* ... and this far in its future */
#define PROTO_COOKIE_MAC_LEN 16

typedef struct proto_cookie {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint8_t hello_id[PROTO_HELLO_ID_LEN];
	uint32_t issued; /* server clock, whole seconds since the epoch */
	uint8_t mac[PROTO_COOKIE_MAC_LEN];
} proto_cookie_t;

/* K = HKDF-SHA-256(salt "vigil/1 cookie", IKM = DER of the key, "cookie key"). */
int proto_cookie_key(EVP_PKEY *server_priv, uint8_t key[32]);
/* First 16 bytes of HMAC-SHA-256(K, "vigil/1 cookie" || issued || addr || port || uuid). */
void proto_cookie_mac(const uint8_t key[32], uint32_t issued, const struct sockaddr_storage *peer,
		      const uint8_t uuid[PROTO_UUID_LEN], uint8_t mac[PROTO_COOKIE_MAC_LEN]);
/* Writes PROTO_COOKIE_LEN bytes; returns 60 or a negative error. */
int proto_cookie_encode(const proto_cookie_t *c, uint8_t *out, size_t cap);
/* Exactly 60 bytes of type 9; 0 or a negative error. */
int proto_cookie_decode(const uint8_t *dg, size_t len, proto_cookie_t *c);
/*
 * A hello datagram of len bytes: *signed_len = 64 + W + S, the hello
 * without trailer (what the proto_hello_* functions take). Returns 1 if
 * a 20-byte trailer follows (copied to *issued and mac), 0 if none, a
 * negative error if the length fits neither.
 */
int proto_hello_trailer(const uint8_t *dg, size_t len, size_t *signed_len, uint32_t *issued,
			uint8_t mac[PROTO_COOKIE_MAC_LEN]);
/*
 * 1 when a trailer with this issued time and MAC is one the holder of
 * key made for this peer and camera and is still fresh at now_s (at
 * most PROTO_COOKIE_TTL_S old, at most PROTO_COOKIE_FUTURE_S ahead).
 */
int proto_cookie_check(const uint8_t key[32], uint32_t issued,
		       const uint8_t mac[PROTO_COOKIE_MAC_LEN], const struct sockaddr_storage *peer,
		       const uint8_t uuid[PROTO_UUID_LEN], uint64_t now_s);

/*
 * Telemetry record (codec 4, docs/PROTOCOL.md "Telemetry payload"):
 * PROTO_TELEMETRY_LEN bytes; decode also takes the older 24-byte form
 * (no accelerometer). fmt writes one line of name=value pairs.
 */
#define PROTO_TELEMETRY_LEN 32
#define PROTO_TELEMETRY_LEN_V0 24
#define PROTO_TM_F_GNSS 0x01  /* position from a satellite fix, else simulated */
#define PROTO_TM_F_ACCEL 0x02 /* accelerometer measured, else simulated */
#define PROTO_TM_F_MASK 0x03

typedef struct proto_telemetry {
	uint64_t time_ms;
	int32_t lat_e7, lon_e7; /* 1e-7 degrees */
	uint16_t speed_cms;     /* cm/s */
	uint16_t heading_cdeg;  /* 0.01 degrees, < 36000 */
	uint8_t battery;        /* percent */
	uint8_t signal;         /* percent */
	uint8_t flags;          /* PROTO_TM_F_* */
	int16_t accel_mg[3];    /* x, y, z in 1/1000 g */
} proto_telemetry_t;

int proto_telemetry_encode(const proto_telemetry_t *t, uint8_t *buf, size_t cap);
int proto_telemetry_decode(const uint8_t *buf, size_t len, proto_telemetry_t *out);
int proto_telemetry_fmt(const proto_telemetry_t *t, char *buf, size_t cap);

/* --- uuid.c, hex.c, date.c, clock.c, nofile.c --- */
void proto_uuid_v4(uint8_t uuid[PROTO_UUID_LEN]); /* RAND_bytes, version 4 variant 1 */
void proto_uuid_fmt(const uint8_t uuid[PROTO_UUID_LEN], char out[37]);
int proto_uuid_parse(const char *s, uint8_t uuid[PROTO_UUID_LEN]);
/* Lower-case hex of b[0..n) into out (2n + 1 bytes). */
void proto_hex(const uint8_t *b, size_t n, char *out);
/* Parses exactly 2*cap hex digits; returns cap or PROTO_E_FIELD. */
int proto_unhex(const char *s, uint8_t *out, size_t cap);
uint32_t proto_date_from_ms(uint64_t unix_ms);
void proto_date_fmt(uint32_t date, char out[11]); /* yyyy-mm-dd */
int proto_date_parse(const char *s, uint32_t *date);
uint64_t proto_now_ms(void);  /* CLOCK_REALTIME */
uint64_t proto_mono_ms(void); /* CLOCK_MONOTONIC: intervals and deadlines */
/*
 * Raise the soft limit of open descriptors to want, or to the hard limit
 * when that is lower; never lowers it. Returns the soft limit now (0
 * when it cannot be read).
 */
uint64_t proto_nofile_raise(uint64_t want);

/*
 * --- parse.c ---
 * A number from an option or environment variable named name: all of s
 * (leading blanks and a sign allowed, nothing after the number; decimal
 * only) within min..max. Returns 0 and sets *out, or leaves *out alone
 * and returns -EINVAL (s NULL, empty or not a number) or -ERANGE (out of
 * bounds); proto_errmsg() then says which, naming name and s.
 */
int proto_parse_int(const char *name, const char *s, int min, int max, int *out);
int proto_parse_long(const char *name, const char *s, long min, long max, long *out);
int proto_parse_u32(const char *name, const char *s, uint32_t max, uint32_t *out);
int proto_parse_u64(const char *name, const char *s, uint64_t max, uint64_t *out);
int proto_parse_double(const char *name, const char *s, double min, double max, double *out);

#endif

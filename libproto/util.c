/*
 * NAME
 *	util.c - libproto errors, UUIDs and UTC dates
 *
 * DESCRIPTION
 *	proto_strerror() names every proto_err; proto_errmsg() is the last
 *	context string set by a libproto call on this thread. Dates on the
 *	wire are days since 1970-01-01 (UTC), converted here to and from
 *	yyyy-mm-dd with the proleptic Gregorian calendar (no time zone, no
 *	leap seconds, no libc locale).
 *
 *	proto_parse_int() and its kin read one number from a command-line
 *	option or an environment variable, whole and within bounds, so that a
 *	typo is refused with a message instead of silently becoming 0.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/rand.h>

#include "proto.h"

static __thread char proto_errbuf[256];

const char *
proto_strerror(int err)
{
	switch (err) {
	case PROTO_OK: return "ok";
	case PROTO_E_SHORT: return "datagram too short";
	case PROTO_E_MAGIC: return "bad magic";
	case PROTO_E_VERSION: return "unsupported protocol version";
	case PROTO_E_TYPE: return "unknown or unexpected message type";
	case PROTO_E_OVERSIZE: return "oversized datagram or field";
	case PROTO_E_LENGTH: return "length mismatch";
	case PROTO_E_FIELD: return "field out of range";
	case PROTO_E_TAG: return "authentication tag mismatch";
	case PROTO_E_SIGNATURE: return "signature verification failed";
	case PROTO_E_UNWRAP: return "session secret unwrap failed";
	case PROTO_E_REPLAY: return "replayed hello";
	case PROTO_E_STALE: return "hello time outside window";
	case PROTO_E_CAMERA: return "unknown or mismatched camera";
	case PROTO_E_REVOKED: return "camera revoked";
	case PROTO_E_NOMEM: return "out of memory";
	case PROTO_E_CRYPTO: return "crypto library failure";
	case PROTO_E_IO: return "I/O error";
	case PROTO_E_CRC: return "checksum mismatch";
	case PROTO_E_TORN: return "torn record";
	case PROTO_E_FULL: return "table full";
	default: return "unknown error";
	}
}

const char *
proto_errmsg(void)
{
	return proto_errbuf;
}

void
proto_set_errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(proto_errbuf, sizeof(proto_errbuf), fmt, ap);
	va_end(ap);
}

void
proto_uuid_v4(uint8_t uuid[PROTO_UUID_LEN])
{
	if (RAND_bytes(uuid, PROTO_UUID_LEN) != 1) {
		/* RAND_bytes only fails when the DRBG cannot be seeded. */
		FILE *f = fopen("/dev/urandom", "rb");
		size_t n = f ? fread(uuid, 1, PROTO_UUID_LEN, f) : 0;
		if (f)
			fclose(f);
		if (n != PROTO_UUID_LEN)
			memset(uuid, 0, PROTO_UUID_LEN);
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40; /* version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80; /* variant 10 */
}

void
proto_uuid_fmt(const uint8_t u[PROTO_UUID_LEN], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < PROTO_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
proto_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
proto_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t i;

	for (i = 0; i < cap; i++) {
		int a = hexval(s[2 * i]), b = a < 0 ? -1 : hexval(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return PROTO_E_FIELD;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return (int)cap;
}

int
proto_uuid_parse(const char *s, uint8_t u[PROTO_UUID_LEN])
{
	int i, o = 0;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				goto bad;
			continue;
		}
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			goto bad;
		if (o & 1)
			u[o / 2] |= (uint8_t)h;
		else
			u[o / 2] = (uint8_t)(h << 4);
		o++;
	}
	if (s[36] != '\0')
		goto bad;
	return 0;
bad:
	proto_set_errmsg("not a UUID: \"%.40s\"", s);
	return PROTO_E_FIELD;
}

/* Days from civil date, after H. Hinnant's algorithm. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

uint32_t
proto_date_from_ms(uint64_t unix_ms)
{
	return (uint32_t)(unix_ms / 86400000ull);
}

void
proto_date_fmt(uint32_t date, char out[11])
{
	int y;
	unsigned m, d;

	civil_from_days(date, &y, &m, &d);
	y %= 10000;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10 % 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10 % 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

int
proto_date_parse(const char *s, uint32_t *date)
{
	unsigned y, m, d;
	int i;

	/* Exactly ten bytes "dddd-dd-dd": sscanf's %u would also take signs and spaces. */
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			goto bad;
	if (s[10] != '\0')
		goto bad;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		goto bad;
	int64_t days = days_from_civil(y, m, d);
	int yy;
	unsigned mm, dd;
	civil_from_days(days, &yy, &mm, &dd);
	if (mm != m || dd != d) /* 2026-02-30 */
		goto bad;
	*date = (uint32_t)days;
	return 0;
bad:
	proto_set_errmsg("not a date (yyyy-mm-dd): \"%.20s\"", s);
	return PROTO_E_FIELD;
}

uint64_t
proto_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
proto_nofile_raise(uint64_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rlim_t cur = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = cur;
	}
	return (uint64_t)rl.rlim_cur;
}

uint64_t
proto_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What num_parse() reads: a long, an unsigned 64-bit or a double. */
enum { NUM_LONG, NUM_U64, NUM_DOUBLE };
typedef union {
	long l;
	unsigned long long u;
	double d;
} num_t;

/*
 * All of s as one number of kind: 0, -EINVAL (message set) when it is
 * not one, -ERANGE (message left to the caller, who knows the bounds)
 * when strto*() says it does not fit.
 */
static int
num_parse(const char *name, const char *s, int kind, num_t *v)
{
	const char *p = s;
	char *end;

	if (s == NULL) {
		proto_set_errmsg("%s: missing number", name);
		return -EINVAL;
	}
	/* strtoull() would take "-1" for 2^64 - 1, strtod() "inf" and "0x1p3" */
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || (*p == '-' && kind != NUM_U64))
		p++;
	if (!isdigit((unsigned char)*p) && !(kind == NUM_DOUBLE && *p == '.'))
		goto bad;
	errno = 0;
	if (kind == NUM_LONG)
		v->l = strtol(s, &end, 10);
	else if (kind == NUM_U64)
		v->u = strtoull(s, &end, 10);
	else
		v->d = strtod(s, &end);
	if (*end != '\0' || (kind == NUM_DOUBLE && (p[0] == '0' && (p[1] | 32) == 'x')))
		goto bad;
	return errno == ERANGE ? -ERANGE : 0;
bad:
	proto_set_errmsg("%s: \"%.40s\" is not a number%s", name, s,
	                 kind == NUM_U64 ? " (0 or more)" : "");
	return -EINVAL;
}

int
proto_parse_long(const char *name, const char *s, long min, long max, long *out)
{
	num_t v;
	int rc = num_parse(name, s, NUM_LONG, &v);

	if (rc == -EINVAL)
		return rc;
	if (rc < 0 || v.l < min || v.l > max) {
		proto_set_errmsg("%s: %.40s is outside %ld..%ld", name, s, min, max);
		return -ERANGE;
	}
	*out = v.l;
	return 0;
}

int
proto_parse_int(const char *name, const char *s, int min, int max, int *out)
{
	long v;
	int rc;

	if ((rc = proto_parse_long(name, s, min, max, &v)) < 0)
		return rc;
	*out = (int)v;
	return 0;
}

int
proto_parse_u64(const char *name, const char *s, uint64_t max, uint64_t *out)
{
	num_t v;
	int rc = num_parse(name, s, NUM_U64, &v);

	if (rc == -EINVAL)
		return rc;
	if (rc < 0 || v.u > max) {
		proto_set_errmsg("%s: %.40s is outside 0..%llu", name, s, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v.u;
	return 0;
}

int
proto_parse_u32(const char *name, const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = proto_parse_u64(name, s, max, &v)) < 0)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

int
proto_parse_double(const char *name, const char *s, double min, double max, double *out)
{
	num_t v;
	int rc = num_parse(name, s, NUM_DOUBLE, &v);

	if (rc == -EINVAL)
		return rc;
	/* ERANGE: too large, or too small to be told from 0 */
	if (rc < 0 || !isfinite(v.d) || v.d < min || v.d > max) {
		proto_set_errmsg("%s: %.40s is outside %g..%g", name, s, min, max);
		return -ERANGE;
	}
	*out = v.d;
	return 0;
}

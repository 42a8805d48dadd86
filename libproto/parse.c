/*
 * NAME
 *	parse.c - numbers from options and environment variables
 *
 * DESCRIPTION
 *	proto_parse_int() and its kin read one number from a command-line
 *	option or an environment variable, whole and within bounds, so that a
 *	typo is refused with a message instead of silently becoming 0.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "proto.h"

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

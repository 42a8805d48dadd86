/*
 * NAME
 *	stage_opt.c - check and store typed option values; argv, usage
 *
 * DESCRIPTION
 *	One value parser per type (stage_opt.h) serves a daemon's argv,
 *	vigil.conf and the defaults of the tables themselves. Numbers are
 *	decimal only, without sign or spaces: "12o", "0x10", "-3" and "1e3"
 *	are refused, never read as part of a number.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"

void
stage_opt_range(const stage_opt_t *opt, char *buf, size_t cap)
{
	switch (opt->type) {
	case STAGE_T_INT:
	case STAGE_T_U64:
		snprintf(buf, cap, "%llu..%llu%s", (unsigned long long)opt->min,
			 (unsigned long long)opt->max,
			 opt->flags & STAGE_OPT_POW2 ? ", a power of two" : "");
		break;
	case STAGE_T_MS:
		snprintf(buf, cap, "%llu..%llu ms", (unsigned long long)opt->min,
			 (unsigned long long)opt->max);
		break;
	case STAGE_T_SIZE:
		snprintf(buf, cap, "%llu..%llu bytes, k m g for KiB MiB GiB",
			 (unsigned long long)opt->min, (unsigned long long)opt->max);
		break;
	case STAGE_T_DOUBLE: snprintf(buf, cap, "%g..%g", opt->dmin, opt->dmax); break;
	case STAGE_T_ENUM: snprintf(buf, cap, "%s", opt->words); break;
	case STAGE_T_FLAG: snprintf(buf, cap, "yes|no"); break;
	case STAGE_T_SHARDS: snprintf(buf, cap, "all, none, or shards 0..31: 0,2-3"); break;
	case STAGE_T_ADDR:
		snprintf(buf, cap, "HOST:PORT, HOST a.b.c.d, [IPv6] or a name, PORT 0..65535%s",
			 opt->flags & STAGE_OPT_EMPTY ? "; or empty" : "");
		break;
	case STAGE_T_STRING:
		snprintf(buf, cap, "1..%llu characters%s", (unsigned long long)opt->max,
			 opt->words && strchr(opt->words, '/') ? ", no /" : "");
		break;
	case STAGE_T_PATH: snprintf(buf, cap, "a path"); break;
	}
}

/* Decimal digits only, no sign: what strtoull would take with a '-'. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	return errno ? -ERANGE : 0;
}

static int
parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;
	int rc;

	if (n && strchr("kKmMgG", s[n - 1])) {
		shift = strchr("kK", s[n - 1]) ? 10 : strchr("mM", s[n - 1]) ? 20 : 30;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if ((rc = parse_u64(num, out)) < 0)
		return rc;
	if (*out > (UINT64_MAX >> shift))
		return -ERANGE;
	*out <<= shift;
	return 0;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	/* decimal notation only: no sign, exponent, hex, inf or nan */
	if (*s < '0' || *s > '9' || strspn(s, "0123456789.") != strlen(s))
		return -EINVAL;
	errno = 0;
	*out = strtod(s, &end);
	if (*end != '\0' || errno || !isfinite(*out))
		return -EINVAL;
	return 0;
}

static int
parse_flag(const char *s, uint64_t *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
										    "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_enum(const char *words, const char *s, uint64_t *out)
{
	size_t len = strlen(s);
	const char *w = words;
	uint64_t i = 0;

	while (*w) {
		size_t wl = strcspn(w, "|");
		if (wl == len && len && !strncmp(w, s, len)) {
			*out = i;
			return 0;
		}
		w += wl;
		if (*w == '|')
			w++;
		i++;
	}
	return -EINVAL;
}

/* "all", "none", or shard numbers and ranges below 32: "0,2-3" */
static int
parse_shards(const char *v, uint64_t *mask)
{
	unsigned long a, b;
	char *end;

	if (!strcmp(v, "all") || !strcmp(v, "none")) {
		*mask = !strcmp(v, "all") ? 0xffffffffu : 0;
		return 0;
	}
	*mask = 0;
	while (*v) {
		if (*v < '0' || *v > '9' || (a = strtoul(v, &end, 10)) > 31)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			v = end + 1;
			if (*v < '0' || *v > '9' || (b = strtoul(v, &end, 10)) < a || b > 31)
				return -EINVAL;
		}
		while (a <= b)
			*mask |= 1u << a++;
		if (*end == ',' && end[1] != '\0')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		v = end;
	}
	return *mask ? 0 : -EINVAL;
}

/* Four decimal octets of at most 255: a host that is all digits and dots must be one. */
static int
is_ipv4(const char *h, size_t len)
{
	unsigned octet = 0, digits = 0, dots = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (digits == 0 || ++dots > 3)
				return 0;
			octet = digits = 0;
		} else if (isdigit((unsigned char)h[i])) {
			if (++digits > 3 || (octet = octet * 10 + (unsigned)(h[i] - '0')) > 255)
				return 0;
		} else
			return 0;
	}
	return dots == 3 && digits > 0;
}

static int
is_ipv6(const char *h, size_t len)
{
	size_t i, colons = 0;

	if (len < 2 || len > 45)
		return 0;
	for (i = 0; i < len; i++) {
		if (h[i] == ':')
			colons++;
		else if (!isxdigit((unsigned char)h[i]) && h[i] != '.')
			return 0;
	}
	return colons >= 2 && colons <= 7;
}

/* Labels of letters, digits and '-', not starting or ending with '-', 63 at most. */
static int
is_hostname(const char *h, size_t len)
{
	size_t i, label = 0, digits_dots = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (isdigit((unsigned char)h[i]) || h[i] == '.')
			digits_dots++;
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)h[i]) || (h[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	/* a name of digits and dots is an IPv4 address, checked as one */
	return h[len - 1] != '-' && digits_dots != len;
}

static int
parse_addr(const char *v, const char **why)
{
	const char *colon, *host = v;
	uint64_t port;
	size_t hlen;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL || close[1] != ':' || !is_ipv6(v + 1, (size_t)(close - v - 1))) {
			*why = "not [IPv6]:PORT";
			return -EINVAL;
		}
		colon = close + 1;
	} else {
		if ((colon = strrchr(v, ':')) == NULL) {
			*why = "no :PORT";
			return -EINVAL;
		}
		hlen = (size_t)(colon - host);
		if (memchr(host, ':', hlen) != NULL) {
			*why = "an IPv6 address goes in brackets: [::1]:PORT";
			return -EINVAL;
		}
		if (hlen && !is_ipv4(host, hlen) && !is_hostname(host, hlen)) {
			*why = "the host is neither a.b.c.d (octets up to 255) nor a host name";
			return -EINVAL;
		}
	}
	if (parse_u64(colon + 1, &port) < 0 || port > 65535) {
		*why = "the port must be 0..65535";
		return -EINVAL;
	}
	return 0;
}

/*
 * Check text for opt; on success fill *out (as given). *why says what is
 * wrong otherwise.
 */
static int
opt_parse(const stage_opt_t *opt, const char *text, stage_val_t *out, const char **why)
{
	size_t len = strlen(text);
	uint64_t u = 0;
	double d = 0;
	int rc = 0;

	*why = "must be";
	if (len >= sizeof(out->s)) {
		*why = "too long";
		return -EINVAL;
	}
	if (len == 0 && !(opt->flags & STAGE_OPT_EMPTY)) {
		*why = "empty; must be";
		return -EINVAL;
	}
	switch (opt->type) {
	case STAGE_T_INT:
	case STAGE_T_U64:
	case STAGE_T_MS:
		if ((rc = parse_u64(text, &u)) == -EINVAL)
			*why = "not a number";
		else if (rc == 0 && (u < opt->min || u > opt->max))
			rc = -ERANGE;
		else if (rc == 0 && (opt->flags & STAGE_OPT_POW2) && (u & (u - 1)) != 0)
			rc = -ERANGE;
		break;
	case STAGE_T_SIZE:
		if ((rc = parse_size(text, &u)) == -EINVAL)
			*why = "not a size";
		else if (rc == 0 && (u < opt->min || u > opt->max))
			rc = -ERANGE;
		break;
	case STAGE_T_DOUBLE:
		if ((rc = parse_double(text, &d)) < 0)
			*why = "not a number";
		else if (d < opt->dmin || d > opt->dmax)
			rc = -ERANGE;
		break;
	case STAGE_T_ENUM:
		if ((rc = parse_enum(opt->words, text, &u)) < 0)
			*why = "must be one of";
		break;
	case STAGE_T_FLAG: rc = parse_flag(text, &u); break;
	case STAGE_T_SHARDS: rc = parse_shards(text, &u); break;
	case STAGE_T_ADDR:
		if (len > 0 && opt->max && len > opt->max) {
			*why = "too long";
			rc = -EINVAL;
		} else if (len > 0)
			rc = parse_addr(text, why);
		break;
	case STAGE_T_STRING:
		if (len > opt->max || (opt->words && strpbrk(text, opt->words)))
			rc = -EINVAL;
		break;
	case STAGE_T_PATH: break;
	}
	if (rc < 0)
		return -EINVAL;
	out->set = STAGE_GIVEN;
	out->u = u;
	out->d = d;
	memcpy(out->s, text, len + 1);
	return 0;
}

static void
opt_error(const char *name, const char *sep, const stage_opt_t *opt, const char *text,
	  const char *why)
{
	char range[128];

	stage_opt_range(opt, range, sizeof(range));
	if (!strcmp(why, "must be") || !strcmp(why, "must be one of") ||
	    !strcmp(why, "empty; must be"))
		stage_set_errmsg("%s%s%s: %s %s", name, sep, text, why, range);
	else if (opt->type == STAGE_T_ADDR)
		stage_set_errmsg("%s%s%s: %s", name, sep, text, why);
	else
		stage_set_errmsg("%s%s%s: %s (%s)", name, sep, text, why, range);
}

int
stage_opt_find(stage_kind_t kind, const char *key)
{
	const stage_opt_t *t;
	int i, n;

	t = stage_schema(kind, &n);
	for (i = 0; i < n; i++)
		if (!strcmp(t[i].key, key))
			return i;
	return -ENOENT;
}

void
stage_opts_defaults(stage_kind_t kind, stage_opts_t *o)
{
	const stage_opt_t *t;
	const char *why;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	t = stage_schema(kind, &o->n);
	for (i = 0; i < o->n; i++)
		/* the tables' defaults pass their own checks (test_stage_schema.c) */
		if (t[i].def && opt_parse(&t[i], t[i].def, &o->v[i], &why) == 0)
			o->v[i].set = STAGE_DEFAULT;
}

int
stage_opts_set(stage_opts_t *o, int i, const char *value)
{
	const stage_opt_t *t;
	const char *why;
	stage_val_t v;
	int n;

	t = stage_schema(o->kind, &n);
	if (i < 0 || i >= n) {
		stage_set_errmsg("no option %d in %s's table", i, stage_kind_name(o->kind));
		return -EINVAL;
	}
	if (opt_parse(&t[i], value, &v, &why) < 0) {
		opt_error(t[i].key, " = ", &t[i], value, why);
		return -EINVAL;
	}
	o->v[i] = v;
	return 0;
}

int
stage_opts_parse(stage_kind_t kind, int argc, char *const argv[], stage_opts_t *o)
{
	const stage_opt_t *t;
	int a, i, n, help = 0;
	const char *why;
	stage_val_t v;

	stage_opts_defaults(kind, o);
	t = stage_schema(kind, &n);
	for (a = 1; a < argc; a++) {
		const char *p = argv[a];
		char name[3] = {'-', 0, 0};

		if (!strcmp(p, "--")) {
			a++;
			break;
		}
		if (p[0] != '-' || p[1] == '\0')
			break;
		for (p++; *p; p++) {
			name[1] = *p;
			if (*p == 'n') {
				o->check = 1;
				continue;
			}
			if (*p == 'h') {
				help = 1;
				continue;
			}
			for (i = 0; i < n && t[i].flag != *p; i++)
				;
			if (i == n) {
				stage_set_errmsg("-%c: unknown option of %s (see -h)", *p,
						 stage_kind_program(kind));
				return -EINVAL;
			}
			if (t[i].type == STAGE_T_FLAG) {
				o->v[i].set = STAGE_GIVEN;
				o->v[i].u = 1;
				snprintf(o->v[i].s, sizeof(o->v[i].s), "yes");
				continue;
			}
			/* the value: the rest of this argument, or the next one */
			const char *val = p[1] ? p + 1 : a + 1 < argc ? argv[++a] : NULL;
			if (val == NULL) {
				stage_set_errmsg("%s: wants a value (%s)", name,
						 t[i].arg ? t[i].arg : t[i].key);
				return -EINVAL;
			}
			if (opt_parse(&t[i], val, &v, &why) < 0) {
				opt_error(name, " ", &t[i], val, why);
				return -EINVAL;
			}
			o->v[i] = v;
			break;
		}
	}
	if (help)
		return STAGE_OPTS_HELP;
	if (a < argc) {
		stage_set_errmsg("%s: unexpected argument \"%s\" (see -h)",
				 stage_kind_program(kind), argv[a]);
		return -EINVAL;
	}
	if (stage_opts_check(o) < 0)
		return -EINVAL;
	return o->check ? STAGE_OPTS_CHECK : STAGE_OPTS_RUN;
}

int
stage_opts_check(const stage_opts_t *o)
{
	const stage_opt_t *t;
	int i, n;

	t = stage_schema(o->kind, &n);
	for (i = 0; i < n; i++)
		if ((t[i].flags & STAGE_OPT_REQUIRED) && o->v[i].set == STAGE_UNSET) {
			stage_set_errmsg("%s (-%c %s) is required", t[i].key, t[i].flag,
					 t[i].arg ? t[i].arg : "");
			return -EINVAL;
		}
	if (o->kind == STAGE_SYNCD && o->v[STAGE_SYNCD_RTO_MAX_MS].u < o->v[STAGE_SYNCD_RTO_MS].u) {
		stage_set_errmsg("rto_max_ms (-T) %llu is below rto_ms (-t) %llu",
				 (unsigned long long)o->v[STAGE_SYNCD_RTO_MAX_MS].u,
				 (unsigned long long)o->v[STAGE_SYNCD_RTO_MS].u);
		return -EINVAL;
	}
	if (o->kind == STAGE_STREAMER && (o->v[STAGE_STREAMER_TLS_CERT].set == STAGE_UNSET) !=
					     (o->v[STAGE_STREAMER_TLS_KEY].set == STAGE_UNSET)) {
		stage_set_errmsg("tls_cert (-C) and tls_key (-K) go together");
		return -EINVAL;
	}
	return 0;
}

int
stage_opts_getopt(stage_kind_t kind, int argc, char *const argv[], stage_opts_t *o)
{
	static char usage[8192];
	int rc;

	if ((rc = stage_opts_parse(kind, argc, argv, o)) == STAGE_OPTS_HELP) {
		stage_opts_usage(kind, usage, sizeof(usage));
		fputs(usage, stdout);
		exit(0);
	}
	if (rc < 0) {
		log_warnx("%s", stage_errmsg());
		exit(2);
	}
	return rc;
}

size_t
stage_opts_usage(stage_kind_t kind, char *buf, size_t cap)
{
	const stage_opt_t *t;
	char range[128], arg[64];
	size_t len = 0;
	int i, n;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		int w_ = snprintf(buf + (len < cap ? len : cap), len < cap ? cap - len : 0,        \
				  __VA_ARGS__);                                                    \
		len += w_ > 0 ? (size_t)w_ : 0;                                                    \
	} while (0)
	if (cap)
		buf[0] = '\0';
	t = stage_schema(kind, &n);
	PUT("usage: %s [-n] [-h]", stage_kind_program(kind));
	for (i = 0; i < n; i++)
		if (t[i].flag)
			PUT(t[i].type == STAGE_T_FLAG ? " [-%c]" : " [-%c %s]", t[i].flag,
			    t[i].arg ? t[i].arg : "VALUE");
	PUT("\n  -n  check the options%s and exit: 0 when good\n  -h  this text\n",
	    kind == STAGE_VIGILD ? " and the configuration" : "");
	for (i = 0; i < n; i++) {
		if (!t[i].flag)
			continue;
		stage_opt_range(&t[i], range, sizeof(range));
		snprintf(arg, sizeof(arg), "%s", t[i].type == STAGE_T_FLAG ? "" : t[i].arg);
		PUT("  -%c %-18s %s: %s\n", t[i].flag, arg, t[i].key, t[i].help);
		if (t[i].type != STAGE_T_FLAG)
			PUT("      %-18s %s; default %s\n", "", range,
			    t[i].def ? t[i].def : "unset");
	}
	if (kind == STAGE_VIGILD) {
		PUT("vigil.conf keys outside the stage blocks:\n");
		for (i = 0; i < n; i++) {
			if (t[i].flags & STAGE_OPT_CMDLINE)
				continue;
			stage_opt_range(&t[i], range, sizeof(range));
			PUT("  %-18s %s: %s; default %s\n", t[i].key, t[i].help, range,
			    t[i].def ? t[i].def : "unset");
		}
	}
#undef PUT
	return len;
}

const char *
stage_opts_getopt_string(stage_kind_t kind)
{
	static char s[STAGE_NKINDS][2 * STAGE_OPTS_MAX + 3];
	const stage_opt_t *t;
	int i, n;
	char *p;

	if (s[kind][0])
		return s[kind];
	p = s[kind];
	*p++ = 'n';
	*p++ = 'h';
	t = stage_schema(kind, &n);
	for (i = 0; i < n; i++)
		if (t[i].flag) {
			*p++ = t[i].flag;
			if (t[i].type != STAGE_T_FLAG)
				*p++ = ':';
		}
	*p = '\0';
	return s[kind];
}

/* value with "%i" replaced by index, into dst (cap bytes). */
static int
expand(const char *value, int index, char *dst, size_t cap)
{
	size_t len = 0;
	const char *p;
	int w;

	for (p = value; *p; p++) {
		if (p[0] == '%' && p[1] == 'i') {
			w = snprintf(dst + len, cap - len, "%d", index);
			if (w < 0 || (size_t)w >= cap - len)
				return -E2BIG;
			len += (size_t)w;
			p++;
		} else {
			if (len + 1 >= cap)
				return -E2BIG;
			dst[len++] = *p;
		}
	}
	dst[len] = '\0';
	return (int)len;
}

int
stage_opts_argv(const stage_opts_t *o, int index, char *buf, size_t cap, char **argv, int max)
{
	const stage_opt_t *t;
	size_t used = 0;
	int i, n, argc = 0, w;

	t = stage_schema(o->kind, &n);
	for (i = 0; i < n; i++) {
		if (o->v[i].set != STAGE_GIVEN || !t[i].flag || (t[i].flags & STAGE_OPT_CMDLINE) ||
		    (t[i].type == STAGE_T_FLAG && o->v[i].u == 0))
			continue;
		if (argc + 3 > max || used + 3 > cap)
			return -E2BIG;
		buf[used] = '-';
		buf[used + 1] = t[i].flag;
		buf[used + 2] = '\0';
		argv[argc++] = buf + used;
		used += 3;
		if (t[i].type == STAGE_T_FLAG)
			continue;
		if ((w = expand(o->v[i].s, index, buf + used, cap - used)) < 0)
			return w;
		argv[argc++] = buf + used;
		used += (size_t)w + 1;
	}
	argv[argc] = NULL;
	return argc;
}

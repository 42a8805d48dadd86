/*
 * NAME
 *	vigilctl_retain.c - retention per camera, legal holds, expiry, and
 *	the signed audit log
 *
 * DESCRIPTION
 *	retention [-D DATA] [-d KEYDIR] UUID DAYS
 *	    keep the camera's days DAYS full days after they end (0: forever);
 *	    written to DATA/<uuid>/retention ("days N").
 *	hold [-D DATA] [-d KEYDIR] [-r] UUID DAY|all [REASON]
 *	    put (or with -r release) a legal hold on one day
 *	    (DATA/<uuid>/<day>.hold) or on every day of the camera
 *	    (DATA/<uuid>/hold). A held day never expires.
 *	expire [-D DATA] [-d KEYDIR] [-R DEFAULT_DAYS] [-t TODAY] [-n]
 *	    delete every day whose retention has passed and that is not
 *	    held: the day file and everything beside it (<day>.*). -n only
 *	    lists; -t sets today's date (YYYY-MM-DD).
 *	audit [-D DATA] [-d KEYDIR]
 *	    verify the audit log.
 *
 *	Every change (retention set, hold, release, expiry) appends one line
 *	to DATA/audit.log:
 *	    <time_ms> <action> <uuid> <day|-> <detail> prev=<hex> sig=<hex>
 *	prev is the SHA-256 of the previous line (64 zeros for the first),
 *	so lines cannot be removed or reordered unseen; sig is the server
 *	key's RSA-PSS signature of the line up to " sig=". An expiry's
 *	detail names the SHA-256 of the deleted day file and the head of its
 *	signed chain, so the deletion is accounted for afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto_bundle.h"
#include "proto_chain.h"
#include "proto_crypto.h"
#include "proto_record.h"
#include "vigilctl.h"

#define AUDIT_FILE "audit.log"
#define DAY_MS 86400000ull

typedef struct retain {
	const char *data, *keydir;
	EVP_PKEY *server;
} retain_t;

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
default_data(void)
{
	return getenv("VIGIL_DATADIR") ? getenv("VIGIL_DATADIR") : "/var/lib/vigil/data";
}

static int
load_key(retain_t *r)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/server.key", vigilctl_keydir(r->keydir));
	if ((r->server = proto_key_load_private(path)) == NULL) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, proto_errmsg());
		return -1;
	}
	return 0;
}

/* The SHA-256 of the log's last line (zeros when empty) into prev. */
static int
audit_last(const char *path, char prev[65])
{
	char line[4096], last[4096] = "";
	uint8_t d[32] = {0};
	FILE *f = fopen(path, "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			memcpy(last, line, sizeof(last));
		fclose(f);
	} else if (errno != ENOENT)
		return -1;
	if (*last) {
		last[strcspn(last, "\n")] = '\0';
		EVP_Digest(last, strlen(last), d, NULL, EVP_sha256(), NULL);
	}
	proto_hex(d, 32, prev);
	return 0;
}

static int
audit(retain_t *r, const char *action, const char *uuid, const char *day, const char *detail)
{
	char path[4200], prev[65], line[2048], hx[2 * 1024 + 1];
	uint8_t sig[1024];
	size_t sl = sizeof(sig);
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", r->data, AUDIT_FILE);
	if (audit_last(path, prev) < 0)
		return -1;
	n = snprintf(line, sizeof(line), "%llu %s %s %s %s prev=%s", (unsigned long long)wall_ms(),
		     action, uuid, day, detail, prev);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    proto_pss_sign(r->server, (const uint8_t *)line, (size_t)n, sig, &sl) < 0)
		return -1;
	proto_hex(sig, sl, hx);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return -1;
	n = dprintf(fd, "%s sig=%s\n", line, hx);
	if (n < 0 || fdatasync(fd) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* A reason as one word: white space becomes '_'. */
static void
word(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = (in[i] == ' ' || in[i] == '\t' || in[i] == '\n') ? '_' : in[i];
	out[i] = '\0';
}

static int
getopts(retain_t *r, int argc, char **argv, const char *extra, int (*on)(int, void *), void *arg)
{
	char spec[32];
	int c;

	snprintf(spec, sizeof(spec), "D:d:h%s", extra);
	optind = 1;
	r->data = default_data();
	while ((c = getopt(argc, argv, spec)) != -1) {
		switch (c) {
		case 'D': r->data = optarg; break;
		case 'd': r->keydir = optarg; break;
		case 'h': return 'h';
		default:
			if (on == NULL || strchr(extra, c) == NULL || on(c, arg) < 0)
				return '?';
		}
	}
	return 0;
}

int
vigilctl_retention(int argc, char **argv)
{
	retain_t r = {0};
	uint8_t uuid[PROTO_UUID_LEN];
	char path[4200], detail[64];
	long days;
	FILE *f;
	int rc = 1;

	if (getopts(&r, argc, argv, "", NULL, NULL) || argc - optind != 2) {
		fprintf(stderr, "usage: vigilctl retention [-D DATA] [-d KEYDIR] UUID DAYS\n");
		return 2;
	}
	if (proto_uuid_parse(argv[optind], uuid) < 0 ||
	    proto_parse_long("DAYS", argv[optind + 1], 0, LONG_MAX, &days) < 0) {
		fprintf(stderr, "vigilctl retention: %s\n", proto_errmsg());
		return 2;
	}
	if (load_key(&r) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", r.data, argv[optind]);
	proto_mkdirs(path);
	snprintf(path, sizeof(path), "%s/%s/retention", r.data, argv[optind]);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "days %ld\n", days) < 0 ||
	    fclose(f) != 0) {
		perror(path);
		goto out;
	}
	snprintf(detail, sizeof(detail), "days=%ld", days);
	if (audit(&r, "retention", argv[optind], "-", detail) < 0) {
		fprintf(stderr, "vigilctl: audit log not written\n");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(r.server);
	return rc;
}

static int
on_release(int c, void *arg)
{
	(void)c;
	*(int *)arg = 1;
	return 0;
}

int
vigilctl_hold(int argc, char **argv)
{
	retain_t r = {0};
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	char path[4200], reason[512] = "", detail[600];
	int release = 0, all, rc = 1, n;
	FILE *f;

	n = getopts(&r, argc, argv, "r", on_release, &release);
	all = optind + 1 < argc && !strcmp(argv[optind + 1], "all");
	if (n || argc - optind < 2 || proto_uuid_parse(argv[optind], uuid) < 0 ||
	    (!all && proto_date_parse(argv[optind + 1], &date) < 0)) {
		fprintf(stderr, "usage: vigilctl hold [-D DATA] [-d KEYDIR] [-r] UUID DAY|all "
				"[REASON]\n");
		return 2;
	}
	if (argc - optind > 2)
		word(argv[optind + 2], reason, sizeof(reason));
	if (load_key(&r) < 0)
		return 1;
	if (all)
		snprintf(path, sizeof(path), "%s/%s/hold", r.data, argv[optind]);
	else
		snprintf(path, sizeof(path), "%s/%s/%s.hold", r.data, argv[optind],
			 argv[optind + 1]);
	if (release) {
		if (unlink(path) < 0) {
			perror(path);
			goto out;
		}
	} else {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/%s", r.data, argv[optind]);
		proto_mkdirs(dir);
		if ((f = fopen(path, "w")) == NULL ||
		    fprintf(f, "%llu %s\n", (unsigned long long)wall_ms(), reason) < 0 ||
		    fclose(f) != 0) {
			perror(path);
			goto out;
		}
	}
	snprintf(detail, sizeof(detail), "reason=%s", *reason ? reason : "-");
	if (audit(&r, release ? "release" : "hold", argv[optind], all ? "all" : argv[optind + 1],
		  detail) < 0) {
		fprintf(stderr, "vigilctl: audit log not written\n");
		goto out;
	}
	printf("%s %s %s\n", release ? "released" : "held", argv[optind],
	       all ? "all" : argv[optind + 1]);
	rc = 0;
out:
	EVP_PKEY_free(r.server);
	return rc;
}

typedef struct expire_opts {
	long def_days;
	uint32_t today;
	int dry;
} expire_opts_t;

static int
on_expire(int c, void *arg)
{
	expire_opts_t *o = arg;

	int rc;

	switch (c) {
	case 'R': rc = proto_parse_long("-R", optarg, 0, LONG_MAX, &o->def_days); break;
	case 't': rc = proto_date_parse(optarg, &o->today); break;
	case 'n': o->dry = 1; return 0;
	default: return -1;
	}
	if (rc < 0)
		fprintf(stderr, "vigilctl expire: %s\n", proto_errmsg());
	return rc < 0 ? -1 : 0;
}

static long
camera_days(const char *camdir, long def)
{
	char path[4200];
	long days = def;
	FILE *f;

	snprintf(path, sizeof(path), "%.4000s/retention", camdir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "days %ld", &days) != 1)
			days = def;
		fclose(f);
	}
	return days;
}

/* Delete <day>.vgl and every <day>.* beside it. */
static int
remove_day(const char *camdir, const char *day)
{
	struct dirent *e;
	char path[4200];
	size_t l = strlen(day);
	DIR *d = opendir(camdir);
	int rc = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, day, l) || e->d_name[l] != '.')
			continue;
		snprintf(path, sizeof(path), "%.3900s/%s", camdir, e->d_name);
		if (unlink(path) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

static int
expire_day(retain_t *r, const expire_opts_t *o, const char *camdir, const char *uuid,
	   const char *day)
{
	char path[4200], detail[400], hx[65], head[65] = "none";
	uint8_t d[32];
	proto_chain_report_t rep;
	int rc;

	snprintf(path, sizeof(path), "%.4000s/%s%s", camdir, day, PROTO_FILE_SUFFIX);
	if (proto_sha256_file(path, d) < 0)
		return -1;
	proto_hex(d, 32, hx);
	rc = proto_chain_check(path, NULL, r->server, &rep);
	if (rc == 0) {
		snprintf(head, sizeof(head), "%s", rep.ok ? "verified" : "BROKEN");
	}
	snprintf(detail, sizeof(detail), "sha256=%s records=%llu chain=%s", hx,
		 (unsigned long long)(rc == 0 ? rep.records + rep.unchained : 0), head);
	printf("%s %s/%s %s\n", o->dry ? "would expire" : "expired", uuid, day, detail);
	if (o->dry)
		return 0;
	/* the account of the deletion first: a crash between leaves the day, not a gap */
	if (audit(r, "expire", uuid, day, detail) < 0 || remove_day(camdir, day) < 0)
		return -1;
	return 0;
}

int
vigilctl_expire(int argc, char **argv)
{
	expire_opts_t o = {0};
	retain_t r = {0};
	struct dirent *e, *g;
	char camdir[3900], held[4200];
	uint8_t uuid[PROTO_UUID_LEN];
	DIR *top, *sub;
	int n = 0, bad = 0;

	o.today = (uint32_t)(wall_ms() / DAY_MS);
	if (getopts(&r, argc, argv, "R:t:n", on_expire, &o) || optind != argc) {
		fprintf(stderr, "usage: vigilctl expire [-D DATA] [-d KEYDIR] [-R DEFAULT_DAYS] "
				"[-t TODAY] [-n]\n");
		return 2;
	}
	if (load_key(&r) < 0)
		return 1;
	if ((top = opendir(r.data)) == NULL) {
		perror(r.data);
		EVP_PKEY_free(r.server);
		return 1;
	}
	while ((e = readdir(top)) != NULL) {
		long days;
		if (proto_uuid_parse(e->d_name, uuid) < 0)
			continue;
		snprintf(camdir, sizeof(camdir), "%s/%s", r.data, e->d_name);
		snprintf(held, sizeof(held), "%s/hold", camdir);
		if ((days = camera_days(camdir, o.def_days)) == 0 || access(held, F_OK) == 0 ||
		    (sub = opendir(camdir)) == NULL)
			continue;
		while ((g = readdir(sub)) != NULL) {
			char day[11];
			uint32_t date;
			if (strlen(g->d_name) != 14 || strcmp(g->d_name + 10, PROTO_FILE_SUFFIX))
				continue;
			memcpy(day, g->d_name, 10);
			day[10] = '\0';
			if (proto_date_parse(day, &date) < 0 ||
			    (uint64_t)date + (uint64_t)days >= o.today)
				continue;
			snprintf(held, sizeof(held), "%s/%s.hold", camdir, day);
			if (access(held, F_OK) == 0) {
				printf("held %s/%s\n", e->d_name, day);
				continue;
			}
			if (expire_day(&r, &o, camdir, e->d_name, day) < 0) {
				fprintf(stderr, "vigilctl: %s/%s: not expired\n", e->d_name, day);
				bad = 1;
			} else
				n++;
		}
		closedir(sub);
	}
	closedir(top);
	EVP_PKEY_free(r.server);
	printf("%d days %s\n", n, o.dry ? "to expire" : "expired");
	return bad;
}

int
vigilctl_audit(int argc, char **argv)
{
	retain_t r = {0};
	char path[4200], line[8192], prev[65], *s;
	uint8_t d[32] = {0}, sig[1024];
	int ln = 0, bad = 0;
	FILE *f;

	if (getopts(&r, argc, argv, "", NULL, NULL) || optind != argc) {
		fprintf(stderr, "usage: vigilctl audit [-D DATA] [-d KEYDIR]\n");
		return 2;
	}
	if (load_key(&r) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", r.data, AUDIT_FILE);
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		EVP_PKEY_free(r.server);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t sl;
		char *p;
		ln++;
		line[strcspn(line, "\n")] = '\0';
		proto_hex(d, 32, prev);
		s = strstr(line, " sig=");
		p = strstr(line, " prev=");
		sl = s ? strlen(s + 5) / 2 : 0;
		if (s == NULL || p == NULL || strncmp(p + 6, prev, 64) || sl > sizeof(sig) ||
		    proto_unhex(s + 5, sig, sl) < 0 ||
		    proto_pss_verify(r.server, (const uint8_t *)line, (size_t)(s - line), sig, sl) <
			0) {
			printf("audit.log line %d: %s\n", ln,
			       s == NULL || p == NULL     ? "malformed"
			       : strncmp(p + 6, prev, 64) ? "does not follow the line before it"
							  : "signature does not verify");
			bad = 1;
		} else
			printf("%.*s\n", (int)(p - line), line);
		EVP_Digest(line, strlen(line), d, NULL, EVP_sha256(), NULL);
	}
	fclose(f);
	EVP_PKEY_free(r.server);
	printf("%d entries: %s\n", ln, bad ? "NOT VERIFIED" : "verified");
	return bad;
}

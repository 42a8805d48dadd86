/*
 * NAME
 *	daystate.c - the sync state file beside a day file
 *
 * DESCRIPTION
 *	See proto_daystate.h. The state file (docs/STORAGE.md, "Sync
 *	state") is text, one "name value" per line after the line
 *	"vigil-sync 1".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto_daystate.h"

int
proto_daystate_path(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, char *out,
		    size_t cap)
{
	char u[37], d[11];

	proto_uuid_fmt(uuid, u);
	proto_date_fmt(date, d);
	if ((size_t)snprintf(out, cap, "%s/%s/%s.sync", dir, u, d) >= cap)
		return PROTO_E_OVERSIZE;
	return 0;
}

int
proto_daystate_read(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		    proto_daystate_t *st)
{
	char path[4096], line[128], name[32];
	unsigned long long v;
	int rc, first = 1, magic = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	if ((rc = proto_daystate_path(dir, uuid, date, path, sizeof(path))) < 0)
		return rc;
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (first) {
			first = 0;
			if (strcmp(line, "vigil-sync 1\n") != 0)
				break;
			magic = 1;
			continue;
		}
		unsigned lo, hi;
		unsigned long long t0, t1;
		if (sscanf(line, "late %u %u %llu %llu", &lo, &hi, &t0, &t1) == 4 && lo <= hi) {
			void *p = realloc(st->late, (st->nlate + 1) * sizeof(*st->late));
			if (p == NULL)
				break;
			st->late = p;
			st->late[st->nlate++] = (proto_late_t){lo, hi + 1, t0, t1};
			continue;
		}
		if (sscanf(line, "void %u %u", &lo, &hi) == 2 && lo <= hi) {
			if (proto_ranges_add(&st->voids, lo, hi + 1) < 0)
				break;
			continue;
		}
		if (sscanf(line, "%31s %llu", name, &v) != 2)
			continue;
		if (!strcmp(name, "high"))
			st->high = (uint32_t)v;
		else if (!strcmp(name, "oldest_held"))
			st->oldest_held = (uint32_t)v;
		else if (!strcmp(name, "report_ms"))
			st->report_ms = v;
		else if (!strcmp(name, "complete_ms"))
			st->complete_ms = v;
		else if (!strcmp(name, "lost"))
			st->lost = v;
		else if (!strcmp(name, "unsynced_from"))
			st->unsynced = 1, st->unsynced_from = v;
		else if (!strcmp(name, "damaged_at"))
			st->damaged = 1, st->damaged_at = v;
	}
	fclose(f);
	if (!magic) { /* empty, or not a sync state */
		proto_daystate_free(st);
		return PROTO_E_FIELD;
	}
	return 0;
}

void
proto_daystate_free(proto_daystate_t *st)
{
	free(st->late);
	st->late = NULL;
	st->nlate = 0;
	proto_ranges_free(&st->voids);
}

int
proto_daystate_write(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		     const proto_daystate_t *st)
{
	char path[4096], tmp[4200], buf[512];
	uint32_t i;
	FILE *f;
	int fd, n, rc = 0;

	if ((rc = proto_daystate_path(dir, uuid, date, path, sizeof(path))) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf),
		     "vigil-sync 1\nhigh %u\noldest_held %u\nreport_ms %llu\ncomplete_ms %llu\n"
		     "lost %llu\n",
		     st->high, st->oldest_held, (unsigned long long)st->report_ms,
		     (unsigned long long)st->complete_ms, (unsigned long long)st->lost);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	fwrite(buf, 1, (size_t)n, f);
	/* backfilled runs, the first PROTO_DAYSTATE_LATE_MAX of them */
	for (i = 0; i < st->nlate && i < PROTO_DAYSTATE_LATE_MAX; i++)
		fprintf(f, "late %u %u %llu %llu\n", st->late[i].lo, st->late[i].hi - 1,
			(unsigned long long)st->late[i].first_ms,
			(unsigned long long)st->late[i].last_ms);
	for (i = 0; i < st->voids.n; i++)
		fprintf(f, "void %u %u\n", st->voids.r[i].lo, st->voids.r[i].hi - 1);
	if (st->unsynced)
		fprintf(f, "unsynced_from %llu\n", (unsigned long long)st->unsynced_from);
	if (st->damaged)
		fprintf(f, "damaged_at %llu\n", (unsigned long long)st->damaged_at);
	if (fflush(f) != 0 || ferror(f) || fdatasync(fd) != 0)
		rc = -EIO;
	fclose(f);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

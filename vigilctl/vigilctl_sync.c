/*
 * NAME
 *	vigilctl_sync.c - vigilctl completeness: what of a day is stored,
 *	missing and backfilled
 *
 * DESCRIPTION
 *	vigilctl completeness [-D DATA_DIR] UUID YYYY-MM-DD
 *
 *	Reads the day file (DATA/<uuid>/<day>.vgl) from start to end and
 *	the sync state syncd keeps beside it (docs/STORAGE.md, "Sync
 *	state"), and prints the camera's reported high-water mark, whether
 *	and when the day was complete, the counter ranges present (with the
 *	arrival of the first and last record), the ranges missing below the
 *	high-water mark, and the runs of counters that came late (stored
 *	after higher ones: backfill) with their arrival times. Exit 0 when
 *	the day is complete, 1 when it is not, 2 on a usage or read error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto_record.h"
#include "proto_daystate.h"
#include "vigilctl.h"

static const char *
when(uint64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0)
		return "-";
	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	return buf;
}

int
vigilctl_completeness(int argc, char **argv)
{
	const char *data =
	    getenv("VIGIL_DATADIR") ? getenv("VIGIL_DATADIR") : "/var/lib/vigil/data";
	char path[4096], a[64], b[64];
	uint8_t uuid[PROTO_UUID_LEN];
	proto_dayscan_t d = {0};
	proto_daystate_t st;
	uint32_t date, high, i, lo, hi, from;
	uint64_t missing = 0, late = 0;
	int opt, rc, have_state, complete;

	optind = 1;
	while ((opt = getopt(argc, argv, "D:h")) != -1) {
		switch (opt) {
		case 'D': data = optarg; break;
		default:
			fprintf(stderr,
				"usage: vigilctl completeness [-D DATA_DIR] UUID YYYY-MM-DD\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 2 || proto_uuid_parse(argv[optind], uuid) < 0 ||
	    proto_date_parse(argv[optind + 1], &date) < 0) {
		fprintf(stderr, "usage: vigilctl completeness [-D DATA_DIR] UUID YYYY-MM-DD\n");
		return 2;
	}
	proto_file_path(data, uuid, date, path, sizeof(path));
	if ((rc = proto_dayscan_file(path, &d)) < 0 && rc != -ENOENT && rc != PROTO_E_IO) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, proto_errmsg());
		proto_dayscan_free(&d);
		return 2;
	}
	have_state = proto_daystate_read(data, uuid, date, &st) == 0;
	high = have_state ? st.high : 0;
	/* backfill that syncd saw arrive, beside what the file order shows */
	if (have_state && proto_dayscan_add_late(&d, st.late, st.nlate) == 0)
		d.nlate = proto_late_merge(d.late, d.nlate);
	if (d.any && d.max + 1 > high)
		high = d.max + 1; /* never less than what is stored */
	printf("camera %s\nday %s\n", argv[optind], argv[optind + 1]);
	if (have_state)
		printf("high %u (reported %s), oldest held %u\n", st.high,
		       when(st.report_ms, a, sizeof(a)), st.oldest_held);
	else
		printf("high %u (no report seen: highest stored counter + 1)\n", high);
	printf("records %llu, duplicates %llu, first arrival %s, last arrival %s\n",
	       (unsigned long long)d.records, (unsigned long long)d.dups,
	       when(d.first_ms, a, sizeof(a)), when(d.last_ms, b, sizeof(b)));
	for (i = 0; i < d.present.n; i++)
		printf("present %u-%u\n", d.present.r[i].lo, d.present.r[i].hi - 1);
	for (from = 0; proto_ranges_gap(&d.present, from, high, &lo, &hi) == 0; from = hi) {
		uint32_t va, vb, f2;
		/* a gap may hold counters the camera never used (after a crash) */
		for (f2 = lo; have_state && proto_ranges_gap(&st.voids, f2, hi, &va, &vb) == 0;
		     f2 = vb) {
			printf("missing %u-%u\n", va, vb - 1);
			missing += vb - va;
		}
		if (!have_state) {
			printf("missing %u-%u\n", lo, hi - 1);
			missing += hi - lo;
		}
	}
	for (i = 0; have_state && i < st.voids.n; i++)
		printf("never used %u-%u\n", st.voids.r[i].lo, st.voids.r[i].hi - 1);
	for (i = 0; i < d.nlate; i++) {
		printf("backfilled %u-%u arrived %s .. %s\n", d.late[i].lo, d.late[i].hi - 1,
		       when(d.late[i].first_ms, a, sizeof(a)),
		       when(d.late[i].last_ms, b, sizeof(b)));
		late += d.late[i].hi - d.late[i].lo;
	}
	complete = missing == 0 && high > 0;
	/* what a failed sync may have lost: the file may show it, the disk need not hold it */
	if (have_state && st.unsynced)
		printf("unsynced from byte %llu: a sync failed; not proven on the disk yet\n",
		       (unsigned long long)st.unsynced_from);
	if (have_state && st.damaged) {
		printf("damaged on the disk at byte %llu (read back after a failed sync)\n",
		       (unsigned long long)st.damaged_at);
		complete = 0;
	}
	printf("missing %llu, backfilled %llu in %u runs, live during backfill %llu, lost %llu\n",
	       (unsigned long long)missing, (unsigned long long)late, d.nlate,
	       (unsigned long long)d.live_during_backfill,
	       (unsigned long long)(have_state ? st.lost : 0));
	if (complete && have_state && st.complete_ms && st.high == high)
		printf("complete at %s\n", when(st.complete_ms, a, sizeof(a)));
	else
		printf("complete %s\n", complete ? "yes" : "no");
	proto_dayscan_free(&d);
	if (have_state)
		proto_daystate_free(&st);
	return complete ? 0 : 1;
}

/*
 * NAME
 *	vigilctl_index.c - vigilctl index: what the shared index says of a day
 *
 * DESCRIPTION
 *	vigilctl index [-p SHM_PREFIX] UUID [YYYY-MM-DD]
 *
 *	Reads the running system's index (no lock, like the streamer and
 *	syncd): without a date, the camera's stored days; with one, the
 *	day's stored counter ranges in the same "present:" form as
 *	`vigilctl verify`, its gaps below the highest counter, and its
 *	figures. Exit 1 when the index does not know the day.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "proto.h"
#include "vigilctl.h"

int
vigilctl_index(int argc, char **argv)
{
	const char *pfx = getenv("VIGIL_SHM_PREFIX");
	uint8_t uuid[PROTO_UUID_LEN];
	idx_day_info_t info;
	idx_range_t *rg = NULL;
	uint32_t date, dates[1024];
	int opt, n, i, rc = 1, tries;
	idx_t *x;

	optind = 1;
	while ((opt = getopt(argc, argv, "p:h")) != -1) {
		switch (opt) {
		case 'p': pfx = optarg; break;
		case 'h':
			printf("usage: vigilctl index [-p SHM_PREFIX] UUID [YYYY-MM-DD]\n");
			return 0;
		default: return 2;
		}
	}
	if (optind >= argc || proto_uuid_parse(argv[optind], uuid) < 0 ||
	    (optind + 1 < argc && proto_date_parse(argv[optind + 1], &date) < 0)) {
		fprintf(stderr, "usage: vigilctl index [-p SHM_PREFIX] UUID [YYYY-MM-DD]\n");
		return 2;
	}
	if ((n = idx_attach(pfx ? pfx : "vigil", &x)) < 0) {
		fprintf(stderr, "vigilctl: index %s-index: %s\n", pfx ? pfx : "vigil",
			strerror(-n));
		return 1;
	}
	idx_set_patience(x, 1000);
	if (optind + 1 >= argc) {
		n = idx_camera_days(x, uuid, dates, 1024);
		for (i = 0; i < n && i < 1024; i++) {
			char d[11];
			proto_date_fmt(dates[i], d);
			printf("%s\n", d);
		}
		rc = n > 0 ? 0 : 1;
		goto out;
	}
	for (tries = 0; tries < 100; tries++) {
		if ((n = idx_day_ranges(x, uuid, date, NULL, 0)) < 0)
			goto again;
		free(rg);
		if ((rg = calloc((size_t)n + 1, sizeof(*rg))) == NULL)
			goto out;
		int m = idx_day_ranges(x, uuid, date, rg, (size_t)n + 1);
		if (m == n && idx_day_info(x, uuid, date, &info) == 0)
			break;
	again:
		if (n == -ENOENT) {
			fprintf(stderr, "vigilctl: the index has no such day\n");
			goto out;
		}
		usleep(10000);
	}
	if (tries == 100)
		goto out;
	printf("ready %d\nrecords %llu\nhigh %u\nreported %u\nkeyframes %u\npresent:", idx_ready(x),
	       (unsigned long long)info.records, info.high, info.reported_next, info.nkeyframes);
	for (i = 0; i < n; i++)
		printf(" %u-%u", rg[i].first, rg[i].last);
	printf("%s\nmissing:", n ? "" : " none");
	uint32_t want = 0;
	int gaps = 0;
	for (i = 0; i < n; i++) {
		if (rg[i].first > want) {
			printf(" %u-%u", want, rg[i].first - 1);
			gaps++;
		}
		want = rg[i].last + 1;
	}
	printf("%s\n", gaps ? "" : " none");
	rc = 0;
out:
	free(rg);
	idx_close(x);
	return rc;
}

/*
 * NAME
 *	proto_dayscan.h - the counters a day file holds and those that came
 *	late
 *
 * DESCRIPTION
 *	The day scan walks a day file's records in file order and derives
 *	the counters present and those that arrived late (a counter lower
 *	than one already stored: backfill), with arrival times. syncd
 *	follows a file with it; vigilctl reads a whole file with it.
 *
 *	A proto_dayscan_t is zeroed to start; it owns its ranges and late
 *	runs until proto_dayscan_free(). Functions return 0 or -ENOMEM, or
 *	for proto_dayscan_file a reader error.
 */
#ifndef VIGIL_PROTO_DAYSCAN_H
#define VIGIL_PROTO_DAYSCAN_H

#include <stdint.h>

#include "proto_ranges.h"

typedef struct proto_late {
	uint32_t lo, hi;            /* counters [lo, hi) arrived late, in file order */
	uint64_t first_ms, last_ms; /* arrival of the first and last of them */
} proto_late_t;

typedef struct proto_dayscan {
	proto_ranges_t present;
	uint32_t max; /* highest counter seen so far, in file order */
	int any;
	proto_late_t *late; /* runs of late counters, in file order */
	uint32_t nlate, cap;
	uint64_t records, dups;
	uint64_t first_ms, last_ms; /* arrival of the first and last record */
	/* in-order records stored between the first and the last late one:
	 * live datagrams that reached the disk while backfill went on */
	uint64_t live_since_late, live_during_backfill;
} proto_dayscan_t;

/*
 * Note one stored datagram (its counter and arrival). asked: the
 * datagram answers a MISSING (late even when nothing higher is stored
 * yet, as at a day's end). 0 or -ENOMEM.
 */
int proto_dayscan_note(proto_dayscan_t *d, uint32_t counter, uint64_t arrival_ns, int asked);
/* Add runs known from elsewhere (the .sync file) to d's late runs. */
int proto_dayscan_add_late(proto_dayscan_t *d, const proto_late_t *v, uint32_t n);
/* Sort the late runs by counter and join those that touch; the new count. */
uint32_t proto_late_merge(proto_late_t *v, uint32_t n);
/* Scan a whole day file; PROTO_E_IO when it cannot be opened. */
int proto_dayscan_file(const char *path, proto_dayscan_t *d);
void proto_dayscan_free(proto_dayscan_t *d);

#endif

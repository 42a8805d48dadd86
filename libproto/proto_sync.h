/*
 * NAME
 *	proto_sync.h - what the listener, syncd, vigilctl and the streamer
 *	share about completeness: ring messages, counter ranges, the
 *	day's sync state file
 *
 * DESCRIPTION
 *	Two rings join the listener and vigil-syncd (docs/PROTOCOL.md,
 *	"Sync rings"): the listener forwards every authenticated REPORT
 *	(PROTO_SYNC_REPORT), syncd asks the listener to send a MISSING or a
 *	CONFIRM to a camera (PROTO_SYNC_REQUEST). Each message is versioned
 *	and typed; decoders reject a short, long or unexpected message.
 *
 *	proto_ranges_t is a sorted set of disjoint counter ranges [lo, hi).
 *
 *	The day scan walks a day file's records in file order and derives
 *	the counters present and those that arrived late (a counter lower
 *	than one already stored: backfill), with arrival times. syncd
 *	follows a file with it; vigilctl reads a whole file with it.
 *
 *	The sync state file DATA/<uuid>/<yyyy-mm-dd>.sync (docs/STORAGE.md)
 *	holds what only syncd knows: the camera's reported high-water mark
 *	and when the day became complete. proto_daystate_read() is what the
 *	streamer calls for its "high" and "complete" fields.
 *
 *	Functions return 0 (or a length) or a negative error; *_free
 *	releases what *_init or a decoder allocated.
 */
#ifndef VIGIL_PROTO_SYNC_H
#define VIGIL_PROTO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define PROTO_SYNC_VERSION 1
#define PROTO_SYNC_HDR_LEN 32

enum proto_sync_kind {
	PROTO_SYNC_REPORT = 1,	/* listener -> syncd */
	PROTO_SYNC_REQUEST = 2, /* syncd -> listener */
};

/* An authenticated REPORT: who sent it, and its decoded body. */
typedef struct proto_sync_report {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;	  /* the report datagram's date */
	uint32_t session; /* its session */
	uint32_t counter; /* its counter */
	proto_report_t r;
} proto_sync_report_t;

/* A server-to-camera message for the listener to seal and send. */
typedef struct proto_sync_req {
	uint8_t type; /* PROTO_T_MISSING or PROTO_T_CONFIRM */
	uint8_t uuid[PROTO_UUID_LEN];
	proto_missing_t m; /* same body for both */
} proto_sync_req_t;

int proto_sync_report_encode(const proto_sync_report_t *s, uint8_t *buf, size_t cap);
int proto_sync_report_decode(const uint8_t *buf, size_t len, proto_sync_report_t *out);
int proto_sync_req_encode(const proto_sync_req_t *q, uint8_t *buf, size_t cap);
int proto_sync_req_decode(const uint8_t *buf, size_t len, proto_sync_req_t *out);

/* --- counter ranges ---------------------------------------------------- */
typedef struct proto_ranges {
	struct proto_span {
		uint32_t lo, hi; /* [lo, hi) */
	} *r;
	uint32_t n, cap;
} proto_ranges_t;

int proto_ranges_add(proto_ranges_t *s, uint32_t lo, uint32_t hi); /* 0 or -ENOMEM */
int proto_ranges_has(const proto_ranges_t *s, uint32_t c);
/* Counters of [lo, hi) in the set. */
uint64_t proto_ranges_count(const proto_ranges_t *s, uint32_t lo, uint32_t hi);
/*
 * The first gap of [from, hi): *glo, *ghi; 0 when found, -ENOENT when
 * [from, hi) is covered.
 */
int proto_ranges_gap(const proto_ranges_t *s, uint32_t from, uint32_t hi, uint32_t *glo,
		     uint32_t *ghi);
void proto_ranges_free(proto_ranges_t *s);

/* --- day scan ------------------------------------------------------------ */
typedef struct proto_late {
	uint32_t lo, hi;	  /* counters [lo, hi) arrived late, in file order */
	uint64_t first_ms, last_ms; /* arrival of the first and last of them */
} proto_late_t;

typedef struct proto_dayscan {
	proto_ranges_t present;
	uint32_t max;	    /* highest counter seen so far, in file order */
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

/* --- sync state file -------------------------------------------------- */
#define PROTO_DAYSTATE_LATE_MAX 10000 /* late runs written at most */
typedef struct proto_daystate {
	uint32_t high;	      /* the camera's highest reported next counter */
	uint32_t oldest_held; /* from its newest report */
	uint64_t report_ms;   /* when that report arrived */
	uint64_t complete_ms; /* when [0, high) was first all stored; 0: not complete */
	uint64_t lost;	      /* counters the camera no longer holds and we lack */
	proto_late_t *late; /* runs of backfilled counters, by counter; read allocates */
	uint32_t nlate;
	proto_ranges_t voids; /* counters the camera never used (after a crash) */
	/* the disk failed a sync of the day file (syncd confirms nothing meanwhile) */
	int unsynced;		/* bytes from unsynced_from on are not proven on the disk */
	uint64_t unsynced_from;
	int damaged;		/* read back after a failed sync: damaged from damaged_at */
	uint64_t damaged_at;
} proto_daystate_t;

/* DATA/<uuid>/<date>.sync into out (cap bytes). */
int proto_daystate_path(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
			char *out, size_t cap);
/* -ENOENT when syncd has not written one (no report seen for that day).
 * st->late is the caller's to release with proto_daystate_free. */
int proto_daystate_read(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
			proto_daystate_t *st);
/* Written to a temporary file, fsynced and renamed over the old one. */
int proto_daystate_write(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
			 const proto_daystate_t *st);
void proto_daystate_free(proto_daystate_t *st);

#endif

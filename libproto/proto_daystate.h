/*
 * NAME
 *	proto_daystate.h - the sync state file beside a day file
 *
 * DESCRIPTION
 *	The sync state file DATA/<uuid>/<yyyy-mm-dd>.sync (docs/STORAGE.md)
 *	holds what only syncd knows: the camera's reported high-water mark
 *	and when the day became complete. proto_daystate_read() is what the
 *	streamer calls for its "high" and "complete" fields.
 *
 *	Functions return 0 or a negative error: -errno from the file
 *	system, or a proto_err; proto_strerror() names both.
 */
#ifndef VIGIL_PROTO_DAYSTATE_H
#define VIGIL_PROTO_DAYSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "proto_dayscan.h"

#define PROTO_DAYSTATE_LATE_MAX 10000 /* late runs written at most */
typedef struct proto_daystate {
	uint32_t high;        /* the camera's highest reported next counter */
	uint32_t oldest_held; /* from its newest report */
	uint64_t report_ms;   /* when that report arrived */
	uint64_t complete_ms; /* when [0, high) was first all stored; 0: not complete */
	uint64_t lost;        /* counters the camera no longer holds and we lack */
	proto_late_t *late;   /* runs of backfilled counters, by counter; read allocates */
	uint32_t nlate;
	proto_ranges_t voids; /* counters the camera never used (after a crash) */
	/* the disk failed a sync of the day file (syncd confirms nothing meanwhile) */
	int unsynced; /* bytes from unsynced_from on are not proven on the disk */
	uint64_t unsynced_from;
	int damaged; /* read back after a failed sync: damaged from damaged_at */
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

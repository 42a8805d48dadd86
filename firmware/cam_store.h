/*
 * NAME
 *	cam_store.h - the camera's store of sent datagrams, and what it
 *	answers the server with
 *
 * DESCRIPTION
 *	cam_store.c keeps every datagram the camera sends, byte for byte,
 *	on disk (docs/STORAGE.md, "Camera store") until the server confirms
 *	it, bounded in size: when full, confirmed datagrams go first, oldest
 *	first; unconfirmed ones only when nothing confirmed is left, and
 *	those are counted. It survives a restart of the program; a torn tail
 *	is cut on reopen.
 *
 *	cam_sync.c queues MISSING, applies CONFIRM and builds the REPORT
 *	days; cam_resend.c answers the queue from the store (a past
 *	session's hello first), paced behind live video, and resends the
 *	current hello when the server has been silent (docs/PROTOCOL.md,
 *	"Completeness").
 *
 *	Functions return 0 (or a length) or -errno; they print nothing.
 */
#ifndef VIGIL_CAM_STORE_H
#define VIGIL_CAM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define CAM_STORE_MAGIC "VCSR"
#define CAM_STORE_REC_HDR 12
#define CAM_STORE_SEG_MAX (16u << 20)
#define CAM_STORE_DEFAULT_MAX (2ull << 30) /* 2 GiB */
#define CAM_STORE_HELLO_SEG 0xffffffffu    /* entry lives in the hello list */
#define CAM_STORE_FREED 0xfffffffeu        /* entry's segment was deleted */

typedef struct cam_store_ent {
	uint32_t counter;
	uint32_t seg; /* segment number, CAM_STORE_HELLO_SEG or CAM_STORE_FREED */
	uint32_t off; /* record offset in the segment, or index in the hello list */
	uint16_t len;
	uint8_t confirmed;
	uint8_t type;
} cam_store_ent_t;

typedef struct cam_store_day {
	uint32_t date;
	cam_store_ent_t *e; /* ascending counters */
	uint32_t n, cap;
	uint32_t first; /* entries below are freed */
	uint64_t unconfirmed;
} cam_store_day_t;

typedef struct cam_store_seg {
	uint32_t num;
	int fd;
	uint64_t size;
	uint64_t unconfirmed; /* entries not yet confirmed */
} cam_store_seg_t;

typedef struct cam_store_hello {
	uint32_t date, session;
	uint16_t len;
	uint8_t dg[PROTO_MAX_DGRAM];
} cam_store_hello_t;

typedef struct cam_store {
	char dir[4096];
	uint64_t max_bytes, seg_max;
	cam_store_seg_t *seg; /* oldest first */
	uint32_t nseg, segcap;
	cam_store_day_t *day;
	uint32_t nday;
	cam_store_hello_t *hello;
	uint32_t nhello;
	proto_range_t *voids; /* counters never used (skipped after a crash) */
	uint32_t nvoid;
	/* per date, 1 + the highest counter confirmed or voided (outlives the records) */
	struct {
		uint32_t date, next;
	} * used;
	uint32_t nused;
	int hello_fd, confirm_fd, void_fd;
	uint64_t bytes; /* on disk, segments and hellos */
	uint64_t last_sync_ms;
	int seg_dirty, hello_dirty, confirm_dirty; /* appended to since the last sync */
	/* counters */
	uint64_t stored, evicted, dropped_unconfirmed, confirmed, torn_cut;
} cam_store_t;

int cam_store_open(cam_store_t *s, const char *dir, uint64_t max_bytes);
void cam_store_close(cam_store_t *s);
/* Keep one datagram as sent (its identity is read from its header). */
int cam_store_put(cam_store_t *s, const uint8_t *dg, size_t len);
/*
 * Keep n datagrams that are not hellos (a frame's fragments), written
 * CAM_STORE_BATCH records at a time: one write where there were n.
 */
#define CAM_STORE_BATCH 16
int cam_store_put_many(cam_store_t *s, const uint8_t *const dg[], const size_t len[], int n);
/* Copy a held datagram into buf (PROTO_MAX_DGRAM bytes); its length, or -ENOENT. */
int cam_store_get(cam_store_t *s, uint32_t date, uint32_t counter, uint8_t *buf);
/* The stored hello of (date, session), or NULL. */
const cam_store_hello_t *cam_store_hello_of(const cam_store_t *s, uint32_t date, uint32_t session);
/* The server holds these counters: they may be freed. */
void cam_store_confirm(cam_store_t *s, const proto_range_t *r);
/* Lowest counter of date still held, or `next` when none. */
uint32_t cam_store_oldest(const cam_store_t *s, uint32_t date, uint32_t next);
/* Highest counter of date stored + 1; 0 when none. */
uint32_t cam_store_high(const cam_store_t *s, uint32_t date);
/*
 * 1 + the highest counter of date the store knows was used: held or
 * freed records and hellos, confirmed ranges, voids; 0 when none. A
 * camera that lost its counter state resumes here.
 */
uint32_t cam_store_used(const cam_store_t *s, uint32_t date);
uint64_t cam_store_unconfirmed(const cam_store_t *s);
/* Unconfirmed datagrams of days before date, and of date below counter. */
uint64_t cam_store_unconfirmed_before(const cam_store_t *s, uint32_t date, uint32_t counter);
/*
 * Counters of date below next that the store never saw were never used
 * (the block a crash skips): recorded once, kept in the "void" file.
 */
int cam_store_void_from(cam_store_t *s, uint32_t date, uint32_t next);
/* fdatasync the files appended to since, at most once a second (now_ms: monotonic). */
void cam_store_sync(cam_store_t *s, uint64_t now_ms);

/* --- cam_sync.c ------------------------------------------------------ */
struct cam;

#define CAM_SYNC_QUEUE 256

typedef struct cam_sync {
	cam_store_t store;
	proto_range_t q[CAM_SYNC_QUEUE]; /* ranges still to resend */
	uint32_t nq;
	uint32_t rate; /* resends per second */
	double tokens;
	uint64_t tokens_ms;        /* monotonic, as every time here */
	uint64_t heard_ms;         /* last authenticated message from the server */
	uint64_t silence_hello_ms; /* current hello resent for silence */
	struct {
		uint32_t date, session;
		uint64_t ms;
	} past_hello[8]; /* earlier sessions' hellos resent lately */
	/* counters */
	uint64_t resent, resent_bytes, resent_hellos, not_held, missing_ranges, confirms;
	uint64_t confirmed_earlier; /* datagrams confirmed by CONFIRMs for an earlier session */
} cam_sync_t;

/* Open the store of camera c (dir, max bytes; resend rate per second). */
int cam_sync_open(struct cam *c, const char *dir, uint64_t max_bytes, uint32_t rate);
void cam_sync_close(struct cam *c);
/*
 * A MISSING or CONFIRM body from the server (already authenticated);
 * earlier: it was sealed for an earlier session than the current one.
 */
void cam_sync_missing(struct cam *c, const proto_missing_t *m);
void cam_sync_confirm(struct cam *c, const proto_missing_t *m, int earlier);
/* Resend a range from the store, after what is queued (no server asked for it). */
void cam_sync_queue(struct cam *c, const proto_range_t *r);
/* Report days: today (next counter) and earlier days with unconfirmed data. */
void cam_sync_report(struct cam *c, uint32_t today, uint32_t next, proto_report_t *r);
void cam_sync_print(const struct cam *c);

/* --- cam_resend.c ---------------------------------------------------- */
/*
 * Each loop turn, after live datagrams: resends within budget, silence,
 * fsync. now_ms: the monotonic clock (proto_mono_ms).
 */
void cam_resend_tick(struct cam *c, uint64_t now_ms);

#endif

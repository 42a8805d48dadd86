/*
 * NAME
 *	syncd.h - vigil-syncd: fetch back what the network lost
 *
 * DESCRIPTION
 *	syncd_main.c sets up, syncd_loop.c runs the loop (reports in,
 *	requests out), syncd_cam.c
 *	keeps the cameras (their reports, their backfill budget, their
 *	health metrics), syncd_day.c follows one (camera, day) file and
 *	decides what to ask for, what to confirm and when the day is
 *	complete.
 *
 *	Times named now are the wall clock (proto_now_ms), stored or shown
 *	as dates; times named mono are the monotonic clock (proto_mono_ms),
 *	for timers only. Each field below says which it holds.
 */
#ifndef VIGIL_SYNCD_H
#define VIGIL_SYNCD_H

#include <stdint.h>

#include "proto.h"
#include "proto_record.h"
#include "proto_daystate.h"
#include "proto_sync.h"
#include "shm.h"
#include "shm_metrics.h"

struct idx;

#define SYNCD_MAX_CAMERAS 4096
#define SYNCD_MAX_DAYS 8 /* days followed per camera at once */
#define SYNCD_CKPT 16    /* report checkpoints kept per day */

typedef struct syncd_opts {
	const char *datadir;
	uint32_t rate;       /* backfill datagrams per second per camera */
	uint32_t rate_all;   /* all cameras together */
	uint32_t settle_ms;  /* a counter is asked for this long after a report covered it */
	uint32_t rto_ms;     /* first wait for a request's answer */
	uint32_t rto_max_ms; /* backoff limit */
	uint32_t online_ms;  /* a camera is online this long after its last report */
	uint32_t max_tries;  /* a range asked for this often in vain is given up (lost) */
	int verbose;
} syncd_opts_t;

struct syncd_cam;

typedef struct syncd_day {
	int used;
	uint32_t date;
	struct syncd_cam *cam;
	proto_reader_t *rd;       /* follows the day file (no index); NULL until it exists */
	struct idx_range *idxbuf; /* the index's ranges of the day, idxcap of them */
	uint32_t idxcap;
	int indexed; /* the index has said what is stored */
	proto_dayscan_t scan;
	proto_daystate_t st; /* what goes to the .sync file */
	struct {
		uint32_t next;
		uint64_t ms;
	} ck[SYNCD_CKPT]; /* (next counter, when reported: mono), oldest first */
	int nck;
	uint32_t settled; /* counters below are old enough to ask for */
	/* the request in flight */
	proto_ranges_t asked;
	uint64_t asked_ms, first_ask_ms; /* mono */
	uint64_t asked_missing;          /* of it, still missing when sent */
	uint32_t rto_ms, tries;
	proto_ranges_t abandoned; /* asked for max_tries times in vain */
	/* confirmation */
	proto_ranges_t confirmable; /* present one confirm period ago */
	uint32_t conf_cursor;
	uint64_t confirm_ms; /* mono */
	uint64_t state_ms;   /* .sync written: mono */
	int state_dirty;
	uint64_t last_report_ms; /* mono (st.report_ms is the wall clock's) */
	/* durability of what is confirmed (syncd_day.c, durable()) */
	int fd; /* our own descriptor of the day file, when has_fd */
	int has_fd;
	uint64_t synced_to; /* the file's size at the last good sync */
			    /* a failed sync and a damaged read-back are kept in st (.sync) */
} syncd_day_t;

typedef struct syncd_cam {
	int used;
	uint8_t uuid[PROTO_UUID_LEN];
	char name[37];
	uint64_t last_report_ms;          /* mono */
	uint32_t last_date, last_counter; /* newest report seen (date, counter) */
	double tokens;                    /* backfill budget, datagrams */
	uint64_t tokens_ms;               /* mono */
	syncd_day_t day[SYNCD_MAX_DAYS];
	/* health */
	uint64_t reports, missing_sent, confirm_sent, asked, backfilled, lost;
	uint64_t latency_ms_sum, latency_n, latency_last_ms;
	uint64_t days_complete;
} syncd_cam_t;

typedef struct syncd {
	syncd_opts_t o;
	shm_ring_t *in, *out;
	struct idx *idx;  /* the shared index, for the cameras' last telemetry; NULL without */
	syncd_cam_t *cam; /* SYNCD_MAX_CAMERAS, open addressing */
	double tokens_all;
	uint64_t tokens_ms; /* mono */
	uint64_t *m_reports, *m_bad, *m_missing, *m_confirm, *m_asked, *m_backfilled, *m_lost,
	    *m_complete, *m_out_full, *m_indexed, *m_unsynced, *m_damaged;
} syncd_t;

static inline void
syncd_count(uint64_t *c, uint64_t n)
{
	if (c)
		__atomic_store_n(c, *c + n, __ATOMIC_RELAXED); /* single writer */
}

/* syncd_cam.c */
syncd_cam_t *syncd_cam_get(syncd_t *d, const uint8_t uuid[PROTO_UUID_LEN]);
void syncd_cam_report(syncd_t *d, const proto_sync_report_t *r, uint64_t now, uint64_t mono);
/* Take up to want datagrams of backfill budget; returns how many. */
uint32_t syncd_cam_budget(syncd_t *d, syncd_cam_t *c, uint32_t want, uint64_t mono);
void syncd_cam_tick(syncd_t *d, uint64_t now, uint64_t mono);
/* Write the state of every followed day and close it (at exit). */
void syncd_cam_close_all(syncd_t *d);
/* Per-camera metrics in Prometheus text; returns the length needed. */
size_t syncd_cam_render(const syncd_t *d, char *buf, size_t cap);

/* syncd_day.c */
void syncd_day_report(syncd_t *d, syncd_day_t *day, const proto_report_day_t *rd, uint64_t now,
		      uint64_t mono);
void syncd_day_tick(syncd_t *d, syncd_day_t *day, uint64_t now, uint64_t mono);
void syncd_day_close(syncd_t *d, syncd_day_t *day);

/* syncd_loop.c */
/* Queue a request for the listener; 0, or -1 when the ring is full. */
int syncd_send(syncd_t *d, const uint8_t uuid[PROTO_UUID_LEN], uint8_t type,
	       const proto_missing_t *m);
/* Until SIGTERM: reports in, ticks, metrics into txt (NULL: none). */
void syncd_loop_run(syncd_t *d, shm_text_t *txt);

#endif

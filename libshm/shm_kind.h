/*
 * NAME
 *	shm_kind.h - the registry of vigil's shared segments
 *
 * DESCRIPTION
 *	Every shared segment is of one kind. The kind fixes the segment's
 *	name, who creates, writes and reads it, how large it is, and the
 *	version of its layout; the segment header (shm.h) carries the kind
 *	and that version, and attaching refuses a segment of another kind
 *	or version with -EPROTO. A kind's version is bumped when its body
 *	changes (for a ring kind: the ring header or the messages in its
 *	slots), and only that kind's.
 *
 *	Names are built here and nowhere else: "<prefix>-<tag>" followed,
 *	per kind, by nothing, "-<index>", or "-<stage>-<index>". docs/SHM.md
 *	draws the map and the data flow between the stages.
 *
 *	kind      name                    created by  written by  read by
 *	RING      <p>-ring-<w>            vigild      listener    writer w
 *	NOTICE    <p>-notice-<w>          vigild      writer w    indexer
 *	SYNC_IN   <p>-sync-in             vigild      listener    syncd
 *	SYNC_OUT  <p>-sync-out            vigild      syncd       listener
 *	STATUS    <p>-status              vigild      vigild      vigilctl, streamer
 *	INDEX     <p>-index               vigild      indexer     listener, streamer,
 *	                                                          syncd, vigilctl
 *	METRICS   <p>-metrics-<stage>-<i> the stage   the stage   vigild, vigilctl,
 *	                                                          streamer
 *	TEXT      <p>-text-<stage>-<i>    the stage   the stage   vigild
 *	SESSIONS  <p>-sessions-<i>        listener i  listener i  listener i
 *
 *	Sizes (the body, after the header): a ring kind
 *	shm_ring_size(nslots) with vigild's ring_slots (RING, SYNC_IN,
 *	SYNC_OUT) or VIGILD_NOTICE_SLOTS (NOTICE); STATUS sizeof(shm_status_t);
 *	METRICS sizeof(shm_metrics_t); TEXT sizeof(shm_text_t); SESSIONS
 *	LISTENER_MAX_SESSIONS saved sessions; INDEX the index header, the
 *	day table of index_days slots and index_arena_mb of arena. vigilctl
 *	restart also writes into STATUS (a stage's restart_req word). vigild
 *	unlinks every <p>-* segment when it stops.
 *
 *	Functions return 0 or -errno and never print. Ownership as in shm.h:
 *	the caller's shm_seg_t holds the mapping until shm_seg_detach.
 */
#ifndef VIGIL_SHM_KIND_H
#define VIGIL_SHM_KIND_H

#include <stddef.h>
#include <stdint.h>

enum shm_kind {
	SHM_KIND_RING = 1,     /* datagrams, listener -> writer <index> */
	SHM_KIND_METRICS = 2,  /* a stage's counters (shm_metrics.h) */
	SHM_KIND_STATUS = 3,   /* vigild's table of stages (shm_status.h) */
	SHM_KIND_SESSIONS = 4, /* the listener's camera sessions, kept across its restarts */
	SHM_KIND_TEXT = 5,     /* a stage's labelled metrics in Prometheus text */
	SHM_KIND_NOTICE = 6,   /* "appended" notices, writer <index> -> indexer (idx.h) */
	SHM_KIND_SYNC_IN = 7,  /* receiver reports, listener -> syncd (proto_sync.h) */
	SHM_KIND_SYNC_OUT = 8, /* MISSING and CONFIRM requests, syncd -> listener */
	SHM_KIND_INDEX = 9,    /* the shared index (idx.h, idx_int.h) */
};
#define SHM_KIND_MAX SHM_KIND_INDEX

/* Layout versions, one per kind. */
#define SHM_VERSION_RING 1
#define SHM_VERSION_METRICS 1
#define SHM_VERSION_STATUS 1
#define SHM_VERSION_SESSIONS 1
#define SHM_VERSION_TEXT 1
#define SHM_VERSION_NOTICE 1
#define SHM_VERSION_SYNC_IN 1
#define SHM_VERSION_SYNC_OUT 1
#define SHM_VERSION_INDEX 3 /* 3: index points at every run start */

/* How a kind's name ends after "<prefix>-<tag>". */
enum shm_kind_form {
	SHM_FORM_ONE = 0,   /* nothing: one segment per prefix */
	SHM_FORM_INDEX = 1, /* "-<index>" */
	SHM_FORM_STAGE = 2, /* "-<stage>-<index>" */
};

typedef struct shm_kind_info {
	const char *tag;  /* the word after the prefix: "ring", "sync-in", ... */
	uint32_t version; /* SHM_VERSION_* */
	uint8_t form;     /* enum shm_kind_form */
	uint8_t ring;     /* 1: the body is an shm_ring_t */
} shm_kind_info_t;

/* Room for a segment name, its terminating NUL included (shm_seg_t.name). */
#define SHM_NAME_MAX 64

/* The registry's entry for kind; NULL for a kind it does not know. */
const shm_kind_info_t *shm_kind_info(uint32_t kind);
/* The layout version of kind; 0 for a kind the registry does not know. */
uint32_t shm_kind_version(uint32_t kind);

/*
 * The name of the segment of kind for prefix: stage must be NULL except
 * for a SHM_FORM_STAGE kind, index is ignored by a SHM_FORM_ONE kind.
 * 0, -EINVAL (unknown kind, missing or unexpected stage, bad prefix) or
 * -ENAMETOOLONG when the name does not fit in len bytes.
 */
int shm_kind_name(char *buf, size_t len, const char *prefix, uint32_t kind, const char *stage,
		  uint32_t index);

/*
 * create and attach leave the name they tried in seg->name, on failure
 * too, for the caller's messages.
 */
struct shm_seg;
/* Create (or replace) the zeroed segment of kind, body_size bytes after its header. */
int shm_kind_create(const char *prefix, uint32_t kind, const char *stage, uint32_t index,
		    size_t body_size, struct shm_seg *seg);
/*
 * Attach to the segment of kind: -ENOENT when there is none, -EPROTO
 * when it is of another kind or version, or its body is smaller than
 * body_min bytes.
 */
int shm_kind_attach(const char *prefix, uint32_t kind, const char *stage, uint32_t index,
		    size_t body_min, struct shm_seg *seg);
int shm_kind_unlink(const char *prefix, uint32_t kind, const char *stage, uint32_t index);

#endif

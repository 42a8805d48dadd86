/*
 * NAME
 *	writer.h - vigil-writer: append datagrams to per-(camera, day) files
 *
 * DESCRIPTION
 *	writer_main.c reads the options and the environment and opens the
 *	rings; writer_loop.c sets the writer up and runs its loop, which
 *	decides when to sync; writer_turn.c is one turn of it (ring in,
 *	io_uring out); writer_file.c keeps the bounded cache of open day
 *	files with the set of counters each holds (a proto_ranges_t),
 *	writer_nats.c takes the writer's shard from NATS JetStream instead
 *	of the ring, writer_sync.c runs syncfs on a thread of its own.
 */
#ifndef VIGIL_WRITER_H
#define VIGIL_WRITER_H

#include <liburing.h>
#include <stdint.h>
#include <sys/uio.h>

#include "proto.h"
#include "proto_record.h"
#include "proto_ranges.h"
#include "shm.h"
#include "shm_metrics.h"

/*
 * The counters a file holds under one session (a session is named by
 * its hello's counter, docs/PROTOCOL.md): a datagram's key and nonce
 * derive from (session, counter), so a counter that comes again under
 * another session is other content. reused: two different hellos (hello
 * ids) named this session, as a camera that lost its state makes; the
 * header then cannot tell them apart.
 */
typedef struct writer_sess {
	uint32_t id;
	int reused, hello; /* hello: hello_id is known */
	uint8_t hello_id[PROTO_HELLO_ID_LEN];
	proto_ranges_t have;
} writer_sess_t;

/* What a file of the cache is: a day file, or the conflict file beside it. */
enum { WRITER_DAY = 0, WRITER_CONFLICT = 1 };

typedef struct writer_file {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	int kind;       /* WRITER_DAY or WRITER_CONFLICT */
	int fd;         /* -1: slot free */
	uint64_t size;  /* where the next record goes */
	uint64_t dirty; /* written since the last sync: the sync round it waits for, 0: clean */
	uint64_t used;  /* LRU clock */
	int next;       /* hash chain */
	int group;      /* its write group in the current turn, -1: none */
	int fresh;      /* created since its last sync: its folder wants one too */
	proto_ranges_t have; /* counters the file holds */
	writer_sess_t *sess; /* ... by session: nsess of them, few a day */
	int nsess, cur;      /* cur: the session of the last record noted */
	uint64_t logged;     /* conflict file: 1 + the session whose conflicts were logged last */
} writer_file_t;

/* A day file another process holds: tried again no sooner than WRITER_LOCK_RETRY_MS. */
typedef struct writer_refused {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;     /* 0: entry free */
	uint64_t retry_ms; /* monotonic */
} writer_refused_t;

#define WRITER_REFUSED_MAX 64
#define WRITER_LOCK_RETRY_MS 1000

typedef struct writer_files {
	const char *dir;
	int dirfd; /* the data folder, for syncfs */
	int max;
	writer_file_t *f;
	int *bucket; /* 2 * max heads of chains, -1 empty */
	int nbucket;
	uint64_t clock;
	writer_refused_t wait[WRITER_REFUSED_MAX];
	/* counters */
	uint64_t opened, evicted, torn_cut, torn_bytes, torn_headers, locked;
} writer_files_t;

/*
 * Can the writer keep its files in dir: 0 when dir is a folder it may
 * write in, or does not exist and its parent is one (writer_files_init
 * makes it); -errno otherwise. Nothing is made.
 */
int writer_files_check(const char *dir);
int writer_files_init(writer_files_t *fs, const char *dir, int max);
/*
 * The open file of (uuid, date, kind) in *out, opening or creating it (a
 * new file gets its header; an existing one is scanned for the counters
 * it holds and a torn tail is cut off; one whose header is torn is set
 * aside and started again). Opening takes an exclusive record lock on
 * the whole file (F_OFD_SETLK), held while it is open: the writer is its
 * one appender. 0, or -errno when the file cannot be used (logged by the
 * caller, with writer_files_path); -EAGAIN when another process holds
 * its lock (logged once per file, counted in fs->locked; asked again
 * within WRITER_LOCK_RETRY_MS, refused without trying). Files in a write group
 * of the current turn (group >= 0) are never evicted: -EMFILE when every
 * slot holds one.
 */
int writer_files_get(writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		     int kind, writer_file_t **out);
/* The path of (uuid, date, kind) in path[cap]. */
void writer_files_path(const writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		       int kind, char *path, size_t cap);
/*
 * Is the datagram dg (whose counter f holds) other content than the
 * one f holds? Yes when f holds its counter under another session, or
 * it is a hello whose hello id differs from the stored one of its
 * session, or its session was named by two different hellos. *held_by:
 * the session f holds the counter under.
 */
int writer_file_conflicts(writer_file_t *f, const uint8_t *dg, size_t len, uint32_t *held_by);
/* f now holds dg (its counter, under its session): 0 or -ENOMEM. */
int writer_file_note(writer_file_t *f, const uint8_t *dg, size_t len);
/* fsync the folder of f (its name is new): 0 or -errno. */
int writer_files_sync_dir(const writer_files_t *fs, const writer_file_t *f);
/* fdatasync every dirty file synchronously (eviction and shutdown). */
int writer_files_sync_all(writer_files_t *fs);
/* Dirty files: how many are written since their last sync. */
int writer_files_dirty(const writer_files_t *fs);
void writer_files_close(writer_files_t *fs);

/*
 * transport = nats (writer_nats.c): open consumes shard into a private
 * ring (*out NULL and 0 when the transport is the shared ring), once it
 * holds the shard's lease (-EBUSY: another node does, logged); release
 * acknowledges the n oldest messages, durable now, and frees their slots.
 */
typedef struct writer_nats writer_nats_t;
int writer_nats_open(writer_nats_t **out, uint32_t shard, uint32_t nslots, shm_ring_t **ring);
void writer_nats_release(writer_nats_t *wn, uint64_t n);
uint64_t writer_nats_bad(const writer_nats_t *wn); /* undecodable since the last call */
void writer_nats_close(writer_nats_t *wn);

/*
 * writer_sync.c: syncfs of the data folder on a thread of its own, one
 * at a time. begin asks for one; poll returns 1 once it finished, with
 * its result (0 or -errno) in *rc, 0 while it runs; wait blocks until
 * it finished. stop ends the thread (no sync in flight).
 */
typedef struct writer_syncer writer_syncer_t;
int writer_sync_start(writer_syncer_t **out, int dirfd);
int writer_sync_begin(writer_syncer_t *s);
int writer_sync_poll(writer_syncer_t *s, int *rc);
int writer_sync_wait(writer_syncer_t *s, int *rc);
void writer_sync_stop(writer_syncer_t *s);

#define WRITER_BATCH_MAX 8192        /* datagrams per turn at most; half the ring if less */
#define WRITER_GROUP_AUTO UINT64_MAX /* group_ms unset: 50 ms, 100 on FUSE */

typedef struct writer writer_t;
struct writer {
	shm_ring_t *in;
	shm_ring_t *notices; /* to the indexer; NULL when vigild made none */
	writer_files_t files;
	struct io_uring ring;
	int durable;
	uint64_t sync_ms, sync_bytes;
	uint64_t last_sync_ms, unsynced;
	uint64_t held;          /* peeked and written, waiting for fdatasync (durable) */
	uint64_t group_ns;      /* how long a turn may wait for more datagrams */
	uint64_t group_ms;      /* WRITER_GROUP_AUTO until writer_loop_open */
	uint64_t sync_failures; /* failed syncs in a row, 0 while syncs succeed */
	/*
	 * A syncfs on the sync thread (writer_sync.c) covers what was
	 * written before it was asked for: files written since wait for the
	 * next round (their dirty mark is a later round), and so do the
	 * bytes and the held entries counted since.
	 */
	writer_syncer_t *syncer; /* NULL: every sync runs in the loop */
	int inflight;            /* a sync thread's syncfs runs */
	uint64_t round;          /* the dirty mark of a file written now */
	uint64_t inflight_round, inflight_held, inflight_unsynced;
	uint64_t *m_appended, *m_bytes, *m_dups, *m_bad, *m_syncs, *m_opened, *m_torn;
	uint64_t *m_conflicts, *m_unstored, *m_torn_hdr;
	/*
	 * Files that cannot be used (writer_turn.c): the oldest entry's file
	 * failed since stuck_ms (mono, 0: it did not), and the files given
	 * up on, tried again at their retry_ms.
	 */
	uint64_t stuck_ms, stuck_retry_ms;
	struct writer_bad {
		uint8_t uuid[PROTO_UUID_LEN];
		uint32_t date;
		int kind;
		uint64_t retry_ms, unstored;
	} bad[16];
	int nbad;
	uint64_t *m_sync_failed, *m_locked;
	writer_nats_t *nats; /* transport = nats: in is this consumer's private ring */
	int no_syncfs;       /* FUSE (GlusterFS): syncfs does not reach the bricks */
	/* a turn's scratch, batch entries each (writer_turn_alloc) */
	int batch;
	uint8_t (*hdr)[PROTO_REC_HDR_LEN];
	struct iovec *iov; /* 2 * batch */
	writer_file_t **gfile;
	int *next, *ghead, *gtail, *gcount;
	struct writer_gw { /* a group's writev */
		uint64_t off, bytes;
		int iov, niov;
	} * gw;
};

/* Add n to a counter of the metrics segment, when there is one. */
static inline void
writer_count(uint64_t *c, uint64_t n)
{
	if (c)
		shm_metrics_add(c, n);
}

/*
 * writer_loop.c: open sets w up over w->in (and w->notices, the
 * metrics, durable, sync_ms, sync_bytes and group_ms the caller set):
 * the turn's arrays, the file cache of dir, io_uring, the sync thread.
 * 0 or -errno. run appends until stage_stop_requested(), then makes
 * the last turn durable and releases it: 0, or -errno when a write or
 * that last sync failed (what is not released is written again by the
 * next writer). close releases what open took, and the NATS consumer.
 */
int writer_loop_open(writer_t *w, const char *dir, int max_open);
int writer_loop_run(writer_t *w);
void writer_loop_close(writer_t *w);

/*
 * writer_turn.c: a turn's arrays for batch datagrams (alloc: 0 or
 * -ENOMEM, nothing left allocated); wait says whether the next turn
 * should wait for more datagrams, and how long at most; run appends up
 * to w->batch datagrams: how many, or -errno; release hands the n
 * oldest peeked entries on.
 */
int writer_turn_alloc(writer_t *w, int batch);
void writer_turn_free(writer_t *w);
int writer_turn_wait(writer_t *w, uint64_t *sleep_ns);
int writer_turn_run(writer_t *w);
void writer_turn_release(writer_t *w, uint64_t n);

#endif

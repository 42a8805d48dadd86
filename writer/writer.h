/*
 * NAME
 *	writer.h - vigil-writer: append datagrams to per-(camera, day) files
 *
 * DESCRIPTION
 *	writer_main.c runs the loop (ring in, io_uring out), writer_file.c
 *	keeps the bounded cache of open day files with the set of counters
 *	each holds (a proto_ranges_t), writer_nats.c takes the writer's
 *	shard from NATS JetStream instead of the ring, writer_sync.c runs
 *	syncfs on a thread of its own.
 */
#ifndef VIGIL_WRITER_H
#define VIGIL_WRITER_H

#include <stdint.h>

#include "proto.h"
#include "proto_record.h"
#include "proto_ranges.h"
#include "shm.h"


typedef struct writer_file {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	int fd;		/* -1: slot free */
	uint64_t size;	/* where the next record goes */
	uint64_t dirty;	/* written since the last sync: the sync round it waits for, 0: clean */
	uint64_t used;	/* LRU clock */
	int next;	/* hash chain */
	int group;	/* its write group in the current turn, -1: none */
	int fresh;	/* created since its last sync: its folder wants one too */
	proto_ranges_t have; /* counters the file holds */
} writer_file_t;

typedef struct writer_files {
	const char *dir;
	int dirfd; /* the data folder, for syncfs */
	int max;
	writer_file_t *f;
	int *bucket; /* 2 * max heads of chains, -1 empty */
	int nbucket;
	uint64_t clock;
	/* counters */
	uint64_t opened, evicted, torn_cut, torn_bytes;
} writer_files_t;

int writer_files_init(writer_files_t *fs, const char *dir, int max);
/*
 * The open file of (uuid, date), opening or creating it (a new file gets
 * its header; an existing one is scanned for the counters it holds and a
 * torn tail is cut off). NULL on an I/O error (logged).
 */
writer_file_t *writer_files_get(writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN],
				uint32_t date);
/* fsync the folder of f (its name is new): 0 or -errno. */
int writer_files_sync_dir(const writer_files_t *fs, const writer_file_t *f);
/* fdatasync every dirty file synchronously (eviction and shutdown). */
int writer_files_sync_all(writer_files_t *fs);
/* Dirty files: how many are written since their last sync. */
int writer_files_dirty(const writer_files_t *fs);
void writer_files_close(writer_files_t *fs);

/*
 * transport = nats (writer_nats.c): open consumes shard into a private
 * ring (*out NULL and 0 when the transport is the shared ring); release
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

void writer_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

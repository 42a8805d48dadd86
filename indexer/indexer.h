/*
 * NAME
 *	indexer.h - vigil-indexer: derive the shared index from the day files
 *
 * DESCRIPTION
 *	indexer_main.c reads the options and the environment and attaches
 *	the segments; indexer_loop.c runs the loop (start-up scan, notices
 *	in, periodic rescan); indexer_file.c keeps the table of day files, each with a
 *	reader that follows the file, and feeds their records to libindex;
 *	indexer_keys.c opens the session of each stored hello with the
 *	server key to read telemetry and reports.
 */
#ifndef VIGIL_INDEXER_H
#define VIGIL_INDEXER_H

#include <stdint.h>

#include <openssl/evp.h>

#include "idx.h"
#include "shm_metrics.h"
#include "proto.h"
#include "proto_crypto.h"
#include "proto_record.h"

#define INDEXER_SESSIONS 4 /* sessions remembered per file */
#define INDEXER_RINGS 32   /* notice rings: one per writer */

typedef struct indexer_file {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	int used;
	proto_reader_t *rd; /* NULL while closed (LRU) */
	uint64_t offset;    /* where the reader goes on */
	uint64_t lru;
	idx_day_t *day;
	struct {
		uint32_t id;
		proto_session_t *s;
	} sess[INDEXER_SESSIONS];
	int nsess;
	uint64_t last_to, changed_ms; /* when indexed_to last moved */
	uint64_t ckpt_at;             /* indexed_to of the checkpoint on disk */
	int ckpt_tried;
} indexer_file_t;

typedef struct indexer {
	idx_t *idx;
	const char *dir;
	EVP_PKEY *server_key; /* NULL: no telemetry nor reports */
	indexer_file_t *f;
	int nfiles, cap, open, max_open;
	uint64_t clock;
	uint64_t ckpt_idle_ms; /* 0: no checkpoints */
	uint64_t rescan_ms;
	shm_ring_t *ring[INDEXER_RINGS]; /* the writers' notices */
	int nrings;
	uint64_t *m_records, *m_bytes, *m_notices, *m_rescans, *m_damaged, *m_full;
	uint64_t *m_ckpt_loaded, *m_ckpt_ignored, *m_ckpt_written;
} indexer_t;

/*
 * indexer_loop.c: start clears the index (a new generation), scans
 * every file and marks the index ready; run follows the notices and
 * rescans every rescan_ms until stage_stop_requested(); close frees
 * the files, the key and the index's mapping.
 */
void indexer_loop_start(indexer_t *ix);
void indexer_loop_run(indexer_t *ix);
void indexer_loop_close(indexer_t *ix);

/*
 * indexer_file.c. check: can the indexer read the files of dir and
 * write checkpoints beside them: 0 when dir is such a folder, or does
 * not exist yet (the writers make it); -errno otherwise.
 */
int indexer_file_check(const char *dir);
/* The file of (uuid, date), added when absent. NULL: out of memory. */
indexer_file_t *indexer_file_get(indexer_t *ix, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date);
/* Index what the file holds past what was indexed. Records indexed, or -errno. */
int indexer_file_update(indexer_t *ix, indexer_file_t *f);
/* Walk DATA/<uuid>/<date>.vgl and update every file (start-up and rescan). */
int indexer_scan_dir(indexer_t *ix);

/* A record of a hello, report or telemetry datagram: learn from it. */
void indexer_keys_hello(indexer_t *ix, indexer_file_t *f, const uint8_t *dg, size_t len);
void indexer_keys_data(indexer_t *ix, indexer_file_t *f, const proto_data_hdr_t *h,
		       const uint8_t *dg, size_t len);
void indexer_keys_report(indexer_t *ix, indexer_file_t *f, const uint8_t *dg, size_t len);
void indexer_keys_free(indexer_file_t *f);

/* indexer_ckpt.c: load a file's checkpoint before its first scan; save idle ones. */
void indexer_ckpt_load(indexer_t *ix, indexer_file_t *f);
void indexer_ckpt_tick(indexer_t *ix, uint64_t now_ms);
/* indexer_chain.c: extend the signed chains of the files that grew. */
void indexer_chain_tick(indexer_t *ix);
void indexer_chain_free(void);

#endif

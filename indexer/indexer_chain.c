/*
 * NAME
 *	indexer_chain.c - keep each day file's signed hash chain up to date
 *
 * DESCRIPTION
 *	After a rescan, every INDEXER_CHAIN_MS per file, the indexer extends
 *	the chain beside each day file that grew (proto_chain_update: it
 *	reads the file, never the writer's path) and signs a checkpoint
 *	with the server key; once the UTC day has been over for a minute it
 *	signs the closing checkpoint. Without the server key nothing is
 *	chained. A turn extends at most INDEXER_CHAIN_TURN files by at most
 *	INDEXER_CHAIN_BYTES each, so that a large backlog does not stall the
 *	index; the rest follows on the next turns.
 */
#include <stdlib.h>
#include <string.h>

#include "indexer.h"
#include "stage.h"
#include "proto_chain.h"

#define INDEXER_CHAIN_MS 10000
#define INDEXER_CHAIN_BYTES (16u << 20)
#define INDEXER_CHAIN_TURN 4 /* files extended per turn, so notices wait little */
#define INDEXER_CHAIN_BACKLOG 10000
#define DAY_MS 86400000ull

static struct chain_state {
	uint64_t next_ms, end; /* next_ms: monotonic */
	int closed;
} * cs;
static int ncs;

void
indexer_chain_tick(indexer_t *ix)
{
	char path[4200];
	/* the wall clock signs checkpoints and ends days; the monotonic one paces */
	uint64_t now_ms = proto_now_ms(), mono = proto_mono_ms();
	int i, rc, closed, busy = 0;

	if (ix->server_key == NULL)
		return;
	if (ncs < ix->nfiles) {
		struct chain_state *p = realloc(cs, (size_t)ix->nfiles * sizeof(*p));
		if (p == NULL)
			return;
		memset(p + ncs, 0, (size_t)(ix->nfiles - ncs) * sizeof(*p));
		cs = p;
		ncs = ix->nfiles;
	}
	for (i = 0; i < ix->nfiles && busy < INDEXER_CHAIN_TURN; i++) {
		indexer_file_t *f = &ix->f[i];

		if (mono < cs[i].next_ms)
			continue;
		closed = now_ms >= ((uint64_t)f->date + 1) * DAY_MS + 60000;
		if (f->offset <= cs[i].end && (!closed || cs[i].closed))
			continue;
		if (proto_file_path(ix->dir, f->uuid, f->date, path, sizeof(path)) < 0)
			continue;
		rc = proto_chain_update(path, ix->server_key, now_ms, closed, INDEXER_CHAIN_BYTES);
		if (rc < 0) {
			/* the code names the cause; the message, when set, says where */
			log_warnx("%s: chain: %s%s%s", path, proto_strerror(rc),
				  *proto_errmsg() ? ": " : "", proto_errmsg());
			cs[i].next_ms = mono + 6 * INDEXER_CHAIN_MS;
			continue;
		}
		busy += rc > 0;
		/* a large backlog (many records in one call) goes on next turn */
		cs[i].next_ms = rc >= INDEXER_CHAIN_BACKLOG ? mono : mono + INDEXER_CHAIN_MS;
		cs[i].end = f->offset;
		cs[i].closed = closed;
	}
}

void
indexer_chain_free(void)
{
	free(cs);
	cs = NULL;
	ncs = 0;
}

/*
 * NAME
 *	vigild.h - the master: configuration, stages, supervision
 *
 * DESCRIPTION
 *	vigild_conf.c reads vigil.conf (with libstage's option tables),
 *	vigild_stage.c starts, watches and
 *	restarts stage processes with a throttle, vigild_main.c creates the
 *	shared memory and runs the supervision loop.
 */
#ifndef VIGILD_H
#define VIGILD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "shm.h"
#include "shm_status.h"
#include "stage.h"

#define VIGILD_MAX_ARGS 64
#define VIGILD_STAGE_KINDS (STAGE_NKINDS - 1) /* one of each stage at most */
#define VIGILD_NOTICE_SLOTS 256 /* per writer: notices are tiny and droppable */

#define VIGILD_PROGRAM_DIR "/usr/local/bin" /* a block's program: DIR/vigil-NAME */

/*
 * A stage of vigil.conf, from its block or its "stage NAME = ..." line.
 * The program is the stage's own (vigil-NAME): its options are checked
 * against the stage's table and it is started with them as flags
 * (stage_opts_argv). Any other program (a test's stand-in) is started
 * with its arguments as written.
 */
typedef struct vigild_stage_conf {
	stage_kind_t kind;
	char name[24];
	char program[STAGE_STR_MAX];
	int standin;		/* program is not vigil-NAME: args as written */
	char args[STAGE_CONF_LINE]; /* a stand-in's arguments; "%i": the instance */
	stage_opts_t opts;	/* the stage's options, as given in the file */
	int instances;		/* writers: the writers option */
} vigild_stage_conf_t;

typedef struct vigild_conf {
	char shm_prefix[32];
	int writers;
	uint32_t ring_slots;
	int restart_min_ms;
	int restart_max_ms;
	int stable_ms; /* a stage that ran this long has its backoff reset */
	int drain_timeout_ms;
	char metrics_listen[64]; /* HOST:PORT, empty: no endpoint */
	uint32_t index_days;	 /* partitions the shared index holds */
	uint32_t index_arena_mb; /* its arrays (keyframes, points, ranges) */
	int nats;		 /* transport = nats: listener and writers over JetStream */
	char nats_url[256];
	char nats_stream[64];
	int nats_ack_wait_ms;
	int nats_replicas; /* of the stream, when vigil creates it */
	int nats_lease_ms; /* a writer's shard lease, unrenewed, lasts this long */
	uint32_t writer_shards; /* bit k: this node runs writer k (default all) */
	vigild_stage_conf_t stage[VIGILD_STAGE_KINDS];
	int nstage;
} vigild_conf_t;

/* Read and check path; -EINVAL etc. with stage_errmsg() naming the file and line. */
int vigild_conf_load(const char *path, vigild_conf_t *c);
/* Write a vigil.conf of every key with its default (vigild -D). */
void vigild_conf_dump(FILE *f);

typedef struct vigild_stage {
	const vigild_stage_conf_t *conf;
	int index;
	pid_t pid;
	int backoff_ms; /* delay before the next restart after a crash */
	uint64_t start_ms;
	uint64_t next_start_ms;
	uint32_t seen_req;
	int stopping;  /* asked to stop: do not restart */
	int requested; /* the operator asked for a restart */
	shm_stage_status_t *st;
} vigild_stage_t;

int vigild_stage_start(vigild_stage_t *s, const vigild_conf_t *c);
/* A child exited: log it, plan its restart. */
void vigild_stage_exited(vigild_stage_t *s, const vigild_conf_t *c, int status, uint64_t now);

int vigild_metrics_listen(const char *spec);
void vigild_metrics_serve(int lfd, const vigild_conf_t *c, const shm_status_t *st);

/*
 * vigild_own.c: one vigild per configuration. lock takes the lock of
 * prefix (0, *fd held; -EAGAIN with the holder's pid in *holder when
 * another vigild has it; -errno); note writes this process's pid into
 * it again (after daemon()); unlock removes it and lets it go (a clean
 * stop). end_previous ends the stages a previous
 * vigild of this prefix left running (how many, or -EBUSY when one
 * survives SIGKILL).
 */
int vigild_own_lock(const char *prefix, int *fd, pid_t *holder);
int vigild_own_note(int fd);
void vigild_own_unlock(const char *prefix, int fd);
int vigild_own_end_previous(const vigild_conf_t *c);

/* The monotonic clock (ms): restarts, backoff, deadlines, the uptimes in shm_status_t. */
uint64_t vigild_now_ms(void);

#endif

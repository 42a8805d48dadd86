/*
 * NAME
 *	vigild.h - the master: configuration, stages, supervision
 *
 * DESCRIPTION
 *	vigild_conf.c reads vigil.conf (with libstage's option tables),
 *	vigild_own.c makes one vigild per configuration, vigild_shm.c
 *	creates and removes the shared memory, vigild_stage.c starts one
 *	stage process and plans its restart with a throttle, vigild_super.c
 *	runs the supervision loop, vigild_stop.c stops stages (gracefully
 *	at the end), vigild_reload.c rereads the configuration on SIGHUP,
 *	vigild_metrics.c serves the metrics endpoint; vigild_main.c is
 *	main() alone, the order of all these.
 */
#ifndef VIGILD_H
#define VIGILD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "idx.h"
#include "shm.h"
#include "shm_status.h"
#include "stage.h"

#define VIGILD_MAX_ARGS 64
#define VIGILD_STAGE_KINDS (STAGE_NKINDS - 1) /* one of each stage at most */
#define VIGILD_NOTICE_SLOTS 256               /* per writer: notices are tiny and droppable */

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
	int standin;                /* program is not vigil-NAME: args as written */
	char args[STAGE_CONF_LINE]; /* a stand-in's arguments; "%i": the instance */
	stage_opts_t opts;          /* the stage's options, as given in the file */
	int instances;              /* writers: the writers option */
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
	uint32_t index_days;     /* partitions the shared index holds */
	uint32_t index_arena_mb; /* its arrays (keyframes, points, ranges) */
	int nats;                /* transport = nats: listener and writers over JetStream */
	char nats_url[256];
	char nats_stream[64];
	int nats_ack_wait_ms;
	int nats_replicas;      /* of the stream, when vigil creates it */
	int nats_lease_ms;      /* a writer's shard lease, unrenewed, lasts this long */
	uint32_t writer_shards; /* bit k: this node runs writer k (default all) */
	vigild_stage_conf_t stage[VIGILD_STAGE_KINDS];
	int nstage;
} vigild_conf_t;

/* Read and check path; -EINVAL etc. with stage_errmsg() naming the file and line. */
int vigild_conf_load(const char *path, vigild_conf_t *c);
/* Write a vigil.conf of every key with its default (vigild -D). */
void vigild_conf_dump(FILE *f);
/* Warn of each stage program given by path that is not executable (it is retried later). */
void vigild_conf_check_programs(const vigild_conf_t *c);

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

/*
 * The master's state: its configuration, the shared segments it made
 * and the table of stage processes (one slot each in the status
 * segment). main() holds the one instance.
 */
typedef struct vigild {
	vigild_conf_t conf;
	const char *conf_path;
	shm_seg_t status_seg;
	shm_status_t *status;
	shm_seg_t ring_seg[32];
	int nrings;
	shm_seg_t notice_seg[32]; /* writer k -> indexer: "appended" notices */
	idx_t *idx;
	shm_seg_t sync_seg[2]; /* listener <-> syncd, when a syncd stage is configured */
	int nsync;
	vigild_stage_t stage[SHM_STATUS_MAX];
	int nstage;
} vigild_t;

/* vigild_shm.c */
/* Make the status segment, the rings and the index: 0, or -1 logged (the caller removes). */
int vigild_shm_create(vigild_t *d);
/* Unlink every segment of this run and the stages' own, all but the lock. */
void vigild_shm_remove(vigild_t *d);
/* Make a ring to each writer and one for its notices: 0, or -1 logged. */
int vigild_shm_create_rings(vigild_t *d);
/* Detach and unlink the writers' rings and notice rings. */
void vigild_shm_remove_rings(vigild_t *d);

/* vigild_super.c */
/* Fill the stage table and its status slots from d->conf (writers: writer_shards). */
void vigild_super_plan(vigild_t *d);
/* Collect every exited child and plan its stage's restart. */
void vigild_super_reap(vigild_t *d);
/* Start, restart and reload until a stop is asked for; mfd: the metrics socket or -1. */
void vigild_super_run(vigild_t *d, int mfd);

/* vigild_stop.c; which: a stage name, NULL for all */
/* Send sig to the stages named which and mark them not to be restarted. */
void vigild_stop_stages(vigild_t *d, const char *which, int sig);
/* Reap until no stage named which runs, or until deadline (ms, vigild_now_ms). */
void vigild_stop_wait(vigild_t *d, const char *which, uint64_t deadline);
/* The listener, the rings drained, the rest: SIGTERM, then SIGKILL; all reaped. */
void vigild_stop_graceful(vigild_t *d);
/* Wait until the writers' rings are empty (1) or deadline passes (0). */
int vigild_stop_drained(vigild_t *d, uint64_t deadline);
/* How many stages named which have a process. */
int vigild_stop_alive(const vigild_t *d, const char *which);
/* Let the stages named which, stopped on purpose, start again at once. */
void vigild_stop_cancel(vigild_t *d, const char *which);

/* vigild_reload.c */
/* Reread d->conf_path (SIGHUP); keeps the running configuration if it does not load. */
void vigild_reload_conf(vigild_t *d);

/* The monotonic clock (ms): restarts, backoff, deadlines, the uptimes in shm_status_t. */
uint64_t vigild_now_ms(void);

#endif

/*
 * NAME
 *	vigild.h - the master: configuration, stages, supervision
 *
 * DESCRIPTION
 *	vigild_conf.c reads vigil.conf, vigild_stage.c starts, watches and
 *	restarts stage processes with a throttle, vigild_main.c creates the
 *	shared memory and runs the supervision loop.
 */
#ifndef VIGILD_H
#define VIGILD_H

#include <stdint.h>
#include <sys/types.h>

#include "shm.h"
#include "shm_status.h"

#define VIGILD_MAX_ARGS 32
#define VIGILD_STAGE_KINDS 8
#define VIGILD_NOTICE_SLOTS 256 /* per writer: notices are tiny and droppable */

typedef struct vigild_stage_conf {
	char name[24];
	char cmd[1024]; /* program and arguments; "%i" becomes the instance number */
	int instances;	/* writers: the writers option */
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
	uint32_t writer_shards; /* bit k: this node runs writer k (default all) */
	char hello_cookie[8];	/* auto, always, off: the listener's -k */
	uint32_t hello_load;	/* hellos a second above which cookies are asked: -L */
	vigild_stage_conf_t stage[VIGILD_STAGE_KINDS];
	int nstage;
} vigild_conf_t;

int vigild_conf_load(const char *path, vigild_conf_t *c);

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

/* The monotonic clock (ms): restarts, backoff, deadlines, the uptimes in shm_status_t. */
uint64_t vigild_now_ms(void);
void vigild_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

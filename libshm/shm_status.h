/*
 * NAME
 *	shm_status.h - the master's status segment, read by vigilctl
 *
 * DESCRIPTION
 *	vigild writes one entry per stage instance: name, pid, start time,
 *	restart count. vigilctl reads it without locks (single writer; a
 *	reader may see an entry mid-update and simply reads it again on the
 *	next call) and asks for the restart of one stage by bumping that
 *	entry's restart_req and sending SIGUSR1 to vigild. This is the
 *	control plane: nothing on the data path goes through it.
 */
#ifndef VIGIL_SHM_STATUS_H
#define VIGIL_SHM_STATUS_H

#include <stdint.h>

#define SHM_STATUS_MAX 64

typedef struct shm_stage_status {
	char name[24];     /* "listener", "writer", ... */
	uint32_t index;    /* instance number (writers) */
	int32_t pid;       /* 0 while not running */
	uint64_t start_ms; /* CLOCK_MONOTONIC of the last start */
	uint32_t restarts;
	uint32_t restart_req; /* bumped by vigilctl restart */
	uint64_t
	    next_start_ms; /* when a throttled stage starts again (monotonic); 0: not waiting */
} shm_stage_status_t;

typedef struct shm_status {
	int32_t master_pid;
	uint32_t nstages;
	uint64_t master_start_ms; /* CLOCK_MONOTONIC */
	shm_stage_status_t stage[SHM_STATUS_MAX];
} shm_status_t;

#endif

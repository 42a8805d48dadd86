/*
 * NAME
 *	stage.h - the skeleton every vigil process shares: errors, signals,
 *	environment, metrics
 *
 * DESCRIPTION
 *	A stage's main() reads straight down with these:
 *
 *		stage_opts_t o;
 *		shm_seg_t mseg;
 *		uint32_t index;
 *
 *		log_init("vigil-writer", -1, STAGE_LOG_STDERR);
 *		if (stage_opts_getopt(STAGE_WRITER, argc, argv, &o) == STAGE_OPTS_CHECK)
 *			... check what can be checked, return 0 or 1;
 *		if (stage_env_prefix(&pfx) < 0 || stage_env_index(1, &index) < 0)
 *			fatalx("%s", stage_errmsg());	(or log and return 2)
 *		log_set_index((int)index);
 *		stage_metrics_open("writer", index, metrics, nmetrics, &mseg);
 *		stage_signals_init(STAGE_SIG_STOP, NULL);
 *		while (!stage_stop_requested())
 *			...
 *
 *	stage_log.h holds the log functions, stage_opt.h the typed options
 *	(one table per stage, stage_schema.c), stage_conf.h the vigil.conf
 *	reader. Functions return 0 or -errno; on failure stage_errmsg()
 *	says what and where. Apart from log_* and fatal*, nothing here
 *	prints or exits.
 */
#ifndef VIGIL_STAGE_H
#define VIGIL_STAGE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "shm.h"
#include "stage_conf.h"
#include "stage_log.h"
#include "stage_opt.h"

/* stage_err.c: the last error of this thread, with context; never NULL */
const char *stage_errmsg(void);
void stage_set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * stage_sig.c: handlers that only set flags (sig_atomic_t); the loop
 * asks. STAGE_SIG_STOP is SIGTERM and SIGINT. wake, when not NULL, is
 * called from the handler after the flag is set, to interrupt a wait
 * that no signal interrupts (lws_cancel_service): it must be
 * async-signal-safe. Calling init again adds signals (and replaces wake).
 * STAGE_SIG_NOPIPE ignores SIGPIPE (sockets report EPIPE instead).
 */
#define STAGE_SIG_STOP 0x01u
#define STAGE_SIG_HUP 0x02u
#define STAGE_SIG_USR1 0x04u
#define STAGE_SIG_CHLD 0x08u
#define STAGE_SIG_NOPIPE 0x10u
int stage_signals_init(unsigned mask, void (*wake)(void));
/* Give the signals of mask back their default disposition (and flags). */
void stage_signals_default(unsigned mask);
/*
 * Block the signals installed so far; they are then delivered only
 * inside a wait given stage_signals_waitmask() (ppoll, pselect,
 * sigsuspend), so a flag set is never missed between test and wait.
 */
int stage_signals_block(void);
const sigset_t *stage_signals_waitmask(void);
int stage_stop_requested(void); /* SIGTERM or SIGINT came (stays set) */
void stage_request_stop(void);  /* the same, from the program itself */
int stage_take_hup(void);       /* SIGHUP came since the last take: 1 once */
int stage_take_usr1(void);
int stage_take_chld(void);

/*
 * A stage that exits with STAGE_EXIT_REFUSED was refused something only
 * one process may hold (a writer's shard lease held by another node):
 * vigild says so and retries it no sooner than restart_max_ms later.
 */
#define STAGE_EXIT_REFUSED 3

/*
 * stage_env.c: what vigild hands each stage in its environment
 * (vigild_stage.c sets them with these names).
 */
#define STAGE_ENV_STAGE "VIGIL_STAGE"
#define STAGE_ENV_INDEX "VIGIL_STAGE_INDEX"
#define STAGE_ENV_PREFIX "VIGIL_SHM_PREFIX"
#define STAGE_ENV_WRITERS "VIGIL_WRITERS"
#define STAGE_ENV_TRANSPORT "VIGIL_TRANSPORT"
#define STAGE_ENV_NATS_URL "VIGIL_NATS_URL"
#define STAGE_ENV_NATS_STREAM "VIGIL_NATS_STREAM"
#define STAGE_ENV_NATS_ACK_WAIT_MS "VIGIL_NATS_ACK_WAIT_MS"
#define STAGE_ENV_NATS_REPLICAS "VIGIL_NATS_REPLICAS"
#define STAGE_ENV_NATS_LEASE_MS "VIGIL_NATS_LEASE_MS"
#define STAGE_ENV_KEYDIR "VIGIL_KEYDIR" /* the operator's, for tools and tests */
#define STAGE_ENV_DATADIR "VIGIL_DATADIR"

/* VIGIL_SHM_PREFIX, or NULL outside vigild. The string is the environment's. */
const char *stage_shm_prefix(void);
/* The same, or -ENOENT and "runs under vigild (VIGIL_SHM_PREFIX is not set)". */
int stage_env_prefix(const char **prefix);
/*
 * VIGIL_STAGE_INDEX, 0..1023. Unset: 0, or -ENOENT when required; not a
 * number in range: -EINVAL, the message naming the variable and value.
 */
int stage_env_index(int required, uint32_t *index);
/* VIGIL_WRITERS, 1..32; -ENOENT when unset, -EINVAL when bad. */
int stage_env_writers(int *writers);
/* 1 when VIGIL_TRANSPORT is "nats" (listener and writers over JetStream). */
int stage_env_nats(void);
/* VIGIL_KEYDIR, or def when unset. */
const char *stage_env_keydir(const char *def);

/*
 * stage_metrics.c: a stage declares its counters once,
 *
 *	static const stage_metric_t metrics[] = {
 *		{"indexed_records_total", &ix.m_records},
 *		...
 *	};
 *
 * and stage_metrics_open() opens (or re-attaches) its metrics segment
 * <prefix>-metrics-<stage>-<index> in seg (the caller's, kept mapped
 * for the life of the process) and points every counter at its slot;
 * a re-attached counter keeps its total. Outside vigild (no prefix)
 * returns -ENOENT; a counter beyond the segment's table stays NULL.
 * The counters are then added to with shm_metrics_add().
 */
typedef struct stage_metric {
	const char *name;   /* Prometheus name without the vigil_ prefix */
	uint64_t **counter; /* set to the counter's slot, or NULL */
} stage_metric_t;
int stage_metrics_open(const char *stage, uint32_t index, const stage_metric_t *table, size_t n,
		       shm_seg_t *seg);

#endif

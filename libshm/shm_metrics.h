/*
 * NAME
 *	shm_metrics.h - per-stage counters in shared memory, Prometheus text
 *
 * DESCRIPTION
 *	Each stage process owns one metrics segment
 *	(<prefix>-metrics-<stage>-<index>) holding named 64-bit counters.
 *	Only the owning stage writes a counter (relaxed atomic stores, no
 *	read-modify-write shared with anyone); vigild and vigilctl read them
 *	without locks. A counter's slot is claimed once, at start-up, by
 *	name; a restarted stage re-attaches and finds its counters, so
 *	totals survive a restart of the stage.
 */
#ifndef VIGIL_SHM_METRICS_H
#define VIGIL_SHM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "shm.h"

#define SHM_METRICS_MAX 64
#define SHM_METRIC_NAME 48

typedef struct shm_metric {
	char name[SHM_METRIC_NAME]; /* Prometheus metric name, without the vigil_ prefix */
	uint64_t value;
	uint64_t pad; /* one metric per cache line: no false sharing between writers */
} shm_metric_t;

typedef struct shm_metrics {
	char stage[24];
	uint32_t index;
	uint32_t n;
	uint8_t pad[SHM_CACHELINE - 32];
	shm_metric_t m[SHM_METRICS_MAX];
} shm_metrics_t;

/* Create or re-attach the stage's segment. */
int shm_metrics_open(const char *prefix, const char *stage, uint32_t index, shm_seg_t *seg,
		     shm_metrics_t **out);
/* The counter named `name`, claimed if new; NULL when the table is full. */
uint64_t *shm_metrics_counter(shm_metrics_t *m, const char *name);
static inline void
shm_metrics_add(uint64_t *c, uint64_t n)
{
	/* single writer: a plain load and an atomic store keep readers untorn */
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}
/*
 * Append Prometheus text for m to buf (cap bytes); returns the length it
 * needs (snprintf-like), so a caller can detect truncation.
 */
size_t shm_metrics_render(const shm_metrics_t *m, char *buf, size_t cap);

/*
 * A stage whose metrics carry labels (one series per camera) renders
 * Prometheus text itself into <prefix>-text-<stage>-<index>; vigild
 * serves it beside the counters. One writer; readers copy under a
 * sequence number (odd while the writer is in the middle) and retry.
 */
#define SHM_TEXT_MAX (256 * 1024)

typedef struct shm_text {
	uint64_t seq;
	uint64_t len;
	char text[SHM_TEXT_MAX];
} shm_text_t;

/* Create or re-attach the stage's text segment. */
int shm_text_open(const char *prefix, const char *stage, uint32_t index, shm_text_t **out);
void shm_text_publish(shm_text_t *t, const char *text, size_t len);
/* Copy the text into buf (cap bytes); returns its length, 0 when torn or too long. */
size_t shm_text_read(const shm_text_t *t, char *buf, size_t cap);

#endif

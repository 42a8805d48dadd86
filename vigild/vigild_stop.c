/*
 * NAME
 *	vigild_stop.c - stop stages, and stop gracefully
 *
 * DESCRIPTION
 *	vigild_stop_graceful() is SIGTERM's stop: the listener first, then,
 *	once the rings are drained (or drain_timeout_ms passed), every other
 *	stage with SIGTERM, and after another drain_timeout_ms SIGKILL.
 *	The others are its steps, also used to change the number of writers
 *	(vigild_reload.c): signal the stages of a name and mark them stopping
 *	(not restarted), wait until they are gone, wait until the rings are
 *	drained, count those alive, and let stopped ones start again.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigild.h"

/* Wait until no stage matching `which` runs, or the deadline. */
void
vigild_stop_wait(vigild_t *d, const char *which, uint64_t deadline)
{
	int i, alive;

	for (;;) {
		vigild_super_reap(d);
		for (alive = 0, i = 0; i < d->nstage; i++)
			if (d->stage[i].pid && (!which || !strcmp(d->stage[i].conf->name, which)))
				alive++;
		if (!alive || vigild_now_ms() >= deadline)
			break;
		struct timespec ts = {0, 20 * 1000000L};
		ppoll(NULL, 0, &ts, stage_signals_waitmask());
	}
}

void
vigild_stop_stages(vigild_t *d, const char *which, int sig)
{
	int i;

	for (i = 0; i < d->nstage; i++) {
		vigild_stage_t *s = &d->stage[i];
		if (which && strcmp(s->conf->name, which))
			continue;
		s->stopping = 1;
		if (s->pid > 0)
			kill(s->pid, sig);
	}
}

void
vigild_stop_graceful(vigild_t *d)
{
	uint64_t deadline = vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms;

	log_info("stopping: listener first, then the rest once the rings drain");
	vigild_stop_stages(d, "listener", SIGTERM);
	vigild_stop_wait(d, "listener", deadline);
	if (!vigild_stop_drained(d, deadline))
		log_warnx("rings not drained after %d ms; the rest is still on disk at the "
			  "cameras and will be fetched by sync",
			  d->conf.drain_timeout_ms);
	vigild_stop_stages(d, NULL, SIGTERM);
	vigild_stop_wait(d, NULL, vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms);
	vigild_stop_stages(d, NULL, SIGKILL);
	vigild_stop_wait(d, NULL, vigild_now_ms() + 2000);
}

int
vigild_stop_drained(vigild_t *d, uint64_t deadline)
{
	int i, drained;

	for (;;) {
		for (drained = 1, i = 0; i < d->nrings; i++)
			if (shm_ring_depth(shm_seg_body(&d->ring_seg[i])) != 0)
				drained = 0;
		if (drained || vigild_now_ms() >= deadline)
			return drained;
		usleep(20 * 1000);
	}
}

int
vigild_stop_alive(const vigild_t *d, const char *which)
{
	int i, n = 0;

	for (i = 0; i < d->nstage; i++)
		n += d->stage[i].pid > 0 && !strcmp(d->stage[i].conf->name, which);
	return n;
}

/* Stages named which, stopped on purpose, may start again. */
void
vigild_stop_cancel(vigild_t *d, const char *which)
{
	int i;

	for (i = 0; i < d->nstage; i++)
		if (!strcmp(d->stage[i].conf->name, which)) {
			d->stage[i].stopping = 0;
			d->stage[i].next_start_ms = 0;
		}
}

/*
 * NAME
 *	vigild_super.c - the supervision loop
 *
 * DESCRIPTION
 *	vigild_super_plan() lays out the stage table from the configuration
 *	(one writer per shard of writer_shards) and names each stage's slot
 *	in the status segment. vigild_super_run() runs the stages until a
 *	stop is asked for: it starts every stage that is due (at start, and
 *	after a crash once its backoff passed: vigild_stage.c), serves the
 *	metrics endpoint, and acts on the flags the signals set: SIGCHLD
 *	reaps (vigild_super_reap), SIGUSR1 takes `vigilctl restart`'s
 *	requests from the status segment, SIGHUP rereads the configuration
 *	(vigild_reload.c). Signals are delivered only while it waits.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "vigild.h"

void
vigild_super_plan(vigild_t *d)
{
	int k, i;

	for (k = 0; k < d->conf.nstage; k++) {
		int writer = !strcmp(d->conf.stage[k].name, "writer"), shard = -1;
		for (i = 0; i < d->conf.stage[k].instances && d->nstage < SHM_STATUS_MAX; i++) {
			vigild_stage_t *s = &d->stage[d->nstage];
			/* writers: the shards of writer_shards, in order */
			if (writer)
				while (!(d->conf.writer_shards & (1u << ++shard)))
					;
			s->conf = &d->conf.stage[k];
			s->index = writer ? shard : i;
			s->st = &d->status->stage[d->nstage];
			snprintf(s->st->name, sizeof(s->st->name), "%s", s->conf->name);
			s->st->index = (uint32_t)i;
			d->nstage++;
		}
	}
	d->status->nstages = (uint32_t)d->nstage;
}

void
vigild_super_reap(vigild_t *d)
{
	uint64_t now = vigild_now_ms();
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < d->nstage; i++)
			if (d->stage[i].pid == pid)
				vigild_stage_exited(&d->stage[i], &d->conf, status, now);
}

static void
start_due(vigild_t *d)
{
	uint64_t now = vigild_now_ms();
	int i;

	for (i = 0; i < d->nstage; i++) {
		vigild_stage_t *s = &d->stage[i];
		if (s->pid || s->stopping || s->next_start_ms > now)
			continue;
		if (s->start_ms)
			s->st->restarts++;
		if (vigild_stage_start(s, &d->conf) < 0) {
			s->next_start_ms = now + (uint64_t)d->conf.restart_max_ms;
			continue;
		}
		log_info("started %s[%d] pid %d", s->conf->name, s->index, (int)s->pid);
	}
}

static void
restart_requests(vigild_t *d)
{
	int i;

	for (i = 0; i < d->nstage; i++) {
		vigild_stage_t *s = &d->stage[i];
		/* acquire: pairs with vigilctl's release increment of restart_req */
		uint32_t req = __atomic_load_n(&s->st->restart_req, __ATOMIC_ACQUIRE);
		if (req == s->seen_req)
			continue;
		s->seen_req = req;
		if (s->pid > 0) {
			log_info("restart of %s[%d] requested", s->conf->name, s->index);
			s->requested = 1;
			kill(s->pid, SIGTERM);
		} else {
			s->next_start_ms = 0;
		}
	}
}

/* Run the stages until SIGTERM; act on the other signals' flags. */
void
vigild_super_run(vigild_t *d, int mfd)
{
	while (!stage_stop_requested()) {
		struct timespec ts = {0, 50 * 1000000L};
		struct pollfd pfd = {mfd, POLLIN, 0};
		start_due(d);
		/* signals are delivered only while waiting here */
		if (ppoll(&pfd, mfd >= 0, &ts, stage_signals_waitmask()) > 0 &&
		    (pfd.revents & POLLIN))
			vigild_metrics_serve(mfd, &d->conf, d->status);
		if (stage_take_chld())
			vigild_super_reap(d);
		if (stage_take_usr1())
			restart_requests(d);
		if (stage_take_hup())
			vigild_reload_conf(d);
	}
}

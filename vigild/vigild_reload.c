/*
 * NAME
 *	vigild_reload.c - SIGHUP: reread the configuration, resize
 *
 * DESCRIPTION
 *	vigild_reload_conf() rereads vigil.conf: the restart and drain
 *	settings take effect at once; a new writers (or writer_shards) at a
 *	safe point (resize() below); other changes need a restart of the
 *	stages. A file that does not load leaves the running configuration
 *	as it is. With transport = nats writers does not change here.
 */
#include <signal.h>
#include <string.h>

#include "vigild.h"

/*
 * A new number of writers (or of this machine's shards) takes effect at a
 * safe point: the listener stops (the cameras' datagrams wait in the
 * socket's buffer or are fetched again by sync), the rings drain, every
 * old writer (and the indexer, which reads their notice rings) has exited
 * before any new one starts, so no file ever has two appenders; then the
 * rings are made anew and the listener starts with the new count. Stages
 * that do not touch the rings run on. When the rings do not drain within
 * drain_timeout_ms nothing changes and the listener starts again.
 */
static void
resize(vigild_t *d, const vigild_conf_t *c)
{
	static vigild_stage_t old[SHM_STATUS_MAX];
	static shm_stage_status_t ost[SHM_STATUS_MAX];
	uint64_t deadline = vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms;
	int i, j, k, nold;

	log_info("writers %d -> %d: stopping the listener and draining the rings", d->conf.writers,
		 c->writers);
	vigild_stop_stages(d, "listener", SIGTERM);
	vigild_stop_wait(d, "listener", deadline);
	if (vigild_stop_alive(d, "listener") || !vigild_stop_drained(d, deadline)) {
		log_warnx("rings not drained within %d ms: keeping %d writers",
			  d->conf.drain_timeout_ms, d->conf.writers);
		vigild_stop_cancel(d, "listener");
		return;
	}
	vigild_stop_stages(d, "writer", SIGTERM);
	vigild_stop_stages(d, "indexer", SIGTERM);
	deadline = vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms;
	vigild_stop_wait(d, "writer", deadline);
	vigild_stop_wait(d, "indexer", deadline);
	if (vigild_stop_alive(d, "writer") || vigild_stop_alive(d, "indexer")) {
		vigild_stop_stages(d, "writer", SIGKILL);
		vigild_stop_stages(d, "indexer", SIGKILL);
		vigild_stop_wait(d, "writer", vigild_now_ms() + 2000);
		vigild_stop_wait(d, "indexer", vigild_now_ms() + 2000);
	}
	if (vigild_stop_alive(d, "writer")) { /* cannot start new writers beside it */
		log_warnx("a writer does not exit: keeping %d writers", d->conf.writers);
		vigild_stop_cancel(d, "writer");
		vigild_stop_cancel(d, "indexer");
		vigild_stop_cancel(d, "listener");
		return;
	}
	vigild_shm_remove_rings(d);
	d->conf.writers = c->writers;
	d->conf.writer_shards = c->writer_shards;
	d->conf.ring_slots = c->ring_slots;
	for (k = 0; k < d->conf.nstage; k++)
		if (!strcmp(d->conf.stage[k].name, "writer"))
			d->conf.stage[k].instances = c->stage[k].instances;
	if (vigild_shm_create_rings(d) < 0) {
		log_warnx("cannot make the rings for %d writers: stopping", d->conf.writers);
		stage_request_stop();
	}
	/* the new table; stages other than these keep their process and history */
	nold = d->nstage;
	memcpy(old, d->stage, sizeof(old));
	memcpy(ost, d->status->stage, sizeof(ost));
	memset(d->stage, 0, sizeof(d->stage));
	memset(d->status->stage, 0, sizeof(d->status->stage));
	d->nstage = 0;
	vigild_super_plan(d);
	for (i = 0; i < d->nstage; i++) {
		vigild_stage_t *s = &d->stage[i];
		for (j = 0; j < nold; j++)
			if (old[j].conf == s->conf && old[j].index == s->index)
				break;
		if (j == nold)
			continue;
		shm_stage_status_t *st = s->st;
		*st = ost[j];
		*s = old[j];
		s->st = st;
		s->stopping = 0;
	}
	log_info("now %d writers (shards %#x here)", d->conf.writers, d->conf.writer_shards);
}

void
vigild_reload_conf(vigild_t *d)
{
	static vigild_conf_t c;

	if (vigild_conf_load(d->conf_path, &c) < 0) {
		log_warnx("reload: %s; keeping the running configuration", stage_errmsg());
		return;
	}
	d->conf.restart_min_ms = c.restart_min_ms;
	d->conf.restart_max_ms = c.restart_max_ms;
	d->conf.stable_ms = c.stable_ms;
	d->conf.drain_timeout_ms = c.drain_timeout_ms;
	if (d->conf.nats && c.writers != d->conf.writers) {
		/* every node must change at once, drained: docs/DEPLOY.md */
		log_warnx("reload: with transport = nats, writers changes only with every node "
			  "stopped and the stream drained; keeping %d",
			  d->conf.writers);
		c.writers = d->conf.writers;
		c.writer_shards = d->conf.writer_shards;
	}
	if (c.writers != d->conf.writers || c.writer_shards != d->conf.writer_shards)
		resize(d, &c);
	log_info("reloaded restart, drain and writer settings (stages need a restart)");
}

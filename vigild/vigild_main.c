/*
 * NAME
 *	vigild_main.c - vigild, the master process
 *
 * DESCRIPTION
 *	vigild [-c FILE] [-n] [-f] [-D] [-h]
 *
 *	Reads the configuration (-n: check it and exit; -D prints every key
 *	of vigil.conf with its default; libstage's tables), creates the shared
 *	segments (the status segment, one ring from the listener to each
 *	writer, and with a syncd stage the two rings between the listener
 *	and syncd), starts every configured stage (one writer per partition),
 *	and supervises them: a stage that dies is restarted with a throttle
 *	(vigild_stage.c); `vigilctl restart STAGE [N]` restarts one stage
 *	while the others run on. Signals only set flags; the loop acts on
 *	them. SIGTERM stops gracefully: the listener first, then, once the
 *	rings are drained (or drain_timeout_ms passed), every other stage;
 *	vigild exits 0 when all are gone. SIGHUP rereads the restart and
 *	drain settings, and a new writers (or writer_shards) at a safe
 *	point: see resize(). -f stays in the foreground (for systemd and tests).
 *
 *	One vigild runs a configuration (its shm_prefix): a second exits 1
 *	with "another vigild (pid N) runs this configuration". The stages
 *	end with their vigild, and one started after a vigild was killed
 *	ends the stages that are left before it creates anything, then
 *	keeps the rings that still hold accepted datagrams (vigild_own.c).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idx.h"
#include "vigild.h"

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

/*
 * A ring of the size wanted. One a killed vigild left, of that size, is
 * kept with what it holds: its datagrams were accepted, and the new
 * writer appends them (its stages are gone by now: vigild_own.c).
 */
static int
ring_make(vigild_t *d, uint32_t kind, uint32_t index, uint32_t nslots, shm_seg_t *seg)
{
	shm_ring_t *r;

	if (shm_ring_attach(d->conf.shm_prefix, kind, index, seg, &r) == 0) {
		if (r->nslots == nslots) {
			if (shm_ring_depth(r))
				log_info("ring %s kept from the previous run with %llu entries",
					 seg->name, (unsigned long long)shm_ring_depth(r));
			return 0;
		}
		shm_seg_detach(seg);
	}
	return shm_ring_create(d->conf.shm_prefix, kind, index, nslots, seg, &r);
}

/* One ring from the listener to each writer, one for its notices. */
static int
create_rings(vigild_t *d)
{
	int i, rc;

	for (i = 0; i < d->conf.writers; i++) {
		rc = ring_make(d, SHM_KIND_RING, (uint32_t)i, d->conf.ring_slots, &d->ring_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->ring_seg[i].name, strerror(-rc));
			return -1;
		}
		d->nrings++;
		rc = ring_make(d, SHM_KIND_NOTICE, (uint32_t)i, VIGILD_NOTICE_SLOTS,
			       &d->notice_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->notice_seg[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

static void
remove_rings(vigild_t *d)
{
	char name[128];
	int i;

	for (i = 0; i < d->nrings; i++) {
		snprintf(name, sizeof(name), "%s", d->ring_seg[i].name);
		shm_seg_detach(&d->ring_seg[i]);
		shm_seg_unlink(name);
		snprintf(name, sizeof(name), "%s", d->notice_seg[i].name);
		shm_seg_detach(&d->notice_seg[i]);
		shm_seg_unlink(name);
	}
	d->nrings = 0;
}

static int
create_segments(vigild_t *d)
{
	int i, rc;

	rc = shm_kind_create(d->conf.shm_prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t),
			     &d->status_seg);
	if (rc < 0) {
		log_warnx("status segment %s: %s", d->status_seg.name, strerror(-rc));
		return -1;
	}
	d->status = shm_seg_body(&d->status_seg);
	d->status->master_pid = (int32_t)getpid();
	d->status->master_start_ms = vigild_now_ms();
	if (create_rings(d) < 0)
		return -1;
	rc = idx_create(d->conf.shm_prefix, d->conf.index_days,
			(uint64_t)d->conf.index_arena_mb << 20, &d->idx);
	if (rc < 0) {
		log_warnx("index segment %s-index: %s", d->conf.shm_prefix, strerror(-rc));
		return -1;
	}
	for (i = 0; i < d->conf.nstage; i++)
		if (!strcmp(d->conf.stage[i].name, "syncd"))
			break;
	if (i == d->conf.nstage)
		return 0;
	/* reports from the listener to syncd; syncd's requests back */
	for (i = 0; i < 2; i++) {
		rc = ring_make(d, i ? SHM_KIND_SYNC_OUT : SHM_KIND_SYNC_IN, 0, d->conf.ring_slots,
			       &d->sync_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->sync_seg[i].name, strerror(-rc));
			return -1;
		}
		d->nsync++;
	}
	return 0;
}

static void
remove_segments(vigild_t *d)
{
	char name[128];
	struct dirent *e;
	DIR *dir;
	int i;

	remove_rings(d);
	idx_close(d->idx);
	d->idx = NULL;
	for (i = 0; i < d->nsync; i++) {
		snprintf(name, sizeof(name), "%s", d->sync_seg[i].name);
		shm_seg_detach(&d->sync_seg[i]);
		shm_seg_unlink(name);
	}
	/*
	 * the stages' own segments (metrics, sessions) belong to this run
	 * too; the lock goes last, at the stop (vigild_own.c)
	 */
	if ((dir = opendir("/dev/shm")) != NULL) {
		size_t plen = strlen(d->conf.shm_prefix);
		while ((e = readdir(dir)) != NULL)
			if (!strncmp(e->d_name, d->conf.shm_prefix, plen) &&
			    e->d_name[plen] == '-' && strcmp(e->d_name, d->status_seg.name) &&
			    strcmp(e->d_name + plen, "-vigild.lock"))
				shm_seg_unlink(e->d_name);
		closedir(dir);
	}
	if (d->status) {
		snprintf(name, sizeof(name), "%s", d->status_seg.name);
		shm_seg_detach(&d->status_seg);
		shm_seg_unlink(name);
	}
}

static void
plan_stages(vigild_t *d)
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

static void
reap(vigild_t *d)
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

/* Wait until no stage matching `which` runs, or the deadline. */
static void
wait_stopped(vigild_t *d, const char *which, uint64_t deadline)
{
	int i, alive;

	for (;;) {
		reap(d);
		for (alive = 0, i = 0; i < d->nstage; i++)
			if (d->stage[i].pid && (!which || !strcmp(d->stage[i].conf->name, which)))
				alive++;
		if (!alive || vigild_now_ms() >= deadline)
			break;
		struct timespec ts = {0, 20 * 1000000L};
		ppoll(NULL, 0, &ts, stage_signals_waitmask());
	}
}

static void
stop_stages(vigild_t *d, const char *which, int sig)
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

static void
graceful_stop(vigild_t *d)
{
	uint64_t deadline = vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms;
	int i, drained;

	log_info("stopping: listener first, then the rest once the rings drain");
	stop_stages(d, "listener", SIGTERM);
	wait_stopped(d, "listener", deadline);
	for (;;) {
		for (drained = 1, i = 0; i < d->nrings; i++)
			if (shm_ring_depth(shm_seg_body(&d->ring_seg[i])) != 0)
				drained = 0;
		if (drained || vigild_now_ms() >= deadline)
			break;
		usleep(20 * 1000);
	}
	if (!drained)
		log_warnx("rings not drained after %d ms; the rest is still on disk at the "
			   "cameras and will be fetched by sync", d->conf.drain_timeout_ms);
	stop_stages(d, NULL, SIGTERM);
	wait_stopped(d, NULL, vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms);
	stop_stages(d, NULL, SIGKILL);
	wait_stopped(d, NULL, vigild_now_ms() + 2000);
}

static int
rings_drained(vigild_t *d, uint64_t deadline)
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

static int
alive(const vigild_t *d, const char *which)
{
	int i, n = 0;

	for (i = 0; i < d->nstage; i++)
		n += d->stage[i].pid > 0 && !strcmp(d->stage[i].conf->name, which);
	return n;
}

/* Stages named which, stopped on purpose, may start again. */
static void
unstop(vigild_t *d, const char *which)
{
	int i;

	for (i = 0; i < d->nstage; i++)
		if (!strcmp(d->stage[i].conf->name, which)) {
			d->stage[i].stopping = 0;
			d->stage[i].next_start_ms = 0;
		}
}

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

	log_info("writers %d -> %d: stopping the listener and draining the rings",
		   d->conf.writers, c->writers);
	stop_stages(d, "listener", SIGTERM);
	wait_stopped(d, "listener", deadline);
	if (alive(d, "listener") || !rings_drained(d, deadline)) {
		log_warnx("rings not drained within %d ms: keeping %d writers",
			   d->conf.drain_timeout_ms, d->conf.writers);
		unstop(d, "listener");
		return;
	}
	stop_stages(d, "writer", SIGTERM);
	stop_stages(d, "indexer", SIGTERM);
	deadline = vigild_now_ms() + (uint64_t)d->conf.drain_timeout_ms;
	wait_stopped(d, "writer", deadline);
	wait_stopped(d, "indexer", deadline);
	if (alive(d, "writer") || alive(d, "indexer")) {
		stop_stages(d, "writer", SIGKILL);
		stop_stages(d, "indexer", SIGKILL);
		wait_stopped(d, "writer", vigild_now_ms() + 2000);
		wait_stopped(d, "indexer", vigild_now_ms() + 2000);
	}
	if (alive(d, "writer")) { /* cannot start new writers beside it */
		log_warnx("a writer does not exit: keeping %d writers", d->conf.writers);
		unstop(d, "writer");
		unstop(d, "indexer");
		unstop(d, "listener");
		return;
	}
	remove_rings(d);
	d->conf.writers = c->writers;
	d->conf.writer_shards = c->writer_shards;
	d->conf.ring_slots = c->ring_slots;
	for (k = 0; k < d->conf.nstage; k++)
		if (!strcmp(d->conf.stage[k].name, "writer"))
			d->conf.stage[k].instances = c->stage[k].instances;
	if (create_rings(d) < 0) {
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
	plan_stages(d);
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

static void
reload(vigild_t *d)
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
			   "stopped and the stream drained; keeping %d", d->conf.writers);
		c.writers = d->conf.writers;
		c.writer_shards = d->conf.writer_shards;
	}
	if (c.writers != d->conf.writers || c.writer_shards != d->conf.writer_shards)
		resize(d, &c);
	log_info("reloaded restart, drain and writer settings (stages need a restart)");
}

/* Every stage's program is checked at start: a missing one is retried with backoff. */
static void
check_programs(const vigild_conf_t *c)
{
	int k;

	for (k = 0; k < c->nstage; k++)
		if (strchr(c->stage[k].program, '/') && access(c->stage[k].program, X_OK) != 0)
			log_warnx("stage %s: %s is not installed; it will be retried with backoff",
				  c->stage[k].name, c->stage[k].program);
}

/* Run the stages until SIGTERM; act on the other signals' flags. */
static void
supervise(vigild_t *d, int mfd)
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
			reap(d);
		if (stage_take_usr1())
			restart_requests(d);
		if (stage_take_hup())
			reload(d);
	}
}

int
main(int argc, char **argv)
{
	static vigild_t d;
	static stage_opts_t o;
	int check, mfd = -1, lfd, rc;
	pid_t holder;

	log_init("vigild", -1, STAGE_LOG_STDERR);
	check = stage_opts_getopt(STAGE_VIGILD, argc, argv, &o) == STAGE_OPTS_CHECK;
	if (o.v[STAGE_VIGILD_DUMP].u) {
		vigild_conf_dump(stdout);
		return 0;
	}
	d.conf_path = o.v[STAGE_VIGILD_CONFIG].s;
	if (vigild_conf_load(d.conf_path, &d.conf) < 0) {
		log_warnx("%s", stage_errmsg());
		return 1;
	}
	check_programs(&d.conf);
	if (check) {
		printf("%s: configuration ok (%d stage kinds, %d writers)\n", d.conf_path,
		       d.conf.nstage, d.conf.writers);
		return 0;
	}
	if ((rc = vigild_own_lock(d.conf.shm_prefix, &lfd, &holder)) == -EAGAIN)
		fatalx("another vigild (pid %d) runs this configuration (shm_prefix %s)",
		       (int)holder, d.conf.shm_prefix);
	if (rc < 0)
		fatalx("lock of shm_prefix %s: %s", d.conf.shm_prefix, strerror(-rc));
	if (!o.v[STAGE_VIGILD_FOREGROUND].u && (daemon(0, 1) != 0 || vigild_own_note(lfd) < 0))
		fatal("daemon");
	if (vigild_own_end_previous(&d.conf) < 0)
		fatalx("stages of a previous vigild do not end: not starting beside them");
	if (stage_signals_init(STAGE_SIG_STOP | STAGE_SIG_HUP | STAGE_SIG_USR1 | STAGE_SIG_CHLD,
			       NULL) < 0 ||
	    stage_signals_block() < 0)
		fatalx("%s", stage_errmsg());
	if (create_segments(&d) < 0) {
		remove_segments(&d);
		return 1;
	}
	plan_stages(&d);
	if (d.conf.metrics_listen[0] && (mfd = vigild_metrics_listen(d.conf.metrics_listen)) >= 0)
		log_info("metrics on http://%s/metrics", d.conf.metrics_listen);
	log_info("supervising %d stage processes (%d writers)", d.nstage, d.conf.writers);
	supervise(&d, mfd);
	graceful_stop(&d);
	if (mfd >= 0)
		close(mfd);
	remove_segments(&d);
	vigild_own_unlock(d.conf.shm_prefix, lfd);
	log_info("stopped");
	return 0;
}

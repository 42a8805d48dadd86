/*
 * NAME
 *	vigild_stage.c - start a stage process, and plan its restart
 *
 * DESCRIPTION
 *	A stage's command line comes from vigil.conf: its program and its
 *	options as flags (a stand-in program: its arguments as written);
 *	"%i" in them becomes the instance number. The child gets VIGIL_STAGE, VIGIL_STAGE_INDEX,
 *	VIGIL_SHM_PREFIX and VIGIL_WRITERS in its environment (with
 *	transport = nats also VIGIL_TRANSPORT, VIGIL_NATS_URL,
 *	VIGIL_NATS_STREAM, VIGIL_NATS_ACK_WAIT_MS, VIGIL_NATS_REPLICAS,
 *	VIGIL_NATS_LEASE_MS) and the default signal mask.
 *	A stage that dies is restarted after a delay that starts at
 *	restart_min_ms and doubles, up to restart_max_ms, each time it dies
 *	again before running stable_ms: a stage that keeps crashing is
 *	restarted ever more slowly and logged each time, never in a tight
 *	loop; one that exits STAGE_EXIT_REFUSED (a writer whose shard
 *	another node owns) waits restart_max_ms at once. A restart asked
 *	for by the operator is immediate. A stage ends with its vigild
 *	(PR_SET_PDEATHSIG: SIGTERM). Every time
 *	here is on the monotonic clock (vigild_now_ms), so that a step of
 *	the wall clock neither stalls a restart nor bunches them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "vigild.h"

uint64_t
vigild_now_ms(void)
{
	return proto_mono_ms();
}

/*
 * The stage's argv into argv (VIGILD_MAX_ARGS pointers), its strings in
 * buf: the program, then its options as flags, or a stand-in's
 * arguments as written; "%i" becomes the instance number.
 */
static int
stage_argv(const vigild_stage_t *s, char *buf, size_t cap, char **argv)
{
	const vigild_stage_conf_t *sc = s->conf;
	char *tok, *save = NULL, *num;
	size_t len, args;
	int argc, n;

	len = strlen(sc->program) + 1;
	args = strlen(sc->args) + 1;
	if (len + args + VIGILD_MAX_ARGS * 12 > cap)
		return -E2BIG;
	memcpy(buf, sc->program, len);
	argv[0] = buf;
	if (!sc->standin) {
		n = stage_opts_argv(&sc->opts, s->index, buf + len, cap - len, argv + 1,
				    VIGILD_MAX_ARGS - 1);
		return n < 0 ? n : n + 1;
	}
	memcpy(buf + len, sc->args, args);
	num = buf + len + args; /* room for the numbers that replace "%i" */
	argc = 1;
	for (tok = strtok_r(buf + len, " \t", &save); tok && argc < VIGILD_MAX_ARGS - 1;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "%i")) {
			snprintf(num, 12, "%d", s->index);
			tok = num;
			num += 12;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

int
vigild_stage_start(vigild_stage_t *s, const vigild_conf_t *c)
{
	static char buf[STAGE_STR_MAX + STAGE_CONF_LINE + VIGILD_MAX_ARGS * 12];
	char *argv[VIGILD_MAX_ARGS], idx[16];
	pid_t pid, self = getpid();
	sigset_t none;

	if (stage_argv(s, buf, sizeof(buf), argv) < 0) {
		log_warnx("%s[%d]: its command line does not fit", s->conf->name, s->index);
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_warn("fork for %s[%d]", s->conf->name, s->index);
		return -1;
	}
	if (pid == 0) {
		/*
		 * The stage ends with this vigild: SIGTERM, so that a writer
		 * finishes its turn and syncs it, and the listener stops
		 * taking datagrams, before a new vigild starts their
		 * successors (it waits for them: vigild_own.c). vigild may
		 * have died before prctl: then the parent is another.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != self)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		snprintf(idx, sizeof(idx), "%d", s->index);
		setenv(STAGE_ENV_STAGE, s->conf->name, 1);
		setenv(STAGE_ENV_INDEX, idx, 1);
		setenv(STAGE_ENV_PREFIX, c->shm_prefix, 1);
		snprintf(idx, sizeof(idx), "%d", c->writers);
		setenv(STAGE_ENV_WRITERS, idx, 1);
		if (c->nats) { /* listener and writers meet in JetStream */
			setenv(STAGE_ENV_TRANSPORT, "nats", 1);
			setenv(STAGE_ENV_NATS_URL, c->nats_url, 1);
			setenv(STAGE_ENV_NATS_STREAM, c->nats_stream, 1);
			snprintf(idx, sizeof(idx), "%d", c->nats_ack_wait_ms);
			setenv(STAGE_ENV_NATS_ACK_WAIT_MS, idx, 1);
			snprintf(idx, sizeof(idx), "%d", c->nats_replicas);
			setenv(STAGE_ENV_NATS_REPLICAS, idx, 1);
			snprintf(idx, sizeof(idx), "%d", c->nats_lease_ms);
			setenv(STAGE_ENV_NATS_LEASE_MS, idx, 1);
		}
		execvp(argv[0], argv);
		log_warn("exec %s", argv[0]);
		_exit(127);
	}
	s->pid = pid;
	s->start_ms = vigild_now_ms();
	s->next_start_ms = 0;
	s->st->pid = pid;
	s->st->start_ms = s->start_ms;
	s->st->next_start_ms = 0;
	return 0;
}

void
vigild_stage_exited(vigild_stage_t *s, const vigild_conf_t *c, int status, uint64_t now)
{
	uint64_t ran = now - s->start_ms;
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	s->pid = 0;
	s->st->pid = 0;
	if (s->stopping) {
		log_info("%s[%d] %s (stopping)", s->conf->name, s->index, how);
		return;
	}
	if (s->requested) {
		/* the operator asked for this restart: no delay, not a crash */
		s->requested = 0;
		s->next_start_ms = now;
		log_info("%s[%d] %s; restarting now as requested", s->conf->name, s->index, how);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == STAGE_EXIT_REFUSED) {
		/* what it needs is held elsewhere: that does not pass in a moment */
		s->backoff_ms = c->restart_max_ms;
		s->next_start_ms = now + (uint64_t)s->backoff_ms;
		s->st->next_start_ms = s->next_start_ms;
		log_warnx("%s[%d] refused: what it must own is held by another process (see its "
			  "log); retrying in %d ms",
			  s->conf->name, s->index, s->backoff_ms);
		return;
	}
	if (ran >= (uint64_t)c->stable_ms || s->backoff_ms == 0)
		s->backoff_ms = c->restart_min_ms;
	else
		s->backoff_ms =
		    s->backoff_ms * 2 > c->restart_max_ms ? c->restart_max_ms : s->backoff_ms * 2;
	s->next_start_ms = now + (uint64_t)s->backoff_ms;
	s->st->next_start_ms = s->next_start_ms;
	log_warnx("%s[%d] %s after %llu ms; restarting in %d ms%s", s->conf->name, s->index, how,
		  (unsigned long long)ran, s->backoff_ms,
		  s->backoff_ms >= c->restart_max_ms ? " (keeps crashing: throttled)" : "");
}

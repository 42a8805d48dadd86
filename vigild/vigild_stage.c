/*
 * NAME
 *	vigild_stage.c - start a stage process, and plan its restart
 *
 * DESCRIPTION
 *	A stage's command line comes from vigil.conf; "%i" in it becomes the
 *	instance number. The child gets VIGIL_STAGE, VIGIL_STAGE_INDEX,
 *	VIGIL_SHM_PREFIX and VIGIL_WRITERS in its environment (with
 *	transport = nats also VIGIL_TRANSPORT, VIGIL_NATS_URL,
 *	VIGIL_NATS_STREAM, VIGIL_NATS_ACK_WAIT_MS, VIGIL_NATS_REPLICAS) and the default signal mask.
 *	A stage that dies is restarted after a delay that starts at
 *	restart_min_ms and doubles, up to restart_max_ms, each time it dies
 *	again before running stable_ms: a stage that keeps crashing is
 *	restarted ever more slowly and logged each time, never in a tight
 *	loop. A restart asked for by the operator is immediate. Every time
 *	here is on the monotonic clock (vigild_now_ms), so that a step of
 *	the wall clock neither stalls a restart nor bunches them.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void
vigild_log(const char *fmt, ...)
{
	char msg[1024];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&t, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ vigild[%d]: %s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid(), msg);
}

static int
split(char *cmd, int index, char **argv, char bufs[][64])
{
	int argc = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(cmd, " \t", &save); tok && argc < VIGILD_MAX_ARGS - 1;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "%i")) {
			snprintf(bufs[argc], 64, "%d", index);
			tok = bufs[argc];
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

int
vigild_stage_start(vigild_stage_t *s, const vigild_conf_t *c)
{
	char cmd[sizeof(s->conf->cmd)], bufs[VIGILD_MAX_ARGS][64], idx[16], load[16];
	char *argv[VIGILD_MAX_ARGS];
	int argc;
	sigset_t none;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s", s->conf->cmd);
	if ((argc = split(cmd, s->index, argv, bufs)) == 0)
		return -1;
	if (!strcmp(s->conf->name, "listener") && argc + 4 < VIGILD_MAX_ARGS) {
		/* hello_cookie and hello_load, after the stage's own options */
		snprintf(load, sizeof(load), "%u", c->hello_load);
		argv[argc++] = (char *)"-k";
		argv[argc++] = (char *)c->hello_cookie;
		argv[argc++] = (char *)"-L";
		argv[argc++] = load;
		argv[argc] = NULL;
	}
	if ((pid = fork()) < 0) {
		vigild_log("fork for %s[%d]: %m", s->conf->name, s->index);
		return -1;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		snprintf(idx, sizeof(idx), "%d", s->index);
		setenv("VIGIL_STAGE", s->conf->name, 1);
		setenv("VIGIL_STAGE_INDEX", idx, 1);
		setenv("VIGIL_SHM_PREFIX", c->shm_prefix, 1);
		snprintf(idx, sizeof(idx), "%d", c->writers);
		setenv("VIGIL_WRITERS", idx, 1);
		if (c->nats) { /* listener and writers meet in JetStream */
			setenv("VIGIL_TRANSPORT", "nats", 1);
			setenv("VIGIL_NATS_URL", c->nats_url, 1);
			setenv("VIGIL_NATS_STREAM", c->nats_stream, 1);
			snprintf(idx, sizeof(idx), "%d", c->nats_ack_wait_ms);
			setenv("VIGIL_NATS_ACK_WAIT_MS", idx, 1);
			snprintf(idx, sizeof(idx), "%d", c->nats_replicas);
			setenv("VIGIL_NATS_REPLICAS", idx, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "vigild: exec %s: %s\n", argv[0], strerror(errno));
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
		vigild_log("%s[%d] %s (stopping)", s->conf->name, s->index, how);
		return;
	}
	if (s->requested) {
		/* the operator asked for this restart: no delay, not a crash */
		s->requested = 0;
		s->next_start_ms = now;
		vigild_log("%s[%d] %s; restarting now as requested", s->conf->name, s->index, how);
		return;
	}
	if (ran >= (uint64_t)c->stable_ms || s->backoff_ms == 0)
		s->backoff_ms = c->restart_min_ms;
	else
		s->backoff_ms = s->backoff_ms * 2 > c->restart_max_ms ? c->restart_max_ms
								     : s->backoff_ms * 2;
	s->next_start_ms = now + (uint64_t)s->backoff_ms;
	s->st->next_start_ms = s->next_start_ms;
	vigild_log("%s[%d] %s after %llu ms; restarting in %d ms%s", s->conf->name, s->index, how,
		   (unsigned long long)ran, s->backoff_ms,
		   s->backoff_ms >= c->restart_max_ms ? " (keeps crashing: throttled)" : "");
}

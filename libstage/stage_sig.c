/*
 * NAME
 *	stage_sig.c - signal handlers that only set flags
 *
 * DESCRIPTION
 *	As in nginx and the OpenBSD daemons: a handler sets a sig_atomic_t
 *	flag (and may wake a wait); the loop tests the flags and does the
 *	work. SIGTERM and SIGINT ask the process to stop; SIGHUP (reload),
 *	SIGUSR1 (vigild: restart requests) and SIGCHLD (a child exited) are
 *	taken once each time they come.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "stage.h"

static volatile sig_atomic_t got_stop, got_hup, got_usr1, got_chld;
static void (*volatile sig_wake)(void);
static sigset_t sig_installed, sig_wait;

static void
stage_on_signal(int sig)
{
	int saved = errno;

	switch (sig) {
	case SIGTERM:
	case SIGINT: got_stop = 1; break;
	case SIGHUP: got_hup = 1; break;
	case SIGUSR1: got_usr1 = 1; break;
	case SIGCHLD: got_chld = 1; break;
	}
	if (sig_wake)
		sig_wake();
	errno = saved;
}

static const struct {
	unsigned bit;
	int sig;
} stage_sigs[] = {
    {STAGE_SIG_STOP, SIGTERM}, {STAGE_SIG_STOP, SIGINT},  {STAGE_SIG_HUP, SIGHUP},
    {STAGE_SIG_USR1, SIGUSR1}, {STAGE_SIG_CHLD, SIGCHLD},
};

int
stage_signals_init(unsigned mask, void (*wake)(void))
{
	struct sigaction sa;
	size_t i;

	sig_wake = wake;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stage_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stage_sigs) / sizeof(stage_sigs[0]); i++) {
		if (!(mask & stage_sigs[i].bit))
			continue;
		if (sigaction(stage_sigs[i].sig, &sa, NULL) < 0) {
			stage_set_errmsg("sigaction %s: %s", strsignal(stage_sigs[i].sig),
					 strerror(errno));
			return -errno;
		}
		sigaddset(&sig_installed, stage_sigs[i].sig);
	}
	if ((mask & STAGE_SIG_NOPIPE) && signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		stage_set_errmsg("ignore SIGPIPE: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void
stage_signals_default(unsigned mask)
{
	size_t i;

	for (i = 0; i < sizeof(stage_sigs) / sizeof(stage_sigs[0]); i++)
		if (mask & stage_sigs[i].bit) {
			signal(stage_sigs[i].sig, SIG_DFL);
			sigdelset(&sig_installed, stage_sigs[i].sig);
		}
	if (mask & STAGE_SIG_NOPIPE)
		signal(SIGPIPE, SIG_DFL);
}

int
stage_signals_block(void)
{
	sigset_t old;
	size_t i;

	if (sigprocmask(SIG_BLOCK, &sig_installed, &old) < 0) {
		stage_set_errmsg("sigprocmask: %s", strerror(errno));
		return -errno;
	}
	sig_wait = old;
	for (i = 0; i < sizeof(stage_sigs) / sizeof(stage_sigs[0]); i++)
		if (sigismember(&sig_installed, stage_sigs[i].sig))
			sigdelset(&sig_wait, stage_sigs[i].sig);
	return 0;
}

const sigset_t *
stage_signals_waitmask(void)
{
	return &sig_wait;
}

int
stage_stop_requested(void)
{
	return got_stop;
}

void
stage_request_stop(void)
{
	got_stop = 1;
}

static int
take(volatile sig_atomic_t *flag)
{
	if (!*flag)
		return 0;
	*flag = 0;
	return 1;
}

int
stage_take_hup(void)
{
	return take(&got_hup);
}

int
stage_take_usr1(void)
{
	return take(&got_usr1);
}

int
stage_take_chld(void)
{
	return take(&got_chld);
}

/*
 * NAME
 *	stage_log.c - log_init, log_warn, log_warnx, log_info, log_debug,
 *	fatal, fatalx
 *
 * DESCRIPTION
 *	Modelled on OpenBSD's usr.sbin/relayd/log.c: a message is formatted
 *	once, errno text appended for the _warn forms, and written as one
 *	line, to stderr with a UTC time stamp and the stage's name, or to
 *	syslog with the matching priority.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "stage_log.h"

static const char *log_name = "vigil";
static int log_index = -1;
static int log_dest = STAGE_LOG_STDERR;
static int log_debugging;

void
log_init(const char *name, int index, int dest)
{
	log_name = name;
	log_index = index;
	log_dest = dest;
	if (dest == STAGE_LOG_SYSLOG)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_verbose(int verbose)
{
	log_debugging = verbose;
}

void
log_set_index(int index)
{
	log_index = index;
}

size_t
stage_log_format(char *buf, size_t cap, const struct timespec *ts, const char *msg)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	char who[64];
	int n;

	gmtime_r(&t, &tm);
	if (log_index >= 0)
		snprintf(who, sizeof(who), "%s[%d]", log_name, log_index);
	else
		snprintf(who, sizeof(who), "%s", log_name);
	n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts->tv_nsec / 1000000, who, msg);
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap && cap > 1) { /* cut: keep the line a line */
		buf[cap - 2] = '\n';
		n = (int)cap - 1;
	}
	return (size_t)n;
}

static void
log_emit(int pri, int with_errno, const char *fmt, va_list ap)
{
	char msg[STAGE_LOG_LINE], line[STAGE_LOG_LINE + 96];
	int saved = errno;
	struct timespec ts;
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_dest == STAGE_LOG_SYSLOG) {
		syslog(pri, "%s", msg);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		n = stage_log_format(line, sizeof(line), &ts, msg);
		/* one write: lines of several processes on one stderr do not interleave */
		if (write(STDERR_FILENO, line, n) < 0)
			(void)0; /* nowhere left to say it */
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

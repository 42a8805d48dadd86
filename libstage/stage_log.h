/*
 * NAME
 *	stage_log.h - one log for every vigil process, in the OpenBSD manner
 *
 * DESCRIPTION
 *	log_init() names the process once; every line then reads
 *
 *		2026-12-08T01:02:03.456Z vigil-writer[1]: message
 *
 *	(UTC, milliseconds, the stage's name and instance index; without
 *	an index, "vigild: message"). Lines go to stderr (vigild passes its
 *	stderr on to the stages, so one stream holds them all) or to syslog
 *	(facility daemon; syslog adds its own time and pid).
 *
 *	log_warn() appends ": " and strerror(errno), log_warnx() does not;
 *	log_info() is for what an operator wants to see, log_debug() only
 *	shows with log_verbose(1). fatal() and fatalx() log like log_warn()
 *	and log_warnx() and exit(1). None of them changes errno.
 *
 *	The state (name, index, destination, verbosity) is process-wide and
 *	set before threads start; the functions may then be called from any
 *	thread (each line is one write).
 */
#ifndef VIGIL_STAGE_LOG_H
#define VIGIL_STAGE_LOG_H

#include <stddef.h>
#include <time.h>

#define STAGE_LOG_STDERR 0
#define STAGE_LOG_SYSLOG 1
#define STAGE_LOG_LINE 1024 /* longer messages are cut */

/* name: kept by pointer (a string literal or argv[0]); index < 0: none */
void log_init(const char *name, int index, int dest);
void log_verbose(int verbose);
/* The index learnt after log_init (a stage reads VIGIL_STAGE_INDEX later). */
void log_set_index(int index);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The stderr line for msg at time ts, with the name and index of
 * log_init(), newline included, into buf (cap bytes, always terminated);
 * returns its length. What the log functions write; exposed for tests.
 */
size_t stage_log_format(char *buf, size_t cap, const struct timespec *ts, const char *msg);

#endif

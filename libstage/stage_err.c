/*
 * NAME
 *	stage_err.c - the last error of the calling thread
 *
 * DESCRIPTION
 *	libstage's functions return -errno; this says what and where
 *	("vigil.conf:12: writers = 0: must be 1..32").
 */
#include <stdarg.h>
#include <stdio.h>

#include "stage.h"

static __thread char stage_err[1024];

const char *
stage_errmsg(void)
{
	return stage_err;
}

void
stage_set_errmsg(const char *fmt, ...)
{
	char tmp[sizeof(stage_err)];
	va_list ap;

	/* through a copy: the message may quote the previous one */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	snprintf(stage_err, sizeof(stage_err), "%s", tmp);
}

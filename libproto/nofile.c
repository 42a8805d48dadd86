/*
 * NAME
 *	nofile.c - the limit of open descriptors
 *
 * DESCRIPTION
 *	One place raises RLIMIT_NOFILE for the programs that hold a
 *	descriptor per day file.
 */
#include <sys/resource.h>

#include "proto.h"

uint64_t
proto_nofile_raise(uint64_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rlim_t cur = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = cur;
	}
	return (uint64_t)rl.rlim_cur;
}

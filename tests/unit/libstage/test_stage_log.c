/*
 * NAME
 *	test_stage_log.c - the log line (stage_log.c)
 *
 * DESCRIPTION
 *	The line's format (UTC time with milliseconds, name[index]), errno
 *	text appended by log_warn only, log_debug shown only when verbose,
 *	errno left as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stage.h"

static void
test_format(void **state)
{
	struct timespec ts = {1796691723, 456789000}; /* 2026-12-08T01:02:03.456Z */
	char buf[128];
	size_t n;

	(void)state;
	log_init("vigil-writer", 1, STAGE_LOG_STDERR);
	n = stage_log_format(buf, sizeof(buf), &ts, "message");
	assert_string_equal(buf, "2026-12-08T01:02:03.456Z vigil-writer[1]: message\n");
	assert_int_equal(n, strlen(buf));
	log_init("vigild", -1, STAGE_LOG_STDERR);
	ts.tv_nsec = 7000000;
	stage_log_format(buf, sizeof(buf), &ts, "x");
	assert_string_equal(buf, "2026-12-08T01:02:03.007Z vigild: x\n");
	log_set_index(12);
	stage_log_format(buf, sizeof(buf), &ts, "x");
	assert_string_equal(buf, "2026-12-08T01:02:03.007Z vigild[12]: x\n");
	/* cut, still one line */
	n = stage_log_format(buf, 20, &ts, "x");
	assert_int_equal(n, 19);
	assert_int_equal(buf[18], '\n');
}

/* What the log functions wrote to stderr while fn ran. */
static void
capture(void (*fn)(void), char *out, size_t cap)
{
	int p[2], saved;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	saved = dup(2);
	dup2(p[1], 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

static void
warn_enoent(void)
{
	errno = ENOENT;
	log_warn("open %s", "x");
	assert_int_equal(errno, ENOENT);
	log_warnx("plain %d", 1);
	log_info("info");
	log_debug("hidden");
	log_verbose(1);
	log_debug("shown");
	log_verbose(0);
}

static void
test_warn_debug(void **state)
{
	char out[1024];

	(void)state;
	log_init("vigil-indexer", 0, STAGE_LOG_STDERR);
	capture(warn_enoent, out, sizeof(out));
	assert_non_null(strstr(out, "Z vigil-indexer[0]: open x: No such file or directory\n"));
	assert_non_null(strstr(out, "Z vigil-indexer[0]: plain 1\n"));
	assert_null(strstr(out, "plain 1: "));
	assert_non_null(strstr(out, "Z vigil-indexer[0]: info\n"));
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "Z vigil-indexer[0]: shown\n"));
}

static void
test_fatalx_exits(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		close(2);
		fatalx("the end");
	}
	assert_true(pid > 0);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_warn_debug),
	    cmocka_unit_test(test_fatalx_exits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

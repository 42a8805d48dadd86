/*
 * NAME
 *	test_stage_conf.c - the vigil.conf reader (stage_conf.c)
 *
 * DESCRIPTION
 *	Keys, blocks and comments reach the callback; every malformed file
 *	is refused with FILE:LINE first.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stage.h"

static char path[64], seen[2048];

static void
write_conf(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static int
record(void *arg, const char *block, const char *key, const char *value)
{
	size_t n = strlen(seen);

	(void)arg;
	if (key && !strcmp(key, "fail")) {
		stage_set_errmsg("fail = %s: refused", value);
		return -EINVAL;
	}
	snprintf(seen + n, sizeof(seen) - n, "[%s|%s|%s]", block ? block : "-", key ? key : "{",
		 value ? value : "");
	return 0;
}

static int
read_text(const char *text)
{
	write_conf(text, strlen(text));
	seen[0] = '\0';
	return stage_conf_read(path, record, NULL);
}

static void
want_error(const char *text, const char *msg)
{
	char full[256];

	assert_true(read_text(text) < 0);
	snprintf(full, sizeof(full), "%s%s", path, msg);
	if (strcmp(stage_errmsg(), full))
		fail_msg("\"%s\", wanted \"%s\"", stage_errmsg(), full);
}

static void
test_forms(void **state)
{
	(void)state;
	assert_int_equal(read_text("# comment\n\n  writers = 2  # two\nstage writer = /bin/w -D x\n"
				   "writer {\n\tdata_dir = /d\n}\nlistener{\n}\n"),
			 0);
	assert_string_equal(seen, "[-|writers|2][-|stage writer|/bin/w -D x][writer|{|]"
				  "[writer|data_dir|/d][listener|{|]");
	assert_int_equal(read_text(""), 0); /* empty: the caller says what is missing */
	assert_string_equal(seen, "");
	assert_int_equal(read_text("metrics_listen =\n"), 0);
	assert_string_equal(seen, "[-|metrics_listen|]");
}

static void
test_errors(void **state)
{
	char line[STAGE_CONF_LINE + 16];

	(void)state;
	want_error("a = 1\nfail = 7\n", ":2: fail = 7: refused");
	want_error("a = 1\nnonsense\n", ":2: \"nonsense\": expected KEY = VALUE, NAME { or }");
	want_error("= 1\n", ":1: no key before =");
	want_error("}\n", ":1: } closes no block");
	want_error("writer {\nlistener {\n",
		   ":2: listener { inside writer { (line 1): blocks do not nest");
	want_error("writer {\na = 1\n", ":1: writer { is not closed");
	want_error("Writer! {\n", ":1: \"Writer!\" is not a block name");
	write_conf("a = 1\nb\0 = 2\n", 12);
	assert_true(stage_conf_read(path, record, NULL) < 0);
	assert_non_null(strstr(stage_errmsg(), ":2: a NUL byte in the line"));
	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "# ", 2);
	want_error(line, ":1: line longer than 2048 bytes");
	/* a directory, a missing file */
	assert_true(stage_conf_read("/tmp", record, NULL) < 0);
	assert_string_equal(stage_errmsg(), "/tmp: not a regular file");
	assert_int_equal(stage_conf_read("/nonexistent/vigil.conf", record, NULL), -ENOENT);
	assert_non_null(strstr(stage_errmsg(), "/nonexistent/vigil.conf: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_errors),
	};
	int rc;

	snprintf(path, sizeof(path), "/tmp/test_stage_conf.%d", (int)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rc;
}

/*
 * NAME
 *	test_stage_opt.c - typed option values, argv, usage (stage_opt.c)
 *
 * DESCRIPTION
 *	Every type at the edges of its range and past them; the messages
 *	name the flag or key, the value and what is allowed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stage.h"

static stage_opts_t o;

/* value for key of kind: accepted (1) or refused (0); on refusal the message holds want */
static int
set(stage_kind_t kind, const char *key, const char *value, const char *want)
{
	int i = stage_opt_find(kind, key);

	assert_true(i >= 0);
	stage_opts_defaults(kind, &o);
	if (stage_opts_set(&o, i, value) == 0)
		return 1;
	if (want && strstr(stage_errmsg(), want) == NULL)
		fail_msg("%s = %s: \"%s\" lacks \"%s\"", key, value, stage_errmsg(), want);
	return 0;
}

static void
test_int_ranges(void **state)
{
	(void)state;
	assert_true(set(STAGE_VIGILD, "writers", "1", NULL));
	assert_true(set(STAGE_VIGILD, "writers", "32", NULL));
	assert_int_equal(o.v[STAGE_VIGILD_WRITERS].u, 32);
	assert_int_equal(o.v[STAGE_VIGILD_WRITERS].set, STAGE_GIVEN);
	assert_false(set(STAGE_VIGILD, "writers", "0", "writers = 0: must be 1..32"));
	assert_false(set(STAGE_VIGILD, "writers", "33", "must be 1..32"));
	assert_false(set(STAGE_VIGILD, "writers", "-1", "not a number"));
	assert_false(set(STAGE_VIGILD, "writers", "2x", "writers = 2x: not a number (1..32)"));
	assert_false(set(STAGE_VIGILD, "writers", " 2", "not a number"));
	assert_false(set(STAGE_VIGILD, "writers", "0x2", "not a number"));
	assert_false(set(STAGE_VIGILD, "writers", "", "empty"));
	assert_false(set(STAGE_VIGILD, "writers", "99999999999999999999999", "must be 1..32"));
	/* a power of two */
	assert_true(set(STAGE_VIGILD, "ring_slots", "64", NULL));
	assert_true(set(STAGE_VIGILD, "ring_slots", "1048576", NULL));
	assert_false(set(STAGE_VIGILD, "ring_slots", "3",
			 "ring_slots = 3: must be 64..1048576, a power of two"));
	assert_false(set(STAGE_VIGILD, "ring_slots", "100", "power of two"));
	assert_false(set(STAGE_VIGILD, "ring_slots", "32", "64..1048576"));
	assert_false(set(STAGE_VIGILD, "ring_slots", "2097152", "64..1048576"));
}

static void
test_u64_ms(void **state)
{
	(void)state;
	assert_true(set(STAGE_WRITER, "sync_bytes", "18446744073709551615", NULL));
	assert_int_equal(o.v[STAGE_WRITER_SYNC_BYTES].u, UINT64_MAX);
	assert_false(set(STAGE_WRITER, "sync_bytes", "18446744073709551616",
			 "must be 0..18446744073709551615"));
	assert_true(set(STAGE_WRITER, "sync_ms", "0", NULL));
	assert_true(set(STAGE_WRITER, "sync_ms", "3600000", NULL));
	assert_false(set(STAGE_WRITER, "sync_ms", "3600001", "must be 0..3600000 ms"));
	assert_false(set(STAGE_WRITER, "sync_ms", "1OO", "sync_ms = 1OO: not a number"));
	assert_true(set(STAGE_LISTENER, "hello_window_ms", "4294967295", NULL));
	assert_false(set(STAGE_LISTENER, "hello_window_ms", "4294967296", "0..4294967295"));
}

static void
test_size(void **state)
{
	(void)state;
	assert_true(set(STAGE_STREAMER, "table_size", "256m", NULL));
	assert_int_equal(o.v[STAGE_STREAMER_TABLE_SIZE].u, 256ull << 20);
	assert_true(set(STAGE_STREAMER, "table_size", "3K", NULL));
	assert_int_equal(o.v[STAGE_STREAMER_TABLE_SIZE].u, 3072);
	assert_true(set(STAGE_STREAMER, "table_size", "1024g", NULL));
	assert_true(set(STAGE_STREAMER, "table_size", "0", NULL));
	assert_false(set(STAGE_STREAMER, "table_size", "1025g", "0..1099511627776 bytes"));
	assert_false(set(STAGE_STREAMER, "table_size", "m", "not a size"));
	assert_false(set(STAGE_STREAMER, "table_size", "12t", "not a size"));
	assert_false(
	    set(STAGE_STREAMER, "table_size", "99999999999999999999g", "must be 0..1099511627776"));
}

static void
test_double(void **state)
{
	(void)state;
	assert_true(set(STAGE_LISTENER, "hello_rate", "0.5", NULL));
	assert_true(o.v[STAGE_LISTENER_HELLO_RATE].d == 0.5);
	assert_true(set(STAGE_LISTENER, "hello_rate", "1000000000", NULL));
	assert_false(
	    set(STAGE_LISTENER, "hello_rate", "0", "hello_rate = 0: must be 1e-06..1e+09"));
	assert_false(set(STAGE_LISTENER, "hello_rate", "1e3", "not a number"));
	assert_false(set(STAGE_LISTENER, "hello_rate", "-2", "not a number"));
	assert_false(set(STAGE_LISTENER, "hello_rate", "nan", "not a number"));
	assert_false(set(STAGE_LISTENER, "cookie_rate", "0.5", "must be 1..1e+09"));
}

static void
test_enum_flag_string(void **state)
{
	(void)state;
	assert_true(set(STAGE_WRITER, "sync", "durable", NULL));
	assert_int_equal(o.v[STAGE_WRITER_SYNC].u, 1);
	assert_false(
	    set(STAGE_WRITER, "sync", "durble", "sync = durble: must be one of periodic|durable"));
	assert_false(set(STAGE_WRITER, "sync", "dur", NULL));
	assert_true(set(STAGE_LISTENER, "hello_cookie", "off", NULL));
	assert_int_equal(o.v[STAGE_LISTENER_HELLO_COOKIE].u, 2);
	assert_true(set(STAGE_LISTENER, "verbose", "yes", NULL));
	assert_int_equal(o.v[STAGE_LISTENER_VERBOSE].u, 1);
	assert_true(set(STAGE_LISTENER, "verbose", "off", NULL));
	assert_int_equal(o.v[STAGE_LISTENER_VERBOSE].u, 0);
	assert_false(set(STAGE_LISTENER, "verbose", "maybe", "yes|no"));
	assert_true(set(STAGE_VIGILD, "shm_prefix", "vigil-test", NULL));
	assert_false(set(STAGE_VIGILD, "shm_prefix", "a/b", "no /"));
	assert_false(set(STAGE_VIGILD, "shm_prefix", "0123456789012345678901234567890123", NULL));
	assert_false(set(STAGE_VIGILD, "nats_stream", "a.b", NULL));
	assert_true(set(STAGE_WRITER, "data_dir", "/srv/%i", NULL));
}

static void
test_shards(void **state)
{
	(void)state;
	assert_true(set(STAGE_VIGILD, "writer_shards", "all", NULL));
	assert_int_equal(o.v[STAGE_VIGILD_WRITER_SHARDS].u, 0xffffffffu);
	assert_true(set(STAGE_VIGILD, "writer_shards", "none", NULL));
	assert_int_equal(o.v[STAGE_VIGILD_WRITER_SHARDS].u, 0);
	assert_true(set(STAGE_VIGILD, "writer_shards", "0,2-3", NULL));
	assert_int_equal(o.v[STAGE_VIGILD_WRITER_SHARDS].u, 0xd);
	assert_true(set(STAGE_VIGILD, "writer_shards", "31", NULL));
	assert_int_equal(o.v[STAGE_VIGILD_WRITER_SHARDS].u, 1u << 31);
	assert_false(set(STAGE_VIGILD, "writer_shards", "32", "shards 0..31"));
	assert_false(set(STAGE_VIGILD, "writer_shards", "3-2", NULL));
	assert_false(set(STAGE_VIGILD, "writer_shards", "1,", NULL));
	assert_false(set(STAGE_VIGILD, "writer_shards", "1-", NULL));
	assert_false(set(STAGE_VIGILD, "writer_shards", "a", NULL));
}

static void
test_addr(void **state)
{
	(void)state;
	assert_true(set(STAGE_VIGILD, "metrics_listen", "127.0.0.1:9740", NULL));
	assert_true(set(STAGE_VIGILD, "metrics_listen", "", NULL)); /* none */
	assert_true(set(STAGE_VIGILD, "metrics_listen", "[::1]:0", NULL));
	assert_true(set(STAGE_VIGILD, "metrics_listen", "metrics.example-1.org:65535", NULL));
	assert_true(set(STAGE_VIGILD, "metrics_listen", ":80", NULL));
	assert_true(set(STAGE_VIGILD, "metrics_listen", "255.255.255.255:1", NULL));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "999.1.1.1:99999",
			 "metrics_listen = 999.1.1.1:99999: the host is neither"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "256.1.1.1:80", "a.b.c.d"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "1.1.1:80", "a.b.c.d"));
	assert_false(
	    set(STAGE_VIGILD, "metrics_listen", "1.1.1.1:65536", "the port must be 0..65535"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "1.1.1.1:", "port"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "1.1.1.1", "no :PORT"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "::1:80", "brackets"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "[::1]80", "[IPv6]"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "[zz]:80", "[IPv6]"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "-bad.org:80", "host name"));
	assert_false(set(STAGE_VIGILD, "metrics_listen", "a_b:80", "host name"));
	assert_false(set(STAGE_STREAMER, "listen", "", "empty"));
}

static int
parse(stage_kind_t kind, const char *want, ...)
{
	char *argv[16] = {(char *)"prog"};
	int argc = 1, rc;
	va_list ap;

	va_start(ap, want);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	rc = stage_opts_parse(kind, argc, argv, &o);
	if (rc < 0 && want && strstr(stage_errmsg(), want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", stage_errmsg(), want);
	return rc;
}

static void
test_argv(void **state)
{
	(void)state;
	assert_int_equal(parse(STAGE_WRITER, NULL, NULL), STAGE_OPTS_RUN);
	assert_int_equal(o.v[STAGE_WRITER_SYNC_MS].u, 100);
	assert_int_equal(o.v[STAGE_WRITER_SYNC_MS].set, STAGE_DEFAULT);
	assert_int_equal(o.v[STAGE_WRITER_GROUP_MS].set, STAGE_UNSET);
	assert_int_equal(parse(STAGE_WRITER, NULL, "-D", "/d", "-i50", "-s", "durable", NULL),
			 STAGE_OPTS_RUN);
	assert_string_equal(o.v[STAGE_WRITER_DATA_DIR].s, "/d");
	assert_int_equal(o.v[STAGE_WRITER_SYNC_MS].u, 50);
	assert_int_equal(o.v[STAGE_WRITER_SYNC].u, 1);
	assert_int_equal(
	    parse(STAGE_WRITER, "-i 1OO: not a number (0..3600000 ms)", "-i", "1OO", NULL),
	    -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, "-s durble", "-s", "durble", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, "-Q: unknown option", "-Q", "bogus", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, "-i: wants a value", "-i", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, "unexpected argument \"x\"", "x", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, NULL, "-n", NULL), STAGE_OPTS_CHECK);
	assert_int_equal(parse(STAGE_WRITER, NULL, "-h", "-Q", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_WRITER, NULL, "-n", "-h", NULL), STAGE_OPTS_HELP);
	/* grouped letters, then a value */
	assert_int_equal(parse(STAGE_LISTENER, NULL, "-vWw", "5", NULL), STAGE_OPTS_RUN);
	assert_int_equal(o.v[STAGE_LISTENER_VERBOSE].u, 1);
	assert_int_equal(o.v[STAGE_LISTENER_NO_REVOKE_WATCH].u, 1);
	assert_int_equal(o.v[STAGE_LISTENER_HELLO_WINDOW_MS].u, 5);
	assert_int_equal(parse(STAGE_LISTENER, "-r 0:", "-r", "0", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_LISTENER, NULL, "-c", "5", NULL), STAGE_OPTS_RUN);
	assert_int_equal(o.v[STAGE_LISTENER_EXIT_AFTER].u, 5);
	assert_int_equal(parse(STAGE_LISTENER, NULL, "--", NULL), STAGE_OPTS_RUN);
	/* required, and rules between options */
	assert_int_equal(parse(STAGE_SYNCD, "data_dir (-D DATA_DIR) is required", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_SYNCD, "-m -3: not a number", "-D", "/d", "-m", "-3", NULL),
			 -EINVAL);
	assert_int_equal(parse(STAGE_SYNCD, "rto_max_ms (-T) 50 is below rto_ms (-t) 100", "-D",
			       "/d", "-t", "100", "-T", "50", NULL),
			 -EINVAL);
	assert_int_equal(parse(STAGE_STREAMER, "go together", "-C", "c", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_STREAMER, "-w 0: must be 1..64", "-w", "0", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_STREAMER, "port", "-l", "127.0.0.1:80a", NULL), -EINVAL);
	assert_int_equal(parse(STAGE_INDEXER, "-r fast", "-r", "fast", NULL), -EINVAL);
}

static void
test_build_argv(void **state)
{
	char buf[512], *argv[16];
	int n;

	(void)state;
	assert_int_equal(
	    parse(STAGE_LISTENER, NULL, "-d", "/k%i", "-v", "-k", "always", "-c", "9", NULL),
	    STAGE_OPTS_RUN);
	n = stage_opts_argv(&o, 3, buf, sizeof(buf), argv, 16);
	assert_int_equal(n, 5); /* -c is the command line's alone */
	assert_string_equal(argv[0], "-d");
	assert_string_equal(argv[1], "/k3");
	assert_string_equal(argv[2], "-v");
	assert_string_equal(argv[3], "-k");
	assert_string_equal(argv[4], "always");
	assert_null(argv[5]);
	assert_int_equal(stage_opts_argv(&o, 3, buf, 8, argv, 16), -E2BIG);
	assert_int_equal(stage_opts_argv(&o, 3, buf, sizeof(buf), argv, 4), -E2BIG);
}

static void
test_usage_getopt(void **state)
{
	char buf[8192];
	size_t n;

	(void)state;
	n = stage_opts_usage(STAGE_WRITER, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "usage: vigil-writer [-n] [-h] [-D DATA_DIR] [-s MODE]"));
	assert_non_null(strstr(buf, "-i SYNC_MS"));
	assert_non_null(strstr(buf, "0..3600000 ms; default 100"));
	assert_non_null(strstr(buf, "periodic|durable; default periodic"));
	assert_non_null(strstr(buf, "default unset"));
	assert_int_equal(stage_opts_usage(STAGE_WRITER, buf, 10), n); /* the length it needs */
	assert_int_equal(strlen(buf), 9);
	assert_string_equal(stage_opts_getopt_string(STAGE_WRITER), "nhD:s:i:b:o:g:");
	assert_string_equal(stage_opts_getopt_string(STAGE_LISTENER), "nhd:l:vc:w:r:k:L:K:W");
	assert_string_equal(stage_opts_getopt_string(STAGE_SYNCD), "nhD:r:R:s:t:T:m:v");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int_ranges),
	    cmocka_unit_test(test_u64_ms),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_double),
	    cmocka_unit_test(test_enum_flag_string),
	    cmocka_unit_test(test_shards),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_argv),
	    cmocka_unit_test(test_build_argv),
	    cmocka_unit_test(test_usage_getopt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

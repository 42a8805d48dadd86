/*
 * NAME
 *	test_writer_file_lock.c - a day file's one appender: the lock the
 *	writer's file cache takes (writer/writer_file.c)
 *
 * DESCRIPTION
 *	Two caches over one folder stand for two writers (an open file
 *	description's lock conflicts with another one's in the same process
 *	as in another). Checks: the first to open a file holds it; the
 *	second is refused (-EAGAIN, counted once, the file
 *	untouched), and asked again within the retry delay is refused
 *	without trying; once the holder closes the file the second gets it.
 *	A file the cache closes to make room loses its lock: another takes
 *	it, and the first cache's reopen is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"
#include "writer/writer.h"

#define DATE 20782u

static const uint8_t A[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
static const uint8_t B[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0f};

/* writer_files_get of the day file of (uuid, DATE): 0 or -errno */
static int
get(writer_files_t *fs, const uint8_t *uuid)
{
	writer_file_t *f;

	return writer_files_get(fs, uuid, DATE, WRITER_DAY, &f);
}

/* Let the refused files of fs be tried again now. */
static void
retry_now(writer_files_t *fs)
{
	int i;

	for (i = 0; i < WRITER_REFUSED_MAX; i++)
		fs->wait[i].retry_ms = 0;
}

static void
test_second_refused(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	writer_files_t one, two;
	struct stat st;

	(void)state;
	assert_int_equal(writer_files_init(&one, dir, 4), 0);
	assert_int_equal(writer_files_init(&two, dir, 4), 0);
	assert_int_equal(get(&one, A), 0);
	assert_int_equal(proto_file_path(dir, A, DATE, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, PROTO_FILE_HDR_LEN);

	/* refused, counted, the file as it was */
	assert_int_equal(get(&two, A), -EAGAIN);
	assert_int_equal(two.locked, 1);
	assert_int_equal(two.opened, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, PROTO_FILE_HDR_LEN);
	/* again within the delay: refused without trying, not counted again */
	assert_int_equal(get(&two, A), -EAGAIN);
	assert_int_equal(two.locked, 1);
	/* another file is not held: no refusal */
	assert_int_equal(get(&two, B), 0);
	/* tried again while still held: refused, still counted once */
	retry_now(&two);
	assert_int_equal(get(&two, A), -EAGAIN);
	assert_int_equal(two.locked, 1);

	/* the holder closes it: the second writer appends */
	writer_files_close(&one);
	retry_now(&two);
	assert_int_equal(get(&two, A), 0);
	assert_int_equal(two.opened, 2);
	writer_files_close(&two);
	tu_rmtree(dir);
	free(dir);
}

static void
test_evicted_loses_lock(void **state)
{
	char *dir = tu_tmpdir();
	writer_files_t one, two;

	(void)state;
	assert_int_equal(writer_files_init(&one, dir, 1), 0);
	assert_int_equal(writer_files_init(&two, dir, 4), 0);
	assert_int_equal(get(&one, A), 0);
	assert_int_equal(get(&two, A), -EAGAIN);
	/* one file open at most: A is closed to make room for B */
	assert_int_equal(get(&one, B), 0);
	assert_int_equal(one.evicted, 1);
	retry_now(&two);
	assert_int_equal(get(&two, A), 0);
	/* one's reopen of A finds it taken */
	assert_int_equal(get(&one, A), -EAGAIN);
	assert_int_equal(one.locked, 1);
	writer_files_close(&one);
	writer_files_close(&two);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_second_refused),
	    cmocka_unit_test(test_evicted_loses_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * NAME
 *	fuzz_daystate.c - libFuzzer target for the sync state beside a day
 *	file (.sync, docs/STORAGE.md)
 *
 * DESCRIPTION
 *	The .sync file is read by syncd, vigilctl and the streamer, and a
 *	file on disk can be damaged or edited: the reader may not crash,
 *	and what it accepts must write back to a file that reads the same.
 *	Both folders are on a memory file system (/dev/shm): the write
 *	back's fdatasync and rename cost no disk, and the reader still
 *	goes through fopen() as syncd's does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto_daystate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t U[PROTO_UUID_LEN] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
					  0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
#define DATE 20782u

static char dir[2][64];

static void
cleanup(void)
{
	char p[4096];
	int i;

	for (i = 0; i < 2; i++) {
		if (proto_daystate_path(dir[i], U, DATE, p, sizeof(p)) == 0)
			unlink(p);
		snprintf(p, sizeof(p), "%s/0f8fad5b-d9cb-469f-a165-70867728950e", dir[i]);
		rmdir(p);
		rmdir(dir[i]);
	}
}

static void
setup(void)
{
	const char *base;
	struct stat st;
	char sub[128];
	int i;

	base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	for (i = 0; i < 2; i++) {
		snprintf(dir[i], sizeof(dir[i]), "%s/vigil-fuzz-daystate.%d.%d", base,
			 (int)getpid(), i);
		mkdir(dir[i], 0700);
		snprintf(sub, sizeof(sub), "%s/0f8fad5b-d9cb-469f-a165-70867728950e", dir[i]);
		mkdir(sub, 0700);
	}
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	proto_daystate_t st, back;
	uint32_t i;
	FILE *f;

	if (!dir[0][0])
		setup();
	if (proto_daystate_path(dir[0], U, DATE, path, sizeof(path)) < 0 ||
	    (f = fopen(path, "w")) == NULL)
		abort();
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	if (proto_daystate_read(dir[0], U, DATE, &st) != 0)
		return 0;
	if (proto_daystate_write(dir[1], U, DATE, &st) != 0 ||
	    proto_daystate_read(dir[1], U, DATE, &back) != 0)
		abort();
	if (back.high != st.high || back.oldest_held != st.oldest_held ||
	    back.report_ms != st.report_ms || back.complete_ms != st.complete_ms ||
	    back.lost != st.lost || back.unsynced != st.unsynced || back.damaged != st.damaged ||
	    (st.unsynced && back.unsynced_from != st.unsynced_from) ||
	    (st.damaged && back.damaged_at != st.damaged_at) || back.voids.n != st.voids.n)
		abort();
	for (i = 0; i < st.voids.n; i++)
		if (back.voids.r[i].lo != st.voids.r[i].lo ||
		    back.voids.r[i].hi != st.voids.r[i].hi)
			abort();
	for (i = 0; i < back.nlate && i < st.nlate; i++)
		if (memcmp(&back.late[i], &st.late[i], sizeof(st.late[i])))
			abort();
	proto_daystate_free(&st);
	proto_daystate_free(&back);
	return 0;
}

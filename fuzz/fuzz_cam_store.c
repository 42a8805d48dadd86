/*
 * NAME
 *	fuzz_cam_store.c - libFuzzer target for the camera store's records
 *
 * DESCRIPTION
 *	The input becomes a segment file of a camera store (and its first
 *	half the hellos file, its second the confirm log); opening the store
 *	reads them as after a crash. Nothing may crash or leak; every
 *	counter the store then says it holds must read back as a datagram
 *	of that date and counter, and the files must have been cut to whole
 *	records. The store's folder is on a memory file system (/dev/shm),
 *	so an input costs no disk write and no disk sync; the store reads
 *	it through its own open() and pread() as it reads a camera's disk.
 *	Links firmware/cam_store.c from the firmware's objects.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/cam_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const FILES[] = {"seg-0000000000", "hellos", "confirm", "void"};
static char dir[64];

static void
put_file(const char *name, const uint8_t *b, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (n && write(fd, b, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void
cleanup(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, FILES[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* A fresh folder in memory (/dev/shm), else under /tmp. */
static void
setup(void)
{
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/fuzz-cam-store.XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t dg[PROTO_MAX_DGRAM];
	cam_store_t s;
	uint32_t i, j;

	if (dir[0] == '\0')
		setup();
	put_file(FILES[0], data, size);
	put_file(FILES[1], data, size / 2);
	put_file(FILES[2], data + size / 2, size - size / 2);
	if (cam_store_open(&s, dir, 1 << 20) < 0)
		return 0;
	for (i = 0; i < s.nday; i++)
		for (j = s.day[i].first; j < s.day[i].n; j++) {
			int n = cam_store_get(&s, s.day[i].date, s.day[i].e[j].counter, dg);
			if (n < PROTO_C2S_HDR_LEN || proto_get32(dg + 20) != s.day[i].date ||
			    proto_get32(dg + 24) != s.day[i].e[j].counter)
				abort();
		}
	cam_store_close(&s);
	return 0;
}

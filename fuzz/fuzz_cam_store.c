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
 *	records. Builds firmware/cam_store.c in (the firmware is a program).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../firmware/cam_store.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
put_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (n && write(fd, b, n) != (ssize_t)n)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/fuzz-cam-store.XXXXXX";
	static int made;
	uint8_t dg[PROTO_MAX_DGRAM];
	cam_store_t s;
	uint32_t i, j;

	if (!made && (made = mkdtemp(dir) != NULL) == 0)
		abort();
	put_file(dir, "seg-0000000000", data, size);
	put_file(dir, "hellos", data, size / 2);
	put_file(dir, "confirm", data + size / 2, size - size / 2);
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

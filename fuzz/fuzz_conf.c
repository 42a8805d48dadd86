/*
 * NAME
 *	fuzz_conf.c - libFuzzer target for the configuration files:
 *	vigild's vigil.conf and the camera's camera.conf
 *
 * DESCRIPTION
 *	Both loaders read a path, so the input is written to a memory file
 *	and read back through /proc/self/fd. Whatever the bytes, a loader
 *	returns 0 or an error, never crashes nor reads out of bounds, and
 *	what it accepts must hold terminated strings and values inside the
 *	ranges vigild and vigil-cam rely on. The loaders are linked from
 *	their programs' objects (vigild_conf.o, cam_conf.o); vigild's log
 *	line is replaced by one that drops it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "firmware/cam.h"
#include "vigild/vigild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* vigild's log line for a refused line: dropped. */
void
vigild_log(const char *fmt, ...)
{
	(void)fmt;
}

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static FILE *quiet;
	FILE *saved = stderr;
	vigild_conf_t vc;
	cam_conf_t cc;

	if (fd < 0) {
		if ((fd = memfd_create("fuzz_conf", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((quiet = fopen("/dev/null", "w")) == NULL)
			abort();
	}
	/*
	 * The loaders name each refused line on stderr: send those to
	 * /dev/null (a sanitizer's report goes to descriptor 2 directly and
	 * is still seen).
	 */
	stderr = quiet;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (vigild_conf_load(path, &vc) == 0) {
		if (vc.writers < 1 || vc.ring_slots == 0 ||
		    !terminated(vc.shm_prefix, sizeof(vc.shm_prefix)) ||
		    !terminated(vc.metrics_listen, sizeof(vc.metrics_listen)) ||
		    !terminated(vc.nats_url, sizeof(vc.nats_url)))
			abort();
	}
	memset(&cc, 0, sizeof(cc));
	if (cam_conf_load(path, &cc) == 0) {
		if (!terminated(cc.server, sizeof(cc.server)) ||
		    !terminated(cc.camera_key, sizeof(cc.camera_key)) ||
		    !terminated(cc.server_key, sizeof(cc.server_key)) ||
		    !terminated(cc.state, sizeof(cc.state)))
			abort();
	}
	stderr = saved;
	return 0;
}

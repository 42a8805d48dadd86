/*
 * NAME
 *	cam_state.c - the per-day datagram counter, never reused
 *
 * DESCRIPTION
 *	The state file holds one fixed-width line:
 *	  "<date> <next> <reserved> <clean>\n"
 *	Counters are reserved in blocks: <reserved> is written and fsynced
 *	before any counter of a new block is used. A clean exit writes the
 *	exact <next> with <clean> = 1; the next start resumes there and marks
 *	the file unclean before it sends anything. After a crash or a power
 *	loss (<clean> = 0) the camera resumes at <reserved>: it may skip
 *	counters, never reuse one, so no (key, nonce) pair repeats and no two
 *	datagrams share an identity.
 *
 *	A state file that is missing, short or not such a line says nothing
 *	of the day: the camera says so, starts the day at 0 and marks the
 *	state lost. The counter is then raised above what the store knows
 *	was used (cam_sync_open) and above the server's next counter
 *	(the HELLO_ACK, cam_send.c) before any datagram but the hello goes
 *	out (docs/PROTOCOL.md, "Identity and counters").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cam.h"

#define CAM_STATE_BLOCK 4096
#define LINE_LEN 35

static int
write_line(cam_state_t *s, int clean)
{
	char line[LINE_LEN + 1];

	snprintf(line, sizeof(line), "%010u %010u %010u %d\n", s->date, s->next, s->reserved,
		 clean ? 1 : 0);
	if (pwrite(s->fd, line, LINE_LEN, 0) != LINE_LEN || fdatasync(s->fd) != 0)
		return -1;
	return 0;
}

int
cam_state_open(cam_state_t *s, const char *path, uint32_t today)
{
	char line[LINE_LEN + 1] = {0}, tail;
	unsigned d, n, r;
	ssize_t got;
	int clean;

	memset(s, 0, sizeof(*s));
	if ((s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "vigil-cam: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	got = pread(s->fd, line, LINE_LEN, 0);
	if (got == LINE_LEN && line[LINE_LEN - 1] == '\n' &&
	    sscanf(line, "%10u %10u %10u %1d%c", &d, &n, &r, &clean, &tail) == 5 && tail == '\n' &&
	    n <= r && (clean == 0 || clean == 1)) {
		s->date = d;
		s->next = clean ? n : r; /* after a crash, skip the whole reservation */
		s->reserved = s->next;
	} else {
		s->lost = 1;
		fprintf(stderr,
			"vigil-cam: state %s %s: counters resume above the store and the "
			"server's next counter\n",
			path, got <= 0 ? "missing" : "garbled (not a state line)");
	}
	if (s->date != today) {
		s->date = today;
		s->next = s->reserved = 0;
	}
	if (write_line(s, 0) < 0) {
		fprintf(stderr, "vigil-cam: write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
cam_state_raise(cam_state_t *s, uint32_t next)
{
	if (next <= s->next)
		return 0;
	s->next = next;
	if (s->reserved < next)
		s->reserved = next; /* the next take reserves a block from here, durably */
	return 1;
}

int64_t
cam_state_take(cam_state_t *s, uint32_t today)
{
	if (today != s->date) {
		s->date = today;
		s->next = s->reserved = 0;
	}
	if (s->next >= s->reserved) {
		s->reserved = s->next + CAM_STATE_BLOCK;
		if (write_line(s, 0) < 0)
			return -1;
	}
	return s->next++;
}

void
cam_state_close(cam_state_t *s)
{
	if (s->fd >= 0) {
		if (write_line(s, 1) < 0)
			fprintf(stderr, "vigil-cam: state not saved: %s\n", strerror(errno));
		close(s->fd);
	}
	s->fd = -1;
}

/*
 * NAME
 *	cam_past.c - the s2c keys of the camera's last sessions
 *
 * DESCRIPTION
 *	The server seals each message to the camera with the session it
 *	holds as the camera's current one, which is not always the camera's
 *	current one: a message on its way when the camera opens a new
 *	session (at UTC midnight, after a restart), or sent before the new
 *	hello reached the server, is sealed for an earlier session. The
 *	camera keeps the s2c keys of its last CAM_PAST_MAX sessions (never
 *	their secrets: an s2c key opens server messages, not the camera's
 *	data) so that it opens and acts on those too.
 *
 *	They live in memory and in the file "<state>.s2c" beside the counter
 *	state (docs/STORAGE.md, "Camera session keys"), so a restarted camera
 *	still knows them: CAM_PAST_MAX slots of 44 bytes, date u32, session
 *	u32, s2c key (32), CRC-32C of those 40 bytes u32. A new session takes
 *	the slot of the oldest and is fdatasynced before its hello goes out;
 *	a torn slot fails its CRC and is empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cam.h"
#include "proto_record.h"

#define SLOT_LEN 44

int
cam_past_open(cam_t *c)
{
	char path[4200];
	uint8_t b[SLOT_LEN];
	int i;

	snprintf(path, sizeof(path), "%s.s2c", c->conf.state);
	if ((c->past_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "vigil-cam: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < CAM_PAST_MAX; i++) {
		cam_past_t *p = &c->past[i];
		if (pread(c->past_fd, b, SLOT_LEN, (off_t)i * SLOT_LEN) != SLOT_LEN ||
		    proto_get32(b + 40) != proto_crc32c(0, b, 40))
			continue;
		p->date = proto_get32(b);
		p->session = proto_get32(b + 4);
		p->s = proto_session_s2c_new(c->conf.uuid, p->date, p->session, b + 8);
	}
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

void
cam_past_close(cam_t *c)
{
	int i;

	for (i = 0; i < CAM_PAST_MAX; i++) {
		proto_session_free(c->past[i].s);
		c->past[i].s = NULL;
	}
	if (c->past_fd >= 0)
		close(c->past_fd);
	c->past_fd = -1;
}

int
cam_past_keep(cam_t *c, const proto_session_t *s)
{
	uint8_t b[SLOT_LEN];
	cam_past_t *p = &c->past[0];
	int i, rc = 0;

	/* an empty slot, else the oldest session's */
	for (i = 0; i < CAM_PAST_MAX && p->s; i++)
		if (c->past[i].s == NULL || c->past[i].date < p->date ||
		    (c->past[i].date == p->date && c->past[i].session < p->session))
			p = &c->past[i];
	proto_session_free(p->s);
	p->date = proto_session_date(s);
	p->session = proto_session_id(s);
	proto_put32(b, p->date);
	proto_put32(b + 4, p->session);
	proto_session_s2c_key(s, b + 8);
	proto_put32(b + 40, proto_crc32c(0, b, 40));
	p->s = proto_session_s2c_new(c->conf.uuid, p->date, p->session, b + 8);
	if (c->past_fd >= 0 &&
	    (pwrite(c->past_fd, b, SLOT_LEN, (off_t)(p - c->past) * SLOT_LEN) != SLOT_LEN ||
	     fdatasync(c->past_fd) != 0))
		rc = -1;
	OPENSSL_cleanse(b, sizeof(b));
	return p->s == NULL || rc < 0 ? -1 : 0;
}

proto_session_t *
cam_past_find(cam_t *c, uint32_t date, uint32_t session)
{
	int i;

	if (c->session && proto_session_date(c->session) == date &&
	    proto_session_id(c->session) == session)
		return c->session;
	for (i = 0; i < CAM_PAST_MAX; i++)
		if (c->past[i].s && c->past[i].date == date && c->past[i].session == session)
			return c->past[i].s;
	return NULL;
}

/*
 * NAME
 *	cam_src.c - where the camera's pictures come from
 *
 * DESCRIPTION
 *	testsrc draws the synthetic picture (cam_testsrc.c). file:PATH
 *	reads a recording once into memory and replays it in a loop: an
 *	H.264 Annex-B stream is cut into access units (a new one starts at
 *	an access unit delimiter, SPS, PPS or SEI, or at a slice whose
 *	first_mb_in_slice is 0, once the current unit holds a slice), a
 *	file of concatenated JPEG images into images (SOI to EOI); these
 *	are sent as they are, not encoded again. v4l2:/dev/videoN captures
 *	from a camera device (cam_v4l2.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cam_media.h"
#include "proto.h"

static int
read_all(cam_src_t *s, const char *path)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "vigil-cam: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size < 4 || (s->buf = malloc((size_t)st.st_size)) == NULL) {
		fprintf(stderr, "vigil-cam: %s: empty or too large\n", path);
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size &&
	       (n = read(fd, s->buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	s->len = off;
	return 0;
}

int
cam_src_open(cam_src_t *s, const char *spec, int w, int h, int fps)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->w = w;
	s->h = h;
	if (!strcmp(spec, "testsrc")) {
		s->kind = CAM_SRC_TESTSRC;
		if (!cam_testsrc_size_ok(w, h)) {
			fprintf(stderr, "vigil-cam: testsrc needs a width that is a multiple of 32 "
					"(at least 160) and an even height of at least 96\n");
			return -1;
		}
		return 0;
	}
	if (!strncmp(spec, "file:", 5)) {
		if (read_all(s, spec + 5) < 0)
			return -1;
		if (s->buf[0] == 0xff && s->buf[1] == 0xd8)
			s->kind = CAM_SRC_JPEG_FILE;
		else if (s->buf[0] == 0 && s->buf[1] == 0 &&
			 (s->buf[2] == 1 || (s->buf[2] == 0 && s->buf[3] == 1)))
			s->kind = CAM_SRC_H264_FILE;
		else {
			fprintf(stderr, "vigil-cam: %s is neither H.264 Annex-B nor JPEG\n",
				spec + 5);
			cam_src_close(s);
			return -1;
		}
		return 0;
	}
	if (!strncmp(spec, "v4l2:", 5)) {
		s->kind = CAM_SRC_V4L2;
		return cam_v4l2_open(s, spec + 5, w, h, fps);
	}
	fprintf(stderr, "vigil-cam: unknown source \"%s\" (testsrc, file:PATH, v4l2:DEVICE)\n",
		spec);
	return -1;
}

int
cam_src_is_coded(const cam_src_t *s)
{
	return s->kind == CAM_SRC_H264_FILE || s->kind == CAM_SRC_JPEG_FILE;
}

int
cam_src_picture(cam_src_t *s, cam_pic_t *p, uint32_t frame, uint64_t capture_ms)
{
	if (s->kind == CAM_SRC_TESTSRC) {
		cam_testsrc_draw(p, frame, capture_ms);
		return 0;
	}
	if (s->kind == CAM_SRC_V4L2)
		return cam_v4l2_read(s, p);
	return -1;
}

/* Offset of the next start code at or after i, or len; *sc its length. */
static size_t
next_start(const uint8_t *b, size_t len, size_t i, size_t *sc)
{
	for (; i + 3 <= len; i++) {
		if (b[i] == 0 && b[i + 1] == 0) {
			if (b[i + 2] == 1) {
				*sc = 3;
				return i;
			}
			if (i + 4 <= len && b[i + 2] == 0 && b[i + 3] == 1) {
				*sc = 4;
				return i;
			}
		}
	}
	*sc = 0;
	return len;
}

static int
h264_au(cam_src_t *s, cam_coded_t *out)
{
	size_t start, i, sc, nal, end;
	int has_vcl = 0, key = 0;

	if (s->pos >= s->len)
		s->pos = 0;
	start = i = next_start(s->buf, s->len, s->pos, &sc);
	if (start >= s->len) {
		s->pos = 0;
		return -1;
	}
	while (i < s->len) {
		nal = i + sc;
		end = next_start(s->buf, s->len, nal, &sc);
		if (nal < s->len) {
			uint8_t type = s->buf[nal] & 0x1f;
			int vcl = type == 1 || type == 5;
			int first_slice = vcl && nal + 1 < s->len && (s->buf[nal + 1] & 0x80);
			int opens = type == 9 || type == 7 || type == 8 || type == 6 ||
				    (type >= 14 && type <= 18) || first_slice;
			if (has_vcl && opens)
				break;
			has_vcl |= vcl;
			key |= type == 5;
		}
		i = end;
	}
	out->codec = PROTO_C_H264;
	out->keyframe = key;
	out->data = s->buf + start;
	out->len = i - start;
	s->pos = i;
	return 0;
}

static int
jpeg_image(cam_src_t *s, cam_coded_t *out)
{
	size_t i, start;

	for (int pass = 0; pass < 2; pass++, s->pos = 0) {
		for (start = s->pos; start + 1 < s->len; start++)
			if (s->buf[start] == 0xff && s->buf[start + 1] == 0xd8)
				break;
		for (i = start + 2; i + 1 < s->len; i++)
			if (s->buf[i] == 0xff && s->buf[i + 1] == 0xd9)
				break;
		if (i + 1 < s->len) {
			out->codec = PROTO_C_JPEG;
			out->keyframe = 1;
			out->data = s->buf + start;
			out->len = i + 2 - start;
			s->pos = i + 2;
			return 0;
		}
	}
	return -1;
}

int
cam_src_coded(cam_src_t *s, cam_coded_t *out)
{
	if (s->kind == CAM_SRC_H264_FILE)
		return h264_au(s, out);
	if (s->kind == CAM_SRC_JPEG_FILE)
		return jpeg_image(s, out);
	return -1;
}

void
cam_src_close(cam_src_t *s)
{
	if (s->kind == CAM_SRC_V4L2)
		cam_v4l2_close(s);
	free(s->buf);
	s->buf = NULL;
}

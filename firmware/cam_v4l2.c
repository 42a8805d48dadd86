/*
 * NAME
 *	cam_v4l2.c - capture pictures from a V4L2 camera device
 *
 * DESCRIPTION
 *	Asks the device for YUYV (4:2:2 packed) at the requested size and
 *	rate, streams through four memory-mapped buffers, and converts each
 *	captured picture to I420 for the encoder (the chroma of every
 *	second row is dropped). The size the driver chose is left in
 *	s->w x s->h; the encoder must be opened with it. Without a device
 *	the camera program stops with a message that says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "cam_media.h"

static int
xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	while ((rc = ioctl(fd, req, arg)) < 0 && errno == EINTR)
		;
	return rc;
}

int
cam_v4l2_open(cam_src_t *s, const char *dev, int w, int h, int fps)
{
	struct v4l2_capability cap = {0};
	struct v4l2_format fmt = {0};
	struct v4l2_streamparm parm = {0};
	struct v4l2_requestbuffers req = {0};
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int i;

	if ((s->fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "vigil-cam: no camera device at %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (xioctl(s->fd, VIDIOC_QUERYCAP, &cap) < 0 ||
	    !(cap.capabilities & V4L2_CAP_VIDEO_CAPTURE) ||
	    !(cap.capabilities & V4L2_CAP_STREAMING)) {
		fprintf(stderr, "vigil-cam: %s is not a V4L2 streaming capture device\n", dev);
		goto fail;
	}
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt.fmt.pix.width = (unsigned)w;
	fmt.fmt.pix.height = (unsigned)h;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(s->fd, VIDIOC_S_FMT, &fmt) < 0 || fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV) {
		fprintf(stderr, "vigil-cam: %s does not capture YUYV\n", dev);
		goto fail;
	}
	s->w = (int)fmt.fmt.pix.width & ~1;
	s->h = (int)fmt.fmt.pix.height & ~1;
	s->fourcc = fmt.fmt.pix.pixelformat;
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = (unsigned)fps;
	xioctl(s->fd, VIDIOC_S_PARM, &parm); /* a hint: drivers may keep their rate */
	req.count = 4;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	if (xioctl(s->fd, VIDIOC_REQBUFS, &req) < 0 || req.count < 2) {
		fprintf(stderr, "vigil-cam: %s: no capture buffers: %s\n", dev, strerror(errno));
		goto fail;
	}
	s->nbufs = req.count > 4 ? 4 : (int)req.count;
	for (i = 0; i < s->nbufs; i++) {
		struct v4l2_buffer b = {0};
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = (unsigned)i;
		if (xioctl(s->fd, VIDIOC_QUERYBUF, &b) < 0)
			goto fail;
		s->map_len[i] = b.length;
		s->map[i] =
		    mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, b.m.offset);
		if (s->map[i] == MAP_FAILED) {
			s->map[i] = NULL;
			goto fail;
		}
		if (xioctl(s->fd, VIDIOC_QBUF, &b) < 0)
			goto fail;
	}
	if (xioctl(s->fd, VIDIOC_STREAMON, &type) < 0) {
		fprintf(stderr, "vigil-cam: %s: stream on: %s\n", dev, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	cam_v4l2_close(s);
	return -1;
}

int
cam_v4l2_read(cam_src_t *s, cam_pic_t *p)
{
	struct v4l2_buffer b = {0};
	struct pollfd pfd = {s->fd, POLLIN, 0};
	int x, y, w = p->w < s->w ? p->w : s->w, h = p->h < s->h ? p->h : s->h;

	if (poll(&pfd, 1, 2000) <= 0)
		return -1;
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (xioctl(s->fd, VIDIOC_DQBUF, &b) < 0 || b.index >= (unsigned)s->nbufs)
		return -1;
	for (y = 0; y < h; y++) {
		const uint8_t *src =
		    (const uint8_t *)s->map[b.index] + (size_t)y * (size_t)s->w * 2;
		uint8_t *dy = p->plane[0] + (size_t)y * p->stride[0];
		for (x = 0; x < w; x++)
			dy[x] = src[2 * x];
		if (y % 2 == 0) {
			uint8_t *du = p->plane[1] + (size_t)(y / 2) * p->stride[1];
			uint8_t *dv = p->plane[2] + (size_t)(y / 2) * p->stride[2];
			for (x = 0; x < w / 2; x++) {
				du[x] = src[4 * x + 1];
				dv[x] = src[4 * x + 3];
			}
		}
	}
	return xioctl(s->fd, VIDIOC_QBUF, &b) < 0 ? -1 : 0;
}

void
cam_v4l2_close(cam_src_t *s)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int i;

	if (s->fd < 0)
		return;
	xioctl(s->fd, VIDIOC_STREAMOFF, &type);
	for (i = 0; i < 4; i++)
		if (s->map[i])
			munmap(s->map[i], s->map_len[i]);
	close(s->fd);
	s->fd = -1;
}

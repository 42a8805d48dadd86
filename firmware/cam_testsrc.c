/*
 * NAME
 *	cam_testsrc.c - the synthetic test picture
 *
 * DESCRIPTION
 *	A moving picture whose frame number and capture time can be read
 *	back from decoded pixels: a bar code of both in the top 48 rows
 *	(layout in cam_media.h), large enough blocks to survive H.264 and
 *	JPEG at low rates, and the same values in digits below it for a
 *	person. Under them a diagonal gradient scrolls, a box bounces and
 *	the colours drift, so that the encoder has motion to code.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cam_media.h"

#define BLACK 16
#define WHITE 235

/* 5x7 glyphs, one byte per row, bit 4 the leftmost pixel: 0-9, ':', '.', ' ', 'F', 'T' */
static const uint8_t font[][7] = {
    {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}, {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e},
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}, {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e},
    {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}, {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e},
    {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}, {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}, {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c},
    {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10},
    {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
};

static int
glyph(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	switch (ch) {
	case ':': return 10;
	case '.': return 11;
	case 'F': return 13;
	case 'T': return 14;
	default: return 12;
	}
}

static void
fill(cam_pic_t *p, int pl, int x0, int y0, int w, int h, uint8_t v)
{
	int y;

	for (y = y0; y < y0 + h; y++)
		memset(p->plane[pl] + (size_t)y * p->stride[pl] + x0, v, (size_t)w);
}

static void
text(cam_pic_t *p, int x, int y, int scale, const char *s)
{
	int r, c;

	for (; *s && x + 6 * scale <= p->w; s++, x += 6 * scale) {
		const uint8_t *g = font[glyph(*s)];
		fill(p, 0, x, y, 6 * scale, 8 * scale, BLACK);
		for (r = 0; r < 7; r++)
			for (c = 0; c < 5; c++)
				if (g[r] & (0x10 >> c))
					fill(p, 0, x + c * scale, y + r * scale, scale, scale,
					     WHITE);
	}
}

static void
bars(cam_pic_t *p, int band, uint32_t v)
{
	int bw = p->w / CAM_BAR_BITS, i;

	for (i = 0; i < CAM_BAR_BITS; i++)
		fill(p, 0, i * bw, band * CAM_BAR_ROWS, bw, CAM_BAR_ROWS,
		     v >> (CAM_BAR_BITS - 1 - i) & 1 ? WHITE : BLACK);
}

int
cam_testsrc_size_ok(int w, int h)
{
	return w >= 160 && w % CAM_BAR_BITS == 0 && w <= 4096 && h >= 96 && h % 2 == 0 && h <= 4096;
}

void
cam_testsrc_draw(cam_pic_t *p, uint32_t frame, uint64_t capture_ms)
{
	int x, y, top = CAM_BAR_BANDS * CAM_BAR_ROWS, scale = p->w >= 640 ? 4 : 2;
	int bs = p->h / 4, bx, by, span;
	static uint8_t ramp[4096 + 128];
	char line[64];
	time_t t = (time_t)(capture_ms / 1000);
	struct tm tm;

	/* background: a scrolling diagonal gradient, drifting colours, rows copied from ramps */
	for (x = 0; x < (int)sizeof(ramp); x++)
		ramp[x] = (uint8_t)(48 + (x & 127));
	for (y = top; y < p->h; y++)
		memcpy(p->plane[0] + (size_t)y * p->stride[0], ramp + ((y + 3 * (int)frame) & 127),
		       (size_t)p->w);
	for (x = 0; x < p->w / 2; x++)
		p->plane[1][x] = (uint8_t)(96 + ((x * 2 + (int)frame) & 63));
	for (y = 0; y < p->h / 2; y++) {
		if (y > 0)
			memcpy(p->plane[1] + (size_t)y * p->stride[1], p->plane[1],
			       (size_t)p->w / 2);
		memset(p->plane[2] + (size_t)y * p->stride[2], 96 + ((y * 2 - (int)frame) & 63),
		       (size_t)p->w / 2);
	}
	/* a bouncing box */
	span = p->w - bs;
	bx = (int)(frame * 4 % (uint32_t)(2 * span));
	bx = bx < span ? bx : 2 * span - bx;
	span = p->h - top - bs;
	by = span > 0 ? (int)(frame * 2 % (uint32_t)(2 * span)) : 0;
	by = top + (by < span ? by : 2 * span - by);
	fill(p, 0, bx & ~1, by & ~1, bs & ~1, bs & ~1, 200);
	/* the bar code: no colour there, so that chroma cannot bleed into it */
	fill(p, 1, 0, 0, p->w / 2, top / 2, 128);
	fill(p, 2, 0, 0, p->w / 2, top / 2, 128);
	bars(p, 0, frame);
	bars(p, 1, (uint32_t)(capture_ms >> 32));
	bars(p, 2, (uint32_t)capture_ms);
	/* and the same for a person */
	gmtime_r(&t, &tm);
	snprintf(line, sizeof(line), "F %u", frame);
	text(p, 8, top + 8, scale, line);
	snprintf(line, sizeof(line), "T %02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(capture_ms % 1000));
	text(p, 8, top + 8 + 10 * scale, scale, line);
}

/*
 * NAME
 *	cam_tele.c - the camera's telemetry: position, battery, signal,
 *	accelerometer
 *
 * DESCRIPTION
 *	Position comes from gpsd (libgps, localhost:2947 or --gpsd HOST:PORT;
 *	tried again every 10 s while it does not answer) when it runs and
 *	has a fix; otherwise from a simulated walk: along the track points
 *	of a GPX file (--gpx), or around a 150 m circle in Paris, at
 *	1.4 m/s, heading along the way. The battery drains one percent a
 *	minute from 100 (never below 1), the signal follows a slow wave
 *	between 55 and 95 % unless fixed (--signal), and the accelerometer
 *	shows a walker's 2 Hz bounce around 1 g. Every sample says which
 *	parts were measured (PROTO_TM_F_*).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gps.h>

#include "cam.h"
#include "cam_media.h"

#define WALK_MS 1.4       /* metres per second */
#define EARTH_R 6371000.0 /* metres */
#define DEG (M_PI / 180.0)

static int
gpx_load(cam_tele_t *t, const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *p;
	size_t cap = 0, n;
	long len;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)len, f);
	buf[n] = '\0';
	fclose(f);
	for (p = buf; (p = strstr(p, "<trkpt")) != NULL; p += 6) {
		char *la = strstr(p, "lat=\""), *lo = strstr(p, "lon=\""), *end = strchr(p, '>');
		if (la == NULL || lo == NULL || end == NULL || la > end || lo > end)
			continue;
		if (t->npts == cap) {
			double *np =
			    realloc(t->pts, (cap = cap ? cap * 2 : 64) * 2 * sizeof(double));
			if (np == NULL)
				break;
			t->pts = np;
		}
		t->pts[2 * t->npts] = strtod(la + 5, NULL);
		t->pts[2 * t->npts + 1] = strtod(lo + 5, NULL);
		t->npts++;
	}
	free(buf);
	if (t->npts < 2) {
		fprintf(stderr, "vigil-cam: %s: fewer than two <trkpt> points\n", path);
		return -1;
	}
	return 0;
}

static void
gps_connect(cam_tele_t *t)
{
	struct gps_data_t *g;
	char host[256], *port;

	t->gps_try_ms = proto_mono_ms();
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return;
	snprintf(host, sizeof(host), "%s", t->gpsd);
	if ((port = strrchr(host, ':')) != NULL)
		*port++ = '\0';
	if (gps_open(host, port ? port : DEFAULT_GPSD_PORT, g) == 0) {
		gps_stream(g, WATCH_ENABLE | WATCH_JSON, NULL);
		t->gps = g;
	} else
		free(g);
}

int
cam_tele_open(cam_tele_t *t, const char *gpx, const char *gpsd, int signal, uint64_t now_ms)
{
	memset(t, 0, sizeof(*t));
	t->start_ms = now_ms;
	t->signal = signal;
	if (gpx && gpx_load(t, gpx) < 0)
		return -1;
	if (gpsd) {
		snprintf(t->gpsd, sizeof(t->gpsd), "%s", gpsd);
		gps_connect(t);
	}
	return 0;
}

/* Distance along the track after d metres: position and heading. */
static void
walk(const cam_tele_t *t, double d, double *lat, double *lon, double *hdg)
{
	if (t->npts >= 2) {
		size_t i = 0, loops = 0;
		for (;;) {
			const double *a = t->pts + 2 * i, *b = t->pts + 2 * ((i + 1) % t->npts);
			double dy = (b[0] - a[0]) * DEG * EARTH_R;
			double dx = (b[1] - a[1]) * DEG * EARTH_R * cos(a[0] * DEG);
			double seg = sqrt(dx * dx + dy * dy);
			if (d <= seg || loops > 100000) {
				double k = seg > 0 ? d / seg : 0;
				*lat = a[0] + (b[0] - a[0]) * k;
				*lon = a[1] + (b[1] - a[1]) * k;
				*hdg = fmod(atan2(dx, dy) / DEG + 360.0, 360.0);
				return;
			}
			d -= seg;
			i = (i + 1) % t->npts;
			loops++;
		}
	}
	/* a circle of 150 m around the Place du Châtelet, walked clockwise */
	double r = 150.0, a = d / r;
	*lat = 48.8576 + r * cos(a) / EARTH_R / DEG;
	*lon = 2.3470 + r * sin(a) / (EARTH_R * cos(48.8576 * DEG)) / DEG;
	*hdg = fmod(a / DEG + 90.0, 360.0);
}

static void
gps_poll(cam_tele_t *t)
{
	struct gps_data_t *g = t->gps;
	int n = 0;

	while (n++ < 16 && gps_waiting(g, 0))
		if (gps_read(g, NULL, 0) < 0) {
			gps_close(g);
			free(g);
			t->gps = NULL;
			t->fix = 0;
			return;
		}
	t->fix = 0; /* a lost fix means the simulated track again, flagged as such */
	if (g->fix.mode >= MODE_2D && isfinite(g->fix.latitude) && isfinite(g->fix.longitude)) {
		t->fix = 1;
		t->fix_lat = g->fix.latitude;
		t->fix_lon = g->fix.longitude;
		t->fix_speed = isfinite(g->fix.speed) ? g->fix.speed : 0;
		t->fix_track = isfinite(g->fix.track) ? g->fix.track : 0;
	}
}

void
cam_tele_sample(cam_tele_t *t, uint64_t now_ms, proto_telemetry_t *out)
{
	double secs = (double)(now_ms - t->start_ms) / 1000.0, lat, lon, hdg, speed = WALK_MS;

	memset(out, 0, sizeof(*out));
	out->time_ms = now_ms;
	if (t->gps == NULL && t->gpsd[0] && proto_mono_ms() - t->gps_try_ms >= 10000)
		gps_connect(t); /* gpsd may start after the camera */
	if (t->gps)
		gps_poll(t);
	if (t->fix) {
		lat = t->fix_lat;
		lon = t->fix_lon;
		speed = t->fix_speed;
		hdg = t->fix_track;
		out->flags |= PROTO_TM_F_GNSS;
	} else
		walk(t, secs * WALK_MS, &lat, &lon, &hdg);
	out->lat_e7 = (int32_t)lrint(lat * 1e7);
	out->lon_e7 = (int32_t)lrint(lon * 1e7);
	out->speed_cms = (uint16_t)(speed * 100 > 65535 ? 65535 : speed * 100);
	out->heading_cdeg = (uint16_t)((long)lrint(hdg * 100) % 36000);
	out->battery = (uint8_t)(secs / 60 < 99 ? 100 - (int)(secs / 60) : 1);
	out->signal = (uint8_t)(t->signal >= 0 ? t->signal : 75 + lrint(20 * sin(secs / 30)));
	out->accel_mg[0] = (int16_t)lrint(40 * sin(2 * M_PI * 1.0 * secs));
	out->accel_mg[1] = (int16_t)lrint(25 * cos(2 * M_PI * 1.0 * secs));
	out->accel_mg[2] = (int16_t)lrint(1000 + 120 * sin(2 * M_PI * 2.0 * secs));
}

void
cam_tele_close(cam_tele_t *t)
{
	if (t->gps) {
		gps_close(t->gps);
		free(t->gps);
	}
	free(t->pts);
	memset(t, 0, sizeof(*t));
}

int
cam_tele_send(struct cam *c, cam_tele_t *t, uint64_t now_ms, FILE *log, int *signal)
{
	proto_telemetry_t tm;
	uint8_t rec[PROTO_TELEMETRY_LEN];
	char line[256];
	int n;

	cam_tele_sample(t, now_ms, &tm);
	*signal = tm.signal;
	if ((n = proto_telemetry_encode(&tm, rec, sizeof(rec))) < 0)
		return -1;
	if (log) {
		proto_telemetry_fmt(&tm, line, sizeof(line));
		fprintf(log, "%s\n", line);
	}
	return cam_send_frame(c, PROTO_S_TELEMETRY, PROTO_C_TELEMETRY, 0, now_ms, rec, (size_t)n);
}

/*
 * NAME
 *	streamer_http.c - the player's files, the JSON API, /metrics
 *
 * DESCRIPTION
 *	GET  / and other paths           files of the player directory (no token:
 *	                                 the page must load to show the login)
 *	POST /api/login                  {"user","password"} -> {"token"};
 *	                                 hashed off the loop, 429 when tried
 *	                                 too often (streamer_login.c)
 *	GET  /api/cameras                the cameras the user may see
 *	GET  /api/cameras/UUID/days      the camera's stored days
 *	GET  /api/cameras/UUID/days/D    ranges, gaps, keyframes of a day
 *	GET  /metrics                    every stage's counters (Prometheus);
 *	                                 a token, or a loopback peer
 *
 *	Every /api request but login needs a valid token (401 without) and
 *	the user's permission for the camera (403). docs/PROTOCOL.md,
 *	"Streamer API", is the contract. Bodies are built whole and written
 *	at once (lws buffers what the socket does not take).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto_daystate.h"
#include "shm_status.h"
#include "streamer.h"
#include "streamer_route.h"

#define BODY_MAX (32u << 20)

/* The reply, whole; with retry_after > 0 a Retry-After header (seconds). */
static int
respond_retry(struct lws *wsi, unsigned status, const char *type, const char *body, size_t len,
	      unsigned retry_after)
{
	uint8_t hbuf[LWS_PRE + 1024], *start = hbuf + LWS_PRE, *p = start,
				      *end = hbuf + sizeof(hbuf);
	char ra[16];
	uint8_t *b;
	int ralen = snprintf(ra, sizeof(ra), "%u", retry_after);

	if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
	    lws_add_http_header_by_name(
		wsi, (const uint8_t *)"cache-control:", (const uint8_t *)"no-store", 8, &p, end) ||
	    (retry_after && lws_add_http_header_by_name(wsi, (const uint8_t *)"retry-after:",
							(const uint8_t *)ra, ralen, &p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (len) {
		if ((b = malloc(LWS_PRE + len)) == NULL)
			return -1;
		memcpy(b + LWS_PRE, body, len);
		int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
		free(b);
		if (n < 0)
			return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
respond(struct lws *wsi, unsigned status, const char *type, const char *body, size_t len)
{
	return respond_retry(wsi, status, type, body, len, 0);
}

static int
respond_json(struct lws *wsi, unsigned status, json_buf_t *b)
{
	int rc;

	if (b->err)
		rc = respond(wsi, 500, "application/json", "{\"error\":\"too large\"}", 21);
	else
		rc = respond(wsi, status, "application/json", b->p ? b->p : "", b->len);
	jb_free(b);
	return rc;
}

static int
error(struct lws *wsi, unsigned status, const char *msg)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", msg);

	return respond(wsi, status, "application/json", body, (size_t)n);
}

static const char *
codec_name(uint32_t codecs)
{
	if (codecs & (1u << PROTO_C_H264))
		return "\"h264\"";
	if (codecs & (1u << PROTO_C_H265))
		return "\"h265\"";
	if (codecs & (1u << PROTO_C_JPEG))
		return "\"jpeg\"";
	return "null";
}

static int
api_cameras(struct lws *wsi, const auth_user_t *u)
{
	static uint8_t cams[4096][16];
	uint64_t now = proto_now_ms();
	json_buf_t b;
	int n, i, k, first = 1;

	if ((n = idx_cameras(streamer.idx, cams, 4096)) < 0)
		return error(wsi, 503, "index busy");
	jb_init(&b, BODY_MAX);
	jb_printf(&b, "[");
	for (i = 0; i < n && i < 4096; i++) {
		uint32_t *dates;
		idx_day_info_t info, last = {0};
		idx_telemetry_t tele = {0};
		char us[37];
		if (!auth_user_may(u, cams[i]))
			continue;
		int nd = streamer_camera_days(cams[i], &dates);
		if (nd == -EAGAIN)
			goto busy;
		/* the newest 512 days, whatever their number */
		for (k = nd > 512 ? nd - 512 : 0; k < nd; k++) {
			int rc = idx_day_info(streamer.idx, cams[i], dates[k], &info);
			if (rc == -EAGAIN) {
				free(dates);
				goto busy; /* not "offline": the index is in mid-update */
			}
			if (rc < 0)
				continue;
			if (info.last_arrival_ms >= last.last_arrival_ms)
				last = info;
			if (info.tele.valid && info.tele.time_ms >= tele.time_ms)
				tele = info.tele;
		}
		free(dates);
		proto_uuid_fmt(cams[i], us);
		jb_printf(
		    &b, "%s{\"uuid\":\"%s\",\"name\":\"%.8s\",\"online\":%s,\"last_seen_ms\":%llu,",
		    first ? "" : ",", us, us, last.last_arrival_ms + 10000 > now ? "true" : "false",
		    (unsigned long long)last.last_arrival_ms);
		if (tele.valid)
			jb_printf(&b,
				  "\"battery\":%u,\"signal\":%u,\"lat\":%.7f,\"lon\":%.7f,"
				  "\"speed\":%.2f,\"heading\":%.2f,",
				  tele.battery, tele.signal, tele.lat_e7 / 1e7, tele.lon_e7 / 1e7,
				  tele.speed_cms / 100.0, tele.heading_cdeg / 100.0);
		else
			jb_printf(&b, "\"battery\":null,\"signal\":null,\"lat\":null,\"lon\":null,"
				      "\"speed\":null,\"heading\":null,");
		jb_printf(&b, "\"codec\":%s}", codec_name(last.codecs));
		first = 0;
	}
	jb_printf(&b, "]");
	return respond_json(wsi, 200, &b);
busy:
	jb_free(&b);
	return error(wsi, 503, "index busy");
}

static int
api_days(struct lws *wsi, const uint8_t uuid[16])
{
	uint32_t dates[4096];
	json_buf_t b;
	int n, i;

	if ((n = idx_camera_days(streamer.idx, uuid, dates, 4096)) < 0)
		return error(wsi, 503, "index busy");
	jb_init(&b, BODY_MAX);
	jb_printf(&b, "[");
	for (i = 0; i < n && i < 4096; i++) {
		char d[11];
		proto_date_fmt(dates[i], d);
		jb_printf(&b, "%s\"%s\"", i ? "," : "", d);
	}
	jb_printf(&b, "]");
	return respond_json(wsi, 200, &b);
}

static int
api_day(struct lws *wsi, const uint8_t uuid[16], uint32_t date)
{
	idx_range_t *rg = NULL;
	idx_point_t *kf = NULL;
	idx_day_info_t info;
	json_buf_t b;
	int n = 0, m = 0, i, tries;

	for (tries = 0; tries < 50; tries++) {
		if (idx_day_info(streamer.idx, uuid, date, &info) == -ENOENT)
			return error(wsi, 404, "no such day");
		n = idx_day_ranges(streamer.idx, uuid, date, NULL, 0);
		m = idx_day_keyframes(streamer.idx, uuid, date, NULL, 0);
		if (n < 0 || m < 0)
			continue;
		free(rg);
		free(kf);
		rg = calloc((size_t)n + 16, sizeof(*rg));
		kf = calloc((size_t)m + 16, sizeof(*kf));
		if (rg == NULL || kf == NULL)
			break;
		int n2 = idx_day_ranges(streamer.idx, uuid, date, rg, (size_t)n + 16);
		int m2 = idx_day_keyframes(streamer.idx, uuid, date, kf, (size_t)m + 16);
		if (n2 >= 0 && n2 <= n + 16 && m2 >= 0 && m2 <= m + 16 &&
		    idx_day_info(streamer.idx, uuid, date, &info) == 0) {
			n = n2;
			m = m2;
			break;
		}
	}
	if (tries == 50 || rg == NULL || kf == NULL) {
		free(rg);
		free(kf);
		return error(wsi, 503, "index busy");
	}
	uint64_t t0 = (uint64_t)date * 86400000;
	jb_init(&b, BODY_MAX);
	jb_printf(&b, "{\"ranges\":[");
	for (i = 0; i < n; i++)
		jb_printf(&b, "%s{\"first\":%u,\"last\":%u,\"start_ms\":%llu,\"end_ms\":%llu}",
			  i ? "," : "", rg[i].first, rg[i].last, (unsigned long long)rg[i].start_ms,
			  (unsigned long long)rg[i].end_ms);
	jb_printf(&b, "],\"gaps\":[");
	uint32_t want = 0;
	uint64_t prev_end = t0;
	int ng = 0;
	for (i = 0; i < n; i++) {
		if (rg[i].first > want)
			jb_printf(&b,
				  "%s{\"first\":%u,\"last\":%u,\"start_ms\":%llu,\"end_ms\":%llu}",
				  ng++ ? "," : "", want, rg[i].first - 1,
				  (unsigned long long)prev_end, (unsigned long long)rg[i].start_ms);
		want = rg[i].last + 1;
		prev_end = rg[i].end_ms;
	}
	jb_printf(&b, "],\"keyframes\":[");
	for (i = 0; i < m; i++)
		jb_printf(&b, "%s%lld", i ? "," : "", (long long)t0 + kf[i].t);
	int complete =
	    ng == 0 && n > 0 && (info.reported_next == 0 || info.high >= info.reported_next);
	/* syncd found the day damaged on the disk (docs/STORAGE.md, .sync): never complete */
	proto_daystate_t ds;
	int damaged = proto_daystate_read(streamer.data_dir, uuid, date, &ds) == 0 && ds.damaged;
	uint64_t damaged_at = damaged ? ds.damaged_at : 0;
	proto_daystate_free(&ds);
	jb_printf(&b, "],\"high\":%u,\"complete\":%s,\"damaged_at\":", info.high,
		  complete && !damaged ? "true" : "false");
	if (damaged)
		jb_printf(&b, "%llu}", (unsigned long long)damaged_at);
	else
		jb_printf(&b, "null}");
	free(rg);
	free(kf);
	return respond_json(wsi, 200, &b);
}

/* Append one stage instance's counters; -ENOENT when it has no segment. */
static int
render_stage(json_buf_t *b, const char *stage, uint32_t index)
{
	shm_seg_t ms;
	size_t need;
	char *t;

	if (shm_kind_attach(streamer.prefix, SHM_KIND_METRICS, stage, index, sizeof(shm_metrics_t),
			    &ms) < 0)
		return -ENOENT;
	need = shm_metrics_render(shm_seg_body(&ms), NULL, 0);
	if ((t = malloc(need + 1)) != NULL) {
		shm_metrics_render(shm_seg_body(&ms), t, need + 1);
		jb_printf(b, "%s", t);
		free(t);
	}
	shm_seg_detach(&ms);
	return 0;
}

static int
metrics(struct lws *wsi)
{
	shm_seg_t seg;
	json_buf_t b; /* plain text, built with the same bounded buffer */
	uint64_t used, size;
	uint32_t i;

	jb_init(&b, 1u << 20);
	if (shm_kind_attach(streamer.prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t),
			    &seg) == 0) {
		const shm_status_t *st = shm_seg_body(&seg);
		jb_printf(&b, "# TYPE vigil_stage_up gauge\n");
		for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++)
			jb_printf(&b, "vigil_stage_up{stage=\"%s\",index=\"%u\"} %d\n",
				  st->stage[i].name, st->stage[i].index, st->stage[i].pid > 0);
		for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++)
			render_stage(&b, st->stage[i].name, st->stage[i].index);
		/* the streamer's other workers have segments of their own */
		for (i = 1; i < 64 && render_stage(&b, "streamer", i) == 0; i++)
			;
		shm_seg_detach(&seg);
	}
	idx_arena_usage(streamer.idx, &used, &size);
	jb_printf(
	    &b,
	    "vigil_index_arena_bytes{state=\"used\"} %llu\nvigil_index_arena_bytes{state=\"size\"} %llu\n"
	    "vigil_index_ready %d\n",
	    (unsigned long long)used, (unsigned long long)size, idx_ready(streamer.idx));
	int rc = b.err ? error(wsi, 500, "too large")
		       : respond(wsi, 200, "text/plain; version=0.0.4", b.p ? b.p : "", b.len);
	jb_free(&b);
	return rc;
}

static int
loopback_peer(struct lws *wsi)
{
	char ip[64];

	lws_get_peer_simple(wsi, ip, sizeof(ip));
	return !strcmp(ip, "127.0.0.1") || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

static const char *
mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
	    {".html", "text/html"}, {".js", "text/javascript"},    {".mjs", "text/javascript"},
	    {".css", "text/css"},   {".json", "application/json"}, {".svg", "image/svg+xml"},
	    {".png", "image/png"},  {".ico", "image/x-icon"},      {".wasm", "application/wasm"},
	    {".txt", "text/plain"}, {".map", "application/json"},
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(dot, t[i].ext))
			return t[i].type;
	return "application/octet-stream";
}

static int
serve_file(struct lws *wsi, const char *path)
{
	char full[4096];
	int n;

	snprintf(full, sizeof(full), "%s%s", streamer.player_dir,
		 !strcmp(path, "/") ? "/index.html" : path);
	n = lws_serve_http_file(wsi, full, mime(full), NULL, 0);
	if (n < 0)
		return -1;
	if (n > 0 && lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int
route(struct lws *wsi, http_req_t *r)
{
	char token[AUTH_TOKEN_MAX + 1];
	const auth_user_t *u = NULL;
	uint8_t uuid[16];
	uint32_t date;
	route_t what = streamer_route(r->path, uuid, &date);

	if (what == ROUTE_LOGIN) {
		static const char slow[] = "{\"error\":\"too many attempts: retry later\"}";
		json_obj_t o;
		int wait;
		if (!r->post)
			return error(wsi, 405, "POST only");
		if (json_parse_obj(r->body, r->body_len, &o) < 0)
			return error(wsi, 400, "a JSON object with user and password");
		if ((wait = streamer_login_start(wsi, r, json_str(&o, "user"),
						 json_str(&o, "password"))) == 0)
			return 0; /* answered once hashed (HTTP_WRITEABLE) */
		streamer_count(streamer.m_limited, 1);
		return respond_retry(wsi, 429, "application/json", slow, sizeof(slow) - 1,
				     (unsigned)wait);
	}
	if (streamer_auth_token_of(wsi, token, sizeof(token)) == 0)
		u = streamer_auth_user(token);
	switch (what) {
	case ROUTE_METRICS:
		if (u == NULL && !loopback_peer(wsi))
			return error(wsi, 401, "token needed");
		return metrics(wsi);
	case ROUTE_FILE: return serve_file(wsi, r->path);
	case ROUTE_NOT_FOUND:
		if (strncmp(r->path, "/api/", 5))
			return error(wsi, 404, "not found");
		break;
	default: break;
	}
	if (u == NULL) {
		streamer_count(streamer.m_refused, 1);
		return error(wsi, 401, "token needed");
	}
	if (what == ROUTE_CAMERAS)
		return api_cameras(wsi, u);
	if (what == ROUTE_NOT_FOUND)
		return error(wsi, 404, "not found");
	if (!auth_user_may(u, uuid)) {
		streamer_count(streamer.m_refused, 1);
		return error(wsi, 403, "not allowed to see this camera");
	}
	if (what == ROUTE_DAYS)
		return api_days(wsi, uuid);
	return api_day(wsi, uuid, date);
}

int
streamer_http(struct lws *wsi, enum lws_callback_reasons reason, http_req_t *r, void *in,
	      size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		streamer_login_forget(r); /* a request before the last one's answer */
		memset(r, 0, sizeof(*r));
		snprintf(r->path, sizeof(r->path), "%s", (const char *)in);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
			r->post = 1;
			return 0; /* wait for the body */
		}
		return route(wsi, r);
	case LWS_CALLBACK_HTTP_BODY:
		if (r->body_len + len >= sizeof(r->body))
			return error(wsi, 413, "body too large") < 0 ? -1 : -1;
		memcpy(r->body + r->body_len, in, len);
		r->body_len += len;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: return route(wsi, r);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (r == NULL || !r->reply_ready)
			return 0;
		r->reply_ready = 0;
		return respond_retry(wsi, r->status, "application/json", r->reply, strlen(r->reply),
				     r->retry_after);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (r)
			streamer_login_forget(r);
		return lws_callback_http_dummy(wsi, reason, NULL, in, len);
	default: return lws_callback_http_dummy(wsi, reason, NULL, in, len);
	}
}

/*
 * NAME
 *	streamer_view.c - one viewer's stream: live, recorded, paced
 *
 * DESCRIPTION
 *	Each viewer has its own reader on the day file it watches, so a
 *	recorded stream that reaches the end of the newest file simply goes
 *	on as live with the same reader: the next record it sends is the
 *	one after the last it sent, with no duplicate and no hole
 *	(replay-merge); records of counters below that one further on in
 *	the file were sent already, in counter order, and are skipped.
 *	At the end of an older day it goes on with the camera's next day.
 *
 *	Live sends what the file holds from the latest keyframe, then each
 *	append as soon as inotify reports it, in file order. Recorded
 *	starts at the keyframe at or before the asked time (or counter),
 *	follows the counters (streamer_order.c; the file order until the
 *	index is ready, said in the state message) and paces by
 *	capture time: a datagram is due at anchor_wall + (capture -
 *	anchor_capture) / speed; a jump of more than 3 s in capture time
 *	(a gap in the recording) re-anchors instead of waiting it out.
 *	Speed, pause, resume and seek re-anchor on the same socket. A
 *	paused live stream resumes as recorded in counter order from the
 *	smallest counter stored after where it paused, passing over the
 *	records it sent live (the file from live_from to the pause), and
 *	becomes live again at the end; when the index and the file
 *	disagree, or the day's points do not fit in the worker's tables
 *	(-t), the file order from the record after the last one sent,
 *	without the counters below the one looked for (sent already), and
 *	the state message says "order":"file".
 *
 *	Only data datagrams are sent (kind 1), each preceded by the key of
 *	its frame (kind 2) the first time the frame appears. The viewer's
 *	token and its permission for the camera are checked for every
 *	live, play and seek, and again for every viewer of the worker when
 *	the users file changes and every second
 *	(streamer_view_recheck_all): a token no longer good (its user
 *	deleted, its password changed, its lifetime over) closes the
 *	socket with code 4001; a camera taken from the user's list stops
 *	that stream with an error. A user has at most user_streams (-s)
 *	streams open at once in the worker; one more is refused with an
 *	error.
 *
 *	Slow viewers: messages wait in a per-viewer queue bounded in bytes
 *	(-q) and count, and for a live viewer in age (1 s, so that live
 *	latency cannot creep). When a datagram does not fit, the queue is emptied,
 *	the viewer is told {"type":"skip","reason":"slow"}, and nothing is
 *	queued until the next video keyframe (the next frame start for a
 *	camera without video). Nothing else waits for a viewer: the reader
 *	is its own, the file is read-only, and the queue is its own memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_log.h"
#include "streamer.h"

#define GAP_REANCHOR_MS 3000
#define PUMP_BUDGET 512

static void pump(viewer_t *v);

static const char *mode_name[] = {"stopped", "live", "recorded", "paused"};
static viewer_t *viewers; /* every viewer of the worker */

static void
on_timer(lws_sorted_usec_list_t *sul)
{
	viewer_t *v = lws_container_of(sul, viewer_t, sul);

	if (v->mode == VIEW_LIVE || v->mode == VIEW_RECORDED)
		pump(v);
}

void
streamer_view_init(viewer_t *v, struct lws *wsi, const char *user, const char *token)
{
	memset(v, 0, sizeof(*v));
	v->wsi = wsi;
	v->wd = -1;
	v->speed = 1;
	snprintf(v->user, sizeof(v->user), "%s", user);
	snprintf(v->token, sizeof(v->token), "%s", token);
	if ((v->all_next = viewers) != NULL)
		viewers->all_prev = &v->all_next;
	v->all_prev = &viewers;
	viewers = v;
	streamer.viewers++;
	streamer_count(streamer.m_viewers, 1);
}

static void
q_clear(viewer_t *v)
{
	while (v->qhead != v->qtail)
		free(v->q[v->qhead++ % STREAMER_QMAX]);
	v->qbytes = 0;
}

static void
close_stream(viewer_t *v)
{
	lws_sul_cancel(&v->sul);
	streamer_watch_del(v);
	proto_reader_free(v->rd);
	v->rd = NULL;
	streamer_order_stop(v);
	v->ord.sent_on = 0;
	v->paused_live = 0;
	v->anchor_next = 0;
	v->has_held = 0;
	v->skipping = 0;
	memset(v->keyed, 0, sizeof(v->keyed));
}

void
streamer_view_close(viewer_t *v)
{
	close_stream(v);
	streamer_order_free(v);
	q_clear(v);
	if ((*v->all_prev = v->all_next) != NULL)
		v->all_next->all_prev = v->all_prev;
	streamer.viewers--;
}

static msg_t *
msg_new(const void *a, size_t alen, const void *b, size_t blen, int text)
{
	msg_t *m = malloc(sizeof(*m) + LWS_PRE + alen + blen);

	if (m == NULL)
		return NULL;
	m->len = alen + blen;
	m->text = text;
	m->t_us = streamer_now_us();
	memcpy(m->buf + LWS_PRE, a, alen);
	if (blen)
		memcpy(m->buf + LWS_PRE + alen, b, blen);
	return m;
}

/*
 * Room for n more messages of bytes in all? Live, a queue whose oldest
 * message waited more than STREAMER_LIVE_LAG_US has no room either: a
 * viewer a little slower than the camera would otherwise fall behind
 * the present by a whole queue before it skips.
 */
static int
q_room(const viewer_t *v, size_t bytes, uint32_t n)
{
	if (v->mode == VIEW_LIVE && v->qhead != v->qtail &&
	    streamer_now_us() - v->q[v->qhead % STREAMER_QMAX]->t_us > STREAMER_LIVE_LAG_US)
		return 0;
	return v->qtail - v->qhead + n <= STREAMER_QMAX &&
	       v->qbytes + bytes <= streamer.queue_bytes;
}

static void
q_push(viewer_t *v, msg_t *m)
{
	v->q[v->qtail++ % STREAMER_QMAX] = m;
	v->qbytes += m->len;
	lws_callback_on_writable(v->wsi);
}

static void
send_text(viewer_t *v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n >= sizeof(buf) || v->qtail - v->qhead >= STREAMER_QMAX)
		return; /* control messages are small and rare; never held back by the byte cap */
	msg_t *m = msg_new(buf, (size_t)n, NULL, 0, 1);
	if (m)
		q_push(v, m);
}

static void
send_state(viewer_t *v)
{
	char u[37];

	proto_uuid_fmt(v->uuid, u);
	send_text(v,
		  "{\"type\":\"state\",\"mode\":\"%s\",\"camera\":\"%s\",\"position_ms\":%llu,"
		  "\"speed\":%d,\"order\":\"%s\"}",
		  mode_name[v->mode], u, (unsigned long long)v->last_cap_ms, v->speed,
		  v->ord.on ? "counter" : "file");
}

static void
send_error(viewer_t *v, const char *what)
{
	send_text(v, "{\"type\":\"error\",\"message\":\"%s\"}", what);
}

static void
overflow(viewer_t *v)
{
	q_clear(v);
	memset(v->keyed, 0, sizeof(v->keyed));
	v->skipping = 1;
	v->skips++;
	streamer_count(streamer.m_skips, 1);
	send_text(v, "{\"type\":\"skip\",\"reason\":\"slow\"}");
}

/* Queue one stored datagram (with its frame key first, when new). */
static void
enqueue(viewer_t *v, const uint8_t *dg, size_t len)
{
	uint8_t key[STREAMER_FRAME_KEY_LEN], hdr[VIEW_DATAGRAM_HDR_LEN];
	proto_data_hdr_t h;
	int need_key, have_key = 0;

	if (proto_data_hdr_decode(dg, len, &h) < 0 || h.stream > 3)
		return;
	if (v->skipping) {
		int kf =
		    h.frag_index == 0 &&
		    (h.stream == PROTO_S_VIDEO ? (h.flags & PROTO_F_KEYFRAME) != 0 : !v->has_video);
		if (!kf)
			return;
		v->skipping = 0;
	}
	need_key = !v->keyed[h.stream].valid || v->keyed[h.stream].session != h.session ||
		   v->keyed[h.stream].frame != h.frame;
	if (need_key)
		have_key =
		    streamer_keys_frame(v->uuid, v->date, h.session, h.stream, h.frame, key) == 0;
	if (!q_room(v, len + 4 + (have_key ? sizeof(key) : 0), 2)) {
		overflow(v);
		return;
	}
	if (have_key) {
		msg_t *k = msg_new(key, sizeof(key), NULL, 0, 0);
		if (k == NULL)
			return;
		q_push(v, k);
		v->keyed[h.stream].valid = 1;
		v->keyed[h.stream].session = h.session;
		v->keyed[h.stream].frame = h.frame;
	}
	view_datagram_hdr(v->mode == VIEW_LIVE ? VIEW_F_LIVE : 0, hdr);
	msg_t *m = msg_new(hdr, 4, dg, len, 0);
	if (m == NULL)
		return;
	q_push(v, m);
	v->last_cap_ms = h.capture_ms;
}

static int
open_day(viewer_t *v, uint32_t date, uint64_t offset)
{
	char path[4096];
	idx_day_info_t info;
	proto_reader_t *rd;
	int rc;

	if ((rc = proto_file_path(streamer.data_dir, v->uuid, date, path, sizeof(path))) < 0 ||
	    (rc = proto_reader_open(path, &rd)) < 0)
		return rc;
	if (offset > PROTO_FILE_HDR_LEN)
		proto_reader_seek(rd, offset);
	close_stream(v);
	v->rd = rd;
	v->date = date;
	streamer_order_day(v);
	v->live_from = proto_reader_offset(rd);
	if (idx_day_info(streamer.idx, v->uuid, date, &info) == 0)
		v->has_video = (info.codecs & ((1u << PROTO_C_H264) | (1u << PROTO_C_H265) |
					       (1u << PROTO_C_JPEG))) != 0;
	streamer_watch_add(v);
	return 0;
}

/*
 * Recorded playback follows the counters from c (the reader is at its
 * record) once the index is ready; before, the file order, as live.
 */
static void
play_in_order(viewer_t *v, uint32_t c)
{
	if (idx_ready(streamer.idx))
		streamer_order_start(v, c);
}

/* The camera's first stored day after date, or 0. */
static uint32_t
next_day(const viewer_t *v, uint32_t date)
{
	uint32_t *dates, d = 0;
	int n = streamer_camera_days(v->uuid, &dates), i;

	for (i = 0; i < n; i++)
		if (dates[i] > date) {
			d = dates[i];
			break;
		}
	free(dates);
	return d;
}

static void
at_end(viewer_t *v)
{
	uint32_t d;

	if (v->mode != VIEW_RECORDED)
		return; /* live: wait for the next append */
	if ((d = next_day(v, v->date)) != 0) {
		if (open_day(v, d, 0) == 0) {
			play_in_order(v, 0);
			lws_sul_schedule(streamer.ctx, 0, &v->sul, on_timer, 1);
			return;
		}
	}
	/*
	 * The end of the newest day: the present. Go on as live, same
	 * reader, from the record after the last one sent; after counter
	 * order, the counters below the next one were sent (or passed as
	 * gaps): what the file holds of them further on is not sent again.
	 */
	if (v->ord.on) {
		uint32_t next = v->ord.next;
		streamer_order_stop(v);
		v->ord.floor_on = 1;
		v->ord.floor = next;
	}
	v->mode = VIEW_LIVE;
	v->live_from = proto_reader_offset(v->rd);
	send_state(v);
}

static void
pump(viewer_t *v)
{
	uint64_t now = streamer_now_us();
	proto_rec_t rec;
	uint32_t next;
	int budget, rc;

	for (budget = 0; budget < PUMP_BUDGET; budget++) {
		if (!v->has_held) {
			rc = v->ord.on ? streamer_order_next(v, &rec)
				       : proto_reader_next(v->rd, &rec);
			if ((rc == -EPROTO || rc == -ENOMEM) && v->ord.on) {
				/*
				 * The index and the file disagree, or the day's
				 * points do not fit under -t: the file order, and
				 * say so.
				 */
				log_warnx("counter order lost at offset %llu (%s): file order",
					  (unsigned long long)proto_reader_offset(v->rd),
					  rc == -EPROTO ? "the index disagrees"
							: "no room for the points");
				next = v->ord.next;
				streamer_order_stop(v);
				v->ord.floor_on = 1; /* the counters below were sent (or passed) */
				v->ord.floor = next;
				send_state(v);
				continue;
			}
			if (rc < 0) {
				send_error(v, "the day file cannot be read");
				close_stream(v);
				v->mode = VIEW_IDLE;
				return;
			}
			if (rc == 0) {
				at_end(v);
				return;
			}
			if (rec.len < PROTO_DATA_HDR_LEN ||
			    proto_dgram_type(rec.dgram) != PROTO_T_DATA)
				continue;
			if (v->ord.floor_on && proto_dgram_counter(rec.dgram) < v->ord.floor)
				continue;
			if (streamer_order_sent(v, rec.offset))
				continue; /* sent live before a pause */
			memcpy(v->held, rec.dgram, rec.len);
			v->held_len = rec.len;
			v->has_held = 1;
		}
		if (v->mode == VIEW_RECORDED) {
			uint64_t cap = proto_dgram_capture_ms(v->held), due;
			if (v->anchor_next ||
			    (v->last_cap_ms && cap > v->last_cap_ms + GAP_REANCHOR_MS)) {
				v->anchor_next = 0;
				v->base_wall_us = now;
				v->base_cap_ms = cap;
			}
			due = cap <= v->base_cap_ms
				  ? 0
				  : v->base_wall_us +
					(cap - v->base_cap_ms) * 1000 / (uint64_t)v->speed;
			if (due > now + 500) {
				lws_sul_schedule(streamer.ctx, 0, &v->sul, on_timer,
						 (lws_usec_t)(due - now));
				return;
			}
		}
		enqueue(v, v->held, v->held_len);
		v->has_held = 0;
	}
	lws_sul_schedule(streamer.ctx, 0, &v->sul, on_timer, 1); /* more next turn */
}

void
streamer_view_grew(viewer_t *v)
{
	if (v->mode == VIEW_LIVE && v->rd)
		pump(v);
}

void
streamer_view_tick(viewer_t *v)
{
	uint32_t d;

	if (v->mode != VIEW_LIVE || v->rd == NULL)
		return;
	pump(v);
	/*
	 * Midnight: the camera writes a new day; follow it once this one is
	 * read. The index is asked only once the clock passed the day.
	 */
	if (!v->has_held && proto_date_from_ms(proto_now_ms()) > v->date &&
	    (d = next_day(v, v->date)) != 0 && open_day(v, d, 0) == 0)
		pump(v);
}

/* The viewer's token names its user as the users file has it now. */
static const auth_user_t *
current_user(const viewer_t *v)
{
	const auth_user_t *u = streamer_auth_user(v->token);

	return u != NULL && !strcmp(u->name, v->user) ? u : NULL;
}

/* Close the socket (code 4001): its token is no longer good. */
static void
view_revoke(viewer_t *v)
{
	close_stream(v);
	q_clear(v);
	v->mode = VIEW_IDLE;
	if (v->close_code == 0) {
		v->close_code = 4001;
		streamer_count(streamer.m_revoked, 1);
	}
	lws_callback_on_writable(v->wsi);
}

/* May the viewer see camera uuid now? Else it is told (or closed) and -1. */
static int
may_see(viewer_t *v, const uint8_t uuid[16])
{
	const auth_user_t *u = current_user(v);

	if (u == NULL) {
		streamer_count(streamer.m_refused, 1);
		view_revoke(v);
		return -1;
	}
	if (!auth_user_may(u, uuid)) {
		send_error(v, "not allowed to see this camera");
		streamer_count(streamer.m_refused, 1);
		return -1;
	}
	return 0;
}

/* Parse "camera" and check the viewer may see it and open one more stream. */
static int
camera_arg(viewer_t *v, const json_obj_t *o, uint8_t uuid[16])
{
	const char *c = json_str(o, "camera");
	const viewer_t *w;
	int n = 0;

	if (c == NULL || proto_uuid_parse(c, uuid) < 0) {
		send_error(v, "camera: a camera UUID is needed");
		return -1;
	}
	/* the permission is read again for every stream opened: a revoked viewer stops here */
	if (may_see(v, uuid) < 0)
		return -1;
	if (v->mode != VIEW_IDLE)
		return 0; /* the stream it has goes elsewhere: not one more */
	for (w = viewers; w; w = w->all_next)
		if (w != v && w->mode != VIEW_IDLE && !strcmp(w->user, v->user))
			n++;
	if (n >= streamer.user_streams) {
		send_error(v, "too many streams open for this user");
		streamer_count(streamer.m_refused, 1);
		return -1;
	}
	return 0;
}

void
streamer_view_recheck_all(void)
{
	viewer_t *v;

	for (v = viewers; v; v = v->all_next) {
		const auth_user_t *u;
		if (v->close_code)
			continue;
		if ((u = current_user(v)) == NULL) {
			view_revoke(v);
		} else if (v->mode != VIEW_IDLE && !auth_user_may(u, v->uuid)) {
			close_stream(v);
			q_clear(v);
			v->mode = VIEW_IDLE;
			streamer_count(streamer.m_revoked, 1);
			send_error(v, "not allowed to see this camera");
			send_state(v);
		}
	}
}

static void
start_live(viewer_t *v, const uint8_t uuid[16])
{
	uint32_t *dates, date;
	idx_day_info_t info;
	idx_point_t kf;
	uint64_t off;
	int n;

	memcpy(v->uuid, uuid, 16);
	if ((n = streamer_camera_days(uuid, &dates)) <= 0) {
		send_error(v, "nothing stored for this camera");
		return;
	}
	date = dates[n - 1]; /* the newest */
	free(dates);
	if (idx_day_keyframe_at(streamer.idx, uuid, date, proto_now_ms() + 86400000, &kf) == 0)
		off = kf.offset;
	else
		off = idx_day_info(streamer.idx, uuid, date, &info) == 0 ? info.indexed_to : 0;
	if (open_day(v, date, off) < 0) {
		send_error(v, "the day file cannot be opened");
		return;
	}
	v->mode = VIEW_LIVE;
	v->last_cap_ms = 0;
	streamer_audit(v->user, "live", uuid, date, proto_now_ms());
	send_state(v);
	pump(v);
}

static void
start_play(viewer_t *v, const uint8_t uuid[16], uint32_t date, int by_counter, uint64_t from)
{
	idx_point_t kf;
	int rc;

	memcpy(v->uuid, uuid, 16);
	rc = by_counter ? idx_day_keyframe_counter(streamer.idx, uuid, date, (uint32_t)from, &kf)
			: idx_day_keyframe_at(streamer.idx, uuid, date, from, &kf);
	if (rc == -ENOENT && (rc = idx_day_seek_counter(streamer.idx, uuid, date,
							by_counter ? (uint32_t)from : 0, &kf)) == 0)
		kf.t = by_counter ? kf.t : (int32_t)(from - (uint64_t)date * 86400000);
	if (rc < 0 || open_day(v, date, kf.offset) < 0) {
		send_error(v, "nothing stored for this camera and day");
		return;
	}
	play_in_order(v, kf.counter);
	v->mode = VIEW_RECORDED;
	v->base_wall_us = streamer_now_us();
	v->base_cap_ms = (uint64_t)((int64_t)date * 86400000 + kf.t);
	v->last_cap_ms = 0;
	streamer_audit(v->user, by_counter ? "play-counter" : "play", uuid, date, from);
	send_state(v);
	pump(v);
}

static void
reanchor(viewer_t *v)
{
	v->base_wall_us = streamer_now_us();
	v->base_cap_ms = v->has_held ? proto_dgram_capture_ms(v->held) : v->last_cap_ms;
}

/*
 * Resume a paused live stream as recorded playback in counter order, from
 * the smallest counter stored after what was sent live, passing over
 * what was sent; with nothing stored since the pause, live at once.
 * While the index is not ready, in file order from where it paused.
 */
static void
resume_live(viewer_t *v)
{
	int rc = streamer_order_resume(v, v->live_from, proto_reader_offset(v->rd));

	v->paused_live = 0;
	v->mode = rc == 0 ? VIEW_LIVE : VIEW_RECORDED;
	if (rc > 0)
		v->anchor_next = 1; /* paced from the first datagram it sends */
	else if (rc < 0)
		reanchor(v);
	send_state(v);
	pump(v);
}

void
streamer_view_command(viewer_t *v, const char *text, size_t len)
{
	uint8_t uuid[16];
	const char *op, *ds;
	json_obj_t o;
	uint32_t date;
	double x;

	if (v->close_code)
		return; /* closing: its token is no longer good */
	if (json_parse_obj(text, len, &o) < 0 || (op = json_str(&o, "op")) == NULL) {
		send_error(v, "a command is a JSON object with an op");
		return;
	}
	if (!strcmp(op, "live")) {
		if (camera_arg(v, &o, uuid) == 0)
			start_live(v, uuid);
	} else if (!strcmp(op, "play")) {
		if (camera_arg(v, &o, uuid) < 0)
			return;
		if (json_num(&o, "from_counter", &x) == 0 && x >= 0 && x < 4294967296.0) {
			if ((ds = json_str(&o, "date")) == NULL ||
			    proto_date_parse(ds, &date) < 0) {
				send_error(v, "play: date YYYY-MM-DD is needed with from_counter");
				return;
			}
			start_play(v, uuid, date, 1, (uint64_t)x);
		} else if (json_num(&o, "from_ms", &x) == 0 && x >= 0 && x < 1e15) {
			date = proto_date_from_ms((uint64_t)x);
			if ((ds = json_str(&o, "date")) != NULL &&
			    proto_date_parse(ds, &date) < 0) {
				send_error(v, "play: bad date");
				return;
			}
			start_play(v, uuid, date, 0, (uint64_t)x);
		} else {
			send_error(v, "play: from_ms or from_counter is needed");
		}
	} else if (!strcmp(op, "seek")) {
		if (v->mode == VIEW_IDLE) {
			send_error(v, "seek: nothing is playing");
		} else if (json_num(&o, "from_ms", &x) < 0 || x < 0 || x >= 1e15) {
			send_error(v, "seek: from_ms is needed");
		} else if (may_see(v, v->uuid) == 0) {
			memcpy(uuid, v->uuid, 16);
			start_play(v, uuid, proto_date_from_ms((uint64_t)x), 0, (uint64_t)x);
		}
	} else if (!strcmp(op, "speed")) {
		if (json_num(&o, "x", &x) < 0 || (x != 1 && x != 2 && x != 4)) {
			send_error(v, "speed: x is 1, 2 or 4");
			return;
		}
		v->speed = (int)x;
		reanchor(v);
		send_state(v);
		if (v->mode == VIEW_RECORDED)
			pump(v);
	} else if (!strcmp(op, "pause")) {
		if (v->mode == VIEW_LIVE || v->mode == VIEW_RECORDED) {
			lws_sul_cancel(&v->sul);
			v->paused_live = v->mode == VIEW_LIVE;
			v->mode = VIEW_PAUSED;
		}
		send_state(v);
	} else if (!strcmp(op, "resume")) {
		if (v->mode == VIEW_PAUSED && v->paused_live)
			resume_live(v);
		else if (v->mode == VIEW_PAUSED) {
			v->mode = VIEW_RECORDED;
			reanchor(v);
			send_state(v);
			pump(v);
		} else {
			send_state(v);
		}
	} else if (!strcmp(op, "stop")) {
		close_stream(v);
		q_clear(v);
		v->mode = VIEW_IDLE;
		send_state(v);
	} else {
		send_error(v, "unknown op");
	}
}

int
streamer_view_writeable(viewer_t *v)
{
	int n;

	if (v->close_code) {
		static const char why[] = "token expired or revoked";
		lws_close_reason(v->wsi, (enum lws_close_status)v->close_code, (unsigned char *)why,
				 sizeof(why) - 1);
		return -1;
	}
	for (n = 0; n < 64 && v->qhead != v->qtail; n++) {
		msg_t *m = v->q[v->qhead % STREAMER_QMAX];
		if (lws_write(v->wsi, m->buf + LWS_PRE, m->len,
			      m->text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY) < (int)m->len)
			return -1;
		v->qhead++;
		v->qbytes -= m->len;
		if (!m->text) {
			v->sent++;
			streamer_count(streamer.m_sent, 1);
		}
		free(m);
		if (lws_send_pipe_choked(v->wsi))
			break;
	}
	if (v->qhead != v->qtail)
		lws_callback_on_writable(v->wsi);
	return 0;
}

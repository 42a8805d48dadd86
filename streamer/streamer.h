/*
 * NAME
 *	streamer.h - vigil-streamer: player, JSON API and WebSocket streams
 *
 * DESCRIPTION
 *	One libwebsockets event loop per worker process; workers share the
 *	port with SO_REUSEPORT and share nothing else but read-only things
 *	(the index segment, the day files, the users file, the token key).
 *	streamer_main.c sets up; streamer_serve.c runs the workers and their
 *	loops; streamer_state.c holds what the files of a worker share (its
 *	state, clock and counters); streamer_http.c serves
 *	files, the API and /metrics; streamer_login.c checks passwords off
 *	the loop, streamer_limit.c bounds how often they may be tried;
 *	streamer_json.c parses the small JSON
 *	commands; streamer_auth.c checks tokens and permissions and writes
 *	the audit log; streamer_view.c is one viewer's stream (live,
 *	recorded, paced, slow-viewer skips); streamer_order.c walks a day
 *	file in counter order for recorded playback; streamer_keys.c derives
 *	frame keys; streamer_watch.c learns of appends to watched files
 *	(inotify).
 *	docs/PROTOCOL.md, "Streamer API", is the contract with the player.
 */
#ifndef VIGIL_STREAMER_H
#define VIGIL_STREAMER_H

#include <stdint.h>

#include <libwebsockets.h>
#include <openssl/evp.h>

#include "auth.h"
#include "idx.h"
#include "proto.h"
#include "proto_crypto.h"
#include "proto_record.h"
#include "shm_metrics.h"
#include "view.h"

#define STREAMER_FRAME_KEY_LEN VIEW_FRAME_KEY_LEN
#define STREAMER_QMAX 2048 /* messages queued per viewer, at most */
#define STREAMER_TABLE_BYTES                                                                       \
	((size_t)256 << 20) /* point tables per worker, at most (-t): dozens of full days */
#define STREAMER_INDEX_PATIENCE_MS 50 /* idx_set_patience: a preempted indexer, not a dead one */
#define STREAMER_SNDBUF (128 * 1024)  /* kernel send buffer per connection */
#define STREAMER_LIVE_LAG_US 1000000  /* a live viewer further behind than this skips */

/* --- streamer_json.c --------------------------------------------------- */

#define JSON_MAX_FIELDS 16
#define JSON_STR_MAX 256

typedef struct json_field {
	char key[32];
	int type; /* 's' string, 'n' number, 'b' boolean, 'z' null */
	char str[JSON_STR_MAX];
	double num;
} json_field_t;

typedef struct json_obj {
	int n;
	json_field_t f[JSON_MAX_FIELDS];
} json_obj_t;

/* A flat JSON object (no nesting) of at most 16 fields: 0 or -EINVAL. */
int json_parse_obj(const char *s, size_t len, json_obj_t *out);
const char *json_str(const json_obj_t *o, const char *key);
int json_num(const json_obj_t *o, const char *key, double *out);

/* An output buffer that grows (bounded); appends are no-ops once it failed. */
typedef struct json_buf {
	char *p;
	size_t len, cap, max;
	int err;
} json_buf_t;

void jb_init(json_buf_t *b, size_t max);
void jb_free(json_buf_t *b);
void jb_printf(json_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(json_buf_t *b, const char *s); /* a quoted, escaped JSON string */

/* --- streamer_auth.c --------------------------------------------------- */

/*
 * The token of a request ("Authorization: Bearer T", else ?token=T) into
 * out; 0 or -ENOENT. Headers are readable only until a WebSocket is
 * established, so a viewer keeps its token.
 */
int streamer_auth_token_of(struct lws *wsi, char *out, size_t cap);
/*
 * The user a token names, NULL unless the token is valid now for that
 * user as the users file has it (not deleted, same password, within
 * the token lifetime). Valid until the users file is read again.
 */
const auth_user_t *streamer_auth_user(const char *token);
/* A copy of the record of user name into out: 0, or -ENOENT. */
int streamer_auth_record(const char *name, auth_user_t *out);
/* A token for user name, as the users file has it now: 0, -EACCES. */
int streamer_auth_issue(const char *name, char *out, size_t cap);
void streamer_audit(const char *user, const char *what, const uint8_t uuid[16], uint32_t date,
		    uint64_t from_ms);

/* --- streamer_limit.c ---------------------------------------------------- */

/*
 * May source (an address) try a password for user now (monotonic us)?
 * 0: yes, and the attempt counts against both until it succeeds; else
 * the seconds to wait (Retry-After).
 */
unsigned streamer_limit_admit(const char *source, const char *user, uint64_t now);
/* The attempt of source for user succeeded: both start afresh. */
void streamer_limit_success(const char *source, const char *user, uint64_t now);

/* --- streamer_keys.c ---------------------------------------------------- */

/* The 68-byte FRAME_KEY message for a frame; 0 or -errno (no hello, no key). */
int streamer_keys_frame(const uint8_t uuid[16], uint32_t date, uint32_t session, uint8_t stream,
			uint32_t frame, uint8_t out[STREAMER_FRAME_KEY_LEN]);

/* --- streamer_view.c ---------------------------------------------------- */

typedef struct viewer viewer_t;
typedef struct order_table order_table_t; /* a day's points by counter (streamer_order.c) */

typedef struct msg {
	size_t len;
	int text;
	uint64_t t_us; /* when it was queued */
	uint8_t buf[]; /* LWS_PRE bytes, then the message */
} msg_t;

enum { VIEW_IDLE, VIEW_LIVE, VIEW_RECORDED, VIEW_PAUSED };

struct viewer {
	struct lws *wsi;
	char user[AUTH_NAME_MAX + 1];
	char token[AUTH_TOKEN_MAX + 1];
	int mode;
	uint8_t uuid[16];
	uint32_t date;
	proto_reader_t *rd;
	int speed;
	uint64_t base_wall_us, base_cap_ms; /* pacing anchor */
	uint64_t last_cap_ms;               /* capture time of the last datagram queued */
	uint8_t held[PROTO_MAX_DGRAM];      /* read, not yet due */
	uint16_t held_len;
	int has_held;
	int skipping;       /* dropping until the next keyframe */
	int has_video;      /* the day holds video: skips end at a keyframe */
	int paused_live;    /* paused from live: resume follows the counters */
	int anchor_next;    /* pacing starts at the next datagram's capture time */
	uint64_t live_from; /* live since this offset of the day file */
	struct {
		uint32_t session, frame;
		int valid;
	} keyed[4];
	msg_t *q[STREAMER_QMAX];
	uint32_t qhead, qtail;
	size_t qbytes;
	lws_sorted_usec_list_t sul;
	struct view_order {
		int on;                    /* recorded in counter order (streamer_order.c) */
		uint32_t next;             /* the counter to send next */
		int floor_on;              /* live after counter order: */
		uint32_t floor;            /* ... counters below were sent */
		int sent_on;               /* resumed after a live pause: the records */
		uint64_t sent_lo, sent_hi; /* ... at offsets [lo, hi) were sent live */
		order_table_t *tab;        /* the points of its day, shared; NULL none */
	} ord;
	viewer_t *watch_next;           /* viewers of the same watched file */
	viewer_t *all_next, **all_prev; /* every viewer of the worker */
	int close_code;                 /* closing: the WebSocket close code */
	int wd;                         /* inotify watch, -1 none */
	uint64_t sent, skips;
};

void streamer_view_init(viewer_t *v, struct lws *wsi, const char *user, const char *token);
void streamer_view_close(viewer_t *v);
/* A text command from the viewer's socket. */
void streamer_view_command(viewer_t *v, const char *text, size_t len);
/* The socket can take more: write queued messages. -1 to close. */
int streamer_view_writeable(viewer_t *v);
/* The viewer's file grew (inotify or the safety poll). */
void streamer_view_grew(viewer_t *v);
/* The safety poll: pump, and move a live viewer to a newer day file. */
void streamer_view_tick(viewer_t *v);
/*
 * Check every viewer's token and permission again (the users file
 * changed, or a second passed): a viewer whose token is no longer good
 * is closed (4001), a stream of a camera no longer allowed is stopped.
 */
void streamer_view_recheck_all(void);

/* --- streamer_order.c ---------------------------------------------------- */

/* Play v's file in counter order from counter c; the reader is at its record. */
void streamer_order_start(viewer_t *v, uint32_t c);
/*
 * Resume a paused live stream in counter order: the records of v's day
 * file at offsets [lo, hi) were sent live, and the reader is at hi. It
 * starts at the smallest counter stored at or after hi (not below the
 * floor of a live stream that followed recorded playback) and passes
 * over the records sent live. 1 when started, 0 when nothing is stored
 * at or after hi, -EAGAIN while the index is not ready, or an error.
 */
int streamer_order_resume(viewer_t *v, uint64_t lo, uint64_t hi);
/* The record at offset off was sent live before a pause: not again. */
int streamer_order_sent(const viewer_t *v, uint64_t off);
/* Back to file order. The table stays for the next play of the same day. */
void streamer_order_stop(viewer_t *v);
/* v opened another day (v->uuid, v->date): the table of the one before goes. */
void streamer_order_day(viewer_t *v);
/* Let go of the table (the viewer leaves): freed with its last viewer. */
void streamer_order_free(viewer_t *v);
/*
 * The next record in counter order: 1 and *rec (valid until the next
 * read), 0 when no stored counter follows (the reader is then just after
 * the last record returned), -EPROTO when the index and the file
 * disagree, or a reader error.
 */
int streamer_order_next(viewer_t *v, proto_rec_t *rec);

/* --- streamer_watch.c ---------------------------------------------------- */

int streamer_watch_init(struct lws_vhost *vh);
/* Follow v's file (its uuid and date); replaces a previous watch. */
void streamer_watch_add(viewer_t *v);
void streamer_watch_del(viewer_t *v);
/* inotify fd readable: tell the viewers of each file that grew. */
void streamer_watch_events(void);
/* Every live viewer, for the safety poll. */
void streamer_watch_poll(void);
/* Watch the users file too: a change rechecks every viewer at once. */
int streamer_watch_users(const char *path);

/* --- streamer_http.c ---------------------------------------------------- */

typedef struct login_job login_job_t;

typedef struct http_req {
	char path[256];
	char body[4096];
	size_t body_len;
	int post;
	login_job_t *job; /* a login being hashed (streamer_login.c) */
	int reply_ready;  /* reply, status, retry_after: written when writable */
	unsigned status, retry_after;
	char reply[AUTH_TOKEN_MAX + 64];
} http_req_t;

int streamer_http(struct lws *wsi, enum lws_callback_reasons reason, http_req_t *r, void *in,
		  size_t len);

/* --- streamer_login.c ---------------------------------------------------- */

/* Start the worker's hashing threads (after the fork): 0 or -errno. */
int streamer_login_init(void);
void streamer_login_stop(void);
/*
 * A login on wsi: 0 when queued (the reply comes in r once hashed, then
 * the connection's writable callback), or the seconds to wait when the
 * attempt is refused unchecked (429).
 */
int streamer_login_start(struct lws *wsi, http_req_t *r, const char *user, const char *password);
/* The connection of r closed: its job, if any, is dropped when done. */
void streamer_login_forget(http_req_t *r);
/* On the loop, when woken: the replies of the finished jobs. */
void streamer_login_done(void);

/* --- streamer_serve.c ----------------------------------------------------- */

typedef struct streamer_listen {
	char host[1024]; /* the interface's address or name; "" any */
	int port;
	const char *cert, *key; /* TLS only when set (both) */
} streamer_listen_t;

/*
 * Fork workers-1 more workers and be the first: returns the exit status
 * (0 after SIGTERM, 1 when a worker died or the loop failed).
 */
int streamer_serve_run(const streamer_listen_t *l, int workers);
/* For stage_signals_init: wakes the loop (async-signal-safe). */
void streamer_serve_wake(void);

/* --- streamer_state.c: shared state of one worker ------------------------ */

typedef struct streamer {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	idx_t *idx;
	const char *data_dir, *player_dir, *users_path, *audit_path, *prefix;
	EVP_PKEY *server_key;
	uint8_t token_key[AUTH_KEY_LEN];
	size_t queue_bytes; /* per viewer */
	size_t table_bytes; /* point tables of the worker, at most (-t) */
	int audit_fd;
	uint64_t token_life_s; /* -T */
	int user_streams;      /* -s */
	uint64_t *m_viewers, *m_sent, *m_skips, *m_logins, *m_refused;
	uint64_t *m_limited, *m_revoked;
	uint64_t *m_table_bytes, *m_tables, *m_table_viewers; /* gauges: point tables held now */
	int viewers;
} streamer_t;

extern streamer_t streamer;

uint64_t streamer_now_us(void);
/*
 * Every stored day of a camera, ascending, into *out (the caller's to
 * free; NULL when none): how many, or -errno (-EAGAIN: index busy).
 */
int streamer_camera_days(const uint8_t uuid[16], uint32_t **out);
void streamer_count(uint64_t *c, uint64_t n);
void streamer_gauge(uint64_t *g, uint64_t value);

#endif

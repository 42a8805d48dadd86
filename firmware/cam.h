/*
 * NAME
 *	cam.h - vigil-cam, the camera program: shared types
 *
 * DESCRIPTION
 *	cam_conf.c reads camera.conf, cam_state.c keeps the per-day counter
 *	so that no counter is ever reused, cam_send.c opens sessions and
 *	sends frames, cam_run.c runs the capture loop, cam_main.c reads
 *	the command line.
 */
#ifndef VIGIL_CAM_H
#define VIGIL_CAM_H

#include <netinet/in.h>
#include <stdint.h>

#include "proto_crypto.h"

typedef struct cam_conf {
	uint8_t uuid[PROTO_UUID_LEN];
	char server[256];      /* HOST:PORT */
	char camera_key[4096]; /* paths, made absolute against the conf's folder */
	char server_key[4096];
	char state[4096];
} cam_conf_t;

int cam_conf_load(const char *path, cam_conf_t *c);

/*
 * The counter of the current UTC day: reserved in fsynced blocks, exact
 * across clean restarts, never reused after a crash (cam_state.c).
 */
typedef struct cam_state {
	int fd;
	uint32_t date;
	uint32_t next;
	uint32_t reserved; /* counters below this are reserved on disk */
	int lost;          /* the file was missing or garbled at start */
} cam_state_t;

int cam_state_open(cam_state_t *s, const char *path, uint32_t today);
/* Next counter of date `today` (a new day starts at 0). -1 on I/O error. */
int64_t cam_state_take(cam_state_t *s, uint32_t today);
/* Never use a counter below next (of the current date); 1 when it moved. */
int cam_state_raise(cam_state_t *s, uint32_t next);
void cam_state_close(cam_state_t *s);

/* An earlier session, known by its s2c key alone (cam_past.c). */
#define CAM_PAST_MAX 8

typedef struct cam_past {
	uint32_t date, session;
	proto_session_t *s; /* NULL: an empty slot */
} cam_past_t;

/* The hello cookie (cam_cookie.c): the hellos sent lately, and the cookie. */
#define CAM_COOKIE_SENT 8

typedef struct cam_cookie {
	struct {
		uint8_t id[PROTO_HELLO_ID_LEN];
		uint32_t date, session;
		uint64_t ms;          /* last sent (monotonic); 0: an empty slot */
		uint64_t answered_ms; /* last resent for a COOKIE */
	} sent[CAM_COOKIE_SENT];
	uint32_t issued; /* the trailer: the cookie's issued time and MAC */
	uint8_t mac[PROTO_COOKIE_MAC_LEN];
	uint64_t got_ms; /* when the cookie came (monotonic); 0: none */
	uint64_t accepted, dropped;
} cam_cookie_t;

typedef struct cam {
	cam_conf_t conf;
	cam_state_t state;
	EVP_PKEY *key, *server_pub;
	int fd;
	struct sockaddr_storage server;
	socklen_t server_len;
	proto_session_t *session;
	uint32_t session_date;
	uint32_t frame[3];              /* next frame number per stream in this session */
	uint8_t hello[PROTO_MAX_DGRAM]; /* the session's hello, resent until acknowledged */
	size_t hello_len;
	uint64_t hello_ms; /* when it was last sent (monotonic) */
	int acked;         /* the server acknowledged this session */
	/* a HELLO_ACK said the hello's counter may be reused: a new session opens first */
	int reopen;
	cam_past_t past[CAM_PAST_MAX]; /* the last sessions, the current one included */
	int past_fd;                   /* their file, "<state>.s2c" */
	cam_cookie_t cookie;
	struct cam_sync *sync; /* the store and its answers (cam_sync.c); NULL: none */
	proto_rr_t last_rr;    /* the newest receiver report ... */
	int rr_fresh;          /* ... not yet acted on */
	/* counters */
	uint64_t sent, sent_bytes, acks, missing, rr, hello_resent;
	uint64_t s2c_earlier; /* server messages sealed for an earlier session, opened */
	uint64_t reopened;    /* sessions reopened at the server's next counter */
} cam_t;

/* How long a camera that lost its counter state waits for its first HELLO_ACK (ms). */
#define CAM_HOLD_MS 3000

/*
 * A filter on the live send path (cam_send.c). before: a datagram about
 * to go out, already kept in the store as sealed, counted in c->sent;
 * it may change the bytes that go out. after: the same datagram once
 * it went out whole (sent 1) or was lost (sent 0). vigil-cam sets no
 * filter; the camera's test build (tests/tools/vigil_cam_test.c) sets
 * one that misbehaves on purpose, before the camera starts.
 */
typedef struct cam_filter {
	void (*before)(cam_t *c, uint8_t *dg, size_t len);
	void (*after)(cam_t *c, const uint8_t *dg, size_t len, int sent);
} cam_filter_t;

extern const cam_filter_t *cam_send_filter; /* NULL: none */

/*
 * The s2c keys of the last sessions (cam_past.c), so that a server message
 * sealed for an earlier session is opened too. open: load them from
 * "<state>.s2c" (-1 when the file cannot be opened); keep: a new session,
 * made durable before its hello is sent (-1 on failure); find: the
 * session (current or earlier) of (date, session), or NULL.
 */
int cam_past_open(cam_t *c);
void cam_past_close(cam_t *c);
int cam_past_keep(cam_t *c, const proto_session_t *s);
proto_session_t *cam_past_find(cam_t *c, uint32_t date, uint32_t session);

/*
 * The hello cookie (cam_cookie.c). send: send a signed hello, with the
 * cookie's trailer while it is fresh; 0 when sent whole. take: 1 when
 * the datagram is a COOKIE (kept, and its hello sent again, or dropped
 * and counted), 0 when it is something else.
 */
int cam_cookie_send(cam_t *c, const uint8_t *dg, size_t len);
int cam_cookie_take(cam_t *c, const uint8_t *dg, size_t len);

int cam_connect(cam_t *c);
int cam_hello(cam_t *c, uint64_t now_ms);
/* Seal and send one frame, split into fragments over consecutive counters. */
int cam_send_frame(cam_t *c, uint8_t stream, uint8_t codec, int keyframe, uint64_t capture_ms,
		   const uint8_t *frame, size_t len);
int cam_send_report(cam_t *c);
int cam_send_bye(cam_t *c, uint32_t reason);
/* Read and print what the server sent; never blocks. */
void cam_poll_replies(cam_t *c);
/* Resend the session's hello (byte for byte) if unacknowledged for 1 s (now_ms: monotonic). */
void cam_hello_retry(cam_t *c, uint64_t now_ms);

#endif

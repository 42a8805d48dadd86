/*
 * NAME
 *	syncd_loop.c - vigil-syncd's loop: reports in, requests out
 *
 * DESCRIPTION
 *	Consumes the listener's reports from <prefix>-sync-in, a batch at
 *	a time, and every 50 ms looks at each followed (camera, day)
 *	(syncd_cam.c, syncd_day.c), which queue MISSING and CONFIRM
 *	requests on <prefix>-sync-out for the listener to seal and send.
 *	Once a second the per-camera metrics are published in the text
 *	segment. Reports are released from the ring once handled. Idle, it
 *	waits on the ring for at most a tick.
 *
 *	Two clocks: the wall clock (proto_now_ms) for what is stored or
 *	shown as a date (report, completion and arrival times), and the
 *	monotonic clock (proto_mono_ms) for every timer (ticks, settling,
 *	retries, confirmations, state writes, idleness, the token
 *	buckets), so that a step of the wall clock neither stalls nor
 *	bunches them.
 */
#include <string.h>

#include "stage.h"
#include "syncd.h"

#define BATCH 64
#define TICK_MS 50
#define RENDER_MS 1000

int
syncd_send(syncd_t *d, const uint8_t uuid[PROTO_UUID_LEN], uint8_t type, const proto_missing_t *m)
{
	uint8_t msg[SHM_MSG_MAX];
	shm_msg_meta_t meta = {0};
	proto_sync_req_t q;
	int n;

	q.type = type;
	memcpy(q.uuid, uuid, PROTO_UUID_LEN);
	q.m = *m;
	if ((n = proto_sync_req_encode(&q, msg, sizeof(msg))) < 0)
		return -1;
	if (shm_ring_enqueue_spsc(d->out, &meta, msg, (size_t)n) < 0) {
		syncd_count(d->m_out_full, 1);
		return -1;
	}
	return 0;
}

static int
reports(syncd_t *d, uint64_t now, uint64_t mono)
{
	const shm_slot_t *slot;
	proto_sync_report_t r;
	int n = 0;

	while (n < BATCH && (slot = shm_ring_peek_spsc(d->in)) != NULL) {
		if (slot->meta.len <= SHM_MSG_MAX &&
		    proto_sync_report_decode(slot->data, slot->meta.len, &r) == 0) {
			syncd_cam_report(d, &r, now, mono);
			syncd_count(d->m_reports, 1);
		} else {
			syncd_count(d->m_bad, 1);
		}
		shm_ring_release_spsc(d->in, 1);
		n++;
	}
	return n;
}

void
syncd_loop_run(syncd_t *d, shm_text_t *txt)
{
	static char text[SHM_TEXT_MAX];
	uint64_t last_tick = 0, last_render = 0;

	d->tokens_ms = proto_mono_ms();
	while (!stage_stop_requested()) {
		uint64_t now = proto_now_ms(), mono = proto_mono_ms();
		int n = reports(d, now, mono);
		if (mono >= last_tick + TICK_MS) {
			last_tick = mono;
			syncd_cam_tick(d, now, mono);
		}
		if (txt && mono >= last_render + RENDER_MS) {
			last_render = mono;
			size_t len = syncd_cam_render(d, text, sizeof(text));
			shm_text_publish(txt, text, len < sizeof(text) ? len : 0);
		}
		if (n == 0)
			shm_ring_wait_spsc(d->in, TICK_MS);
	}
}

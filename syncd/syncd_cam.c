/*
 * NAME
 *	syncd_cam.c - cameras: their reports, backfill budget and health
 *
 * DESCRIPTION
 *	A bounded table of cameras (open addressing on the UUID), each with
 *	the days it reported that are still followed. A report's oldest
 *	held counters count only when the report is the camera's newest
 *	(by date and counter): a report resent from the camera's store is
 *	old news. A day not reported for a minute, and finished, is closed
 *	(a minute of the monotonic clock: a step of the wall clock closes
 *	nothing early, nor keeps a day open).
 *
 *	Backfill budget: two token buckets, one per camera (rate datagrams
 *	a second) and one for all cameras (rate_all), each holding at most
 *	half a second's worth, so that backfill arrives as a steady trickle
 *	beside live video instead of bursts that would queue it.
 *
 *	Health metrics per camera, in Prometheus text: counters asked for
 *	and backfilled, lost, MISSING and CONFIRM sent, the last and mean
 *	backfill latency, the last report's age, days complete; battery and
 *	signal from the camera's last telemetry record, as the indexer
 *	decrypted it into the shared index (absent without an indexer).
 */
#include <stdio.h>
#include <string.h>

#include "idx.h"
#include "syncd.h"

#define DAY_IDLE_MS 60000

static size_t
home(const uint8_t uuid[PROTO_UUID_LEN])
{
	uint32_t h;

	memcpy(&h, uuid, sizeof(h));
	return h & (SYNCD_MAX_CAMERAS - 1);
}

syncd_cam_t *
syncd_cam_get(syncd_t *d, const uint8_t uuid[PROTO_UUID_LEN])
{
	size_t i = home(uuid), n;

	for (n = 0; n < SYNCD_MAX_CAMERAS * 3 / 4; n++, i = (i + 1) & (SYNCD_MAX_CAMERAS - 1)) {
		syncd_cam_t *c = &d->cam[i];
		if (!c->used) {
			c->used = 1;
			memcpy(c->uuid, uuid, PROTO_UUID_LEN);
			proto_uuid_fmt(uuid, c->name);
			return c;
		}
		if (memcmp(c->uuid, uuid, PROTO_UUID_LEN) == 0)
			return c;
	}
	return NULL;
}

static syncd_day_t *
day_get(syncd_t *d, syncd_cam_t *c, uint32_t date)
{
	syncd_day_t *free_day = NULL, *oldest = NULL;
	int i;

	for (i = 0; i < SYNCD_MAX_DAYS; i++) {
		syncd_day_t *day = &c->day[i];
		if (day->used && day->date == date)
			return day;
		if (!day->used && free_day == NULL)
			free_day = day;
		if (day->used && (oldest == NULL || day->last_report_ms < oldest->last_report_ms))
			oldest = day;
	}
	if (free_day == NULL) {
		syncd_day_close(d, oldest); /* its state is on disk; a later report reopens it */
		free_day = oldest;
	}
	memset(free_day, 0, sizeof(*free_day));
	free_day->used = 1;
	free_day->date = date;
	free_day->cam = c;
	free_day->rto_ms = d->o.rto_ms;
	/* what an earlier run of syncd learnt */
	proto_daystate_read(d->o.datadir, c->uuid, date, &free_day->st);
	free_day->st.lost = 0; /* recounted from the file */
	return free_day;
}

void
syncd_cam_report(syncd_t *d, const proto_sync_report_t *r, uint64_t now, uint64_t mono)
{
	syncd_cam_t *c = syncd_cam_get(d, r->uuid);
	int newest, i;

	if (c == NULL)
		return;
	newest =
	    r->date > c->last_date || (r->date == c->last_date && r->counter >= c->last_counter);
	c->reports++;
	if (!newest)
		return; /* resent from the camera's store: old news */
	c->last_date = r->date;
	c->last_counter = r->counter;
	c->last_report_ms = mono;
	for (i = 0; i < r->r.n; i++) {
		syncd_day_t *day = day_get(d, c, r->r.day[i].date);
		int k;
		for (k = 0; k < i && r->r.day[k].date != r->r.day[i].date; k++)
			;
		if (k < i) {
			/* a day listed again: counters oldest_held..next-1 were never used */
			if (proto_ranges_add(&day->st.voids, r->r.day[i].oldest_held,
					     r->r.day[i].next_counter) == 0)
				day->state_dirty = 1;
			continue;
		}
		syncd_day_report(d, day, &r->r.day[i], now, mono);
	}
}

static uint32_t
take(double *tokens, uint64_t *last, double rate, uint32_t want, uint64_t mono)
{
	double cap = rate / 2 + 1;

	*tokens += (double)(mono - *last) * rate / 1000.0;
	*last = mono;
	if (*tokens > cap)
		*tokens = cap;
	if (*tokens < 1)
		return 0;
	return want < *tokens ? want : (uint32_t)*tokens;
}

uint32_t
syncd_cam_budget(syncd_t *d, syncd_cam_t *c, uint32_t want, uint64_t mono)
{
	uint32_t n;

	n = take(&c->tokens, &c->tokens_ms, d->o.rate, want, mono);
	n = take(&d->tokens_all, &d->tokens_ms, d->o.rate_all, n, mono);
	c->tokens -= n;
	d->tokens_all -= n;
	return n;
}

void
syncd_cam_tick(syncd_t *d, uint64_t now, uint64_t mono)
{
	int i, k;

	for (i = 0; i < SYNCD_MAX_CAMERAS; i++) {
		syncd_cam_t *c = &d->cam[i];
		if (!c->used)
			continue;
		for (k = 0; k < SYNCD_MAX_DAYS; k++) {
			syncd_day_t *day = &c->day[k];
			if (!day->used)
				continue;
			syncd_day_tick(d, day, now, mono);
			if (mono > day->last_report_ms + DAY_IDLE_MS &&
			    (day->st.complete_ms || mono > c->last_report_ms + DAY_IDLE_MS))
				syncd_day_close(d, day);
		}
	}
}

void
syncd_cam_close_all(syncd_t *d)
{
	int i, k;

	for (i = 0; i < SYNCD_MAX_CAMERAS; i++)
		for (k = 0; k < SYNCD_MAX_DAYS; k++)
			if (d->cam[i].day[k].used)
				syncd_day_close(d, &d->cam[i].day[k]);
}

size_t
syncd_cam_render(const syncd_t *d, char *buf, size_t cap)
{
	uint64_t now = proto_now_ms(), mono = proto_mono_ms();
	size_t len = 0;
	int i, k;

#define OUT(...)                                                                                   \
	do {                                                                                       \
		k = snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__);                   \
		if (k > 0)                                                                         \
			len += (size_t)k;                                                          \
	} while (0)
	OUT("# TYPE vigil_camera_missing_asked_total counter\n"
	    "# TYPE vigil_camera_backfilled_total counter\n"
	    "# TYPE vigil_camera_lost_total counter\n"
	    "# TYPE vigil_camera_missing_sent_total counter\n"
	    "# TYPE vigil_camera_confirm_sent_total counter\n"
	    "# TYPE vigil_camera_backfill_latency_ms gauge\n"
	    "# TYPE vigil_camera_backfill_latency_ms_mean gauge\n"
	    "# TYPE vigil_camera_last_report_age_ms gauge\n"
	    "# TYPE vigil_camera_missing_now gauge\n"
	    "# TYPE vigil_camera_days_complete_total counter\n"
	    "# TYPE vigil_camera_battery_percent gauge\n"
	    "# TYPE vigil_camera_signal_percent gauge\n"
	    "# TYPE vigil_camera_telemetry_age_ms gauge\n");
	for (i = 0; i < SYNCD_MAX_CAMERAS; i++) {
		const syncd_cam_t *c = &d->cam[i];
		uint64_t missing = 0;
		if (!c->used)
			continue;
		for (int j = 0; j < SYNCD_MAX_DAYS; j++)
			if (c->day[j].used && c->day[j].st.high)
				missing +=
				    c->day[j].st.high - proto_ranges_count(&c->day[j].scan.present,
									   0, c->day[j].st.high);
#define L "{camera=\"%s\"}"
		OUT("vigil_camera_missing_asked_total" L " %llu\n", c->name,
		    (unsigned long long)c->asked);
		OUT("vigil_camera_backfilled_total" L " %llu\n", c->name,
		    (unsigned long long)c->backfilled);
		OUT("vigil_camera_lost_total" L " %llu\n", c->name, (unsigned long long)c->lost);
		OUT("vigil_camera_missing_sent_total" L " %llu\n", c->name,
		    (unsigned long long)c->missing_sent);
		OUT("vigil_camera_confirm_sent_total" L " %llu\n", c->name,
		    (unsigned long long)c->confirm_sent);
		OUT("vigil_camera_backfill_latency_ms" L " %llu\n", c->name,
		    (unsigned long long)c->latency_last_ms);
		OUT("vigil_camera_backfill_latency_ms_mean" L " %llu\n", c->name,
		    (unsigned long long)(c->latency_n ? c->latency_ms_sum / c->latency_n : 0));
		OUT("vigil_camera_last_report_age_ms" L " %llu\n", c->name,
		    (unsigned long long)(mono - c->last_report_ms));
		OUT("vigil_camera_missing_now" L " %llu\n", c->name, (unsigned long long)missing);
		OUT("vigil_camera_days_complete_total" L " %llu\n", c->name,
		    (unsigned long long)c->days_complete);
		idx_day_info_t info;
		if (d->idx && idx_day_info(d->idx, c->uuid, c->last_date, &info) == 0 &&
		    info.tele.valid) {
			OUT("vigil_camera_battery_percent" L " %u\n", c->name, info.tele.battery);
			OUT("vigil_camera_signal_percent" L " %u\n", c->name, info.tele.signal);
			OUT("vigil_camera_telemetry_age_ms" L " %llu\n", c->name,
			    (unsigned long long)(now > info.tele.time_ms ? now - info.tele.time_ms
									 : 0));
		}
#undef L
	}
#undef OUT
	return len;
}

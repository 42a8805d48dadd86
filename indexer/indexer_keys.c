/*
 * NAME
 *	indexer_keys.c - sessions of stored hellos: telemetry and reports
 *
 * DESCRIPTION
 *	With the server's private key (-d KEYDIR), the indexer unwraps the
 *	session secret of each stored hello (the listener verified its
 *	signature before the writer stored it) and keeps the last few
 *	sessions of each file. With them it opens telemetry datagrams (the
 *	last record of the day goes into the index, for the camera list)
 *	and reports (the camera's next counter per day, which says whether
 *	a day is complete). Nothing here is on the write path, and nothing
 *	decrypted leaves the process except those figures.
 */
#include <string.h>

#include "indexer.h"

static proto_session_t *
session_of(indexer_file_t *f, uint32_t id)
{
	int i;

	for (i = 0; i < f->nsess; i++)
		if (f->sess[i].id == id)
			return f->sess[i].s;
	return NULL;
}

void
indexer_keys_hello(indexer_t *ix, indexer_file_t *f, const uint8_t *dg, size_t len)
{
	uint8_t secret[PROTO_SECRET_LEN];
	proto_session_t *s;
	proto_hello_t h;
	int i;

	if (ix->server_key == NULL || proto_hello_decode(dg, len, &h) < 0 ||
	    session_of(f, h.counter) != NULL || proto_hello_unwrap(&h, ix->server_key, secret) < 0)
		return;
	s = proto_session_new(h.uuid, h.date, h.counter, secret);
	memset(secret, 0, sizeof(secret));
	if (s == NULL)
		return;
	if (f->nsess == INDEXER_SESSIONS) { /* forget the oldest */
		proto_session_free(f->sess[0].s);
		for (i = 1; i < INDEXER_SESSIONS; i++)
			f->sess[i - 1] = f->sess[i];
		f->nsess--;
	}
	f->sess[f->nsess].id = h.counter;
	f->sess[f->nsess].s = s;
	f->nsess++;
}

void
indexer_keys_data(indexer_t *ix, indexer_file_t *f, const proto_data_hdr_t *h, const uint8_t *dg,
		  size_t len)
{
	uint8_t plain[PROTO_DATA_MAX_PAYLOAD];
	proto_session_t *s = session_of(f, h->session);
	proto_data_hdr_t oh;
	proto_telemetry_t pt;
	idx_telemetry_t t;
	int n;

	(void)ix;
	if (s == NULL || h->frag_count != 1 || h->codec != PROTO_C_TELEMETRY)
		return;
	if ((n = proto_data_open(s, dg, len, &oh, plain)) < 0 ||
	    proto_telemetry_decode(plain, (size_t)n, &pt) < 0)
		return;
	memset(&t, 0, sizeof(t));
	t.time_ms = pt.time_ms;
	t.lat_e7 = pt.lat_e7;
	t.lon_e7 = pt.lon_e7;
	t.speed_cms = pt.speed_cms;
	t.heading_cdeg = pt.heading_cdeg;
	t.battery = pt.battery;
	t.signal = pt.signal;
	t.valid = 1;
	idx_day_set_telemetry(f->day, &t);
}

void
indexer_keys_report(indexer_t *ix, indexer_file_t *f, const uint8_t *dg, size_t len)
{
	uint8_t body[PROTO_MAX_DGRAM];
	proto_session_t *s = session_of(f, proto_dgram_session(dg));
	proto_c2s_hdr_t h;
	proto_report_t r;
	int n, i;

	if (s == NULL || (n = proto_c2s_open(s, dg, len, &h, body, sizeof(body))) < 0 ||
	    proto_report_decode(body, (size_t)n, &r) < 0)
		return;
	for (i = 0; i < r.n; i++) {
		/* only this file's day: other days are under their own sequence locks */
		if (r.day[i].date == f->date)
			idx_day_set_reported(f->day, r.day[i].next_counter);
	}
	(void)ix;
}

void
indexer_keys_free(indexer_file_t *f)
{
	int i;

	for (i = 0; i < f->nsess; i++)
		proto_session_free(f->sess[i].s);
	f->nsess = 0;
}

/*
 * NAME
 *	listener_window.c - drop a replayed datagram before any crypto
 *
 * DESCRIPTION
 *	Each camera has a bitmap of the LISTENER_WINDOW counters below the
 *	highest counter of its newest date that the listener has handed to
 *	a writer's ring (after its tag verified). A data, report or bye
 *	datagram whose counter is marked there is a copy of one already on
 *	its way to disk: it is dropped and counted (`replay_data`) with no
 *	key derivation, no GCM and no ring slot. Without the window every
 *	replayed datagram of an earlier frame cost a frame key derivation
 *	(and made the next live datagram derive its key again), went
 *	through a ring and was dropped only by the writer's duplicate
 *	check: a million replays at 50,000/s cost good cameras datagrams
 *	(bench_attack). Only what reached a ring is marked, so a datagram
 *	the network or a full ring lost is never taken for a replay when
 *	the camera sends it again; what is older than the window, or of an
 *	earlier date, goes the whole way and the writer keeps it once. With
 *	transport = nats nothing is marked (a publish is only known stored
 *	later). A listener restart forgets the windows; the writer's check
 *	stays.
 *
 *	A copy older than the window, or of an earlier date, or any
 *	datagram while the camera's window is still empty (a restarted
 *	listener), is looked up
 *	in the indexer's shared index (libindex, read without locks) when
 *	an indexer runs and has its index ready: a counter the index holds
 *	is on disk, so the copy is dropped the same way. What the index
 *	does not hold (a datagram fetched back by syncd, or one the
 *	indexer has not read yet) goes on to the writer, whose check keeps
 *	a datagram once.
 */
#include <string.h>

#include "idx.h"
#include "listener.h"

#define BIT(c) (1ull << ((c) % 64))
#define WORD(ls, c) ((ls)->win[((c) / 64) % (LISTENER_WINDOW / 64)])

int
listener_window_seen(const listener_sess_t *ls, uint32_t date, uint32_t counter)
{
	if (date != ls->win_date || counter >= ls->win_top ||
	    ls->win_top - counter > LISTENER_WINDOW)
		return 0;
	return (WORD(ls, counter) & BIT(counter)) != 0;
}

void
listener_window_mark(listener_sess_t *ls, uint32_t date, uint32_t counter)
{
	uint32_t c;

	if (date < ls->win_date || counter == UINT32_MAX)
		return; /* an earlier day's datagram: the writer's check alone */
	if (date > ls->win_date) {
		memset(ls->win, 0, sizeof(ls->win));
		ls->win_date = date;
		ls->win_top = 0;
	}
	if (counter >= ls->win_top) {
		/* the window slides: forget what falls out, counters win_top .. counter */
		if ((uint64_t)counter - ls->win_top >= LISTENER_WINDOW)
			memset(ls->win, 0, sizeof(ls->win));
		else
			for (c = ls->win_top; c != counter + 1; c++)
				WORD(ls, c) &= ~BIT(c);
		ls->win_top = counter + 1;
	} else if (ls->win_top - counter > LISTENER_WINDOW) {
		return; /* older than the window */
	}
	WORD(ls, counter) |= BIT(counter);
}

struct idx *
listener_window_idx(listener_t *l, uint64_t now_ms)
{
	if (l->idx == NULL) {
		if (now_ms < l->idx_try_ms + 1000 || l->prefix == NULL)
			return NULL;
		l->idx_try_ms = now_ms;
		if (idx_attach(l->prefix, &l->idx) < 0)
			l->idx = NULL; /* no indexer (yet): the writer's check alone */
	}
	return l->idx;
}

int
listener_window_stored(listener_t *l, const listener_sess_t *ls, uint32_t date, uint32_t counter,
		       uint64_t now_ms)
{
	/*
	 * The window's own stretch, or newer: not asked (the index lags the
	 * writer, and a new counter cannot be stored yet). An empty window
	 * (a restarted listener) knows nothing: the index is asked.
	 */
	if (ls->win_top != 0 &&
	    (date > ls->win_date ||
	     (date == ls->win_date && (uint64_t)counter + LISTENER_WINDOW >= ls->win_top)))
		return 0;
	if (listener_window_idx(l, now_ms) == NULL)
		return 0;
	return idx_ready(l->idx) && idx_day_has(l->idx, ls->uuid, date, counter) == 1;
}

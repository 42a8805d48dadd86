/*
 * NAME
 *	writer_ranges.c - the set of counters a day file holds
 *
 * DESCRIPTION
 *	Sorted disjoint [lo, hi) ranges. Counters mostly arrive in order, so
 *	a day with no loss is one range; each gap the network leaves adds
 *	one, and backfill merges them again. Memory is proportional to the
 *	gaps, not to the datagrams.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

/* Index of the first range with hi >= c (c is in it, just after it, or before it). */
static uint32_t
find(const writer_ranges_t *s, uint32_t c)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (s->r[mid].hi < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
writer_ranges_has(const writer_ranges_t *s, uint32_t c)
{
	uint32_t i = find(s, c);

	return i < s->n && s->r[i].lo <= c && c < s->r[i].hi;
}

int
writer_ranges_add(writer_ranges_t *s, uint32_t c)
{
	uint32_t i = find(s, c);

	if (c == UINT32_MAX)
		return -EINVAL;
	if (i < s->n && s->r[i].lo <= c && c < s->r[i].hi)
		return 0;
	if (i < s->n && s->r[i].hi == c) { /* extends range i upwards */
		s->r[i].hi = c + 1;
		if (i + 1 < s->n && s->r[i + 1].lo == c + 1) { /* and closes a gap */
			s->r[i].hi = s->r[i + 1].hi;
			memmove(&s->r[i + 1], &s->r[i + 2], (s->n - i - 2) * sizeof(s->r[0]));
			s->n--;
		}
		return 0;
	}
	if (i < s->n && s->r[i].lo == c + 1) { /* extends range i downwards */
		s->r[i].lo = c;
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		void *p = realloc(s->r, cap * sizeof(s->r[0]));
		if (p == NULL)
			return -ENOMEM;
		s->r = p;
		s->cap = cap;
	}
	memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
	s->r[i].lo = c;
	s->r[i].hi = c + 1;
	s->n++;
	return 0;
}

void
writer_ranges_free(writer_ranges_t *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

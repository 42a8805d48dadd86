/*
 * NAME
 *	ranges.c - sorted sets of disjoint counter ranges
 *
 * DESCRIPTION
 *	See proto_ranges.h. The spans are kept sorted by lo in one array;
 *	a binary search finds where a counter joins or goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_ranges.h"

/* Index of the first span with hi >= c (where c would join or go). */
static uint32_t
find(const proto_ranges_t *s, uint32_t c)
{
	uint32_t a = 0, b = s->n;

	while (a < b) {
		uint32_t m = (a + b) / 2;
		if (s->r[m].hi < c)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

int
proto_ranges_add(proto_ranges_t *s, uint32_t lo, uint32_t hi)
{
	uint32_t i, j;

	if (lo >= hi)
		return 0;
	i = find(s, lo);
	/* spans i..j-1 touch or overlap [lo, hi) */
	for (j = i; j < s->n && s->r[j].lo <= hi; j++)
		;
	if (j > i) {
		if (s->r[i].lo < lo)
			lo = s->r[i].lo;
		if (s->r[j - 1].hi > hi)
			hi = s->r[j - 1].hi;
		s->r[i].lo = lo;
		s->r[i].hi = hi;
		memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(s->r[0]));
		s->n -= j - i - 1;
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->r, cap * sizeof(s->r[0]));
		if (p == NULL)
			return -ENOMEM;
		s->r = p;
		s->cap = cap;
	}
	memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
	s->r[i].lo = lo;
	s->r[i].hi = hi;
	s->n++;
	return 0;
}

int
proto_ranges_has(const proto_ranges_t *s, uint32_t c)
{
	uint32_t i = find(s, c + 1 == 0 ? c : c + 1);

	/* the span that could hold c has hi >= c + 1 */
	return i < s->n && s->r[i].lo <= c && c < s->r[i].hi;
}

uint64_t
proto_ranges_count(const proto_ranges_t *s, uint32_t lo, uint32_t hi)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = find(s, lo); i < s->n && s->r[i].lo < hi; i++) {
		uint32_t a = s->r[i].lo > lo ? s->r[i].lo : lo;
		uint32_t b = s->r[i].hi < hi ? s->r[i].hi : hi;
		if (b > a)
			n += b - a;
	}
	return n;
}

int
proto_ranges_gap(const proto_ranges_t *s, uint32_t from, uint32_t hi, uint32_t *glo, uint32_t *ghi)
{
	uint32_t i;

	for (i = find(s, from); from < hi; i++) {
		if (i >= s->n || s->r[i].lo > from) {
			*glo = from;
			*ghi = i < s->n && s->r[i].lo < hi ? s->r[i].lo : hi;
			return 0;
		}
		if (s->r[i].hi > from)
			from = s->r[i].hi;
	}
	return -ENOENT;
}

void
proto_ranges_free(proto_ranges_t *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/*
 * NAME
 *	proto_ranges.h - sorted sets of disjoint counter ranges
 *
 * DESCRIPTION
 *	proto_ranges_t is a sorted set of disjoint counter ranges [lo, hi),
 *	zeroed to start empty. The set owns its array; proto_ranges_free()
 *	releases it and leaves the set empty.
 */
#ifndef VIGIL_PROTO_RANGES_H
#define VIGIL_PROTO_RANGES_H

#include <stdint.h>

typedef struct proto_ranges {
	struct proto_span {
		uint32_t lo, hi; /* [lo, hi) */
	} * r;
	uint32_t n, cap;
} proto_ranges_t;

int proto_ranges_add(proto_ranges_t *s, uint32_t lo, uint32_t hi); /* 0 or -ENOMEM */
int proto_ranges_has(const proto_ranges_t *s, uint32_t c);
/* Counters of [lo, hi) in the set. */
uint64_t proto_ranges_count(const proto_ranges_t *s, uint32_t lo, uint32_t hi);
/*
 * The first gap of [from, hi): *glo, *ghi; 0 when found, -ENOENT when
 * [from, hi) is covered.
 */
int proto_ranges_gap(const proto_ranges_t *s, uint32_t from, uint32_t hi, uint32_t *glo,
		     uint32_t *ghi);
void proto_ranges_free(proto_ranges_t *s);

#endif

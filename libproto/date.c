/*
 * NAME
 *	date.c - UTC dates as days since 1970-01-01
 *
 * DESCRIPTION
 *	Dates on the wire are days since 1970-01-01 (UTC), converted here
 *	to and from yyyy-mm-dd with the proleptic Gregorian calendar (no
 *	time zone, no leap seconds, no libc locale).
 */
#include <stdint.h>

#include "proto.h"

/* Days from civil date, after H. Hinnant's algorithm. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

uint32_t
proto_date_from_ms(uint64_t unix_ms)
{
	return (uint32_t)(unix_ms / 86400000ull);
}

void
proto_date_fmt(uint32_t date, char out[11])
{
	int y;
	unsigned m, d;

	civil_from_days(date, &y, &m, &d);
	y %= 10000;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10 % 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10 % 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

int
proto_date_parse(const char *s, uint32_t *date)
{
	unsigned y, m, d;
	int i;

	/* Exactly ten bytes "dddd-dd-dd": sscanf's %u would also take signs and spaces. */
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			goto bad;
	if (s[10] != '\0')
		goto bad;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		goto bad;
	int64_t days = days_from_civil(y, m, d);
	int yy;
	unsigned mm, dd;
	civil_from_days(days, &yy, &mm, &dd);
	if (mm != m || dd != d) /* 2026-02-30 */
		goto bad;
	*date = (uint32_t)days;
	return 0;
bad:
	proto_set_errmsg("not a date (yyyy-mm-dd): \"%.20s\"", s);
	return PROTO_E_FIELD;
}

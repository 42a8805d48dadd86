/*
 * NAME
 *	telemetry.c - the telemetry record (codec 4)
 *
 * DESCRIPTION
 *	A camera sends its position, speed, heading, battery, signal and
 *	accelerometer as one 32-byte big-endian record per telemetry frame
 *	(docs/PROTOCOL.md, "Telemetry payload"). The first 24 bytes are the
 *	record of the first cameras, which had no accelerometer; decode
 *	takes both lengths. Values out of range (latitude beyond ±90°,
 *	longitude beyond ±180°, heading of 360° or more, percentages over
 *	100, unknown flag bits, reserved bytes not zero) are PROTO_E_FIELD.
 */
#include <stdio.h>

#include "proto.h"

static int
in_range(const proto_telemetry_t *t)
{
	return t->lat_e7 >= -900000000 && t->lat_e7 <= 900000000 && t->lon_e7 >= -1800000000 &&
	       t->lon_e7 <= 1800000000 && t->heading_cdeg < 36000 && t->battery <= 100 &&
	       t->signal <= 100 && !(t->flags & ~PROTO_TM_F_MASK);
}

int
proto_telemetry_encode(const proto_telemetry_t *t, uint8_t *b, size_t cap)
{
	int i;

	if (cap < PROTO_TELEMETRY_LEN)
		return PROTO_E_SHORT;
	if (!in_range(t))
		return PROTO_E_FIELD;
	proto_put64(b, t->time_ms);
	proto_put32(b + 8, (uint32_t)t->lat_e7);
	proto_put32(b + 12, (uint32_t)t->lon_e7);
	proto_put16(b + 16, t->speed_cms);
	proto_put16(b + 18, t->heading_cdeg);
	b[20] = t->battery;
	b[21] = t->signal;
	b[22] = t->flags;
	b[23] = 0;
	for (i = 0; i < 3; i++)
		proto_put16(b + 24 + 2 * i, (uint16_t)t->accel_mg[i]);
	b[30] = b[31] = 0;
	return PROTO_TELEMETRY_LEN;
}

int
proto_telemetry_decode(const uint8_t *b, size_t len, proto_telemetry_t *t)
{
	int i;

	if (len < PROTO_TELEMETRY_LEN_V0)
		return PROTO_E_SHORT;
	if (len != PROTO_TELEMETRY_LEN_V0 && len != PROTO_TELEMETRY_LEN)
		return PROTO_E_LENGTH;
	t->time_ms = proto_get64(b);
	t->lat_e7 = (int32_t)proto_get32(b + 8);
	t->lon_e7 = (int32_t)proto_get32(b + 12);
	t->speed_cms = proto_get16(b + 16);
	t->heading_cdeg = proto_get16(b + 18);
	t->battery = b[20];
	t->signal = b[21];
	t->flags = b[22];
	for (i = 0; i < 3; i++)
		t->accel_mg[i] =
		    len == PROTO_TELEMETRY_LEN ? (int16_t)proto_get16(b + 24 + 2 * i) : 0;
	if (b[23] || (len == PROTO_TELEMETRY_LEN && (b[30] || b[31])) || !in_range(t))
		return PROTO_E_FIELD;
	return 0;
}

int
proto_telemetry_fmt(const proto_telemetry_t *t, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"time_ms=%llu lat_e7=%d lon_e7=%d speed_cms=%u heading_cdeg=%u "
			"battery=%u signal=%u flags=%u accel_mg=%d,%d,%d",
			(unsigned long long)t->time_ms, t->lat_e7, t->lon_e7, t->speed_cms,
			t->heading_cdeg, t->battery, t->signal, t->flags, t->accel_mg[0],
			t->accel_mg[1], t->accel_mg[2]);
}

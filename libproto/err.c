/*
 * NAME
 *	err.c - libproto error names and the per-thread error context
 *
 * DESCRIPTION
 *	Errors are negative: a proto_err (PROTO_E_*, -1001 and below) for
 *	what the protocol or a format refuses, -errno for what the system
 *	refused. proto_strerror() names both; proto_errmsg() is the last
 *	context string set by a libproto call on this thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

static __thread char proto_errbuf[256];
static __thread char proto_errname[32]; /* a code neither list knows */

const char *
proto_strerror(int err)
{
	switch (err) {
	case PROTO_OK: return "ok";
	case PROTO_E_SHORT: return "datagram too short";
	case PROTO_E_MAGIC: return "bad magic";
	case PROTO_E_VERSION: return "unsupported protocol version";
	case PROTO_E_TYPE: return "unknown or unexpected message type";
	case PROTO_E_OVERSIZE: return "oversized datagram or field";
	case PROTO_E_LENGTH: return "length mismatch";
	case PROTO_E_FIELD: return "field out of range";
	case PROTO_E_TAG: return "authentication tag mismatch";
	case PROTO_E_SIGNATURE: return "signature verification failed";
	case PROTO_E_UNWRAP: return "session secret unwrap failed";
	case PROTO_E_REPLAY: return "replayed hello";
	case PROTO_E_STALE: return "hello time older than the window";
	case PROTO_E_CAMERA: return "unknown or mismatched camera";
	case PROTO_E_REVOKED: return "camera revoked";
	case PROTO_E_NOMEM: return "out of memory";
	case PROTO_E_CRYPTO: return "crypto library failure";
	case PROTO_E_IO: return "I/O error";
	case PROTO_E_CRC: return "checksum mismatch";
	case PROTO_E_TORN: return "torn record";
	case PROTO_E_FULL: return "table full";
	case PROTO_E_DATE: return "hello date is not the day of its time";
	case PROTO_E_FUTURE: return "hello time ahead of the server";
	default: break;
	}
	if (err < 0 && err > PROTO_E_SHORT)
		return strerror(-err); /* -errno; strerror() names unknown ones by number */
	snprintf(proto_errname, sizeof(proto_errname), "error %d", err);
	return proto_errname;
}

const char *
proto_errmsg(void)
{
	return proto_errbuf;
}

void
proto_set_errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(proto_errbuf, sizeof(proto_errbuf), fmt, ap);
	va_end(ap);
}

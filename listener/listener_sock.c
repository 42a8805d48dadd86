/*
 * NAME
 *	listener_sock.c - the listener's UDP socket
 *
 * DESCRIPTION
 *	One UDP socket bound to ADDR:PORT: dual-stack for an IPv6 or
 *	wildcard address ("[::]" or nothing before the colon),
 *	SO_REUSEPORT so that several listeners can share the port, and a
 *	32 MiB receive buffer where the system allows it (SO_RCVBUFFORCE
 *	when privileged, else as much of SO_RCVBUF as rmem_max gives).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"

int
listener_sock_open(const char *spec)
{
	char host[256], *port;
	struct addrinfo hints = {0}, *ai;
	int fd, one = 1, zero = 0, rcvbuf = 32 << 20, rc;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) == NULL) {
		stage_set_errmsg("\"%s\" is not ADDR:PORT", spec);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host[0] ? host : "::", port, &hints, &ai)) != 0) {
		stage_set_errmsg("%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		stage_set_errmsg("socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		stage_set_errmsg("bind %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	freeaddrinfo(ai);
	return fd;
}

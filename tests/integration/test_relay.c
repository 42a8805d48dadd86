/*
 * NAME
 *	test_relay - the test relay loses, caps and routes as its plan says
 *
 * DESCRIPTION
 *	The sync and adaptive-bitrate tests lean on tests/tools/relay to stand
 *	for a mobile network, so its behaviour is checked here over loopback:
 *	a perfect link passes everything and routes replies back to the
 *	sender, 20 % loss loses about a fifth, an outage loses everything, a
 *	rate cap passes about what it allows, and the statistics file counts
 *	what happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define DGRAMS 2000

static int
udp_bound(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 8 << 20;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	/* root may exceed rmem_max: nothing is lost in the test's own sockets */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*port = ntohs(a.sin_port);
	return fd;
}

static uint16_t
free_port(void)
{
	uint16_t p;
	int fd = udp_bound(&p);

	close(fd);
	return p;
}

static pid_t
relay_start(uint16_t lport, uint16_t sport, const char *stats, const char *const *phases)
{
	char l[32], s[32], relay[512];
	const char *argv[32];
	int n = 0, i;
	pid_t pid;

	snprintf(l, sizeof(l), "127.0.0.1:%u", lport);
	snprintf(s, sizeof(s), "127.0.0.1:%u", sport);
	snprintf(relay, sizeof(relay), "%s/tests/tools/relay",
		 getenv("OUT") ? getenv("OUT") : "build/default");
	argv[n++] = relay;
	argv[n++] = "-l", argv[n++] = l, argv[n++] = "-s", argv[n++] = s;
	argv[n++] = "-S", argv[n++] = "7", argv[n++] = "-o", argv[n++] = stats;
	for (i = 0; phases[i]; i++)
		argv[n++] = "-p", argv[n++] = phases[i];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(relay, (char *const *)argv);
		_exit(127);
	}
	usleep(200 * 1000);
	return pid;
}

static uint64_t
stat_of(const char *path, const char *name)
{
	char line[128], key[64];
	unsigned long long v;
	FILE *f = fopen(path, "r");
	uint64_t out = UINT64_MAX;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", key, &v) == 2 && !strcmp(key, name))
			out = v;
	fclose(f);
	return out;
}

/*
 * Send DGRAMS datagrams through a relay with the given plan, paced at
 * about 20k/s; the server echoes each one. Returns how many reached the
 * server; *echoed counts the replies that reached the sender.
 */
static int
run_plan(const char *const *phases, int *echoed, const char *stats)
{
	uint16_t sport, lport = free_port();
	int srv = udp_bound(&sport), cli, got = 0, back = 0, i, status, big = 8 << 20;
	struct sockaddr_in to = {.sin_family = AF_INET};
	pid_t pid = relay_start(lport, sport, stats, phases);
	uint8_t buf[1500];
	uint64_t deadline;
	struct timespec ts;

	cli = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (setsockopt(cli, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(lport);
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < DGRAMS; i++) {
		struct sockaddr_storage from;
		socklen_t flen;
		ssize_t n;

		memcpy(buf, &i, sizeof(i));
		sendto(cli, buf, 1000, 0, (struct sockaddr *)&to, sizeof(to));
		usleep(100);
		while (flen = sizeof(from), (n = recvfrom(srv, buf, sizeof(buf), MSG_DONTWAIT,
							  (struct sockaddr *)&from, &flen)) > 0) {
			got++;
			sendto(srv, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
		}
		while (recv(cli, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			back++;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec + 2;
	for (;;) { /* drain for up to 2 s */
		struct pollfd p[2] = {{.fd = srv, .events = POLLIN}, {.fd = cli, .events = POLLIN}};
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(p, 2, 300) <= 0)
			break;
		if (p[0].revents & POLLIN &&
		    (n = recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen)) > 0) {
			got++;
			sendto(srv, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
		}
		if (p[1].revents & POLLIN && recv(cli, buf, sizeof(buf), 0) > 0)
			back++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec > deadline)
			break;
	}
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(cli);
	close(srv);
	*echoed = back;
	return got;
}

static void
test_perfect_link_routes_replies(void **state)
{
	const char *none[] = {NULL};
	char *dir = tu_tmpdir(), stats[512];
	int echoed, got;

	(void)state;
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	got = run_plan(none, &echoed, stats);
	assert_int_equal(got, DGRAMS);
	assert_int_equal(echoed, DGRAMS);
	assert_int_equal(stat_of(stats, "up_in"), DGRAMS);
	assert_int_equal(stat_of(stats, "up_dropped"), 0);
	assert_int_equal(stat_of(stats, "down_out"), DGRAMS);
	tu_rmtree(dir);
	free(dir);
}

static void
test_loss_and_outage(void **state)
{
	const char *lossy[] = {"0:loss=0.2,burst=3", NULL};
	const char *outage[] = {"0:outage", NULL};
	char *dir = tu_tmpdir(), stats[512];
	int echoed, got;

	(void)state;
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	got = run_plan(lossy, &echoed, stats);
	/* 20 % in bursts of 3 over 2000: far inside 10-30 % */
	assert_in_range(got, DGRAMS * 70 / 100, DGRAMS * 90 / 100);
	assert_int_equal(echoed, got); /* the way back is perfect */
	assert_int_equal(stat_of(stats, "up_dropped"), (uint64_t)(DGRAMS - got));
	assert_int_equal(stat_of(stats, "up_bytes_dropped"), (uint64_t)(DGRAMS - got) * 1000);
	got = run_plan(outage, &echoed, stats);
	assert_int_equal(got, 0);
	assert_int_equal(stat_of(stats, "up_dropped"), DGRAMS);
	tu_rmtree(dir);
	free(dir);
}

static void
test_rate_cap(void **state)
{
	/* 2 MB through a 100 kB/s link: only a 20 s send could pass it all */
	const char *capped[] = {"0:rate=100000", NULL};
	char *dir = tu_tmpdir(), stats[512];
	int echoed, got;

	(void)state;
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	got = run_plan(capped, &echoed, stats);
	assert_true(got < DGRAMS);
	assert_true(got > 0);
	assert_int_equal(stat_of(stats, "up_out"), (uint64_t)got);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_perfect_link_routes_replies),
	    cmocka_unit_test(test_loss_and_outage),
	    cmocka_unit_test(test_rate_cap),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

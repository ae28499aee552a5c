// SPDX-License-Identifier: GPL-2.0
/*
 * lowpower-bench: the load generators of make bench.
 *
 *   lowpower-bench udp --dst ADDR [--flows N] [--connected] [--size B]
 *                      [--time S] [--port P]
 *	Sends UDP datagrams for S seconds of CLOCK_MONOTONIC, in batches of
 *	sendmmsg(), and prints the packets sent per second.  Flow k (of N)
 *	goes to port P + k % 50000 of address ADDR + k / 50000 (the last
 *	octet, or the last 16 bits of an IPv6 address).  Unconnected: one
 *	socket, each datagram to the next flow, so every packet costs a route
 *	lookup and a multipath pick.  Connected: one connected socket per
 *	flow (at most 1000), the route cached in the socket, sent to in turn.
 *
 *   lowpower-bench rr-server [--port P]
 *	Echoes every byte it reads on each TCP connection to port P, until
 *	killed.
 *
 *   lowpower-bench rr --dst ADDR [--conns N] [--time S] [--port P]
 *	N TCP connections (TCP_NODELAY) to ADDR port P, each sending one
 *	byte and waiting for its echo in turn; prints the transactions
 *	completed per second over S seconds (after a warm-up of S / 5).
 *
 * Output: one line "udp pps=R packets=C seconds=T" or "rr tps=R
 * transactions=C seconds=T"; errors go to stderr with a non-zero status.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64
#define MAX_SIZE	1472
#define PORTS_PER_ADDR	50000
#define MAX_CONNECTED	1000
#define MAX_CONNS	10000

static struct {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	unsigned int port;
	unsigned long flows;
	unsigned long conns;
	unsigned int size;
	double time;
	bool connected;
} opt = {
	.port = 10000,
	.flows = 1,
	.conns = 1,
	.size = 18,
	.time = 1.0,
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lowpower-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long parse_ulong(const char *name, const char *s,
				 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		die("%s must be a number in %lu..%lu, got '%s'", name, min, max, s);
	return v;
}

static double parse_time(const char *s)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 3600))
		die("--time must be 0.01..3600 seconds, got '%s'", s);
	return v;
}

static void parse_dst(const char *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&opt.dst;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.dst;

	memset(&opt.dst, 0, sizeof(opt.dst));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		opt.dst_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		opt.dst_len = sizeof(*sin6);
	} else {
		die("--dst must be an IPv4 or IPv6 address, got '%s'", s);
	}
}

/* the address and port of flow @k */
static void flow_addr(unsigned long k, struct sockaddr_storage *ss)
{
	unsigned int port = opt.port + k % PORTS_PER_ADDR;
	unsigned int step = k / PORTS_PER_ADDR;

	*ss = opt.dst;
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_addr.s_addr = htonl(ntohl(sin->sin_addr.s_addr) + step);
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		uint16_t last;

		memcpy(&last, &sin6->sin6_addr.s6_addr[14], 2);
		last = htons(ntohs(last) + step);
		memcpy(&sin6->sin6_addr.s6_addr[14], &last, 2);
		sin6->sin6_port = htons(port);
	}
}

static int udp_socket(void)
{
	int fd = socket(opt.dst.ss_family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	return fd;
}

static void run_udp(void)
{
	static struct sockaddr_storage names[BATCH];
	static struct mmsghdr msgs[BATCH];
	static char payload[MAX_SIZE];
	struct iovec iov = { payload, opt.size };
	unsigned long sent = 0, k = 0, nfd, i;
	double start, end, t;
	int *fds;

	if (opt.connected && opt.flows > MAX_CONNECTED)
		die("--connected takes at most %d flows, got %lu",
		    MAX_CONNECTED, opt.flows);
	nfd = opt.connected ? opt.flows : 1;
	fds = calloc(nfd, sizeof(*fds));
	if (!fds)
		die("out of memory");
	for (i = 0; i < nfd; i++) {
		fds[i] = udp_socket();
		if (opt.connected) {
			struct sockaddr_storage ss;

			flow_addr(i, &ss);
			if (connect(fds[i], (struct sockaddr *)&ss, opt.dst_len))
				die("connect: %s", strerror(errno));
		}
	}
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now();
	end = start + opt.time;
	do {
		int fd = fds[0], n;

		if (opt.connected) {
			fd = fds[k];
			k = (k + 1) % nfd;
		} else {
			for (i = 0; i < BATCH; i++) {
				flow_addr(k, &names[i]);
				msgs[i].msg_hdr.msg_name = &names[i];
				msgs[i].msg_hdr.msg_namelen = opt.dst_len;
				k = (k + 1) % opt.flows;
			}
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += n;
		else if (errno != ENOBUFS && errno != EAGAIN)
			die("sendmmsg: %s", strerror(errno));
		t = now();
	} while (t < end);
	printf("udp pps=%.0f packets=%lu seconds=%.3f\n",
	       sent / (t - start), sent, t - start);
}

static void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY: %s", strerror(errno));
}

static void epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

static void run_rr_server(void)
{
	struct sockaddr_in6 any = {
		.sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_ANY_INIT,
		.sin6_port = htons(opt.port),
	};
	struct epoll_event evs[64];
	int lfd, ep, one = 1, zero = 0;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&any, sizeof(any)) || listen(lfd, 4096))
		die("listen on port %u: %s", opt.port, strerror(errno));
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	epoll_add(ep, lfd);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[256];
			ssize_t r;

			if (fd == lfd) {
				int c = accept(lfd, NULL, NULL);

				if (c < 0)
					continue;
				set_nodelay(c);
				epoll_add(ep, c);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r <= 0 || write(fd, buf, r) != r)
				close(fd);
		}
	}
}

static void run_rr(void)
{
	struct epoll_event evs[64];
	unsigned long done = 0, i;
	double start, end, t, warm;
	bool counting = false;
	int ep;

	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < opt.conns; i++) {
		struct sockaddr_storage ss;
		int fd = socket(opt.dst.ss_family, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		flow_addr(0, &ss);
		if (connect(fd, (struct sockaddr *)&ss, opt.dst_len))
			die("connect: %s", strerror(errno));
		set_nodelay(fd);
		epoll_add(ep, fd);
		if (write(fd, "x", 1) != 1)
			die("write: %s", strerror(errno));
	}

	warm = now() + opt.time / 5;
	start = warm;
	end = warm + opt.time;
	t = now();
	do {
		int n = epoll_wait(ep, evs, 64, 1000), j;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		if (!n)
			die("no reply within 1 s");
		for (j = 0; j < n; j++) {
			char c;

			if (read(evs[j].data.fd, &c, 1) != 1)
				die("connection closed by the server");
			if (write(evs[j].data.fd, &c, 1) != 1)
				die("write: %s", strerror(errno));
			done++;
		}
		t = now();
		if (!counting && t >= warm) {
			counting = true;
			start = t;
			done = 0;
		}
	} while (t < end);
	printf("rr tps=%.0f transactions=%lu seconds=%.3f\n",
	       done / (t - start), done, t - start);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lowpower-bench udp --dst ADDR [--flows N] [--connected] [--size B]\n"
		"                          [--time S] [--port P]\n"
		"       lowpower-bench rr-server [--port P]\n"
		"       lowpower-bench rr --dst ADDR [--conns N] [--time S] [--port P]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "conns", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "connected", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *cmd;
	bool have_dst = false;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:p:f:n:s:t:ch", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': parse_dst(optarg); have_dst = true; break;
		case 'p': opt.port = parse_ulong("--port", optarg, 1, 65535 - PORTS_PER_ADDR); break;
		case 'f': opt.flows = parse_ulong("--flows", optarg, 1, 10000000); break;
		case 'n': opt.conns = parse_ulong("--conns", optarg, 1, MAX_CONNS); break;
		case 's': opt.size = parse_ulong("--size", optarg, 1, MAX_SIZE); break;
		case 't': opt.time = parse_time(optarg); break;
		case 'c': opt.connected = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);

	if (!strcmp(cmd, "rr-server")) {
		run_rr_server();
	} else if (!strcmp(cmd, "udp") || !strcmp(cmd, "rr")) {
		if (!have_dst)
			die("%s needs --dst ADDR", cmd);
		if (!strcmp(cmd, "udp"))
			run_udp();
		else
			run_rr();
	} else {
		die("unknown command '%s' (udp, rr-server or rr)", cmd);
	}
	return 0;
}

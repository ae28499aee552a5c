// SPDX-License-Identifier: GPL-2.0
/*
 * lowpower_probe: measure round-trip latency through a (multipath) route.
 *
 * UDP: request/response against "lowpower_probe --server"; the request
 * carries a sequence number, the reply is the request echoed.  Send time
 * from CLOCK_REALTIME just before the send, receive time from the kernel's
 * receive timestamp (SO_TIMESTAMPNS) when available.  A fixed flow (one
 * socket, batches of probes per sendmmsg()/recvmmsg()) or a new flow, i.e.
 * a new source port, per probe.  TCP: the handshake time of a new
 * connection per probe.  Optional busy polling and CPU pinning.
 *
 * Prints the count, min, avg, median, p95, p99, max, stdev and outlier
 * counts in milliseconds, a "summary" line for scripts, and optionally
 * every sample as CSV.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC	0x6c70726fU	/* "lpro" */
#define MAX_BATCH	64
#define MAX_OUTLIERS	8
#define MAX_SIZE	65000

struct probe_hdr {
	uint32_t magic;
	uint32_t seq;
};

static struct {
	bool server, tcp, new_flow, quiet;
	int family;
	long count, interval_us, size, batch, timeout_ms, busy_poll, cpu;
	double outliers[MAX_OUTLIERS];
	int n_outliers;
	const char *csv, *host, *port;
} opt = {
	.family = AF_UNSPEC, .count = 1000, .interval_us = 1000, .size = 64,
	.batch = 1, .timeout_ms = 1000, .busy_poll = -1, .cpu = -1,
	.outliers = { 10, 20 }, .n_outliers = 2,
};

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: lowpower_probe [options] HOST PORT      measure against a server\n"
		"       lowpower_probe --server [options] PORT  answer UDP probes, accept TCP\n"
		"\n"
		"  -c, --count N         probes to send (default 1000)\n"
		"  -i, --interval US     microseconds between probes or batches (default 1000)\n"
		"  -s, --size BYTES      UDP payload, 8..%d (default 64)\n"
		"  -n, --new-flow        UDP: a new socket, so a new source port, per probe\n"
		"  -b, --batch N         UDP fixed flow: probes per sendmmsg/recvmmsg, 1..%d\n"
		"  -t, --tcp             time the TCP handshake of a new connection per probe\n"
		"  -w, --timeout MS      a probe unanswered for this long is lost (default 1000)\n"
		"  -B, --busy-poll US    set SO_BUSY_POLL and spin on non-blocking receives\n"
		"  -C, --cpu N           pin the process to CPU N\n"
		"  -o, --outliers LIST   outlier thresholds in ms, comma separated\n"
		"                        (default 10,20)\n"
		"  -f, --csv FILE        write every sample: seq,sport,send_ns,rtt_ns (-1: lost)\n"
		"  -4, -6                address family (default: HOST's)\n"
		"  -q, --quiet           print only the summary line\n"
		"      --server          run the server\n"
		"  -h, --help            this text\n",
		MAX_SIZE, MAX_BATCH);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lowpower_probe: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static long parse_long(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s must be an integer in %ld..%ld, got '%s'", what, min,
		    max, s);
	return v;
}

static void parse_outliers(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;

	if (!copy)
		die("out of memory");
	opt.n_outliers = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		double v = strtod(tok, &end);

		if (end == tok || *end || !(v > 0) || opt.n_outliers == MAX_OUTLIERS)
			die("--outliers takes up to %d positive numbers of ms, got '%s'",
			    MAX_OUTLIERS, s);
		opt.outliers[opt.n_outliers++] = v;
	}
	free(copy);
	if (!opt.n_outliers)
		die("--outliers needs at least one threshold");
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { t / 1000000000, t % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static struct addrinfo *lookup_addr(const char *host, const char *port, int type,
				    bool passive)
{
	struct addrinfo hints = {
		.ai_family = opt.family, .ai_socktype = type,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	struct addrinfo *ai;
	int err;

	err = getaddrinfo(host, port, &hints, &ai);
	if (err)
		die("cannot resolve %s port %s: %s", host ? host : "*", port,
		    gai_strerror(err));
	return ai;
}

static void tune(int fd)
{
	int one = 1, us = opt.busy_poll;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		die("SO_TIMESTAMPNS: %s", strerror(errno));
	if (opt.busy_poll >= 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)))
		die("SO_BUSY_POLL: %s", strerror(errno));
}

static int sport_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* the kernel's receive timestamp of @msg, or now */
static int64_t rx_time(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	return now_ns(CLOCK_REALTIME);
}

/* wait for @fd to become readable until @deadline (CLOCK_MONOTONIC ns) */
static bool wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left;

	for (;;) {
		left = deadline - now_ns(CLOCK_MONOTONIC);
		if (left <= 0)
			return false;
		if (opt.busy_poll >= 0) {
			if (recv(fd, NULL, 0, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) >= 0)
				return true;
			continue;
		}
		if (poll(&p, 1, (int)((left + 999999) / 1000000)) > 0)
			return true;
	}
}

struct sample {
	int64_t send_ns, rtt_ns;	/* rtt_ns < 0: lost */
	int sport;
};

static struct sample *samples;

/*
 * Send probes first..first+n-1 on @fd (one sendmmsg) and collect their
 * replies until the timeout.  Replies to other probes (late ones) are
 * dropped.
 */
static void udp_batch(int fd, const struct addrinfo *ai, long first, int n)
{
	static char tx[MAX_BATCH][MAX_SIZE], rx[MAX_BATCH][MAX_SIZE];
	static char ctl[MAX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	int i, got = 0, sport;
	int64_t deadline;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < n; i++) {
		struct probe_hdr h = { PROBE_MAGIC, (uint32_t)(first + i) };

		memcpy(tx[i], &h, sizeof(h));
		iov[i] = (struct iovec){ tx[i], opt.size };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = ai->ai_addr;
		msgs[i].msg_hdr.msg_namelen = ai->ai_addrlen;
		samples[first + i].rtt_ns = -1;
	}
	for (i = 0; i < n; i++)
		samples[first + i].send_ns = now_ns(CLOCK_REALTIME);
	if (sendmmsg(fd, msgs, n, 0) != n)
		die("sendmmsg: %s", strerror(errno));
	sport = sport_of(fd);		/* bound by the first send */
	for (i = 0; i < n; i++)
		samples[first + i].sport = sport;

	deadline = now_ns(CLOCK_MONOTONIC) + opt.timeout_ms * 1000000LL;
	while (got < n && wait_readable(fd, deadline)) {
		int r;

		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < n; i++) {
			iov[i] = (struct iovec){ rx[i], MAX_SIZE };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		r = recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
				continue;
			die("recvmmsg: %s", strerror(errno));
		}
		for (i = 0; i < r; i++) {
			struct probe_hdr h;
			long seq;

			if (msgs[i].msg_len < sizeof(h))
				continue;
			memcpy(&h, rx[i], sizeof(h));
			seq = h.seq;
			if (h.magic != PROBE_MAGIC || seq < first || seq >= first + n ||
			    samples[seq].rtt_ns >= 0)
				continue;
			samples[seq].rtt_ns = rx_time(&msgs[i].msg_hdr) -
					      samples[seq].send_ns;
			got++;
		}
	}
}

static int udp_socket(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	tune(fd);
	return fd;
}

static void tcp_probe(const struct addrinfo *ai, long seq)
{
	struct timeval tv = { opt.timeout_ms / 1000, (opt.timeout_ms % 1000) * 1000 };
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	int64_t t0;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		die("SO_SNDTIMEO: %s", strerror(errno));
	samples[seq].send_ns = now_ns(CLOCK_REALTIME);
	samples[seq].rtt_ns = -1;
	t0 = now_ns(CLOCK_MONOTONIC);
	if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
		samples[seq].rtt_ns = now_ns(CLOCK_MONOTONIC) - t0;
	else if (errno != EINPROGRESS && errno != ETIMEDOUT && errno != ECONNREFUSED &&
		 errno != EHOSTUNREACH && errno != ENETUNREACH)
		die("connect: %s", strerror(errno));
	samples[seq].sport = sport_of(fd);
	close(fd);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* nearest-rank percentile of sorted @v */
static double pct(const int64_t *v, long n, double p)
{
	long rank = (long)ceil(p / 100.0 * n);

	if (rank < 1)
		rank = 1;
	return v[rank - 1] / 1e6;
}

static void report(void)
{
	int64_t *v = malloc(sizeof(*v) * opt.count);
	double sum = 0, sq = 0, avg, sd;
	long n = 0, lost, i;
	int j;

	if (!v)
		die("out of memory");
	for (i = 0; i < opt.count; i++)
		if (samples[i].rtt_ns >= 0)
			v[n++] = samples[i].rtt_ns;
	lost = opt.count - n;
	if (!n) {
		printf("summary count=0 lost=%ld\n", lost);
		die("no probe was answered");
	}
	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < n; i++)
		sum += v[i] / 1e6;
	avg = sum / n;
	for (i = 0; i < n; i++)
		sq += (v[i] / 1e6 - avg) * (v[i] / 1e6 - avg);
	sd = n > 1 ? sqrt(sq / (n - 1)) : 0;

	if (!opt.quiet) {
		printf("%-18s %12s\n", "metric", "ms");
		printf("%-18s %12ld\n", "Count", n);
		printf("%-18s %12ld\n", "Lost", lost);
		printf("%-18s %12.3f\n", "Min", v[0] / 1e6);
		printf("%-18s %12.3f\n", "Avg", avg);
		printf("%-18s %12.3f\n", "Median", pct(v, n, 50));
		printf("%-18s %12.3f\n", "P95", pct(v, n, 95));
		printf("%-18s %12.3f\n", "P99", pct(v, n, 99));
		printf("%-18s %12.3f\n", "Max", v[n - 1] / 1e6);
		printf("%-18s %12.3f\n", "Stdev", sd);
		for (j = 0; j < opt.n_outliers; j++) {
			long c = 0;

			for (i = 0; i < n; i++)
				c += v[i] / 1e6 >= opt.outliers[j];
			printf("Count >= %-6g ms %12ld\n", opt.outliers[j], c);
		}
	}
	printf("summary count=%ld lost=%ld min=%.3f avg=%.3f median=%.3f",
	       n, lost, v[0] / 1e6, avg, pct(v, n, 50));
	printf(" p95=%.3f p99=%.3f max=%.3f stdev=%.3f", pct(v, n, 95),
	       pct(v, n, 99), v[n - 1] / 1e6, sd);
	for (j = 0; j < opt.n_outliers; j++) {
		long c = 0;

		for (i = 0; i < n; i++)
			c += v[i] / 1e6 >= opt.outliers[j];
		printf(" over_%g=%ld", opt.outliers[j], c);
	}
	printf("\n");
	free(v);
}

static void write_csv(void)
{
	FILE *f = fopen(opt.csv, "w");
	long i;

	if (!f)
		die("cannot write %s: %s", opt.csv, strerror(errno));
	fprintf(f, "seq,sport,send_ns,rtt_ns\n");
	for (i = 0; i < opt.count; i++)
		fprintf(f, "%ld,%d,%lld,%lld\n", i, samples[i].sport,
			(long long)samples[i].send_ns, (long long)samples[i].rtt_ns);
	if (fclose(f))
		die("cannot write %s: %s", opt.csv, strerror(errno));
}

static void client(void)
{
	struct addrinfo *ai = lookup_addr(opt.host, opt.port,
				      opt.tcp ? SOCK_STREAM : SOCK_DGRAM, false);
	int64_t next = now_ns(CLOCK_MONOTONIC);
	int fd = -1;
	long i, n;

	samples = calloc(opt.count, sizeof(*samples));
	if (!samples)
		die("out of memory");
	if (!opt.tcp && !opt.new_flow)
		fd = udp_socket(ai);

	for (i = 0; i < opt.count; i += n) {
		n = opt.new_flow || opt.tcp ? 1 : opt.batch;
		if (n > opt.count - i)
			n = opt.count - i;
		sleep_until(next);
		next += opt.interval_us * 1000LL;
		if (opt.tcp) {
			tcp_probe(ai, i);
		} else if (opt.new_flow) {
			int nfd = udp_socket(ai);

			udp_batch(nfd, ai, i, 1);
			close(nfd);
		} else {
			udp_batch(fd, ai, i, n);
		}
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);

	if (opt.csv)
		write_csv();
	if (!opt.quiet)
		printf("lowpower_probe: %s %s %s port %s, %ld probes, interval %ld us\n",
		       opt.tcp ? "tcp handshake" : "udp",
		       opt.tcp || opt.new_flow ? "new flow per probe" : "fixed flow",
		       opt.host, opt.port, opt.count, opt.interval_us);
	report();
}

static void server(void)
{
	struct addrinfo *ai;
	static char buf[MAX_BATCH][MAX_SIZE];
	struct sockaddr_storage from[MAX_BATCH];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	int one = 1, zero = 0, fd, lfd, i, r;

	/* IPv6 by default, dual-stack: IPv4 probes arrive as mapped addresses */
	if (opt.family == AF_UNSPEC)
		opt.family = AF_INET6;
	ai = lookup_addr(NULL, opt.port, SOCK_DGRAM, true);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	lfd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || lfd < 0)
		die("socket: %s", strerror(errno));
	if (ai->ai_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fcntl(lfd, F_SETFL, O_NONBLOCK))
		die("fcntl: %s", strerror(errno));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 1024))
		die("cannot listen on port %s: %s", opt.port, strerror(errno));
	freeaddrinfo(ai);

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = lfd, .events = POLLIN } };

		if (opt.busy_poll < 0 && poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (opt.busy_poll >= 0 || p[1].revents) {
			int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

			if (c >= 0)
				close(c);
		}
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < MAX_BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], MAX_SIZE };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		r = recvmmsg(fd, msgs, MAX_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			continue;
		for (i = 0; i < r; i++)
			iov[i].iov_len = msgs[i].msg_len;
		sendmmsg(fd, msgs, r, 0);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "new-flow", no_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "tcp", no_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "outliers", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "server", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:i:s:nb:tw:B:C:o:f:q46h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.count = parse_long("--count", optarg, 1, 100000000);
			break;
		case 'i':
			opt.interval_us = parse_long("--interval", optarg, 0, 60000000);
			break;
		case 's':
			opt.size = parse_long("--size", optarg, sizeof(struct probe_hdr), MAX_SIZE);
			break;
		case 'n':
			opt.new_flow = true;
			break;
		case 'b':
			opt.batch = parse_long("--batch", optarg, 1, MAX_BATCH);
			break;
		case 't':
			opt.tcp = true;
			break;
		case 'w':
			opt.timeout_ms = parse_long("--timeout", optarg, 1, 600000);
			break;
		case 'B':
			opt.busy_poll = parse_long("--busy-poll", optarg, 0, 1000000);
			break;
		case 'C':
			opt.cpu = parse_long("--cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'o':
			parse_outliers(optarg);
			break;
		case 'f':
			opt.csv = optarg;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case '4':
			opt.family = AF_INET;
			break;
		case '6':
			opt.family = AF_INET6;
			break;
		case 'S':
			opt.server = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (opt.server ? argc - optind != 1 : argc - optind != 2) {
		print_usage(stderr);
		die(opt.server ? "--server takes one argument, PORT" :
				 "HOST and PORT are required");
	}
	if (opt.server) {
		opt.port = argv[optind];
	} else {
		opt.host = argv[optind];
		opt.port = argv[optind + 1];
	}
	parse_long("PORT", opt.port, 1, 65535);
	if (opt.tcp && (opt.new_flow || opt.batch > 1))
		die("--tcp measures handshakes: --new-flow and --batch do not apply");
	if (opt.new_flow && opt.batch > 1)
		die("--batch needs a fixed flow, not --new-flow");
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot pin to CPU %ld: %s", opt.cpu, strerror(errno));
	}

	if (opt.server)
		server();
	else
		client();
	return 0;
}

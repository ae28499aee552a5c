// SPDX-License-Identifier: GPL-2.0
/*
 * lowpower-prober: measure RTT, jitter and loss through each nexthop of
 * multipath routes and nexthop groups, and feed the samples into the
 * kernel's per-link state (the "lowpower" generic netlink family), which
 * lowpower_mode 2 weighs alongside the samples of local TCP.
 *
 * One ICMP echo per path per round, all paths of a family in one
 * sendmmsg(); the replies drained with recvmmsg(); send and receive times
 * from kernel software timestamps.  See docs/prober.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <linux/genetlink.h>
#include <linux/net_tstamp.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lowpower.h"	/* the series' uAPI: include/uapi/linux/lowpower.h */

#ifndef ICMP_FILTER
#define ICMP_FILTER	1	/* SOL_RAW option of IPv4 ICMP sockets */
#endif

#define MAX_PATHS	64
#define INFLIGHT	4096	/* probes remembered, per family */
#define PAYLOAD		32

struct path {
	int		ifindex;
	int		family;		/* of the gateway, AF_UNSPEC if none */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} gw;
	int		tfamily;	/* of the probe target */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} target;
	char		name[IF_NAMESIZE + INET6_ADDRSTRLEN + 8];

	/* since the last report to the kernel */
	uint32_t	rtt[256];
	unsigned int	nrtt;
	unsigned int	lost;
	uint32_t	srtt_reported;	/* srtt before those samples */

	/* the prober's own view */
	uint32_t	srtt;		/* EMA 1/8 of the RTT, us */
	uint32_t	jitter;		/* EMA 1/8 of |rtt - srtt| / srtt, 1/1024 */
	unsigned long	sent, answered, lost_total;
	bool		missing;	/* the kernel has no such link right now */
	bool		send_error;	/* the last send through it failed */
};

struct probe {
	int		path;		/* -1: free */
	uint16_t	seq;
	struct timespec	tx;		/* sent, CLOCK_REALTIME (as the stamps) */
	struct timespec	tx_mono;	/* sent, CLOCK_MONOTONIC (for --timeout) */
	bool		tx_kernel;	/* @tx is the kernel's timestamp */
};

struct family_socket {
	int		fd;
	int		family;
	unsigned int	next;		/* the next probe's slot in @inflight */
	struct probe	inflight[INFLIGHT];
};

static struct path paths[MAX_PATHS];
static int npaths;
static struct family_socket socks[2] = {
	{ .fd = -1, .family = AF_INET },
	{ .fd = -1, .family = AF_INET6 },
};

static struct {
	unsigned int	interval_ms;
	unsigned int	timeout_ms;
	unsigned int	batch;
	unsigned long	count;
	unsigned int	stats_s;
	int		busy_poll_us;
	int		cpu;
	bool		dry_run;
	bool		verbose;
	int		target_family;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} target;
} opt = {
	.interval_ms = 100, .timeout_ms = 1000, .batch = 5, .stats_s = 10,
	.busy_poll_us = -1, .cpu = -1,
};

static const char *prog = "lowpower-prober";
static volatile sig_atomic_t stop;
static struct mnl_socket *rtnl, *genl;
static uint16_t genl_family;
static unsigned int nl_seq;
static uint16_t echo_id;

static void logmsg(const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "%s[%ld.%03ld]: ", prog, (long)now.tv_sec,
		now.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* bad input on the command line: a message and status 2 */
static void __attribute__((noreturn)) bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void __attribute__((noreturn)) usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f,
"Usage: %s [OPTION]... (--route PREFIX | --group ID)...\n"
"Probe each nexthop of the given multipath routes and nexthop groups with\n"
"ICMP echo and feed RTT samples and losses to the kernel's lowpower state.\n"
"\n"
"  -r, --route PREFIX     the route to PREFIX, as `ip route get fibmatch`\n"
"                         finds it; repeatable\n"
"  -g, --group ID         the members of nexthop group ID; repeatable\n"
"  -t, --target ADDR      probe ADDR through each nexthop's device instead\n"
"                         of the nexthop's gateway\n"
"  -i, --interval MS      between probe rounds (1..60000, default 100)\n"
"  -w, --timeout MS       a probe unanswered this long is lost\n"
"                         (1..60000, default 1000)\n"
"  -b, --batch N          rounds per report to the kernel (1..50, default 5)\n"
"  -c, --count N          stop after N rounds (default: until SIGINT/SIGTERM)\n"
"  -s, --stats S          log each path's figures every S seconds\n"
"                         (0: only at exit; default 10)\n"
"  -B, --busy-poll USEC   after each round, poll the sockets without\n"
"                         sleeping for USEC (0..1000000) before waiting\n"
"  -C, --cpu N            pin the prober to CPU N\n"
"  -n, --dry-run          measure and log; feed nothing to the kernel\n"
"  -v, --verbose          log every report\n"
"  -h, --help             this help\n",
		prog);
	exit(status);
}

static unsigned long parse_num(const char *what, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] < '0' || s[0] > '9' || v < min ||
	    v > max)
		bad_usage("%s: '%s' is not a number in %lu..%lu", what, s, min,
			  max);
	return v;
}

static int parse_addr(const char *s, void *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return AF_UNSPEC;
}

/* --- rtnetlink: which paths a route or a nexthop group has --- */

/* what nl_talk() hands to the callbacks of mnl_cb_run2() */
struct nl_ctx {
	mnl_cb_t	cb;
	void		*data;
	const char	**extack;
};

static int nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nl_ctx *ctx = data;

	return ctx->cb(nlh, ctx->data);
}

static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nl_ctx *ctx = data;
	const char **msg = ctx->extack;
	struct nlattr *attr;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return MNL_CB_ERROR;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !err->error)
		goto out;
	mnl_attr_for_each(attr, nlh, sizeof(*err) + (nlh->nlmsg_flags &
			  NLM_F_CAPPED ? 0 : err->msg.nlmsg_len - sizeof(err->msg)))
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			*msg = mnl_attr_get_str(attr);
out:
	errno = -err->error;
	return err->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/*
 * Send @nlh and run @cb on each reply.  Returns 0, or -1 with errno set and
 * *@extack pointing at the kernel's message, if any (valid until the next
 * call).
 */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data, const char **extack)
{
	static char buf[32768];
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = nl_error_cb };
	struct nl_ctx ctx = { .cb = cb, .data = data, .extack = extack };
	unsigned int portid = mnl_socket_get_portid(nl);
	int ret;

	*extack = NULL;
	nlh->nlmsg_seq = ++nl_seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	while (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		if (errno != EINTR)
			return -1;
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -1;
		ret = mnl_cb_run2(buf, ret, nl_seq, portid, nl_data_cb, &ctx,
				  ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return -1;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct mnl_socket *nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int one = 1;

	if (!nl)
		die("netlink socket: %s", strerror(errno));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink bind: %s", strerror(errno));
	return nl;
}

static void path_add(int ifindex, int family, const void *gw, const char *from)
{
	char dev[IF_NAMESIZE], addr[INET6_ADDRSTRLEN] = "";
	struct path *p;
	int i;

	for (i = 0; i < npaths; i++) {
		p = &paths[i];
		if (p->ifindex == ifindex && p->family == family &&
		    (family == AF_UNSPEC ||
		     !memcmp(&p->gw, gw, family == AF_INET ? 4 : 16)))
			return;
	}
	if (npaths == MAX_PATHS)
		die("%s: more than %d paths", from, MAX_PATHS);
	p = &paths[npaths++];
	memset(p, 0, sizeof(*p));
	p->ifindex = ifindex;
	p->family = family;
	if (family != AF_UNSPEC)
		memcpy(&p->gw, gw, family == AF_INET ? 4 : 16);
	if (opt.target_family) {
		p->tfamily = opt.target_family;
		p->target.v6 = opt.target.v6;
	} else if (family != AF_UNSPEC) {
		p->tfamily = family;
		memcpy(&p->target, gw, family == AF_INET ? 4 : 16);
	} else {
		die("%s: the nexthop via device %d has no gateway; give --target",
		    from, ifindex);
	}
	if (!if_indextoname(ifindex, dev))
		snprintf(dev, sizeof(dev), "if%d", ifindex);
	if (family != AF_UNSPEC)
		inet_ntop(family, gw, addr, sizeof(addr));
	snprintf(p->name, sizeof(p->name), "%s%s%s", dev, *addr ? " via " : "",
		 addr);
}

static int nh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NHA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

struct nh_info {
	int		ifindex;
	int		family;
	struct in6_addr	gw;
	uint32_t	members[MAX_PATHS];
	int		nmembers;
	bool		is_group;
};

static int nh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nhmsg *nhm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NHA_MAX + 1] = {};
	struct nh_info *nh = data;

	mnl_attr_parse(nlh, sizeof(*nhm), nh_attr_cb, tb);
	if (tb[NHA_GROUP]) {
		const struct nexthop_grp *g = mnl_attr_get_payload(tb[NHA_GROUP]);
		int n = mnl_attr_get_payload_len(tb[NHA_GROUP]) / sizeof(*g);

		nh->is_group = true;
		if (n > MAX_PATHS)
			die("nexthop group %u has %d members, more than %d",
			    tb[NHA_ID] ? mnl_attr_get_u32(tb[NHA_ID]) : 0, n,
			    MAX_PATHS);
		for (int i = 0; i < n; i++)
			nh->members[nh->nmembers++] = g[i].id;
		return MNL_CB_OK;
	}
	if (tb[NHA_OIF])
		nh->ifindex = mnl_attr_get_u32(tb[NHA_OIF]);
	if (tb[NHA_GATEWAY] &&
	    mnl_attr_get_payload_len(tb[NHA_GATEWAY]) ==
	    (nhm->nh_family == AF_INET ? 4 : 16)) {
		nh->family = nhm->nh_family;
		memcpy(&nh->gw, mnl_attr_get_payload(tb[NHA_GATEWAY]),
		       nhm->nh_family == AF_INET ? 4 : 16);
	}
	return MNL_CB_OK;
}

static void nh_get(uint32_t id, struct nh_info *nh, const char *from)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const char *extack;
	struct nhmsg *nhm;

	nlh->nlmsg_type = RTM_GETNEXTHOP;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nhm = mnl_nlmsg_put_extra_header(nlh, sizeof(*nhm));
	nhm->nh_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NHA_ID, id);
	memset(nh, 0, sizeof(*nh));
	if (nl_talk(rtnl, nlh, nh_cb, nh, &extack) < 0)
		die("%s: nexthop %u: %s%s%s", from, id, strerror(errno),
		    extack ? ": " : "", extack ? extack : "");
}

static void add_group(uint32_t id, const char *from)
{
	struct nh_info grp, nh;

	nh_get(id, &grp, from);
	if (!grp.is_group) {
		if (!grp.ifindex)
			die("%s: nexthop %u has no device", from, id);
		path_add(grp.ifindex, grp.family, &grp.gw, from);
		return;
	}
	for (int i = 0; i < grp.nmembers; i++) {
		nh_get(grp.members[i], &nh, from);
		if (nh.is_group || !nh.ifindex)
			die("%s: member %u of group %u is not a nexthop with a device",
			    from, grp.members[i], id);
		path_add(nh.ifindex, nh.family, &nh.gw, from);
	}
}

static int rt_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

struct route_info {
	const char	*from;
	int		len;		/* the prefix length asked for, or -1 */
	int		found;
	uint32_t	nh_id;		/* the route is over nexthop object nh_id */
};

static void route_gw(const struct nlattr *gw, const struct nlattr *via,
		     int family, int *gwfam, struct in6_addr *addr)
{
	*gwfam = AF_UNSPEC;
	if (gw && mnl_attr_get_payload_len(gw) == (family == AF_INET ? 4 : 16)) {
		*gwfam = family;
		memcpy(addr, mnl_attr_get_payload(gw), family == AF_INET ? 4 : 16);
	} else if (via && mnl_attr_get_payload_len(via) >= sizeof(struct rtvia)) {
		const struct rtvia *v = mnl_attr_get_payload(via);
		size_t alen = v->rtvia_family == AF_INET ? 4 : 16;

		if (mnl_attr_get_payload_len(via) < sizeof(*v) + alen)
			return;
		*gwfam = v->rtvia_family;
		memcpy(addr, v->rtvia_addr, alen);
	}
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct route_info *ri = data;
	struct in6_addr gw;
	int gwfam;

	mnl_attr_parse(nlh, sizeof(*rtm), rt_attr_cb, tb);
	ri->found = 1;
	if (ri->len >= 0 && rtm->rtm_dst_len != ri->len)
		die("%s: no such route; the longest match is a /%u",
		    ri->from, rtm->rtm_dst_len);
	if (tb[RTA_NH_ID]) {
		/* resolved once this reply is done: the socket is busy */
		ri->nh_id = mnl_attr_get_u32(tb[RTA_NH_ID]);
	} else if (tb[RTA_MULTIPATH]) {
		const struct rtnexthop *rtnh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
		int len = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);

		while (len >= (int)sizeof(*rtnh) && rtnh->rtnh_len >= sizeof(*rtnh) &&
		       rtnh->rtnh_len <= len) {
			const struct nlattr *ntb[RTA_MAX + 1] = {};
			const struct nlattr *attr;

			mnl_attr_for_each_payload((const void *)(rtnh + 1),
						  rtnh->rtnh_len - sizeof(*rtnh))
				if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
					ntb[mnl_attr_get_type(attr)] = attr;
			route_gw(ntb[RTA_GATEWAY], ntb[RTA_VIA], rtm->rtm_family,
				 &gwfam, &gw);
			path_add(rtnh->rtnh_ifindex, gwfam, &gw, ri->from);
			len -= RTNH_ALIGN(rtnh->rtnh_len);
			rtnh = (const void *)((const char *)rtnh +
					      RTNH_ALIGN(rtnh->rtnh_len));
		}
	} else {
		die("%s: the route has a single nexthop; nothing to choose between",
		    ri->from);
	}
	return MNL_CB_OK;
}

static void add_route(const char *prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], addrs[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_info ri = { .from = prefix, .len = -1 };
	struct in6_addr addr;
	const char *extack;
	struct rtmsg *rtm;
	char *slash;
	int family;

	snprintf(addrs, sizeof(addrs), "%s", prefix);
	slash = strchr(addrs, '/');
	if (slash)
		*slash = '\0';
	family = parse_addr(addrs, &addr);
	if (family == AF_UNSPEC)
		bad_usage("--route: '%s' is not an IPv4 or IPv6 prefix", prefix);
	if (slash)
		ri.len = parse_num("--route prefix length", slash + 1, 0,
				   family == AF_INET ? 32 : 128);

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = family == AF_INET ? 32 : 128;
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, &addr);
	if (nl_talk(rtnl, nlh, route_cb, &ri, &extack) < 0)
		die("--route %s: %s%s%s", prefix, strerror(errno),
		    extack ? ": " : "", extack ? extack : "");
	if (!ri.found)
		die("--route %s: no route", prefix);
	if (ri.nh_id)
		add_group(ri.nh_id, prefix);
}

/* --- generic netlink: the lowpower family --- */

static int genl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static struct nlmsghdr *genl_put(char *buf, uint16_t type, uint8_t cmd,
				 uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static void genl_resolve(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	const char *extack;

	nlh = genl_put(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LOWPOWER_FAMILY_NAME);
	if (nl_talk(genl, nlh, genl_family_cb, &genl_family, &extack) < 0 ||
	    !genl_family)
		die("the kernel has no '%s' netlink family: is it built with the lowpower series?",
		    LOWPOWER_FAMILY_NAME);
}

static void put_link(struct nlmsghdr *nlh, const struct path *p)
{
	mnl_attr_put_u32(nlh, LOWPOWER_A_LINK_IFINDEX, p->ifindex);
	if (p->family == AF_INET)
		mnl_attr_put(nlh, LOWPOWER_A_LINK_GATEWAY_IPV4, 4, &p->gw.v4);
	else if (p->family == AF_INET6)
		mnl_attr_put(nlh, LOWPOWER_A_LINK_GATEWAY_IPV6, 16, &p->gw.v6);
}

static int ignore_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* Does the kernel keep state for @p?  Exits on any error but ENOENT. */
static bool link_known(const struct path *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	const char *extack;

	nlh = genl_put(buf, genl_family, LOWPOWER_CMD_LINK_GET,
		       LOWPOWER_FAMILY_VERSION);
	put_link(nlh, p);
	if (nl_talk(genl, nlh, ignore_cb, NULL, &extack) == 0)
		return true;
	if (errno == ENOENT)
		return false;
	die("%s: link state: %s%s%s", p->name, strerror(errno),
	    extack ? ": " : "", extack ? extack : "");
}

/*
 * May this process feed samples?  A link-probe without samples is refused
 * with EPERM before the kernel looks at it when the process lacks
 * CAP_NET_ADMIN, and with EINVAL otherwise; either way nothing changes.
 */
static void check_feed_permission(const struct path *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	const char *extack;

	nlh = genl_put(buf, genl_family, LOWPOWER_CMD_LINK_PROBE,
		       LOWPOWER_FAMILY_VERSION);
	put_link(nlh, p);
	if (nl_talk(genl, nlh, ignore_cb, NULL, &extack) == 0 ||
	    errno == EINVAL)
		return;
	if (errno == EPERM)
		die("feeding RTT samples to the kernel needs CAP_NET_ADMIN (or use --dry-run)");
	die("%s: link state: %s%s%s", p->name, strerror(errno),
	    extack ? ": " : "", extack ? extack : "");
}

static void report(struct path *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	const char *extack;

	if (!p->nrtt && !p->lost)
		return;
	if (opt.verbose)
		logmsg("%s: %u samples, %u lost, srtt %u us", p->name, p->nrtt,
		       p->lost, p->srtt_reported);
	if (opt.dry_run)
		goto out;
	nlh = genl_put(buf, genl_family, LOWPOWER_CMD_LINK_PROBE,
		       LOWPOWER_FAMILY_VERSION);
	put_link(nlh, p);
	if (p->nrtt) {
		mnl_attr_put_u32(nlh, LOWPOWER_A_LINK_SRTT_US,
				 p->srtt_reported ? p->srtt_reported : 1);
		for (unsigned int i = 0; i < p->nrtt; i++)
			mnl_attr_put_u32(nlh, LOWPOWER_A_LINK_RTT_US, p->rtt[i]);
	}
	if (p->lost)
		mnl_attr_put_u32(nlh, LOWPOWER_A_LINK_LOST,
				 p->lost > LOWPOWER_PROBE_MAX_LOST ?
				 LOWPOWER_PROBE_MAX_LOST : p->lost);
	if (nl_talk(genl, nlh, ignore_cb, NULL, &extack) == 0) {
		if (p->missing)
			logmsg("%s: the kernel has the link again", p->name);
		p->missing = false;
	} else if (errno == ENOENT) {
		/* the route may be gone for a while: keep probing */
		if (!p->missing)
			logmsg("%s: the kernel has no state for this link now%s%s",
			       p->name, extack ? ": " : "", extack ? extack : "");
		p->missing = true;
	} else {
		die("%s: feeding samples: %s%s%s", p->name, strerror(errno),
		    extack ? ": " : "", extack ? extack : "");
	}
out:
	p->nrtt = 0;
	p->lost = 0;
	p->srtt_reported = p->srtt;
}

/* --- probing --- */

static double ts_us(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) * 1e6 + (a->tv_nsec - b->tv_nsec) / 1e3;
}

static void sample(struct path *p, uint32_t rtt)
{
	uint32_t dev;

	p->answered++;
	if (!p->srtt) {
		p->srtt = rtt ? rtt : 1;
		p->srtt_reported = p->srtt;
	} else {
		dev = rtt > p->srtt ? rtt - p->srtt : p->srtt - rtt;
		p->jitter += ((int64_t)((uint64_t)dev * 1024 / p->srtt) -
			      (int64_t)p->jitter) / 8;
		p->srtt = p->srtt + ((int64_t)rtt - (int64_t)p->srtt) / 8;
		if (!p->srtt)
			p->srtt = 1;
	}
	if (p->nrtt < sizeof(p->rtt) / sizeof(p->rtt[0]))
		p->rtt[p->nrtt++] = rtt;
}

static void lose(struct path *p)
{
	p->lost++;
	p->lost_total++;
}

static void open_socket(struct family_socket *s)
{
	/* the send stamp as the probe enters the device's queue (SCHED),
	 * not as the driver takes it: a flow's RTT includes the egress
	 * queue, and so must a probe's.  The stamp comes back with the
	 * probe itself, which says which probe it is.
	 */
	int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
		    SOF_TIMESTAMPING_TX_SCHED;

	s->fd = socket(s->family, SOCK_RAW | SOCK_NONBLOCK,
		       s->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (s->fd < 0)
		die("ICMP%s socket: %s%s", s->family == AF_INET ? "" : "v6",
		    strerror(errno),
		    errno == EPERM ? " (probing needs CAP_NET_RAW)" : "");
	if (s->family == AF_INET) {
		uint32_t f = ~(1U << ICMP_ECHOREPLY);	/* struct icmp_filter */

		if (setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) < 0)
			die("ICMP_FILTER: %s", strerror(errno));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
			       sizeof(f)) < 0)
			die("ICMP6_FILTER: %s", strerror(errno));
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
		       sizeof(flags)) < 0)
		die("SO_TIMESTAMPING: %s", strerror(errno));
}

struct echo {
	struct icmphdr	icmp;	/* same layout as the ICMPv6 echo header */
	uint32_t	magic;
	uint32_t	path;
	uint32_t	slot;
	uint8_t		pad[PAYLOAD - 12];
};

#define ECHO_MAGIC	0x6c70776eU	/* "lpwn" */

/* The probe a packet of ours carries (a reply, or a send stamp's copy of
 * the probe, which may start at its link-layer header): found by the
 * magic word, which follows the echo header.
 */
static struct probe *probe_of(struct family_socket *s, const uint8_t *pkt,
			      size_t len, uint16_t type)
{
	uint32_t magic = htonl(ECHO_MAGIC);
	const struct echo *e;
	uint32_t path, slot;
	struct probe *pr;
	size_t off;

	for (off = sizeof(struct icmphdr);
	     off + sizeof(*e) - sizeof(e->icmp) <= len; off++) {
		if (memcmp(pkt + off, &magic, sizeof(magic)))
			continue;
		e = (const void *)(pkt + off - sizeof(struct icmphdr));
		if (e->icmp.type != type || ntohs(e->icmp.un.echo.id) != echo_id)
			return NULL;
		path = ntohl(e->path);
		slot = ntohl(e->slot);
		if (slot >= INFLIGHT)
			return NULL;
		pr = &s->inflight[slot];
		if (pr->path != (int)path ||
		    pr->seq != ntohs(e->icmp.un.echo.sequence))
			return NULL;	/* late: already counted lost */
		return pr;
	}
	return NULL;
}

/* One echo per path of the family; a failing path loses only its own. */
static void send_round(struct family_socket *s, uint16_t seq)
{
	static struct echo echo[MAX_PATHS];
	static union {
		char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr	align;
	} cbuf[MAX_PATHS];
	static union {
		struct sockaddr_in	v4;
		struct sockaddr_in6	v6;
	} to[MAX_PATHS];
	struct timespec now, mono;
	struct mmsghdr msg[MAX_PATHS];
	struct iovec iov[MAX_PATHS];
	int idx[MAX_PATHS], n = 0, off, sent, i;
	unsigned int slot[MAX_PATHS];

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < npaths; i++) {
		struct path *p = &paths[i];
		struct cmsghdr *cm;
		struct probe *pr;

		if (p->tfamily != s->family)
			continue;
		slot[n] = s->next++ % INFLIGHT;
		pr = &s->inflight[slot[n]];
		if (pr->path >= 0)	/* cannot happen: see check_inflight() */
			lose(&paths[pr->path]);
		pr->path = -1;
		memset(&echo[n], 0, sizeof(echo[n]));
		echo[n].icmp.type = s->family == AF_INET ? ICMP_ECHO :
							   ICMP6_ECHO_REQUEST;
		echo[n].icmp.un.echo.id = htons(echo_id);
		echo[n].icmp.un.echo.sequence = htons(seq);
		echo[n].magic = htonl(ECHO_MAGIC);
		echo[n].path = htonl(i);
		echo[n].slot = htonl(slot[n]);
		iov[n].iov_base = &echo[n];
		iov[n].iov_len = sizeof(echo[n]);
		msg[n].msg_hdr.msg_iov = &iov[n];
		msg[n].msg_hdr.msg_iovlen = 1;
		msg[n].msg_hdr.msg_control = cbuf[n].buf;
		memset(&cbuf[n], 0, sizeof(cbuf[n]));
		cm = &cbuf[n].align;
		memset(&to[n], 0, sizeof(to[n]));
		if (s->family == AF_INET) {
			struct in_pktinfo *pi;
			uint32_t sum = 0;
			uint16_t *w = (uint16_t *)&echo[n];

			/* the kernel checksums ICMPv6, not ICMP */
			for (unsigned int k = 0; k < sizeof(echo[n]) / 2; k++)
				sum += w[k];
			sum = (sum >> 16) + (sum & 0xffff);
			sum += sum >> 16;
			echo[n].icmp.checksum = ~sum;
			to[n].v4.sin_family = AF_INET;
			to[n].v4.sin_addr = p->target.v4;
			msg[n].msg_hdr.msg_name = &to[n].v4;
			msg[n].msg_hdr.msg_namelen = sizeof(to[n].v4);
			msg[n].msg_hdr.msg_controllen =
				CMSG_SPACE(sizeof(struct in_pktinfo));
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(*pi));
			pi = (struct in_pktinfo *)CMSG_DATA(cm);
			pi->ipi_ifindex = p->ifindex;
		} else {
			struct in6_pktinfo *pi;

			to[n].v6.sin6_family = AF_INET6;
			to[n].v6.sin6_addr = p->target.v6;
			to[n].v6.sin6_scope_id =
				IN6_IS_ADDR_LINKLOCAL(&p->target.v6) ?
				p->ifindex : 0;
			msg[n].msg_hdr.msg_name = &to[n].v6;
			msg[n].msg_hdr.msg_namelen = sizeof(to[n].v6);
			msg[n].msg_hdr.msg_controllen =
				CMSG_SPACE(sizeof(struct in6_pktinfo));
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(*pi));
			pi = (struct in6_pktinfo *)CMSG_DATA(cm);
			pi->ipi6_ifindex = p->ifindex;
		}
		idx[n++] = i;
	}
	if (!n)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	/* sendmmsg() stops at the first message that fails: that one path
	 * loses its probe, and the rest are sent on
	 */
	for (off = 0; off < n; off += sent) {
		sent = sendmmsg(s->fd, msg + off, n - off, 0);
		for (i = off; i < off + (sent > 0 ? sent : 0); i++) {
			struct probe *pr = &s->inflight[slot[i]];
			struct path *p = &paths[idx[i]];

			pr->path = idx[i];
			pr->seq = seq;
			pr->tx = now;
			pr->tx_mono = mono;
			pr->tx_kernel = false;
			p->sent++;
			if (p->send_error) {
				logmsg("%s: sending again", p->name);
				p->send_error = false;
			}
		}
		if (sent > 0)
			continue;
		if (sent < 0 && errno == EINTR)
			continue;
		i = off;	/* msg[off] failed */
		if (!paths[idx[i]].send_error)
			logmsg("%s: cannot send: %s", paths[idx[i]].name,
			       strerror(errno));
		paths[idx[i]].send_error = true;
		lose(&paths[idx[i]]);
		sent = 1;
	}
}

#define RX_BATCH	16

/* buffers for one recvmmsg() of up to RX_BATCH packets */
struct rx_batch {
	uint8_t		data[RX_BATCH][256];
	union {
		char		buf[512];
		struct cmsghdr	align;
	} ctrl[RX_BATCH];
	struct mmsghdr	msg[RX_BATCH];
	struct iovec	iov[RX_BATCH];
};

/* receive what is there, without waiting; the number of packets */
static int rx_batch_recv(struct rx_batch *b, int fd, int flags)
{
	memset(b->msg, 0, sizeof(b->msg));
	for (int i = 0; i < RX_BATCH; i++) {
		b->iov[i].iov_base = b->data[i];
		b->iov[i].iov_len = sizeof(b->data[i]);
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		b->msg[i].msg_hdr.msg_control = b->ctrl[i].buf;
		b->msg[i].msg_hdr.msg_controllen = sizeof(b->ctrl[i].buf);
	}
	return recvmmsg(fd, b->msg, RX_BATCH, flags | MSG_DONTWAIT, NULL);
}

/* the kernel's send stamps: each comes with a copy of its probe */
static void read_tx_stamps(struct family_socket *s)
{
	static struct rx_batch b;
	struct mmsghdr *msg = b.msg;
	int n;

	for (;;) {
		n = rx_batch_recv(&b, s->fd, MSG_ERRQUEUE);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct scm_timestamping *ts = NULL;
			struct sock_extended_err *ee = NULL;
			struct cmsghdr *cm;
			struct probe *pr;

			for (cm = CMSG_FIRSTHDR(&msg[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&msg[i].msg_hdr, cm)) {
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SCM_TIMESTAMPING)
					ts = (void *)CMSG_DATA(cm);
				else if ((cm->cmsg_level == SOL_IP &&
					  cm->cmsg_type == IP_RECVERR) ||
					 (cm->cmsg_level == SOL_IPV6 &&
					  cm->cmsg_type == IPV6_RECVERR))
					ee = (void *)CMSG_DATA(cm);
			}
			if (!ts || !ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
			    ee->ee_info != SCM_TSTAMP_SCHED || !ts->ts[0].tv_sec)
				continue;
			pr = probe_of(s, b.data[i], msg[i].msg_len,
				      s->family == AF_INET ? ICMP_ECHO :
							     ICMP6_ECHO_REQUEST);
			if (pr && !pr->tx_kernel) {
				pr->tx = ts->ts[0];
				pr->tx_kernel = true;
			}
		}
	}
}

static void read_replies(struct family_socket *s, unsigned long *kernel_rx)
{
	static struct rx_batch b;
	struct mmsghdr *msg = b.msg;
	int n;

	for (;;) {
		n = rx_batch_recv(&b, s->fd, 0);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			const uint8_t *pkt = b.data[i];
			unsigned int len = msg[i].msg_len;
			struct timespec rx = { 0 };
			struct cmsghdr *cm;
			struct probe *pr;
			double rtt;

			if (s->family == AF_INET) {
				const struct iphdr *ip = (const void *)pkt;

				/* a raw IPv4 socket gets the IP header */
				if (len < sizeof(*ip) || ip->ihl < 5 ||
				    len < ip->ihl * 4U)
					continue;
				pkt += ip->ihl * 4;
				len -= ip->ihl * 4;
			}
			if (len < sizeof(struct echo))
				continue;
			pr = probe_of(s, pkt, sizeof(struct echo),
				      s->family == AF_INET ? ICMP_ECHOREPLY :
							     ICMP6_ECHO_REPLY);
			if (!pr)
				continue;
			for (cm = CMSG_FIRSTHDR(&msg[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&msg[i].msg_hdr, cm))
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SCM_TIMESTAMPING)
					rx = ((struct scm_timestamping *)
					      CMSG_DATA(cm))->ts[0];
			if (rx.tv_sec)
				(*kernel_rx)++;
			else
				clock_gettime(CLOCK_REALTIME, &rx);
			rtt = ts_us(&rx, &pr->tx);
			/* a clock step: neither a sample nor a loss */
			if (rtt >= 0)
				sample(&paths[pr->path],
				       rtt > LOWPOWER_RTT_MAX_US ?
				       LOWPOWER_RTT_MAX_US : (uint32_t)rtt);
			pr->path = -1;
		}
	}
}

/* probes unanswered for --timeout are lost; returns how many are left */
static unsigned int expire(struct family_socket *s)
{
	unsigned int left = 0;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned int k = 0; k < INFLIGHT; k++) {
		struct probe *pr = &s->inflight[k];

		if (pr->path < 0)
			continue;
		if (ts_us(&now, &pr->tx_mono) > opt.timeout_ms * 1e3) {
			lose(&paths[pr->path]);
			pr->path = -1;
		} else {
			left++;
		}
	}
	return left;
}

/* more probes in flight than the table holds would be counted lost */
static void check_inflight(void)
{
	unsigned long per_path = opt.timeout_ms / opt.interval_ms + 2;

	for (int f = 0; f < 2; f++) {
		unsigned long n = 0;

		for (int i = 0; i < npaths; i++)
			n += paths[i].tfamily == socks[f].family;
		if (n * per_path > INFLIGHT) {
			fprintf(stderr, "%s: error: %lu paths x --timeout %u / --interval %u: up to %lu probes in flight, more than %d; raise --interval or lower --timeout\n",
				prog, n, opt.timeout_ms, opt.interval_ms,
				n * per_path, INFLIGHT);
			exit(2);
		}
	}
}

static void log_stats(void)
{
	for (int i = 0; i < npaths; i++) {
		struct path *p = &paths[i];

		logmsg("%s: sent %lu, answered %lu, lost %lu, srtt %.3f ms, jitter %.1f %%%s",
		       p->name, p->sent, p->answered, p->lost_total,
		       p->srtt / 1e3, p->jitter * 100.0 / 1024,
		       p->missing ? ", no kernel state" : "");
	}
}

static void on_signal(int sig)
{
	stop = 1;
}

static void timespec_add_us(struct timespec *t, unsigned long us)
{
	t->tv_nsec += (long)(us % 1000000) * 1000;
	t->tv_sec += us / 1000000 + t->tv_nsec / 1000000000;
	t->tv_nsec %= 1000000000;
}

/* receive until @until (CLOCK_MONOTONIC): busy for --busy-poll after
 * @sent, then in poll()
 */
static void receive_until(const struct timespec *until,
			  const struct timespec *sent, struct pollfd *pfd,
			  int nfd, unsigned long *kernel_rx)
{
	struct timespec now, spin_end = *sent;

	timespec_add_us(&spin_end, opt.busy_poll_us > 0 ? opt.busy_poll_us : 0);
	for (;;) {
		double left;

		for (int f = 0; f < 2; f++) {
			if (socks[f].fd < 0)
				continue;
			read_tx_stamps(&socks[f]);
			read_replies(&socks[f], kernel_rx);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ts_us(until, &now);
		if (left <= 0 || stop)
			return;
		if (ts_us(&spin_end, &now) > 0)
			continue;	/* busy polling */
		if (poll(pfd, nfd, left < 1000 ? 1 : (int)(left / 1000)) < 0 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

static void run(void)
{
	unsigned long round = 0, kernel_rx = 0;
	struct timespec next, now, last_stats, sent;
	struct pollfd pfd[2];
	unsigned int left;
	int nfd = 0;

	for (int f = 0; f < 2; f++) {
		for (unsigned int k = 0; k < INFLIGHT; k++)
			socks[f].inflight[k].path = -1;
		if (socks[f].fd >= 0) {
			pfd[nfd].fd = socks[f].fd;
			pfd[nfd].events = POLLIN;
			nfd++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	last_stats = next;
	while (!stop && (!opt.count || round < opt.count)) {
		clock_gettime(CLOCK_MONOTONIC, &sent);
		for (int f = 0; f < 2; f++)
			if (socks[f].fd >= 0)
				send_round(&socks[f], (uint16_t)round);
		round++;
		timespec_add_us(&next, opt.interval_ms * 1000UL);
		receive_until(&next, &sent, pfd, nfd, &kernel_rx);
		for (int f = 0; f < 2; f++)
			if (socks[f].fd >= 0)
				expire(&socks[f]);
		if (round % opt.batch == 0)
			for (int i = 0; i < npaths; i++)
				report(&paths[i]);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (opt.stats_s && ts_us(&now, &last_stats) >= opt.stats_s * 1e6) {
			log_stats();
			last_stats = now;
		}
	}
	/* the last round's replies, up to --timeout, unless stopped */
	while (!stop) {
		left = 0;
		for (int f = 0; f < 2; f++)
			if (socks[f].fd >= 0)
				left += expire(&socks[f]);
		if (!left)
			break;
		clock_gettime(CLOCK_MONOTONIC, &next);
		timespec_add_us(&next, 10000);
		receive_until(&next, &next, pfd, nfd, &kernel_rx);
	}
	for (int i = 0; i < npaths; i++)
		report(&paths[i]);
	log_stats();
	logmsg("%lu rounds, %lu replies with kernel receive timestamps", round,
	       kernel_rx);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "route",	required_argument, NULL, 'r' },
		{ "group",	required_argument, NULL, 'g' },
		{ "target",	required_argument, NULL, 't' },
		{ "interval",	required_argument, NULL, 'i' },
		{ "timeout",	required_argument, NULL, 'w' },
		{ "batch",	required_argument, NULL, 'b' },
		{ "count",	required_argument, NULL, 'c' },
		{ "stats",	required_argument, NULL, 's' },
		{ "busy-poll",	required_argument, NULL, 'B' },
		{ "cpu",	required_argument, NULL, 'C' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ }
	};
	const char *routes[MAX_PATHS], *groups[MAX_PATHS];
	int nroutes = 0, ngroups = 0, c;
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = SA_RESTART };

	while ((c = getopt_long(argc, argv, "r:g:t:i:w:b:c:s:B:C:nvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nroutes == MAX_PATHS)
				bad_usage("more than %d --route", MAX_PATHS);
			routes[nroutes++] = optarg;
			break;
		case 'g':
			if (ngroups == MAX_PATHS)
				bad_usage("more than %d --group", MAX_PATHS);
			groups[ngroups++] = optarg;
			break;
		case 't':
			opt.target_family = parse_addr(optarg, &opt.target);
			if (!opt.target_family) {
				fprintf(stderr, "%s: error: --target: '%s' is not an IPv4 or IPv6 address\n",
					prog, optarg);
				exit(2);
			}
			break;
		case 'i':
			opt.interval_ms = parse_num("--interval", optarg, 1, 60000);
			break;
		case 'w':
			opt.timeout_ms = parse_num("--timeout", optarg, 1, 60000);
			break;
		case 'b':
			opt.batch = parse_num("--batch", optarg, 1, 50);
			break;
		case 'c':
			opt.count = parse_num("--count", optarg, 1, ULONG_MAX);
			break;
		case 's':
			opt.stats_s = parse_num("--stats", optarg, 0, 86400);
			break;
		case 'B':
			opt.busy_poll_us = parse_num("--busy-poll", optarg, 0,
						     1000000);
			break;
		case 'C':
			opt.cpu = parse_num("--cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'n':
			opt.dry_run = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: error: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(2);
	}
	if (!nroutes && !ngroups) {
		fprintf(stderr, "%s: error: nothing to probe: give --route or --group\n",
			prog);
		usage(2);
	}

	rtnl = nl_open(NETLINK_ROUTE);
	for (int i = 0; i < nroutes; i++)
		add_route(routes[i]);
	for (int i = 0; i < ngroups; i++) {
		char from[32];

		snprintf(from, sizeof(from), "--group %s", groups[i]);
		add_group(parse_num("--group", groups[i], 1, UINT32_MAX), from);
	}

	genl = nl_open(NETLINK_GENERIC);
	genl_resolve();
	for (int i = 0; i < npaths; i++)
		if (!link_known(&paths[i]))
			die("%s: the kernel keeps no lowpower state for this link (is it a nexthop of a multipath route or group?)",
			    paths[i].name);
	if (!opt.dry_run)
		check_feed_permission(&paths[0]);

	check_inflight();
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			die("--cpu %d: %s", opt.cpu, strerror(errno));
	}
	echo_id = getpid() & 0xffff;
	for (int i = 0; i < npaths; i++)
		if (socks[paths[i].tfamily == AF_INET6].fd < 0)
			open_socket(&socks[paths[i].tfamily == AF_INET6]);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < npaths; i++)
		logmsg("probing %s (target %s)%s", paths[i].name,
		       inet_ntop(paths[i].tfamily, &paths[i].target,
				 (char[INET6_ADDRSTRLEN]){ 0 }, INET6_ADDRSTRLEN),
		       opt.dry_run ? ", dry run" : "");
	run();
	return 0;
}

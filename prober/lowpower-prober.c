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
};

struct probe {
	int		path;		/* -1: free */
	uint16_t	seq;
	struct timespec	tx;
	bool		tx_kernel;	/* @tx is the kernel's timestamp */
};

struct family_socket {
	int		fd;
	int		family;
	uint32_t	tskey;		/* SOF_TIMESTAMPING_OPT_ID of the next send */
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

static void __attribute__((noreturn)) usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f,
"Usage: %s [OPTION]... (--route PREFIX | --group ID)...\n"
"Probe each nexthop of the given multipath routes and nexthop groups with\n"
"ICMP echo and feed RTT samples and losses to the kernel's lowpower state.\n"
"\n"
"  -r, --route PREFIX     the route to PREFIX (main table; as `ip route get\n"
"                         fibmatch` finds it); repeatable\n"
"  -g, --group ID         the members of nexthop group ID; repeatable\n"
"  -t, --target ADDR      probe ADDR through each nexthop's device instead\n"
"                         of the nexthop's gateway\n"
"  -i, --interval MS      between probe rounds (1..60000, default 100)\n"
"  -w, --timeout MS       a probe unanswered this long is lost\n"
"                         (1..60000, default 1000)\n"
"  -b, --batch N          rounds per report to the kernel (1..50, default 5)\n"
"  -c, --count N          stop after N rounds (default: until SIGINT/SIGTERM)\n"
"  -s, --stats S          log each path's figures every S seconds\n"
"                         (0: never; default 10)\n"
"  -B, --busy-poll USEC   busy-poll the sockets (SO_BUSY_POLL)\n"
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
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "%s: error: %s: '%s' is not a number in %lu..%lu\n",
			prog, what, s, min, max);
		exit(2);
	}
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
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
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
		for (int i = 0; i < n && nh->nmembers < MAX_PATHS; i++)
			nh->members[nh->nmembers++] = g[i].id;
		return MNL_CB_OK;
	}
	if (tb[NHA_OIF])
		nh->ifindex = mnl_attr_get_u32(tb[NHA_OIF]);
	if (tb[NHA_GATEWAY]) {
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
	if (gw) {
		*gwfam = family;
		memcpy(addr, mnl_attr_get_payload(gw), family == AF_INET ? 4 : 16);
	} else if (via) {
		const struct rtvia *v = mnl_attr_get_payload(via);

		*gwfam = v->rtvia_family;
		memcpy(addr, v->rtvia_addr, *gwfam == AF_INET ? 4 : 16);
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
		die("--route: '%s' is not an IPv4 or IPv6 prefix", prefix);
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
		die("the kernel has no '%s' netlink family (%s): is it built with the lowpower series?",
		    LOWPOWER_FAMILY_NAME, strerror(errno));
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
	 * queue, and so must a probe's
	 */
	int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
		    SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_OPT_ID |
		    SOF_TIMESTAMPING_OPT_TSONLY;

	s->fd = socket(s->family, SOCK_RAW | SOCK_NONBLOCK,
		       s->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (s->fd < 0)
		die("ICMP%s socket: %s%s", s->family == AF_INET ? "" : "v6",
		    strerror(errno),
		    errno == EPERM ? " (probing needs CAP_NET_RAW)" : "");
	if (s->family == AF_INET) {
		uint32_t f = ~(1U << ICMP_ECHOREPLY);	/* struct icmp_filter */

		setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
		       sizeof(flags)) < 0)
		die("SO_TIMESTAMPING: %s", strerror(errno));
	if (opt.busy_poll_us >= 0 &&
	    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL, &opt.busy_poll_us,
		       sizeof(opt.busy_poll_us)) < 0)
		die("SO_BUSY_POLL: %s", strerror(errno));
}

struct echo {
	struct icmphdr	icmp;	/* same layout as the ICMPv6 echo header */
	uint32_t	magic;
	uint32_t	path;
	uint8_t		pad[PAYLOAD - 8];
};

#define ECHO_MAGIC	0x6c70776eU	/* "lpwn" */

static void send_round(struct family_socket *s, uint16_t seq)
{
	static struct echo echo[MAX_PATHS];
	static char cbuf[MAX_PATHS][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	static union {
		struct sockaddr_in	v4;
		struct sockaddr_in6	v6;
	} to[MAX_PATHS];
	struct mmsghdr msg[MAX_PATHS];
	struct iovec iov[MAX_PATHS];
	int idx[MAX_PATHS], n = 0, sent, i;
	struct timespec now;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < npaths; i++) {
		struct path *p = &paths[i];
		struct cmsghdr *cm;

		if (p->tfamily != s->family)
			continue;
		memset(&echo[n], 0, sizeof(echo[n]));
		echo[n].icmp.type = s->family == AF_INET ? ICMP_ECHO :
							   ICMP6_ECHO_REQUEST;
		echo[n].icmp.un.echo.id = htons(echo_id);
		echo[n].icmp.un.echo.sequence = htons(seq);
		echo[n].magic = htonl(ECHO_MAGIC);
		echo[n].path = htonl(i);
		iov[n].iov_base = &echo[n];
		iov[n].iov_len = sizeof(echo[n]);
		msg[n].msg_hdr.msg_iov = &iov[n];
		msg[n].msg_hdr.msg_iovlen = 1;
		msg[n].msg_hdr.msg_control = cbuf[n];
		memset(cbuf[n], 0, sizeof(cbuf[n]));
		cm = (struct cmsghdr *)cbuf[n];
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
	sent = sendmmsg(s->fd, msg, n, 0);
	if (sent < 0) {
		logmsg("sendmmsg: %s", strerror(errno));
		sent = 0;
	}
	for (i = 0; i < n; i++) {
		struct path *p = &paths[idx[i]];
		struct probe *pr = &s->inflight[s->tskey % INFLIGHT];

		if (i >= sent) {
			/* not sent: counts as lost, so that a dead path shows */
			lose(p);
			continue;
		}
		if (pr->path >= 0)
			lose(&paths[pr->path]);
		pr->path = idx[i];
		pr->seq = seq;
		pr->tx = now;
		pr->tx_kernel = false;
		p->sent++;
		s->tskey++;
	}
}

/* the kernel's send timestamps, keyed by SOF_TIMESTAMPING_OPT_ID */
static void read_tx_stamps(struct family_socket *s)
{
	char data[256], ctrl[16][512];
	struct mmsghdr msg[16];
	struct iovec iov[16];
	int n;

	for (;;) {
		memset(msg, 0, sizeof(msg));
		for (int i = 0; i < 16; i++) {
			iov[i].iov_base = data;
			iov[i].iov_len = sizeof(data);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctrl[i];
			msg[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(s->fd, msg, 16, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct scm_timestamping *ts = NULL;
			struct sock_extended_err *ee = NULL;
			struct cmsghdr *cm;

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
			if (ts && ee && ee->ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
			    ee->ee_info == SCM_TSTAMP_SCHED) {
				struct probe *pr = &s->inflight[ee->ee_data % INFLIGHT];

				if (pr->path >= 0 && !pr->tx_kernel &&
				    ts->ts[0].tv_sec) {
					pr->tx = ts->ts[0];
					pr->tx_kernel = true;
				}
			}
		}
	}
}

static void read_replies(struct family_socket *s, unsigned long *kernel_rx)
{
	char data[16][256], ctrl[16][256];
	struct mmsghdr msg[16];
	struct iovec iov[16];
	int n;

	for (;;) {
		memset(msg, 0, sizeof(msg));
		for (int i = 0; i < 16; i++) {
			iov[i].iov_base = data[i];
			iov[i].iov_len = sizeof(data[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctrl[i];
			msg[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(s->fd, msg, 16, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			const char *pkt = data[i];
			unsigned int len = msg[i].msg_len, path;
			struct timespec rx = { 0 };
			const struct echo *e;
			struct cmsghdr *cm;
			struct probe *pr;
			double rtt;

			if (s->family == AF_INET) {
				const struct iphdr *ip = (const void *)pkt;

				if (len < sizeof(*ip) || len < ip->ihl * 4U)
					continue;
				pkt += ip->ihl * 4;
				len -= ip->ihl * 4;
			}
			if (len < sizeof(*e))
				continue;
			e = (const void *)pkt;
			if (ntohs(e->icmp.un.echo.id) != echo_id ||
			    ntohl(e->magic) != ECHO_MAGIC)
				continue;
			path = ntohl(e->path);
			if (path >= (unsigned int)npaths)
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
			/* find the probe: the same path and sequence */
			pr = NULL;
			for (unsigned int k = 0; k < INFLIGHT; k++) {
				struct probe *c = &s->inflight[k];

				if (c->path == (int)path &&
				    c->seq == ntohs(e->icmp.un.echo.sequence)) {
					pr = c;
					break;
				}
			}
			if (!pr)
				continue;	/* late: already counted lost */
			rtt = ts_us(&rx, &pr->tx);
			pr->path = -1;
			if (rtt < 0)
				rtt = 0;
			if (rtt > LOWPOWER_RTT_MAX_US)
				rtt = LOWPOWER_RTT_MAX_US;
			sample(&paths[path], (uint32_t)rtt);
		}
	}
}

static void expire(struct family_socket *s, const struct timespec *now)
{
	for (unsigned int k = 0; k < INFLIGHT; k++) {
		struct probe *pr = &s->inflight[k];

		if (pr->path >= 0 && ts_us(now, &pr->tx) > opt.timeout_ms * 1e3) {
			lose(&paths[pr->path]);
			pr->path = -1;
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

static void timespec_add_ms(struct timespec *t, unsigned int ms)
{
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	t->tv_sec += ms / 1000 + t->tv_nsec / 1000000000;
	t->tv_nsec %= 1000000000;
}

static void run(void)
{
	unsigned long round = 0, kernel_rx = 0;
	struct timespec next, now, last_stats;
	struct pollfd pfd[2];
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
		for (int f = 0; f < 2; f++)
			if (socks[f].fd >= 0)
				send_round(&socks[f], (uint16_t)round);
		round++;
		timespec_add_ms(&next, opt.interval_ms);
		for (;;) {
			int wait;

			clock_gettime(CLOCK_MONOTONIC, &now);
			wait = (int)(ts_us(&next, &now) / 1000);
			if (ts_us(&next, &now) <= 0 || stop)
				break;
			if (poll(pfd, nfd, wait ? wait : 1) < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
			for (int f = 0; f < 2; f++) {
				if (socks[f].fd < 0)
					continue;
				read_tx_stamps(&socks[f]);
				read_replies(&socks[f], &kernel_rx);
			}
		}
		clock_gettime(CLOCK_REALTIME, &now);
		for (int f = 0; f < 2; f++)
			if (socks[f].fd >= 0)
				expire(&socks[f], &now);
		if (round % opt.batch == 0 || stop ||
		    (opt.count && round == opt.count))
			for (int i = 0; i < npaths; i++)
				report(&paths[i]);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (opt.stats_s && ts_us(&now, &last_stats) >= opt.stats_s * 1e6) {
			log_stats();
			last_stats = now;
		}
	}
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
	struct sigaction sa = { .sa_handler = on_signal };

	while ((c = getopt_long(argc, argv, "r:g:t:i:w:b:c:s:B:C:nvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nroutes == MAX_PATHS)
				die("too many --route");
			routes[nroutes++] = optarg;
			break;
		case 'g':
			if (ngroups == MAX_PATHS)
				die("too many --group");
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

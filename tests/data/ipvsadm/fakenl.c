/* LD_PRELOAD shim used only to record fixtures: it answers Debian ipvsadm 1.31's
 * generic-netlink requests (made through libnl-3) from a built-in table, so that the
 * real binary prints IPv6, fwmark-IPv6, persistence-engine, GUE/GRE tunnel and 64-bit
 * statistics listings that the sockopt interface (fakeipvs.c) cannot carry. It replaces
 * the libnl entry points ipvsadm calls (genl_connect, genl_ctrl_resolve,
 * nl_socket_modify_cb, nl_socket_modify_err_cb, nl_send_auto_complete,
 * nl_recvmsgs_default) and builds replies with libnl's own message functions, laid out
 * as the kernel's ip_vs_genl_fill_* functions lay them out (attribute numbers from
 * /usr/include/linux/ip_vs.h).
 *
 *   FAKE_IPVS_ERRNO=N  every NEW/SET/DEL/ZERO/FLUSH/daemon command fails with errno N
 *
 * Build: gcc -shared -fPIC -o /tmp/fakenl.so fakenl.c /lib/x86_64-linux-gnu/libnl-3.so.200
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>

struct nl_msg; struct nl_sock; struct nlattr;
extern struct nl_msg *nlmsg_alloc(void);
extern void nlmsg_free(struct nl_msg *);
extern struct nlmsghdr *nlmsg_hdr(struct nl_msg *);
extern void *genlmsg_put(struct nl_msg *, uint32_t, uint32_t, int, int, int, uint8_t, uint8_t);
extern struct nlattr *nla_nest_start(struct nl_msg *, int);
extern int nla_nest_end(struct nl_msg *, struct nlattr *);
extern int nla_put(struct nl_msg *, int, int, const void *);

typedef int (*valid_cb)(struct nl_msg *, void *);
typedef int (*err_cb)(void *, struct nlmsgerr *, void *);
static valid_cb vcb; static void *varg;
static err_cb ecb; static void *earg;
static unsigned char req[8192]; static int reqlen;
#define FAMILY 0x42

struct fdest { int af; const char *addr; int port; unsigned fwd; int weight; unsigned ut, lt, ac, ic, pc;
	       int tun_type, tun_port, tun_flags; unsigned long long conns, inbytes; };
struct fsvc { int af, proto; const char *addr; int port; unsigned fwmark; const char *sched, *pe;
	      unsigned flags, timeout, netmask; unsigned long long conns, inbytes, inbps;
	      int ndests; struct fdest d[5]; };

static struct fsvc table[] = {
	{ AF_INET6, IPPROTO_TCP, "2001:db8::10", 80, 0, "wrr", "sip", IP_VS_SVC_F_PERSISTENT, 600, 64,
	  1, 2, 3, 2, {
	  { AF_INET6, "2001:db8::2", 80, IP_VS_CONN_F_DROUTE, 5, 0, 0, 1, 2, 3, 0, 0, 0, 10, 20 },
	  { AF_INET6, "2001:db8::1", 8080, IP_VS_CONN_F_MASQ, 1, 50, 5, 0, 0, 0, 0, 0, 0, 0, 0 } } },
	{ AF_INET, IPPROTO_UDP, "127.0.0.20", 53, 0, "rr", NULL, IP_VS_SVC_F_ONEPACKET, 0, 0xffffffff,
	  0, 0, 0, 4, {
	  { AF_INET, "127.0.0.21", 53, IP_VS_CONN_F_TUNNEL, 1, 0, 0, 0, 0, 0, 1, 6080, 1, 0, 0 },
	  { AF_INET, "127.0.0.22", 53, IP_VS_CONN_F_TUNNEL, 2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0 },
	  { AF_INET, "127.0.0.23", 53, IP_VS_CONN_F_TUNNEL, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	  { AF_INET6, "2001:db8::5", 53, IP_VS_CONN_F_TUNNEL, 4, 0, 0, 0, 0, 0, 1, 7000, 2, 0, 0 } } },
	{ AF_INET6, 0, "::", 0, 9, "sh", NULL, IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED2, 300, 128,
	  0, 0, 0, 1, {
	  { AF_INET6, "2001:db8::9", 0, IP_VS_CONN_F_DROUTE, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } } },
	{ AF_INET, 0, "0.0.0.0", 0, 4294967295u, "lc", NULL, IP_VS_SVC_F_SCHED3, 0, 0xffffffff,
	  0, 0, 0, 0, { { 0 } } },
	{ AF_INET, IPPROTO_SCTP, "127.0.0.30", 5000, 0, "lc", NULL, 0, 0, 0xffffffff,
	  5000000000ULL, 9000000000000ULL, 5000000000ULL, 2, {
	  { AF_INET, "127.0.0.31", 5000, IP_VS_CONN_F_BYPASS, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4294967297ULL, 4294967296ULL },
	  { AF_INET, "127.0.0.32", 5000, IP_VS_CONN_F_LOCALNODE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 } } },
	{ AF_INET, IPPROTO_TCP, "10.0.0.1", 80, 0, "wlc", NULL, 0, 0, 0xffffffff, 0, 0, 0, 2, {
	  { AF_INET, "10.0.0.2", 80, IP_VS_CONN_F_MASQ, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	  { AF_INET, "200.0.0.2", 80, IP_VS_CONN_F_MASQ, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } } },
	{ AF_INET, IPPROTO_TCP, "200.0.0.1", 80, 0, "wlc", NULL, 0, 0, 0xffffffff, 0, 0, 0, 0, { { 0 } } },
	{ AF_INET, IPPROTO_TCP, "127.0.0.1", 80, 0, "wlc", NULL, 0, 0, 0xffffffff, 0, 0, 0, 0, { { 0 } } },
	{ AF_INET, IPPROTO_TCP, "127.0.0.1", 8080, 0, "wlc", NULL, 0, 0, 0xffffffff, 0, 0, 0, 0, { { 0 } } },
};
#define NSVC ((int)(sizeof(table) / sizeof(table[0])))

static void put(struct nl_msg *m, int t, int len, const void *d) { nla_put(m, t, len, d); }
static void put32(struct nl_msg *m, int t, uint32_t v) { put(m, t, 4, &v); }
static void put16(struct nl_msg *m, int t, uint16_t v) { put(m, t, 2, &v); }
static void put64(struct nl_msg *m, int t, uint64_t v) { put(m, t, 8, &v); }
static void putaddr(struct nl_msg *m, int t, int af, const char *a)
{ unsigned char b[16] = { 0 }; inet_pton(af, a, b); put(m, t, 16, b); }

static void putstats(struct nl_msg *m, int t, int wide, uint64_t conns, uint64_t inbytes, uint64_t inbps)
{
	uint64_t v[10] = { conns, 7, 8, inbytes, 1, 2, 3, 4, inbps, 6 };
	struct nlattr *n = nla_nest_start(m, t);
	for (int i = 0; i < 10; i++) {
		if (wide) put64(m, i + 1, v[i]);
		else if (i == 3 || i == 4) put64(m, i + 1, v[i]);
		else put32(m, i + 1, (uint32_t)v[i]);
	}
	nla_nest_end(m, n);
}

static struct nl_msg *reply(int cmd)
{ struct nl_msg *m = nlmsg_alloc(); genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, 1); return m; }

static void deliver(struct nl_msg *m) { vcb(m, varg); nlmsg_free(m); }

static void fill_svc(struct nl_msg *m, const struct fsvc *s)
{
	struct ip_vs_flags fl = { s->flags | IP_VS_SVC_F_HASHED, ~0u };
	struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
	put16(m, IPVS_SVC_ATTR_AF, s->af);
	if (s->fwmark) put32(m, IPVS_SVC_ATTR_FWMARK, s->fwmark);
	else {
		put16(m, IPVS_SVC_ATTR_PROTOCOL, s->proto);
		putaddr(m, IPVS_SVC_ATTR_ADDR, s->af, s->addr);
		put16(m, IPVS_SVC_ATTR_PORT, htons(s->port));
	}
	put(m, IPVS_SVC_ATTR_SCHED_NAME, strlen(s->sched) + 1, s->sched);
	if (s->pe) put(m, IPVS_SVC_ATTR_PE_NAME, strlen(s->pe) + 1, s->pe);
	put(m, IPVS_SVC_ATTR_FLAGS, sizeof(fl), &fl);
	put32(m, IPVS_SVC_ATTR_TIMEOUT, s->timeout);
	put32(m, IPVS_SVC_ATTR_NETMASK, s->af == AF_INET ? htonl(s->netmask) : s->netmask);
	putstats(m, IPVS_SVC_ATTR_STATS, 0, s->conns, s->inbytes, s->inbps);
	putstats(m, IPVS_SVC_ATTR_STATS64, 1, s->conns, s->inbytes, s->inbps);
	nla_nest_end(m, n);
}

/* Walks the request's nested service attribute; returns the matching table entry. */
static const struct fsvc *requested(void)
{
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	unsigned char *p = req + NLMSG_HDRLEN + GENL_HDRLEN, *end = req + h->nlmsg_len;
	int af = 0, proto = 0, port = 0; unsigned fwmark = 0; unsigned char addr[16] = { 0 };
	while (p + 4 <= end) {
		struct nlattr { uint16_t len, type; } *a = (void *)p;
		if (a->len < 4) break;
		if ((a->type & 0x3fff) == IPVS_CMD_ATTR_SERVICE) {
			unsigned char *q = p + 4, *qe = p + a->len;
			while (q + 4 <= qe) {
				struct nlattr *b = (void *)q; void *d = q + 4;
				if (b->len < 4) break;
				switch (b->type & 0x3fff) {
				case IPVS_SVC_ATTR_AF: af = *(uint16_t *)d; break;
				case IPVS_SVC_ATTR_PROTOCOL: proto = *(uint16_t *)d; break;
				case IPVS_SVC_ATTR_ADDR: memcpy(addr, d, 16); break;
				case IPVS_SVC_ATTR_PORT: port = ntohs(*(uint16_t *)d); break;
				case IPVS_SVC_ATTR_FWMARK: fwmark = *(uint32_t *)d; break;
				}
				q += NLA_ALIGN(b->len);
			}
		}
		p += NLA_ALIGN(a->len);
	}
	for (int i = 0; i < NSVC; i++) {
		const struct fsvc *s = &table[i];
		unsigned char sa[16] = { 0 };
		inet_pton(s->af, s->addr, sa);
		if (s->af != af) continue;
		if (fwmark ? s->fwmark == fwmark
			   : (!s->fwmark && s->proto == proto && s->port == port && !memcmp(sa, addr, 16)))
			return s;
	}
	return NULL;
}

static int fail(int e)
{
	struct nlmsgerr err = { .error = -e };
	ecb(NULL, &err, earg);
	return -1;
}

int genl_connect(struct nl_sock *s) { (void)s; return 0; }
int genl_ctrl_resolve(struct nl_sock *s, const char *n) { (void)s; (void)n; return FAMILY; }
int nl_socket_modify_cb(struct nl_sock *s, int type, int kind, valid_cb f, void *a)
{ (void)s; (void)kind; if (type == 0) { vcb = f; varg = a; } return 0; }
int nl_socket_modify_err_cb(struct nl_sock *s, int kind, err_cb f, void *a)
{ (void)s; (void)kind; ecb = f; earg = a; return 0; }
int nl_send_auto_complete(struct nl_sock *s, struct nl_msg *m)
{
	(void)s;
	struct nlmsghdr *h = nlmsg_hdr(m);
	reqlen = h->nlmsg_len < sizeof(req) ? h->nlmsg_len : sizeof(req);
	memcpy(req, h, reqlen);
	return reqlen;
}

int nl_recvmsgs_default(struct nl_sock *s)
{
	(void)s;
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	int cmd = req[NLMSG_HDRLEN];
	const char *e = getenv("FAKE_IPVS_ERRNO");
	struct nl_msg *m;
	switch (cmd) {
	case IPVS_CMD_GET_INFO:
		m = reply(IPVS_CMD_SET_INFO);
		put32(m, IPVS_INFO_ATTR_VERSION, (1 << 16) | (2 << 8) | 1);
		put32(m, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
		deliver(m);
		return 0;
	case IPVS_CMD_GET_SERVICE:
		if (h->nlmsg_flags & NLM_F_DUMP) {
			for (int i = 0; i < NSVC; i++) {
				m = reply(IPVS_CMD_NEW_SERVICE); fill_svc(m, &table[i]); deliver(m);
			}
			return 0;
		} else {
			const struct fsvc *sv = requested();
			if (!sv) return fail(ESRCH);
			m = reply(IPVS_CMD_NEW_SERVICE); fill_svc(m, sv); deliver(m);
			return 0;
		}
	case IPVS_CMD_GET_DEST: {
		const struct fsvc *sv = requested();
		if (!sv) return fail(ESRCH);
		for (int i = 0; i < sv->ndests; i++) {
			const struct fdest *d = &sv->d[i];
			m = reply(IPVS_CMD_NEW_DEST);
			struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
			putaddr(m, IPVS_DEST_ATTR_ADDR, d->af, d->addr);
			put16(m, IPVS_DEST_ATTR_PORT, htons(d->port));
			put32(m, IPVS_DEST_ATTR_FWD_METHOD, d->fwd);
			put32(m, IPVS_DEST_ATTR_WEIGHT, d->weight);
			unsigned char tt = d->tun_type;
			put(m, IPVS_DEST_ATTR_TUN_TYPE, 1, &tt);
			put16(m, IPVS_DEST_ATTR_TUN_PORT, htons(d->tun_port));
			put16(m, IPVS_DEST_ATTR_TUN_FLAGS, d->tun_flags);
			put32(m, IPVS_DEST_ATTR_U_THRESH, d->ut);
			put32(m, IPVS_DEST_ATTR_L_THRESH, d->lt);
			put32(m, IPVS_DEST_ATTR_ACTIVE_CONNS, d->ac);
			put32(m, IPVS_DEST_ATTR_INACT_CONNS, d->ic);
			put32(m, IPVS_DEST_ATTR_PERSIST_CONNS, d->pc);
			put16(m, IPVS_DEST_ATTR_ADDR_FAMILY, d->af);
			putstats(m, IPVS_DEST_ATTR_STATS, 0, d->conns, d->inbytes, 9);
			putstats(m, IPVS_DEST_ATTR_STATS64, 1, d->conns, d->inbytes, 9);
			nla_nest_end(m, n);
			deliver(m);
		}
		return 0; }
	case IPVS_CMD_GET_CONFIG:
		m = reply(IPVS_CMD_SET_CONFIG);
		put32(m, IPVS_CMD_ATTR_TIMEOUT_TCP, 900);
		put32(m, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 120);
		put32(m, IPVS_CMD_ATTR_TIMEOUT_UDP, 300);
		deliver(m);
		return 0;
	case IPVS_CMD_GET_DAEMON: {
		struct nlattr *n;
		m = reply(IPVS_CMD_NEW_DAEMON);
		n = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
		put32(m, IPVS_DAEMON_ATTR_STATE, IP_VS_STATE_MASTER);
		put(m, IPVS_DAEMON_ATTR_MCAST_IFN, 5, "eth0");
		put32(m, IPVS_DAEMON_ATTR_SYNC_ID, 1);
		put16(m, IPVS_DAEMON_ATTR_SYNC_MAXLEN, 1472);
		put32(m, IPVS_DAEMON_ATTR_MCAST_GROUP, inet_addr("224.0.0.81"));
		put16(m, IPVS_DAEMON_ATTR_MCAST_PORT, 8848);
		{ unsigned char ttl = 1; put(m, IPVS_DAEMON_ATTR_MCAST_TTL, 1, &ttl); }
		nla_nest_end(m, n);
		deliver(m);
		m = reply(IPVS_CMD_NEW_DAEMON);
		n = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
		put32(m, IPVS_DAEMON_ATTR_STATE, IP_VS_STATE_BACKUP);
		put(m, IPVS_DAEMON_ATTR_MCAST_IFN, 5, "eth1");
		put32(m, IPVS_DAEMON_ATTR_SYNC_ID, 2);
		put16(m, IPVS_DAEMON_ATTR_SYNC_MAXLEN, 1400);
		{ unsigned char g[16]; inet_pton(AF_INET6, "ff02::1", g); put(m, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, g); }
		put16(m, IPVS_DAEMON_ATTR_MCAST_PORT, 8849);
		{ unsigned char ttl = 2; put(m, IPVS_DAEMON_ATTR_MCAST_TTL, 1, &ttl); }
		nla_nest_end(m, n);
		deliver(m);
		return 0; }
	default:
		if (e && atoi(e)) return fail(atoi(e));
		return 0;
	}
}

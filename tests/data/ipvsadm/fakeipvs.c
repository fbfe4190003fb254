/* LD_PRELOAD shim used only to record fixtures from Debian's ipvsadm 1.31 on a host whose
 * kernel has no IPVS: it answers the IPVS setsockopt/getsockopt interface
 * (IP_VS_SO_*, /usr/include/linux/ip_vs.h) from a small built-in table, so that the real
 * binary gets past ipvs_init() and prints its own argument errors, listings and
 * error texts. Netlink resolution of the "IPVS" family fails on such a host, so libipvs
 * falls back to sockopt by itself.
 *
 * Environment:
 *   FAKE_IPVS_TABLE=1   serve the table below (otherwise the table is empty)
 *   FAKE_IPVS_ERRNO=N   every IP_VS_SO_SET_* call fails with errno N
 *   FAKE_IPVS_CONN=F    ipvsadm -c reads F instead of /proc/net/ip_vs_conn
 *
 * Build: gcc -shared -fPIC -o fakeipvs.so fakeipvs.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/ip_vs.h>

struct fdest { const char *addr; int port; unsigned flags; int weight; unsigned ut, lt, ac, ic, pc;
	       unsigned long long conns, inbytes; };
struct fsvc { int proto; const char *addr; int port; unsigned fwmark; const char *sched;
	      unsigned flags, timeout; const char *mask; unsigned long long conns, inpkts, inbytes, cps;
	      int ndests; struct fdest dests[3]; };

static struct fsvc table[] = {
	{ IPPROTO_UDP, "127.0.0.10", 53, 0, "rr", IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET,
	  300, "255.255.255.0", 5, 6, 700, 1, 1,
	  { { "127.0.0.11", 53, IP_VS_CONN_F_MASQ, 2, 0, 0, 0, 4, 9, 5, 700 } } },
	{ 0, "0.0.0.0", 0, 7, "sh", IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2, 0, "255.255.255.255",
	  0, 0, 0, 0, 1, { { "127.0.0.4", 0, IP_VS_CONN_F_TUNNEL, 1, 0, 0, 0, 0, 0, 0, 0 } } },
	{ IPPROTO_TCP, "127.0.0.1", 80, 0, "wrr", 0, 0, "255.255.255.255",
	  123456789ULL, 2000000000ULL, 150000000000000ULL, 42, 3,
	  { { "127.0.0.3", 8080, IP_VS_CONN_F_MASQ, 3, 100, 10, 7, 8, 0, 99999999ULL, 1000000000000ULL },
	    { "127.0.0.2", 80, IP_VS_CONN_F_DROUTE, 1, 0, 0, 1, 2, 0, 100000000ULL, 123 },
	    { "127.0.0.2", 79, IP_VS_CONN_F_LOCALNODE, 0, 0, 0, 0, 0, 0, 0, 0 } } },
	{ IPPROTO_TCP, "127.0.0.1", 22, 0, "mh", IP_VS_SVC_F_SCHED1, 0, "255.255.255.255",
	  0, 0, 0, 0, 0, { { 0 } } },
};
#define NSVC ((int)(sizeof(table) / sizeof(table[0])))

static int use_table(void) { const char *t = getenv("FAKE_IPVS_TABLE"); return t && *t == '1'; }
static int nsvc(void) { return use_table() ? NSVC : 0; }

static void fill_svc(struct ip_vs_service_entry *e, const struct fsvc *s)
{
	memset(e, 0, sizeof(*e));
	e->protocol = s->proto;
	e->addr = inet_addr(s->addr);
	e->port = htons(s->port);
	e->fwmark = s->fwmark;
	strcpy(e->sched_name, s->sched);
	e->flags = s->flags | IP_VS_SVC_F_HASHED;
	e->timeout = s->timeout;
	e->netmask = inet_addr(s->mask);
	e->num_dests = s->ndests;
	e->stats.conns = s->conns; e->stats.inpkts = s->inpkts; e->stats.outpkts = s->inpkts / 2;
	e->stats.inbytes = s->inbytes; e->stats.outbytes = s->inbytes * 3;
	e->stats.cps = s->cps; e->stats.inpps = 2; e->stats.outpps = 3;
	e->stats.inbps = 123456789; e->stats.outbps = 4;
}

static const struct fsvc *find(unsigned proto, unsigned addr, unsigned port, unsigned fwmark)
{
	for (int i = 0; i < nsvc(); i++) {
		const struct fsvc *s = &table[i];
		if (fwmark ? s->fwmark == fwmark
			   : (!s->fwmark && (unsigned)s->proto == proto && inet_addr(s->addr) == addr &&
			      htons(s->port) == port))
			return s;
	}
	return NULL;
}

int getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);
	if (level != IPPROTO_IP || opt < IP_VS_SO_GET_VERSION || opt > IP_VS_SO_GET_MAX) {
		if (!real) real = dlsym(RTLD_NEXT, "getsockopt");
		return real(fd, level, opt, val, len);
	}
	switch (opt) {
	case IP_VS_SO_GET_INFO: {
		struct ip_vs_getinfo *i = val;
		i->version = (1 << 16) | (2 << 8) | 1;
		i->size = 4096;
		i->num_services = nsvc();
		return 0; }
	case IP_VS_SO_GET_SERVICES: {
		struct ip_vs_get_services *g = val;
		for (int i = 0; i < nsvc(); i++) fill_svc(&g->entrytable[i], &table[i]);
		g->num_services = nsvc();
		return 0; }
	case IP_VS_SO_GET_SERVICE: {
		struct ip_vs_service_entry *e = val;
		const struct fsvc *s = find(e->protocol, e->addr, e->port, e->fwmark);
		if (!s) { errno = ESRCH; return -1; }
		fill_svc(e, s);
		return 0; }
	case IP_VS_SO_GET_DESTS: {
		struct ip_vs_get_dests *g = val;
		const struct fsvc *s = find(g->protocol, g->addr, g->port, g->fwmark);
		if (!s) { errno = ESRCH; return -1; }
		for (int i = 0; i < s->ndests; i++) {
			struct ip_vs_dest_entry *d = &g->entrytable[i];
			const struct fdest *f = &s->dests[i];
			memset(d, 0, sizeof(*d));
			d->addr = inet_addr(f->addr); d->port = htons(f->port);
			d->conn_flags = f->flags; d->weight = f->weight;
			d->u_threshold = f->ut; d->l_threshold = f->lt;
			d->activeconns = f->ac; d->inactconns = f->ic; d->persistconns = f->pc;
			d->stats.conns = f->conns; d->stats.inbytes = f->inbytes;
			d->stats.inpkts = 1; d->stats.outpkts = 2; d->stats.outbytes = 3;
			d->stats.cps = 4; d->stats.inpps = 5; d->stats.outpps = 6;
			d->stats.inbps = 1500000000; d->stats.outbps = 8;
		}
		g->num_dests = s->ndests;
		return 0; }
	case IP_VS_SO_GET_TIMEOUT: {
		struct ip_vs_timeout_user *t = val;
		t->tcp_timeout = 900; t->tcp_fin_timeout = 120; t->udp_timeout = 300;
		return 0; }
	case IP_VS_SO_GET_DAEMON: {
		struct ip_vs_daemon_user *d = val;
		memset(d, 0, sizeof(*d) * 2);
		if (use_table()) {
			d[0].state = IP_VS_STATE_BACKUP; strcpy(d[0].mcast_ifn, "eth1"); d[0].syncid = 9;
		}
		return 0; }
	}
	errno = ENOPROTOOPT;
	return -1;
}

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	if (level != IPPROTO_IP || opt < IP_VS_SO_SET_NONE || opt > IP_VS_SO_SET_MAX) {
		if (!real) real = dlsym(RTLD_NEXT, "setsockopt");
		return real(fd, level, opt, val, len);
	}
	const char *e = getenv("FAKE_IPVS_ERRNO");
	if (e && atoi(e)) { errno = atoi(e); return -1; }
	return 0;
}

/* FAKE_IPVS_CONN=FILE: ipvsadm -c reads FILE instead of /proc/net/ip_vs_conn. */
#include <stdio.h>
FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);
	const char *c = getenv("FAKE_IPVS_CONN");
	if (!real) real = dlsym(RTLD_NEXT, "fopen");
	if (c && *c && !strcmp(path, "/proc/net/ip_vs_conn")) path = c;
	return real(path, mode);
}

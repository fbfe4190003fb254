#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the project's test data.

Run from anywhere: `python3 fuzz/seeds.py`. Seed files are named seed-*, so they can be
told apart from inputs libFuzzer adds (named by their SHA-1). Sources:
- config: every config in /work/shared/samples (the same files as tests/data/config/
  samples on main) and the small hand-written configs below (includes, groups, errors);
- tls_reply: a reply through an in-memory TLS handshake, bytes instead of a ServerHello
  (HTTP, an alert, a cut ServerHello), forged records after the handshake;
- http_reply: realistic replies (nginx, Apache, busybox httpd, a redirect, chunked,
  HTTP/0.9 garbage), each with a read size and a status selector byte in front;
- dns_reply: answers built like the tests in src/probe/dns.rs (A record with a
  compression pointer, rcodes, a pointer loop, truncated);
- ipvsadm_args: every line of tests/data/ipvsadm/cases.txt, shell-split, NUL-joined;
- ipvsadm_restore: tests/data/ipvsadm/restore-*.txt;
- control: every request form and the bad ones from src/control/protocol.rs tests;
- netlink_reply: every datagram the kernel sent in tests/data/netlink/*.txt captures.
"""
import glob
import os
import shlex
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLES = "/work/shared/samples"


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def config():
    paths = sorted(glob.glob(os.path.join(SAMPLES, "keepalived.conf.*")))
    paths += sorted(glob.glob(os.path.join(ROOT, "tests/data/config/**/keepalived.conf.*"),
                              recursive=True))
    for p in paths:
        with open(p, "rb") as f:
            out("config", os.path.basename(p), f.read())
    small = {
        "include-missing": "include missing.conf\nvirtual_server 192.0.2.1 80 {\n}\n",
        "include-glob": "include *.conf\n",
        "group": (
            "virtual_server_group web {\n  192.0.2.1 80\n  192.0.2.2-10 80\n  fwmark 7\n}\n"
            "virtual_server group web {\n  delay_loop 1\n  lb_algo wrr\n  lb_kind NAT\n"
            "  protocol TCP\n  real_server 198.51.100.2 80 {\n    weight 2\n"
            "    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n"
        ),
        "http-digest": (
            "virtual_server 192.0.2.1 80 {\n  real_server 198.51.100.2 80 {\n"
            "    HTTP_GET {\n      url {\n        path /health\n"
            "        digest 9b3a0c85a887a256d6939da88aabd8cd\n        status_code 200-299 301\n"
            "      }\n      retry 1\n      delay_before_retry 2\n    }\n  }\n}\n"
        ),
        "dns-udp-misc": (
            "global_defs {\n  router_id fuzz\n}\n"
            "virtual_server 2001:db8::1 53 {\n  protocol UDP\n  quorum 1\n  hysteresis 0\n"
            "  sorry_server 2001:db8::9 53\n  real_server 2001:db8::2 53 {\n"
            "    DNS_CHECK {\n      type SOA\n      name example.org.\n    }\n"
            "    MISC_CHECK {\n      misc_path \"/bin/true x\"\n      misc_dynamic\n    }\n"
            "    UDP_CHECK {\n      payload 00ff\n    }\n  }\n}\n"
        ),
        "bad-brace": "virtual_server 192.0.2.1 80 {\n  real_server 198.51.100.2 80 {\n",
        "bad-keyword": "virtual_server 192.0.2.1 80 {\n  frobnicate 3\n}\n",
        "comments-quotes": "! comment\n# comment\nvirtual_server 192.0.2.1 80 { # x\n"
                           "  real_server 198.51.100.2 80 { weight \"1\" }\n}\n",
    }
    for k, v in small.items():
        out("config", k, v)


HTTP = {
    "nginx-200": (
        b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 21 Nov 2026 17:00:00 GMT\r\n"
        b"Content-Type: text/html\r\nContent-Length: 12\r\nLast-Modified: Tue, 01 Sep 2026 "
        b"10:00:00 GMT\r\nConnection: close\r\nETag: \"64f1b7c0-c\"\r\nAccept-Ranges: bytes"
        b"\r\n\r\nhello world\n"
    ),
    "apache-503": (
        b"HTTP/1.1 503 Service Unavailable\r\nDate: Sat, 21 Nov 2026 17:00:00 GMT\r\n"
        b"Server: Apache/2.4.62 (Debian)\r\nContent-Length: 299\r\nConnection: close\r\n"
        b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n<!DOCTYPE HTML PUBLIC "
        b"\"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>503 Service Unavailable"
        b"</title>\n</head><body>\n"
    ),
    "busybox-200": (
        b"HTTP/1.0 200 OK\r\nContent-type: text/html\r\nDate: Sat, 21 Nov 2026 17:00:00 GMT"
        b"\r\nConnection: close\r\nAccept-Ranges: bytes\r\nLast-Modified: Sat, 21 Nov 2026 "
        b"16:00:00 GMT\r\nContent-Length: 3\r\n\r\nok\n"
    ),
    "redirect-301": (
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://192.0.2.1/new\r\n"
        b"Content-Length: 0\r\n\r\n"
    ),
    "chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "no-length": b"HTTP/1.0 200 OK\r\nServer: tiny\r\n\r\nbody until close",
    "bad-content-length": b"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
    "http09-garbage": b"<html>hello</html>\n",
    "bare-lf": b"HTTP/1.1 404 Not Found\nContent-Length: 0\n\n",
    "partial-status": b"HTTP/1.1 20",
}


def http():
    for name, reply in HTTP.items():
        for step, sel in [(0, 0), (1, 2), (7, 1)]:
            out("http_reply", f"{name}-{step}-{sel}", bytes([step, sel]) + reply)


def dns_query(name, qtype, ident=0x1234):
    q = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    n = name.rstrip(".")
    if n:
        for label in n.split("."):
            q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def dns_answer(q, rcode=0, extra=b"", an=1):
    a = bytearray(q)
    a[2] = 0x81
    a[3] = 0x80 | rcode
    a[6:8] = struct.pack(">H", an)
    return bytes(a) + extra


def dns():
    # Selector byte: name index in bits 0-1, type index in bits 2-3 (see dns_reply.rs).
    names = ["example.org", ".", "a.b.c.d.e.f.g.h", "xn--bcher-kva.example"]
    types = [1, 6, 28, 255]
    a_rec = bytes([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1])
    for ni, name in enumerate(names):
        for ti, qtype in enumerate(types):
            pick = ni | (ti << 2)
            q = dns_query(name, qtype)
            out("dns_reply", f"answer-{ni}-{ti}", bytes([pick]) + dns_answer(q, 0, a_rec))
    q = dns_query("example.org", 1)
    out("dns_reply", "nxdomain", bytes([0]) + dns_answer(q, 3, b"", 0))
    out("dns_reply", "servfail", bytes([0]) + dns_answer(q, 2, b"", 0))
    out("dns_reply", "no-qr", bytes([0]) + q)
    out("dns_reply", "truncated", bytes([0]) + dns_answer(q, 0, a_rec)[:-3])
    loop = bytearray(dns_answer(q, 0, bytes([0xC0, 29, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0])))
    out("dns_reply", "pointer-forward", bytes([0]) + bytes(loop))
    soa = dns_query("example.org", 6)
    soa_rec = (bytes([0xC0, 12, 0, 6, 0, 1, 0, 0, 14, 16, 0, 34]) + b"\x02ns\xc0\x0c"
               + b"\x05admin\xc0\x0c" + struct.pack(">IIIII", 2026112101, 7200, 3600, 1209600, 300))
    out("dns_reply", "soa", bytes([4]) + dns_answer(soa, 0, soa_rec))


def ipvsadm_args():
    with open(os.path.join(ROOT, "tests/data/ipvsadm/cases.txt")) as f:
        n = 0
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split(" ")
            out("ipvsadm_args", f"case-{n:03}", "\0".join(words))
            n += 1


def ipvsadm_restore():
    for p in sorted(glob.glob(os.path.join(ROOT, "tests/data/ipvsadm/restore-*.txt"))):
        with open(p, "rb") as f:
            out("ipvsadm_restore", os.path.basename(p), f.read())


def control():
    reqs = [
        "ping", "status", "status-json", "reload",
        "drain 192.0.2.10:80 198.51.100.2:80",
        "enable fwmark:7 [2001:db8::2]:80",
        "weight 192.0.2.10:80 198.51.100.2:80 5",
        "weight [2001:db8::1]:443 [2001:db8::2]:443 65535",
        "", "frobnicate now", "drain", "drain 192.0.2.10:80 nonsense",
        "weight 192.0.2.10:80 198.51.100.2:80 -1", "status extra",
        "  status  \t", "drain fwmark:x 198.51.100.2:80",
    ]
    for i, r in enumerate(reqs):
        out("control", f"req-{i:02}", r)
    out("control", "not-utf8", b"\xff\xfe")


def netlink():
    n = 0
    for p in sorted(glob.glob(os.path.join(ROOT, "tests/data/netlink/*.txt"))):
        cur = None
        datagrams = []
        with open(p) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                if line.startswith("< ") or line.startswith("> "):
                    cur = [line[0], bytearray.fromhex(line[2:].strip())]
                    datagrams.append(cur)
                elif line.startswith("  ") and cur is not None:
                    cur[1] += bytearray.fromhex(line.strip())
        for direction, b in datagrams:
            if direction == "<":
                out("netlink_reply", f"{os.path.basename(p)[:-4]}-{n:03}", bytes(b))
                n += 1


def tls():
    # byte 0: mode (0 = handshake then the reply, 1 = bytes instead of a ServerHello,
    # 2 = handshake then raw bytes), byte 1: read size; see fuzz_targets/tls_reply.rs.
    reply = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"
    out("tls_reply", "mode0-whole", bytes([0, 0]) + reply)
    out("tls_reply", "mode0-drip", bytes([0, 1]) + b"HTTP/1.1 503 Busy\r\nServer: x\r\n\r\n" + b"b" * 300)
    out("tls_reply", "mode1-http", bytes([1, 0]) + b"HTTP/1.0 400 Bad Request\r\n\r\n")
    # Alert record, TLS 1.2, fatal handshake_failure.
    alert = bytes([0x15, 3, 3, 0, 2, 2, 40])
    out("tls_reply", "mode1-alert", bytes([1, 0]) + alert)
    out("tls_reply", "mode1-partial-hello", bytes([1, 3, 0x16, 3, 3, 0, 0x50, 2, 0, 0, 0x4c, 3, 3]))
    out("tls_reply", "mode2-alert", bytes([2, 0]) + alert)
    out("tls_reply", "mode2-appdata", bytes([2, 5, 0x17, 3, 3, 0, 0x20]) + bytes(32))


if __name__ == "__main__":
    config()
    http()
    tls()
    dns()
    ipvsadm_args()
    ipvsadm_restore()
    control()
    netlink()

#!/usr/bin/env python3
"""Scrape cost at scale (issue 13's bench), host only, --dry-run: lvsmon checks N real
servers (TCP_CHECK every 1 s against one accepting socket on 0.0.0.0, reached through
N addresses of 127.0.0.0/8) with --http open. Windows of the same length on the same
daemon, alternately without a scraper and with one GET /metrics every second. Per window: checks
completed, checks that started late (the sum of status --json's per real server "late"),
and lvsmon's CPU; with the scraper, each scrape's wall time and size.
Usage: scrape.py LVSMON RAWFILE [N] [WINDOW_SECONDS]"""
import json, os, socket, subprocess, sys, tempfile, time

lv, raw = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
win = int(sys.argv[4]) if len(sys.argv) > 4 else 30
hz = os.sysconf("SC_CLK_TCK")
tmp = tempfile.mkdtemp(prefix="lvsmon-bench-scrape.")

acc = socket.socket()
acc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
acc.bind(("0.0.0.0", 0))
acc.listen(4096)
port = acc.getsockname()[1]
stop = False

# The acceptor is a process of its own: sharing the interpreter with the scraper would
# let a scrape starve it (a full backlog fails TCP_CHECKs that lvsmon is not to blame for).
acceptor = os.fork()
if acceptor == 0:
    deadline = time.monotonic() + 600
    acc.settimeout(0.5)
    while time.monotonic() < deadline and os.getppid() != 1:
        try:
            c, _ = acc.accept()
            c.close()
        except OSError:
            pass
    os._exit(0)
acc.close()

conf = os.path.join(tmp, "lvsmon.conf")
with open(conf, "w") as f:
    f.write("virtual_server 192.0.2.10 80 {\n protocol TCP\n delay_loop 1\n lb_algo wrr\n lb_kind NAT\n")
    for i in range(n):
        f.write(" real_server 127.%d.%d.%d %d {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n"
                % (40 + i // 254 // 256, i // 254 % 256, i % 254 + 1, port))
    f.write("}\n")
sock = os.path.join(tmp, "lvsmon.sock")
hs = socket.socket(); hs.bind(("127.0.0.1", 0)); http_port = hs.getsockname()[1]; hs.close()
log = open(os.path.join(tmp, "lvsmon.log"), "w")
d = subprocess.Popen([lv, "run", "--dry-run", "-f", conf, "--control", sock,
                      "--http", "127.0.0.1:%d" % http_port], stdout=log, stderr=log)

def status():
    out = subprocess.run([lv, "status", "--json", "--control", sock],
                         capture_output=True, timeout=30).stdout
    reals = json.loads(out)["services"][0]["reals"]
    return (sum(r.get("checks_ok", 0) + r.get("checks_failed", 0) for r in reals),
            sum(r.get("late", 0) for r in reals),
            sum(r["health"] == "up" for r in reals))

def ticks():
    with open("/proc/%d/stat" % d.pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])

def get_metrics():
    s = socket.create_connection(("127.0.0.1", http_port), timeout=10)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
    body = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        body.extend(b)
    dt = time.monotonic() - t0
    s.close()
    return dt, len(body)

try:
    for _ in range(100):
        time.sleep(0.3)
        if os.path.exists(sock):
            break
    time.sleep(12)  # warmup spreads first checks over delay_loop; let every real be checked
    res = {}
    # Alternating windows: this host is shared, and the load of others moves a window
    # more than a scraper does; two of each show how much.
    for name, scraping in (("idle-1", False), ("scraped-1", True), ("idle-2", False), ("scraped-2", True)):
        c0, l0, _ = status(); t0 = ticks(); start = time.monotonic()
        lat, sizes = [], []
        while time.monotonic() - start < win:
            if scraping:
                dt, size = get_metrics(); lat.append(dt); sizes.append(size)
            time.sleep(1.0)
        c1, l1, up = status(); t1 = ticks(); el = time.monotonic() - start
        res[name] = (c1 - c0, l1 - l0, (t1 - t0) / hz / el * 100, up, lat, sizes, el)
    with open(raw, "w") as out:
        out.write("# bench/scrape.py: %d real servers, TCP_CHECK every 1 s, --dry-run, windows of %d s\n" % (n, win))
        for name, (checks, late, cpu, up, lat, sizes, el) in res.items():
            out.write("%s checks=%d late=%d cpu_percent=%.1f up=%d seconds=%.1f\n" % (name, checks, late, cpu, up, el))
            if lat:
                lat.sort()
                out.write("%s scrapes=%d scrape_ms_p50=%.1f scrape_ms_max=%.1f bytes=%d\n"
                          % (name, len(lat), lat[len(lat) // 2] * 1000, lat[-1] * 1000, sizes[-1]))
    print(open(raw).read(), end="")
finally:
    os.kill(acceptor, 15)
    d.terminate()
    try:
        d.wait(10)
    except subprocess.TimeoutExpired:
        d.kill()

#!/usr/bin/env python3
"""Records what Debian's ipvsadm 1.31 prints for each line of cases.txt into fixtures.txt.

The host kernel has no IPVS, so ipvsadm runs with a shim preloaded: fakeipvs.c answers
the IPVS getsockopt/setsockopt interface from a small IPv4 table; with NL=1, fakenl.c
answers ipvsadm's generic-netlink requests (IPv6, persistence engines, tunnels, 64-bit
stats) from another table. Usage:
    gcc -shared -fPIC -o /tmp/fakeipvs.so fakeipvs.c -ldl
    gcc -shared -fPIC -o /tmp/fakenl.so fakenl.c /lib/x86_64-linux-gnu/libnl-3.so.200
    python3 record.py /work/ref/root/sbin/ipvsadm /tmp/fakeipvs.so /tmp/fakenl.so
cases.txt: one case per line, shell words; leading KEY=VALUE words set TABLE (1 = serve the
sockopt table), NL (1 = use the netlink shim), ERRNO (every set operation fails with it)
STDIN (a file in this directory fed to stdin) and CONN (a file read in place of
/proc/net/ip_vs_conn). argv[0] is always "ipvsadm".
"""
import os, shlex, subprocess, sys

binary, shim, nlshim = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
out = []
for line in open(os.path.join(here, "cases.txt")):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    words = shlex.split(line)
    env = {"TABLE": "0", "ERRNO": "0", "STDIN": "", "NL": "0", "CONN": ""}
    while words and "=" in words[0] and words[0].split("=")[0] in env:
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    e = dict(os.environ, LD_PRELOAD=nlshim if env["NL"] == "1" else shim, FAKE_IPVS_TABLE=env["TABLE"],
             FAKE_IPVS_ERRNO=env["ERRNO"], LC_ALL="C",
             FAKE_IPVS_CONN=os.path.join(here, env["CONN"]) if env["CONN"] else "")
    stdin = open(os.path.join(here, env["STDIN"]), "rb") if env["STDIN"] else subprocess.DEVNULL
    p = subprocess.run(["ipvsadm"] + words, executable=binary, env=e, stdin=stdin,
                       capture_output=True, timeout=10)
    out.append("=== " + line)
    out.append("rc %d" % p.returncode)
    for name, data in (("stdout", p.stdout), ("stderr", p.stderr)):
        text = data.decode()
        out.append("%s %d" % (name, len(text.splitlines(True))))
        for l in text.splitlines(True):
            out.append("|" + l.rstrip("\n") + ("" if l.endswith("\n") else "\\NOEOL"))
with open(os.path.join(here, "fixtures.txt"), "w") as f:
    f.write("# Recorded by record.py from Debian's ipvsadm 1:1.31-1+b1 (bookworm, popt 1.19).\n")
    f.write("\n".join(out) + "\n")

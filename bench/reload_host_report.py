#!/usr/bin/env python3
"""Prints the "Reload on the host" section of bench/RESULTS.md from raw/reload_host.txt
(written by bench/reload_host.sh; argument: the raw dir). `make bench-report` appends it
after report.py's output. Every number comes from a raw line; a missing item says so."""
import os
import sys

raw = sys.argv[1]
p = os.path.join(raw, "reload_host.txt")


def kv(line):
    return dict(x.split("=", 1) for x in line.split()[2:] if "=" in x)


print("## 4b. Reload on the host (no emulation)\n")
if not os.path.exists(p):
    print("missing (no raw/reload_host.txt)\n")
    sys.exit(0)
head, t, ir, chk = "", None, None, None
for line in open(p):
    if line.startswith("# "):
        head = line[2:].strip()
    elif line.startswith("BENCH reload_host_instructions"):
        ir = kv(line)
    elif line.startswith("BENCH reload_host_check"):
        chk = kv(line)
    elif line.startswith("BENCH reload_host "):
        t = kv(line)
if t is None:
    print("missing (no BENCH reload_host line in raw/reload_host.txt)\n")
    sys.exit(0)
print("The config of section 4 (4096 real servers, HTTP_GET; %s), reloaded in-process by "
      "bench/reload_host (`make bench-reload-host`): *full path* = `daemon::reload_config` as "
      "the daemon runs it on SIGHUP (read, tokenize, parse, resolve, diff against the "
      "running director) plus the reactor's follow-up and the reconcile pass, with the "
      "file's bytes changed by one comment line each time so that nothing is skipped; "
      "*unchanged* = the same with byte-identical files, which stops after reading, "
      "tokenizing (to follow includes) and hashing them. Best and median of %s runs; instructions (callgrind, one run) are "
      "repeatable on a loaded host where wall times are not.\n" % (head, t["runs"]))
mi = lambda k: "%.1f M" % (int(ir[k]) / 1e6) if ir and k in ir else "?"
print("| | best | median | instructions | kernel operations |")
print("|---|---|---|---|---|")
print("| config load + validate | %s ms | %s ms | %s | - |" % (t["load_best_ms"], t["load_median_ms"], mi("load")))
print("| full reload path | %s ms | %s ms | %s | %s |" % (t["full_best_ms"], t["full_median_ms"], mi("full"), t["full_ops"]))
print("| unchanged files (short cut) | %s ms | %s ms | %s | %s |" % (t["unchanged_best_ms"], t["unchanged_median_ms"], mi("unchanged"), t["unchanged_ops"]))
if chk:
    print("\n`lvsmon check` of the same config as a whole process, best of 5: "
          "%.1f ms." % (int(chk["best_of_5_us"]) / 1000))
target = float(t["full_best_ms"]) < 10
print("\nTarget < 10 ms and 0 operations for the full path: %s.\n" % (
    "met" if target and t["full_ops"] == "0" else
    "**not met** (%s ms best)" % t["full_best_ms"] if not target else "ops not 0"))

#!/usr/bin/env python3
"""The RESULTS.md section of bench/scrape.py (issue 13): reads RAW/scrape.txt."""
import os, sys

path = os.path.join(sys.argv[1], "scrape.txt")
if not os.path.exists(path):
    print("\n## 7. Scrape cost (host)\n\nNot measured in this run (bench/raw/scrape.txt is missing).")
    sys.exit(0)
lines = open(path).read().splitlines()
head = lines[0].lstrip("# ")
rows = {}
for l in lines[1:]:
    name, *kv = l.split()
    rows.setdefault(name, {}).update(dict(x.split("=", 1) for x in kv))
i, s = rows["idle"], rows["scraped"]
print("\n## 7. Scrape cost (host)\n")
print(head + ".\n")
print("| window | checks | started late | lvsmon CPU | scrape p50 | scrape max | /metrics bytes |")
print("|---|---|---|---|---|---|---|")
print("| no scraper | %s | %s | %s %% | - | - | - |" % (i["checks"], i["late"], i["cpu_percent"]))
print("| GET /metrics every 1 s | %s | %s | %s %% | %s ms | %s ms | %s |" % (
    s["checks"], s["late"], s["cpu_percent"], s["scrape_ms_p50"], s["scrape_ms_max"], s["bytes"]))
print("\nA scrape is served by the checking loop itself (no thread): its wall time is time the"
      " loop does not check, which the late column shows (checks that started after their due"
      " time, the timing model's count).")

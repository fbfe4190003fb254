"""The failover table rows of bench/RESULTS.md, shared by section 5 (HTTP_GET, in
bench/report.py) and section 10 (SSL_GET, bench/report_tls.py): one row per tool and
retry with the removal and return times of its trials."""

import statistics as st


def times(fo, tool, retry, key):
    return [float(d[key]) for d in fo if d["tool"] == tool and d["retry"] == retry]


def spread(f, xs):
    return f"{f(st.median(xs), 2)} / {f(st.mean(xs), 2)} / {f(max(xs), 2)}"


def rows(fo, w, f, down_bound, up_bound=None):
    """down_bound(R) is the removal-bound cell; up_bound, when given, adds a return-bound
    cell."""
    for r in ("0", "1"):
        for tool in ("lvsmon", "keepalived"):
            ds = times(fo, tool, r, "down_s")
            if not ds:
                continue
            us = times(fo, tool, r, "up_s")
            tail = f" {up_bound} |" if up_bound is not None else ""
            w(f"| {tool} | {r} | {len(ds)} | {spread(f, ds)} | {down_bound(int(r))} | "
              f"{spread(f, us)} |{tail}")

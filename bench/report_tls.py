"""Section 10 of bench/RESULTS.md (imported by bench/report.py): SSL_GET side by side
with keepalived's (issue 11): checks/s, CPU per check and RSS against TLS 1.3 and TLS 1.2
servers, and the failover timing with SSL_GET."""
import statistics as st

import report_failover


def sections(lines, w, summary, f, cpu_per_check_ms):
    w("## 10. SSL_GET (VM)\n")
    tl = lines("vm.txt", "BENCH tls")
    if tl:
        w("bench/vm/tls.sh: the scale set-up of section 6 (same namespace, addresses, "
          "ports 8000-8007, the responder with 2 threads per port) with the real servers "
          "speaking TLS: the responder's `RESPONDER_TLS` mode (rustls 0.23 + ring, one "
          "protocol version per run, a self-signed ECDSA P-256 certificate; neither tool "
          "verifies it, as neither config has `SSL { ca }`, keepalived's default). SSL_GET "
          "every 1 s (connect_timeout 1, retry 1, url / status 200), lvsmon and keepalived "
          "one after the other in the same boot. CPU per check = the tool's CPU seconds in "
          "the 20 s window / the checks the responder counted; the responder's own TLS work "
          "runs on the same vCPU and is charged to neither tool.\n")
        w("| TLS | reals | tool | checks/s (target = reals) | CPU % | CPU ms per check | RSS KiB | judged down | late by its own rule p50 / p99 ms |")
        w("|---|---:|---|---:|---:|---:|---:|---:|---:|")
        for d in tl:
            d["_cpc"] = cpu_per_check_ms(d)
            w(f"| {d['tls']} | {d['reals']} | {d['tool']} | {d.get('rate', '?')} | {d['cpu_pct']} | "
              f"{f(d['_cpc'], 3)} | {d['rss_kb']} | {d.get('down_lines', '?')} | "
              f"{d.get('sched_p50_ms', 'n/a')} / {d.get('sched_p99_ms', 'n/a')} |")
        w("")
        w("At 1000 real servers the one vCPU saturates (TLS handshakes under TCG) and neither "
          "tool keeps the interval. keepalived's CPU per check there is not a like-for-like "
          "figure: it completes a check or two a second and judges about half the real servers "
          "down, so a CPU share near zero is divided by almost no checks (the TLS 1.2 row's "
          "0.07x); lvsmon spends its share completing about a hundred times as many.\n")
        for v in ("1.3", "1.2"):
            for n in ("100", "1000"):
                l = [d for d in tl if d["tls"] == v and d["reals"] == n and d["tool"] == "lvsmon"]
                k = [d for d in tl if d["tls"] == v and d["reals"] == n and d["tool"] == "keepalived"]
                if not (l and k):
                    continue
                l, k = l[0], k[0]
                summary.append((f"SSL_GET, TLS {v}, {n} reals (VM)",
                                f"{l.get('rate')} checks/s, {f(l['_cpc'], 3)} ms CPU/check, {l['rss_kb']} KiB, {l.get('down_lines')} judged down",
                                f"keepalived {k.get('rate')} checks/s, {f(k['_cpc'], 3)} ms CPU/check, {k['rss_kb']} KiB, {k.get('down_lines')} judged down",
                                f"keepalived/lvsmon: CPU per check {f(k['_cpc'] / l['_cpc'], 2)}x, RSS {f(int(k['rss_kb']) / int(l['rss_kb']), 1)}x"))
    else:
        w("missing (no BENCH tls lines in raw/vm.txt)\n")
    fo = lines("vm.txt", "BENCH failover_tls")
    w("### Failover with SSL_GET\n")
    if not fo:
        w("missing (no BENCH failover_tls lines in raw/vm.txt)\n")
        return
    w("bench/vm/failover-tls.sh: section 5's failover bench with both real servers answering "
      "TLS 1.3 on 443 (the responder's TLS mode) and checked by SSL_GET (L=1, T=1, D=1); "
      "a trial kills rs1's TLS server (refused from then on) at a random phase, then "
      "restarts it. Times from outside both tools, polling `ipvsadm -Ln`.\n")
    w("| tool | retry | trials | removed: median / mean / max s | bound (refused) s | back: median / mean / max s |")
    w("|---|---:|---:|---:|---:|---:|")
    report_failover.rows(fo, w, f, lambda R: f"{1 + R}")
    for r in ("0", "1"):
        l = [d for d in fo if d["tool"] == "lvsmon" and d["retry"] == r]
        k = [d for d in fo if d["tool"] == "keepalived" and d["retry"] == r]
        if l and k:
            med = lambda rows, key: f(st.median([float(d[key]) for d in rows]), 2)  # noqa: E731
            summary.append((f"failover with SSL_GET, retry {r}: removed / back median",
                            f"{med(l, 'down_s')} / {med(l, 'up_s')} s",
                            f"keepalived {med(k, 'down_s')} / {med(k, 'up_s')} s",
                            f"bound {1 + int(r)} s (refused)"))
    w("")

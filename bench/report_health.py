"""Sections of bench/RESULTS.md for issue 14's benches (imported by bench/report.py):
section 7, checks/s against the bare checker before and after the start-to-start schedule
(VM scale rows and host loopback rows), and section 9, the wlc flood."""
SIZES = ("300", "1000", "4000")


def _rate(d):
    try:
        return float(d.get("rate", "nan"))
    except ValueError:
        return float("nan")


def schedule(lines, w, summary, f):
    w("## 7. Checks/s against the bare checker, before and after the start-to-start schedule\n")
    sc = lines("vm.txt", "BENCH scale")
    lb = lines("loopback.txt", "loopback")
    if not any(d["reals"] in SIZES for d in sc):
        w("missing (no BENCH scale lines at 300/1000/4000 in raw/vm.txt)\n")
        return
    w("Issue 14, item 3: a real server's next check now starts delay_loop after the *start* "
      "of its previous one (README, Timing model); before, after its completion "
      "(keepalived's rule). **lvsmon-before** is the build of commit e872c455, the one just "
      "before the schedule changed (5c93002; bench.mk's BENCH_BEFORE_COMMIT), run in the "
      "same boot, on the same config and real servers as the others (section 6 has every "
      "column of these rows). HTTP_GET, delay_loop 1, connect_timeout 1, retry 1; checks/s "
      "counted by the responder over 20 s. **Target: lvsmon >= 0.9 x the bare checker's "
      "checks/s** at 300, 1000 and 4000 real servers. The bare checker starts every server "
      "at a fixed rate whatever its checks take, so its checks/s is what the VM can carry.\n")
    w("| reals | bare checker checks/s | lvsmon (x bare) | lvsmon-before (x bare) | keepalived (x bare) | judged down: lvsmon / before / keepalived | late by its own rule p99 ms: lvsmon / before / keepalived |")
    w("|---:|---:|---:|---:|---:|---:|---:|")
    verdict = []
    for n in SIZES:
        row = {t: [d for d in sc if d["reals"] == n and d["tool"] == t] for t in
               ("floor", "lvsmon", "lvsmon-before", "keepalived")}
        if not row["floor"] or not row["lvsmon"]:
            continue
        fr = _rate(row["floor"][0])

        def cell(t):
            if not row[t]:
                return "n/a"
            r = _rate(row[t][0])
            return f"{f(r)} ({f(r / fr, 2)}x)"

        def field(t, k):
            return row[t][0].get(k, "?") if row[t] else "n/a"
        w(f"| {n} | {f(fr)} | {cell('lvsmon')} | {cell('lvsmon-before')} | {cell('keepalived')} | "
          f"{field('lvsmon', 'down_lines')} / {field('lvsmon-before', 'down_lines')} / {field('keepalived', 'down_lines')} | "
          f"{field('lvsmon', 'sched_p99_ms')} / {field('lvsmon-before', 'sched_p99_ms')} / {field('keepalived', 'sched_p99_ms')} |")
        ratio = _rate(row["lvsmon"][0]) / fr
        verdict.append((n, ratio))
        before = f"{f(_rate(row['lvsmon-before'][0]) / fr, 2)}x" if row["lvsmon-before"] else "n/a"
        ka = f"{f(_rate(row['keepalived'][0]) / fr, 2)}x" if row["keepalived"] else "n/a"
        summary.append((f"checks/s vs bare checker, {n} reals (VM)",
                        f"{row['lvsmon'][0].get('rate')} = {f(ratio, 2)}x bare ({'met' if ratio >= 0.9 else 'NOT met'}, target 0.9x); before the schedule change {before}",
                        f"bare checker {f(fr)}; keepalived {ka}",
                        "same boot"))
    w("")
    hb = {d["case"]: d for d in lb}
    if "r10000" in hb and "f10000" in hb:
        fr = _rate(hb["f10000"])
        parts = [f"bare checker {f(fr)} checks/s", f"lvsmon {f(_rate(hb['r10000']))} ({f(_rate(hb['r10000']) / fr, 3)}x)"]
        if "b10000" in hb:
            parts.append(f"lvsmon-before {f(_rate(hb['b10000']))} ({f(_rate(hb['b10000']) / fr, 3)}x)")
        w("Host, 10 000 real servers on loopback (section 2, `--dry-run`, one instance): "
          + ", ".join(parts) + "; late by its own rule p99: lvsmon "
          + hb["r10000"].get("sched_p99_ms", "?") + " ms"
          + (f", lvsmon-before {hb['b10000'].get('sched_p99_ms', '?')} ms" if "b10000" in hb else "")
          + ". (The responder measures lateness against the completion rule, so for the "
          "start-to-start build it slightly overstates it.)\n")
        summary.append(("checks/s vs bare checker, 10 000 reals (host)",
                        f"{f(_rate(hb['r10000']))} = {f(_rate(hb['r10000']) / fr, 3)}x"
                        + (f"; before {f(_rate(hb['b10000']) / fr, 3)}x" if "b10000" in hb else ""),
                        f"bare checker {f(fr)}", "target 0.9x"))
    if verdict:
        w("Target lvsmon >= 0.9 x bare checker: " + "; ".join(
            f"{n} reals {f(r, 2)}x {'met' if r >= 0.9 else 'NOT met'}" for n, r in verdict)
          + ". One boot under TCG; section 6 and README say how much a boot moves the rows.\n")


def flood(lines, w, summary):
    w("## 9. The wlc flood: a returning real server's share of new connections (VM)\n")
    fl = lines("vm.txt", "BENCH flood")
    if not fl:
        w("missing (no BENCH flood lines in raw/vm.txt)\n")
        return
    rate = fl[0].get("rate", "?")
    w("bench/vm/flood.sh (issue 14): a `wlc` NAT service with three real servers of weight "
      "10 (busybox httpd in their namespaces); rs1 starts down (`alpha`, no httpd) while a "
      f"client opens {rate} connections a second through the VIP, one after another, so rs2 "
      "and rs3 collect inactive (TIME_WAIT) connections, which wlc counts. After 10 s rs1's "
      "httpd starts; from the moment rs1 is in the table (ipvsadm -Ln polled every ~50 ms) "
      "the client's log gives the share of new connections rs1 took in its first 1, 2 and "
      "5 s. Three runs in one boot, each on its own VIP port (IPVS would otherwise hand the "
      "old destinations' connection counts to the new service): lvsmon with `slow_start 10`, "
      "lvsmon without, keepalived 2.2.7 on the same config without `slow_start` (it has "
      "none). A fair share is 1/3.\n")
    w("| tool | slow_start | rs1 weight on entry / after the run | rs1's share, first 1 s | first 2 s | first 5 s | connections before rs1 returned (to rs1) | failed |")
    w("|---|---:|---|---:|---:|---:|---:|---:|")
    for d in fl:
        def share(k):
            a, b = d.get(k, "0/0").split("/")
            pct = f" ({100 * int(a) / int(b):.0f} %)" if int(b) else ""
            return f"{a}/{b}{pct}"
        w(f"| {d['tool']} | {d['slow_start']} | {d.get('weight_in')} / {d.get('weight_end')} | "
          f"{share('rs1_1s')} | {share('rs1_2s')} | {share('rs1_5s')} | "
          f"{d.get('pre_conns')} ({d.get('pre_rs1')}) | {d.get('failed')} |")
    w("")
    by = {(d["tool"], d["slow_start"]): d for d in fl}
    s10, s0, ka = by.get(("lvsmon", "10")), by.get(("lvsmon", "0")), by.get(("keepalived", "0"))
    if s10 and s0:
        summary.append(("wlc flood: returning server's share of new connections, first 1 / 2 / 5 s",
                        f"slow_start 10: {s10['rs1_1s']}, {s10['rs1_2s']}, {s10['rs1_5s']}; without: {s0['rs1_1s']}, {s0['rs1_2s']}, {s0['rs1_5s']}",
                        f"keepalived (no slow start): {ka['rs1_1s']}, {ka['rs1_2s']}, {ka['rs1_5s']}" if ka else "-",
                        "fair share 1/3"))
    w("Without slow start the returning server enters at its full weight with no "
      "connections, so wlc sends it every new connection until its count catches up with "
      "the others' (the flood), with lvsmon and keepalived alike; with `slow_start 10` it "
      "enters at weight 1 and gains 1 a second, and takes a share near its weight "
      "once its count has caught up with that weight's share.\n")

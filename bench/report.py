#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turns the per-round CSV of bench/run into medians, a table, the targets
and a chart.

Inputs: results-rounds.csv (round,service,workload,param,metric,value) and
the raw latency samples (one value in microseconds per line).  Outputs in
--out: results.csv (medians over rounds), table.md, chart.png."""

import argparse
import csv
import glob
import os
import statistics
import subprocess
import sys

LD, VB = "libvirt-dbus", "virtbusd"


def load(path):
    data = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["service"], row["workload"], row["param"], row["metric"])
            data.setdefault(key, []).append(float(row["value"]))
    return {k: statistics.median(v) for k, v in data.items()}


def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "us":
        return f"{v / 1000:.3f} ms"
    if unit == "ms":
        return f"{v:.1f} ms" if v >= 10 else f"{v:.2f} ms"
    if unit == "kib":
        return f"{v / 1024:.1f} MiB"
    if unit == "/s":
        return f"{v:,.0f}/s" if v >= 100 else f"{v:.2f}/s"
    return f"{v:g}"


def params(med, workload):
    """Params of a workload in a stable, natural order."""
    seen = {p for (_, w, p, _) in med if w == workload}

    def key(p):
        parts = []
        for item in p.split("/"):
            name, _, val = item.partition("=")
            try:
                parts.append((name, float(val.rstrip("s"))))
            except ValueError:
                parts.append((name, 0.0))
        return parts

    return sorted(seen, key=key)


def build_rows(med):
    """(section, label, param, unit, better, libvirt-dbus value, virtbusd value)"""
    rows = []

    def get(svc, w, p, m):
        return med.get((svc, w, p, m))

    def add(section, label, w, p, m, unit, better):
        ld, vb = get(LD, w, p, m), get(VB, w, p, m)
        if ld is None and vb is None:
            return
        rows.append((section, label, p, unit, better, ld, vb))

    for method, name in (("ping", "Peer.Ping"), ("getstate", "GetState"), ("get", "Get(Active)")):
        w = "cheap-" + method
        for p in params(med, w):
            if p.startswith("inflight=1/"):
                add("Cheap calls", f"{name} p50", w, p, "p50_us", "us", "lower")
            add("Cheap calls", f"{name} throughput", w, p, "calls_per_s", "/s", "higher")
    for w, name in (("list-seq", "ListDomains + GetAll each, sequential"),
                    ("list-pipe", "ListDomains + GetAll each, 32 in flight"),
                    ("list-gmo", "GetManagedObjects")):
        for p in params(med, w):
            add("Full picture (test driver)", name, w, p, "median_ms", "ms", "lower")
    for p in params(med, "list-seq"):
        n = p
        ld = [v for v in (get(LD, "list-seq", n, "median_ms"),
                          get(LD, "list-pipe", n + "/inflight=32", "median_ms")) if v is not None]
        vb = get(VB, "list-gmo", n, "median_ms")
        if ld or vb is not None:
            rows.append(("Full picture (test driver)", "libvirt-dbus's best way vs GetManagedObjects", n, "ms",
                         "lower", min(ld) if ld else None, vb))
    defines = sorted({w for (_, w, _, _) in med if w.startswith("define-to-")}, key=lambda w: int(w.split("-")[-1]))
    for w in defines:
        for p in params(med, w):
            add("Full picture (test driver)", f"DomainDefineXML up to {w.split('-')[-1]} domains", w, p, "total_ms",
                "ms", "lower")
    for w, name in (("qemu-list-pipe", "ListDomains + GetAll each, 32 in flight"),
                    ("qemu-list-gmo", "GetManagedObjects")):
        for p in params(med, w):
            add("Over libvirtd (QEMU)", name, w, p, "median_ms", "ms", "lower")
    for p in params(med, "hol-getstate"):
        add("Head-of-line", "GetState max while saving", "hol-getstate", p, "max_us", "us", "lower")
        add("Head-of-line", "GetState p99 while saving", "hol-getstate", p, "p99_us", "us", "lower")
        add("Head-of-line", "GetState p50 while saving", "hol-getstate", p, "p50_us", "us", "lower")
        add("Head-of-line", "Peer.Ping max while saving (floor)", "hol-ping", p, "max_us", "us", "lower")
        add("Head-of-line", "Peer.Ping p99 while saving (floor)", "hol-ping", p, "p99_us", "us", "lower")
        add("Head-of-line", "all saves done", "hol-save", p, "wall_ms", "ms", "lower")
    for p in params(med, "event-relay"):
        add("Event latency", "relay cost p50", "event-relay", p, "p50_us", "us", "lower")
        add("Event latency", "relay cost p99", "event-relay", p, "p99_us", "us", "lower")
    for p in params(med, "footprint"):
        add("Footprint", "RSS after listing", "footprint", p, "rss_kib", "kib", "lower")
        add("Footprint", "  of which anonymous (heap, stacks)", "footprint", p, "rss_anon_kib", "kib", "lower")
        add("Footprint", "  of which files (shared libraries)", "footprint", p, "rss_file_kib", "kib", "lower")
        add("Footprint", "PSS after listing", "footprint", p, "pss_kib", "kib", "lower")
        add("Footprint", "idle wake-ups", "footprint", p, "wakeups_per_s", "/s", "lower")
        add("Footprint", "threads", "footprint", p, "threads", "", "lower")
    for p in params(med, "startup"):
        add("Start-up", "exec to bus name", "startup", p, "name_owned_ms", "ms", "lower")
        add("Start-up", "exec to first full ListDomains", "startup", p, "first_full_list_ms", "ms", "lower")
    sec = "Callers other than root"
    for p in params(med, "auth-group"):
        add(sec, "fresh caller of group libvirt: full picture", "auth-group", p, "median_ms", "ms", "lower")
    for p in params(med, "auth-rule"):
        add(sec, "fresh caller under a per-domain rule: full picture", "auth-rule", p, "median_ms", "ms", "lower")
    for p in params(med, "storm"):
        add(sec, "storm: all lists done", "storm", p, "storm_ms", "ms", "lower")
        add(sec, "storm: one list, median", "storm", p, "list_median_ms", "ms", "lower")
        add(sec, "storm: another user's first answer", "storm", p, "newcomer_first_answer_ms", "ms", "lower")
        add(sec, "storm: cached caller p50", "storm", p, "cached_p50_ms", "ms", "lower")
        add(sec, "storm: cached caller p99", "storm", p, "cached_p99_ms", "ms", "lower")
        add(sec, "storm: cached caller max", "storm", p, "cached_max_ms", "ms", "lower")
    for p in params(med, "load"):
        add("Load", "calls answered", "load", p, "calls", "", "higher")
        add("Load", "throughput", "load", p, "calls_per_s", "/s", "higher")
        add("Load", "errors (calls failed, events missed)", "load", p, "errors", "", "lower")
        add("Load", "p50", "load", p, "p50_us", "us", "lower")
        add("Load", "p99", "load", p, "p99_us", "us", "lower")
        add("Load", "RSS after warm-up", "load", p, "rss_before_kib", "kib", "lower")
        add("Load", "RSS growth after warm-up", "load", p, "rss_growth_kib", "kib", "lower")
        add("Load", "descriptors before", "load", p, "fds_before", "", "lower")
        add("Load", "descriptors after", "load", p, "fds_after", "", "lower")
    rows += kinds_rows(med)
    return rows


def kinds_rows(med):
    """Networks and storage volumes: libvirt-dbus's way (list, then GetAll on
    each object) against virtbusd's GetManagedObjects, on the test driver and
    over libvirtd, in the same form as build_rows.  Wall-clock times, then the
    CPU time the service (and libvirtd) spent on one pass, which the
    machine's other load does not change."""
    rows = []
    lists = {"net": "ListNetworks + GetAll each", "vol": "ListStoragePools + ListStorageVolumes + GetAll each"}
    made = {"net": "NetworkDefineXML", "vol": "StorageVolCreateXML"}
    for prefix, section in (("kinds", "Networks and volumes (test driver)"),
                            ("qemu-kinds", "Networks and volumes (libvirtd)")):
        for kind in ("net", "vol"):
            seq, pipe, gmo = (f"{prefix}-{kind}-{m}" for m in ("seq", "pipe", "gmo"))
            for metric, what in (("median_ms", ""), ("cpu_ms", "service CPU: "), ("libvirtd_cpu_ms", "libvirtd CPU: ")):
                for w, how in ((seq, "sequential"), (pipe, "32 in flight")):
                    for p in params(med, w):
                        ld, vb = med.get((LD, w, p, metric)), med.get((VB, w, p, metric))
                        if ld is not None or vb is not None:
                            rows.append((section, f"{what}{lists[kind]}, {how}", p, "ms", "lower", ld, vb))
                if metric == "median_ms":
                    for p in params(med, gmo):
                        rows.append((section, "GetManagedObjects", p, "ms", "lower", None,
                                     med.get((VB, gmo, p, metric))))
                for p in params(med, seq):
                    ld = [v for v in (med.get((LD, seq, p, metric)),
                                      med.get((LD, pipe, p + "/inflight=32", metric))) if v is not None]
                    vb = med.get((VB, gmo, p, metric))
                    if ld or vb is not None:
                        rows.append((section, f"{what}libvirt-dbus's best way vs GetManagedObjects", p, "ms", "lower",
                                     min(ld) if ld else None, vb))
            if prefix == "kinds":
                w = f"kinds-{kind}-define"
                for p in params(med, w):
                    rows.append((section, f"{made[kind]} through the service", p, "ms", "lower",
                                 med.get((LD, w, p, "total_ms")), med.get((VB, w, p, "total_ms"))))
    return rows


def advantage(better, ld, vb):
    if ld is None or vb is None:
        return None
    if better == "lower":
        return ld / vb if vb > 0 else float("inf")
    return vb / ld if ld > 0 else float("inf")


def table(rows):
    out = ["| Workload | Measure | Parameters | libvirt-dbus | virtbusd | virtbusd better by |",
           "| --- | --- | --- | ---: | ---: | ---: |"]
    for section, label, p, unit, better, ld, vb in rows:
        a = advantage(better, ld, vb)
        astr = "–" if a is None else ("∞" if a == float("inf") else f"{a:.2f}x")
        out.append(f"| {section} | {label} | {p} | {fmt(ld, unit)} | {fmt(vb, unit)} | {astr} |")
    return "\n".join(out) + "\n"


def targets(med):
    """The targets of the benchmark issue, each as (text, measured, verdict)."""
    res = []

    def g(svc, w, p, m):
        return med.get((svc, w, p, m))

    def verdict(ok):
        return "met" if ok else "MISSED"

    gs = g(VB, "cheap-getstate", "inflight=1/procs=1", "p50_us")
    pg = g(VB, "cheap-ping", "inflight=1/procs=1", "p50_us")
    if gs and pg:
        r = gs / pg
        res.append(("virtbusd GetState p50 within 1.1x of its Peer.Ping", f"{r:.2f}x ({gs:.0f} µs vs {pg:.0f} µs)",
                    verdict(r <= 1.1)))
    for p, want, what in (("inflight=1/procs=1", 1.4, "sequential"), ("inflight=32/procs=1", 3.0, "32 in flight"),
                          ("inflight=1/procs=4", 1.4, "sequential, 4 processes"),
                          ("inflight=32/procs=4", 3.0, "32 in flight, 4 processes")):
        vb, ld = g(VB, "cheap-getstate", p, "calls_per_s"), g(LD, "cheap-getstate", p, "calls_per_s")
        if vb and ld:
            res.append((f"GetState throughput {what} at least {want}x libvirt-dbus",
                        f"{vb / ld:.2f}x ({vb:,.0f}/s vs {ld:,.0f}/s)", verdict(vb / ld >= want)))
    ns = params(med, "list-gmo")
    for n in ns[:1]:
        ld = [v for v in (g(LD, "list-seq", n, "median_ms"), g(LD, "list-pipe", n + "/inflight=32", "median_ms"))
              if v is not None]
        vb = g(VB, "list-gmo", n, "median_ms")
        if ld and vb:
            res.append((f"GetManagedObjects ({n}) at most 0.1x libvirt-dbus's best list",
                        f"{vb / min(ld):.3f}x ({vb:.1f} ms vs {min(ld):.1f} ms)", verdict(vb <= 0.1 * min(ld))))
    if len(ns) >= 2:
        a, b = ns[0], ns[-1]
        na, nb = float(a.split("=")[1]), float(b.split("=")[1])
        for w in ("list-gmo", "list-seq", "list-pipe"):
            pa = a if w != "list-pipe" else a + "/inflight=32"
            pb = b if w != "list-pipe" else b + "/inflight=32"
            va, vb = g(VB, w, pa, "median_ms"), g(VB, w, pb, "median_ms")
            if va and vb:
                growth, size = vb / va, nb / na
                res.append((f"virtbusd {w} scales linearly or better from {a} to {b}",
                            f"time x{growth:.1f} for domains x{size:.1f}", verdict(growth <= size * 1.1)))
    for p in params(med, "hol-getstate"):
        vb, ld = g(VB, "hol-getstate", p, "max_us"), g(LD, "hol-getstate", p, "max_us")
        floor = g(VB, "hol-ping", p, "max_us")
        if vb is not None:
            res.append((f"Head-of-line ({p}): virtbusd GetState max under 5 ms",
                        f"{vb / 1000:.2f} ms" + (f" (Peer.Ping max in the same conditions: {floor / 1000:.2f} ms)"
                                                 if floor is not None else ""),
                        verdict(vb < 5000)))
        if vb is not None and ld:
            res.append((f"Head-of-line ({p}): virtbusd max under 0.01x libvirt-dbus's",
                        f"{vb / ld:.4f}x ({vb / 1000:.2f} ms vs {ld / 1000:.1f} ms)", verdict(vb < ld / 100)))
    for p in params(med, "event-relay"):
        for m in ("p50_us", "p99_us"):
            vb, ld = g(VB, "event-relay", p, m), g(LD, "event-relay", p, m)
            if vb is not None and ld:
                res.append((f"Event relay cost {m[:3]} at most 0.6x libvirt-dbus's",
                            f"{vb / ld:.2f}x ({vb:.0f} µs vs {ld:.0f} µs)", verdict(vb <= 0.6 * ld)))
    for p in params(med, "footprint"):
        vb, ld = g(VB, "footprint", p, "rss_kib"), g(LD, "footprint", p, "rss_kib")
        if vb and ld:
            res.append(("RSS after listing the QEMU domains at most half of libvirt-dbus's",
                        f"{vb / ld:.2f}x ({vb / 1024:.1f} MiB vs {ld / 1024:.1f} MiB)", verdict(vb <= ld / 2)))
        vb, ld = g(VB, "footprint", p, "rss_anon_kib"), g(LD, "footprint", p, "rss_anon_kib")
        if vb and ld:
            res.append(("(for reference) anonymous RSS at most half of libvirt-dbus's",
                        f"{vb / ld:.2f}x ({vb / 1024:.1f} MiB vs {ld / 1024:.1f} MiB)", verdict(vb <= ld / 2)))
        vb, ld = g(VB, "footprint", p, "wakeups_per_s"), g(LD, "footprint", p, "wakeups_per_s")
        if vb is not None and ld is not None:
            res.append(("Idle wake-ups no more than libvirt-dbus's", f"{vb:.2f}/s vs {ld:.2f}/s",
                        verdict(vb <= ld)))
    for w, who in (("auth-group", "a fresh caller of group libvirt"),
                   ("auth-rule", "a fresh caller under a per-domain rule")):
        for p in params(med, w):
            vb, ld = g(VB, w, p, "median_ms"), g(LD, w, p, "median_ms")
            if vb is not None and ld:
                res.append((f"Full picture ({p}) for {who} at most 0.2x libvirt-dbus's",
                            f"{vb / ld:.3f}x ({vb:.1f} ms vs {ld:.1f} ms)", verdict(vb <= 0.2 * ld)))
    for p in params(med, "storm"):
        vb = g(VB, "storm", p, "newcomer_first_answer_ms")
        if vb is not None:
            res.append((f"Storm ({p}): another user's first answer within 1 s", f"{vb:.1f} ms", verdict(vb <= 1000)))
        vb = g(VB, "storm", p, "cached_max_ms")
        if vb is not None:
            res.append((f"Storm ({p}): a caller with cached verdicts never waits over 250 ms",
                        f"max {vb:.1f} ms (p50 {g(VB, 'storm', p, 'cached_p50_ms'):.2f} ms, "
                        f"p99 {g(VB, 'storm', p, 'cached_p99_ms'):.2f} ms)", verdict(vb <= 250)))
    for p in params(med, "load"):
        e, grow = g(VB, "load", p, "errors"), g(VB, "load", p, "rss_growth_kib")
        f0, f1 = g(VB, "load", p, "fds_before"), g(VB, "load", p, "fds_after")
        if e is not None:
            res.append((f"Load ({p}): no errors, every event delivered", f"{e:g} errors", verdict(e == 0)))
        if grow is not None:
            res.append((f"Load ({p}): RSS flat within 1 MiB after warm-up", f"{grow / 1024:+.2f} MiB",
                        verdict(abs(grow) <= 1024)))
        if f0 is not None and f1 is not None:
            res.append((f"Load ({p}): no growth in descriptors", f"{f0:g} before, {f1:g} after", verdict(f1 <= f0)))
    return res


def targets_md(res):
    out = ["| Target | Measured | Verdict |", "| --- | --- | --- |"]
    for t, m, v in res:
        out.append(f"| {t} | {m} | {v} |")
    return "\n".join(out) + "\n"


def read_samples(files):
    vals = []
    for f in files:
        with open(f) as fh:
            vals.extend(float(x) for x in fh if x.strip())
    return sorted(vals)


def write_cdf(path, vals):
    """Empirical CDF thinned to at most ~2000 points, latency in ms."""
    n = len(vals)
    step = max(1, n // 2000)
    with open(path, "w") as f:
        for i in range(0, n, step):
            f.write(f"{vals[i] / 1000:.6f} {(i + 1) / n:.6f}\n")
        if n:
            f.write(f"{vals[-1] / 1000:.6f} 1.0\n")
    return n > 0


def chart(med, samples_dir, out, title):
    data = os.path.join(out, "chart-data")
    os.makedirs(data, exist_ok=True)
    colors = {LD: "#d95f02", VB: "#1b9e77"}
    plots = {}

    def cdf(name, pattern):
        series = []
        for svc in (LD, VB):
            files = sorted(glob.glob(os.path.join(samples_dir, f"{svc}-r*-{pattern}")))
            vals = read_samples(files)
            path = os.path.join(data, f"{name}-{svc}.dat")
            if write_cdf(path, vals):
                series.append((svc, path))
        plots[name] = series

    cdf("getstate", "cheap-getstate-i1-p1.txt")
    cdf("ping", "cheap-ping-i1-p1.txt")
    cdf("events", "events.txt")
    hol_sizes = sorted({p for (_, w, p, _) in med if w == "hol-getstate"}, key=lambda p: int(p.split("=")[1]))
    for p in hol_sizes:
        h = p.split("=")[1]
        cdf("hol-" + h, f"hol-getstate-{h}.txt")

    # List times: one cluster per domain count.
    lists = os.path.join(data, "lists.dat")
    ns = params(med, "list-seq")
    columns = [("libvirt-dbus seq", LD, "list-seq", "", "#fc8d62"),
               ("libvirt-dbus 32 in flight", LD, "list-pipe", "/inflight=32", "#d95f02"),
               ("virtbusd seq", VB, "list-seq", "", "#66c2a5"),
               ("virtbusd 32 in flight", VB, "list-pipe", "/inflight=32", "#1b9e77"),
               ("virtbusd GetManagedObjects", VB, "list-gmo", "", "#0b4f3c")]
    # gnuplot refuses a histogram column without a single value.
    columns = [c for c in columns if any(med.get((c[1], c[2], n + c[3], "median_ms")) for n in ns)]
    with open(lists, "w") as f:
        f.write("n " + " ".join(f'"{c[0]}"' for c in columns) + "\n")
        for n in ns:
            vals = [med.get((c[1], c[2], n + c[3], "median_ms")) for c in columns]
            f.write(f'"{n.split("=")[1]} domains" ' + " ".join("NaN" if v is None else f"{v:.3f}" for v in vals)
                    + "\n")
    hist = ", \\\n  ".join(
        (f"'{lists}' using {i + 2}:xtic(1)" if i == 0 else f"'' using {i + 2}")
        + f" title columnheader({i + 2}) lc rgb '{c[4]}'" for i, c in enumerate(columns))
    if not hist:
        # Nothing to draw (no domain lists were run): a placeholder the
        # logarithmic axis accepts.
        hist = "1 notitle"

    def cdf_plot(name_titles, ptitle):
        parts = []
        for name, dash in name_titles:
            for svc, path in plots.get(name, []):
                parts.append(f"'{path}' using 1:2 with lines lw 2 dt {dash} lc rgb '{colors[svc]}' "
                             f"title '{svc} {name}'")
        if not parts:
            return "set title '" + ptitle + " (no data)'\nunset key\nplot 0 notitle\n"
        return f"set title '{ptitle}'\nplot " + ", \\\n  ".join(parts) + "\n"

    hol_parts = [(f"hol-{p.split('=')[1]}", i + 1) for i, p in enumerate(hol_sizes)]
    script = f"""
set terminal pngcairo size 1400,1000 font 'sans,10'
set output '{os.path.join(out, "chart.png")}'
set multiplot layout 2,2 title '{title}'
set grid
set key bottom right
set logscale x
set xlabel 'latency (ms, log scale)'
set ylabel 'fraction of calls'
set yrange [0:1]
{cdf_plot([("getstate", 1), ("ping", 2)], "Sequential GetState and Peer.Ping")}
{cdf_plot(hol_parts, "GetState on an idle domain while N guests are saved (hol-N)")}
{cdf_plot([("events", 1)], "Event relay cost (D-Bus arrival minus libvirt arrival)")}
unset logscale x
set title 'Listing every domain with its properties (test driver)'
set logscale y
set yrange [*:*]
set ylabel 'time (ms, log scale)'
set xlabel ''
set key top left
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
plot {hist}
unset multiplot
"""
    gp = os.path.join(data, "chart.gp")
    with open(gp, "w") as f:
        f.write(script)
    # A subset of the workloads (--parts, --services) may leave a panel
    # without data: the table and the targets still stand.
    if subprocess.run(["gnuplot", gp]).returncode != 0:
        print("report.py: no chart (gnuplot failed; some panels have no data)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds-csv", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()

    med = load(a.rounds_csv)
    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["service", "workload", "param", "metric", "value"])
        for (svc, wl, p, m), v in sorted(med.items()):
            w.writerow([svc, wl, p, m, f"{v:.6g}"])

    machine = open(a.machine).read() if a.machine else ""
    rounds = len({row["round"] for row in csv.DictReader(open(a.rounds_csv))})
    text = "Medians over %d round(s).\n\n" % rounds
    text += table(build_rows(med))
    res = targets(med)
    if res:
        text += "\nTargets:\n\n" + targets_md(res)
    if a.smoke:
        text += "\n(smoke run: tiny counts, the figures mean nothing)\n"
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(machine.replace("# ", "") + "\n" + text)
    sys.stdout.write(text)
    title = "virtbusd vs libvirt-dbus" + (" (smoke run)" if a.smoke else "")
    chart(med, a.samples, a.out, title)


if __name__ == "__main__":
    main()

"""Turn a benchmark run's JSON into a Markdown report and PNG charts.

    python -m benchmarks.report RUN.json [--out DIR] [--no-charts]    (from the repository root)

RUN.json is what ``pytest benchmarks --benchmark-json=RUN.json`` (or --benchmark-autosave, under
.benchmarks/) wrote.  DIR (default: the JSON's folder) receives report.md with the tables
(guest MIPS of rvemu and each peer with the ratio rvemu/peer; the peers' measurements; boot to
the shell prompt; the cost of each kind of page fault in the xv6 guest beside Linux on the host)
and the charts mips.png, boot.png and faults.png.  The charts need matplotlib (the test
extras pin it); it is imported only when charts are drawn, and without it the command stops with
a message saying so (--no-charts writes the tables alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

KNOWN_PEERS = ("qemu", "spike", "unicorn")
DASH = "—"


class ReportError(Exception):
    """A clear one-line reason the report cannot be made."""


# ---- reading --------------------------------------------------------------------------------

def load(path: Path) -> dict:
    try:
        run = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, ValueError) as e:
        raise ReportError(f"{path}: not a JSON file ({e})") from None
    if not isinstance(run, dict) or not isinstance(run.get("benchmarks"), list):
        raise ReportError(f"{path}: not a pytest-benchmark JSON file (no 'benchmarks' list)")
    return run


def _param(b: dict, key: str):
    info = b.get("extra_info") or {}
    if key in info:
        return info[key]
    return (b.get("params") or {}).get(key)


def _stats(b: dict) -> Dict[str, Optional[float]]:
    s = b.get("stats") or {}
    return {k: s.get(k) for k in ("median", "min", "max", "rounds")}


def collect(run: dict) -> dict:
    """The run's figures: {"interp": {workload: row}, "peers": {(peer, workload): row},
    "boot": {harts: row}, "peer_names": [...], "faults": [row, ...], "native": row or None}
    with rows holding extra_info and stats."""
    interp, peers, boot, faults, native = {}, {}, {}, [], None
    for b in run["benchmarks"]:
        group, info = b.get("group"), b.get("extra_info") or {}
        row = dict(info, **{"stats": _stats(b)})
        if group == "interpreter" and _param(b, "workload"):
            interp[_param(b, "workload")] = row
        elif group == "peers" and info.get("peer"):
            peers[(info["peer"], info["workload"])] = row
        elif group == "boot" and _param(b, "harts") is not None:
            boot[int(_param(b, "harts"))] = row
        elif group == "faults" and info.get("scenario"):
            faults.append(row)
        elif group == "faults-native" and info.get("kinds"):
            native = row
    seen = {p for p, _ in peers}
    names = [p for p in KNOWN_PEERS if p in seen] + sorted(seen - set(KNOWN_PEERS))
    order = [w for w in ("integer", "memory", "tlb") if w in interp or any(
        w == pw for _, pw in peers)]
    order += sorted(({w for w in interp} | {w for _, w in peers}) - set(order))
    return {"interp": interp, "peers": peers, "boot": boot, "peer_names": names,
            "workloads": order, "faults": sorted(faults, key=fault_order), "native": native}


# The page-fault scenarios in the order benchmarks/test_faults.py defines them.
FAULT_SCENARIOS = ("anon", "anon-threaded", "huge", "populate", "file-major", "file-cached",
                   "private-cow", "fork-cow", "shared-store", "msync", "munmap", "read",
                   "read-cached")


def fault_order(row: dict) -> tuple:
    name = row.get("scenario")
    rank = FAULT_SCENARIOS.index(name) if name in FAULT_SCENARIOS else len(FAULT_SCENARIOS)
    return (rank, name, row.get("kernel") != "dbit", row.get("pages") or 0)


def fault_pages(row: dict) -> str:
    """N, or "N of M" for msync and munmap (N dirty pages of M mapped)."""
    if row.get("mapped"):
        return f"{row.get('pages')} of {row['mapped']}"
    return str(row.get("pages", ""))


def fault_label(row: dict) -> str:
    """For the chart: "anon", "shared-store (wp)", "msync 16 of 64 (dbit)"."""
    label = row["scenario"]
    if row.get("mapped"):
        label += " " + fault_pages(row)
    if row["scenario"] in ("shared-store", "msync", "munmap"):
        label += f" ({row.get('kernel')})"
    return label


# ---- formatting -----------------------------------------------------------------------------

def rvemu_mips(row: dict):
    """rvemu's MIPS net of the empty program (older runs only have the whole-run figure)."""
    return row.get("net_mips", row.get("mips"))


def fmt_mips(x) -> str:
    if x is None:
        return DASH
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(x) -> str:
    if x is None:
        return DASH
    return f"{x:.3f}" if x < 0.1 else f"{x:.2f}"


def fmt_int(x) -> str:
    return DASH if x is None else f"{x:,}"


def fmt_s(x, digits: int = 3) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def fmt_us(ns) -> str:
    """Nanoseconds as microseconds, three significant digits (at least the units)."""
    if ns is None:
        return DASH
    us = ns / 1000
    if abs(us) >= 100:
        return f"{us:,.0f}"
    return f"{us:#.3g}" if abs(us) >= 0.001 else f"{us:.1g}"


def fmt_count(x) -> str:
    """A count or mean count: whole above 100, else one decimal (none when it is 0)."""
    if x is None:
        return DASH
    if abs(x) >= 100:
        return f"{x:,.0f}"
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def table(head: List[str], rows: List[List[str]], align: str = "") -> List[str]:
    """A Markdown table; align has one letter per column, l or r (default: l, then r)."""
    align = align or "l" + "r" * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if a == "l" else "--:" for a in align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def machine_line(run: dict) -> str:
    mi = run.get("machine_info") or {}
    cpu = mi.get("cpu") or {}
    parts = []
    if cpu.get("brand_raw"):
        parts.append(str(cpu["brand_raw"]))
    if cpu.get("hz_advertised_friendly"):
        parts.append(str(cpu["hz_advertised_friendly"]))
    if cpu.get("count"):
        parts.append(f"{cpu['count']} CPUs")
    if mi.get("system"):
        parts.append(f"{mi['system']} {mi.get('release', '')}".strip())
    if mi.get("python_implementation"):
        parts.append(f"{mi['python_implementation']} {mi.get('python_version', '')}".strip())
    return ", ".join(parts) or "unknown machine"


def guest_mips_table(data: dict) -> List[str]:
    names = data["peer_names"]
    lines = ["## Guest MIPS", "",
             "All figures are net of the empty program (the same ELF with rounds = 0: "
             "start-up, page tables, exit), measured the same way for rvemu and the peers; "
             "see the tables below.  Ratio = rvemu MIPS / peer MIPS (above 1: rvemu is "
             f"faster).  {DASH}: not run (peer not installed, or the test was deselected).", ""]
    head = ["workload", "instructions", "rvemu MIPS"]
    for p in names:
        head += [f"{p} MIPS", f"rvemu/{p}"]
    rows = []
    for w in data["workloads"]:
        r = data["interp"].get(w, {})
        row = [w, fmt_int(r.get("instructions")), fmt_mips(rvemu_mips(r))]
        for p in names:
            pr = data["peers"].get((p, w), {})
            row += [fmt_mips(pr.get("mips")), fmt_ratio(pr.get("ratio"))]
        rows.append(row)
    lines += table(head, rows) + [""]
    return lines


def markdown(data: dict, run: dict, charts: List[str]) -> str:
    names = data["peer_names"]
    ci = run.get("commit_info") or {}
    lines = ["# rvemu benchmark report", ""]
    lines.append(f"- Run: {run.get('datetime', '?')}, pytest-benchmark {run.get('version', '?')}")
    lines.append(f"- Machine: {machine_line(run)}")
    if ci.get("id"):
        dirty = " (with uncommitted changes)" if ci.get("dirty") else ""
        lines.append(f"- Commit: {ci['id'][:12]}{dirty}")
    lines.append("")

    if data["workloads"]:
        lines += guest_mips_table(data)

    if data["interp"]:
        lines += ["## rvemu runs", "",
                  "A fresh machine per round (cold decoded-code cache and TLBs).  Seconds: "
                  "median of the rounds; whole-run MIPS counts machine creation and loading "
                  "too.", ""]
        head = ["workload", "instructions", "seconds", "rounds", "whole-run MIPS", "empty s",
                "net MIPS", "page walks"]
        rows = []
        for w in data["workloads"]:
            r = data["interp"].get(w)
            if r is None:
                continue
            s = r["stats"]
            rows.append([w, fmt_int(r.get("instructions")), fmt_s(s.get("median")),
                         fmt_int(s.get("rounds")), fmt_mips(r.get("mips")),
                         fmt_s(r.get("empty_seconds")), fmt_mips(r.get("net_mips")),
                         fmt_int(r.get("page_walks"))])
        lines += table(head, rows) + [""]

    if data["peers"]:
        lines += ["## Peer measurements", "",
                  "Each peer ran the workload ELF with `rounds` scaled (×scale) so that its net "
                  "time is about half a second, and the same ELF with rounds = 0 (the empty "
                  "program); seconds are medians of the repeats.  Instructions are rvemu's exact "
                  "counts of those files.", ""]
        head = ["peer", "workload", "rounds", "instructions", "seconds", "empty s",
                "peer MIPS", "rvemu MIPS", "version"]
        rows = []
        for p in names:
            for w in data["workloads"]:
                r = data["peers"].get((p, w))
                if r is None:
                    continue
                scale = f" (×{r['scale']})" if r.get("scale") else ""
                rvm = fmt_mips(r.get("rvemu_mips"))
                if r.get("rvemu_mips_from") not in (None, "test_mips"):
                    rvm += f" ({r['rvemu_mips_from']})"
                rows.append([p, w, f"{r.get('rounds')}{scale}", fmt_int(r.get("instructions")),
                             fmt_s(r.get("seconds")), fmt_s(r.get("empty_seconds")),
                             fmt_mips(r.get("mips")), rvm, str(r.get("peer_version", ""))])
        lines += table(head, rows, align="llrrrrrrl") + [""]

    if data["boot"]:
        lines += ["## Boot to the shell prompt", "",
                  "xv6 image from a fresh board to `$ `, a private copy of the image per round.  "
                  "Host seconds: median and range of the rounds; guest seconds: machine time "
                  "(idle harts skip ahead to their timers).", ""]
        head = ["harts", "instructions", "host s (median)", "min – max", "rounds", "MIPS",
                "guest s"]
        rows = []
        for h in sorted(data["boot"]):
            r = data["boot"][h]
            s = r["stats"]
            med = s.get("median") if s.get("median") is not None else r.get("seconds")
            rng = f"{fmt_s(s.get('min'))} – {fmt_s(s.get('max'))}" if s.get("min") else DASH
            rows.append([str(h), fmt_int(r.get("instructions")), fmt_s(med), rng,
                         fmt_int(s.get("rounds")), fmt_mips(r.get("mips")),
                         fmt_s(r.get("guest_seconds"), 2)])
        lines += table(head, rows) + [""]

    if data["faults"]:
        lines += fault_tables(data)

    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    return "\n".join(lines)


def fault_tables(data: dict) -> List[str]:
    rows = data["faults"]
    lines = ["## Page-fault cost in the xv6 guest", "",
             "One `faultbench SCENARIO N` command per row on a freshly booted 1-hart board "
             "(benchmarks/test_faults.py).  Instructions per fault: guest instructions retired "
             "(user and kernel) in the faulting loop less the same loop over mapped pages, "
             "divided by N (msync, munmap: by the dirty pages written back; read: per page "
             "read; huge: by the 2 MiB faults, one per 512 pages); exact and the same in every round.  Faults counted: the kernel's own "
             "counter of that kind in the measured loop (getrusage, or vmstat's disk_reads for "
             "read).  rvemu µs: host time of the same difference (median of the rounds).  "
             "Linux: the same pattern on the host (benchmarks/native), µs per page and the "
             "faults Linux counted (minor/major; Linux maps up to 16 cached file pages per "
             "fault and reads ahead, and its munmap does not write back).  Aim: the "
             "instructions per fault the design aims at (reported, not checked).", ""]
    head = ["scenario", "kernel", "N", "faults counted", "instructions / fault",
            "rvemu µs / fault", "Linux µs / page", "Linux faults", "aim"]
    out = []
    for r in rows:
        counted = DASH if r.get("faults") is None else f"{r['faults']:,} {r.get('counter', '')}"
        nat_f = (f"{r['native_minflt']}/{r['native_majflt']}"
                 if r.get("native_minflt") is not None else DASH)
        aim = f"≤ {r['guide']:,}" if r.get("guide") else ""
        over = r.get("guide") and (r.get("instructions_per_fault") or 0) > r["guide"]
        ipf = fmt_count(r.get("instructions_per_fault"))
        out.append([r["scenario"], str(r.get("kernel", "")), fault_pages(r), counted,
                    f"**{ipf}**" if over else ipf, fmt_us(r.get("host_ns_per_fault")),
                    fmt_us(r.get("native_ns")), nat_f, aim])
    lines += table(head, out, align="llrrrrrrr") + [""]
    if any(r.get("guide") and (r.get("instructions_per_fault") or 0) > r["guide"] for r in rows):
        lines += ["Bold: above the aim.", ""]
    nat = data.get("native")
    if nat:
        lines += [f"Linux figures: {nat.get('fs_type', '?')} file system, median of "
                  f"{nat.get('reps', '?')} repetitions, built with `{nat.get('compiler', '?')}`.",
                  ""]
    return lines


# ---- charts ---------------------------------------------------------------------------------

def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ReportError("the charts need matplotlib, which is not installed: "
                          "pip install matplotlib (pinned in the test extras: "
                          "pip install '.[test]'), or pass --no-charts for the tables "
                          "alone") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_mips(plt, data: dict, path: Path) -> bool:
    workloads = [w for w in data["workloads"]]
    series = [("rvemu", [rvemu_mips(data["interp"].get(w, {})) for w in workloads])]
    for p in data["peer_names"]:
        series.append((p, [data["peers"].get((p, w), {}).get("mips") for w in workloads]))
    if not workloads or not any(v for _, vals in series for v in vals):
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(series)
    for i, (name, vals) in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(workloads))]
        heights = [v or 0 for v in vals]
        bars = ax.bar(xs, heights, width, label=name)
        for bar, v in zip(bars, vals):
            if v:
                ax.annotate(fmt_mips(v), (bar.get_x() + bar.get_width() / 2, v),
                            ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(workloads)), workloads)
    ax.set_yscale("log")
    ax.set_ylabel("guest MIPS (log scale)")
    ax.set_title("Guest MIPS: rvemu and peers, same ELF files")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw_faults(plt, data: dict, path: Path) -> bool:
    rows = [r for r in data["faults"] if r.get("instructions_per_fault") is not None]
    if not rows:
        return False
    labels = [fault_label(r) for r in rows]
    ys = list(range(len(rows)))[::-1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.32 * len(rows) + 1.6), sharey=True)
    ipf = [max(r["instructions_per_fault"], 0.5) for r in rows]
    colors = ["tab:orange" if r.get("kernel") == "wp" else "tab:blue" for r in rows]
    left.barh(ys, ipf, color=colors)
    for y, x, r in zip(ys, ipf, rows):
        left.annotate(f" {fmt_count(r['instructions_per_fault'])}", (x, y), va="center",
                      fontsize=7)
        if r.get("guide"):
            left.plot([r["guide"]] * 2, [y - 0.4, y + 0.4], color="black", linewidth=1)
    left.set_yticks(ys, labels)
    left.set_xscale("log")
    left.set_xlim(right=max(ipf) * 20)             # room for the labels
    left.set_xlabel("guest instructions per fault (log; tick: aim;\nblue: dbit kernel, "
                    "orange: wp kernel)")
    left.set_title("xv6 guest: instructions per fault")
    h = 0.38
    guest = [max((r.get("host_ns_per_fault") or 0) / 1000, 1e-3) for r in rows]
    linux = [(r.get("native_ns") or 0) / 1000 for r in rows]
    right.barh([y + h / 2 for y in ys], guest, h, label="rvemu (guest fault, host time)",
               color="tab:blue")
    right.barh([y - h / 2 for y in ys], [max(v, 1e-3) if v else 0 for v in linux], h,
               label="Linux on the host (per page)", color="tab:green")
    right.set_xscale("log")
    right.set_xlabel("host µs per fault (log)")
    right.set_title("Host time")
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw_boot(plt, data: dict, path: Path) -> bool:
    if not data["boot"]:
        return False
    harts = sorted(data["boot"])
    rows = [data["boot"][h] for h in harts]
    med = [r["stats"].get("median") or r.get("seconds") or 0 for r in rows]
    lo = [m - (r["stats"].get("min") or m) for m, r in zip(med, rows)]
    hi = [(r["stats"].get("max") or m) - m for m, r in zip(med, rows)]
    fig, ax = plt.subplots(figsize=(5, 4))
    bars = ax.bar([f"{h} hart{'s' if h > 1 else ''}" for h in harts], med, 0.5,
                  yerr=[lo, hi], capsize=6, color="tab:blue")
    for bar, r in zip(bars, rows):
        n = r.get("instructions")
        label = f"{n / 1e6:.1f} M instr." if n else ""
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height() / 2),
                    ha="center", va="center", color="white", fontsize=8)
    ax.set_ylabel("host seconds to the shell prompt\n(median, min–max)")
    ax.set_title("xv6 boot time on rvemu")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---- command --------------------------------------------------------------------------------

def make_report(json_path: Path, out: Optional[Path] = None, charts: bool = True) -> Path:
    """Write out/report.md (and the charts); returns the report's path."""
    plt = _pyplot() if charts else None          # fail before writing anything
    run = load(json_path)
    data = collect(run)
    if not (data["interp"] or data["peers"] or data["boot"] or data["faults"]):
        raise ReportError(f"{json_path}: no rvemu benchmark results in it (a run with "
                          "--benchmark-disable saves none)")
    out = Path(out) if out else Path(json_path).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    drawn = []
    if plt is not None:
        if draw_mips(plt, data, out / "mips.png"):
            drawn.append("mips.png")
        if draw_boot(plt, data, out / "boot.png"):
            drawn.append("boot.png")
        if draw_faults(plt, data, out / "faults.png"):
            drawn.append("faults.png")
    report = out / "report.md"
    report.write_text(markdown(data, run, drawn))
    return report


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                description="Markdown table and PNG charts from a "
                                            "pytest-benchmark JSON file of this suite")
    p.add_argument("json", type=Path, help="the file --benchmark-json wrote")
    p.add_argument("--out", type=Path, help="output folder (default: the JSON's folder)")
    p.add_argument("--no-charts", action="store_true", help="tables only (no matplotlib)")
    args = p.parse_args(argv)
    try:
        report = make_report(args.json, args.out, charts=not args.no_charts)
    except ReportError as e:
        print(f"benchmarks.report: {e}", file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

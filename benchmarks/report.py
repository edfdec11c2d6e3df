"""Turn a benchmark run's JSON into a Markdown report and PNG charts.

    python -m benchmarks.report RUN.json [--out DIR] [--no-charts]    (from the repository root)

RUN.json is what ``pytest benchmarks --benchmark-json=RUN.json`` (or --benchmark-autosave, under
.benchmarks/) wrote.  DIR (default: the JSON's folder) receives report.md with the tables
(guest MIPS of rvemu and each peer with the ratio rvemu/peer; the peers' measurements; code and
data in one page beside the page-aligned twin; host instructions per guest instruction from
callgrind; the multi-hart start-up on 1 and 3 harts; boot to the shell prompt; the xv6 guest's
boot, `xv6test -q` and `mmaptest` on 1 and 3 harts; the cost of each kind of page fault in the
xv6 guest beside Linux on the host) and the charts mips.png,
hostinsns.png, smpboot.png, boot.png and faults.png.  The charts need matplotlib (the test
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
# benchmarks/programs: WORKLOADS in their order, and (shared layout, page-aligned twin) pairs
KNOWN_WORKLOADS = ("integer", "memory", "tlb", "sharedpage", "sharedpage-aligned")
SHARED_PAIRS = (("sharedpage", "sharedpage-aligned"),)
# test_callgrind.py's cases in their order
CALLGRIND_CASES = ("integer", "memory", "tlb", "sharedpage", "sharedpage-aligned", "smpboot-1",
                   "smpboot-3")
# test_xv6.py's cases (commands typed at the xv6 shell) in their order, and the phases of each
XV6_CASES = ("xv6test", "mmaptest")
XV6_PHASES = (("boot", "boot"), ("command", "command"), ("total", "boot + command"))
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
    "boot": {harts: row}, "peer_names": [...], "faults": [row, ...], "native": row or None,
    "hostinsns": {case: row}, "smp": {harts: row}, "xv6": {case: {harts: row}}} with rows
    holding extra_info and stats."""
    interp, peers, boot, faults, native = {}, {}, {}, [], None
    hostinsns, smp, xv6 = {}, {}, {}
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
        elif group == "host-instructions" and info.get("workload"):
            hostinsns[info["workload"]] = row
        elif group == "smp-boot" and info.get("harts") is not None:
            smp[int(info["harts"])] = row
        elif group == "xv6" and info.get("case") and info.get("phases"):
            xv6.setdefault(info["case"], {})[int(info["harts"])] = row
    seen = {p for p, _ in peers}
    names = [p for p in KNOWN_PEERS if p in seen] + sorted(seen - set(KNOWN_PEERS))
    order = [w for w in KNOWN_WORKLOADS if w in interp or any(
        w == pw for _, pw in peers)]
    order += sorted(({w for w in interp} | {w for _, w in peers}) - set(order))
    cases = [c for c in CALLGRIND_CASES if c in hostinsns]
    cases += sorted(set(hostinsns) - set(cases))
    return {"interp": interp, "peers": peers, "boot": boot, "peer_names": names,
            "workloads": order, "faults": sorted(faults, key=fault_order), "native": native,
            "hostinsns": {c: hostinsns[c] for c in cases}, "smp": smp,
            "xv6": {c: xv6[c] for c in [c for c in XV6_CASES if c in xv6]
                    + sorted(set(xv6) - set(XV6_CASES))}}


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

    lines += shared_page_table(data)
    lines += hostinsns_table(data)
    lines += smp_table(data)

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

    lines += xv6_tables(data)

    if data["faults"]:
        lines += fault_tables(data)

    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    return "\n".join(lines)


def shared_page_table(data: dict) -> List[str]:
    """sharedpage beside its page-aligned twin: the same instructions, another layout."""
    pairs = [(s, a) for s, a in SHARED_PAIRS if s in data["interp"] or a in data["interp"]
             or any(w in (s, a) for _, w in data["peers"])]
    if not pairs:
        return []
    names = [p for p in data["peer_names"]
             if any((p, w) in data["peers"] for pair in pairs for w in pair)]
    lines = ["## Code and data in one page", "",
             "The same objects linked twice: data in the page of the hot loop's code (the "
             "first program), and on a page of its own (the second); both run the same "
             "instructions.  MIPS net of the empty program; slowdown = MIPS with the data "
             "apart / MIPS with the data in the code's page (1: no cost).", ""]
    head = ["shared / aligned", "instructions", "rvemu MIPS shared", "rvemu MIPS aligned",
            "rvemu slowdown"]
    for p in names:
        head += [f"{p} slowdown"]
    rows = []
    for shared, aligned in pairs:
        rs, ra = data["interp"].get(shared, {}), data["interp"].get(aligned, {})
        ms, ma = rvemu_mips(rs), rvemu_mips(ra)
        row = [f"{shared} / {aligned}", fmt_int(rs.get("instructions", ra.get("instructions"))),
               fmt_mips(ms), fmt_mips(ma), fmt_slowdown(ma, ms)]
        for p in names:
            row.append(fmt_slowdown(data["peers"].get((p, aligned), {}).get("mips"),
                                    data["peers"].get((p, shared), {}).get("mips")))
        rows.append(row)
    return lines + table(head, rows) + [""]


def fmt_slowdown(fast, slow) -> str:
    if not fast or not slow:
        return DASH
    return f"{fast / slow:.2f}x"


def hostinsns_table(data: dict) -> List[str]:
    rows = data["hostinsns"]
    if not rows:
        return []
    lines = ["## Host instructions per guest instruction (callgrind)", "",
             "Each workload and its empty program (rounds = 0) run in a fresh Python process "
             "under `valgrind --tool=callgrind` (benchmarks/test_callgrind.py); host per guest "
             "= (Ir(workload) - Ir(empty)) / (guest instructions(workload) - guest "
             "instructions(empty)), all harts.  Exact counts: they repeat from run to run, "
             "unlike host time.", ""]
    head = ["workload", "harts", "rounds", "guest instructions", "host Ir", "empty: guest",
            "empty: host Ir", "host / guest"]
    out = []
    for case, r in rows.items():
        out.append([case, fmt_int(r.get("harts")), fmt_int(r.get("rounds")),
                    fmt_int(r.get("instructions")), fmt_int(r.get("ir")),
                    fmt_int(r.get("instructions_empty")), fmt_int(r.get("ir_empty")),
                    fmt_count(r.get("host_per_guest"))])
    return lines + table(head, out) + [""]


def smp_ratio(data: dict, harts: int, key: str):
    """Figure `key` (seconds, instructions) on `harts` over the same on 1 hart (same fill)."""
    one, r = data["smp"].get(1), data["smp"].get(harts)
    if not one or not r or one.get("fill_mib") != r.get("fill_mib"):
        return None
    a, b = r.get(key), one.get(key)
    return a / b if a and b else None


def smp_seconds(r: dict):
    s = r["stats"]
    return s.get("median") if s.get("median") is not None else r.get("seconds")


def smp_table(data: dict) -> List[str]:
    if not data["smp"]:
        return []
    lines = ["## Multi-hart start-up (smpboot)", "",
             "Hart 0 fills RAM byte by byte while the other harts spin on a flag, then every "
             "hart does a little work (benchmarks/programs/smpboot.c), on a fresh machine per "
             "round.  Host seconds: median and range of the rounds; ratios: over the 1-hart "
             "run (the aim for 3 harts: host time within 1.3x).", ""]
    head = ["harts", "fill MiB", "instructions (all harts)", "per hart", "host s (median)",
            "min – max", "rounds", "MIPS", "host time / 1 hart", "instructions / 1 hart"]
    rows = []
    for h in sorted(data["smp"]):
        r = data["smp"][h]
        s = r["stats"]
        rng = f"{fmt_s(s.get('min'))} – {fmt_s(s.get('max'))}" if s.get("min") else DASH
        for_one = [smp_ratio(data, h, "seconds"), smp_ratio(data, h, "instructions")]
        rows.append([str(h), fmt_int(r.get("fill_mib")), fmt_int(r.get("instructions")),
                     " + ".join(fmt_int(x) for x in r.get("per_hart") or []) or DASH,
                     fmt_s(smp_seconds(r)), rng, fmt_int(s.get("rounds")),
                     fmt_mips(r.get("mips"))] + [fmt_ratio(x) for x in for_one])
    return lines + table(head, rows) + [""]


def xv6_command(by_harts: dict) -> str:
    """The command a test_xv6.py case typed (the same on every hart count, unless runs of
    different sizes were mixed)."""
    commands = []
    for h in sorted(by_harts):
        c = by_harts[h].get("command")
        if c and c not in commands:
            commands.append(c)
    return " / ".join(commands) or DASH


def xv6_tables(data: dict) -> List[str]:
    """test_xv6.py: boot, then a command at the shell; per phase, on each hart count."""
    if not data["xv6"]:
        return []
    harts = sorted({h for by_harts in data["xv6"].values() for h in by_harts})
    lines = ["## xv6: boot and commands", "",
             "Each round boots the xv6 image on a fresh board (a private copy of the image), "
             "types the command at the first `$ ` and runs to the next prompt "
             "(benchmarks/test_xv6.py); the command's output is checked.  Instructions: all "
             "harts (Machine.instret_total), exact and the same in every round (to within "
             "the run's step of the prompt's appearance).  CPU s: host CPU time "
             "(time.process_time), median of the rounds; MIPS = instructions / CPU s.  Boot: "
             "from Board() to the first prompt; command: from there to the next prompt.", ""]
    head = ["command", "phase"]
    for h in harts:
        n = f"{h} hart{'s' if h != 1 else ''}"
        head += [f"instructions, {n}", f"CPU s, {n}", f"MIPS, {n}"]
    if 1 in harts and len(harts) > 1:
        head += [f"CPU s, {h} / 1 hart" for h in harts if h != 1]
    rows = []
    for case, by_harts in data["xv6"].items():
        command = xv6_command(by_harts)
        for key, label in XV6_PHASES:
            row = [command, label]
            figures = {h: (by_harts.get(h, {}).get("phases") or {}).get(key) or {}
                       for h in harts}
            for h in harts:
                f = figures[h]
                row += [fmt_int(f.get("instructions")), fmt_s(f.get("cpu_seconds")),
                        fmt_mips(f.get("mips"))]
            if 1 in harts and len(harts) > 1:
                one = figures[1].get("cpu_seconds")
                for h in harts:
                    if h != 1:
                        cpu = figures[h].get("cpu_seconds")
                        row.append(fmt_ratio(cpu / one) if cpu and one else DASH)
            rows.append(row)
    lines += table(head, rows, align="ll" + "r" * (len(head) - 2)) + [""]

    lines += ["Per phase: the harts' retired instructions (instret) one by one, CPU and "
              "wall seconds (median, min – max of the rounds), MIPS by CPU and by wall time, "
              "and the guest's own time (machine time, 10 MHz timebase; idle harts skip ahead "
              "to their timers).", ""]
    head = ["command", "harts", "phase", "instructions", "per hart", "CPU s", "CPU min – max",
            "wall s", "wall min – max", "MIPS (CPU)", "MIPS (wall)", "guest s", "rounds"]
    rows = []
    for case, by_harts in data["xv6"].items():
        for h in sorted(by_harts):
            r = by_harts[h]
            for key, label in XV6_PHASES:
                f = (r.get("phases") or {}).get(key)
                if not f:
                    continue
                rows.append([str(r.get("command", case)), str(h), label,
                             fmt_int(f.get("instructions")),
                             " + ".join(fmt_int(x) for x in f.get("per_hart") or []) or DASH,
                             fmt_s(f.get("cpu_seconds")),
                             f"{fmt_s(f.get('cpu_min'))} – {fmt_s(f.get('cpu_max'))}",
                             fmt_s(f.get("wall_seconds")),
                             f"{fmt_s(f.get('wall_min'))} – {fmt_s(f.get('wall_max'))}",
                             fmt_mips(f.get("mips")), fmt_mips(f.get("mips_wall")),
                             fmt_s(f.get("guest_seconds"), 2), fmt_int(r.get("rounds"))])
    lines += table(head, rows, align="lrl" + "r" * (len(head) - 3)) + [""]
    return lines


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


def draw_hostinsns(plt, data: dict, path: Path) -> bool:
    rows = [(c, r["host_per_guest"]) for c, r in data["hostinsns"].items()
            if r.get("host_per_guest")]
    if not rows:
        return False
    ys = list(range(len(rows)))[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.4))
    vals = [max(v, 0.5) for _, v in rows]
    ax.barh(ys, vals, color="tab:blue")
    for y, (_, v) in zip(ys, rows):
        ax.annotate(f" {fmt_count(v)}", (max(v, 0.5), y), va="center", fontsize=8)
    ax.set_yticks(ys, [c for c, _ in rows])
    ax.set_xscale("log")
    ax.set_xlim(right=max(vals) * 5)
    ax.set_xlabel("host instructions per guest instruction (callgrind, log scale)")
    ax.set_title("rvemu: host work per guest instruction")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _hart_bars(plt, harts, rows, med, labels):
    """A bar per hart count at the median, whiskers at the rounds' min and max, each bar
    labelled inside; returns (fig, ax)."""
    lo = [m - (r["stats"].get("min") or m) for m, r in zip(med, rows)]
    hi = [(r["stats"].get("max") or m) - m for m, r in zip(med, rows)]
    fig, ax = plt.subplots(figsize=(5, 4))
    bars = ax.bar([f"{h} hart{'s' if h > 1 else ''}" for h in harts], med, 0.5,
                  yerr=[lo, hi], capsize=6, color="tab:blue")
    for bar, label in zip(bars, labels):
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height() / 2),
                    ha="center", va="center", color="white", fontsize=8)
    return fig, ax


def _instructions_label(r) -> str:
    n = r.get("instructions")
    return f"{n / 1e6:.1f} M instr." if n else ""


def draw_smp(plt, data: dict, path: Path) -> bool:
    if not data["smp"]:
        return False
    harts = sorted(data["smp"])
    rows = [data["smp"][h] for h in harts]
    labels = []
    for h, r in zip(harts, rows):
        label = _instructions_label(r)
        ratio = smp_ratio(data, h, "seconds")
        if ratio and h != 1:
            label += f"\n{ratio:.2f}x 1 hart"
        labels.append(label)
    fig, ax = _hart_bars(plt, harts, rows, [smp_seconds(r) or 0 for r in rows], labels)
    ax.set_ylabel("host seconds (median, min–max)")
    fill = rows[0].get("fill_mib")
    ax.set_title(f"smpboot: hart 0 fills {fill} MiB, the others spin" if fill else "smpboot")
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
    fig, ax = _hart_bars(plt, harts, rows, med, [_instructions_label(r) for r in rows])
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
    if not (data["interp"] or data["peers"] or data["boot"] or data["faults"]
            or data["hostinsns"] or data["smp"] or data["xv6"]):
        raise ReportError(f"{json_path}: no rvemu benchmark results in it (a run with "
                          "--benchmark-disable saves none)")
    out = Path(out) if out else Path(json_path).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    drawn = []
    if plt is not None:
        if draw_mips(plt, data, out / "mips.png"):
            drawn.append("mips.png")
        if draw_hostinsns(plt, data, out / "hostinsns.png"):
            drawn.append("hostinsns.png")
        if draw_smp(plt, data, out / "smpboot.png"):
            drawn.append("smpboot.png")
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

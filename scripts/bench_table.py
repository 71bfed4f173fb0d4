#!/usr/bin/env python3
"""Turn criterion's output into the markdown tables of BENCHMARKS.md.

Usage:
    python3 scripts/bench_table.py [--criterion-dir target/criterion]
                                   [--extra FILE ...] [-o OUT.md]

Reads every `<criterion-dir>/**/new/benchmark.json` + `estimates.json` (written by
`cargo bench`; the median point estimate is used) and prints:

1. the workload table: workload, spindle, tokio, async-executor (medians), and the speedup of
   spindle over the faster of the other two and over tokio (best-other median / spindle median:
   above 1.0 means spindle is faster). A group's `spindle_<variant>` functions (e.g.
   `spindle_sleep`) get their own row, "<group> (spindle <variant>)", against the same tokio and
   async-executor numbers. Groups with a throughput also show the time per element.
2. the lateness table, from `lateness <group>/<function>: p50 .. us, p99 .. us, max .. us` lines
   (the timers bench writes them to `<criterion-dir>/bench-lateness.txt`, read by default) and
   any `--extra` files.
3. the `pending_memory ...` lines found in the `--extra` files (save the example's output there:
   `cargo run --release --example pending_memory > target/pending_memory.txt`).

Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import re
import sys

# Table order; groups not listed here follow in alphabetical order.
ORDER = [
    "spawn_many_local",
    "spawn_many_local_in_task",
    "spawn_many_remote_idle",
    "spawn_many_remote_busy",
    "ping_pong",
    "yield_many",
    "chained_spawn",
    "remote_spawn_1thread",
    "remote_spawn_2threads",
    "timer_churn_local",
    "timer_churn_local_1worker",
    "timer_churn_remote",
    "sleep_reset",
    "timer_fire_100k",
    "timer_fire_10k",
    "timer_fire_busy",
]

OTHERS = [("tokio", "tokio"), ("async_executor", "async-executor")]

LATENESS_RE = re.compile(
    r"^lateness (?P<group>[^/\s]+)/(?P<func>\S+): p50 (?P<p50>[\d.]+) us, "
    r"p99 (?P<p99>[\d.]+) us, max (?P<max>[\d.]+) us"
)


def fmt_time(ns):
    """Formats nanoseconds the way criterion does (4 significant digits)."""
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return "%s %s" % (sig4(ns / scale), unit)
    return "%s ns" % sig4(ns)


def sig4(x):
    if x >= 100:
        return "%.1f" % x
    if x >= 10:
        return "%.2f" % x
    return "%.3f" % x


def load_criterion(root):
    """Returns {group: {function: (median_ns, elements_or_None)}}."""
    results = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) != "new":
            continue
        if "estimates.json" not in filenames or "benchmark.json" not in filenames:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            meta = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        group = meta.get("group_id")
        func = meta.get("function_id") or meta.get("value_str") or ""
        if meta.get("function_id") and meta.get("value_str"):
            func = "%s/%s" % (meta["function_id"], meta["value_str"])
        median = est.get("median", {}).get("point_estimate")
        thr = meta.get("throughput") or {}
        elements = thr.get("Elements") if isinstance(thr, dict) else None
        results.setdefault(group, {})[func] = (median, elements)
    return results


def group_order(groups):
    known = [g for g in ORDER if g in groups]
    rest = sorted(g for g in groups if g not in ORDER)
    return known + rest


def cell(entry):
    if entry is None:
        return "—"
    ns, elements = entry
    text = fmt_time(ns)
    if elements:
        text += " (%s/elem)" % fmt_time(ns / elements)
    return text


def ratio(spindle, other):
    if spindle is None or other is None or not spindle[0]:
        return "—"
    return "%.2f×" % (other[0] / spindle[0])


def workload_table(results):
    lines = [
        "| workload | spindle | tokio | async-executor | spindle speedup vs best other | vs tokio |",
        "|---|---|---|---|---|---|",
    ]
    for group in group_order(results):
        funcs = results[group]
        others = {key: funcs.get(key) for key, _ in OTHERS}
        present = [v for v in others.values() if v is not None]
        best = min(present, key=lambda v: v[0]) if present else None
        variants = [("spindle", group)]
        for func in sorted(funcs):
            if func.startswith("spindle_"):
                variant = func[len("spindle_"):].replace("_", " ")
                variants.append((func, "%s (spindle %s)" % (group, variant)))
        for func, label in variants:
            sp = funcs.get(func)
            lines.append(
                "| %s | %s | %s | %s | %s | %s |"
                % (
                    label,
                    cell(sp),
                    cell(others["tokio"]),
                    cell(others["async_executor"]),
                    ratio(sp, best),
                    ratio(sp, others["tokio"]),
                )
            )
        unknown = [f for f in funcs if f not in ("spindle", "tokio", "async_executor")
                   and not f.startswith("spindle_")]
        for func in sorted(unknown):
            lines.append("| %s (%s) | %s | | | | |" % (group, func, cell(funcs[func])))
    return "\n".join(lines)


def lateness_table(entries):
    """entries: {(group, func): (p50, p99, max)}; the last line seen for a pair wins."""
    funcs = ["spindle", "spindle_sleep", "tokio", "async_executor"]
    titles = ["spindle (call_at)", "spindle (Sleep)", "tokio", "async-executor + async-io"]
    extra = sorted({f for _, f in entries if f not in funcs})
    funcs += extra
    titles += extra
    groups = group_order({g for g, _ in entries})
    lines = [
        "| timer lateness, p50 / p99 / max | " + " | ".join(titles) + " |",
        "|---" * (len(titles) + 1) + "|",
    ]
    for g in groups:
        row = []
        for f in funcs:
            v = entries.get((g, f))
            row.append("%s / %s / %s µs" % v if v else "—")
        lines.append("| %s | %s |" % (g, " | ".join(row)))
    return "\n".join(lines)


def fmt_us(text):
    x = float(text)
    return ("%.0f" % x) if x >= 10 else ("%.1f" % x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--criterion-dir", default=None,
                    help="criterion output (default: $CARGO_TARGET_DIR or target, + /criterion)")
    ap.add_argument("--extra", action="append", default=[],
                    help="file with lateness / pending_memory lines (repeatable)")
    ap.add_argument("-o", "--output", help="write the markdown here instead of stdout")
    args = ap.parse_args()

    root = args.criterion_dir or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"),
                                              "criterion")
    if not os.path.isdir(root):
        sys.exit("bench_table.py: no criterion output at %s (run `cargo bench` first)" % root)
    results = load_criterion(root)
    if not results:
        sys.exit("bench_table.py: no */new/estimates.json under %s" % root)

    lateness = {}
    memory = []
    files = []
    default_lateness = os.path.join(root, "bench-lateness.txt")
    if os.path.isfile(default_lateness):
        files.append(default_lateness)
    files += args.extra
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                m = LATENESS_RE.match(line)
                if m:
                    lateness[(m["group"], m["func"])] = (
                        fmt_us(m["p50"]), fmt_us(m["p99"]), fmt_us(m["max"]))
                elif line.startswith("pending_memory"):
                    memory.append(line)

    out = [
        "<!-- generated by scripts/bench_table.py from %s on %s -->"
        % (root, datetime.date.today().isoformat()),
        "",
        "Median of criterion's samples per workload (one `cargo bench` run, 2 worker threads per "
        "runtime). Speedup = the other runtime's median / spindle's median: above 1.00× spindle "
        "is faster.",
        "",
        workload_table(results),
    ]
    if lateness:
        out += ["", "Timer lateness (fire instant − deadline), one run per runtime outside "
                "criterion's timing:", "", lateness_table(lateness)]
    if memory:
        out += ["", "Resident memory per pending 1-hour timer (`examples/pending_memory.rs`):", ""]
        out += ["- `%s`" % line for line in memory]
    text = "\n".join(out) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

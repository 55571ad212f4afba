#!/usr/bin/python3
"""Plots and the summary of the benchmark studies, from their CSV files.

  bench/report.py [--quick] [--readme]

For every study whose CSV is in bench/results/ (bench/results/quick/ with
--quick) it draws one figure, PNG and SVG (Debian's python3-matplotlib), and
writes summary.md: the machine, then each study's headline table taken from
its own .md, with a link to it. --readme also puts summary.md into README.md
between the markers `<!-- bench-summary:begin -->` and `<!-- bench-summary:end -->`.
"""
import argparse
import csv
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "shardrun"  # stable ids in the SVG files
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# study: (csv file, metric column, axis label, log scale, which rows, title)
STUDIES = {
    "scaling": ("scaling.csv", "seconds", "makespan (s)", False, None,
                "Strong scaling, synthetic job (lower is better)"),
    "imbalance": ("imbalance.csv", "ratio", "makespan / lower bound", False,
                  lambda r: r["study"].startswith("imbalance"),
                  "Load balance by strategy (1.0 is perfect)"),
    "metg": ("imbalance.csv", "efficiency", "efficiency", False,
             lambda r: r["study"].startswith("metg"),
             "Efficiency at small item costs (METG)"),
    "stats_throughput": ("stats_throughput.csv", "gbps", "GB/s", False, None,
                         "stats throughput vs ceilings and peers"),
    "checkpoint": ("checkpoint.csv", "makespan_s", "makespan (s)", False, None,
                   "Checkpoint interval vs makespan"),
    "taskfarm": ("taskfarm.csv", "throughput", "tasks/s (whole command)", True,
                 lambda r: r["case"] != "launch", "Task farm vs GNU parallel and xargs"),
    "wordcount": ("wordcount.csv", "throughput", "MB/s (whole command)", False,
                  lambda r: r["case"] != "one core", "wordcount vs MR-MPI"),
}
# Each study's own report, in the order of the summary.
REPORTS = ["scaling", "imbalance", "metg_shards", "stats_throughput", "checkpoint", "taskfarm", "pool", "wordcount", "sdk",
           "inputs", "python", "startup"]


def read_rows(path, keep):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if keep is None or keep(r)]


def plot(name, results):
    file, metric, label, log, keep, title = STUDIES[name]
    path = os.path.join(results, file)
    if not os.path.exists(path):
        return None
    rows = [r for r in read_rows(path, keep) if r.get(metric, "") not in ("", None)]
    if not rows:
        return None
    cases = list(dict.fromkeys(r["case"] for r in rows))
    tools = list(dict.fromkeys(r["tool"] if name != "scaling" else "shardrun" for r in rows))
    width = 0.8 / len(tools)
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(cases) + 2), 4))
    for k, tool in enumerate(tools):
        values = []
        for case in cases:
            v = [float(r[metric]) for r in rows if r["case"] == case and (r["tool"] == tool or name == "scaling")]
            values.append(statistics.median(v) if v else 0)
        ax.bar([i + k * width - 0.4 + width / 2 for i in range(len(cases))], values, width, label=tool)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(label)
    if log:
        ax.set_yscale("log")
    model = rows[0].get("model", "")
    cores = rows[0].get("cores", "")
    ax.set_title(f"{title}\n{cores} cores, {model}; medians", fontsize=9)
    if len(tools) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        # No date in the metadata: an unchanged figure stays byte-identical.
        meta = {"Date": None} if ext == "svg" else {}
        fig.savefig(os.path.join(results, f"{name}.{ext}"), dpi=110, metadata=meta)
    plt.close(fig)
    return f"{name}.png"


def headline(md_path):
    """The first markdown table of a study's report, and the lines naming a target result."""
    with open(md_path) as f:
        lines = f.read().splitlines()
    # Tables: the first, and any ratio table after it.
    tables, current = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    table = list(tables[0]) if tables else []
    for t in tables[1:]:
        if "ratio" in t[0].lower():
            table += [""] + t
    verdicts = [line.lstrip("- ").strip() for line in lines
                if re.search(r"\b(PASS|FAIL)\b", line) and not line.startswith("|")]
    return table, verdicts


def machine(results):
    for name in REPORTS:
        path = os.path.join(results, f"{name}.md")
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    m = re.search(r"(\d+) cores(?: \(nproc\))?, ([^,;\n]+)", line)
                    if m:
                        return f"{m.group(1)} cores, {m.group(2).strip()}"
    return "unknown machine"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--readme", action="store_true")
    args = ap.parse_args()
    results = os.path.join(ROOT, "bench", "results", "quick" if args.quick else "")
    figures = {name: plot(name, results) for name in STUDIES}
    rel = "bench/results/quick" if args.quick else "bench/results"
    out = [f"Measured on {machine(results)} by `bench/run.sh{' --quick' if args.quick else ''}`; "
           "each study's page has the date, the exact commands, the spread and the raw CSV.", ""]
    for name in REPORTS:
        md = os.path.join(results, f"{name}.md")
        if not os.path.exists(md):
            continue
        with open(md) as f:
            title = f.readline().lstrip("# ").strip()
        table, verdicts = headline(md)
        out.append(f"**{title}** ([{rel}/{name}.md]({rel}/{name}.md)"
                   + (f", [plot]({rel}/{figures[name]})" if figures.get(name) else "") + ")")
        out.append("")
        out += table
        if verdicts:
            out.append("")
            out += [f"- {v}" for v in verdicts[:6]]
        out.append("")
    text = "\n".join(out).rstrip() + "\n"
    with open(os.path.join(results, "summary.md"), "w") as f:
        f.write("# Benchmark summary\n\n" + text)
    print(f"report: figures and summary.md in {results}")
    if args.readme:
        readme = os.path.join(ROOT, "README.md")
        with open(readme) as f:
            content = f.read()
        begin, end = "<!-- bench-summary:begin -->", "<!-- bench-summary:end -->"
        if begin not in content or end not in content:
            sys.exit("report: README.md has no bench-summary markers")
        head, rest = content.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(readme, "w") as f:
            f.write(head + begin + "\n" + text + end + tail)
        print("report: README.md performance summary updated")


if __name__ == "__main__":
    main()

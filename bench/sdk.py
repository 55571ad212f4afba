#!/usr/bin/python3
"""The job SDK's costs: the plugin boundary, and exec --over against GNU parallel.

  bench/sdk.py            # 5 reps; results in bench/results/sdk.{csv,md}
  bench/sdk.py --quick    # CI smoke: small sizes, 1 rep, results in bench/results/quick/

plugin   The built-in `stats` job and the same sources built as a plugin
         (`pstats`, bench/plugin_stats/, against the build installed into a
         temporary prefix), on one float64 dataset (2 ranks, default
         threads; the file is read once before, so both read from the page
         cache). GB/s from /run (bytes / makespan), and whole-command seconds.
over     1,000 shards of a dataset, each one task running a trivial command
         with its row range (`true {rows}`): `shardrun run exec --over
         D.h5:/x --shards 1000` (2 ranks x 1 slot) against GNU parallel running
         the same 1,000 commands two at a time (`parallel -j2`, the ranges
         precomputed in a file). Whole-command wall time.
The stats runs alternate their order and come before the farms; medians are reported.
"""
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

import benchlib
from benchlib import ROOT, model

ENV = dict(benchlib.ENV, PARALLEL_SHELL="/bin/sh", PMIX_MCA_psec="^munge")


def timed(cmd, cwd=None):
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"sdk bench: {' '.join(cmd)} failed: {r.stderr}")
    return time.monotonic() - start


def build_plugin(work):
    build = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"))
    prefix = os.path.join(work, "prefix")
    subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                   capture_output=True)
    out = os.path.join(work, "plugin")
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "bench", "plugin_stats"), "-B", out,
                    "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", out], check=True, capture_output=True)
    return os.path.join(prefix, "bin", "shardrun"), os.path.join(out, "libplugin_stats.so")


def main():
    args = benchlib.parse_args(__doc__)
    for tool in ("parallel", "mpirun", "cmake"):
        if not shutil.which(tool):
            sys.exit(f"sdk bench: {tool} not found")
    reps = args.reps or (1 if args.quick else 7)
    rows = 20_000_000 if args.quick else 200_000_000  # 0.16 GB / 1.6 GB of float64
    results = benchlib.results_dir(args.quick)
    work = tempfile.mkdtemp(prefix="shardrun-bench-sdk-")
    shardrun, plugin = build_plugin(work)
    data = os.path.join(work, "d.h5")
    timed([shardrun, "gen", "--output", data + ":/x", "--rows", str(rows), "--dist", "normal",
           "--seed", "3"])
    subprocess.run(["cat", data], stdout=subprocess.DEVNULL, check=True)  # into the page cache
    ranges = os.path.join(work, "ranges.txt")
    shards, over_rows = 1000, 1_000_000
    with open(ranges, "w") as f:
        step = over_rows // shards
        f.write("".join(f"true {i * step}:{(i + 1) * step}\n" for i in range(shards)))
    over_data = os.path.join(work, "o.h5")
    timed([shardrun, "gen", "--output", over_data + ":/x", "--rows", str(over_rows)])

    rows_out, samples = [], {}

    def stats_run(tool, record):
        job = "stats" if tool == "builtin" else "pstats"
        out = os.path.join(work, f"{tool}.h5")
        seconds = timed(["mpirun", "-n", "2", shardrun, "run", "--plugin", plugin, job,
                         "--input", data + ":/x", "--output", out, "--quiet"])
        with h5py.File(out, "r") as f:
            gbps = rows * 8 / f["run"].attrs["makespan_s"] / 1e9
            mean = f["mean"][()].tobytes()
        if record:
            samples.setdefault(("plugin", tool, "GB/s"), []).append(gbps)
            samples.setdefault(("plugin", tool, "s"), []).append(seconds)
            samples.setdefault(("plugin", "means"), set()).add(mean)
            rows_out.append(["plugin", tool, rep, f"{seconds:.4f}", f"{gbps:.3f}"])

    # The two stats runs first, apart from the farms (a run right after 1,000
    # short processes came out up to 3x slower here), in alternating order,
    # after one warm-up run of each.
    rep = -1
    for tool in ("builtin", "plugin"):
        stats_run(tool, record=False)
    for rep in range(reps):
        for tool in (("builtin", "plugin") if rep % 2 == 0 else ("plugin", "builtin")):
            stats_run(tool, record=True)
    for rep in range(reps):
        for tool in ("shardrun", "parallel"):
            if tool == "shardrun":
                cmd = ["mpirun", "-n", "2", shardrun, "run", "exec", "--over", over_data + ":/x",
                       "--shards", str(shards), "--command", "true {rows}", "--slots", "1",
                       "--output", os.path.join(work, "over.h5"), "--quiet"]
                seconds = timed(cmd)
            else:
                with open(ranges) as f:
                    start = time.monotonic()
                    subprocess.run(["parallel", "--will-cite", "-j2"], stdin=f, check=True,
                                   env=ENV, capture_output=True)
                    seconds = time.monotonic() - start
            samples.setdefault(("over", tool), []).append(seconds)
            rows_out.append(["over", tool, rep, f"{seconds:.4f}", ""])

    benchlib.write_csv(os.path.join(results, "sdk.csv"),
                       ["study", "tool", "rep", "seconds", "gb_per_s"], rows_out)
    med = lambda key: statistics.median(samples[key])  # noqa: E731
    ratio = med(("plugin", "plugin", "GB/s")) / med(("plugin", "builtin", "GB/s"))
    builtin = samples[("plugin", "builtin", "GB/s")]
    spread = (max(builtin) - min(builtin)) / statistics.median(builtin)
    lines = [
        "# Job SDK: the plugin boundary, and exec --over",
        "",
        f"{datetime.date.today()}, {os.cpu_count()} cores ({model()}), {reps} reps, medians.",
        f"Command: `/usr/bin/python3 bench/sdk.py{' --quick' if args.quick else ''}`.",
        "",
        f"## Plugin against built in: `stats` over {rows:,} float64 rows "
        f"({rows * 8 / 1e9:.2f} GB, page cache), 2 ranks",
        "",
        "| job | GB/s (makespan) | whole command, s |",
        "| --- | ---: | ---: |",
        f"| stats (built in) | {med(('plugin', 'builtin', 'GB/s')):.2f} | "
        f"{med(('plugin', 'builtin', 's')):.3f} |",
        f"| pstats (same sources, plugin) | {med(('plugin', 'plugin', 'GB/s')):.2f} | "
        f"{med(('plugin', 'plugin', 's')):.3f} |",
        "",
        f"Plugin / built in: {ratio:.3f}; the built-in runs themselves spread by "
        f"{spread:.1%} (max - min over median). Results bitwise equal: "
        f"{'yes' if len(samples[('plugin', 'means')]) == 1 else 'NO'}.",
    ]
    if reps >= 3:  # one repetition says nothing about noise
        lines += ["", "- Target, the plugin boundary costs nothing per shard (ratio within 5 % or "
                  f"the spread): {'PASS' if abs(ratio - 1) <= max(0.05, spread) else 'FAIL'}"]
    lines += [
        "",
        f"## exec --over: {shards:,} shards, one `true {{rows}}` each, two at a time",
        "",
        "| tool | whole command, s |",
        "| --- | ---: |",
        f"| shardrun exec --over (2 ranks x 1 slot) | {med(('over', 'shardrun')):.3f} |",
        f"| GNU parallel -j2 (ranges precomputed) | {med(('over', 'parallel')):.3f} |",
        "",
        f"GNU parallel / shardrun: {med(('over', 'parallel')) / med(('over', 'shardrun')):.2f}x.",
    ]
    benchlib.write_report(os.path.join(results, "sdk.md"), lines)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""wordcount: shardrun against MR-MPI's word frequency, same corpus, same ranks.

  bench/wordcount.py            # 400 MB Zipf corpus, 1 and 2 ranks, 5 reps
  bench/wordcount.py --quick    # CI smoke: 20 MB, 2 ranks, 1 rep, results in bench/results/quick/

The corpus comes from bench/gen_corpus.py (fixed seed; cached in bench/work).
Each repetition runs both tools at each rank count, the order alternating:
  shardrun  mpirun -n R shardrun run wordcount --input DIR --output OUT.h5 --top 20
  mrmpi     mpirun -n R mrmpi_wordfreq 20 DIR   (bench/mrmpi_wordfreq.cpp, libmrmpi-dev)
Seconds are whole-command wall times (launch included); MR-MPI's own timer and
shardrun's makespan are recorded too. Every run's total and distinct word
counts and its top 20 (word, count) pairs must equal the other tool's.
Writes bench/results/wordcount.{csv,md}.
"""
import datetime
import os
import statistics
import subprocess
import sys
import time

import h5py

import benchlib
from benchlib import ENV, ROOT, model

TOP = 20




def main():
    args = benchlib.parse_args(__doc__)
    build = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"))
    shardrun, mrmpi = os.path.join(build, "shardrun"), os.path.join(build, "bench", "mrmpi_wordfreq")
    if not os.path.exists(mrmpi):
        sys.exit("wordcount bench: build/bench/mrmpi_wordfreq missing (apt-get install libmrmpi-dev, rebuild)")
    mb = 20 if args.quick else 400
    reps = args.reps or (1 if args.quick else 5)
    rank_counts = [2] if args.quick else [1, 2]
    results = benchlib.results_dir(args.quick)
    corpus = os.path.join(ROOT, "bench", "work", f"corpus-{mb}mb")
    stamp = os.path.join(corpus, ".params")
    params = f"mb={mb} files=16 vocab=200000 seed=7"
    if not (os.path.exists(stamp) and open(stamp).read() == params):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), corpus,
                        "--mb", str(mb)], check=True)
        with open(stamp, "w") as f:
            f.write(params)
    files = sorted(os.path.join(corpus, n) for n in os.listdir(corpus) if n.endswith(".txt"))
    nbytes = sum(os.path.getsize(f) for f in files)
    for f in files:  # page cache
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    out = os.path.join(ROOT, "bench", "work", "wordcount.h5")

    def run_shardrun(ranks):
        started = time.monotonic()
        r = subprocess.run(["mpirun", "-n", str(ranks), shardrun, "run", "wordcount", "--input"] + files
                           + ["--output", out, "--top", "0", "--quiet"], capture_output=True, text=True, env=ENV)
        wall = time.monotonic() - started
        if r.returncode != 0:
            sys.exit(f"wordcount bench: shardrun failed:\n{r.stderr}")
        with h5py.File(out, "r") as f:
            words = [w.decode() for w in f["words"][:TOP]]
            counts = [int(c) for c in f["counts"][:TOP]]
            summary = (int(f["total_words"][()]), len(f["counts"]), list(zip(words, counts)))
            internal = float(f["run"].attrs["makespan_s"])
        return wall, internal, summary

    def run_mrmpi(ranks):
        started = time.monotonic()
        r = subprocess.run(["mpirun", "-n", str(ranks), mrmpi, str(TOP)] + files,
                           capture_output=True, text=True, env=ENV)
        wall = time.monotonic() - started
        if r.returncode != 0:
            sys.exit(f"wordcount bench: mrmpi_wordfreq failed:\n{r.stderr}")
        lines = r.stdout.split("\n")
        total, unique, internal = lines[0].split()
        top = [(w, int(c)) for c, w in (line.split(" ", 1) for line in lines[1:TOP + 1])]
        return wall, float(internal), (int(total), int(unique), top)

    def same(a, b):
        """Totals equal and the top lists equal as (word, count) sets per count (ties may reorder)."""
        return a[0] == b[0] and a[1] == b[1] and sorted(a[2], key=lambda p: (-p[1], p[0])) == \
            sorted(b[2], key=lambda p: (-p[1], p[0]))

    rows, walls, internals = [], {}, {}
    reference = None
    for rep in range(reps):
        for ranks in rank_counts:
            tools = [("shardrun", run_shardrun), ("mrmpi", run_mrmpi)]
            if rep % 2:
                tools.reverse()
            for tool, run in tools:
                wall, internal, summary = run(ranks)
                reference = reference or summary
                if not same(summary, reference):
                    sys.exit(f"wordcount bench: {tool} at {ranks} ranks disagrees:\n{summary}\nvs\n{reference}")
                walls.setdefault((tool, ranks), []).append(wall)
                internals.setdefault((tool, ranks), []).append(internal)
                rows.append(["wordcount", f"{mb} MB", tool, ranks, 1, rep, f"{wall:.4f}",
                             f"{nbytes / wall / 1e6:.1f}", f"{internal:.4f}"])
                print(f"rep {rep} {tool:8s} {ranks} ranks: {wall:.3f} s ({nbytes / wall / 1e6:.0f} MB/s), "
                      f"internal {internal:.3f} s", flush=True)

    benchlib.write_csv(os.path.join(results, "wordcount.csv"), ["study", "case", "tool", "ranks", "threads", "rep", "seconds", "throughput", "internal_s"], rows)
    med = {k: statistics.median(v) for k, v in walls.items()}
    imed = {k: statistics.median(v) for k, v in internals.items()}
    total, unique, top = reference
    lines = [
        "# wordcount: shardrun vs MR-MPI", "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {os.cpu_count()} cores, {model()}",
        f"- Command: `bench/wordcount.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        f"- Corpus: `bench/gen_corpus.py --mb {mb}` ({params}): {len(files)} files, {nbytes:,} bytes, "
        f"{total:,} words, {unique:,} distinct; in the page cache.",
        f"- {reps} repetition(s), tools alternating; medians (min–max) of the whole command (mpirun launch "
        "included); in brackets each tool's own time (shardrun's makespan, MR-MPI's timer from map to sort).",
        "- Both tools' totals, distinct counts and top 20 words with their counts are checked equal in every run.",
        "", "| ranks | shardrun s | MR-MPI s | shardrun MB/s | MR-MPI MB/s | speedup |", "|---:|---:|---:|---:|---:|---:|"]
    for ranks in rank_counts:
        s, m = walls[("shardrun", ranks)], walls[("mrmpi", ranks)]
        lines.append(f"| {ranks} | {med[('shardrun', ranks)]:.3f} ({min(s):.3f}–{max(s):.3f}) [{imed[('shardrun', ranks)]:.3f}] | "
                     f"{med[('mrmpi', ranks)]:.3f} ({min(m):.3f}–{max(m):.3f}) [{imed[('mrmpi', ranks)]:.3f}] | "
                     f"{nbytes / med[('shardrun', ranks)] / 1e6:.0f} | {nbytes / med[('mrmpi', ranks)] / 1e6:.0f} | "
                     f"{med[('mrmpi', ranks)] / med[('shardrun', ranks)]:.2f}x |")
    lines += ["", "Top 5: " + ", ".join(f"{w} ({c:,})" for w, c in top[:5]) + "."]
    if not args.quick:
        worst = min(med[("mrmpi", r)] / med[("shardrun", r)] for r in rank_counts)
        lines += ["", f"Target: ≥ 3x faster than MR-MPI at equal ranks: {'PASS' if worst >= 3 else 'FAIL'} "
                      f"(lowest {worst:.2f}x)."]
    benchlib.write_report(os.path.join(results, "wordcount.md"), lines)


if __name__ == "__main__":
    main()

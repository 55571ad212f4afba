#!/usr/bin/python3
"""wordcount: shardrun against MR-MPI's word frequency, same corpus, same ranks.

  bench/wordcount.py            # 400 MB Zipf corpus, 1 and 2 ranks, 5 reps
  bench/wordcount.py --quick    # CI smoke: 20 MB, 2 ranks, 1 rep, results in bench/results/quick/

The corpus comes from bench/gen_corpus.py (fixed seed; cached in bench/work).
Each repetition runs every tool at each rank count, the order rotating:
  shardrun       mpirun -n R shardrun run wordcount --input FILES --output OUT.h5 --top 0
  mrmpi-combine  mpirun -n R mrmpi_wordfreq --combine 20 FILES   (each map task counts its file
                 in a std::unordered_map and emits (word, count) once per word)
  mrmpi          mpirun -n R mrmpi_wordfreq 20 FILES   (emits every word; bench/mrmpi_wordfreq.cpp,
                 libmrmpi-dev)
and, once per repetition, the per-core references:
  unordered_wordcount FILES   one thread, std::unordered_map: the field's floor
  mem_ceiling BYTES 1         one thread streaming the corpus' size from memory: the ceiling
Seconds are whole-command wall times (launch included); MR-MPI's own timer and
shardrun's makespan are recorded too. shardrun's time is split into start-up
(launch to its first shard), the shards (makespan) and the end (last shard to
the command's exit: combining the ranks' tables, sorting, writing); its
per-core counting speed is the corpus' bytes over its ranks' busy seconds.
Every run's total and distinct word counts and its top 20 (word, count)
pairs must equal the other tools'. Writes bench/results/wordcount.{csv,md}.
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
    floor, ceiling = os.path.join(build, "bench", "unordered_wordcount"), os.path.join(build, "bench", "mem_ceiling")

    def run_shardrun(ranks):
        launched = time.time()
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
            run = f["run"].attrs
            internal = float(run["makespan_s"])
            startup = float(run["first_shard_s"]) - launched
            parts = {"startup": startup, "end": wall - startup - internal,
                     "per_core": nbytes / float(f["run/rank_busy_s"][()].sum()) / 1e6}
        return wall, internal, summary, parts

    def run_mrmpi(ranks, combine):
        started = time.monotonic()
        r = subprocess.run(["mpirun", "-n", str(ranks), mrmpi] + (["--combine"] if combine else []) + [str(TOP)]
                           + files, capture_output=True, text=True, env=ENV)
        wall = time.monotonic() - started
        if r.returncode != 0:
            sys.exit(f"wordcount bench: mrmpi_wordfreq failed:\n{r.stderr}")
        lines = r.stdout.split("\n")
        total, unique, internal = lines[0].split()
        top = [(w, int(c)) for c, w in (line.split(" ", 1) for line in lines[1:TOP + 1])]
        return wall, float(internal), (int(total), int(unique), top), {}

    def same(a, b):
        """Totals equal and the top lists equal as (word, count) sets per count (ties may reorder)."""
        return a[0] == b[0] and a[1] == b[1] and sorted(a[2], key=lambda p: (-p[1], p[0])) == \
            sorted(b[2], key=lambda p: (-p[1], p[0]))

    rows, walls, internals, parts, cores = [], {}, {}, {}, {"floor": [], "ceiling": []}
    reference = None
    names = ["shardrun", "mrmpi-combine", "mrmpi"]
    for rep in range(reps):
        for ranks in rank_counts:
            order = names[rep % 3:] + names[:rep % 3]
            for tool in order:
                if tool == "shardrun":
                    wall, internal, summary, extra = run_shardrun(ranks)
                else:
                    wall, internal, summary, extra = run_mrmpi(ranks, tool == "mrmpi-combine")
                reference = reference or summary
                if not same(summary, reference):
                    sys.exit(f"wordcount bench: {tool} at {ranks} ranks disagrees:\n{summary}\nvs\n{reference}")
                walls.setdefault((tool, ranks), []).append(wall)
                internals.setdefault((tool, ranks), []).append(internal)
                for k, v in extra.items():
                    parts.setdefault((k, ranks), []).append(v)
                rows.append(["wordcount", f"{ranks} rank(s)", tool, ranks, 1, rep, f"{wall:.4f}",
                             f"{nbytes / wall / 1e6:.1f}", f"{internal:.4f}",
                             f"{extra['startup']:.4f}" if extra else "", f"{extra['end']:.4f}" if extra else "",
                             f"{extra['per_core']:.1f}" if extra else ""])
                print(f"rep {rep} {tool:13s} {ranks} ranks: {wall:.3f} s ({nbytes / wall / 1e6:.0f} MB/s), "
                      f"internal {internal:.3f} s", flush=True)
        words, unique, seconds = subprocess.run([floor] + files, capture_output=True, text=True,
                                                check=True).stdout.split()
        if (int(words), int(unique)) != reference[:2]:
            sys.exit(f"wordcount bench: unordered_wordcount disagrees: {words} {unique} vs {reference[:2]}")
        cores["floor"].append(nbytes / float(seconds) / 1e6)
        gbps = subprocess.run([ceiling, str(nbytes), "1"], capture_output=True, text=True,
                              check=True).stdout.split("gbps=")[1].split()[0]
        cores["ceiling"].append(float(gbps) * 1e3)
        for key in ("floor", "ceiling"):
            rows.append(["wordcount", "one core", "unordered_map" if key == "floor" else "memory", 1, 1, rep,
                         "", f"{cores[key][-1]:.1f}", "", "", "", ""])

    benchlib.write_csv(os.path.join(results, "wordcount.csv"),
                       ["study", "case", "tool", "ranks", "threads", "rep", "seconds", "throughput", "internal_s",
                        "startup_s", "end_s", "per_core_mbps"], rows)
    med = {k: statistics.median(v) for k, v in walls.items()}
    imed = {k: statistics.median(v) for k, v in internals.items()}
    pmed = {k: statistics.median(v) for k, v in parts.items()}
    total, unique, top = reference

    def cell(tool, ranks):
        w = walls[(tool, ranks)]
        return f"{med[(tool, ranks)]:.3f} ({min(w):.3f}–{max(w):.3f}) [{imed[(tool, ranks)]:.3f}]"

    lines = [
        "# wordcount: shardrun vs MR-MPI", "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {os.cpu_count()} cores, {model()}",
        f"- Command: `bench/wordcount.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        f"- Corpus: `bench/gen_corpus.py --mb {mb}` ({params}): {len(files)} files, {nbytes:,} bytes, "
        f"{total:,} words, {unique:,} distinct; in the page cache.",
        f"- {reps} repetition(s), tools rotating; medians (min–max) of the whole command (mpirun launch "
        "included); in brackets each tool's own time (shardrun's makespan, MR-MPI's timer from map to sort).",
        "- MR-MPI with the combiner: each map task (a file) counts its words in a std::unordered_map and emits "
        "(word, count) once per word; plain: it emits every word.",
        "- Every tool's totals, distinct counts and top 20 words with their counts are checked equal in every run.",
        "", "| ranks | shardrun s | MR-MPI + combiner s | MR-MPI plain s | shardrun MB/s | vs combiner | vs plain |",
        "|---:|---:|---:|---:|---:|---:|---:|"]
    for ranks in rank_counts:
        lines.append(f"| {ranks} | {cell('shardrun', ranks)} | {cell('mrmpi-combine', ranks)} | {cell('mrmpi', ranks)} | "
                     f"{nbytes / med[('shardrun', ranks)] / 1e6:.0f} | "
                     f"{med[('mrmpi-combine', ranks)] / med[('shardrun', ranks)]:.2f}x | "
                     f"{med[('mrmpi', ranks)] / med[('shardrun', ranks)]:.2f}x |")
    lines += ["", "Where shardrun's time goes (medians): start-up is launch to the first shard; the end is the last "
              "shard to the command's exit (the ranks' tables combined, sorted by count, written, MPI finalized).", "",
              "| ranks | whole s | start-up s | shards (makespan) s | end s |", "|---:|---:|---:|---:|---:|"]
    for ranks in rank_counts:
        lines.append(f"| {ranks} | {med[('shardrun', ranks)]:.3f} | {pmed[('startup', ranks)]:.3f} | "
                     f"{imed[('shardrun', ranks)]:.3f} | {pmed[('end', ranks)]:.3f} |")
    floor_mbps, ceiling_mbps = statistics.median(cores["floor"]), statistics.median(cores["ceiling"])
    lines += ["", "Counting speed per core: shardrun's is the corpus' bytes over its ranks' busy seconds in shards "
              "(reading from the page cache included); the floor is `unordered_wordcount` (one thread, "
              "std::unordered_map, reading included); the ceiling is `mem_ceiling` streaming as many bytes on one "
              "thread.", "",
              "| per core | MB/s | ratio to the floor | share of the ceiling |", "|---|---:|---:|---:|"]
    for ranks in rank_counts:
        v = pmed[("per_core", ranks)]
        lines.append(f"| shardrun, {ranks} rank(s) | {v:.0f} | {v / floor_mbps:.2f} | {v / ceiling_mbps:.3f} |")
    lines += [f"| std::unordered_map, 1 thread | {floor_mbps:.0f} | 1.00 | {floor_mbps / ceiling_mbps:.3f} |",
              f"| memory bandwidth, 1 thread | {ceiling_mbps:.0f} | | 1.000 |"]
    lines += ["", "Top 5: " + ", ".join(f"{w} ({c:,})" for w, c in top[:5]) + "."]
    if not args.quick:
        for tool, what in (("mrmpi-combine", "MR-MPI with the combiner"), ("mrmpi", "plain MR-MPI")):
            worst = min(med[(tool, r)] / med[("shardrun", r)] for r in rank_counts)
            lines += ["", f"Target: ≥ 3x faster than {what} at equal ranks: {'PASS' if worst >= 3 else 'FAIL'} "
                          f"(lowest {worst:.2f}x)."]
    benchlib.write_report(os.path.join(results, "wordcount.md"), lines)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# `shardrun run stats` throughput over a float64 dataset in the page cache, at
# 1 rank x 1 thread, 1 x 2 and 2 x 1, against two ceilings measured in the same
# run: the page-cache read bandwidth for the same bytes at the same parallelism
# (bench/read_ceiling: pread in reads of shardrun's block size into a reused
# buffer, from 2 threads of one process for 1 x 2 and from 2 processes for
# 2 x 1) and a naive single-threaded HDF5 read + sum loop (bench/naive_sum).
#
# Usage: bench/stats_throughput.sh [--rows N] [--reps R] [--workdir DIR] [--quick]
#   --rows N       dataset rows (default 600000000 = 4.47 GiB of float64)
#   --reps R       repetitions; every case runs once per repetition, interleaved (default 10:
#                  this shared host's bandwidth drifts from second to second)
#   --workdir DIR  where the dataset and run outputs go (default bench/work;
#                  bench/work/quick with --quick, so a quick run never replaces the full dataset)
#   --quick        CI smoke test: 20000000 rows, 2 reps, results in bench/results/quick/
#                  (explicit --rows/--reps still win)
# Environment: BUILD_DIR (default build; relative to the repository root) holds
# shardrun and bench/{read_ceiling,naive_sum}.
#
# Writes bench/results/stats_throughput.{csv,md} (and stats_throughput_rss.csv,
# the peak RSS of every rank of every shardrun run). shardrun's seconds are its
# makespan (first shard start to last shard end over all ranks), read from the
# /run record of its output file (more digits than the printed summary).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMMAND_LINE="BUILD_DIR=${BUILD_DIR:-build} $(printf '%q ' "$0" "$@")"
COMMAND_LINE=${COMMAND_LINE% }

usage() { sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
die() {
  echo "stats_throughput: error: $*" >&2
  exit 1
}

ROWS="" REPS="" WORKDIR="" QUICK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) [[ $# -ge 2 ]] || die "--rows needs a value"; ROWS=$2; shift 2 ;;
    --reps) [[ $# -ge 2 ]] || die "--reps needs a value"; REPS=$2; shift 2 ;;
    --workdir) [[ $# -ge 2 ]] || die "--workdir needs a value"; WORKDIR=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  ROWS=${ROWS:-20000000} REPS=${REPS:-2}
  WORKDIR=${WORKDIR:-$ROOT/bench/work/quick}
  RESULTS=$ROOT/bench/results/quick
  STUDY=stats_throughput_quick
else
  ROWS=${ROWS:-600000000} REPS=${REPS:-10}
  WORKDIR=${WORKDIR:-$ROOT/bench/work}
  RESULTS=$ROOT/bench/results
  STUDY=stats_throughput
fi
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "--rows must be a positive integer, got '$ROWS'"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, got '$REPS'"

BUILD=${BUILD_DIR:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
SHARDRUN=$BUILD/shardrun
READ_CEILING=$BUILD/bench/read_ceiling
NAIVE_SUM=$BUILD/bench/naive_sum
MEM_CEILING=$BUILD/bench/mem_ceiling
DASK_STATS=$ROOT/bench/dask_stats.py
MPI4PY_STATS=$ROOT/bench/mpi4py_stats.py
for tool in "$SHARDRUN" "$READ_CEILING" "$NAIVE_SUM" "$MEM_CEILING"; do
  [[ -x $tool ]] || die "$tool not found: build it (cmake --build $BUILD --target shardrun read_ceiling naive_sum)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
PYTHON=/usr/bin/python3
"$PYTHON" -c 'import h5py' 2>/dev/null ||
  die "$PYTHON with h5py is needed to read shardrun's /run record (Debian: python3-h5py)"
"$PYTHON" -c 'import dask.array, distributed' 2>/dev/null ||
  die "$PYTHON with dask and distributed is needed for the dask.array peer (Debian: python3-dask python3-distributed)"
"$PYTHON" -c 'import mpi4py' 2>/dev/null ||
  die "$PYTHON with mpi4py is needed for the mpi4py peer (Debian: python3-mpi4py)"
command -v mpirun >/dev/null || die "mpirun not found"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p "$WORKDIR" "$RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
DATA=$WORKDIR/stats.h5
STAMP=$DATA.params
RUNS=$WORKDIR/runs
RAW=$RUNS/raw.tsv
BYTES=$((ROWS * 8))
PARAMS="rows=$ROWS dtype=float64 dist=normal seed=7"

# --- the dataset: made once, reused when its stamp and shape match -----------
dataset_ok() {
  [[ -f $DATA && -f $STAMP && "$(cat "$STAMP")" == "$PARAMS" ]] || return 1
  "$PYTHON" - "$DATA" "$ROWS" <<'EOF'
import sys, h5py
try:
    with h5py.File(sys.argv[1], "r") as f:
        d = f["/x"]
        ok = d.shape == (int(sys.argv[2]),) and d.dtype == "<f8" and d.chunks is None
except Exception:
    ok = False
sys.exit(0 if ok else 1)
EOF
}
if dataset_ok; then
  echo "stats_throughput: reusing $DATA ($PARAMS)"
else
  avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  ((BYTES / 1024 < avail_kib * 8 / 10)) ||
    echo "stats_throughput: warning: $BYTES bytes may not fit in the page cache (MemAvailable ${avail_kib} KiB)" >&2
  rm -f "$DATA" "$STAMP"
  echo "stats_throughput: generating $DATA ($PARAMS)"
  mpirun -n 2 "$SHARDRUN" gen --output "$DATA:/x" --rows "$ROWS" --dist normal --seed 7
  echo "$PARAMS" >"$STAMP"
fi

cached_percent() {
  if command -v fincore >/dev/null; then
    fincore -b -n -o RES,SIZE "$DATA" | awk '{p = $2 ? 100 * $1 / $2 : 0; if (p > 100) p = 100; printf "%.1f", p}'
  else
    echo "n/a"
  fi
}
echo "stats_throughput: warming the page cache"
cat "$DATA" >/dev/null
CACHED_BEFORE=$(cached_percent)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the measurements ----------------------------------------------------------
rm -rf "$RUNS"
mkdir -p "$RUNS"
printf 'case\ttool\tranks\tthreads\trep\tseconds\tgbps\trss_kib\toutput\n' >"$RAW"

# key=value field of a helper's output line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | head -n 1; }

# Fails the script with the command's stderr when it failed.
check_status() {
  local status=$1 name=$2 err=$3
  if [[ $status != 0 ]]; then
    echo "stats_throughput: $name failed (exit $status):" >&2
    cat "$err" >&2
    exit 1
  fi
}

# run_helper CASE TOOL THREADS REP cmd...: a ceiling helper under /usr/bin/time -v
run_helper() {
  local name=$1 tool=$2 threads=$3 rep=$4
  shift 4
  local base=$RUNS/$name.$rep status=0
  /usr/bin/time -v -o "$base.time" "$@" >"$base.out" 2>"$base.err" || status=$?
  check_status "$status" "$name" "$base.err"
  local seconds gbps bytes rss
  seconds=$(field seconds "$base.out")
  gbps=$(field gbps "$base.out")
  bytes=$(field bytes "$base.out")
  [[ $bytes == "$BYTES" ]] || die "$name read $bytes bytes, expected $BYTES"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$name" "$tool" "${HELPER_RANKS:-1}" "$threads" "$rep" \
    "$seconds" "$gbps" "$rss" >>"$RAW"
  printf '  %-18s %8s GB/s  %6d MiB\n' "$name" "$gbps" $((rss / 1024))
}

# run_ceiling_processes CASE PROCESSES REP: PROCESSES read_ceiling processes
# of one thread each, sharing the pieces and starting at the same instant
# (what PROCESSES ranks of one thread read at most): bytes / (latest end − start)
run_ceiling_processes() {
  local name=$1 procs=$2 rep=$3 part status=0
  local base=$RUNS/$name.$rep start
  start=$(date '+%s.%N' | awk '{printf "%.6f", $1 + 0.5}')
  local pids=()
  for ((part = 0; part < procs; part++)); do
    /usr/bin/time -v -o "$base.$part.time" "$READ_CEILING" "$DATA:/x" 1 "$start" \
      >"$base.$part.out" 2>"$base.$part.err" &
    pids+=($!)
  done
  for ((part = 0; part < procs; part++)); do
    wait "${pids[$part]}" || status=$?
    check_status "$status" "$name" "$base.$part.err"
  done
  local bytes=0 last_end=0 rss=0 value
  for ((part = 0; part < procs; part++)); do
    bytes=$((bytes + $(field bytes "$base.$part.out")))
    last_end=$(awk -v a="$last_end" -v b="$(field end "$base.$part.out")" 'BEGIN {print (b > a) ? b : a}')
    value=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.$part.time")
    ((value > rss)) && rss=$value
  done
  [[ $bytes == "$BYTES" ]] || die "$name read $bytes bytes, expected $BYTES"
  local seconds gbps
  seconds=$(awk -v e="$last_end" -v s="$start" 'BEGIN {printf "%.6f", e - s}')
  gbps=$(awk -v b="$BYTES" -v t="$seconds" 'BEGIN {printf "%.4f", b / t / 1e9}')
  printf '%s\t%s\t%s\t1\t%s\t%s\t%s\t%s\t\n' "$name" read_ceiling "$procs" "$rep" "$seconds" \
    "$gbps" "$rss" >>"$RAW"
  printf '  %-18s %8s GB/s  %6d MiB\n' "$name" "$gbps" $((rss / 1024))
}

# run_shardrun CASE RANKS THREADS REP: `shardrun run stats`, every rank under /usr/bin/time -v
run_shardrun() {
  local name=$1 ranks=$2 threads=$3 rep=$4
  local base=$RUNS/$name.$rep output=$RUNS/$name.$rep.h5 status=0 rss
  local args=(run stats --input "$DATA:/x" --output "$output" --threads "$threads" --quiet)
  if [[ $ranks == 1 ]]; then
    /usr/bin/time -v -o "$base.time" "$SHARDRUN" "${args[@]}" >"$base.out" 2>"$base.err" ||
      status=$?
    check_status "$status" "$name" "$base.err"
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time")
  else
    # Each rank's /usr/bin/time reports that rank. mpirun interleaves the ranks'
    # stderr mid-line, so --output-filename keeps each rank's in a file of its
    # own: $base.ranks/1/rank.N/stderr.
    mpirun --output-filename "$base.ranks" -n "$ranks" /usr/bin/time -v "$SHARDRUN" "${args[@]}" \
      >"$base.out" 2>"$base.err" || status=$?
    check_status "$status" "$name" "$base.err"
    local rank file values=()
    for ((rank = 0; rank < ranks; rank++)); do
      for file in "$base.ranks"/*/"rank.$rank"/stderr; do
        values+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$file")")
      done
    done
    rss=$(IFS=';'; echo "${values[*]}")
  fi
  local count
  count=$(tr ';' '\n' <<<"$rss" | grep -c .)
  [[ $count == "$ranks" ]] || die "$name: found $count peak RSS values for $ranks ranks in $base.err"
  printf '%s\tshardrun\t%s\t%s\t%s\t\t\t%s\t%s\n' "$name" "$ranks" "$threads" "$rep" "$rss" \
    "$output" >>"$RAW"
  printf '  %-18s %8s       peak RSS KiB per rank: %s\n' "$name" "(done)" "${rss//;/ }"
}

DASK_CHUNKS_MIB="1 4 16 64" DASK_DISTRIBUTED_MIB="4 16"
export DASK_CHUNKS_MIB DASK_DISTRIBUTED_MIB
for ((rep = 1; rep <= REPS; rep++)); do
  echo "stats_throughput: repetition $rep/$REPS"
  # Each ceiling runs just before the shardrun case it is the ceiling of, so
  # that the machine's drift (a shared host) touches both alike.
  run_helper ceiling_1t read_ceiling 1 "$rep" "$READ_CEILING" "$DATA:/x" 1
  run_shardrun shardrun_1x1 1 1 "$rep"
  run_helper ceiling_2t read_ceiling 2 "$rep" "$READ_CEILING" "$DATA:/x" 2
  run_shardrun shardrun_1x2 1 2 "$rep"
  run_ceiling_processes ceiling_2p 2 "$rep"
  run_shardrun shardrun_2x1 2 1 "$rep"
  run_helper naive naive_sum 1 "$rep" "$NAIVE_SUM" "$DATA:/x"
  run_helper memory_1t mem_ceiling 1 "$rep" "$MEM_CEILING" "$BYTES" 1
  run_helper memory_2t mem_ceiling 2 "$rep" "$MEM_CEILING" "$BYTES" 2
  # dask: a sweep of chunk sizes on the threaded scheduler, and two on a
  # local distributed cluster (the dataset is contiguous: no HDF5 chunks to match).
  for mib in $DASK_CHUNKS_MIB; do
    run_helper "dask_t$mib" dask 2 "$rep" "$PYTHON" "$DASK_STATS" "$DATA:/x" 2 "$mib" threads
  done
  for mib in $DASK_DISTRIBUTED_MIB; do
    run_helper "dask_d$mib" dask 1 "$rep" "$PYTHON" "$DASK_STATS" "$DATA:/x" 2 "$mib" distributed
  done
  # mpi4py + h5py + numpy, block by block: at 1 and 2 ranks.
  HELPER_RANKS=1 run_helper mpi4py_1 mpi4py 1 "$rep" mpirun -n 1 "$PYTHON" "$MPI4PY_STATS" "$DATA:/x"
  HELPER_RANKS=2 run_helper mpi4py_2 mpi4py 1 "$rep" mpirun -n 2 "$PYTHON" "$MPI4PY_STATS" "$DATA:/x"
done

CACHED_AFTER=$(cached_percent)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- results -------------------------------------------------------------------
export STUDY ROWS REPS BYTES DATA RAW RESULTS QUICK COMMAND_LINE CACHED_BEFORE CACHED_AFTER \
  LOAD_BEFORE LOAD_AFTER
CORES=$(nproc)
MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_TOTAL=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
KERNEL=$(uname -r)
DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
VERSION=$("$SHARDRUN" --version 2>/dev/null || echo unknown)
GIT_REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
MPI_VERSION=$(mpirun --version 2>/dev/null | head -n 1)
export CORES MODEL MEM_TOTAL KERNEL DATE VERSION GIT_REV MPI_VERSION

"$PYTHON" - <<'EOF'
import csv, os, statistics, sys
import h5py

env = os.environ
study, rows, reps, nbytes = env["STUDY"], int(env["ROWS"]), int(env["REPS"]), int(env["BYTES"])
cores, model = int(env["CORES"]), env["MODEL"]
results, quick = env["RESULTS"], env["QUICK"] == "1"
RSS_LIMIT_MIB = 512
CEILING_TARGET, NAIVE_TARGET, DASK_TARGET, MPI4PY_TARGET = 0.85, 1.7, 3.0, 3.0
DASK_T = [f"dask_t{m}" for m in env["DASK_CHUNKS_MIB"].split()]
DASK_D = [f"dask_d{m}" for m in env["DASK_DISTRIBUTED_MIB"].split()]

runs = []  # dicts: case, tool, ranks, threads, rep, seconds, gbps, rss_mib (list per rank)
with open(env["RAW"]) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        run = {"case": r["case"], "tool": r["tool"], "ranks": int(r["ranks"]),
               "threads": int(r["threads"]), "rep": int(r["rep"]),
               "rss_mib": [int(v) / 1024 for v in r["rss_kib"].split(";")]}
        if r["tool"] == "shardrun":
            with h5py.File(r["output"], "r") as out:
                a = out["/run"].attrs
                items, makespan = int(a["items"]), float(a["makespan_s"])
                if items * 8 != nbytes or int(a["ranks"]) != run["ranks"] \
                        or int(a["threads"]) != run["threads"]:
                    sys.exit(f"stats_throughput: {r['output']}: unexpected /run record")
            run["seconds"], run["gbps"] = makespan, nbytes / makespan / 1e9
        else:
            run["seconds"], run["gbps"] = float(r["seconds"]), float(r["gbps"])
        runs.append(run)

with open(os.path.join(results, "stats_throughput.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["study", "case", "tool", "ranks", "threads", "rep", "seconds", "gbps",
                "max_rss_mib", "cores", "model"])
    for r in runs:
        w.writerow([study, r["case"], r["tool"], r["ranks"], r["threads"], r["rep"],
                    f"{r['seconds']:.6f}", f"{r['gbps']:.4f}", f"{max(r['rss_mib']):.1f}", cores,
                    model])
with open(os.path.join(results, "stats_throughput_rss.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["study", "case", "rep", "rank", "max_rss_mib"])
    for r in runs:
        if r["tool"] == "shardrun":
            for rank, mib in enumerate(r["rss_mib"]):
                w.writerow([study, r["case"], r["rep"], rank, f"{mib:.1f}"])

cases = (["ceiling_1t", "ceiling_2t", "ceiling_2p", "memory_1t", "memory_2t", "naive"] + DASK_T +
         DASK_D + ["mpi4py_1", "mpi4py_2", "shardrun_1x1", "shardrun_1x2", "shardrun_2x1"])
labels = {
    "ceiling_1t": "read ceiling, 1 thread (pread)",
    "ceiling_2t": "read ceiling, 2 threads (pread)",
    "ceiling_2p": "read ceiling, 2 processes x 1 thread (pread)",
    "naive": "naive: 1 thread, HDF5 read + sum",
    "memory_1t": "memory ceiling, 1 thread (sum of an in-memory array)",
    "memory_2t": "memory ceiling, 2 threads (sum of an in-memory array)",
    **{f"dask_t{m}": f"dask.array over h5py, same statistics, threaded, 2 threads, {m} MiB chunks"
       for m in env["DASK_CHUNKS_MIB"].split()},
    **{f"dask_d{m}": f"dask.array, same statistics, local distributed cluster of 2 workers x 1 "
                     f"thread, {m} MiB chunks" for m in env["DASK_DISTRIBUTED_MIB"].split()},
    "mpi4py_1": "mpi4py + h5py + numpy script, 1 rank (1 Mi-value blocks)",
    "mpi4py_2": "mpi4py + h5py + numpy script, 2 ranks (1 Mi-value blocks)",
    "shardrun_1x1": "shardrun stats, 1 rank x 1 thread",
    "shardrun_1x2": "shardrun stats, 1 rank x 2 threads",
    "shardrun_2x1": "shardrun stats, 2 ranks x 1 thread",
}
by_case = {c: [r for r in runs if r["case"] == c] for c in cases}
gbps = {c: [r["gbps"] for r in by_case[c]] for c in cases}
by_rep = {c: {r["rep"]: r["gbps"] for r in by_case[c]} for c in cases}
median = {c: statistics.median(gbps[c]) for c in cases}
best_t = max(DASK_T, key=lambda c: median[c])
best_d = max(DASK_D, key=lambda c: median[c])

def mib(values):
    return f"{statistics.median(values):.0f} ({max(values):.0f})"

lines = []
add = lines.append
add("# `shardrun run stats` throughput" + (" — quick smoke run" if quick else ""))
add("")
if quick:
    add(f"**Quick smoke run** ({rows:,} rows, {reps} repetitions): checks that the benchmark "
        "works. The dataset is too small (and the repetitions too few) for these numbers to "
        "say anything about the targets; the full run is `bench/stats_throughput.sh`.")
    add("")
add(f"- Date: {env['DATE']}")
add(f"- Machine: {cores} cores (nproc), {model}, {env['MEM_TOTAL']} RAM, Linux {env['KERNEL']}")
add(f"- Load average (1, 5, 15 min): {env['LOAD_BEFORE']} before, {env['LOAD_AFTER']} after")
add(f"- Software: {env['VERSION']} (git {env['GIT_REV']}), {env['MPI_VERSION']}")
add(f"- Command: `{env['COMMAND_LINE']}`")
add(f"- Dataset: `{env['DATA']}:/x`, {rows:,} float64 values = {nbytes:,} bytes "
    f"({nbytes / 2**30:.2f} GiB), contiguous, `shardrun gen --dist normal --seed 7`; "
    f"page-cache resident {env['CACHED_BEFORE']} % after warming, {env['CACHED_AFTER']} % at the end")
add(f"- Repetitions: {reps}; every repetition runs each read ceiling just before the shardrun "
    "case it bounds (1 thread, 1 x 1; 2 threads, 1 x 2; 2 processes, 2 x 1), then naive, the "
    "memory ceilings, dask and the mpi4py script, so slow drift in the machine affects a ratio's "
    "two sides alike")
add("- Peers: dask.array computes the same NaN-aware statistics (`da.nansum`, `nanmean`, "
    "`nanvar`, `nanmin`, `nanmax`, NaN count) in one `dask.compute` (`bench/dask_stats.py`), "
    "over `da.from_array` of the h5py dataset on the threaded scheduler, and over chunks each "
    "worker reads itself on a local distributed cluster; the dataset is contiguous, so there "
    "is no HDF5 chunking to match, and the chunk size is swept instead. The mpi4py script "
    "(`bench/mpi4py_stats.py`) is what a scientist writes by hand: static blocks per rank, "
    "`read_direct` 1 Mi values at a time, numpy sums, `comm.reduce`.")
add("- GB/s = 10^9 bytes/s of the dataset. shardrun: bytes / makespan (first shard start to "
    "last shard end over all ranks; the `/run` record of its output), excluding process and MPI "
    "start-up, file open and the final reduction. Ceilings and naive: the read (+ sum) loop, "
    "excluding file open; the read ceilings hand out 4 MiB pieces from a shared counter, as "
    "shardrun's balance hands out shards, so a slower core does not set their time, and the "
    "2-process ceiling is the bytes of both processes over (latest end − common start). Peak RSS: `/usr/bin/time -v`, for 2 x 1 per rank "
    "(`mpirun -n 2 /usr/bin/time -v shardrun ...`).")
add("")
add("| case | GB/s median | GB/s min–max | peak RSS MiB median (max) |")
add("|---|---:|---:|---:|")
for c in cases:
    rss = [max(r["rss_mib"]) for r in by_case[c]]
    add(f"| {labels[c]} | {median[c]:.2f} | {min(gbps[c]):.2f}–{max(gbps[c]):.2f} | {mib(rss)} |")
add("")
ranks2 = by_case["shardrun_2x1"]
per_rank = [mib([r["rss_mib"][k] for r in ranks2]) for k in range(len(ranks2[0]["rss_mib"]))]
add("Peak RSS per rank of shardrun 2 x 1, MiB median (max): " +
    ", ".join(f"rank {k}: {v}" for k, v in enumerate(per_rank)) + ".")
add("")

verdicts = []
def ratio_row(name, num, den, target):
    value = median[num] / median[den]
    paired = [by_rep[num][k] / by_rep[den][k] for k in by_rep[num] if k in by_rep[den]]
    spread = f"{min(paired):.3f}–{max(paired):.3f}"
    if target is None:
        goal, verdict = "(no target)", "—"
    else:
        goal, verdict = f"≥ {target:g}", "PASS" if value >= target else "FAIL"
        verdicts.append(verdict)
    add(f"| {name} | {value:.3f} | {statistics.median(paired):.3f} | {spread} | {goal} | {verdict} |")

add("## Ratios")
add("")
add("Ratio of the medians (the verdict); then the median and the range of the "
    "per-repetition ratios (the two sides measured seconds apart in the same repetition).")
add("")
add("| ratio | ratio of medians | median per-rep ratio | per-rep range | target | result |")
add("|---|---:|---:|---:|---:|:---:|")
ratio_row("shardrun 1x2 / read ceiling 2 threads", "shardrun_1x2", "ceiling_2t", CEILING_TARGET)
ratio_row("shardrun 2x1 / read ceiling 2 processes", "shardrun_2x1", "ceiling_2p", CEILING_TARGET)
ratio_row("shardrun 1x1 / read ceiling 1 thread", "shardrun_1x1", "ceiling_1t", None)
ratio_row("shardrun 1x2 / naive", "shardrun_1x2", "naive", NAIVE_TARGET)
ratio_row("shardrun 2x1 / naive", "shardrun_2x1", "naive", NAIVE_TARGET)
ratio_row("shardrun 2x1 / memory ceiling 2 threads", "shardrun_2x1", "memory_2t", None)
ratio_row(f"shardrun 1x2 / dask.array threaded at its best ({best_t[6:]} MiB chunks)", "shardrun_1x2",
          best_t, DASK_TARGET)
ratio_row(f"shardrun 2x1 / dask.array distributed at its best ({best_d[6:]} MiB chunks)",
          "shardrun_2x1", best_d, DASK_TARGET)
ratio_row("shardrun 1x1 / mpi4py script, 1 rank", "shardrun_1x1", "mpi4py_1", MPI4PY_TARGET)
ratio_row("shardrun 2x1 / mpi4py script, 2 ranks", "shardrun_2x1", "mpi4py_2", MPI4PY_TARGET)
add("")
add("## Peak resident memory")
add("")
add(f"| case | largest peak RSS of any rank, any repetition (MiB) | target | result |")
add("|---|---:|---:|:---:|")
for c in ["shardrun_1x1", "shardrun_1x2", "shardrun_2x1"]:
    worst = max(max(r["rss_mib"]) for r in by_case[c])
    verdict = "PASS" if worst < RSS_LIMIT_MIB else "FAIL"
    verdicts.append(verdict)
    add(f"| {labels[c]} | {worst:.0f} | < {RSS_LIMIT_MIB} | {verdict} |")
add("")
overall = "PASS" if all(v == "PASS" for v in verdicts) else "FAIL"
note = " (quick smoke run: not a verdict on the targets)" if quick else ""
if not quick and reps < 5:
    note = " (fewer than 5 repetitions: not a valid measurement of the targets)"
add(f"**Overall: {overall}**{note} — targets: at 2 workers ≥ {CEILING_TARGET:.0%} of the read "
    f"ceiling, ≥ {NAIVE_TARGET}× the naive baseline, ≥ {DASK_TARGET:g}× dask.array at its best "
    f"and ≥ {MPI4PY_TARGET:g}× the mpi4py script; peak RSS "
    f"per rank < {RSS_LIMIT_MIB} MiB.")
add("")
add("Raw data: `stats_throughput.csv` (one row per run; `max_rss_mib` is the largest rank's) "
    "and `stats_throughput_rss.csv` (peak RSS of every rank of every shardrun run).")

text = "\n".join(lines) + "\n"
with open(os.path.join(results, "stats_throughput.md"), "w") as f:
    f.write(text)
print()
print(text, end="")
EOF
echo "stats_throughput: wrote $RESULTS/stats_throughput.csv, stats_throughput_rss.csv and stats_throughput.md"

#!/usr/bin/env bash
# The benchmark kit: every study, or the ones named, then plots and a summary.
#
#   bench/run.sh --quick               # ~1 minute smoke version of every study (CI runs it)
#   bench/run.sh                       # the full studies on this machine (about 25 minutes on 2 cores)
#   bench/run.sh imbalance taskfarm    # only some studies
#
# Studies: scaling imbalance metg stats checkpoint taskfarm pool wordcount sdk inputs python startup
# (imbalance also measures the scheduling overhead and a METG sweep over item costs; metg sweeps the
# shard cost at a second of work per rank). Each writes one CSV row
# per run and a markdown report under bench/results/ (bench/results/quick/
# with --quick); bench/report.py then draws a PNG and SVG per study and writes
# summary.md, which a full run of every study also puts into README.md's
# performance section. Run nothing else meanwhile: the figures are timings.
# Needs a Release build with the bench tools (scripts/build.sh) and
# scripts/install-deps.sh's packages (dask, matplotlib, GNU parallel, MR-MPI).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
all=(scaling imbalance metg stats checkpoint taskfarm pool wordcount sdk inputs python startup)
quick=() studies=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    scaling | imbalance | metg | stats | checkpoint | taskfarm | pool | wordcount | sdk | inputs | python | startup) studies+=("$arg") ;;
    *) echo "bench/run.sh: unknown study or option '$arg' (studies: ${all[*]})" >&2; exit 2 ;;
  esac
done
[ ${#studies[@]} -gt 0 ] || studies=("${all[@]}")
BUILD=${BUILD_DIR:-build}
for tool in "$BUILD/shardrun" "$BUILD/bench/read_ceiling" "$BUILD/bench/mem_ceiling" \
  "$BUILD/bench/mrmpi_wordfreq" "$BUILD/bench/mpi_empty" "$BUILD/bench/unordered_wordcount"; do
  [ -x "$tool" ] || { echo "bench/run.sh: $tool missing: run scripts/install-deps.sh and scripts/build.sh" >&2; exit 1; }
done
. scripts/mpi-env.sh
load=$(cut -d' ' -f1 /proc/loadavg)
echo "bench/run.sh: $(nproc) cores, load $load before starting${quick:+ (quick)}: ${studies[*]}"
started=$SECONDS
for study in "${studies[@]}"; do
  echo "== $study"
  case "$study" in
    scaling) /usr/bin/python3 bench/scaling.py "${quick[@]}" ;;
    imbalance) bench/imbalance.sh "${quick[@]}" ;;
    metg) /usr/bin/python3 bench/metg_shards.py "${quick[@]}" ;;
    stats) bench/stats_throughput.sh "${quick[@]}" ;;
    checkpoint) /usr/bin/python3 bench/checkpoint.py "${quick[@]}" ;;
    taskfarm) /usr/bin/python3 bench/taskfarm.py "${quick[@]}" ;;
    pool) /usr/bin/python3 bench/pool.py "${quick[@]}" ;;
    wordcount) /usr/bin/python3 bench/wordcount.py "${quick[@]}" ;;
    sdk) /usr/bin/python3 bench/sdk.py "${quick[@]}" ;;
    inputs) /usr/bin/python3 bench/inputs.py "${quick[@]}" ;;
    python) /usr/bin/python3 bench/python.py "${quick[@]}" ;;
    startup) /usr/bin/python3 bench/startup.py "${quick[@]}" ;;
  esac >"${TMPDIR:-/tmp}/shardrun-bench-$study.log" 2>&1 || {
    echo "bench/run.sh: $study failed; its output:" >&2
    cat "${TMPDIR:-/tmp}/shardrun-bench-$study.log" >&2
    exit 1
  }
  tail -n 1 "${TMPDIR:-/tmp}/shardrun-bench-$study.log"
done
readme=()
[ ${#quick[@]} -eq 0 ] && [ ${#studies[@]} -eq ${#all[@]} ] && readme=(--readme)
/usr/bin/python3 bench/report.py "${quick[@]}" "${readme[@]}"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "bench/run.sh: done in $((SECONDS - started)) s; load $load at the end (above $(nproc) means something else ran: rerun)"

#!/usr/bin/env bash
# Load balance of `shardrun run synthetic` per balance strategy (steal, counter,
# static), from the /run record of every run:
#   imbalance   2 ranks x 1 thread; cost uniform, linear, sorted-desc, bimodal,
#               pareto:1.5, and uniform with --slow-rank 1:2; makespan / lower bound
#   overhead    near-empty shards (one item of cost 0 per shard): shards per second
#               and the scheduling cost per shard
#   metg        uniform cost at shrinking mean item cost, about one second of work
#               per run: the smallest mean cost at which the median efficiency
#               stays >= 0.90 (a METG-style figure, as in Task Bench)
#   oversub     uniform and pareto:1.5 at 4 and 8 ranks on this machine's cores
#               (mpirun --oversubscribe), marked as oversubscribed
# Every shardrun output's checksum must be identical across the strategies for
# the same case and equal to the one computed independently here (exactly once);
# the script fails if not.
#
# Usage: bench/imbalance.sh [--reps R] [--metg-reps R] [--over-reps R] [--workdir DIR] [--quick]
#   --reps R        repetitions of the imbalance and overhead studies (default 5)
#   --metg-reps R   repetitions of the METG sweep (default 5)
#   --over-reps R   repetitions of the oversubscribed runs (default 3)
#   --workdir DIR   where run outputs go (default bench/work/imbalance;
#                   bench/work/quick/imbalance with --quick)
#   --quick         CI smoke test: 5000 items of 20 us, 1 repetition of everything,
#                   shorter sweeps, results in bench/results/quick/ (under a minute;
#                   explicit --reps/--metg-reps/--over-reps still win)
# Environment: BUILD_DIR (default build; relative to the repository root) holds shardrun.
#
# Repetitions are interleaved: repetition k runs every study's cases x strategies
# once, in a fixed order, before repetition k+1 starts, so slow drift in the
# machine affects all alike. The study waits for an idle machine, runs a copy of
# the binary taken then, and redoes runs that other processes disturbed (see
# "other processes" below). Writes bench/results/imbalance.{csv,md}.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMMAND_LINE="BUILD_DIR=${BUILD_DIR:-build} $(printf '%q ' "$0" "$@")"
COMMAND_LINE=${COMMAND_LINE% }

usage() { sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
die() {
  echo "imbalance: error: $*" >&2
  exit 1
}

REPS="" METG_REPS="" OVER_REPS="" WORKDIR="" QUICK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) [[ $# -ge 2 ]] || die "--reps needs a value"; REPS=$2; shift 2 ;;
    --metg-reps) [[ $# -ge 2 ]] || die "--metg-reps needs a value"; METG_REPS=$2; shift 2 ;;
    --over-reps) [[ $# -ge 2 ]] || die "--over-reps needs a value"; OVER_REPS=$2; shift 2 ;;
    --workdir) [[ $# -ge 2 ]] || die "--workdir needs a value"; WORKDIR=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

STRATEGIES=(steal counter static)
COSTS=(uniform linear sorted-desc bimodal pareto:1.5)
SLOW_RANK=1:2
OVER_COSTS=(uniform pareto:1.5)
OVER_RANKS=(4 8)
if [[ $QUICK == 1 ]]; then
  REPS=${REPS:-1} METG_REPS=${METG_REPS:-1} OVER_REPS=${OVER_REPS:-1}
  IMB_ITEMS=5000 IMB_MEAN=20
  OVH_ITEMS=20000
  METG_MEANS=(0.1 1 20) METG_WORK_US=100000 METG_MIN_ITEMS=2000 METG_MAX_ITEMS=100000
  OVER_ITEMS=5000 OVER_MEAN=20
  RUN_TIMEOUT=60
  WORKDIR=${WORKDIR:-$ROOT/bench/work/quick/imbalance}
  RESULTS=$ROOT/bench/results/quick
  STUDY_SUFFIX=_quick
else
  REPS=${REPS:-5} METG_REPS=${METG_REPS:-5} OVER_REPS=${OVER_REPS:-3}
  IMB_ITEMS=100000 IMB_MEAN=50
  OVH_ITEMS=200000
  # Items = METG_WORK_US / mean, within [MIN, MAX]: about 1 s per rank on 2 ranks
  # down to 1 us; below that the item cap makes the runs shorter.
  METG_MEANS=(0.02 0.05 0.1 0.2 0.5 1 2 5 10 20 50)
  METG_WORK_US=2000000 METG_MIN_ITEMS=20000 METG_MAX_ITEMS=2000000
  OVER_ITEMS=50000 OVER_MEAN=50
  RUN_TIMEOUT=300
  WORKDIR=${WORKDIR:-$ROOT/bench/work/imbalance}
  RESULTS=$ROOT/bench/results
  STUDY_SUFFIX=""
fi
for value in "$REPS" "$METG_REPS" "$OVER_REPS"; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || die "repetitions must be positive integers, got '$value'"
done

BUILD=${BUILD_DIR:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
SHARDRUN=$BUILD/shardrun
[[ -x $SHARDRUN ]] || die "$SHARDRUN not found: build it (cmake --build $BUILD --target shardrun)"
PYTHON=/usr/bin/python3
"$PYTHON" -c 'import h5py, numpy' 2>/dev/null ||
  die "$PYTHON with h5py and numpy is needed to read shardrun's /run record (Debian: python3-h5py)"
command -v mpirun >/dev/null || die "mpirun not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CORES=$(nproc)

mkdir -p "$WORKDIR" "$RESULTS"
WORKDIR=$(cd "$WORKDIR" && pwd)
RUNS=$WORKDIR/runs
RAW=$RUNS/raw.tsv
rm -rf "$RUNS"
mkdir -p "$RUNS"
printf 'study\tcase\tstrategy\tranks\trep\titems\tmean_us\tcost\tslow_rank\tshards\toutput\tforeign_ticks\tattempts\tcommand\n' >"$RAW"

# metg_items MEAN: items for about METG_WORK_US of work, within [MIN, MAX]
metg_items() {
  awk -v w="$METG_WORK_US" -v m="$1" -v lo="$METG_MIN_ITEMS" -v hi="$METG_MAX_ITEMS" \
    'BEGIN { n = int(w / m + 0.5); if (n < lo) n = lo; if (n > hi) n = hi; print n }'
}

# --- other processes ----------------------------------------------------------
# The study needs the machine to itself. Each run measures the CPU time the whole
# machine spent busy (/proc/stat) minus what the run's own processes used (this
# shell's reaped children, /proc/$$/stat); a run during which other processes
# used more than FOREIGN_TICKS + FOREIGN_RATE x seconds clock ticks is
# discarded, and redone once the machine has been quiet for a while (--quick only
# records it and does not wait).
TICK=$(getconf CLK_TCK)
FOREIGN_TICKS=5 FOREIGN_RATE=3 # ticks, ticks per second (3 % of one core at 100 Hz)
QUIET_SECONDS=10 QUIET_WAIT_MAX=3600 ATTEMPTS=5
machine_ticks() { # MACHINE_TICKS: busy ticks of all CPUs since boot
  local f
  read -ra f </proc/stat # cpu user nice system idle iowait irq softirq steal ...
  MACHINE_TICKS=$((f[1] + f[2] + f[3] + f[6] + f[7] + f[8]))
}
children_ticks() { # CHILDREN_TICKS: user + system ticks of this shell's reaped children
  local stat fields
  stat=$(</proc/$$/stat)
  read -ra fields <<<"${stat##*) }" # from field 3 (state); cutime and cstime are fields 16, 17
  CHILDREN_TICKS=$((fields[13] + fields[14]))
}
# wait_quiet: until the machine has used < 3 ticks/s for QUIET_SECONDS in a row
wait_quiet() {
  local quiet=0 waited=0 before
  while ((quiet < QUIET_SECONDS)); do
    machine_ticks
    before=$MACHINE_TICKS
    sleep 1
    machine_ticks
    if ((MACHINE_TICKS - before < 3)); then quiet=$((quiet + 1)); else quiet=0; fi
    waited=$((waited + 1))
    ((waited < QUIET_WAIT_MAX)) || die "the machine has not been quiet for $QUIET_SECONDS s in $QUIET_WAIT_MAX s"
  done
}

# The study runs a copy of the binary taken when it starts, so that a rebuild
# meanwhile cannot mix two builds in one study.
binary_id() { echo "sha256 $(sha256sum "$1" | cut -c1-12), built $(date -u -r "$1" '+%Y-%m-%d %H:%M:%S UTC')"; }
REDONE=0 # runs disturbed by other processes (redone; in --quick, kept)

# run_one STUDY CASE STRATEGY RANKS REP ITEMS MEAN COST SLOW SHARDS
# (SLOW, SHARDS: empty for none / the default): one `shardrun run synthetic`.
# A run that outlives RUN_TIMEOUT seconds is a stall and fails the script.
run_one() {
  local study=$1 case=$2 strategy=$3 ranks=$4 rep=$5 items=$6 mean=$7 cost=$8 slow=$9
  local shards=${10}
  local name
  name=$(tr -c 'A-Za-z0-9.\n-' '_' <<<"$study.$case.$strategy.n$ranks.r$rep")
  local base=$RUNS/$name output=$RUNS/$name.h5 status
  local cmd=(mpirun -n "$ranks")
  if ((ranks > CORES)); then cmd+=(--oversubscribe); fi
  cmd+=("$BINARY_COPY" run synthetic --items "$items" --cost "$cost" --mean-us "$mean")
  if [[ -n $slow ]]; then cmd+=(--slow-rank "$slow"); fi
  if [[ -n $shards ]]; then cmd+=(--shards "$shards"); fi
  cmd+=(--balance "$strategy" --threads 1 --output "$output" --quiet)
  local attempt t0 t1 m0 c0 foreign allowed
  for ((attempt = 1; ; attempt++)); do
    status=0
    machine_ticks
    children_ticks
    m0=$MACHINE_TICKS c0=$CHILDREN_TICKS t0=$EPOCHREALTIME
    timeout --kill-after=10 "$RUN_TIMEOUT" "${cmd[@]}" >"$base.out" 2>"$base.err" || status=$?
    t1=$EPOCHREALTIME
    machine_ticks
    children_ticks
    foreign=$((MACHINE_TICKS - m0 - (CHILDREN_TICKS - c0)))
    allowed=$(awk -v a="$t0" -v b="$t1" -v base="$FOREIGN_TICKS" -v rate="$FOREIGN_RATE" \
      'BEGIN { printf "%d", base + rate * (b - a) }')
    if [[ $status == 124 || $status == 137 ]]; then
      cat "$base.err" >&2
      die "$name stalled: no result after $RUN_TIMEOUT s ($(printf '%q ' "${cmd[@]}"))"
    fi
    if [[ $status != 0 ]]; then
      echo "imbalance: $name failed (exit $status):" >&2
      cat "$base.err" >&2
      exit 1
    fi
    ((foreign > allowed)) || break
    if [[ $QUICK == 1 ]]; then
      echo "  ($name: other processes used $((foreign * 100 / TICK))/100 CPU s during it; kept in --quick)"
      REDONE=$((REDONE + 1))
      break
    fi
    ((attempt < ATTEMPTS)) ||
      die "$name: other processes used the CPU during $ATTEMPTS attempts: the study needs the machine to itself"
    echo "  ($name: other processes used $((foreign * 100 / TICK))/100 CPU s during it; waiting for quiet, then again)"
    REDONE=$((REDONE + 1))
    wait_quiet
  done
  [[ -f $output ]] || die "$name: no output file $output"
  local shown=${cmd[*]}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$study" "$case" "$strategy" \
    "$ranks" "$rep" "$items" "$mean" "$cost" "$slow" "$shards" "$output" "$foreign" "$attempt" \
    "${shown//$ROOT\//}" >>"$RAW"
  local summary
  summary=$(sed -n 's/^shardrun: \(efficiency [0-9.]*\).*, \([0-9]* steals moved [0-9]* shards\)$/\1, \2/p' \
    "$base.out")
  local line
  line=$(sed -n 's/^shardrun: wall [0-9.]* s, \(makespan [0-9.]* s\).*/\1/p' "$base.out")
  printf '  %-8s %-22s %-7s %2d ranks  %s, %s\n' "$study" "$case" "$strategy" "$ranks" "$line" \
    "$summary"
}

if [[ $QUICK == 0 ]]; then
  echo "imbalance: waiting until the machine has been quiet for $QUIET_SECONDS s"
  wait_quiet
fi
BINARY_COPY=$WORKDIR/shardrun
cp -p "$SHARDRUN" "$BINARY_COPY"
BINARY=$(binary_id "$BINARY_COPY")
START_SECONDS=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
MAX_REPS=$REPS
if ((METG_REPS > MAX_REPS)); then MAX_REPS=$METG_REPS; fi
if ((OVER_REPS > MAX_REPS)); then MAX_REPS=$OVER_REPS; fi
for ((rep = 1; rep <= MAX_REPS; rep++)); do
  echo "imbalance: repetition $rep/$MAX_REPS"
  if ((rep <= REPS)); then
    for cost in "${COSTS[@]}"; do
      for strategy in "${STRATEGIES[@]}"; do
        run_one imbalance "$cost" "$strategy" 2 "$rep" "$IMB_ITEMS" "$IMB_MEAN" "$cost" "" ""
      done
    done
    for strategy in "${STRATEGIES[@]}"; do
      run_one imbalance "uniform, slow rank $SLOW_RANK" "$strategy" 2 "$rep" "$IMB_ITEMS" \
        "$IMB_MEAN" uniform "$SLOW_RANK" ""
    done
    for strategy in "${STRATEGIES[@]}"; do
      run_one overhead "empty shards" "$strategy" 2 "$rep" "$OVH_ITEMS" 0 uniform "" "$OVH_ITEMS"
    done
  fi
  if ((rep <= METG_REPS)); then
    for mean in "${METG_MEANS[@]}"; do
      items=$(metg_items "$mean")
      for strategy in "${STRATEGIES[@]}"; do
        run_one metg "uniform, $mean us" "$strategy" 2 "$rep" "$items" "$mean" uniform "" ""
      done
    done
  fi
  if ((rep <= OVER_REPS)); then
    for ranks in "${OVER_RANKS[@]}"; do
      for cost in "${OVER_COSTS[@]}"; do
        for strategy in "${STRATEGIES[@]}"; do
          run_one oversub "$cost" "$strategy" "$ranks" "$rep" "$OVER_ITEMS" "$OVER_MEAN" "$cost" "" ""
        done
      done
    done
  fi
done
ELAPSED=$((SECONDS - START_SECONDS))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- results -------------------------------------------------------------------
MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_TOTAL=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
KERNEL=$(uname -r)
DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
VERSION=$("$BINARY_COPY" --version 2>/dev/null || echo unknown)
REBUILT=0
[[ "$(binary_id "$SHARDRUN")" == "$BINARY" ]] || REBUILT=1
GIT_REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
MPI_VERSION=$(mpirun --version 2>/dev/null | head -n 1)
export STUDY_SUFFIX RAW RESULTS QUICK COMMAND_LINE LOAD_BEFORE LOAD_AFTER ELAPSED CORES MODEL \
  MEM_TOTAL KERNEL DATE VERSION GIT_REV MPI_VERSION BINARY REBUILT REDONE TICK FOREIGN_TICKS FOREIGN_RATE REPS METG_REPS OVER_REPS IMB_ITEMS IMB_MEAN \
  OVH_ITEMS OVER_ITEMS OVER_MEAN METG_WORK_US METG_MIN_ITEMS METG_MAX_ITEMS SLOW_RANK

status=0
"$PYTHON" - <<'EOF' || status=$?
import csv, math, os, statistics, sys
import h5py
import numpy as np

env = os.environ
quick = env["QUICK"] == "1"
results, cores, model = env["RESULTS"], int(env["CORES"]), env["MODEL"]
reps, metg_reps, over_reps = int(env["REPS"]), int(env["METG_REPS"]), int(env["OVER_REPS"])
slow_rank = env["SLOW_RANK"]
STRATEGIES = ["steal", "counter", "static"]
STEAL_TARGET, SLOW_TARGET, METG_EFFICIENCY = 1.05, 1.10, 0.90
SEED = 1  # shardrun synthetic's default --seed


def mix(x):  # jobs/synthetic.cpp, on uint64 arrays (wrapping arithmetic)
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


expected_cache = {}
def expected_checksum(items):  # Σ item_hash(seed, i) mod 2^64: every item exactly once
    if items not in expected_cache:
        with np.errstate(over="ignore"):
            i = np.arange(items, dtype=np.uint64)
            h = mix(np.uint64(SEED * 31) + mix(i))
            expected_cache[items] = int(h.sum(dtype=np.uint64))
    return expected_cache[items]


runs, problems = [], []
with open(env["RAW"]) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        run = {"study": r["study"], "case": r["case"], "strategy": r["strategy"],
               "ranks": int(r["ranks"]), "threads": 1, "rep": int(r["rep"]),
               "items": int(r["items"]), "mean_us": float(r["mean_us"]), "cost": r["cost"],
               "command": r["command"], "attempts": int(r["attempts"]),
               "foreign_cpu_s": int(r["foreign_ticks"]) / int(env["TICK"])}
        with h5py.File(r["output"], "r") as out:
            a = out["/run"].attrs
            g = out["/run"]
            run.update(seconds=float(a["makespan_s"]), lower_bound_s=float(a["lower_bound_s"]),
                       efficiency=float(a["efficiency"]), shards=int(a["shards"]),
                       wall_s=float(a["wall_s"]),
                       steals=int(np.sum(g["rank_steals"][()])),
                       stolen=int(np.sum(g["rank_stolen_shards"][()])),
                       checksum=int(out["/checksum"][()]), items_done=int(out["/items"][()]))
            busy, speed = g["rank_busy_s"][()], g["rank_speed"][()]
            # Σ work of the items (nominal µs) = Σ speed_i * busy_i / threads
            run["work_s"] = float(np.sum(speed * busy / int(a["threads"]))) * 1e-6
            record = (int(a["ranks"]), int(a["threads"]), str(a["balance"]), int(a["items"]))
        if record != (run["ranks"], 1, run["strategy"], run["items"]):
            sys.exit(f"imbalance: {r['output']}: /run record {record} is not the run asked for")
        run["ratio"] = run["seconds"] / run["lower_bound_s"] if run["lower_bound_s"] > 0 else math.nan
        # makespan against the nominal work spread over the processors the run had
        processors = min(run["ranks"] * run["threads"], cores)
        run["nominal_ratio"] = (run["seconds"] * processors / run["work_s"]
                                if run["work_s"] > 0 else math.nan)
        run["oversubscribed"] = run["ranks"] * run["threads"] > cores
        if run["items_done"] != run["items"]:
            problems.append(f"{r['output']}: {run['items_done']} items done, {run['items']} asked")
        if run["checksum"] != expected_checksum(run["items"]):
            problems.append(f"{r['output']}: checksum {run['checksum']:016x}, expected "
                            f"{expected_checksum(run['items']):016x}")
        runs.append(run)

# Exactly once: the same checksum from every strategy for the same case.
groups = {}
for r in runs:
    groups.setdefault((r["study"], r["case"], r["ranks"], r["items"]), set()).add(
        (r["strategy"], r["checksum"]))
for key, values in groups.items():
    if len({c for _, c in values}) != 1:
        problems.append(f"{key}: checksums differ between strategies: " +
                        ", ".join(f"{s}={c:016x}" for s, c in sorted(values)))
exactly_once = not problems

def fmt(x, digits=6):
    return "" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}f}"

study_name = lambda s: s + env["STUDY_SUFFIX"]
with open(os.path.join(results, "imbalance.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["study", "case", "tool", "ranks", "threads", "rep", "seconds", "lower_bound_s",
                "ratio", "efficiency", "shards", "items", "mean_us", "steals", "stolen_shards",
                "nominal_work_s", "nominal_ratio", "wall_s", "checksum", "oversubscribed",
                "foreign_cpu_s", "attempts", "cores", "model"])
    for r in runs:
        w.writerow([study_name(r["study"]), r["case"], r["strategy"], r["ranks"], r["threads"],
                    r["rep"], fmt(r["seconds"]), fmt(r["lower_bound_s"]), fmt(r["ratio"], 4),
                    fmt(r["efficiency"], 4), r["shards"], r["items"], f"{r['mean_us']:g}",
                    r["steals"], r["stolen"], fmt(r["work_s"]), fmt(r["nominal_ratio"], 4),
                    fmt(r["wall_s"]), f"{r['checksum']:016x}", int(r["oversubscribed"]),
                    f"{r['foreign_cpu_s']:.2f}", r["attempts"], cores, model])


def select(study, case=None, strategy=None, ranks=None):
    return [r for r in runs if r["study"] == study and (case is None or r["case"] == case)
            and (strategy is None or r["strategy"] == strategy)
            and (ranks is None or r["ranks"] == ranks)]

def med(values):
    return statistics.median(values)

def spread(values, digits=3):
    return f"{med(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"

def paired(study, case, num, den, ranks=2, key="seconds"):
    a = {r["rep"]: r[key] for r in select(study, case, num, ranks)}
    b = {r["rep"]: r[key] for r in select(study, case, den, ranks)}
    return [a[k] / b[k] for k in a if k in b]

def example(study):
    rows = select(study)
    return rows[0]["command"] if rows else ""

lines = []
add = lines.append
add("# Load balance and scheduling overhead: `shardrun run synthetic`" +
    (" — quick smoke run" if quick else ""))
add("")
if quick:
    add(f"**Quick smoke run** ({int(env['IMB_ITEMS']):,} items of {env['IMB_MEAN']} µs, "
        f"{reps} repetition(s), short sweeps): checks that the benchmark works. Runs this short "
        "say nothing about the targets; the full run is `bench/imbalance.sh`.")
    add("")
elapsed = int(env["ELAPSED"])
add(f"- Date: {env['DATE']}")
add(f"- Machine: {cores} cores (nproc), {model}, {env['MEM_TOTAL']} RAM, Linux {env['KERNEL']}")
add(f"- Load average (1, 5, 15 min): {env['LOAD_BEFORE']} before, {env['LOAD_AFTER']} after")
add(f"- Software: {env['VERSION']} (git {env['GIT_REV']}), {env['MPI_VERSION']}; the runs use a "
    f"copy of `build/shardrun` taken at the start ({env['BINARY']})" +
    ("; `build/shardrun` was rebuilt during the study, so it differs from this copy"
     if env["REBUILT"] == "1" else ""))
add(f"- Command: `{env['COMMAND_LINE']}` ({len(runs)} runs, {elapsed // 60} min {elapsed % 60} s)")
add(f"- Repetitions: {reps} (imbalance, overhead), {metg_reps} (METG), {over_reps} "
    "(oversubscribed); interleaved: each repetition runs every study's cases × strategies once, "
    "in the order of the tables, so slow drift affects all alike")
redone = int(env["REDONE"])
add(f"- Other processes: {'(recorded, not enforced in --quick) ' if quick else ''}each run's CPU time not used by the run itself (`/proc/stat` busy time "
    f"minus the run's processes') had to stay ≤ {int(env['FOREIGN_TICKS']) / int(env['TICK']):.2f} s "
    f"+ {int(env['FOREIGN_RATE']) / int(env['TICK']) * 100:.0f} % of a core × the run's duration; "
    + (f"{redone} run(s) exceeded it and were kept anyway" if redone and quick else
       f"{redone} run(s) exceeded it and were redone after the machine was quiet again"
       if redone else "none exceeded it")
    + f" (largest kept: {max(r['foreign_cpu_s'] for r in runs):.2f} s)")
add("- Every run: `shardrun run synthetic --threads 1 --quiet` under `mpirun`, default seed; "
    "figures from the `/run` record of its output. Makespan = first shard start to last shard "
    "end over all ranks. Lower bound = max(work / Σ rank speeds, longest shard), a rank's speed "
    "being its work (Σ nominal item cost) per second inside shards; ratio = makespan / lower "
    "bound = 1 / efficiency. Medians, with min–max over the repetitions in parentheses.")
add("")

verdicts = []

# --- imbalance ------------------------------------------------------------------
cases = [c for c in ["uniform", "linear", "sorted-desc", "bimodal", "pareto:1.5",
                     f"uniform, slow rank {slow_rank}"] if select("imbalance", c)]
first = select("imbalance")
add(f"## Imbalance: 2 ranks × 1 thread")
add("")
add(f"{int(env['IMB_ITEMS']):,} items, mean {env['IMB_MEAN']} µs per item, default shards "
    f"({first[0]['shards']:,}); `--slow-rank {slow_rank}` makes rank 1's items take twice as long. "
    f"Example: `{example('imbalance')}`")
add("")
add("| case | steal | counter | static | steal: steals (shards moved) | target (steal) | result |")
add("|---|---:|---:|---:|---:|---:|:---:|")
for c in cases:
    cells = [spread([r["ratio"] for r in select("imbalance", c, s)]) for s in STRATEGIES]
    steal_runs = select("imbalance", c, "steal")
    steals = f"{med([r['steals'] for r in steal_runs]):g} ({med([r['stolen'] for r in steal_runs]):g})"
    target = SLOW_TARGET if "slow" in c else STEAL_TARGET
    value = med([r["ratio"] for r in steal_runs])
    verdict = "PASS" if value <= target else "FAIL"
    verdicts.append(verdict)
    add(f"| {c} | {' | '.join(cells)} | {steals} | ≤ {target:.2f} | {verdict} |")
add("")
add("makespan / lower bound, median (min–max). Static and counter against steal, the median of "
    "the per-repetition makespan ratios (same repetition):")
add("")
for c in cases:
    if c == "uniform":
        continue
    st = paired("imbalance", c, "static", "steal")
    co = paired("imbalance", c, "counter", "steal")
    st_ratio = [r["ratio"] for r in select("imbalance", c, "static")]
    se_ratio = [r["ratio"] for r in select("imbalance", c, "steal")]
    visibly = med(st) >= 1.05 and min(st_ratio) > max(se_ratio)
    add(f"- {c}: static's makespan is {med(st):.2f}× steal's ({(med(st) - 1) * 100:+.0f} %; "
        f"makespan / lower bound {med(st_ratio):.3f} vs {med(se_ratio):.3f}): "
        f"{'visibly worse' if visibly else 'not visibly worse'}. "
        f"Counter: {med(co):.2f}× steal's ({(med(co) - 1) * 100:+.0f} %).")
add("")

# --- overhead -------------------------------------------------------------------
ovh = select("overhead")
if ovh:
    add("## Scheduling overhead: near-empty shards, 2 ranks × 1 thread")
    add("")
    add(f"{int(env['OVH_ITEMS']):,} shards of one item of cost 0 (`--mean-us 0 --shards "
        f"{int(env['OVH_ITEMS'])}`): shards/s = shards / makespan; per-shard overhead = "
        "makespan × 2 ranks / shards (both ranks busy throughout). "
        f"Example: `{example('overhead')}`")
    add("")
    add("| strategy | shards/s | µs per shard per rank | makespan s | steals (shards moved) |")
    add("|---|---:|---:|---:|---:|")
    for s in STRATEGIES:
        rs = select("overhead", strategy=s)
        rate = [r["shards"] / r["seconds"] for r in rs]
        per = [r["seconds"] * 2 / r["shards"] * 1e6 for r in rs]
        add(f"| {s} | {med(rate):,.0f} ({min(rate):,.0f}–{max(rate):,.0f}) | {spread(per, 2)} | "
            f"{spread([r['seconds'] for r in rs])} | {med([r['steals'] for r in rs]):g} "
            f"({med([r['stolen'] for r in rs]):g}) |")
    add("")

# --- METG -------------------------------------------------------------------------
metg = select("metg")
if metg:
    means = sorted({r["mean_us"] for r in metg})
    add(f"## METG: smallest mean item cost with ≥ {METG_EFFICIENCY * 100:.0f} % efficiency, "
        "2 ranks × 1 thread")
    add("")
    add(f"Uniform cost; items = {int(env['METG_WORK_US']):,} µs / mean, within "
        f"[{int(env['METG_MIN_ITEMS']):,}, {int(env['METG_MAX_ITEMS']):,}] (so below "
        f"{int(env['METG_WORK_US']) / int(env['METG_MAX_ITEMS']):g} µs the runs get shorter); "
        "default shards. Two efficiencies: the `/run` record's (lower bound / makespan, rank "
        "speeds measured inside shards, so time inside a shard counts as useful), and the "
        "Task Bench one: nominal work / (2 × makespan), with the nominal work the sum of the "
        "items' calibrated costs, so every cost that is not the items' burn loop counts against "
        f"it. Median (min–max) over {metg_reps} repetition(s). Example: `{example('metg')}`")
    add("")
    add("| mean µs | items | shards | µs per shard | " +
        " | ".join(f"{s}: `/run` efficiency" for s in STRATEGIES) + " | " +
        " | ".join(f"{s}: nominal efficiency" for s in STRATEGIES) + " |")
    add("|" + "---:|" * (4 + 2 * len(STRATEGIES)))
    for m in means:
        rows = [r for r in metg if r["mean_us"] == m]
        items, shards = rows[0]["items"], rows[0]["shards"]
        eff = [spread([r["efficiency"] for r in rows if r["strategy"] == s]) for s in STRATEGIES]
        nom = [spread([1 / r["nominal_ratio"] for r in rows if r["strategy"] == s])
               for s in STRATEGIES]
        add(f"| {m:g} | {items:,} | {shards:,} | {items / shards * m:,.1f} | " +
            " | ".join(eff) + " | " + " | ".join(nom) + " |")
    add("")

    def metg_of(strategy, value):
        medians = {m: med([value(r) for r in metg if r["mean_us"] == m and
                           r["strategy"] == strategy]) for m in means}
        ok = [m for m in means if medians[m] >= METG_EFFICIENCY]
        if not ok:
            return f"none of the swept means (best median {max(medians.values()):.3f})"
        smallest = min(ok)
        # the smallest mean from which every larger swept mean also holds
        holds = [m for m in means if all(medians[n] >= METG_EFFICIENCY for n in means if n >= m)]
        rows = [r for r in metg if r["mean_us"] == smallest]
        shard_us = rows[0]["items"] / rows[0]["shards"] * smallest
        text = (f"**{smallest:g} µs** (median {medians[smallest]:.3f}; ≈ {shard_us:,.0f} µs "
                "per shard)")
        if smallest == means[0]:
            text += ", the smallest swept: the figure is at most this"
        else:
            below = max(m for m in means if m < smallest)
            text += f"; {below:g} µs gives {medians[below]:.3f}"
        if holds and min(holds) != smallest:
            text += f"; holds for every larger swept mean only from {min(holds):g} µs"
        elif not holds:
            text += "; not every larger swept mean holds it"
        return text

    for s in STRATEGIES:
        add(f"- {s}: by `/run` efficiency {metg_of(s, lambda r: r['efficiency'])}; "
            f"by nominal (Task Bench) efficiency {metg_of(s, lambda r: 1 / r['nominal_ratio'])}.")
    add("")

# --- oversubscribed ---------------------------------------------------------------
over = select("oversub")
if over:
    counts = sorted({r["ranks"] for r in over})
    add("## Oversubscribed: " + " and ".join(map(str, counts)) + f" ranks × 1 thread on {cores} cores")
    add("")
    add(f"{int(env['OVER_ITEMS']):,} items, mean {env['OVER_MEAN']} µs, default shards, "
        f"`mpirun --oversubscribe`; {over_reps} repetition(s). The `/run` lower bound assumes a "
        "processor per rank; here the ranks share the cores, and a shard mostly runs inside one "
        "time slice, so the measured rank speeds add up to about ranks / cores × what the "
        "machine has and the `/run` ratio is inflated about that much. The 2-core ratio is "
        f"makespan / (nominal work / {cores} cores) (nominal work as in the METG study). "
        f"Example: `{example('oversub')}`")
    add("")
    add("| ranks | case | strategy | makespan s | `/run` ratio | 2-core ratio | "
        "steals (shards moved) |")
    add("|---|---|---|---:|---:|---:|---:|")
    for n in sorted({r["ranks"] for r in over}):
        for c in [c for c in ["uniform", "pareto:1.5"] if select("oversub", c, ranks=n)]:
            for s in STRATEGIES:
                rs = select("oversub", c, s, n)
                label = (f"{n}, oversubscribed ({n} ranks on {cores} cores)" if n > cores
                         else str(n))
                add(f"| {label} | {c} | {s} | {spread([r['seconds'] for r in rs])} | "
                    f"{spread([r['ratio'] for r in rs])} | "
                    f"{spread([r['nominal_ratio'] for r in rs])} | "
                    f"{med([r['steals'] for r in rs]):g} ({med([r['stolen'] for r in rs]):g}) |")
    add("")

# --- exactly once -----------------------------------------------------------------
add("## Exactly once")
add("")
if exactly_once:
    add(f"PASS: in all {len(runs)} runs every item was done once: `/items` equals the items asked "
        "for, and `/checksum` (Σ of a hash of each item index, mod 2^64) is identical across the "
        f"strategies in each of the {len(groups)} cases and equal to the sum computed here "
        "with numpy.")
else:
    add(f"**FAIL**: {len(problems)} problem(s):")
    add("")
    for p in problems:
        add(f"- {p}")
verdicts.append("PASS" if exactly_once else "FAIL")
add("")

overall = "PASS" if all(v == "PASS" for v in verdicts) else "FAIL"
note = " (quick smoke run: not a verdict on the targets)" if quick else ""
if not quick and reps < 5:
    note = " (fewer than 5 repetitions: not a valid measurement of the targets)"
add(f"**Overall: {overall}**{note} — targets: steal's makespan / lower bound ≤ {STEAL_TARGET:.2f} "
    f"on every cost distribution and ≤ {SLOW_TARGET:.2f} with rank 1 twice as slow (2 ranks × "
    "1 thread, medians); every item exactly once.")
add("")
add("Raw data: `imbalance.csv` (one row per run; `tool` is the strategy, `seconds` the "
    "makespan, `ratio` makespan / lower bound, `nominal_ratio` makespan / (nominal work / "
    "min(ranks, cores))).")

text = "\n".join(lines) + "\n"
with open(os.path.join(results, "imbalance.md"), "w") as f:
    f.write(text)
print()
print(text, end="")
if not exactly_once:
    print("imbalance: EXACTLY-ONCE CHECK FAILED:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(3)
EOF
if [[ $status == 3 ]]; then
  die "a shard was lost or done twice: checksums differ (see $RESULTS/imbalance.md)"
elif [[ $status != 0 ]]; then
  die "analysis failed (exit $status)"
fi
echo "imbalance: wrote $RESULTS/imbalance.csv and imbalance.md ($((ELAPSED / 60)) min $((ELAPSED % 60)) s of runs)"

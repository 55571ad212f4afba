#!/usr/bin/env bash
# Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/TARGET/) from
# real runs of a built shardrun: checkpoints of each reduce job and of a task
# farm (the checkpoint target's images; their /shape_state gives the
# partials, task_records and joblog seeds), real task and argument lists, and
# the option values the README shows. Run it again after a format change.
#
# Usage: tests/fuzz/make_corpus.sh [SHARDRUN]   (default build/shardrun)
set -euo pipefail
cd "$(dirname "$0")/../.."
shardrun=$(realpath "${1:-build/shardrun}")
corpus=$PWD/tests/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Inputs of fixed findings (found-*) stay: they are the regression seeds.
[ -d "$corpus" ] && find "$corpus" -type f ! -name 'found-*' -delete
mkdir -p "$corpus"/{partials,task_records,joblog,checkpoint,task_list,template,weights,range,dataset_ref,cost_model}

cd "$work"
"$shardrun" gen --output data.h5:/x --rows 3000 --cols 2 --dtype float64 --dist normal --seed 7 >/dev/null
"$shardrun" gen --output ints.h5:/g/y --rows 2000 --dtype int16 --dist uniform --seed 3 >/dev/null
mkdir text && printf 'the quick brown fox\njumps over the lazy dog\nthe end\n' >text/a.txt
printf 'echo one\n# a comment\n\nfalse\nprintf "%%s\\n" "two words"\n' >tasks.txt
printf 'a.txt\ndir/b c.tar.gz\n$(x)\n' >args.txt

run() { # NAME ARGS...: a completed run with a checkpoint kept
  local name=$1
  shift
  "$shardrun" run "$@" --output "$name.out.h5" --checkpoint "$name.ckpt.h5" --quiet >/dev/null 2>&1 || true
}
run stats stats --input data.h5:/x --shards 4
run ints stats --input ints.h5:/g/y --shards 3
run hist histogram --input data.h5:/x --bins 8 --range -2:2 --shards 5
run syn synthetic --items 100 --mean-us 1 --shards 3
run words wordcount --input text --shard-rows 20
run farm exec --tasks tasks.txt --retries 1 --joblog farm.joblog
run farm_args exec --command 'printf %s {} {.} {/} {//} {/.} {#} {%}' --args args.txt

/usr/bin/python3 - "$corpus" <<'PY'
import struct, sys, h5py
corpus = sys.argv[1]
def save(target, name, data):
    with open(f"{corpus}/{target}/{name}", "wb") as f:
        f.write(data)
def state(name):
    with h5py.File(f"{name}.ckpt.h5", "r") as f:
        return bytes(f["shape_state"][()].tobytes()), int(f["fingerprint"].attrs["shards"])
# partials: job (stats 0, histogram 1, synthetic 2, wordcount 3), shards - 1, first delta's length.
for job, name in [(0, "stats"), (0, "ints"), (1, "hist"), (2, "syn"), (3, "words")]:
    s, shards = state(name)
    save("partials", name, struct.pack("<BHH", job, shards - 1, len(s)) + s)
    # the same state split in two deltas of one node each is what rank 0 receives
for name in ["farm", "farm_args"]:
    s, shards = state(name)
    save("task_records", name, struct.pack("<H", shards) + s)
    save("joblog", name, s)
for name in ["stats", "hist", "words", "farm"]:
    save("checkpoint", name, open(f"{name}.ckpt.h5", "rb").read())
PY
cp tasks.txt "$corpus/task_list/tasks"
{ printf '\x01\x07'; printf 'echo {}'; cat args.txt; } >"$corpus/task_list/args"
{ printf '\x01\x1b'; printf 'cp {} {//}/{/.}.bak # {#} {%%}'; printf 'x.y\n\r\n  \n/top\n'; } \
  >"$corpus/task_list/args_all"
printf '\x00\x00# only comments\n\n' >"$corpus/task_list/empty"

i=0
for arg in 'plain' 'a b' "it's" '$(echo x)' '"q" `b` \\ $HOME *' ''; do
  printf "\\x$(printf %02x $((i % 6)))%s" "$arg" >"$corpus/template/$i"
  i=$((i + 1))
done
printf '\x00\x02\x00\x01%s' '1,2.5' >"$corpus/weights/inline"
printf '\x01\x03\x10\x00%s' $'1\n2 3\t\n' >"$corpus/weights/file"
printf '\x00\x01\x00\x00%s' '0,-1' >"$corpus/weights/bad"
printf '\x3f\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00%s' '-5:5' >"$corpus/range/numbers"
printf '\x07\x00\x00%s' '1e-3:2.5E2' >"$corpus/range/exponents"
printf '\x00\x00\x00%s' '5:-5' >"$corpus/range/reversed"
printf '%s' 'data.h5:/x' >"$corpus/dataset_ref/plain"
printf '%s' 'dir:with:colons/file.h5:/group/set' >"$corpus/dataset_ref/colons"
printf '%s' 'file.h5:/' >"$corpus/dataset_ref/root"
for cost in uniform linear sorted-desc bimodal pareto:1.5; do
  printf '\x01\x32\xa0\x86\x01\x00%s' "$cost" >"$corpus/cost_model/${cost%%:*}"
done
du -sh "$corpus"

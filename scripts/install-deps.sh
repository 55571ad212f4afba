#!/usr/bin/env bash
# Installs what shardrun needs to build and test, from Debian 12 packages only.
# Run as root. Does nothing when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compiler and build
  libopenmpi-dev openmpi-bin         # MPI: ranks, one-sided counters, mpirun
  libtbb-dev                         # oneTBB: the thread pool inside a rank
  libhdf5-openmpi-dev hdf5-tools     # parallel HDF5: inputs, results; h5dump
  libcli11-dev                       # CLI11: the command line
  libxxhash-dev                      # xxHash: checksums of checkpoint state
  libgtest-dev                       # GoogleTest: unit and MPI tests
  libmicrohttpd-dev libcpp-httplib-dev  # the status service's HTTP server; `shardrun status`'s client
  nlohmann-json3-dev                 # JSON of the status service
  python3-dev pybind11-dev           # embedded CPython and its C++ binding: Python jobs
  python3-numpy python3-venv         # numpy arrays for Python jobs; a venv in their tests
  clang-14 libclang-rt-14-dev        # libFuzzer and its sanitizer runtimes: scripts/fuzz.sh
  python3-h5py                       # independent reference for end-to-end tests
  time util-linux                    # /usr/bin/time -v (benchmarks), setpriv (tests)
  parallel                           # GNU parallel: the task farm benchmark's baseline
  libmrmpi-dev                       # MR-MPI: the wordcount benchmark's baseline
  python3-dask python3-matplotlib    # dask.array peer of stats; the benchmark plots
  python3-mpi4py                     # the mpi4py + h5py + numpy script a user would write (bench)
  python3-distributed                # dask on a local distributed cluster (the stats study)
  python3-netcdf4 python3-xarray     # netCDF-4 inputs in tests; the xarray peer of N-D stats
  slurm-wlm munge                    # a single-node Slurm for the sbatch template tests
  chromium                           # headless: the report's HTML page in tests, its PNG in docs
  python3-prometheus-client          # a strict parser of the status service's /metrics in tests
  curl                               # the status service's documented stop command, in tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or apt-get install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

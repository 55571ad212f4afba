# Sourced by the scripts that start mpirun (test.sh, demo.sh, bench/run.sh).
# mpirun refuses root unless told it may.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# With MUNGE installed (the Slurm tests need it) but munged not running, the
# PMIx of every mpirun retries munge's socket for 2.3 s before it falls back
# (docs/platform.md): choose PMIx's native security then, as a user would.
if [ -z "${PMIX_MCA_psec:-}" ] && command -v munge >/dev/null &&
  ! munge -n </dev/null >/dev/null 2>&1; then
  export PMIX_MCA_psec=^munge
fi

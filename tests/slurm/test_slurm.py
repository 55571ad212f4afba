"""The sbatch templates on a real single-node Slurm (scripts/slurm-start.sh):
a time limit's signal makes the job checkpoint, requeue itself and finish in
its next allocation with the result of an uninterrupted run; a real error
ends the job FAILED without a requeue; the requeue cap holds.

Needs root and a running Slurm (CTest starts one with scripts/slurm-start.sh).
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_slurm
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from test_cli import synthetic_checksum  # noqa: E402

SHARDRUN = os.path.abspath(os.environ.get("SHARDRUN", os.path.join(ROOT, "build", "shardrun")))
ENV = dict(os.environ, SHARDRUN=SHARDRUN, OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
TEMPLATES = os.path.join(ROOT, "slurm")


def job_info(job):
    """scontrol's fields of a job, as a dict."""
    out = subprocess.run(["scontrol", "show", "job", str(job)], capture_output=True, text=True,
                         env=ENV).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


class SlurmBase(unittest.TestCase):
    """Submitting a template and watching the job; no tests of its own."""

    def setUp(self):
        # Slurm's node is this machine: any local directory is shared.
        self.dir = tempfile.mkdtemp(prefix="shardrun-slurm-", dir="/var/tmp")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def submit(self, sbatch_args, template, args, env=None):
        r = subprocess.run(["sbatch", "--parsable", "--chdir", self.dir, "--output",
                            self.path("job.log")] + sbatch_args + [os.path.join(TEMPLATES, template)]
                           + args, capture_output=True, text=True, env=env or ENV)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout.strip().split(";")[0])

    def wait_for(self, job, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = job_info(job)
            if predicate(info):
                return info
            time.sleep(0.5)
        subprocess.run(["scancel", str(job)], env=ENV)
        self.fail(f"job {job}: {what} within {timeout} s; last {job_info(job)}\n{self.log()}")

    def wait_end(self, job, timeout=240):
        return self.wait_for(job, lambda i: i.get("JobState") in ("COMPLETED", "FAILED", "CANCELLED",
                                                                  "TIMEOUT", "NODE_FAIL"),
                             timeout, "did not end")

    def requeued_then_completed(self, job, timeout):
        """Waits for the job's first requeue, gives the next allocation room to
        finish (10 minutes), and checks that it completes. Returns the log."""
        self.wait_for(job, lambda i: int(i.get("Restarts", "0")) >= 1, timeout, "was not requeued")
        subprocess.run(["scontrol", "update", f"JobId={job}", "TimeLimit=10"], check=True, env=ENV)
        info = self.wait_end(job)
        self.assertEqual(info["JobState"], "COMPLETED", self.log())
        return self.log()

    def log(self):
        try:
            with open(self.path("job.log")) as f:
                return f.read()
        except OSError:
            return "(no log)"


class Templates(SlurmBase):
    def test_time_limit_signal_requeues_and_the_result_is_uninterrupted(self):
        # ~40 s of work on 2 ranks under a 1-minute limit whose signal comes
        # 55 s before the end: Slurm's ~30 s timer sends it 5-35 s in.
        items, mean_us = 270_000, 300
        job = self.submit(["--ntasks=2", "--cpus-per-task=1", "--time=1", "--signal=B:USR1@55"],
                          "shardrun.sbatch",
                          ["run", "synthetic", "--items", str(items), "--mean-us", str(mean_us),
                           "--output", "syn.h5", "--checkpoint-every", "1"])
        log = self.requeued_then_completed(job, 120)
        self.assertIn("got SIGUSR1", log)
        self.assertIn("stopped (USR1)", log)
        self.assertIn("requeueing", log)
        self.assertIn("the checkpoint says: done", log)
        with h5py.File(self.path("syn.h5"), "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(items, 1))
            self.assertEqual(int(f["run"].attrs["ranks"]), 2)
        r = subprocess.run([SHARDRUN, "inspect", self.path("syn.h5.ckpt.h5")], capture_output=True,
                           text=True, env=ENV)
        self.assertIn(f"slurm job {job}", r.stdout)
        self.assertIn("stopped (USR1)", r.stdout)

    def test_a_python_job_requeued_by_signal_gives_the_uninterrupted_result(self):
        # ~40 s of work on 2 ranks (a 3 ms sleep a shard) under a 1-minute limit.
        script = self.path("slow_sum.py")
        with open(script, "w") as f:
            f.write("import time\n\ndef process(block, shard):\n    time.sleep(0.003 * len(block))\n"
                    "    return sum(block)\n\ndef combine(a, b):\n    return a + b\n\n"
                    "def finalize(total):\n    return {'total': total}\n")
        items = 27_000
        job = self.submit(["--ntasks=2", "--cpus-per-task=1", "--time=1", "--signal=B:USR1@55"],
                          "shardrun.sbatch",
                          ["run", "python", "--script", script, "--items", str(items), "--shard-rows",
                           "1", "--output", "py.h5", "--checkpoint-every", "1"])
        log = self.requeued_then_completed(job, 120)
        self.assertIn("stopped (USR1)", log)
        self.assertIn("requeueing", log)
        self.assertIn("the checkpoint says: done", log)
        with h5py.File(self.path("py.h5"), "r") as f:
            self.assertEqual(int(f["total"][()]), items * (items - 1) // 2)
            self.assertEqual(f["run"].attrs["job"], "python")

    def test_shardrun_stops_itself_before_the_end_time(self):
        # No early signal; shardrun reads the end time and stops 110 s before it.
        items, mean_us = 100_000, 400
        job = self.submit(["--ntasks=2", "--cpus-per-task=1", "--time=2", "--signal=B:USR1@5"],
                          "shardrun.sbatch",
                          ["run", "synthetic", "--items", str(items), "--mean-us", str(mean_us),
                           "--output", "syn.h5", "--stop-before", "110"])
        log = self.requeued_then_completed(job, 90)
        self.assertIn("stopped (job end time near)", log)
        self.assertNotIn("got SIGUSR1", log)
        with h5py.File(self.path("syn.h5"), "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(items, 1))

    def test_task_farm_requeued_by_signal_runs_every_task_once(self):
        os.mkdir(self.path("out"))
        with open(self.path("tasks.txt"), "w") as f:
            for _ in range(40):
                f.write("sleep 0.5; echo $SHARDRUN_TASK >> out/$SHARDRUN_TASK\n")
        env = dict(ENV, SHARDRUN_LAUNCHER="mpirun")
        job = self.submit(["--ntasks=2", "--cpus-per-task=1", "--time=10"], "taskfarm.sbatch",
                          ["--tasks", "tasks.txt", "--output", "farm.h5", "--joblog", "farm.joblog"],
                          env=env)
        self.wait_for(job, lambda i: i.get("JobState") == "RUNNING", 60, "did not start")
        deadline = time.monotonic() + 60
        while len(os.listdir(self.path("out"))) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        # What Slurm's --signal=B:USR1 does at a time limit, now.
        subprocess.run(["scancel", "--batch", "--signal=USR1", str(job)], check=True, env=ENV)
        info = self.wait_end(job)
        log = self.log()
        self.assertEqual(info["JobState"], "COMPLETED", log)
        self.assertEqual(info["Restarts"], "1", log)
        with h5py.File(self.path("farm.h5"), "r") as f:
            tasks = f["tasks"]
            self.assertEqual(int(tasks.attrs["succeeded"]), 40)
            ok = [t for t, e in zip(tasks["task"][()], tasks["exit_code"][()]) if e == 0]
            self.assertEqual(sorted(ok), list(range(1, 41)))  # one success each
        for task in range(1, 41):
            with open(self.path(f"out/{task}")) as f:
                runs = f.read().split()
            # At least once; more only for a task in flight at the stop.
            self.assertGreaterEqual(len(runs), 1)
            self.assertLessEqual(len(runs), 2)
        with open(self.path("farm.joblog")) as f:
            self.assertEqual(len(f.read().splitlines()), 1 + 40)

    def test_a_real_error_fails_without_requeue(self):
        job = self.submit(["--ntasks=2", "--time=10"], "shardrun.sbatch",
                          ["run", "stats", "--input", "missing.h5:/x", "--output", "s.h5"])
        info = self.wait_end(job, 60)
        self.assertEqual(info["JobState"], "FAILED", self.log())
        self.assertEqual(info["Restarts"], "0")
        self.assertEqual(info["ExitCode"], "2:0")
        self.assertIn("missing.h5", self.log())

    def test_failed_tasks_end_the_farm_failed_without_requeue(self):
        with open(self.path("tasks.txt"), "w") as f:
            f.write("true\nexit 5\ntrue\n")
        job = self.submit(["--ntasks=1", "--time=10"], "taskfarm.sbatch",
                          ["--tasks", "tasks.txt", "--output", "farm.h5"])
        info = self.wait_end(job, 60)
        self.assertEqual(info["JobState"], "FAILED", self.log())
        self.assertEqual((info["Restarts"], info["ExitCode"]), ("0", "3:0"))
        self.assertIn("the checkpoint says: failed", self.log())

    def shards_done(self, checkpoint):
        r = subprocess.run([SHARDRUN, "inspect", self.path(checkpoint)], capture_output=True,
                           text=True, env=ENV)
        m = re.search(r"^progress +(\d+)/", r.stdout, re.M)
        return int(m.group(1)) if m else 0

    def test_a_run_without_progress_is_not_requeued(self):
        # Two shards of 10 s each: the signal comes before either is done, as
        # when --signal's lead is longer than the time limit.
        job = self.submit(["--ntasks=2", "--time=10"], "shardrun.sbatch",
                          ["run", "synthetic", "--items", "4", "--shards", "2", "--mean-us",
                           "5000000", "--output", "slow.h5"])
        self.wait_for(job, lambda i: i.get("JobState") == "RUNNING", 60, "did not start")
        deadline = time.monotonic() + 60
        while not os.path.exists(self.path("slow.h5.ckpt.h5.lock")) and time.monotonic() < deadline:
            time.sleep(0.1)
        subprocess.run(["scancel", "--batch", "--signal=USR1", str(job)], check=True, env=ENV)
        info = self.wait_end(job, 60)
        self.assertEqual((info["JobState"], info["Restarts"], info["ExitCode"]),
                         ("FAILED", "0", "75:0"), self.log())
        self.assertIn("not requeued: this run finished no shard", self.log())

    def test_requeue_cap(self):
        env = dict(ENV, SHARDRUN_MAX_REQUEUES="0")
        job = self.submit(["--ntasks=2", "--time=10"], "shardrun.sbatch",
                          ["run", "synthetic", "--items", "200000", "--mean-us", "200",
                           "--output", "syn.h5", "--checkpoint-every", "0.2"], env=env)
        self.wait_for(job, lambda i: i.get("JobState") == "RUNNING", 60, "did not start")
        # Some shards saved in the checkpoint, so the cap (not the no-progress guard) decides.
        deadline = time.monotonic() + 60
        while self.shards_done("syn.h5.ckpt.h5") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        subprocess.run(["scancel", "--batch", "--signal=USR1", str(job)], check=True, env=ENV)
        info = self.wait_end(job, 60)
        self.assertEqual((info["JobState"], info["Restarts"], info["ExitCode"]),
                         ("FAILED", "0", "75:0"), self.log())
        self.assertIn("not requeued: 0 requeues already", self.log())
        r = subprocess.run([SHARDRUN, "inspect", "--status", self.path("syn.h5.ckpt.h5")],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(r.stdout.strip(), "resumable")

    def test_a_dead_rank_under_srun_without_kill_on_bad_exit_ends_the_step(self):
        """A user's own srun line without --kill-on-bad-exit: kill -9 of one
        rank must still end the others (no rank waits for it forever); the
        checkpoint resumes to the uninterrupted result."""
        items = 200_000
        out, ckpt = self.path("dead.h5"), self.path("dead.ckpt.h5")
        args = [SHARDRUN, "run", "synthetic", "--items", str(items), "--mean-us", "100",
                "--threads", "1", "--quiet", "--output", out, "--checkpoint", ckpt,
                "--checkpoint-every", "0.5"]
        proc = subprocess.Popen(["srun", "--mpi=pmix", "-n", "3", "--overcommit"] + args,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                                start_new_session=True)

        def rank_pid(rank):
            for pid in subprocess.run(["pgrep", "-x", "shardrun"], capture_output=True,
                                      text=True).stdout.split():
                try:
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        if f"SLURM_PROCID={rank}".encode() in f.read().split(b"\0"):
                            return int(pid)
                except OSError:
                    pass
            return None

        deadline = time.monotonic() + 60
        while not (os.path.exists(ckpt) and rank_pid(2)) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(os.path.exists(ckpt), "no checkpoint within 60 s")
        os.kill(rank_pid(2), 9)
        try:
            _, stderr = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            subprocess.run(["scancel", "--name", "shardrun"], env=ENV)
            proc.kill()
            self.fail("the other ranks were still waiting 90 s after one was killed")
        self.assertNotEqual(proc.returncode, 0, stderr)
        self.assertIsNone(rank_pid(0))
        r = subprocess.run(["srun", "--mpi=pmix", "-n", "2", "--overcommit"] + args,
                           capture_output=True, text=True, env=ENV, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(items, 1))


if __name__ == "__main__":
    unittest.main()

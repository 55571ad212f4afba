"""End-to-end tests of checkpoint and resume (docs/design.md, promises 1-6): kill -9
at random moments and resume at other rank counts, signals, refusal of
checkpoints that belong to another job, and failed writes. Every final result
must be bitwise identical to an uninterrupted run.

Run from CTest or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_checkpoint
"""
import glob
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import h5py
import numpy as np

SHARDRUN = os.environ.get("SHARDRUN", "build/shardrun")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
RNG = random.Random(int(os.environ.get("SHARDRUN_TEST_SEED", "12345")))


def mpirun(ranks, args):
    return ["mpirun", "-n", str(ranks), "--oversubscribe", SHARDRUN] + args


def session_processes(sid):
    """Pids of every process in session sid."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:
                pids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return pids


def shardrun_processes():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                if argv and argv[0].endswith(b"shardrun"):
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def ranks_catching_signals(sid):
    """Pids of the shardrun processes of session sid that have installed
    their stop handlers (SIGTERM caught, /proc/PID/status SigCgt): ranks
    past MPI's start-up, which a stop signal then stops as documented."""
    ranks = []
    for pid in session_processes(sid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if not f.read().split(b"\0")[0].endswith(b"shardrun"):
                    continue
            with open(f"/proc/{pid}/status") as f:
                caught = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
            if caught >> (signal.SIGTERM - 1) & 1:
                ranks.append(pid)
        except (OSError, StopIteration, ValueError):
            pass
    return ranks


def wait_for_ranks(proc, count, timeout=60):
    """Waits until count ranks of proc's session run shardrun's own code
    (start-up of MPI takes 0.1 s to seconds, by machine), or proc ends.
    Returns their pids."""
    wait_until(lambda: proc.poll() is not None or len(ranks_catching_signals(proc.pid)) >= count,
               timeout)
    ranks = ranks_catching_signals(proc.pid)
    if len(ranks) < count and proc.poll() is None:
        raise AssertionError(f"{len(ranks)} of {count} ranks started in {timeout} s")
    return ranks


def world_rank(pid):
    """The MPI rank of a shardrun process started by mpirun."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    return int(env[b"OMPI_COMM_WORLD_RANK"])


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_job(proc):
    """kill -9 every process of proc's session at once, as a node failure
    would, and reap proc; fails when a process of the session survives.
    Returns the time the signals went out."""
    for pid in session_processes(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed_at = time.time()
    proc.communicate(timeout=30)
    if not wait_until(lambda: not session_processes(proc.pid), 10):
        raise AssertionError(f"processes of job {proc.pid} survived kill -9")
    return killed_at


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="shardrun-ckpt-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_ok(self, ranks, args):
        r = subprocess.run(mpirun(ranks, args), capture_output=True, text=True, env=ENV, timeout=300)
        self.assertEqual(r.returncode, 0, f"{args}\n{r.stdout}\n{r.stderr}")
        return r

    def start(self, ranks, args):
        return subprocess.Popen(mpirun(ranks, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=ENV, start_new_session=True)

    def kill_session(self, proc):
        """kill -9 every process of the job at once, as a node failure would."""
        kill_job(proc)

    def results(self, file, names):
        with h5py.File(file, "r") as f:
            return {n: f[n][()].tobytes() for n in names}

    def status(self, checkpoint):
        r = subprocess.run([SHARDRUN, "inspect", "--status", checkpoint], capture_output=True,
                           text=True, env=ENV)
        return r.returncode, r.stdout.strip()


class Torture(Base):
    """kill -9 of the whole job at random moments, resumed at 1-4 ranks."""
    kills = 0

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()

    def torture(self, name, args, names, rounds, window):
        reference = self.path(f"{name}-ref.h5")
        self.run_ok(2, args + ["--output", reference])
        out, ckpt = self.path(f"{name}.h5"), self.path(f"{name}.ckpt.h5")
        rank_cycle = [2, 4, 1, 2, 3, 1, 4, 3]
        killed = 0
        for i in range(50):
            ranks = rank_cycle[i % len(rank_cycle)]
            proc = self.start(ranks, args + ["--output", out, "--checkpoint", ckpt,
                                             "--checkpoint-every", "0.1"])
            wait_for_ranks(proc, ranks)
            time.sleep(RNG.uniform(*window))
            if proc.poll() is None and killed < rounds:
                self.kill_session(proc)
                status = self.status(ckpt) if os.path.exists(ckpt) else None
                if status == (0, "done"):  # killed after it finished: nothing left to kill
                    break
                killed += 1
                if status:
                    self.assertEqual(status, (75, "resumable"))
                for working in glob.glob(out + ".partial.*") if name == "mandelbrot" else []:
                    with h5py.File(working, "r") as f:
                        for dataset in f.values():
                            dataset[()]
                continue
            stdout, stderr = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, stderr)
            break
        self.assertEqual(self.status(ckpt), (0, "done"))
        self.assertEqual(self.results(out, names), self.results(reference, names), name)
        Torture.kills += killed
        return killed

    def test_1_synthetic(self):
        killed = self.torture("synthetic", ["run", "synthetic", "--items", "150000", "--mean-us", "100",
                                            "--cost", "pareto:1.5", "--quiet"],
                              ["checksum", "items"], rounds=8, window=(0.5, 1.2))
        self.assertGreaterEqual(killed, 7)

    def test_2_mandelbrot(self):
        killed = self.torture("mandelbrot", ["run", "mandelbrot", "--width", "2048", "--height", "2048",
                                             "--max-iter", "3000", "--quiet"],
                              ["image"], rounds=4, window=(0.5, 1.0))
        self.assertGreaterEqual(killed, 2)
        with h5py.File(self.path("mandelbrot.h5"), "r") as f:
            self.assertEqual(f["image"].shape, (2048, 2048))

    def test_3_stats(self):
        data = self.path("z.h5")
        r = subprocess.run(mpirun(2, ["gen", "--output", data + ":/x", "--rows", "24000000", "--dist",
                                      "normal", "--chunk-rows", "65536", "--deflate", "1"]),
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.torture("stats", ["run", "stats", "--input", data + ":/x", "--threads", "1", "--quiet"],
                     ["count", "sum", "mean", "variance", "min", "max", "nan_count"],
                     rounds=3, window=(0.35, 0.6))

    def test_4_enough_rounds(self):
        self.assertGreaterEqual(Torture.kills, 10)


class Signals(Base):
    ARGS = ["run", "synthetic", "--items", "80000", "--mean-us", "100", "--quiet"]

    def reference(self):
        ref = self.path("sig-ref.h5")
        if not os.path.exists(ref):
            self.run_ok(2, self.ARGS + ["--output", ref])
        return self.results(ref, ["checksum", "items"])

    def resume_and_compare(self, out, ckpt, ranks=3):
        self.run_ok(ranks, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        self.assertEqual(self.results(out, ["checksum", "items"]), self.reference())

    def test_sigusr1_to_mpirun_exits_75_and_resumes(self):
        out, ckpt = self.path("usr1.h5"), self.path("usr1.ckpt.h5")
        proc = self.start(2, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        wait_for_ranks(proc, 2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 75, stderr)
        self.assertIn("stopped (USR1)", stderr)
        self.assertEqual(self.status(ckpt), (75, "resumable"))
        self.assertFalse(os.path.exists(out))
        self.resume_and_compare(out, ckpt)

    def test_a_signal_to_one_rank_stops_every_rank(self):
        """SIGUSR1 to the last of 3 ranks only (a task farm's halt, or a
        signal sent by hand): it reaches rank 0's stop word, rank 0 passes it
        to every rank's own word, and the whole job stops and resumes."""
        out, ckpt = self.path("one-rank.h5"), self.path("one-rank.ckpt.h5")
        proc = self.start(3, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        ranks = wait_for_ranks(proc, 3)
        time.sleep(0.5)
        os.kill(next(pid for pid in ranks if world_rank(pid) == 2), signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 75, stderr)
        self.assertEqual(self.status(ckpt), (75, "resumable"))
        self.resume_and_compare(out, ckpt, ranks=2)

    def test_a_stop_without_checkpoint_is_not_resumable(self):
        proc = self.start(2, self.ARGS + ["--output", self.path("nockpt.h5")])
        wait_for_ranks(proc, 2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 1, stderr)
        self.assertIn("nothing saved", stderr)
        self.assertFalse(os.path.exists(self.path("nockpt.h5")))

    def test_sigterm_to_every_process_stops_promptly(self):
        out, ckpt = self.path("term.h5"), self.path("term.ckpt.h5")
        proc = self.start(2, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        wait_for_ranks(proc, 2)
        time.sleep(0.5)
        sent = time.monotonic()
        for pid in session_processes(proc.pid):
            os.kill(pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - sent, 3.0)
        self.assertNotEqual(proc.returncode, 0)
        self.assertTrue(wait_until(lambda: not session_processes(proc.pid), 5))
        self.assertEqual(self.status(ckpt), (75, "resumable"), stderr)
        self.resume_and_compare(out, ckpt, ranks=1)

    def test_second_ctrl_c_aborts_at_once(self):
        # Long shards, so the first Ctrl-C leaves the run waiting for them.
        args = ["run", "synthetic", "--items", "40000", "--mean-us", "100", "--shards", "16", "--quiet"]
        out, ckpt = self.path("int.h5"), self.path("int.ckpt.h5")
        proc = subprocess.Popen([SHARDRUN] + args + ["--output", out, "--checkpoint", ckpt,
                                                     "--checkpoint-every", "0.1", "--stop-timeout", "30"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)  # two signals sent at once would merge into one
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 128 + signal.SIGINT)
        self.assertEqual(self.status(ckpt)[0], 75)  # the last periodic checkpoint holds
        self.run_ok(2, args + ["--output", out, "--checkpoint", ckpt])
        self.run_ok(1, args + ["--output", self.path("int-ref.h5")])
        self.assertEqual(self.results(out, ["checksum", "items"]),
                         self.results(self.path("int-ref.h5"), ["checksum", "items"]))

    def test_resume_sizes_blocks_by_the_last_run_speeds(self):
        args = ["run", "synthetic", "--items", "40000", "--mean-us", "100", "--slow-rank", "1:4",
                "--balance", "static", "--quiet"]
        out, ckpt = self.path("speed.h5"), self.path("speed.ckpt.h5")
        proc = self.start(2, args + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.2"])
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 75)
        self.run_ok(2, args + ["--output", out, "--checkpoint", ckpt])
        with h5py.File(out, "r") as f:
            shards = f["run/rank_shards"][()]
        # Rank 1 measured about 4x slower: static blocks of the resumed run follow.
        self.assertGreater(shards[0], 2.5 * shards[1], shards)

    def test_kill_9_of_mpirun_alone_leaves_no_rank(self):
        out, ckpt = self.path("orphan.h5"), self.path("orphan.ckpt.h5")
        proc = self.start(2, self.ARGS + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.2"])
        ranks = wait_for_ranks(proc, 2)
        self.assertEqual(len(ranks), 2)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in ranks), 5), "a rank outlived mpirun")
        self.resume_and_compare(out, ckpt, ranks=2)

    def test_kill_9_of_one_rank_takes_the_job_down(self):
        out, ckpt = self.path("onerank.h5"), self.path("onerank.ckpt.h5")
        proc = self.start(3, self.ARGS + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.2"])
        ranks = wait_for_ranks(proc, 3)
        self.assertEqual(len(ranks), 3)
        time.sleep(0.5)
        os.kill(ranks[-1], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertTrue(wait_until(lambda: not session_processes(proc.pid), 10))
        self.resume_and_compare(out, ckpt, ranks=2)

    def test_second_run_on_one_checkpoint_is_refused(self):
        out, ckpt = self.path("lock.h5"), self.path("lock.ckpt.h5")
        long_job = ["run", "synthetic", "--items", "400000", "--mean-us", "100", "--quiet"]
        first = self.start(2, long_job + ["--output", out, "--checkpoint", ckpt])
        self.assertTrue(wait_until(lambda: self.status(ckpt)[1] == "running", 60))
        second = subprocess.run(mpirun(1, long_job + ["--output", self.path("lock2.h5"), "--checkpoint", ckpt]),
                                capture_output=True, text=True, env=ENV, timeout=60)
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
        self.assertIn("in use by another run", second.stderr)
        self.assertEqual(self.status(ckpt)[1], "running")
        first.send_signal(signal.SIGUSR1)  # the first run is unharmed: it stops as asked
        _, stderr = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 75, stderr)
        self.assertEqual(self.status(ckpt), (75, "resumable"))

    def test_a_file_system_without_locks_is_named_as_such(self):
        shim = os.environ.get("SHARDRUN_NO_LOCKS")
        self.assertTrue(shim and os.path.exists(shim), "CTest sets SHARDRUN_NO_LOCKS")
        env = dict(ENV, LD_PRELOAD=shim, ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=0")
        r = subprocess.run([SHARDRUN, "run", "synthetic", "--items", "100", "--quiet", "--output",
                            self.path("nolock.h5"), "--checkpoint", self.path("nolock.ckpt.h5")],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot lock", r.stderr)
        self.assertIn("No locks available", r.stderr)
        self.assertNotIn("in use by another run", r.stderr)

    def test_files_shardrun_names_are_never_followed_as_symlinks(self):
        """A symlink planted where shardrun writes its lock, its checkpoint's
        and joblog's temporary files never makes it write through to the target."""
        victim = self.path("victim.txt")
        with open(victim, "w") as f:
            f.write("precious")
        ckpt, out = self.path("sym.ckpt.h5"), self.path("sym.h5")
        args = ["run", "synthetic", "--items", "2000", "--mean-us", "100", "--quiet",
                "--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.05"]
        os.symlink(victim, ckpt + ".tmp")
        self.run_ok(2, args)
        self.assertEqual(self.status(ckpt), (0, "done"))
        os.remove(ckpt)
        os.remove(ckpt + ".lock")
        os.symlink(victim, ckpt + ".lock")
        r = subprocess.run(mpirun(2, args), capture_output=True, text=True, env=ENV, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(".lock is a symbolic link", r.stderr)
        tasks, joblog = self.path("sym-tasks.txt"), self.path("sym.joblog")
        with open(tasks, "w") as f:
            f.write("true\ntrue\n")
        os.symlink(victim, joblog + ".tmp")
        self.run_ok(2, ["run", "exec", "-q", "--tasks", tasks, "--joblog", joblog,
                        "--output", self.path("sym-farm.h5")])
        self.assertEqual(len(open(joblog).read().splitlines()), 3)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious")


class Refusals(Base):
    ARGS = ["run", "synthetic", "--items", "20000", "--mean-us", "200", "--quiet"]

    def stopped_checkpoint(self, name, args=None):
        """A checkpoint of a run stopped half way."""
        args = args or self.ARGS
        ckpt = self.path(name)
        proc = self.start(2, args + ["--output", self.path(name + ".out.h5"), "--checkpoint", ckpt,
                                     "--checkpoint-every", "0.2"])
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 75, stderr)
        return ckpt

    def refused(self, args, ckpt, *fragments, status=2):
        with open(ckpt, "rb") as f:
            before = f.read()
        r = subprocess.run(mpirun(2, args + ["--checkpoint", ckpt]), capture_output=True, text=True,
                           env=ENV, timeout=60)
        self.assertEqual(r.returncode, status, r.stderr)
        errors = [l for l in r.stderr.splitlines() if l.startswith("shardrun: error:")]
        self.assertEqual(len(errors), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, errors[0])
        with open(ckpt, "rb") as f:
            self.assertEqual(f.read(), before, "the refused checkpoint was modified")

    def test_other_job_parameters_and_plan_are_refused(self):
        ckpt = self.stopped_checkpoint("a.ckpt.h5")
        out = ["--output", self.path("x.h5")]
        self.refused(["run", "mandelbrot", "--width", "10", "--height", "10"] + out, ckpt, "another job")
        self.refused(["run", "synthetic", "--items", "4000", "--mean-us", "100"] + out, ckpt, "other parameters")
        self.refused(self.ARGS + ["--shards", "77"] + out, ckpt, "another shard plan")

    def test_changed_input_is_refused(self):
        data = self.path("in.h5")
        with h5py.File(data, "w") as f:
            f["x"] = np.arange(3_000_000, dtype=np.float64)
        args = ["run", "histogram", "--input", data + ":/x", "--range", "0:3000000", "--bins", "10",
                "--shards", "3000", "--threads", "1", "--quiet"]
        ckpt = self.path("in.ckpt.h5")
        self.run_ok(1, args + ["--output", self.path("h.h5"), "--checkpoint", ckpt, "--checkpoint-keep", "yes"])
        time.sleep(0.01)
        with h5py.File(data, "w") as f:  # same name, same shape, new content
            f["x"] = np.arange(3_000_000, dtype=np.float64)[::-1].copy()
        self.refused(args + ["--output", self.path("h.h5")], ckpt, "input")

    def test_truncated_and_corrupted_checkpoints_are_refused(self):
        ckpt = self.stopped_checkpoint("t.ckpt.h5")
        with open(ckpt, "rb") as f:
            data = f.read()
        truncated = self.path("trunc.ckpt.h5")
        with open(truncated, "wb") as f:
            f.write(data[: len(data) // 2])
        self.refused(self.ARGS + ["--output", self.path("x.h5")], truncated, "trunc.ckpt.h5", "damaged")
        corrupt = self.path("corrupt.ckpt.h5")
        with open(corrupt, "wb") as f:
            f.write(b"\0" * 4096 + data[4096:])
        self.refused(self.ARGS + ["--output", self.path("x.h5")], corrupt, "corrupt.ckpt.h5", "not an HDF5 file")
        other = self.path("other.h5")
        with h5py.File(other, "w") as f:
            f["x"] = np.zeros(3)
        self.refused(self.ARGS + ["--output", self.path("x.h5")], other, "not a shardrun checkpoint")
        self.assertEqual(subprocess.run([SHARDRUN, "inspect", truncated], capture_output=True, env=ENV).returncode, 2)

    def test_damaged_bytes_anywhere_are_refused_or_harmless(self):
        """Flip a byte at offsets spread over the whole file, and inside the raw
        data of /done, /shard_seconds and /shape_state: each resume is refused
        (exit 2, the checkpoint untouched) or, where the byte was unused, ends
        with the uninterrupted run's result. Never a different result."""
        args = self.ARGS  # long enough that the stop lands before the end, sanitizers too
        reference = self.path("dmg-ref.h5")
        self.run_ok(2, args + ["--output", reference])
        want = self.results(reference, ["checksum", "items"])
        ckpt = self.stopped_checkpoint("dmg.ckpt.h5", args)
        with open(ckpt, "rb") as f:
            data = f.read()
        with h5py.File(ckpt, "r") as f:
            inside = [(f[n].id.get_offset(), f[n].id.get_storage_size())
                      for n in ("done", "shard_seconds", "shape_state")]
        offsets = set(range(0, len(data), max(1, len(data) // 36)))
        for start, size in inside:
            self.assertIsNotNone(start)
            offsets |= {start, start + size // 2, start + size - 1}
        refused = harmless = 0
        for offset in sorted(offsets):
            damaged = bytearray(data)
            damaged[offset] ^= 0x5A
            bad = self.path("dmg-bad.ckpt.h5")
            with open(bad, "wb") as f:
                f.write(damaged)
            out = self.path("dmg.h5")
            r = subprocess.run(mpirun(2, args + ["--output", out, "--checkpoint", bad]),
                               capture_output=True, text=True, env=ENV, timeout=120)
            if r.returncode == 0:
                harmless += 1
                self.assertEqual(self.results(out, ["checksum", "items"]), want, f"offset {offset}")
            else:
                refused += 1
                self.assertEqual(r.returncode, 2, f"offset {offset}: {r.stderr}")
                self.assertIn("dmg-bad.ckpt.h5", r.stderr)
                with open(bad, "rb") as f:
                    self.assertEqual(f.read(), bytes(damaged), "a refused checkpoint was modified")
        self.assertGreaterEqual(refused, 9)  # at least every byte inside the data
        r = subprocess.run([SHARDRUN, "inspect", self.path("dmg-bad.ckpt.h5")], capture_output=True,
                           text=True, env=ENV)
        self.assertIn(r.returncode, (0, 2))

    def test_complete_checkpoint_with_its_result_elsewhere(self):
        """"Done" means the result is at --output: a reduce job writes it again
        from the checkpoint, a map job refuses and names where it was written."""
        ckpt, first = self.path("done.ckpt.h5"), self.path("done-1.h5")
        self.run_ok(2, self.ARGS + ["--output", first, "--checkpoint", ckpt])
        second = self.path("done-2.h5")
        r = self.run_ok(3, self.ARGS + ["--output", second, "--checkpoint", ckpt])
        self.assertIn("again from the checkpoint", r.stdout)
        self.assertEqual(self.results(second, ["checksum", "items"]),
                         self.results(first, ["checksum", "items"]))
        with h5py.File(second, "r") as f:
            self.assertEqual(f["run/rank_shards"][()].sum(), 0)  # no shard ran again
        os.remove(second)  # moved away: written again
        self.run_ok(1, self.ARGS + ["--output", second, "--checkpoint", ckpt])
        self.assertTrue(os.path.exists(second))
        r = self.run_ok(1, self.ARGS + ["--output", second, "--checkpoint", ckpt])
        self.assertIn("nothing to do", r.stdout)  # it is there now
        mckpt, image = self.path("mdone.ckpt.h5"), self.path("m-1.h5")
        margs = ["run", "mandelbrot", "--width", "200", "--height", "100", "--quiet"]
        self.run_ok(2, margs + ["--output", image, "--checkpoint", mckpt])
        self.refused(margs + ["--output", self.path("m-2.h5")], mckpt, "is complete",
                     "written to " + image)
        self.assertFalse(os.path.exists(self.path("m-2.h5")))

    def test_older_format_is_refused_with_the_way_out(self):
        ckpt = self.stopped_checkpoint("v1.ckpt.h5")
        with open(ckpt, "rb") as f:
            self.assertTrue(f.read(512).startswith(b"shardrun checkpoint 5 xxh3 "))
        with h5py.File(ckpt, "r") as f:  # h5py reads past the checksum block
            self.assertEqual(f.attrs["format_version"], 5)
            self.assertIn("shape_state", f)
            self.assertEqual(f["fingerprint"].attrs["job_revision"], "r1")
        # What shardrun before format 3 wrote: no checksum block at the start.
        old = self.path("v2.ckpt.h5")
        with h5py.File(old, "w") as f:
            f.attrs["format"] = "shardrun checkpoint"
            f.attrs["format_version"] = np.uint64(2)
        self.refused(self.ARGS + ["--output", self.path("x.h5")], old, "not a shardrun checkpoint "
                     "of format 5", "an older shardrun's", "--restart")
        for version in (b"4", b"6"):  # format 4 had no input_files; 6: a later shardrun's
            with open(ckpt, "r+b") as f:
                f.write(b"shardrun checkpoint " + version)
            self.refused(self.ARGS + ["--output", self.path("x.h5")], ckpt,
                         "format version " + version.decode(), "reads version 5 only", "--restart")
        self.run_ok(2, self.ARGS + ["--output", self.path("x.h5"), "--checkpoint", ckpt, "--restart"])

    def test_complete_checkpoint_does_nothing_unless_restart(self):
        ckpt, out = self.path("c.ckpt.h5"), self.path("c.h5")
        self.run_ok(2, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        self.assertEqual(self.status(ckpt), (0, "done"))
        stamp = os.stat(out).st_mtime_ns
        r = self.run_ok(1, self.ARGS + ["--output", out, "--checkpoint", ckpt])
        self.assertIn("complete", r.stdout)
        self.assertEqual(os.stat(out).st_mtime_ns, stamp)
        self.run_ok(1, self.ARGS + ["--output", out, "--checkpoint", ckpt, "--restart"])
        self.assertNotEqual(os.stat(out).st_mtime_ns, stamp)
        self.run_ok(1, self.ARGS + ["--output", out, "--checkpoint", ckpt, "--restart", "--checkpoint-keep", "no"])
        self.assertFalse(os.path.exists(ckpt))

    def test_unwritable_checkpoint_location(self):
        r = subprocess.run(mpirun(3, self.ARGS + ["--output", self.path("u.h5"), "--checkpoint",
                                                  self.path("no/such/dir/c.h5")]),
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--checkpoint: directory", r.stderr)

    def test_full_disk_keeps_the_previous_checkpoint(self):
        ckpt = self.stopped_checkpoint("full.ckpt.h5")
        with open(ckpt, "rb") as f:
            before = f.read()
        # Files may not grow past 16 KiB: every new checkpoint fails to write.
        # The limit applies to the rank only: mpirun's own files must not hit it.
        rank = " ".join([SHARDRUN] + self.ARGS + ["--output", self.path("full.out.h5"), "--checkpoint",
                                                   ckpt, "--checkpoint-every", "0.1"])
        r = subprocess.run(["mpirun", "-n", "1", "bash", "-c", "ulimit -f 16; exec " + rank],
                           capture_output=True, text=True, env=ENV, timeout=120)
        self.assertIn("cannot write checkpoint", r.stderr)
        self.assertIn("the previous checkpoint is intact", r.stderr)
        self.assertNotEqual(r.returncode, 0)  # it cannot mark the job complete
        with open(ckpt, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(self.status(ckpt), (75, "resumable"))


class MapPublish(Base):
    """A map job's working file belongs to its checkpoint, and a crash at any
    step of publishing the result resumes to the uninterrupted result."""
    ARGS = ["run", "mandelbrot", "--width", "1000", "--height", "1000", "--max-iter", "4000",
            "--quiet"]
    NAMES = ["image"]

    def stopped(self, args, out, ckpt):
        proc = self.start(2, args + ["--output", out, "--checkpoint", ckpt,
                                     "--checkpoint-every", "0.1"])
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        time.sleep(0.4)  # some rows written and checkpointed
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)

    def crash_at(self, point, args):
        env = dict(ENV, SHARDRUN_FAILPOINT=point)
        r = subprocess.run(mpirun(2, args), capture_output=True, text=True, env=env, timeout=120)
        self.assertNotEqual(r.returncode, 0, f"no crash at {point}: {r.stderr}")

    def test_two_jobs_on_one_output_keep_their_own_working_files(self):
        reference, out = self.path("a-ref.h5"), self.path("shared.h5")
        self.run_ok(2, self.ARGS + ["--output", reference])
        self.stopped(self.ARGS, out, self.path("a.ckpt.h5"))
        other = self.ARGS[:-2] + ["50", "--quiet"]  # another job on the same --output
        self.run_ok(2, other + ["--output", out, "--checkpoint", self.path("b.ckpt.h5")])
        self.run_ok(3, self.ARGS + ["--output", out, "--checkpoint", self.path("a.ckpt.h5")])
        self.assertEqual(self.results(out, self.NAMES), self.results(reference, self.NAMES))
        self.assertEqual(glob.glob(out + ".partial*"), [])

    def test_killed_before_publishing_resumes(self):
        reference, out, ckpt = self.path("p-ref.h5"), self.path("p.h5"), self.path("p.ckpt.h5")
        self.run_ok(2, self.ARGS + ["--output", reference])
        args = self.ARGS + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.1"]
        self.crash_at("before-publish", args)  # /run written in the working file, not renamed
        self.assertFalse(os.path.exists(out))
        self.assertEqual(self.status(ckpt), (75, "resumable"))
        self.run_ok(2, args)
        self.assertEqual(self.results(out, self.NAMES), self.results(reference, self.NAMES))
        self.assertEqual(self.status(ckpt), (0, "done"))

    def test_killed_after_publishing_is_complete(self):
        reference, out, ckpt = self.path("q-ref.h5"), self.path("q.h5"), self.path("q.ckpt.h5")
        self.run_ok(2, self.ARGS + ["--output", reference])
        args = self.ARGS + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.1",
                            "--checkpoint-keep", "yes"]
        self.crash_at("after-publish", args)  # renamed, the checkpoint not yet marked
        self.assertEqual(self.status(ckpt), (75, "resumable"))
        stamp = os.stat(out).st_mtime_ns
        r = self.run_ok(3, args)
        self.assertIn("published; marking it complete", r.stdout)
        self.assertEqual(self.status(ckpt), (0, "done"))
        self.assertEqual(os.stat(out).st_mtime_ns, stamp)  # no row computed again
        self.assertEqual(self.results(out, self.NAMES), self.results(reference, self.NAMES))
        r = self.run_ok(1, args)
        self.assertIn("nothing to do", r.stdout)

    def test_every_rank_syncs_its_rows_before_reporting_them(self):
        """Rank 0's fsync before a save covers its own node's cache only: each
        rank syncs the working file before its shards leave for rank 0."""
        out, ckpt = self.path("s.h5"), self.path("s.ckpt.h5")
        trace = self.path("trace")
        command = " ".join(self.ARGS + ["--output", out, "--checkpoint", ckpt,
                                        "--checkpoint-every", "0.2"])
        r = subprocess.run(["mpirun", "-n", "3", "--oversubscribe", "sh", "-c",
                            f"exec strace -f -qq -e trace=openat,fsync -o {trace}."
                            f"$OMPI_COMM_WORLD_RANK {SHARDRUN} {command}"],
                           capture_output=True, text=True, env=ENV, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        for rank in (1, 2):
            with open(f"{trace}.{rank}") as f:
                lines = f.read().splitlines()
            fds = set()
            syncs = 0
            for line in lines:
                if ".partial." in line and "O_RDONLY" in line and "= " in line:
                    fds.add(line.rsplit("= ", 1)[1].split()[0])
                if "fsync(" in line and line.split("fsync(")[1].split(")")[0] in fds:
                    syncs += 1
            self.assertGreaterEqual(syncs, 2, f"rank {rank} synced its rows {syncs} times")


if __name__ == "__main__":
    unittest.main()

"""shardrun across hosts (docs/design.md, promise 9), on hosts emulated on
this machine: every "host" is a UTS namespace with a name of its own behind
a stand-in for ssh (fake_ssh.sh), and ranks on different hosts talk TCP over
loopback, as on an Ethernet cluster without a fabric. The same commands as
on one host, no extra flags: results bitwise equal to a one-host run, every
strategy; kill -9 of one host's processes, then resume on another host count;
SIGUSR1 to mpirun → 75; a task farm.

Needs root (unshare). Run from CTest (label hosts) or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_hosts
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from test_cli import synthetic_checksum  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARDRUN = os.path.abspath(os.environ.get("SHARDRUN", "build/shardrun"))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
SYNTHETIC = ["run", "synthetic", "--items", "30000", "--mean-us", "30", "--cost", "pareto:1.5",
             "--threads", "1", "--quiet"]


def on_hosts(hosts, per_host, args):
    return [os.path.join(HERE, "mpirun_hosts.sh"), str(hosts), str(per_host), SHARDRUN] + args


def one_host(ranks, args):
    return ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none", SHARDRUN] + args


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def uts_host(pid):
    """The host name process pid sees (its UTS namespace), or None."""
    r = subprocess.run(["nsenter", "--target", str(pid), "--uts", "hostname"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def processes(name, argument=None):
    """Pids named name; with argument, only those whose command line holds it
    (a job's output path: another test's stray ranks must not count)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                if os.path.basename(argv[0]) == name.encode() and (
                        argument is None or argument.encode() in argv):
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


class Hosts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="shardrun-hosts-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_ok(self, command):
        r = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
        self.assertEqual(r.returncode, 0, f"{command}\n{r.stdout}\n{r.stderr}")
        return r

    def results(self, file, names):
        with h5py.File(file, "r") as f:
            return {n: f[n][()].tobytes() for n in names}

    def run_record(self, file):
        with h5py.File(file, "r") as f:
            return dict(f["run"].attrs)

    def test_every_job_and_strategy_matches_one_host(self):
        data = self.path("x.h5")
        self.run_ok(one_host(2, ["gen", "--output", data + ":/x", "--rows", "2000000", "--cols", "2",
                                 "--dist", "normal", "--seed", "3"]))
        jobs = {
            "synthetic": (SYNTHETIC, ["checksum", "items"]),
            "stats": (["run", "stats", "--input", data + ":/x", "--quiet", "--shard-rows", "20000"],
                      ["count", "mean", "variance", "min", "max"]),
            "mandelbrot": (["run", "mandelbrot", "--width", "400", "--height", "300", "--quiet"],
                           ["image"]),
        }
        for name, (args, names) in jobs.items():
            reference = self.path(f"{name}-one.h5")
            self.run_ok(one_host(1, args + ["--output", reference]))
            want = self.results(reference, names)
            for hosts, per_host in [(2, 1), (3, 1), (2, 2), (3, 2)]:
                for balance in ["steal", "counter", "static"]:
                    out = self.path(f"{name}-{hosts}x{per_host}-{balance}.h5")
                    self.run_ok(on_hosts(hosts, per_host, args + ["--balance", balance,
                                                                  "--output", out]))
                    self.assertEqual(self.results(out, names), want, f"{name} {hosts}x{per_host} {balance}")
                    record = self.run_record(out)
                    self.assertEqual(record["nodes"], hosts)
                    self.assertEqual(record["one_sided"], "osc/pt2pt over tcp")
        self.assertEqual(self.run_record(self.path("synthetic-one.h5"))["one_sided"], "osc/sm")

    def start(self, command):
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=ENV, start_new_session=True)

    def test_kill_9_of_one_host_then_resume_on_another_host_count(self):
        args = ["run", "synthetic", "--items", "60000", "--mean-us", "100", "--threads", "1",
                "--quiet"]
        reference = self.path("kill-ref.h5")
        self.run_ok(one_host(2, args + ["--output", reference]))
        out, ckpt = self.path("kill.h5"), self.path("kill.ckpt.h5")
        proc = self.start(on_hosts(3, 1, args + ["--output", out, "--checkpoint", ckpt,
                                                 "--checkpoint-every", "0.2"]))
        wait_until(lambda: os.path.exists(ckpt), 60)
        time.sleep(1.0)
        victims = [p for p in processes("shardrun") + processes("orted")
                   if uts_host(p) == "h127-0-0-3"]
        self.assertGreaterEqual(len(victims), 2, "no processes of host 127.0.0.3 found")
        for pid in victims:  # the host fails: its daemon and its rank at once
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        wait_until(lambda: not [p for p in processes("shardrun")  # no rank survives on any host
                                if (uts_host(p) or "").startswith("h127")], 20)
        self.run_ok(on_hosts(2, 2, args + ["--output", out, "--checkpoint", ckpt]))
        self.assertEqual(self.results(out, ["checksum", "items"]),
                         self.results(reference, ["checksum", "items"]))
        with h5py.File(ckpt, "r") as f:
            runs = sorted(f["runs"].keys())
            self.assertEqual(f["runs"][runs[0]].attrs["ranks"], 3)
            self.assertEqual(f["runs"][runs[-1]].attrs["ranks"], 4)

    def test_sigusr1_to_mpirun_exits_75_and_resumes(self):
        args = ["run", "synthetic", "--items", "40000", "--mean-us", "100", "--threads", "1",
                "--quiet"]
        out, ckpt = self.path("usr1.h5"), self.path("usr1.ckpt.h5")
        proc = self.start(on_hosts(2, 1, args + ["--output", out, "--checkpoint", ckpt,
                                                 "--checkpoint-every", "0.2"]))
        wait_until(lambda: os.path.exists(ckpt), 60)
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        self.run_ok(on_hosts(3, 1, args + ["--output", out, "--checkpoint", ckpt]))
        reference = self.path("usr1-ref.h5")
        self.run_ok(one_host(1, args + ["--output", reference]))
        self.assertEqual(self.results(out, ["checksum"]), self.results(reference, ["checksum"]))

    def test_task_farm(self):
        tasks = self.path("tasks.txt")
        marks = self.path("marks")
        os.mkdir(marks)
        with open(tasks, "w") as f:
            for i in range(40):
                f.write(f"echo {i} > {marks}/{i}.$(hostname)\n")
        out = self.path("farm.h5")
        self.run_ok(on_hosts(2, 2, ["run", "exec", "--tasks", tasks, "--output", out, "--quiet"]))
        done = sorted(os.listdir(marks))
        self.assertEqual(len(done), 40)
        self.assertEqual({name.split(".", 1)[1] for name in done}, {"h127-0-0-2", "h127-0-0-3"})
        with h5py.File(out, "r") as f:
            self.assertEqual(f["tasks"].attrs["succeeded"], 40)

    def test_a_directory_one_host_cannot_see_is_named_with_that_host(self):
        """No shared file system on one node (its own empty directory there,
        through a mount namespace): detected before anything runs, naming the
        option, the path and the host."""
        private = self.path("private")
        os.mkdir(private)
        data = os.path.join(private, "x.h5")
        self.run_ok(one_host(1, ["gen", "--output", data + ":/x", "--rows", "1000"]))
        env = dict(ENV, FAKE_SSH_PRIVATE=f"127.0.0.3:{private}")
        cases = [
            (["run", "stats", "--input", data + ":/x", "--output", self.path("s.h5")],
             f"--input: {data} is not visible from every host: not from rank 2 on h127-0-0-3"),
            (SYNTHETIC + ["--output", os.path.join(private, "o.h5")],
             f"--output: {private} is not the same directory on every host"),
            (SYNTHETIC + ["--output", self.path("o.h5"), "--checkpoint",
                          os.path.join(private, "c.h5")],
             f"--checkpoint: {private} is not the same directory on every host"),
        ]
        for args, message in cases:
            r = subprocess.run(on_hosts(2, 2, args), capture_output=True, text=True, env=env,
                               timeout=120)
            self.assertEqual(r.returncode, 2, f"{args}\n{r.stderr}")
            errors = [l for l in r.stderr.splitlines() if l.startswith("shardrun: error:")]
            self.assertEqual(len(errors), 1, r.stderr)
            self.assertIn(message, errors[0])
            self.assertIn("rank 2 on h127-0-0-3, rank 3 on h127-0-0-3", errors[0])
        self.assertEqual(sorted(os.listdir(private)), ["x.h5"])  # no probe left behind

    def test_an_unreachable_host_is_mpiruns_error_alone(self):
        env = dict(ENV, FAKE_SSH_UNREACHABLE="127.0.0.3")
        r = subprocess.run(on_hosts(2, 1, SYNTHETIC + ["--output", self.path("u.h5")]),
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No route to host", r.stderr)
        self.assertEqual([l for l in (r.stdout + r.stderr).splitlines()
                          if l.startswith("shardrun")], [])  # nothing misleading of ours
        self.assertFalse(os.path.exists(self.path("u.h5")))

    def test_without_windows_it_falls_back_to_static_with_one_warning(self):
        """A one-sided component forced that cannot span the hosts (osc/rdma
        over TCP: MPI_Win_allocate fails): the run balances statically,
        counts progress by messages, says so once, and still stops and
        resumes when a signal reaches one rank only."""
        env = dict(ENV, OMPI_MCA_osc="rdma")
        reference = self.path("fb-one.h5")
        self.run_ok(one_host(1, SYNTHETIC + ["--output", reference]))
        out = self.path("fb.h5")
        r = subprocess.run(on_hosts(2, 2, SYNTHETIC + ["--output", out]), capture_output=True,
                           text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        warnings = [l for l in r.stderr.splitlines() if l.startswith("shardrun: warning")]
        self.assertEqual(len(warnings), 1, r.stderr)
        self.assertIn("balancing with --balance static instead of steal", warnings[0])
        self.assertEqual(self.results(out, ["checksum", "items"]),
                         self.results(reference, ["checksum", "items"]))
        record = self.run_record(out)
        self.assertEqual(record["balance"], "static")
        self.assertTrue(record["one_sided"].startswith("none"), record["one_sided"])

        long_job = ["run", "synthetic", "--items", "400000", "--mean-us", "100", "--threads", "1",
                    "--quiet"]
        out, ckpt = self.path("fb-stop.h5"), self.path("fb-stop.ckpt.h5")
        args = long_job + ["--output", out, "--checkpoint", ckpt, "--checkpoint-every", "0.2"]
        proc = subprocess.Popen(on_hosts(2, 2, args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        self.assertTrue(wait_until(lambda: len(processes("shardrun", out)) == 4 and
                                   os.path.exists(ckpt), 60))
        os.kill(max(processes("shardrun", out)), signal.SIGUSR1)  # one rank only
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        r = subprocess.run(on_hosts(2, 2, args), capture_output=True, text=True, env=env,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(400000, 1))


if __name__ == "__main__":
    unittest.main()

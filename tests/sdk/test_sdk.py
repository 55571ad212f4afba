"""The job SDK from an installed prefix: the package, plugins out of tree,
their results against numpy at 1-3 ranks and every balance strategy, kill -9
and resume, each kind of bad plugin, a job failing in a shard, and a
checkpoint of another job revision.

Needs tests/sdk/sdk_build.sh to have filled SDK_DIR (CTest's fixture does).
    SDK_DIR=build/sdk /usr/bin/python3 -m unittest -v test_sdk
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from test_checkpoint import kill_job, wait_for_ranks, wait_until  # noqa: E402

SDK = os.path.abspath(os.environ.get("SDK_DIR", "build/sdk"))
PREFIX = os.path.join(SDK, "prefix")
SHARDRUN = os.path.join(PREFIX, "bin", "shardrun")
MYJOB = os.path.join(SDK, "myjob", "libmyjob.so")
PLUGINS = os.path.join(SDK, "plugins")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
ENV.pop("SHARDRUN_PLUGIN_PATH", None)
SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def plugin(name):
    return os.path.join(PLUGINS, f"lib{name}.so")


def mpirun(ranks, args, binary=SHARDRUN):
    return ["mpirun", "-n", str(ranks), "--oversubscribe", binary] + args


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="shardrun-sdk-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, ranks, args):
        """The job in a session of its own, for signals and kill -9."""
        return subprocess.Popen(mpirun(ranks, args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV,
                                start_new_session=True)

    def run_cmd(self, cmd, expect=0, env=ENV):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def data(self):
        path = self.path("d.h5")
        if not os.path.exists(path):
            self.run_cmd([SHARDRUN, "gen", "--output", path + ":/x", "--rows", "2000000",
                          "--cols", "3", "--dist", "normal", "--seed", "5"])
        with h5py.File(path, "r") as f:
            return path, f["x"][()]


class Package(Base):
    def test_the_prefix_holds_no_path_of_the_build(self):
        """Nothing the loader or CMake reads names the build or source tree
        (debug information of a RelWithDebInfo build may: it is not read)."""
        for root, _, files in os.walk(PREFIX):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    elf = f.read(4) == b"\x7fELF"
                if elf:
                    text = subprocess.run(["readelf", "-d", path], capture_output=True,
                                          text=True).stdout
                else:
                    with open(path, errors="replace") as f:
                        text = f.read()
                self.assertNotIn(SOURCE_ROOT, text, path)
                self.assertNotIn(SDK, text, path)
        for part in ("bin/shardrun", "include/shardrun/job.hpp", "include/shardrun/plugin.hpp",
                     "lib/libshardrun.so", "lib/cmake/shardrun/shardrunConfig.cmake",
                     "lib/cmake/shardrun/shardrunConfigVersion.cmake"):
            self.assertTrue(os.path.exists(os.path.join(PREFIX, part)), part)

    def test_a_moved_prefix_still_runs_plugins(self):
        moved = self.path("moved")
        shutil.copytree(PREFIX, moved, symlinks=True)
        r = self.run_cmd([os.path.join(moved, "bin", "shardrun"), "jobs", "--plugin", MYJOB])
        self.assertIn("rms", r.stdout)

    def test_public_headers_need_no_third_party_header(self):
        for name in os.listdir(os.path.join(PREFIX, "include", "shardrun")):
            with open(os.path.join(PREFIX, "include", "shardrun", name)) as f:
                text = f.read()
            for forbidden in ("CLI/", "CLI::", "mpi.h", "hdf5.h", "tbb/"):
                self.assertNotIn(forbidden, text, name)

    def test_jobs_shows_where_each_job_came_from(self):
        r = self.run_cmd([SHARDRUN, "--plugin", MYJOB, "jobs"])
        self.assertIn("stats", r.stdout)
        self.assertRegex(r.stdout, r"rms .*\n\s+from " + MYJOB + r" \(revision 1\)")
        env = dict(ENV, SHARDRUN_PLUGIN_PATH=os.path.dirname(MYJOB) + ":" + self.path("none"))
        r = self.run_cmd([SHARDRUN, "jobs"], env=env)
        self.assertIn("scale", r.stdout)
        self.assertIn("SHARDRUN_PLUGIN_PATH: " + self.path("none") + " is not a directory",
                      r.stderr)

    def test_a_plugin_job_has_its_own_help(self):
        r = self.run_cmd([SHARDRUN, "run", "--plugin", MYJOB, "scale", "--help"])
        for option in ("--input", "--a", "--b", "--output", "--checkpoint", "--balance"):
            self.assertIn(option, r.stdout)


class Results(Base):
    def test_rms_and_scale_equal_numpy_at_every_rank_count_and_strategy(self):
        data, x = self.data()
        expected_rms = np.sqrt((x * x).mean(axis=0))
        digests = set()
        for ranks in (1, 2, 3):
            for balance in ("steal", "counter", "static"):
                common = ["--input", data + ":/x", "--shards", "29", "--balance", balance, "-q"]
                rms, scaled = self.path(f"r{ranks}{balance}.h5"), self.path(f"s{ranks}{balance}.h5")
                self.run_cmd(mpirun(ranks, ["run", "--plugin", MYJOB, "rms", "--output", rms]
                                    + common))
                self.run_cmd(mpirun(ranks, ["run", "scale", "--plugin", MYJOB, "--a", "2",
                                            "--b", "-1", "--output", scaled] + common))
                with h5py.File(rms, "r") as f:
                    np.testing.assert_allclose(f["rms"][()], expected_rms, rtol=1e-12)
                    self.assertEqual(f["count"][()], len(x))
                    digests.add(f["rms"][()].tobytes())
                    self.assertEqual(f["run"].attrs["job_origin"], MYJOB)
                    self.assertTrue(f["run"].attrs["job_revision"].startswith("r1 plugin xxh3 "))
                with h5py.File(scaled, "r") as f:
                    self.assertTrue(np.array_equal(f["scaled"][()], 2 * x - 1))
        self.assertEqual(len(digests), 1, "rms differs between rank counts or strategies")

    def test_kill_9_and_resume_give_the_uninterrupted_result(self):
        job = plugin("testjob_r1")
        args = ["run", "--plugin", job, "testjob", "--items", "20000", "--ms-per-shard", "4",
                "--threads", "1", "-q"]
        out, ckpt = self.path("k.h5"), self.path("k.ckpt.h5")
        proc = self.start(2, args + ["--output", out, "--checkpoint", ckpt,
                                     "--checkpoint-every", "0.1"])
        wait_for_ranks(proc, 2)
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        kill_job(proc)
        self.assertFalse(os.path.exists(out))
        self.run_cmd(mpirun(3, args + ["--output", out, "--checkpoint", ckpt]))
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["sum"][()]), sum(i * i for i in range(20000)))
            self.assertEqual(f["run"].attrs["job"], "testjob")
        with h5py.File(ckpt, "r") as f:
            self.assertGreaterEqual(len(f["runs"]), 2)  # the killed run and the resume


    def test_the_example_map_job_killed_and_resumed_writes_every_row_once(self):
        data = self.path("big.h5")
        self.run_cmd(mpirun(2, ["gen", "--output", data + ":/x", "--rows", "60000000", "--dist",
                                "normal", "--seed", "9"]))
        args = ["run", "--plugin", MYJOB, "scale", "--input", data + ":/x", "--a", "3", "--b",
                "0.5", "--threads", "1", "--shards", "300", "-q"]
        out, ckpt = self.path("big-s.h5"), self.path("big-s.ckpt.h5")
        proc = self.start(2, args + ["--output", out, "--checkpoint", ckpt,
                                     "--checkpoint-every", "0.1"])
        wait_for_ranks(proc, 2)
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt) or proc.poll() is not None, 60))
        self.assertIsNone(proc.poll(), "finished before the kill: make the input larger")
        kill_job(proc)
        self.assertFalse(os.path.exists(out), "the run had finished before the kill")
        self.run_cmd(mpirun(3, args + ["--output", out, "--checkpoint", ckpt]))
        with h5py.File(data, "r") as f:
            x = f["x"][()]
        with h5py.File(out, "r") as f:
            self.assertTrue(np.array_equal(f["scaled"][()], 3 * x + 0.5))
        with h5py.File(ckpt, "r") as f:
            self.assertGreaterEqual(len(f["runs"]), 2)


class BadPlugins(Base):
    def refused(self, plugin_path, *words, ranks=1):
        out = self.path("never.h5")
        r = subprocess.run(mpirun(ranks, ["run", "--plugin", plugin_path, "stats", "--input",
                                          "x.h5:/x", "--output", out]),
                           capture_output=True, text=True, env=ENV, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.startswith("shardrun:")]
        self.assertEqual(len(lines), 1, r.stderr)  # one line, from the first rank only
        self.assertIn("shardrun: error: plugin " + plugin_path + ": ", lines[0])
        for word in words:
            self.assertIn(word, lines[0])
        self.assertFalse(os.path.exists(out))

    def test_each_bad_plugin_is_named_with_its_fault(self):
        text = self.path("notes.so")
        with open(text, "w") as f:
            f.write("not a library\n")
        self.refused(self.path("missing.so"), "no such file")
        self.refused(text, "cannot be loaded as a shared object")
        self.refused(plugin("bad_no_register"), "not a shardrun plugin", "SHARDRUN_PLUGIN")
        self.refused(plugin("bad_wrong_api"), "API version 999", "this shardrun has 2",
                     "rebuild")
        self.refused(plugin("bad_throws"), "registering its jobs failed", "no licence server")
        self.refused(plugin("bad_duplicate"), "job 'stats' is already defined (built in)")
        self.refused(plugin("bad_no_jobs"), "registers no job")
        self.refused(plugin("bad_wrong_api"), "API version 999", ranks=3)

    def test_the_same_job_from_two_plugins_is_refused(self):
        r = subprocess.run([SHARDRUN, "jobs", "--plugin", plugin("testjob_r1"), "--plugin",
                            plugin("testjob_r2")], capture_output=True, text=True, env=ENV)
        self.assertEqual(r.returncode, 2)
        self.assertIn("plugin " + plugin("testjob_r2") + ": job 'testjob' is already defined (" +
                      plugin("testjob_r1") + ")", r.stderr)

    def test_a_shard_that_throws_fails_the_run_and_keeps_the_old_output(self):
        job = plugin("testjob_r1")
        out = self.path("prev.h5")
        self.run_cmd([SHARDRUN, "run", "--plugin", job, "testjob", "--output", out, "-q"])
        with open(out, "rb") as f:
            before = f.read()
        for ranks in (1, 2, 3):
            r = subprocess.run(mpirun(ranks, ["run", "--plugin", job, "testjob", "--fail-shard",
                                              "7", "--output", out, "-q"]),
                               capture_output=True, text=True, env=ENV, timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("testjob: shard 7 failed on purpose", r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), before)


class Revision(Base):
    def test_a_checkpoint_of_another_revision_is_refused(self):
        args = ["testjob", "--items", "20000", "--ms-per-shard", "5", "--threads", "1", "-q"]
        out, ckpt = self.path("rev.h5"), self.path("rev.ckpt.h5")
        proc = self.start(2, ["run", "--plugin", plugin("testjob_r1")] + args +
                          ["--output", out, "--checkpoint", ckpt])
        wait_for_ranks(proc, 2)
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        r = self.run_cmd(mpirun(2, ["run", "--plugin", plugin("testjob_r2")] + args +
                                ["--output", out, "--checkpoint", ckpt]), expect=2)
        self.assertIn("another revision of the job", r.stderr)
        self.assertIn("r1 plugin xxh3 ", r.stderr)
        self.assertIn("r2 plugin xxh3 ", r.stderr)
        self.assertFalse(os.path.exists(out))
        # The revision it was written by resumes it.
        self.run_cmd(mpirun(2, ["run", "--plugin", plugin("testjob_r1")] + args +
                            ["--output", out, "--checkpoint", ckpt]))
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["sum"][()]), sum(i * i for i in range(20000)))


if __name__ == "__main__":
    unittest.main()

"""End-to-end tests of Python jobs (docs/python-jobs.md): the examples under
examples/python/ against numpy at 1-4 ranks x 1-2 threads and every strategy,
bitwise identical; what a script sees (block, shard, input); kill -9 torture
of a reduce and a map job resumed at other rank counts; signals; the
fingerprint; a venv; and every bad input with its exit status and one line.

    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_python
"""
import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest

import h5py
import numpy as np

import test_checkpoint
import test_cli
from test_checkpoint import mpirun, wait_for_ranks, wait_until
from test_cli import ENV, run

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "examples", "python")
MOMENTS = os.path.join(EXAMPLES, "moments.py")
PI = os.path.join(EXAMPLES, "pi.py")
NORMALIZE = os.path.join(EXAMPLES, "normalize.py")


def numpy_moments(x):
    x = np.asarray(x, dtype=np.float64)
    return {"count": len(x), "mean": x.sum(axis=0) / len(x), "rms": np.sqrt((x * x).sum(axis=0) / len(x))}


class Base(test_cli.Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = np.random.default_rng(14)
        cls.x1 = rng.normal(3, 2, size=300_000)
        cls.x2 = rng.normal(size=(20_000, 6))
        cls.i2 = rng.integers(-2**31, 2**31 - 1, size=(9_000, 3), dtype=np.int32)
        cls.x3 = rng.normal(size=(500, 4, 5)).astype(np.float32)
        cls.data = os.path.join(cls.dir, "d.h5")
        with h5py.File(cls.data, "w") as f:
            f["x1"] = cls.x1
            f["x2"] = cls.x2
            f["i2"] = cls.i2
            f["x3"] = cls.x3
            f.create_dataset("zipped", data=cls.x2, chunks=(1000, 6), compression="gzip")

    def script(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def python(self, script, *args, dataset=None, ranks=None, output="out.h5"):
        argv = ["run", "python", "--script", script, "--output", self.path(output), "--quiet"]
        argv += ["--input", f"{self.data}:/{dataset}"] if dataset else []
        return run(argv + list(args), ranks)

    def python_ok(self, script, *args, dataset=None, ranks=None, output="out.h5"):
        r = self.python(script, *args, dataset=dataset, ranks=ranks, output=output)
        self.assertEqual(r.returncode, 0, f"{script} {args}\n{r.stdout}\n{r.stderr}")
        return self.path(output)

    def contents(self, file):
        with h5py.File(file, "r") as f:
            return {name: f[name][()] for name in f if name != "run"}

    def bits(self, file):
        return {name: np.asarray(v).tobytes() for name, v in self.contents(file).items()}


class Examples(Base):
    def test_moments_matches_numpy_bitwise_at_any_ranks_threads_and_strategy(self):
        for dataset, x in (("x1", self.x1), ("x2", self.x2), ("i2", self.i2), ("zipped", self.x2),
                           ("x3", self.x3)):
            seen = set()
            for ranks, threads, balance in ((1, 1, "steal"), (2, 2, "steal"), (3, 1, "counter"),
                                            (4, 2, "static"), (3, 2, "steal")):
                out = self.python_ok(MOMENTS, "--shards", "23", "--threads", str(threads), "--balance",
                                     balance, dataset=dataset, ranks=ranks)
                got, want = self.contents(out), numpy_moments(x)
                self.assertEqual(got["count"], want["count"])
                self.assertEqual(np.shape(got["mean"]), np.shape(want["mean"]), dataset)
                np.testing.assert_allclose(got["mean"], want["mean"], rtol=1e-9, err_msg=dataset)
                np.testing.assert_allclose(got["rms"], want["rms"], rtol=1e-9, err_msg=dataset)
                seen.add(tuple(sorted(self.bits(out).items())))
            self.assertEqual(len(seen), 1, f"{dataset}: results differ across ranks/threads/strategies")

    def test_pi_is_the_same_points_as_numpy_draws_them(self):
        items, per = 1_000_000, 100_000
        seen = set()
        for ranks in (1, 2, 3):
            out = self.python_ok(PI, "--items", str(items), "--shard-rows", str(per), "--arg", "seed=3",
                                 ranks=ranks)
            seen.add(tuple(sorted(self.bits(out).items())))
        self.assertEqual(len(seen), 1)
        inside = 0
        for start in range(0, items, per):  # pi.py's streams, shard by shard
            rng = np.random.default_rng([3, start])
            x, y = rng.random(per), rng.random(per)
            inside += int(np.count_nonzero(x * x + y * y < 1.0))
        got = self.contents(out)
        self.assertEqual(int(got["inside"]), inside)
        self.assertEqual(int(got["points"]), items)
        self.assertEqual(float(got["pi"]), 4.0 * inside / items)

    def test_normalize_map_matches_numpy(self):
        for dataset, x in (("x2", self.x2), ("x1", self.x1), ("x3", self.x3)):
            ref = None
            for ranks, threads in ((1, 1), (2, 2), (3, 1)):
                out = self.python_ok(NORMALIZE, "--arg", "min=-2", "--arg", "max=2.5", "--shards", "17",
                                     "--threads", str(threads), dataset=dataset, ranks=ranks)
                with h5py.File(out, "r") as f:
                    z, clipped = f["z"][()], f["clipped"][()]
                want = np.clip((x - -2.0) / 4.5, 0, 1).astype(np.float32)
                self.assertEqual(z.dtype, np.float32)
                np.testing.assert_array_equal(z, want, err_msg=dataset)
                outside = ((x < -2) | (x > 2.5)).reshape(len(x), -1).sum(axis=1)
                np.testing.assert_array_equal(clipped, outside)
                ref = ref or self.bits(out)
                self.assertEqual(self.bits(out), ref)

    def test_run_record_names_the_python_job(self):
        out = self.python_ok(MOMENTS, dataset="x1", ranks=2)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["run"].attrs["job"], "python")
            self.assertIn("script=", f["run"].attrs["parameters"])


class WhatAScriptSees(Base):
    def test_block_is_a_read_only_view_of_the_shard_in_the_dataset_dtype(self):
        script = self.script("sees.py", """
            import numpy as np
            kept = []  # a script may keep blocks: their buffer is then never reused

            def process(block, shard):
                try:
                    block[0] = 0
                    writable = 1
                except ValueError:
                    writable = 0
                kept.append(block)
                return {"writable": writable, "rows": [(shard.id, shard.begin, shard.end, len(shard),
                        len(block))], "owndata": int(block.flags.owndata), "dtype": {block.dtype.str},
                        "shape": {block.shape[1:]}, "sum": block.astype(np.float64).sum(axis=0)}

            def combine(a, b):
                return {"writable": a["writable"] + b["writable"], "rows": a["rows"] + b["rows"],
                        "owndata": a["owndata"] + b["owndata"], "dtype": a["dtype"] | b["dtype"],
                        "shape": a["shape"] | b["shape"], "sum": a["sum"] + b["sum"]}

            def finalize(t):
                return {"writable": t["writable"], "owndata": t["owndata"], "rows": np.array(t["rows"]),
                        "dtype": sorted(t["dtype"]), "shape": [str(s) for s in sorted(t["shape"])],
                        "kept_sum": sum(b.astype(np.float64).sum(axis=0) for b in kept), "sum": t["sum"]}
            """)
        for dataset, x in (("i2", self.i2), ("x3", self.x3)):
            out = self.python_ok(script, "--shards", "7", "--threads", "2", dataset=dataset, ranks=1)
            got = self.contents(out)
            self.assertEqual(int(got["writable"]), 0)
            self.assertEqual(int(got["owndata"]), 0)  # a view, not a copy
            self.assertEqual([s.decode() for s in got["dtype"]], [x.dtype.str])
            self.assertEqual([s.decode() for s in got["shape"]], [str(x.shape[1:])])
            rows = got["rows"]
            np.testing.assert_array_equal(rows[:, 0], np.arange(7))
            self.assertEqual(rows[0, 1], 0)
            self.assertEqual(rows[-1, 2], len(x))
            np.testing.assert_array_equal(rows[1:, 1], rows[:-1, 2])  # contiguous, in order
            np.testing.assert_array_equal(rows[:, 3], rows[:, 2] - rows[:, 1])
            np.testing.assert_array_equal(rows[:, 4], rows[:, 3])
            want = x.astype(np.float64).sum(axis=0)
            np.testing.assert_allclose(got["sum"], want, rtol=1e-12)
            np.testing.assert_allclose(got["kept_sum"], want, rtol=1e-12)  # kept blocks intact

    def test_items_blocks_are_ranges_and_setup_gets_the_args(self):
        script = self.script("ranges.py", """
            args = {}

            def setup(a):
                args.update(a)

            def process(block, shard):
                assert isinstance(block, range) and block == range(shard.begin, shard.end), block
                return sum(block)

            def combine(a, b):
                return a + b

            def finalize(total):
                return {"total": total, "args": [f"{k}={v}" for k, v in sorted(args.items())]}
            """)
        out = self.python_ok(script, "--items", "100001", "--arg", "b=x=y", "--arg", "a=1", ranks=3)
        got = self.contents(out)
        self.assertEqual(int(got["total"]), 100001 * 100000 // 2)
        self.assertEqual([s.decode() for s in got["args"]], ["a=1", "b=x=y"])

    def test_outputs_of_the_input_shape_and_results_without_finalize(self):
        script = self.script("shape.py", """
            import numpy as np

            def outputs(input):
                assert input.rows == input.shape[0] and input.dtype == np.float32, input.dtype
                return {"first": ("f4", input.row_shape[1:]), "n": "i8"}

            def process(block, shard):
                return {"first": block[:, 0], "n": np.full(len(block), shard.id, dtype=np.int64)}
            """)
        out = self.python_ok(script, "--shards", "5", dataset="x3", ranks=2)
        got = self.contents(out)
        np.testing.assert_array_equal(got["first"], self.x3[:, 0])
        self.assertEqual(sorted(set(got["n"].tolist())), list(range(5)))
        no_finalize = self.script("nofin.py", """
            def process(block, shard):
                return block.sum(axis=0)

            def combine(a, b):
                return a + b
            """)
        out = self.python_ok(no_finalize, dataset="x2", ranks=2)
        np.testing.assert_allclose(self.contents(out)["result"], self.x2.sum(axis=0), rtol=1e-12)


class Fingerprint(Base):
    SLOW = """
        import time

        def process(block, shard):
            time.sleep(0.004)
            return float(block.sum())

        def combine(a, b):
            return a + b

        def finalize(t):
            return {"total": t}
        """

    def stopped(self, script, ckpt):
        args = ["run", "python", "--script", script, "--input", f"{self.data}:/x1", "--shards", "2000",
                "--output", self.path("fp.h5"), "--checkpoint", ckpt, "--checkpoint-every", "0.2",
                "--arg", "k=1", "--quiet"]
        proc = subprocess.Popen(mpirun(2, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=ENV, start_new_session=True)
        self.assertTrue(wait_until(lambda: os.path.exists(ckpt), 60))
        proc.send_signal(signal.SIGUSR1)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        return args

    def test_another_script_or_other_args_are_refused_and_the_same_resumes(self):
        script, ckpt = self.script("slow.py", self.SLOW), self.path("fp.ckpt.h5")
        args = self.stopped(script, ckpt)
        changed = args[:-3] + ["--arg", "k=2", "--quiet"]
        r = subprocess.run(mpirun(2, changed), capture_output=True, text=True, env=ENV, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("other parameters", r.stderr)
        with open(script, "a") as f:
            f.write("# an edit\n")
        r = subprocess.run(mpirun(2, args), capture_output=True, text=True, env=ENV, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("other parameters", r.stderr)
        with open(script, "w") as f:
            f.write(textwrap.dedent(self.SLOW))
        r = subprocess.run(mpirun(3, args), capture_output=True, text=True, env=ENV, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref = self.python_ok(script, "--shards", "2000", "--arg", "k=1", dataset="x1", ranks=1,
                             output="fp-ref.h5")
        self.assertEqual(self.bits(self.path("fp.h5")), self.bits(ref))


class Torture(test_checkpoint.Base):
    """kill -9 of a Python reduce and a Python map job, resumed at 1-4 ranks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = os.path.join(cls.dir, "t.h5")
        with h5py.File(cls.data, "w") as f:
            f["x"] = np.random.default_rng(7).normal(size=(400_000, 3))
        cls.slow_moments = os.path.join(cls.dir, "slow_moments.py")
        with open(MOMENTS) as f, open(cls.slow_moments, "w") as g:
            g.write(f.read() + "\n_process = process\n\ndef process(block, shard):\n"
                    "    import time\n    time.sleep(0.006)\n    return _process(block, shard)\n")
        cls.slow_normalize = os.path.join(cls.dir, "slow_normalize.py")
        with open(NORMALIZE) as f, open(cls.slow_normalize, "w") as g:
            g.write(f.read() + "\n_process = process\n\ndef process(block, shard):\n"
                    "    import time\n    time.sleep(0.01)\n    return _process(block, shard)\n")

    def test_reduce(self):
        killed = test_checkpoint.Torture.torture(
            self, "python-reduce", ["run", "python", "--script", self.slow_moments, "--input",
                                    self.data + ":/x", "--shards", "1500", "--threads", "1", "--quiet"],
            ["count", "mean", "rms"], rounds=4, window=(0.6, 1.2))
        self.assertGreaterEqual(killed, 3)

    def test_map(self):
        killed = test_checkpoint.Torture.torture(
            self, "python-map", ["run", "python", "--script", self.slow_normalize, "--input",
                                 self.data + ":/x", "--arg", "min=-1", "--arg", "max=1", "--shards",
                                 "1500", "--quiet"],
            ["z", "clipped"], rounds=4, window=(0.6, 1.2))
        self.assertGreaterEqual(killed, 3)

    def test_sigterm_to_every_process_exits_75_and_resumes(self):
        out, ckpt = self.path("sig.h5"), self.path("sig.ckpt.h5")
        args = ["run", "python", "--script", self.slow_moments, "--input", self.data + ":/x",
                "--shards", "1500", "--quiet", "--output", out, "--checkpoint", ckpt]
        proc = self.start(2, args)
        wait_for_ranks(proc, 2)
        time.sleep(1)
        for pid in test_checkpoint.session_processes(proc.pid):  # as Slurm signals a step
            os.kill(pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        self.assertIn("stopped (TERM)", stderr)
        self.assertEqual(self.status(ckpt), (75, "resumable"))
        r = subprocess.run(mpirun(3, args), capture_output=True, text=True, env=ENV, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref = self.path("sig-ref.h5")
        self.run_ok(1, args[:-4] + ["--output", ref])
        names = ["count", "mean", "rms"]
        self.assertEqual(self.results(out, names), self.results(ref, names))


class Venv(Base):
    def test_a_venv_with_a_package_in_it(self):
        venv = self.path("venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", "--system-site-packages", venv],
                       check=True)
        site = os.path.join(venv, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}",
                            "site-packages", "labpkg")
        os.makedirs(site)
        with open(os.path.join(site, "__init__.py"), "w") as f:
            f.write("def weight(x):\n    return 2.0 * x\n")
        script = self.script("uses_labpkg.py", """
            import sys
            import labpkg

            def process(block, shard):
                return float(labpkg.weight(block).sum())

            def combine(a, b):
                return a + b

            def finalize(t):
                return {"total": t, "prefix": sys.prefix}
            """)
        r = self.python(script, dataset="x1", ranks=2)
        self.assertEqual(r.returncode, 2, r.stderr)  # no venv: labpkg is not there
        self.assertIn("ModuleNotFoundError: No module named 'labpkg'", r.stderr)
        for how in (["--venv", venv], []):
            env = dict(ENV, VIRTUAL_ENV=venv) if not how else ENV
            argv = ["mpirun", "-n", "2", "--oversubscribe", test_cli.SHARDRUN, "run", "python", "--script",
                    script, "--input", f"{self.data}:/x1", "--output", self.path("v.h5")] + how
            r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = self.contents(self.path("v.h5"))
            np.testing.assert_allclose(got["total"], 2 * self.x1.sum(), rtol=1e-9)
            self.assertEqual(got["prefix"][0].decode(), venv)
        with open(os.path.join(venv, "pyvenv.cfg")) as f:
            cfg = f.read()
        with open(os.path.join(venv, "pyvenv.cfg"), "w") as f:
            f.write("\n".join(l if not l.startswith("version") else "version = 3.99.0"
                              for l in cfg.splitlines()) + "\n")
        r = self.python(script, "--venv", venv, dataset="x1", ranks=2)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("was made with Python 3.99", r.stderr)


class BadInput(Base):
    def one_line(self, r, status, *words):
        self.assertEqual(r.returncode, status, f"{r.stdout}\n{r.stderr}")
        lines = [l for l in r.stderr.splitlines() if l.startswith("shardrun")]
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    def test_scripts_that_cannot_load_exit_2(self):
        cases = {
            "syntax.py": ("def process(b, s)\n    return 1\n", ["syntax.py:1", "SyntaxError"]),
            "nothing.py": ("import numpy\n", ["nothing.py", "defines no function process"]),
            "nocombine.py": ("def process(b, s):\n    return 1\ndef finalize(t):\n    return {}\n",
                             ["nocombine.py", "no combine(a, b)"]),
            "neither.py": ("def process(b, s):\n    return 1\n", ["neither.py", "neither combine"]),
            "raises.py": ("import numpy\nraise RuntimeError('not today')\ndef process(b, s):\n  return 1\n",
                          ["raises.py:2", "RuntimeError: not today"]),
            "badimport.py": ("import nosuchpackage\n", ["badimport.py:1", "ModuleNotFoundError"]),
        }
        for name, (text, words) in cases.items():
            for ranks in (1, 3):
                self.one_line(self.python(self.script(name, text), dataset="x1", ranks=ranks), 2, *words)
        self.one_line(self.python(self.path("missing.py"), dataset="x1", ranks=2), 2, "missing.py",
                      "no such file")
        self.one_line(self.python(MOMENTS, "--arg", "seed", dataset="x1", ranks=2), 2, "--arg", "seed")
        self.one_line(self.python(MOMENTS, ranks=2), 2, "--input", "--items")
        with open(NORMALIZE) as f:
            line = [i for i, l in enumerate(f, 1) if "raise ValueError" in l][0]
        self.one_line(self.python(NORMALIZE, "--arg", "min=3", "--arg", "max=1", dataset="x1", ranks=2), 2,
                      "setup", f"normalize.py:{line}", "ValueError")

    def test_exceptions_at_run_time_exit_1_promptly_and_leave_the_output(self):
        out = self.path("kept.h5")
        with h5py.File(out, "w") as f:
            f["old"] = [1, 2, 3]
        with open(out, "rb") as f:
            before = f.read()
        cases = {
            "inprocess.py": ("def process(b, s):\n    if s.id == 5:\n        raise KeyError('k9')\n"
                             "    return 1\ndef combine(a, b):\n    return a + b\n",
                             ["process (shard 5)", "inprocess.py:3", "KeyError", "k9"]),
            "incombine.py": ("def process(b, s):\n    return 1\ndef combine(a, b):\n    return a / 0\n",
                             ["combine", "incombine.py:4", "ZeroDivisionError"]),
            "infinalize.py": ("def process(b, s):\n    return 1\ndef combine(a, b):\n    return a + b\n"
                              "def finalize(t):\n    return {'x': t.nope}\n",
                              ["finalize", "infinalize.py:6", "AttributeError"]),
            "unpicklable.py": ("def process(b, s):\n    return lambda: 1\ndef combine(a, b):\n    return a\n",
                               ["shard ", "cannot be pickled"]),
            "badvalue.py": ("def process(b, s):\n    return 1\ndef combine(a, b):\n    return a\n"
                            "def finalize(t):\n    return {'good': 1, 'bad': {'a': 1}}\n",
                            ["finalize", "'bad'", "cannot be stored"]),
            "badname.py": ("def process(b, s):\n    return 1\ndef combine(a, b):\n    return a\n"
                           "def finalize(t):\n    return {'run': 1}\n", ["finalize", "'run'"]),
            "rows.py": ("outputs = {'y': ('f8', ())}\ndef process(b, s):\n    return {'y': b[1:]}\n",
                        ["shard ", "'y' has shape", "expected"]),
            "dtype.py": ("outputs = {'y': ('f4', ())}\ndef process(b, s):\n    return {'y': b}\n",
                         ["shard ", "dtype float64", "expected float32"]),
        }
        for name, (text, words) in cases.items():
            script = self.script(name, text)
            for ranks in (1, 2, 3, 4):
                started = time.monotonic()
                r = self.python(script, "--shards", "8", dataset="x1", ranks=ranks, output="kept.h5")
                elapsed = time.monotonic() - started
                self.one_line(r, 1, *words)
                # Start-up and the error's spread; a hang would take the test's timeout.
                self.assertLess(elapsed, 15, f"{name} at {ranks} ranks took {elapsed:.1f} s")
            with open(out, "rb") as f:
                self.assertEqual(f.read(), before, f"{name} touched the previous output")


if __name__ == "__main__":
    unittest.main()

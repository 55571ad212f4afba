"""End-to-end tests: drive the real shardrun binary and check its results
against numpy (an independent computation) and its errors against the promise
of one clear line and the right exit status.

Run from CTest (which sets SHARDRUN to the binary) or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_cli
"""
import collections
import os
import shutil
import subprocess
import tempfile
import unittest
from fractions import Fraction

import h5py
import numpy as np

SHARDRUN = os.environ.get("SHARDRUN", "build/shardrun")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def run(args, ranks=None, timeout=300):
    cmd = [SHARDRUN] + args
    if ranks is not None:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout)


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="shardrun-e2e-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def ok(self, args, ranks=None):
        r = run(args, ranks)
        self.assertEqual(r.returncode, 0, f"{args}\nstdout:{r.stdout}\nstderr:{r.stderr}")
        return r

    def read(self, file, name):
        with h5py.File(file, "r") as f:
            return f[name][()]


class Results(Base):
    """gen → run → compare with numpy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.normal = os.path.join(cls.dir, "normal.h5")
        r = run(["gen", "--output", cls.normal + ":/x", "--rows", "300000", "--dist", "normal",
                 "--seed", "7"], ranks=2)
        assert r.returncode == 0, r.stderr
        # Special inputs written by h5py, not by us.
        rng = np.random.default_rng(3)
        with h5py.File(os.path.join(cls.dir, "special.h5"), "w") as f:
            m = rng.normal(10, 4, size=(50001, 3))
            m[::97, 1] = np.nan
            m[:, 2] = np.nan  # an all-NaN column
            f["matrix"] = m
            f["f32"] = rng.normal(0, 1, 70001).astype(np.float32)
            f.create_dataset("i64", data=np.array([2**62 + 1, 3, -(2**62), 5] * 25000, dtype=np.int64))
            f.create_dataset("u8", data=rng.integers(0, 256, 100000, dtype=np.uint8),
                             chunks=(4096,), compression="gzip", compression_opts=4)
            f.create_dataset("chunked", data=rng.uniform(-6, 6, 123457), chunks=(1000,),
                             compression="gzip")
            f.create_dataset("bigendian", data=rng.normal(0, 1, 20000).astype(">f8"))
            f["i16_2d"] = rng.integers(-300, 300, size=(40000, 4), dtype=np.int16)
            # Values sitting exactly on the bin edges of --range 0:10 --bins 20.
            f["edges"] = np.concatenate([np.linspace(0, 10, 21), np.arange(-2, 13, 0.5)])

    def check_stats(self, dataset, ranks=2, extra=()):
        data = self.read(dataset.split(":")[0], dataset.split(":")[1])
        out = self.path("stats.h5")
        self.ok(["run", "stats", "--input", dataset, "--output", out, *extra], ranks)
        d = np.asarray(data)
        col_axis = 0
        as_float = d.astype(np.float64)
        with h5py.File(out, "r") as f:
            count = (~np.isnan(as_float)).sum(axis=col_axis)
            np.testing.assert_array_equal(f["count"][()], count)
            np.testing.assert_array_equal(f["nan_count"][()], np.isnan(as_float).sum(axis=col_axis))
            with np.errstate(all="ignore"), np.testing.suppress_warnings() as sup:
                sup.filter(RuntimeWarning)
                if np.issubdtype(d.dtype, np.integer):
                    # Exact reference in Python integers: float64 loses int64's low bits.
                    columns = [[int(v) for v in col] for col in (d.T if d.ndim == 2 else [d])]
                    n = len(columns[0])
                    exact = np.array([sum(col) for col in columns])
                    mean = np.array([Fraction(sum(col), n) for col in columns], dtype=float)
                    var = np.array([Fraction(n * sum(v * v for v in col) - sum(col) ** 2, n * n)
                                    for col in columns], dtype=float)
                    np.testing.assert_allclose(f["mean"][()], mean if d.ndim == 2 else mean[0], rtol=1e-12)
                    np.testing.assert_allclose(f["variance"][()], var if d.ndim == 2 else var[0], rtol=1e-10)
                    self.assertEqual(f["sum"].dtype, np.int64)
                    np.testing.assert_array_equal(f["sum"][()], exact if d.ndim == 2 else exact[0])
                    np.testing.assert_array_equal(f["min"][()], d.min(axis=col_axis))
                    np.testing.assert_array_equal(f["max"][()], d.max(axis=col_axis))
                else:
                    np.testing.assert_allclose(f["mean"][()], np.nanmean(as_float, axis=col_axis), rtol=1e-12, atol=1e-12)
                    np.testing.assert_allclose(f["variance"][()], np.nanvar(as_float, axis=col_axis), rtol=1e-10)
                    np.testing.assert_allclose(f["sum"][()], np.nansum(as_float, axis=col_axis), rtol=1e-12, atol=1e-9)
                    np.testing.assert_array_equal(f["min"][()], np.nanmin(d, axis=col_axis))
                    np.testing.assert_array_equal(f["max"][()], np.nanmax(d, axis=col_axis))
            self.assertEqual(f["min"].dtype, d.dtype.newbyteorder("="))
            self.assertEqual(f["mean"].shape, () if d.ndim == 1 else (d.shape[1],))

    def test_stats_float64_generated(self):
        self.check_stats(self.normal + ":/x", ranks=2)

    def test_stats_2d_with_nans_and_an_all_nan_column(self):
        self.check_stats(self.path("special.h5") + ":/matrix", ranks=3)

    def test_stats_float32(self):
        self.check_stats(self.path("special.h5") + ":/f32", ranks=1)

    def test_stats_int64_sum_is_exact(self):
        self.check_stats(self.path("special.h5") + ":/i64", ranks=4, extra=["--shards", "9"])

    def test_stats_chunked_compressed_uint8(self):
        self.check_stats(self.path("special.h5") + ":/u8", ranks=2, extra=["--shard-rows", "3333"])

    def test_stats_big_endian(self):
        self.check_stats(self.path("special.h5") + ":/bigendian", ranks=1)

    def test_stats_int16_2d(self):
        self.check_stats(self.path("special.h5") + ":/i16_2d", ranks=3)

    def test_stats_without_mpirun_is_a_single_rank(self):
        out = self.path("single.h5")
        self.ok(["run", "stats", "--input", self.normal + ":/x", "--output", out])
        with h5py.File(out, "r") as f:
            self.assertEqual(f["run"].attrs["ranks"], 1)

    def check_histogram(self, dataset, bins, lo, hi, ranks):
        file, name = dataset.split(":")
        data = self.read(file, name).astype(np.float64)
        out = self.path("hist.h5")
        self.ok(["run", "histogram", "--input", dataset, "--bins", str(bins), "--range",
                 f"{lo}:{hi}", "--output", out], ranks)
        cols = data.reshape(len(data), -1).T
        with h5py.File(out, "r") as f:
            counts = f["counts"][()].reshape(len(cols), bins)
            for c, col in enumerate(cols):
                expected, edges = np.histogram(col[~np.isnan(col)], bins=bins, range=(lo, hi))
                np.testing.assert_array_equal(counts[c], expected)
                np.testing.assert_array_equal(f["edges"][()], edges)
                under = np.atleast_1d(f["underflow"][()])[c]
                over = np.atleast_1d(f["overflow"][()])[c]
                nans = np.atleast_1d(f["nan_count"][()])[c]
                self.assertEqual(under, (col < lo).sum())
                self.assertEqual(over, (col > hi).sum())
                self.assertEqual(nans, np.isnan(col).sum())

    def test_histogram_matches_numpy(self):
        self.check_histogram(self.normal + ":/x", 64, -5, 5, ranks=3)

    def test_histogram_values_on_edges(self):
        self.check_histogram(self.path("special.h5") + ":/edges", 20, 0, 10, ranks=2)

    def test_histogram_2d_per_column(self):
        self.check_histogram(self.path("special.h5") + ":/matrix", 30, 0, 20, ranks=2)
        with h5py.File(self.path("hist.h5"), "r") as f:
            self.assertEqual(f["counts"].shape, (3, 30))

    def test_histogram_chunked(self):
        self.check_histogram(self.path("special.h5") + ":/chunked", 7, -5, 5.5, ranks=4)

    def test_run_record(self):
        out = self.path("record.h5")
        r = self.ok(["run", "stats", "--input", self.normal + ":/x", "--output", out,
                     "--threads", "2", "--shards", "10", "--balance", "static"], ranks=3)
        self.assertIn("GB/s", r.stdout)
        self.assertIn("digest", r.stdout)
        with h5py.File(out, "r") as f:
            a = f["run"].attrs
            self.assertEqual(a["job"], "stats")
            self.assertEqual(a["ranks"], 3)
            self.assertEqual(a["threads"], 2)
            self.assertEqual(a["shards"], 10)
            self.assertEqual(a["balance"], "static")
            self.assertEqual(a["input"], self.normal + ":/x")
            self.assertGreater(a["wall_s"], 0)
            self.assertGreater(a["makespan_s"], 0)
            self.assertLessEqual(a["makespan_s"], a["wall_s"])
            self.assertTrue(a["version"])
            self.assertEqual(list(f["run/rank_shards"][()]), [3, 3, 4])
            for name in ("rank_busy_s", "rank_steals", "rank_stolen_shards", "rank_idle_s", "rank_speed"):
                self.assertEqual(len(f["run/" + name][()]), 3, name)
            self.assertEqual(list(f["run/rank_steals"][()]), [0, 0, 0])
            self.assertGreater(a["lower_bound_s"], 0)
            self.assertGreater(a["efficiency"], 0)
            self.assertLessEqual(a["efficiency"], 1.0 + 1e-9)

    def test_progress_lines_in_a_batch_log(self):
        r = self.ok(["run", "stats", "--input", self.normal + ":/x", "--output",
                     self.path("p.h5"), "--shards", "50"], ranks=2)
        lines = [l for l in r.stderr.splitlines() if l.startswith("shardrun: progress")]
        self.assertGreaterEqual(len(lines), 2, r.stderr)
        self.assertIn("0/50 shards", lines[0])
        self.assertIn("100.0% 50/50 shards", lines[-1])
        r = self.ok(["run", "stats", "--input", self.normal + ":/x", "--output",
                     self.path("p.h5"), "--quiet"], ranks=2)
        self.assertNotIn("progress", r.stderr)


class Determinism(Base):
    """Bitwise-identical results for a fixed plan at 1..4 ranks and 1..3 threads."""

    def test_bitwise_identical_across_ranks_and_threads(self):
        data = self.path("d.h5")
        rng = np.random.default_rng(5)
        with h5py.File(data, "w") as f:
            x = rng.normal(0, 1, size=(200003, 2)) * np.array([1.0, 1e8])
            x[::1013, 0] = np.nan
            f["x"] = x
        jobs = {
            "stats": (["--shards", "37"], ["count", "sum", "mean", "variance", "min", "max", "nan_count"]),
            "histogram": (["--shards", "37", "--bins", "33", "--range", "-3:3"],
                          ["counts", "edges", "underflow", "overflow", "nan_count"]),
        }
        for job, (extra, names) in jobs.items():
            reference = None
            for ranks in (1, 2, 3, 4):
                for threads in (1, 2, 3):
                    out = self.path(f"{job}-{ranks}-{threads}.h5")
                    r = self.ok(["run", job, "--input", data + ":/x", "--output", out, "--threads",
                                 str(threads), *extra], ranks)
                    with h5py.File(out, "r") as f:
                        got = {n: f[n][()].tobytes() for n in names}
                    # The digest covers the whole encoded result, padding bugs included.
                    got["digest"] = r.stdout.split("digest ")[1].split()[0]
                    if reference is None:
                        reference = got
                    else:
                        self.assertEqual(got, reference, f"{job} at {ranks} ranks x {threads} threads")

    def test_simd_paths_give_identical_bits(self):
        # stats runs AVX-512, AVX2 or SSE2, whichever the CPU has: a job spread
        # over mixed nodes must still get one answer.
        data = self.path("simd.h5")
        with h5py.File(data, "w") as f:
            x = np.random.default_rng(8).normal(3, 2, 100007).astype(np.float64)
            x[:20000:777] = np.nan  # most chunks have none: both kernels run
            f["x"] = x
            f["f"] = x.astype(np.float32)
        for name in ("x", "f"):
            results = []
            for simd in ("default", "avx2", "sse2"):
                out = self.path(f"simd-{simd}.h5")
                env = dict(ENV, SHARDRUN_SIMD=simd)
                r = subprocess.run([SHARDRUN, "run", "stats", "--input", f"{data}:/{name}",
                                    "--output", out], capture_output=True, text=True, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                with h5py.File(out, "r") as f:
                    results.append({n: f[n][()].tobytes() for n in ("sum", "mean", "variance", "min", "max", "count")})
            self.assertEqual(results[0], results[1], name)
            self.assertEqual(results[0], results[2], name)

    def test_gen_is_identical_for_any_rank_count(self):
        outs = []
        for ranks in (1, 3):
            out = self.path(f"gen{ranks}.h5")
            self.ok(["gen", "--output", out + ":/g/y", "--rows", "10001", "--cols", "3",
                     "--dtype", "int32", "--dist", "normal", "--seed", "9", "--chunk-rows", "1000",
                     "--deflate", "3"], ranks)
            outs.append(self.read(out, "/g/y"))
        np.testing.assert_array_equal(outs[0], outs[1])
        self.assertEqual(outs[0].shape, (10001, 3))
        self.assertEqual(outs[0].dtype, np.int32)

    def test_gen_distributions(self):
        out = self.path("dist.h5")
        self.ok(["gen", "--output", out + ":/s", "--rows", "1000", "--dist", "sequence",
                 "--dtype", "int64"])
        np.testing.assert_array_equal(self.read(out, "/s"), np.arange(1000))
        self.ok(["gen", "--output", out + ":/u", "--rows", "100000", "--force"])
        u = self.read(out, "/u")
        self.assertTrue((u >= 0).all() and (u < 1).all())
        self.assertAlmostEqual(u.mean(), 0.5, delta=0.01)


class Errors(Base):
    """Each bad input: its exit status and one line naming the option or file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with h5py.File(os.path.join(cls.dir, "bad.h5"), "w") as f:
            f["cube"] = np.zeros((2,) * 9)
            f["text"] = np.array([b"a", b"b"])
            f["pairs"] = np.zeros(3, dtype=[("a", "i4"), ("b", "f8")])
            f["empty"] = np.zeros(0)
            f["scalar"] = 3.0
            f["f16"] = np.zeros(10, dtype=np.float16)
            f.create_group("group")
            f["good"] = np.arange(100.0)
            # Crafted: dimensions whose byte sizes wrap around 2^64 (chunked, never written).
            f.create_dataset("wide", shape=(2, 2**61), dtype="f8", chunks=(1, 1024))
            f.create_dataset("long", shape=(2**62, 4), dtype="f8", chunks=(1024, 4))
        with open(os.path.join(cls.dir, "notes.txt"), "w") as f:
            f.write("not hdf5\n")

    def expect(self, args, status, *fragments, ranks=None):
        r = run(args, ranks)
        self.assertEqual(r.returncode, status, f"{args}\nstdout:{r.stdout}\nstderr:{r.stderr}")
        errors = [l for l in r.stderr.splitlines() if l.startswith("shardrun: error:")]
        self.assertEqual(len(errors), 1, r.stderr)
        for fragment in fragments:
            self.assertIn(fragment, errors[0])
        self.assertNotIn("HDF5-DIAG", r.stderr)
        self.assertNotIn("MPI_ABORT", r.stderr)
        return errors[0]

    def stats(self, dataset, *extra, output=None):
        return ["run", "stats", "--input", dataset, "--output", output or self.path("o.h5"), *extra]

    def test_missing_input_file(self):
        self.expect(self.stats(self.path("nope.h5") + ":/x"), 2, "--input", "no such file", "nope.h5")

    def test_not_an_hdf5_file(self):
        self.expect(self.stats(self.path("notes.txt") + ":/x"), 2, "--input", "notes.txt", "not an HDF5 file")

    def test_missing_dataset(self):
        self.expect(self.stats(self.path("bad.h5") + ":/nothere"), 2, "no dataset /nothere", "bad.h5")
        self.expect(self.stats(self.path("bad.h5") + ":/group/x"), 2, "no dataset /group/x")

    def test_a_group_is_not_a_dataset(self):
        self.expect(self.stats(self.path("bad.h5") + ":/group"), 2, "/group is not a dataset")

    def test_unsupported_types_and_ranks(self):
        self.expect(self.stats(self.path("bad.h5") + ":/cube"), 2, ":/cube is 9-D")
        self.expect(self.stats(self.path("bad.h5") + ":/text"), 2, "type string")
        self.expect(self.stats(self.path("bad.h5") + ":/pairs"), 2, "type compound")
        self.expect(self.stats(self.path("bad.h5") + ":/scalar"), 2, "scalar")
        self.expect(self.stats(self.path("bad.h5") + ":/f16"), 2, "type float16")

    def test_sizes_that_wrap_around_are_refused(self):
        self.expect(self.stats(self.path("bad.h5") + ":/wide"), 2, ":/wide", "one row is")
        self.expect(self.stats(self.path("bad.h5") + ":/long"), 2, ":/long", "bytes in all")
        mandelbrot = ["run", "mandelbrot", "--output", self.path("m.h5"), "--height", "2"]
        self.expect(mandelbrot + ["--width", str(2**63)], 2, "--width")
        self.expect(mandelbrot[:-1] + [str(2**42), "--width", str(2**20)], 2, "--height")

    def test_empty_dataset(self):
        self.expect(self.stats(self.path("bad.h5") + ":/empty"), 2, ":/empty is empty")

    def test_input_without_dataset_path(self):
        self.expect(self.stats(self.path("bad.h5")), 2, "--input", "FILE.h5:/path")

    def test_shards_zero_and_bad_threads(self):
        good = self.path("bad.h5") + ":/good"
        self.expect(self.stats(good, "--shards", "0"), 2, "--shards")
        self.expect(self.stats(good, "--threads", "two"), 2, "--threads")
        self.expect(self.stats(good, "--threads", "-1"), 2, "--threads")
        self.expect(self.stats(good, "--threads", "0"), 2, "--threads")
        self.expect(self.stats(good, "--shard-rows", "0"), 2, "--shard-rows")
        self.expect(self.stats(good, "--shards", "3", "--shard-rows", "3"), 2, "--shard")

    def test_more_shards_than_rows_is_clamped(self):
        out = self.path("clamp.h5")
        self.ok(self.stats(self.path("bad.h5") + ":/good", "--shards", "1000", output=out), ranks=3)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["run"].attrs["shards"], 100)
            self.assertEqual(f["count"][()], 100)

    def test_unknown_job_and_option(self):
        self.expect(["run", "frobnicate", "--output", "x.h5"], 2, "frobnicate")
        self.expect(self.stats(self.path("bad.h5") + ":/good", "--colour", "blue"), 2, "--colour")
        self.expect(["run", "stats", "--output", self.path("o.h5")], 2, "--input")

    def test_bad_range(self):
        good = self.path("bad.h5") + ":/good"
        for bad in ("5:-5", "1:1", "nan:1", "x:2", "3"):
            self.expect(["run", "histogram", "--input", good, "--range", bad, "--output",
                         self.path("h.h5")], 2, "--range")

    def test_output_in_missing_directory(self):
        self.expect(self.stats(self.path("bad.h5") + ":/good", output=self.path("no/such/dir/o.h5")),
                    2, "--output", "does not exist")

    def test_output_errors_on_rank_0_end_every_rank(self):
        # Only rank 0 checks --output; the other ranks must not wait for it.
        self.expect(self.stats(self.path("bad.h5") + ":/good", output=self.path("no/such/dir/o.h5")),
                    2, "--output", "does not exist", ranks=3)

    def test_output_is_a_directory(self):
        self.expect(self.stats(self.path("bad.h5") + ":/good", output=self.dir), 2, "--output", "is a directory")

    def test_output_in_read_only_directory(self):
        # root may write anywhere: try as an unprivileged user.
        ro = self.path("ro")
        os.makedirs(ro, exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(ro, 0o555)
        os.chmod(self.path("bad.h5"), 0o644)
        cmd = self.stats(self.path("bad.h5") + ":/good", output=os.path.join(ro, "o.h5"))
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHARDRUN] + cmd
            r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60)
        else:
            r = run(cmd)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--output: cannot write in", r.stderr)

    def test_output_equal_to_input(self):
        good = self.path("bad.h5")
        with open(good, "rb") as f:
            before = f.read()
        self.expect(self.stats(good + ":/good", output=good), 2, "--output", "is the input file")
        with open(good, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_errors_do_not_clobber_an_existing_output_and_no_rank_hangs(self):
        out = self.path("keep.h5")
        with open(out, "w") as f:
            f.write("precious")
        for ranks in (1, 3):
            self.expect(self.stats(self.path("bad.h5") + ":/cube", output=out), 2, "9-D", ranks=ranks)
        with open(out) as f:
            self.assertEqual(f.read(), "precious")
        self.assertEqual([n for n in os.listdir(self.dir) if ".tmp." in n], [])

    def test_gen_refuses_to_overwrite_without_force(self):
        out = self.path("g.h5")
        self.ok(["gen", "--output", out + ":/x", "--rows", "10"])
        self.expect(["gen", "--output", out + ":/x", "--rows", "10"], 2, "--force")
        self.expect(["gen", "--output", out + ":/x", "--rows", "10", "--deflate", "3", "--force"], 2, "--chunk-rows")


MASK = (1 << 64) - 1


def mix(x):
    """splitmix64's finaliser, as jobs/synthetic.cpp computes it."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def synthetic_checksum(items, seed):
    return sum(mix((seed * 31 + mix(i)) & MASK) for i in range(items)) & MASK


def mandelbrot(width, height, max_iter, x=(-2.0, 1.0), y=(-1.5, 1.5)):
    """Escape iterations at pixel centres, written independently with numpy."""
    cr = x[0] + (np.arange(width) + 0.5) * ((x[1] - x[0]) / width)
    ci = y[0] + (np.arange(height) + 0.5) * ((y[1] - y[0]) / height)
    cr, ci = np.meshgrid(cr, ci)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    out = np.full(cr.shape, max_iter, dtype=np.uint16)
    alive = np.ones(cr.shape, dtype=bool)
    for i in range(max_iter):
        rr, ii = zr * zr, zi * zi
        escaped = alive & (rr + ii > 4.0)
        out[escaped] = i
        alive &= ~escaped
        zi = np.where(alive, 2.0 * zr * zi + ci, zi)
        zr = np.where(alive, rr - ii + cr, zr)
    return out


class Balance(Base):
    """The strategies: exactly once, identical results, the run record."""

    def test_synthetic_runs_every_item_once_for_every_strategy(self):
        expected = synthetic_checksum(3000, 4)
        for balance in ("steal", "counter", "static"):
            for ranks in (1, 2, 3, 5):
                for threads in (1, 2):
                    out = self.path("syn.h5")
                    r = self.ok(["run", "synthetic", "--items", "3000", "--mean-us", "3", "--cost",
                                 "pareto:1.5", "--seed", "4", "--balance", balance, "--threads",
                                 str(threads), "--output", out], ranks)
                    with h5py.File(out, "r") as f:
                        self.assertEqual(int(f["checksum"][()]), expected, f"{balance} {ranks}x{threads}")
                        self.assertEqual(int(f["items"][()]), 3000)
                        self.assertEqual(f["run"].attrs["balance"], balance)
                        self.assertEqual(int(f["run/rank_shards"][()].sum()), f["run"].attrs["shards"])
                    self.assertIn("efficiency", r.stdout)

    def test_mandelbrot_identical_everywhere_and_matches_numpy(self):
        reference = mandelbrot(203, 151, 100)
        for balance in ("steal", "counter", "static"):
            for ranks in (1, 2, 3):
                out = self.path("m.h5")
                self.ok(["run", "mandelbrot", "--width", "203", "--height", "151", "--max-iter",
                         "100", "--shards", "40", "--balance", balance, "--output", out], ranks)
                with h5py.File(out, "r") as f:
                    self.assertEqual(f["image"].dtype, np.uint16)
                    np.testing.assert_array_equal(f["image"][()], reference, f"{balance} {ranks}")
                    self.assertEqual(f["run"].attrs["job"], "mandelbrot")

    def test_mandelbrot_default_region_draws_the_whole_set(self):
        out = self.path("m0.h5")
        self.ok(["run", "mandelbrot", "--width", "64", "--height", "48", "--output", out], 2)
        image = self.read(out, "image")
        np.testing.assert_array_equal(image, mandelbrot(64, 48, 256))
        self.assertEqual(image[0, 0], 1)       # a corner, far outside: escapes after one step
        self.assertEqual(image[24, 40], 256)   # inside the main cardioid

    def test_weights_size_the_initial_blocks(self):
        out = self.path("w.h5")
        self.ok(["run", "synthetic", "--items", "400", "--mean-us", "0", "--shards", "400",
                 "--balance", "static", "--weights", "3,1", "--output", out], 2)
        with h5py.File(out, "r") as f:
            self.assertEqual(list(f["run/rank_shards"][()]), [300, 100])
        weights = self.path("weights.txt")
        with open(weights, "w") as f:
            f.write("1\n1\n2\n")
        self.ok(["run", "synthetic", "--items", "400", "--mean-us", "0", "--shards", "400",
                 "--balance", "static", "--weights", weights, "--output", out], 3)
        with h5py.File(out, "r") as f:
            self.assertEqual(list(f["run/rank_shards"][()]), [100, 100, 200])

    def test_a_slow_rank_is_measured_slower_and_steal_moves_work_off_it(self):
        out = self.path("slow.h5")
        self.ok(["run", "synthetic", "--items", "4000", "--mean-us", "100", "--slow-rank", "1:4",
                 "--threads", "1", "--output", out], 2)
        with h5py.File(out, "r") as f:
            speed = f["run/rank_speed"][()]
            shards = f["run/rank_shards"][()]
            self.assertGreater(speed[0] / speed[1], 2.0, speed)
            self.assertGreater(shards[0], shards[1], shards)  # the fast rank took more
            self.assertGreater(int(f["run/rank_steals"][()][0]), 0)

    def test_bad_balance_options(self):
        base = ["run", "synthetic", "--items", "10", "--output", self.path("x.h5")]
        for extra, fragment in ((["--weights", "1,2,3"], "--weights"), (["--weights", "1,0"], "--weights"),
                                (["--balance", "fastest"], "--balance"), (["--cost", "zipf"], "--cost"),
                                (["--cost", "pareto:0.5"], "--cost"), (["--slow-rank", "7:2"], "--slow-rank"),
                                (["--slow-rank", "1"], "--slow-rank")):
            r = run(base + extra, ranks=2)
            self.assertEqual(r.returncode, 2, f"{extra}: {r.stderr}")
            errors = [l for l in r.stderr.splitlines() if l.startswith("shardrun: error:")]
            self.assertEqual(len(errors), 1, r.stderr)
            self.assertIn(fragment, errors[0])


class Wordcount(Base):
    """wordcount against Python's bytes.split() and a Counter, across files,
    odd shard sizes, rank counts and thread counts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = np.random.default_rng(5)
        words = [b"alpha", b"beta", b"\xce\xb4elta", b"x" * 300, b"z", b"a.b,c"]
        os.mkdir(os.path.join(cls.dir, "corpus"))
        os.mkdir(os.path.join(cls.dir, "corpus", "sub"))
        cls.counts = collections.Counter()
        for k, name in enumerate(["a.txt", "sub/b.txt", "c.txt", "empty.txt"]):
            lines = []
            for _ in range(0 if name == "empty.txt" else 3000 + 1000 * k):
                n = int(rng.integers(0, 9))
                sep = [b" ", b"\t", b"  ", b" \r", b"\v", b"\f"][int(rng.integers(0, 6))]
                lines.append(sep.join(words[int(i)] for i in rng.integers(0, len(words), n)))
            data = b"\n".join(lines) + (b"" if name == "c.txt" else b"\n")  # c.txt: no final newline
            if name == "empty.txt":
                data = b""
            with open(os.path.join(cls.dir, "corpus", name), "wb") as f:
                f.write(data)
            cls.counts.update(data.split())

    def check(self, out):
        with h5py.File(out, "r") as f:
            words = [bytes(w) if not isinstance(w, str) else w.encode() for w in f["words"][()]]
            counts = [int(c) for c in f["counts"][()]]
            total = int(f["total_words"][()])
        self.assertEqual(dict(zip(words, counts)), dict(self.counts))
        self.assertEqual(total, sum(self.counts.values()))
        order = [(-c, w) for w, c in zip(words, counts)]
        self.assertEqual(order, sorted(order))  # by count descending, then word

    def test_counts_equal_python_at_any_cut_ranks_and_threads(self):
        digests = set()
        for ranks, threads, shard_rows in [(1, 1, None), (2, 1, 997), (3, 2, 4096), (4, 1, 1)]:
            out = self.path(f"wc-{ranks}-{threads}.h5")
            extra = ["--shard-rows", str(shard_rows)] if shard_rows else []
            if shard_rows == 1:  # every byte its own shard: a tiny corpus
                extra = ["--shards", "5000"]
            r = self.ok(["run", "wordcount", "--input", self.path("corpus"), "--output", out,
                         "--threads", str(threads), "--top", "3", *extra], ranks)
            self.check(out)
            digests.add(r.stdout.split("digest ")[-1].strip())
        self.assertEqual(len(digests), 1, digests)

    def test_top_words_printed_and_bad_input(self):
        r = self.ok(["run", "wordcount", "--input", self.path("corpus/a.txt"),
                     self.path("corpus/sub"), "--output", self.path("wc.h5"), "--top", "2"])
        top = [line.split() for line in r.stdout.splitlines()[:2]]
        self.assertEqual(len(top), 2)
        r = run(["run", "wordcount", "--input", self.path("nowhere"), "--output", self.path("x.h5")])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--input: " + self.path("nowhere") + ": no such file or directory", r.stderr)
        r = run(["run", "wordcount", "--input", self.path("corpus/empty.txt"), "--output",
                 self.path("x.h5")])
        self.assertEqual(r.returncode, 2)
        self.assertIn("no text to read", r.stderr)


class Help(Base):
    def test_help_explains(self):
        for args, words in ((["--help"], ["run", "gen", "jobs", "mpirun", "Exit status"]),
                            (["run", "--help"], ["stats", "histogram"]),
                            (["run", "stats", "--help"], ["--input", "--output", "--threads",
                                                          "SLURM_CPUS_PER_TASK", "--shards",
                                                          "--balance", "--progress-every"]),
                            (["run", "histogram", "--help"], ["--bins", "--range"]),
                            (["gen", "--help"], ["--rows", "--dtype", "--dist", "--seed",
                                                 "--chunk-rows", "--deflate"])):
            r = self.ok(args)
            for word in words:
                self.assertIn(word, r.stdout, f"{args}")

    def test_jobs_lists_one_line_each(self):
        r = self.ok(["jobs"])
        names = [line.split()[0] for line in r.stdout.splitlines()]
        self.assertEqual(names, ["stats", "histogram", "synthetic", "mandelbrot", "wordcount", "python",
                                 "exec"])

    def test_no_command_is_a_usage_error(self):
        r = run([])
        self.assertEqual(r.returncode, 2)
        self.assertIn("shardrun: error:", r.stderr)


if __name__ == "__main__":
    unittest.main()

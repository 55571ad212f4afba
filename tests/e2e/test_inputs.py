"""End-to-end tests of the inputs a domain may be (docs/inputs.md): N-D
datasets, collections of files, fields of compound tables, fill values,
virtual datasets and external storage, each against numpy/h5py/netCDF4, and
every bad input with exit 2 and one line naming it.

    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_inputs
"""
import os
import subprocess
import time
import unittest

import h5py
import netCDF4
import numpy as np

import test_cli
from test_checkpoint import kill_job, mpirun, wait_until
from test_cli import ENV, SHARDRUN, run

STATS = ["count", "nan_count", "missing_count", "sum", "mean", "variance", "min", "max"]


def numpy_stats(x, axis=0, missing=()):
    """What stats computes, in float64, per element over axis 0 (or all values)."""
    x = np.asarray(x)
    mask = np.isin(x, missing) if len(missing) else np.zeros(x.shape, bool)
    v = np.where(mask, np.nan, x.astype(np.float64))
    nan = np.isnan(v) & ~mask
    return {"count": (~np.isnan(v)).sum(axis=axis), "nan_count": nan.sum(axis=axis),
            "missing_count": mask.sum(axis=axis), "mean": np.nanmean(v, axis=axis),
            "variance": np.nanvar(v, axis=axis), "sum": np.nansum(v, axis=axis),
            "min": np.nanmin(v, axis=axis), "max": np.nanmax(v, axis=axis)}


class Base(test_cli.Base):
    """test_cli's temporary directory, path() and ok(), plus result checks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rng = np.random.default_rng(19)

    def results(self, file, names=STATS):
        with h5py.File(file, "r") as f:
            return {n: f[n][()] for n in names}

    def assert_stats(self, file, expected, rtol=1e-10):
        got = self.results(file)
        for name, want in expected.items():
            self.assertEqual(np.shape(got[name]), np.shape(want), name)
            if name.endswith("count"):
                np.testing.assert_array_equal(got[name], want, err_msg=name)
            else:
                np.testing.assert_allclose(got[name], want, rtol=rtol, atol=1e-12, err_msg=name)

    def refused(self, args, *words, ranks=None):
        r = run(args, ranks)
        self.assertEqual(r.returncode, 2, f"{args}\n{r.stdout}\n{r.stderr}")
        # Under mpirun, only rank 0 speaks; mpirun's own notices are not ours.
        lines = [l for l in r.stderr.strip().splitlines() if l.startswith("shardrun")]
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]


class NdDatasets(Base):
    """3-D and 4-D datasets, chunked across shards: per element and --all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cube = cls.rng.normal(5, 2, size=(97, 9, 13)).astype(np.float32)
        cls.cube[3, 4, 5] = np.nan
        cls.hyper = cls.rng.integers(-1000, 1000, size=(61, 3, 4, 5)).astype(np.int16)
        with h5py.File(os.path.join(cls.dir, "nd.h5"), "w") as f:
            # Chunks of 10 rows cut across shards of 7 rows.
            f.create_dataset("cube", data=cls.cube, chunks=(10, 3, 13), compression="gzip")
            f.create_dataset("flat", data=cls.cube)
            f.create_dataset("hyper", data=cls.hyper)

    def test_3d_per_element_is_numpy_at_every_rank_count(self):
        want = numpy_stats(self.cube)
        digests = set()
        for ranks in (1, 2, 3, 4):
            out = self.path(f"cube{ranks}.h5")
            self.ok(["run", "stats", "--input", self.path("nd.h5") + ":/cube", "--shards", "14",
                     "--output", out], ranks)
            self.assert_stats(out, want, rtol=1e-5)
            with h5py.File(out) as f:
                self.assertEqual(f["mean"].shape, (9, 13))
                digests.add(b"".join(f[n][()].tobytes() for n in STATS))
        self.assertEqual(len(digests), 1, "results differ between rank counts")

    def test_3d_all_values(self):
        out = self.path("cube_all.h5")
        self.ok(["run", "stats", "--input", self.path("nd.h5") + ":/flat", "--all", "--output", out],
                2)
        self.assert_stats(out, numpy_stats(self.cube.ravel()), rtol=1e-6)
        with h5py.File(out) as f:
            self.assertEqual(f["mean"].shape, ())

    def test_4d_integers_per_element_and_all(self):
        out = self.path("hyper.h5")
        self.ok(["run", "stats", "--input", self.path("nd.h5") + ":/hyper", "--shards", "5",
                 "--output", out], 3)
        want = numpy_stats(self.hyper)
        self.assert_stats(out, want)
        with h5py.File(out) as f:
            self.assertEqual(f["sum"].dtype, np.int64)
            np.testing.assert_array_equal(f["sum"][()], self.hyper.astype(np.int64).sum(axis=0))
            np.testing.assert_array_equal(f["min"][()], self.hyper.min(axis=0))
        self.ok(["run", "stats", "--input", self.path("nd.h5") + ":/hyper", "--all", "--output",
                 out], 2)
        self.assert_stats(out, numpy_stats(self.hyper.ravel()))

    def test_histogram_per_element_and_all(self):
        out = self.path("hist.h5")
        self.ok(["run", "histogram", "--input", self.path("nd.h5") + ":/cube", "--bins", "8",
                 "--range", "0:10", "--output", out], 2)
        with h5py.File(out) as f:
            counts = f["counts"][()]
            self.assertEqual(counts.shape, (9, 13, 8))
            ref, _ = np.histogram(self.cube[:, 2, 7], bins=8, range=(0, 10))
            np.testing.assert_array_equal(counts[2, 7], ref)
            self.assertEqual(f["nan_count"][4, 5], 1)
        self.ok(["run", "histogram", "--input", self.path("nd.h5") + ":/cube", "--bins", "8",
                 "--range", "0:10", "--all", "--output", out], 2)
        with h5py.File(out) as f:
            finite = self.cube[np.isfinite(self.cube)]
            ref, _ = np.histogram(finite, bins=8, range=(0, 10))
            np.testing.assert_array_equal(f["counts"][()], ref)
            self.assertEqual(f["nan_count"][()], 1)

    def test_wide_rows_match_the_chunked_kernel_closely(self):
        # 600 values a row take the streaming kernel; a 2-D view of them must agree.
        wide = self.rng.normal(1e3, 1, size=(300, 600))
        with h5py.File(self.path("wide.h5"), "w") as f:
            f.create_dataset("x", data=wide)
        out = self.path("wide_out.h5")
        self.ok(["run", "stats", "--input", self.path("wide.h5") + ":/x", "--output", out], 2)
        self.assert_stats(out, numpy_stats(wide), rtol=1e-9)


class Collections(Base):
    """Many files as one domain: against one concatenated file, at 1..4 ranks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(os.path.join(cls.dir, "runs"))
        parts = []
        sizes = [int(n) for n in cls.rng.integers(1, 40, size=200)] + [20000, 30000, 25000]
        for i, rows in enumerate(sizes):
            part = cls.rng.normal(i, 1, size=(rows, 3))
            parts.append(part)
            with h5py.File(os.path.join(cls.dir, "runs", f"run{i:03d}.h5"), "w") as f:
                # Some files chunked and compressed, some contiguous.
                if i % 3 == 0:
                    f.create_dataset("x", data=part, chunks=(min(rows, 7), 3), compression="gzip")
                else:
                    f.create_dataset("x", data=part)
        cls.whole = np.concatenate(parts)
        with h5py.File(os.path.join(cls.dir, "whole.h5"), "w") as f:
            f.create_dataset("x", data=cls.whole)

    def test_glob_is_one_domain_bitwise_equal_to_one_file(self):
        one = self.path("one.h5")
        self.ok(["run", "stats", "--input", self.path("whole.h5") + ":/x", "--shards", "37",
                 "--output", one], 2)
        reference = self.results(one)
        self.assert_stats(one, numpy_stats(self.whole))
        for ranks in (1, 2, 3, 4):
            out = self.path(f"glob{ranks}.h5")
            self.ok(["run", "stats", "--input", self.path("runs") + "/run*.h5:/x", "--shards",
                     "37", "--output", out], ranks)
            got = self.results(out)
            for n in STATS:
                self.assertEqual(got[n].tobytes(), reference[n].tobytes(), f"{n} at {ranks} ranks")

    def test_directory_and_list_in_their_orders(self):
        out = self.path("dir.h5")
        self.ok(["run", "stats", "--input", self.path("runs") + ":/x", "--output", out], 2)
        self.assert_stats(out, numpy_stats(self.whole))
        # A list in reverse order: the domain is the list's order (min/max
        # and counts the same; the first rows are the last file's).
        names = sorted(os.listdir(self.path("runs")))[:5]
        with open(self.path("list.txt"), "w") as f:
            f.write("# five files, last first\n\n")
            for n in reversed(names):
                f.write(os.path.join(self.path("runs"), n) + "\n")
        self.ok(["run", "exec", "--over", "@" + self.path("list.txt") + ":/x", "--shards", "1",
                 "--command", "echo {begin} {end} {rows}", "--output", self.path("farm.h5")])
        rows = sum(len(h5py.File(os.path.join(self.path("runs"), n))["x"]) for n in names)
        self.ok(["run", "stats", "--input", "@" + self.path("list.txt") + ":/x", "--output", out])
        with h5py.File(out) as f:
            self.assertEqual(f["count"][0], rows)

    def test_a_shard_opens_a_bounded_number_of_files(self):
        # With a descriptor limit of 64 (16 for inputs), 203 files still run.
        out = self.path("bounded.h5")
        r = subprocess.run(["prlimit", "--nofile=64", SHARDRUN, "run", "stats", "--input",
                            self.path("runs") + "/run*.h5:/x", "--shards", "300", "--output", out],
                           capture_output=True, text=True, env=ENV, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_stats(out, numpy_stats(self.whole))

    def test_mismatched_and_missing_files_are_refused_naming_them(self):
        d = self.path("bad")
        os.makedirs(d)
        for name, data in (("a.h5", np.zeros((4, 3))), ("b.h5", np.zeros((4, 2))),
                           ("c.h5", np.zeros((4, 3), np.float32))):
            with h5py.File(os.path.join(d, name), "w") as f:
                f.create_dataset("x", data=data)
        self.refused(["run", "stats", "--input", d + "/[ab].h5:/x", "--output", self.path("o.h5")],
                     "b.h5", "differs from", "a.h5", "shape 2, not 3")
        self.refused(["run", "stats", "--input", d + "/[ac].h5:/x", "--output", self.path("o.h5")],
                     "c.h5", "float32, not float64")
        self.refused(["run", "stats", "--input", d + "/zz*.h5:/x", "--output", self.path("o.h5")],
                     "no file matches", "zz*.h5")
        with open(self.path("bad.txt"), "w") as f:
            f.write(os.path.join(d, "a.h5") + "\n" + os.path.join(d, "gone.h5") + "\n")
        self.refused(["run", "stats", "--input", "@" + self.path("bad.txt") + ":/x", "--output",
                      self.path("o.h5")], "bad.txt line 2", "gone.h5", ranks=3)


class CollectionResume(Base):
    """kill -9 over a collection, then resume; a file changed between runs is refused."""

    def test_kill_9_and_resume_over_files_then_a_modified_file_is_refused(self):
        d = self.path("many")
        os.makedirs(d)
        for i in range(24):
            with h5py.File(os.path.join(d, f"p{i:02d}.h5"), "w") as f:
                # Tiny compressed chunks: HDF5 reads them under its lock, slowly
                # enough (seconds) for the job to be killed mid-run.
                f.create_dataset("x", data=self.rng.normal(size=(200000, 2)), chunks=(8, 2),
                                 compression="gzip", compression_opts=1)
        ref = self.path("ref.h5")
        args = ["run", "stats", "--input", d + "/*.h5:/x", "--shards", "600", "--threads", "1"]
        self.ok(args + ["--output", ref], 2)
        out, ckpt = self.path("out.h5"), self.path("out.ckpt.h5")
        proc = subprocess.Popen(mpirun(1, args + ["--output", out, "--checkpoint", ckpt,
                                               "--checkpoint-every", "0.05"]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                                start_new_session=True)

        def some_done():
            r = subprocess.run([SHARDRUN, "inspect", ckpt], capture_output=True, text=True,
                               env=ENV)
            done = [l.split()[1] for l in r.stdout.splitlines() if l.startswith("progress")]
            return bool(done) and done[0].split("/")[0] not in ("0", "600")
        self.assertTrue(wait_until(lambda: proc.poll() is not None or some_done(), 120))
        self.assertIsNone(proc.poll(), "finished before it could be killed")
        kill_job(proc)
        self.assertFalse(os.path.exists(out))
        self.ok(args + ["--output", out, "--checkpoint", ckpt], 3)
        a, b = self.results(ref), self.results(out)
        for n in STATS:
            self.assertEqual(a[n].tobytes(), b[n].tobytes(), n)
        # A file of the collection rewritten: the checkpoint is refused.
        time.sleep(0.01)  # a later mtime even on coarse clocks
        with h5py.File(os.path.join(d, "p05.h5"), "a") as f:
            f["x"][0, 0] = 42.0
        line = self.refused(args + ["--output", out, "--checkpoint", ckpt])
        self.assertIn("p05.h5", line)


class Tables(Base):
    """Fields of a chunked, compressed compound table."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        n = 50000
        cls.events = np.zeros(n, dtype=[("energy", "f8"), ("charge", "i4"), ("flag", "u1"),
                                        ("name", "S8")])
        cls.events["energy"] = cls.rng.uniform(0, 60, n)
        cls.events["charge"] = cls.rng.integers(-3, 4, n)
        cls.events["flag"] = cls.rng.integers(0, 2, n)
        with h5py.File(os.path.join(cls.dir, "events.h5"), "w") as f:
            f.create_dataset("events", data=cls.events, chunks=(999,), compression="gzip")
            f.create_dataset("plain", data=np.arange(5.0))

    def test_one_field_histogram_as_numpy(self):
        out = self.path("e.h5")
        self.ok(["run", "histogram", "--input", self.path("events.h5") + ":/events#energy",
                 "--bins", "100", "--range", "0:50", "--output", out], 4)
        ref, _ = np.histogram(self.events["energy"], bins=100, range=(0, 50))
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["counts"][()], ref)
            self.assertEqual(f["overflow"][()], (self.events["energy"] > 50).sum())

    def test_two_fields_as_columns(self):
        out = self.path("ec.h5")
        self.ok(["run", "stats", "--input", self.path("events.h5") + ":/events#energy,charge",
                 "--output", out], 2)
        cols = np.stack([self.events["energy"], self.events["charge"].astype(np.float64)], axis=1)
        self.assert_stats(out, numpy_stats(cols))
        out = self.path("c.h5")
        self.ok(["run", "stats", "--input", self.path("events.h5") + ":/events#charge",
                 "--output", out], 3)
        with h5py.File(out) as f:
            self.assertEqual(f["sum"][()], self.events["charge"].astype(np.int64).sum())
            self.assertEqual(f["min"].dtype, np.int32)

    def test_bad_fields_are_refused(self):
        f = self.path("events.h5")
        o = ["--output", self.path("o.h5")]
        self.refused(["run", "stats", "--input", f + ":/events#mass"] + o, "no field mass",
                     "energy, charge, flag, name")
        self.refused(["run", "stats", "--input", f + ":/events#name"] + o, "field name",
                     "string")
        self.refused(["run", "stats", "--input", f + ":/plain#energy"] + o, "'#'", "float64")
        self.refused(["run", "stats", "--input", f + ":/events"] + o, "compound", "#FIELD")


class FillValues(Base):
    """netCDF-4 _FillValue and missing_value, HDF5 fill values, --missing VALUE."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tas = cls.rng.normal(280, 10, size=(40, 6, 12)).astype(np.float32)
        cls.tas[::5, 1, 2] = -999.0
        cls.tas[3, 4, :] = -999.0
        nc = netCDF4.Dataset(os.path.join(cls.dir, "climate.nc"), "w")
        nc.createDimension("time", None)
        nc.createDimension("lat", 6)
        nc.createDimension("lon", 12)
        nc.createDimension("station", 30)
        v = nc.createVariable("tas", "f4", ("time", "lat", "lon"), zlib=True, fill_value=-999.0,
                              chunksizes=(7, 6, 12))
        v.set_auto_mask(False)
        v[:] = cls.tas
        s = nc.createVariable("station_temp", "f8", ("station",), fill_value=False)
        s.missing_value = np.float64(1e20)
        cls.station = cls.rng.normal(15, 3, size=30)
        cls.station[[2, 9]] = 1e20
        s.set_auto_mask(False)
        s[:] = cls.station
        nc.close()
        with h5py.File(os.path.join(cls.dir, "nofill.h5"), "w") as f:
            f.create_dataset("x", data=np.arange(10.0))
            f.create_dataset("i", data=np.array([1, -1, 3, -1, 5], np.int32), fillvalue=-1)

    def test_netcdf_fill_values_are_missing(self):
        out = self.path("tas.h5")
        self.ok(["run", "stats", "--input", self.path("climate.nc") + ":/tas", "--missing", "fill",
                 "--output", out], 3)
        self.assert_stats(out, numpy_stats(self.tas, missing=[-999.0]), rtol=1e-5)
        self.ok(["run", "stats", "--input", self.path("climate.nc") + ":/tas", "--missing", "fill",
                 "--all", "--output", out], 2)
        self.assert_stats(out, numpy_stats(self.tas.ravel(), missing=[-999.0]), rtol=1e-5)
        # Without --missing the fill values count as numbers, as before.
        self.ok(["run", "stats", "--input", self.path("climate.nc") + ":/tas", "--all",
                 "--output", out])
        self.assert_stats(out, numpy_stats(self.tas.ravel()), rtol=1e-5)

    def test_missing_value_attribute_and_explicit_values(self):
        out = self.path("st.h5")
        self.ok(["run", "stats", "--input", self.path("climate.nc") + ":/station_temp",
                 "--missing", "fill", "--output", out], 2)
        self.assert_stats(out, numpy_stats(self.station, missing=[1e20]))
        self.ok(["run", "stats", "--input", self.path("nofill.h5") + ":/i", "--missing", "fill",
                 "--output", out])
        with h5py.File(out) as f:
            self.assertEqual(f["missing_count"][()], 2)
            self.assertEqual(f["sum"][()], 9)
        self.ok(["run", "stats", "--input", self.path("nofill.h5") + ":/x", "--missing", "3",
                 "--output", out])
        self.assert_stats(out, numpy_stats(np.arange(10.0), missing=[3.0]))
        self.ok(["run", "histogram", "--input", self.path("nofill.h5") + ":/x", "--missing", "3",
                 "--bins", "10", "--range", "0:10", "--output", out])
        with h5py.File(out) as f:
            self.assertEqual(f["missing_count"][()], 1)
            self.assertEqual(f["counts"][3], 0)

    def test_fill_without_a_fill_value_is_refused(self):
        self.refused(["run", "stats", "--input", self.path("nofill.h5") + ":/x", "--missing",
                      "fill", "--output", self.path("o.h5")], "nofill.h5:/x", "no fill value")
        self.refused(["run", "stats", "--input", self.path("nofill.h5") + ":/i", "--missing",
                      "1.5", "--output", self.path("o.h5")], "--missing", "integer")


class VirtualAndExternal(Base):
    """A VDS over two files and a dataset in external storage."""

    def test_vds_reads_its_sources_and_a_missing_source_is_refused(self):
        a, b = self.rng.normal(size=(30, 4)), self.rng.normal(size=(20, 4))
        for name, data in (("src_a.h5", a), ("src_b.h5", b)):
            with h5py.File(self.path(name), "w") as f:
                f.create_dataset("x", data=data)
        layout = h5py.VirtualLayout(shape=(50, 4), dtype="f8")
        layout[:30] = h5py.VirtualSource("src_a.h5", "x", shape=(30, 4))
        layout[30:] = h5py.VirtualSource("src_b.h5", "x", shape=(20, 4))
        with h5py.File(self.path("vds.h5"), "w") as f:
            f.create_virtual_dataset("x", layout, fillvalue=np.nan)
        out, ckpt = self.path("v.h5"), self.path("v.ckpt.h5")
        args = ["run", "stats", "--input", self.path("vds.h5") + ":/x", "--output", out]
        self.ok(args + ["--checkpoint", ckpt], 2)
        self.assert_stats(out, numpy_stats(np.concatenate([a, b])))
        # A source's change is the input's change.
        time.sleep(0.01)
        with h5py.File(self.path("src_b.h5"), "a") as f:
            f["x"][0, 0] = 7.0
        self.refused(args + ["--checkpoint", ckpt], "src_b.h5")
        os.rename(self.path("src_b.h5"), self.path("gone.h5"))
        self.refused(args, "virtual dataset", "src_b.h5", "missing", ranks=2)

    def test_external_storage(self):
        x = np.arange(24, dtype=np.float64).reshape(8, 3)
        raw = self.path("ext.bin")
        x.tofile(raw)
        with h5py.File(self.path("ext.h5"), "w") as f:
            f.create_dataset("x", shape=x.shape, dtype="f8", external=[(raw, 0, x.nbytes)])
        out = self.path("e.h5")
        self.ok(["run", "stats", "--input", self.path("ext.h5") + ":/x", "--output", out], 2)
        self.assert_stats(out, numpy_stats(x))
        os.remove(raw)
        self.refused(["run", "stats", "--input", self.path("ext.h5") + ":/x", "--output", out],
                     "external file", "ext.bin")


class BadShapes(Base):
    def test_rank_over_8_and_zero_length_rows_are_refused(self):
        with h5py.File(self.path("shapes.h5"), "w") as f:
            f.create_dataset("nine", data=np.zeros((2,) * 9))
            f.create_dataset("hollow", shape=(5, 0, 3), dtype="f8")
            f.create_dataset("eight", data=np.ones((3, 2, 1, 1, 2, 1, 1, 2)))
        o = ["--output", self.path("o.h5")]
        self.refused(["run", "stats", "--input", self.path("shapes.h5") + ":/nine"] + o,
                     "shapes.h5:/nine", "9-D", "1 to 8")
        self.refused(["run", "stats", "--input", self.path("shapes.h5") + ":/hollow"] + o,
                     "shapes.h5:/hollow", "zero-length", "5x0x3")
        self.ok(["run", "stats", "--input", self.path("shapes.h5") + ":/eight"] + o, 2)
        with h5py.File(self.path("o.h5")) as f:
            self.assertEqual(f["count"].shape, (2, 1, 1, 2, 1, 1, 2))
            self.assertTrue((f["count"][()] == 3).all())


if __name__ == "__main__":
    unittest.main()

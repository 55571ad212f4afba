"""End-to-end tests of the timeline in /run and `shardrun report`
(docs/timeline.md): every shard once, lanes that never overlap, stolen flags
against the run record, sampling above the limit, the summary, the SVG and
HTML pictures, a checkpoint's report and bad input.

    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_report
"""
import os
import subprocess
import xml.etree.ElementTree as ET

import h5py
import numpy as np

import test_cli
from test_cli import run

SVG = "{http://www.w3.org/2000/svg}"


class Timeline(test_cli.Base):
    def synthetic(self, out, ranks, *extra):
        self.ok(["run", "synthetic", "--items", "30000", "--mean-us", "60", "--cost", "pareto:1.5",
                 "--output", self.path(out), "--quiet"] + list(extra), ranks)
        return self.path(out)

    def timeline(self, file):
        with h5py.File(file, "r") as f:
            t = f["run/timeline"]
            return ({k: t[k][()] for k in t}, dict(t.attrs),
                    {k: f["run"][k][()] for k in ("rank_stolen_shards", "rank_busy_s", "rank_shards")},
                    dict(f["run"].attrs))

    def test_every_shard_once_lanes_never_overlap_and_stolen_agrees(self):
        for ranks, threads, balance in ((1, 1, "steal"), (2, 2, "steal"), (3, 2, "steal"),
                                        (4, 1, "counter"), (3, 1, "static")):
            out = self.synthetic(f"t{ranks}{balance}.h5", ranks, "--threads", str(threads), "--balance",
                                 balance, "--shards", "3000")
            t, attrs, record, run_attrs = self.timeline(out)
            np.testing.assert_array_equal(t["shard"], np.arange(3000))
            self.assertEqual(attrs["stride"], 1)
            self.assertEqual(attrs["shards"], 3000)
            self.assertTrue((t["end_s"] >= t["start_s"]).all())
            self.assertTrue((t["start_s"] >= 0).all())
            self.assertTrue((t["thread"] < threads).all() and (t["rank"] < ranks).all())
            for r in range(ranks):
                np.testing.assert_equal(int((t["rank"] == r).sum()), record["rank_shards"][r])
                for q in range(threads):
                    lane = (t["rank"] == r) & (t["thread"] == q)
                    order = np.argsort(t["start_s"][lane])
                    starts, ends = t["start_s"][lane][order], t["end_s"][lane][order]
                    self.assertTrue((starts[1:] >= ends[:-1] - 1e-9).all(), f"rank {r} thread {q} overlaps")
                # A shard a rank stole and ran is flagged; one stolen again from it is not.
                flagged = int(t["stolen"][t["rank"] == r].sum())
                self.assertLessEqual(flagged, record["rank_stolen_shards"][r])
                if record["rank_stolen_shards"][r] == 0:
                    self.assertEqual(flagged, 0)
            if balance != "steal":
                self.assertEqual(int(t["stolen"].sum()), 0)
            # The busy bins hold every busy second of each rank.
            np.testing.assert_allclose(t["rank_busy_s"].sum(axis=1), record["rank_busy_s"], rtol=1e-9)
            self.assertLessEqual(attrs["bin_s"] * t["rank_busy_s"].shape[1], 2 * run_attrs["makespan_s"] + 0.002)

    def test_above_the_limit_a_uniform_sample(self):
        shards = 1_100_000
        out = self.path("many.h5")
        self.ok(["run", "synthetic", "--items", str(shards), "--mean-us", "0", "--shards", str(shards),
                 "--output", out, "--quiet"], 2)
        t, attrs, record, _ = self.timeline(out)
        self.assertEqual(attrs["limit"], 1_000_000)
        self.assertEqual(attrs["stride"], 2)
        self.assertEqual(attrs["shards"], shards)
        np.testing.assert_array_equal(t["shard"], np.arange(0, shards, 2))
        np.testing.assert_allclose(t["rank_busy_s"].sum(axis=1), record["rank_busy_s"], rtol=1e-9)


class Report(test_cli.Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.result = os.path.join(cls.dir, "r.h5")
        r = run(["run", "synthetic", "--items", "20000", "--mean-us", "80", "--cost", "pareto:1.5",
                 "--threads", "2", "--shards", "2000", "--output", cls.result, "--quiet"], 3)
        assert r.returncode == 0, r.stderr

    def test_summary_names_ranks_efficiency_and_slowest_shards(self):
        r = self.ok(["report", self.result])
        for words in ("job         synthetic", "3 rank(s) x 2 thread(s)", "efficiency", "steals",
                      "slowest     shard", "durations"):
            self.assertIn(words, r.stdout)
        table = [l.split() for l in r.stdout.splitlines() if l.strip() and l.split()[0].isdigit()]
        self.assertEqual([int(row[0]) for row in table], [0, 1, 2])
        with h5py.File(self.result, "r") as f:
            self.assertEqual([int(row[1]) for row in table], f["run/rank_shards"][()].tolist())

    def test_svg_has_a_lane_per_rank_and_thread_and_a_bar_per_shard(self):
        svg, html = self.path("r.svg"), self.path("r.html")
        self.ok(["report", self.result, "--svg", svg, "--html", html])
        root = ET.parse(svg).getroot()  # well-formed XML
        labels = [t.text for t in root.iter(SVG + "text")]
        for rank in range(3):
            for thread in range(2):
                self.assertIn(f"r{rank} t{thread}", labels)
        shards = [r for r in root.iter(SVG + "rect") if r.get("class") == "shard"]
        self.assertEqual(len(shards), 2000)
        self.assertTrue(any(r.get("fill") == "#e8871e" for r in shards) or
                        "steals      0" in self.ok(["report", self.result]).stdout)
        self.assertEqual(len([p for p in root.iter(SVG + "polyline") if p.get("class") == "utilization"]), 1)
        with open(html) as f:
            page = f.read()
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn("<svg", page)
        for external in ("src=", "href=", "http://", "https://"):
            self.assertNotIn(external, page.replace("http://www.w3.org/2000/svg", ""))

    def test_the_html_page_renders_in_headless_chromium(self):
        html, png = self.path("page.html"), self.path("page.png")
        self.ok(["report", self.result, "--html", html])
        r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--enable-logging=stderr", "--window-size=1140,900", f"--screenshot={png}",
                            "file://" + html], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(":CONSOLE(", r.stderr)  # the page logs nothing: no script, no missing asset
        import matplotlib.image
        pixels = matplotlib.image.imread(png)[:, :, :3]
        self.assertEqual(pixels.shape[:2], (900, 1140))
        # Not blank: the bars' blue covers a visible share of the page.
        blue = (np.abs(pixels - np.array([0x46, 0x82, 0xb4]) / 255).sum(axis=2) < 0.05).mean()
        self.assertGreater(blue, 0.01)

    def test_many_ranks_aggregate_lanes(self):
        out = self.path("wide.h5")
        self.ok(["run", "synthetic", "--items", "30000", "--mean-us", "0", "--shards", "30000",
                 "--threads", "1", "--output", out, "--quiet"], 1)
        svg = self.path("wide.svg")
        self.ok(["report", out, "--svg", svg])
        root = ET.parse(svg).getroot()
        # Over 20,000 shards: coverage per pixel column, not a bar per shard.
        self.assertEqual(len([r for r in root.iter(SVG + "rect") if r.get("class") == "shard"]), 0)
        self.assertGreater(len(list(root.iter(SVG + "rect"))), 3)

    def test_512_ranks_share_lanes(self):
        """A result of 512 ranks x 2 threads (written here as shardrun writes
        one): neither 1,024 lanes nor 512 fit in 256, so a lane holds 2 ranks."""
        out = self.path("r512.h5")
        ranks, threads, shards = 512, 2, 4096
        rng = np.random.default_rng(5)
        start = np.sort(rng.uniform(0, 10, shards))
        with h5py.File(out, "w") as f:
            run = f.create_group("run")
            for k, v in dict(job="synthetic", parameters="p", input="", balance="steal", run_id="x").items():
                run.attrs[k] = v
            for k, v in dict(ranks=ranks, threads=threads, nodes=8, shards=shards, items=shards).items():
                run.attrs[k] = np.uint64(v)
            for k, v in dict(wall_s=11.0, makespan_s=10.5, started_s=1.0, first_shard_s=1.2,
                             lower_bound_s=10.0, efficiency=0.95).items():
                run.attrs[k] = v
            for k in ("rank_shards", "rank_steals", "rank_stolen_shards"):
                run[k] = np.full(ranks, 8, dtype=np.uint64)
            for k in ("rank_busy_s", "rank_idle_s", "rank_speed"):
                run[k] = np.ones(ranks)
            t = run.create_group("timeline")
            for k, v in dict(stride=1, limit=1_000_000, shards=shards).items():
                t.attrs[k] = np.uint64(v)
            t.attrs["bin_s"] = 0.064
            t["shard"] = np.arange(shards, dtype=np.uint64)
            t["rank"] = (np.arange(shards) % ranks).astype(np.uint32)
            t["thread"] = (np.arange(shards) // ranks % threads).astype(np.uint16)
            t["stolen"] = (np.arange(shards) % 7 == 0).astype(np.uint8)
            t["start_s"] = start
            t["end_s"] = start + 0.4
            t["rank_busy_s"] = np.full((ranks, 256), 0.01)
        svg = self.path("r512.svg")
        r = self.ok(["report", out, "--svg", svg])
        self.assertIn("512 rank(s) x 2 thread(s)", r.stdout)
        root = ET.parse(svg).getroot()
        labels = [t.text for t in root.iter(SVG + "text")]
        self.assertIn("Shards over time, a lane per 2 ranks", labels)
        self.assertIn("r0-1", labels)
        self.assertNotIn("r0 t1", labels)
        lanes = {float(x.get("y")) for x in root.iter(SVG + "rect") if x.get("fill-opacity")}
        self.assertEqual(len(lanes), 256)  # every lane has busy columns

    def test_a_farm_shows_its_attempts_and_failures(self):
        tasks = self.path("tasks.txt")
        with open(tasks, "w") as f:
            f.write("true\nfalse\nsleep 0.2\nexit 3\ntrue\n")
        out, svg = self.path("farm.h5"), self.path("farm.svg")
        r = run(["run", "exec", "--tasks", tasks, "--retries", "1", "--output", out, "--quiet"], 2)
        self.assertEqual(r.returncode, 3, r.stderr)  # tasks failed after retries
        with h5py.File(out, "r") as f:  # the timeline names each shard's task and its attempts
            np.testing.assert_array_equal(f["run/timeline/task"][()], [1, 2, 3, 4, 5])
            np.testing.assert_array_equal(f["run/timeline/attempts"][()], [1, 2, 1, 2, 1])
        r = self.ok(["report", out, "--svg", svg])
        self.assertIn("failed      4 attempt(s)", r.stdout)  # tasks 2 and 4, twice each
        root = ET.parse(svg).getroot()
        failed = [x for x in root.iter(SVG + "rect") if x.get("fill") == "#c0392b" and x.get("class") == "shard"]
        self.assertEqual(len(failed), 4)
        titles = [x.find(SVG + "title").text for x in failed]
        self.assertTrue(any(t.startswith("task 2 attempt 2 (failed)") for t in titles), titles)

    def test_a_checkpoint_reports_its_durations(self):
        out, ckpt = self.path("c.h5"), self.path("c.ckpt.h5")
        self.ok(["run", "synthetic", "--items", "2000", "--mean-us", "10", "--output", out, "--checkpoint",
                 ckpt, "--quiet"], 2)
        r = self.ok(["report", ckpt])
        self.assertIn("(checkpoint)", r.stdout)
        self.assertIn("done", r.stdout)
        self.assertIn("durations", r.stdout)

    def test_not_a_result_nor_a_checkpoint_exits_2(self):
        other = self.path("other.h5")
        with h5py.File(other, "w") as f:
            f["x"] = [1, 2, 3]
        text = self.path("t.txt")
        with open(text, "w") as f:
            f.write("hello\n")
        for path, words in ((other, "neither"), (text, "neither"), (self.path("none.h5"), "no such file")):
            r = run(["report", path])
            self.assertEqual(r.returncode, 2, r.stderr)
            lines = [l for l in r.stderr.splitlines() if l.startswith("shardrun")]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(words, lines[0])

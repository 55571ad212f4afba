"""End-to-end tests of the task farm as a resource pool: JSON-lines task
lists, packing tasks of several sizes into each rank's --pool, priorities,
GPU assignment, stages kept apart across ranks, per-task fields, and bad
input.

Run from CTest or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_pool
"""
import json
import os
import random
import signal
import subprocess
import unittest

import h5py

from test_checkpoint import ENV, SHARDRUN, wait_until
from test_exec import FarmBase

RNG = random.Random(int(os.environ.get("SHARDRUN_TEST_SEED", "4242")))
EPS = 1e-3  # start and duration are measured apart: allow a millisecond


class PoolBase(FarmBase):
    def write_tasks(self, tasks, name="t.jsonl"):
        return self.write(name, [json.dumps(t) for t in tasks])

    def pooled(self, file):
        rows, attrs = self.records(file)
        for r in rows:
            for k in ("cores", "devices", "name"):
                r[k] = r[k].decode() if isinstance(r[k], bytes) else r[k]
            r["task"] = int(r["task"])
            r["rank"] = int(r["rank"])
        return rows, attrs

    def check_never_over(self, rows, cpus=None, gpus=None):
        """At no instant do a rank's running tasks hold more than its pool,
        or share a pool cpu or GPU."""
        for rank in {r["rank"] for r in rows}:
            mine = [r for r in rows if r["rank"] == rank]
            for a in mine:
                t = a["start"] + EPS  # just after a starts: who else runs then
                running = [b for b in mine if b["start"] <= t < b["start"] + b["duration"] - EPS]
                if cpus is not None:
                    self.assertLessEqual(sum(int(b["cpus"]) for b in running), cpus,
                                         f"rank {rank} over its pool at {t}: {running}")
                cores = [c for b in running for c in b["cores"].split(",") if c]
                self.assertEqual(len(cores), len(set(cores)), f"a pool cpu shared: {running}")
                devices = [d for b in running for d in b["devices"].split(",") if d]
                self.assertEqual(len(devices), len(set(devices)), f"a GPU shared: {running}")
                if gpus is not None:
                    self.assertLessEqual(len(devices), gpus)


class Packing(PoolBase):
    def test_tasks_of_1_2_and_4_cpus_never_overfill_a_pool_at_1_to_4_ranks(self):
        sizes = [1, 2, 4] * 10
        RNG.shuffle(sizes)
        tasks = [{"cmd": f"sleep 0.{RNG.randint(3, 12):02d}", "cpus": n, "name": f"t{i}"}
                 for i, n in enumerate(sizes)]
        self.write_tasks(tasks)
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                self.farm(ranks, ["--tasks", "t.jsonl", "--pool", "cpus=8", "--output", "f.h5",
                                  "--joblog", "f.log"])
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual(attrs["succeeded"], len(tasks))
                self.assertEqual(sorted(r["task"] for r in rows), list(range(1, len(tasks) + 1)))
                for r in rows:  # the record carries what the task asked for and got
                    want = tasks[r["task"] - 1]
                    self.assertEqual(int(r["cpus"]), want["cpus"])
                    self.assertEqual(r["name"], want["name"])
                    self.assertEqual(len(r["cores"].split(",")), want["cpus"])
                    self.assertTrue(all(0 <= int(c) < 8 for c in r["cores"].split(",")))
                self.check_never_over(rows, cpus=8)
                # Packed: more than one task at once somewhere (8 cpus, tasks of <= 4).
                self.assertTrue(any(
                    sum(1 for b in rows if b["rank"] == a["rank"]
                        and b["start"] <= a["start"] + EPS < b["start"] + b["duration"]) > 1
                    for a in rows))
                with open(self.path("f.log")) as f:
                    header = f.readline().rstrip("\n").split("\t")
                self.assertEqual(header[-7:], ["Name", "Cpus", "Mem", "Gpus", "Cores", "Devices",
                                               "Command"])

    def test_starts_follow_priority_then_list_order(self):
        # Each task fills the pool, so they run one at a time: in priority
        # order, ties in the order listed. The first holds the pool while
        # the others queue up.
        prios = [3, 9, 1, 9, 5, 0, 7]
        tasks = [{"cmd": "sleep 0.4", "cpus": 2, "priority": 100}]
        tasks += [{"cmd": "sleep 0.05", "cpus": 2, "priority": p} for p in prios]
        self.write_tasks(tasks)
        self.farm(1, ["--tasks", "t.jsonl", "--pool", "cpus=2", "--output", "f.h5"])
        rows, _ = self.pooled(self.path("f.h5"))
        order = [r["task"] for r in sorted(rows, key=lambda r: r["start"])]
        expected = [1] + [2 + i for i in sorted(range(len(prios)), key=lambda i: (-prios[i], i))]
        self.assertEqual(order, expected)

    def test_a_large_task_is_not_starved_by_small_ones(self):
        # A 4-cpu task of high priority behind a stream of 1-cpu tasks:
        # it holds what frees until it fits, and starts long before the end.
        tasks = [{"cmd": "sleep 0.3", "cpus": 1, "priority": 10} for _ in range(3)]
        tasks += [{"cmd": "sleep 0.2", "cpus": 4, "priority": 5, "name": "big"}]
        tasks += [{"cmd": "sleep 0.3", "cpus": 1, "priority": 0} for _ in range(12)]
        self.write_tasks(tasks)
        self.farm(1, ["--tasks", "t.jsonl", "--pool", "cpus=4", "--output", "f.h5"])
        rows, _ = self.pooled(self.path("f.h5"))
        big = next(r for r in rows if r["name"] == "big")
        small_after = [r for r in rows if r["task"] > 4]
        # Every low-priority task started after the big one.
        self.assertTrue(all(r["start"] >= big["start"] - EPS for r in small_after),
                        [(r["task"], r["start"] - big["start"]) for r in small_after])
        self.check_never_over(rows, cpus=4)

    def test_plain_task_lists_take_one_cpu_each(self):
        self.write("t.txt", [f"sleep 0.1; echo {i}" for i in range(12)])
        self.farm(2, ["--tasks", "t.txt", "--pool", "cpus=3", "--output", "f.h5"])
        rows, attrs = self.pooled(self.path("f.h5"))
        self.assertEqual(attrs["succeeded"], 12)
        self.assertTrue(all(int(r["cpus"]) == 1 and r["name"] == "" for r in rows))
        self.check_never_over(rows, cpus=3)


class Environment(PoolBase):
    def test_gpus_cores_and_threads_reach_each_task(self):
        tasks = []
        for i in range(12):
            tasks.append({"cmd": "echo \"[$CUDA_VISIBLE_DEVICES] $OMP_NUM_THREADS $EXTRA\"; "
                                 "sleep 0.2", "gpus": i % 3, "cpus": 1 + i % 2,
                          "env": {"EXTRA": f"x{i}"}})
        self.write_tasks(tasks)
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                self.farm(ranks, ["--tasks", "t.jsonl", "--pool", "cpus=4,gpus=0:2:3",
                                  "--output", "f.h5", "--logdir", "logs"])
                rows, _ = self.pooled(self.path("f.h5"))
                self.check_never_over(rows, cpus=4, gpus=3)
                for r in rows:
                    want = tasks[r["task"] - 1]
                    with open(self.path(f"logs/{r['task']}.out")) as f:
                        seen = f.read().split()
                    devices = seen[0].strip("[]")
                    self.assertEqual(devices, r["devices"])
                    got = [d for d in devices.split(",") if d]
                    self.assertEqual(len(got), want["gpus"])
                    self.assertTrue(set(got) <= {"0", "2", "3"}, got)
                    self.assertEqual(seen[1], str(want["cpus"]))
                    self.assertEqual(seen[2], want["env"]["EXTRA"])

    def test_affinity_is_within_the_ranks_cores(self):
        self.write_tasks([{"cmd": "grep Cpus_allowed_list /proc/self/status", "cpus": 1}
                          for _ in range(4)])
        self.farm(1, ["--tasks", "t.jsonl", "--pool", "cpus=2", "--output", "f.h5",
                      "--logdir", "logs"])
        allowed = set()
        with open("/proc/self/status") as f:
            mine = next(line for line in f if line.startswith("Cpus_allowed_list")).split()[1]
        for t in range(1, 5):
            with open(self.path(f"logs/{t}.out")) as f:
                cores = f.read().split()[1]
            # One cpu a task: one core, and one this process may use too.
            self.assertNotIn(",", cores)
            self.assertNotIn("-", cores)
            allowed.add(cores)
        self.assertTrue(allowed)
        self.assertTrue(all(self.within(c, mine) for c in allowed), (allowed, mine))

    @staticmethod
    def within(core, ranges):
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            if int(lo) <= int(core) <= int(hi or lo):
                return True
        return False

    def test_cwd_timeout_and_retries_per_task(self):
        os.mkdir(self.path("elsewhere"))
        self.write_tasks([
            {"cmd": "pwd > where", "cwd": self.path("elsewhere")},
            {"cmd": "sleep 30", "timeout": 0.5},
            {"cmd": "exit 4", "retries": 2},
        ])
        self.farm(2, ["--tasks", "t.jsonl", "--output", "f.h5", "--kill-after", "0.5"], expect=3)
        with open(self.path("elsewhere/where")) as f:
            self.assertEqual(os.path.realpath(f.read().strip()), os.path.realpath(self.path("elsewhere")))
        rows, _ = self.pooled(self.path("f.h5"))
        timed = [r for r in rows if r["task"] == 2]
        self.assertEqual(len(timed), 1)
        self.assertTrue(timed[0]["timed_out"])
        self.assertLess(timed[0]["duration"], 5)
        self.assertEqual([int(r["attempt"]) for r in rows if r["task"] == 3], [1, 2, 3])


class Stages(PoolBase):
    def test_no_task_of_a_stage_starts_before_the_stage_before_ends(self):
        tasks = []
        for stage, count in ((0, 9), (1, 5), (4, 6)):  # a gap between 1 and 4 is fine
            for _ in range(count):
                tasks.append({"cmd": f"sleep 0.{RNG.randint(5, 30):02d}", "stage": stage,
                              "priority": RNG.randint(0, 3), "cpus": RNG.choice([1, 2])})
        # Flaky tasks: their retries (on another rank) belong to their stage.
        for stage in (0, 1):
            tasks.append({"cmd": 'sleep 0.1; [ "$SHARDRUN_ATTEMPT" -ge 2 ]', "stage": stage,
                          "retries": 1})
        RNG.shuffle(tasks)
        self.write_tasks(tasks)
        for ranks, balance in ((1, "steal"), (2, "steal"), (3, "steal"), (4, "steal"),
                               (3, "counter"), (3, "static")):
            with self.subTest(ranks=ranks, balance=balance):
                self.farm(ranks, ["--tasks", "t.jsonl", "--pool", "cpus=2", "--balance", balance,
                                  "--output", "f.h5"])
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual(attrs["succeeded"], len(tasks))
                stage_of = {i + 1: t["stage"] for i, t in enumerate(tasks)}
                ends, starts = {}, {}
                for r in rows:
                    s = stage_of[r["task"]]
                    ends[s] = max(ends.get(s, 0), r["start"] + r["duration"])
                    starts[s] = min(starts.get(s, float("inf")), r["start"])
                self.assertGreaterEqual(starts[1], ends[0] - EPS)
                self.assertGreaterEqual(starts[4], ends[1] - EPS)
                self.check_never_over(rows, cpus=2)

    def test_a_stopped_staged_farm_resumes_and_ends_each_task_once(self):
        tasks = [{"cmd": f"sleep {0.2 if i < 6 else 1.5}; echo $$ >> runs/{i + 1}",
                  "stage": i // 6, "priority": i % 3} for i in range(18)]
        os.mkdir(self.path("runs"))
        self.write_tasks(tasks)
        args = ["--tasks", "t.jsonl", "--pool", "cpus=2", "--output", "f.h5",
                "--checkpoint", "c.h5"]
        proc = self.start(3, args)
        # Stop during stage 1 (after stage 0's six tasks).
        self.assertTrue(wait_until(lambda: len(os.listdir(self.path("runs"))) >= 6, 60))
        self.sigterm_ranks(proc)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        self.farm(2, args)
        rows, attrs = self.pooled(self.path("f.h5"))
        self.assertEqual(attrs["succeeded"], 18)
        ok = [r["task"] for r in rows if r["exit_code"] == 0 and r["signal"] == 0]
        self.assertEqual(sorted(ok), list(range(1, 19)))  # each once, numbered as listed
        for r in rows:
            self.assertIn(f"runs/{r['task']}", r["command"])
        for task in range(1, 19):  # nothing that had ended ran again
            with open(self.path(f"runs/{task}")) as f:
                self.assertEqual(len(f.read().split()), 1, f"task {task}")


class Crashes(PoolBase):
    def test_the_crash_limit_holds_across_resumes(self):
        # Task 1 kills itself (a crash) every time; task 2 times out (not a
        # crash); task 3 succeeds.
        self.write_tasks([{"cmd": "kill -9 $$"}, {"cmd": "sleep 30", "timeout": 0.3},
                          {"cmd": "true"}])
        args = ["--tasks", "t.jsonl", "--output", "f.h5", "--checkpoint", "c.h5",
                "--retries", "5", "--crash-limit", "2", "--kill-after", "0.2"]
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                for f in ("f.h5", "c.h5"):
                    if os.path.exists(self.path(f)):
                        os.unlink(self.path(f))
                self.farm(ranks, args, expect=3)
                rows, _ = self.pooled(self.path("f.h5"))
                attempts = {t: [r for r in rows if r["task"] == t] for t in (1, 2, 3)}
                self.assertEqual(len(attempts[1]), 2)  # stopped at the limit, not after 6
                self.assertTrue(all(r["signal"] == signal.SIGKILL for r in attempts[1]))
                self.assertEqual(len(attempts[2]), 6)  # timeouts are not crashes
                # Resumed with --retry-failed: task 1 stays failed, never runs again;
                # task 2 runs again.
                self.farm(ranks, args + ["--retry-failed"], expect=3)
                rows, _ = self.pooled(self.path("f.h5"))
                self.assertEqual(len([r for r in rows if r["task"] == 1]), 2)
                self.assertGreater(len([r for r in rows if r["task"] == 2]), 6)


class BadNodes(PoolBase):
    def test_a_retry_runs_on_another_rank(self):
        # Every task fails its first attempt and succeeds its second.
        self.write("t.txt", ['sleep 0.05; [ "$SHARDRUN_ATTEMPT" -ge 2 ]'] * 8)
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                self.farm(ranks, ["--tasks", "t.txt", "--output", "f.h5", "--retries", "2",
                                  "--quarantine-after", "0"])
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual(attrs["succeeded"], 8)
                by_task = {}
                for r in rows:
                    by_task.setdefault(r["task"], {})[int(r["attempt"])] = r
                for task, attempts in by_task.items():
                    self.assertEqual(sorted(attempts), [1, 2], f"task {task}")
                    self.assertNotEqual(int(attempts[1]["exit_code"]), 0)
                    self.assertEqual(int(attempts[2]["exit_code"]), 0)
                    if ranks > 1:
                        self.assertNotEqual(attempts[1]["rank"], attempts[2]["rank"],
                                            f"task {task} retried on the rank it failed on")

    def test_a_rank_whose_tasks_all_fail_is_quarantined_and_the_others_finish(self):
        # An injected fault: every task fails on rank 1, whatever it is.
        self.write("t.txt", [f'sleep 0.05; [ "$SHARDRUN_RANK" != 1 ] && echo {i}'
                             for i in range(40)])
        for ranks in (2, 3, 4):
            with self.subTest(ranks=ranks):
                r = self.farm(ranks, ["--tasks", "t.txt", "--output", "f.h5", "--retries", "1",
                                      "--quarantine-after", "3"])
                self.assertIn("rank 1", r.stderr)
                self.assertIn("quarantined", r.stderr)
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual(attrs["succeeded"], 40)  # the others ran them all
                on_1 = [r for r in rows if r["rank"] == 1]
                # It stopped after 3 failures (and those its other thread had begun).
                self.assertGreaterEqual(len(on_1), 3)
                self.assertLessEqual(len(on_1), 4)
                self.assertTrue(all(int(r["exit_code"]) != 0 for r in on_1))
                with h5py.File(self.path("f.h5"), "r") as f:
                    flags = list(f["run/rank_quarantined"][()])
                self.assertEqual(flags, [1 if k == 1 else 0 for k in range(ranks)])
                shown = subprocess.run([SHARDRUN, "inspect", "f.h5"], capture_output=True,
                                       text=True, cwd=self.dir, env=ENV)
                self.assertEqual(shown.returncode, 0, shown.stderr)
                self.assertIn("quarantined ranks 1 ", shown.stdout)

    def test_flaky_tasks_everywhere_quarantine_nobody_for_good_and_retry_elsewhere(self):
        # Every task fails its first attempt, on any rank: with the default
        # quarantine, ranks that fail 3 first attempts look broken, until the
        # pass shows that the others fail too.
        self.write("t.txt", [f'echo {i}; [ "$SHARDRUN_ATTEMPT" -ge 2 ]' for i in range(8)])
        for ranks in (2, 3, 4):
            with self.subTest(ranks=ranks):
                self.farm(ranks, ["--tasks", "t.txt", "--output", "f.h5", "--retries", "1"])
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual(attrs["succeeded"], 8)
                first = {r["task"]: r["rank"] for r in rows if int(r["attempt"]) == 1}
                second = {r["task"]: r["rank"] for r in rows if int(r["attempt"]) == 2}
                self.assertEqual(sorted(second), list(range(1, 9)))
                for task, rank in second.items():
                    self.assertNotEqual(rank, first[task], f"task {task}")
                with h5py.File(self.path("f.h5"), "r") as f:
                    self.assertEqual(sum(f["run/rank_quarantined"][()]), 0)

    def test_when_every_rank_fails_the_quarantine_lifts_and_every_task_runs(self):
        self.write("t.txt", [f"exit {1 + i % 5}" for i in range(30)])
        r = self.farm(3, ["--tasks", "t.txt", "--output", "f.h5"], expect=3)
        rows, attrs = self.pooled(self.path("f.h5"))
        self.assertEqual(attrs["failed"], 30)
        self.assertEqual(sorted(r["task"] for r in rows), list(range(1, 31)))
        self.assertIn("quarantine is off", r.stderr)

    def test_retries_a_stop_cut_short_run_on_resume(self):
        # Task 1 fails at once; its retry waits for the end of the pass,
        # which the stop comes before. The resume runs the retry, not the
        # first attempt again.
        os.mkdir(self.path("runs"))
        self.write("t.txt", ['echo $$ >> runs/1; [ "$SHARDRUN_ATTEMPT" -ge 2 ]']
                   + [f"sleep 2; echo $$ >> runs/{i}" for i in range(2, 6)])
        args = ["--tasks", "t.txt", "--output", "f.h5", "--checkpoint", "c.h5", "--retries", "3"]
        proc = self.start(2, args)
        self.assertTrue(wait_until(lambda: os.path.exists(self.path("runs/1")), 60))
        self.sigterm_ranks(proc)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        self.farm(2, args)
        rows, attrs = self.pooled(self.path("f.h5"))
        self.assertEqual(attrs["succeeded"], 5)
        first = sorted((int(r["attempt"]), int(r["exit_code"])) for r in rows if r["task"] == 1)
        self.assertEqual([a for a, _ in first], [1, 2])
        self.assertEqual(first[-1][1], 0)


class Appended(PoolBase):
    """A resume with tasks appended to the list runs the new ones, and
    nothing that had ended runs again."""

    def runs(self, task):
        path = self.path(f"runs/{task}")
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            return len(f.read().split())

    def test_a_finished_farm_resumed_with_appended_tasks_runs_only_those(self):
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                self.tearDown()
                self.setUp()
                os.mkdir(self.path("runs"))
                old = [{"cmd": f"echo $$ >> runs/{i + 1}", "priority": i % 3, "stage": i // 4}
                       for i in range(8)]
                self.write_tasks(old)
                args = ["--tasks", "t.jsonl", "--output", "f.h5", "--checkpoint", "c.h5"]
                self.farm(ranks, args)
                # New tasks of a higher priority and an earlier stage than some
                # old ones: the plan's order changes, the old tasks' numbers do not.
                new = [{"cmd": f"echo $$ >> runs/{i + 1}", "priority": 9, "stage": i % 2}
                       for i in range(8, 13)]
                self.write_tasks(old + new)
                r = self.farm(ranks, args)
                rows, attrs = self.pooled(self.path("f.h5"))
                self.assertEqual((attrs["tasks"], attrs["succeeded"]), (13, 13))
                self.assertEqual(sorted(r["task"] for r in rows), list(range(1, 14)))
                for task in range(1, 14):
                    self.assertEqual(self.runs(task), 1, f"task {task}")
                    row = next(r for r in rows if r["task"] == task)
                    self.assertIn(f"runs/{task}", row["command"])

    def test_a_stopped_farm_resumed_with_appended_tasks_runs_the_rest_and_the_new(self):
        os.mkdir(self.path("runs"))
        self.write("t.txt", [f"sleep {0.1 if i < 3 else 2}; echo $$ >> runs/{i + 1}"
                             for i in range(6)])
        args = ["--tasks", "t.txt", "--output", "f.h5", "--checkpoint", "c.h5"]
        proc = self.start(2, args)
        self.assertTrue(wait_until(lambda: len(os.listdir(self.path("runs"))) >= 3, 60))
        self.sigterm_ranks(proc)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        with open(self.path("t.txt")) as f:
            lines = f.read().splitlines()
        self.write("t.txt", lines + [f"echo $$ >> runs/{i}" for i in (7, 8)])
        r = self.farm(3, args)
        self.assertIn("grew from 6 to 8 tasks", r.stdout)
        rows, attrs = self.pooled(self.path("f.h5"))
        self.assertEqual(attrs["succeeded"], 8)
        for task in range(1, 9):
            self.assertEqual(self.runs(task), 1, f"task {task}")

    def test_any_other_change_is_refused_naming_what_differs(self):
        self.write("t.txt", ["true", "true", "true"])
        args = ["--tasks", "t.txt", "--output", "f.h5", "--checkpoint", "c.h5"]
        self.farm(1, args)
        for changed in (["true", "false", "true", "true"],  # one changed, one appended
                        ["true", "true"],                   # one removed
                        ["echo", "true", "true", "true"]):  # one inserted before
            with self.subTest(changed=changed):
                self.write("t.txt", changed)
                r = self.farm(1, args, expect=2)
                self.assertIn("belongs to another job", r.stderr)
                self.assertIn("parameters", r.stderr)


class BadInput(PoolBase):
    def refused(self, tasks_text, extra=(), ranks=1):
        with open(self.path("t.jsonl"), "w") as f:
            f.write(tasks_text)
        r = self.farm(ranks, ["--tasks", "t.jsonl", "--output", "f.h5"] + list(extra), expect=2)
        self.assertFalse(os.path.exists(self.path("f.h5")))
        return r.stderr

    def test_each_bad_line_is_refused_naming_file_and_line(self):
        ok = '{"cmd": "true"}\n'
        cases = [
            (ok + '{"cmd": "true"\n', "t.jsonl:2: not JSON"),
            (ok + ok + '{"cmd": "true", "cpu": 2}\n', 't.jsonl:3: "cpu" is not a task field'),
            ('{"cmd": "true", "cpus": -1}\n', 't.jsonl:1: "cpus" must not be negative'),
            ('{"cmd": "true", "cpus": "two"}\n', '"cpus" must be a number'),
            ('{"cmd": "true", "mem": "8Q"}\n', "'8Q' has an unknown unit"),
            ('{"cmd": "true", "stage": 1.5}\n', '"stage" must be a whole number'),
            ('{"name": "x"}\n', 't.jsonl:1: the task has no "cmd"'),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                self.assertIn(message, self.refused(text, ranks=2))

    def test_a_task_larger_than_every_pool_is_refused_before_any_runs(self):
        # (a blank line: the task's line is 3, its number 2)
        stderr = self.refused('{"cmd": "touch ran"}\n\n'
                              '{"cmd": "true", "cpus": 16, "name": "huge"}\n',
                              ["--pool", "cpus=8"], ranks=2)
        self.assertIn("t.jsonl:3: task 2 (huge) asks for 16 cpus, more than any rank's pool has",
                      stderr)
        self.assertFalse(os.path.exists(self.path("ran")))
        stderr = self.refused('{"cmd": "true", "gpus": 1}\n', ["--pool", "cpus=2"])
        self.assertIn("asks for 1 GPUs", stderr)
        stderr = self.refused('{"cmd": "true", "mem": "2G"}\n', ["--mem", "1G"])
        self.assertIn("of memory", stderr)

    def test_bad_pool_options(self):
        ok = '{"cmd": "true"}\n'
        for extra, message in ((["--pool", "cpus=0"], "--pool: cpus=0"),
                               (["--pool", "disks=2"], "--pool: 'disks' is not a pool resource"),
                               (["--pool", "cpus"], "--pool: 'cpus' is not NAME=VALUE"),
                               (["--pool", "mem=lots"], "--pool mem: 'lots'"),
                               (["--gpus", "0:0"], "--gpus: '0:0' names a device twice"),
                               (["--mem", "4X"], "--mem: '4X' has an unknown unit"),
                               (["--mem-per-task", "1Z"], "--mem-per-task: '1Z'")):
            with self.subTest(extra=extra):
                self.assertIn(message, self.refused(ok, extra, ranks=2))


if __name__ == "__main__":
    unittest.main()

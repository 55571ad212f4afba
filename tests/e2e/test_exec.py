"""End-to-end tests of the task farm (`shardrun run exec`): how attempts end
and are recorded, timeouts that take whole process trees down, retries,
--halt-on-error, replacement strings, the joblog against /tasks, awkward
commands, bad input, and kill -9 / SIGTERM with resume.

Run from CTest or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_exec
"""
import csv
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

from test_checkpoint import (ENV, SHARDRUN, alive, kill_job, mpirun, session_processes, wait_for_ranks,
                             wait_until)

RNG = random.Random(int(os.environ.get("SHARDRUN_TEST_SEED", "4242")))


class FarmBase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shardrun-exec-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, lines):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        return self.path(name)

    def farm(self, ranks, args, expect=0, timeout=120):
        r = subprocess.run(mpirun(ranks, ["run", "exec", "-q"] + args), capture_output=True,
                           text=True, env=ENV, timeout=timeout, cwd=self.dir)
        self.assertEqual(r.returncode, expect, f"{args}\n{r.stdout}\n{r.stderr}")
        return r

    def start(self, ranks, args):
        proc = subprocess.Popen(mpirun(ranks, ["run", "exec", "-q"] + args), cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=ENV, start_new_session=True)
        # A job a failed test leaves running must not linger into later tests.
        self.addCleanup(lambda: proc.poll() is None and kill_job(proc))
        return proc

    def records(self, file):
        """The /tasks records as a list of dicts, in file order."""
        with h5py.File(file, "r") as f:
            g = f["tasks"]
            columns = {name: g[name][()] for name in g}
            attrs = dict(g.attrs)
        rows = []
        for i in range(len(columns["task"])):
            row = {k: v[i] for k, v in columns.items()}
            for k in ("host", "command"):
                row[k] = row[k].decode() if isinstance(row[k], bytes) else row[k]
            rows.append(row)
        return rows, attrs

    @staticmethod
    def sigterm_ranks(proc):
        """SIGTERM to every shardrun rank of proc's session (not mpirun, not tasks)."""
        for pid in session_processes(proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read().split(b"\0")[0].endswith(b"shardrun"):
                        os.kill(pid, signal.SIGTERM)
            except OSError:
                pass

    def last_attempts(self, rows):
        return {r["task"]: r for r in rows}  # rows are in (task, attempt) order


class Farm(FarmBase):
    def test_exit_codes_signals_and_a_missing_program_are_recorded(self):
        tasks = self.write("t.txt", ["# a comment", "", "true", "exit 3", "kill -9 $$",
                                     "no-such-program-xyz", "echo done"])
        r = self.farm(3, ["--tasks", tasks, "--output", "f.h5", "--logdir", "logs"], expect=3)
        self.assertIn("3 of 5 tasks failed", r.stderr)
        self.assertIn("task 2 (exit 3)", r.stderr)
        self.assertIn("task 3 (signal 9)", r.stderr)
        rows, attrs = self.records(self.path("f.h5"))
        last = self.last_attempts(rows)
        self.assertEqual(sorted(last), [1, 2, 3, 4, 5])
        self.assertEqual((last[1]["exit_code"], last[1]["signal"]), (0, 0))
        self.assertEqual((last[2]["exit_code"], last[2]["signal"]), (3, 0))
        self.assertEqual((last[3]["exit_code"], last[3]["signal"]), (-1, 9))
        self.assertEqual(last[4]["exit_code"], 127)
        self.assertEqual((last[5]["exit_code"], last[5]["command"]), (0, "echo done"))
        self.assertEqual((attrs["succeeded"], attrs["failed"], attrs["not_run"]), (2, 3, 0))
        with open(self.path("logs/4.err")) as f:
            self.assertIn("not found", f.read())
        with open(self.path("logs/5.out")) as f:
            self.assertEqual(f.read(), "done\n")

    def test_timeout_kills_the_whole_tree_even_when_term_is_ignored(self):
        tasks = self.write("t.txt", [
            # a child in the background, its pid saved, the shell waiting
            "sleep 60 & echo $! > child1; wait",
            # ignores SIGTERM, and so does its child: SIGKILL after --kill-after
            "trap '' TERM; sh -c 'trap \"\" TERM; sleep 60' & echo $! > child2; wait; wait",
            "true"])
        started = time.monotonic()
        self.farm(2, ["--tasks", tasks, "--output", "f.h5", "--timeout", "0.5",
                      "--kill-after", "0.5"], expect=3)
        self.assertLess(time.monotonic() - started, 20)
        last = self.last_attempts(self.records(self.path("f.h5"))[0])
        self.assertTrue(last[1]["timed_out"] and last[2]["timed_out"])
        self.assertEqual(last[1]["signal"], signal.SIGTERM)
        self.assertEqual(last[2]["signal"], signal.SIGKILL)
        self.assertFalse(last[3]["timed_out"])
        for name in ("child1", "child2"):
            with open(self.path(name)) as f:
                pid = int(f.read())
            self.assertTrue(wait_until(lambda: not alive(pid), 5), f"{name} {pid} survived")

    def test_retries_make_a_flaky_task_succeed(self):
        tasks = self.write("t.txt", ['test "$SHARDRUN_ATTEMPT" -ge 2', "exit 1", "true"])
        r = self.farm(2, ["--tasks", tasks, "--output", "f.h5", "--retries", "2"], expect=3)
        self.assertIn("1 of 3 tasks failed after retries: task 2 (exit 1)", r.stderr)
        rows, attrs = self.records(self.path("f.h5"))
        by_task = {}
        for row in rows:
            by_task.setdefault(row["task"], []).append((row["attempt"], row["exit_code"]))
        self.assertEqual(by_task[1], [(1, 1), (2, 0)])
        self.assertEqual(by_task[2], [(1, 1), (2, 1), (3, 1)])
        self.assertEqual(by_task[3], [(1, 0)])
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (2, 1))

    def test_halt_on_error_stops_the_farm(self):
        tasks = self.write("t.txt", ["exit 4"] + ["sleep 0.05"] * 40)
        r = self.farm(1, ["--tasks", tasks, "--output", "f.h5", "--halt-on-error", "--slots", "1",
                          "--joblog", "j.log"], expect=3)
        self.assertIn("not run", r.stderr)
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual(attrs["failed"], 1)
        self.assertGreater(attrs["not_run"], 30)
        self.assertEqual(attrs["succeeded"] + attrs["failed"] + attrs["not_run"], 41)
        # On 2 ranks the other rank stops too.
        r = self.farm(2, ["--tasks", tasks, "--output", "h.h5", "--halt-on-error"], expect=3)
        self.assertGreater(self.records(self.path("h.h5"))[1]["not_run"], 20)
        # Without --halt-on-error the farm keeps going.
        self.farm(2, ["--tasks", tasks, "--output", "g.h5"], expect=3)
        self.assertEqual(self.records(self.path("g.h5"))[1]["succeeded"], 40)

    def test_replacement_strings_and_quoting(self):
        args = self.write("args.txt", ["dir/sub.d/file.tar.gz", "it's here.txt", "plain",
                                       "/abs/x", "$(touch pwned)"])
        self.farm(1, ["--command", "printf '%s|' {} {.} {/} {//} {/.} {#} {%}", "--args", args,
                      "--output", "f.h5", "--logdir", "logs", "--slots", "1"])

        def out(task):
            with open(self.path(f"logs/{task}.out")) as f:
                return f.read()
        self.assertEqual(out(1), "dir/sub.d/file.tar.gz|dir/sub.d/file.tar|file.tar.gz|dir/sub.d|"
                                 "file.tar|1|1|")
        self.assertEqual(out(2), "it's here.txt|it's here|it's here.txt|.|it's here|2|1|")
        self.assertEqual(out(3), "plain|plain|plain|.|plain|3|1|")
        self.assertEqual(out(4), "/abs/x|/abs/x|x|/abs|x|4|1|")
        self.assertEqual(out(5), "$(touch pwned)|$(touch pwned)|$(touch pwned)|.|$(touch pwned)|5|1|")
        self.assertFalse(os.path.exists(self.path("pwned")))
        # No replacement string: the argument is appended, quoted.
        self.farm(2, ["--command", "echo", "--args", args, "--output", "g.h5", "--logdir", "l2"])
        with open(self.path("l2/2.out")) as f:
            self.assertEqual(f.read(), "it's here.txt\n")

    def test_braces_inside_quotes_never_run_the_argument(self):
        """GNU parallel runs the $(...) of an argument that lands inside
        quotes in the template ('echo "{}"'); shardrun quotes for the context."""
        args = self.write("a.txt", ["$(touch pwned)", "it's \"q\" `touch pwned2` $HOME"])
        for n, template in enumerate(["printf %s \"{}\" > out{#}", "printf %s '{}' > out{#}"]):
            self.farm(2, ["--command", template, "--args", args, "--output", f"f{n}.h5"])
            self.assertFalse(os.path.exists(self.path("pwned")))
            self.assertFalse(os.path.exists(self.path("pwned2")))
            with open(self.path("out1")) as f1, open(self.path("out2")) as f2:
                self.assertEqual([f1.read(), f2.read()],
                                 ["$(touch pwned)", "it's \"q\" `touch pwned2` $HOME"])
        r = self.farm(1, ["--command", "wc -l $(basename {})", "--args", args,
                          "--output", "f.h5"], expect=2)
        self.assertIn("--command: {} inside $(...)", r.stderr)
        self.assertFalse(os.path.exists(self.path("f.h5")))

    def test_ranks_that_see_another_input_are_refused(self):
        """Each rank reads the task list itself: one that changed while the
        ranks started (or another file under the same path on another node)
        must not give ranks different plans."""
        for d, lines in (("d0", ["true"] * 3), ("d1", ["true"] * 4), ("d2", ["true", "true", "false"])):
            os.mkdir(self.path(d))
            self.write(f"{d}/t.txt", lines)
        for other, why in (("d1", "4 items in 4 shards"), ("d2", "digest=")):
            out = self.path("f.h5")
            r = subprocess.run(["mpirun", "--oversubscribe", "-n", "1", "--wdir", self.path("d0"),
                                SHARDRUN, "run", "exec", "-q", "--tasks", "t.txt", "--output", out,
                                ":", "-n", "1", "--wdir", self.path(other), SHARDRUN, "run", "exec",
                                "-q", "--tasks", "t.txt", "--output", out],
                               capture_output=True, text=True, env=ENV, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("rank 1 sees another input than rank 0", r.stderr)
            self.assertIn(why, r.stderr)
            self.assertFalse(os.path.exists(out))

    def test_joblog_equals_the_records(self):
        tasks = self.write("t.txt", [f"sleep 0.0{i % 5}; exit {i % 3}" for i in range(30)])
        self.farm(3, ["--tasks", tasks, "--output", "f.h5", "--joblog", "j.log", "--retries", "1"],
                  expect=3)
        rows, _ = self.records(self.path("f.h5"))
        with open(self.path("j.log"), newline="") as f:
            log = list(csv.DictReader(f, delimiter="\t"))
        self.assertEqual(list(log[0].keys()), ["Seq", "Host", "Starttime", "JobRuntime", "Send",
                                               "Receive", "Exitval", "Signal", "Command"])
        self.assertEqual(len(log), len(rows))
        self.assertEqual(len(rows), 30 + 20)  # tasks with exit 1 or 2 ran twice
        for entry, row in zip(log, rows):
            self.assertEqual(int(entry["Seq"]), row["task"])
            self.assertEqual(entry["Host"], row["host"])
            self.assertAlmostEqual(float(entry["Starttime"]), row["start"], delta=0.0006)
            self.assertAlmostEqual(float(entry["JobRuntime"]), row["duration"], delta=0.0006)
            self.assertEqual(int(entry["Exitval"]), row["exit_code"])
            self.assertEqual(int(entry["Signal"]), row["signal"])
            self.assertEqual(entry["Command"], row["command"])
        # inspect prints the same joblog from the result file.
        r = subprocess.run([SHARDRUN, "inspect", "--joblog", self.path("f.h5")],
                           capture_output=True, text=True, env=ENV)
        with open(self.path("j.log")) as f:
            self.assertEqual(r.stdout, f.read())

    def test_environment_workdir_and_no_launcher_variables(self):
        os.mkdir(self.path("work"))
        tasks = self.write("t.txt", ['echo "$SHARDRUN_TASK $SHARDRUN_RANK $SHARDRUN_SLOT '
                                     '$SHARDRUN_ATTEMPT $(pwd)"; env | grep -c "^OMPI_COMM_WORLD"'
                                     ' || true'] * 4)
        self.farm(2, ["--tasks", tasks, "--output", "f.h5", "--logdir", "logs",
                      "--workdir", self.path("work")])
        rows, _ = self.records(self.path("f.h5"))
        for row in rows:
            with open(self.path(f"logs/{row['task']}.out")) as f:
                lines = f.read().split("\n")
            self.assertEqual(lines[0], f"{row['task']} {row['rank']} {row['slot']} 1 "
                                       f"{self.path('work')}")
            self.assertEqual(lines[1], "0")

    def test_awkward_commands(self):
        long_word = "x" * 100_000
        tasks = self.write("t.txt", [
            "echo 'single \"double\" $HOME' \"dollar \\$HOME\"",
            "echo ünïcødé ✓",
            f"echo {long_word} | wc -c",
            "head -c 20000000 /dev/zero",                 # megabytes of output
            "sleep 60 >/dev/null 2>&1 & echo $! > daemon",  # forks a daemon and exits
        ])
        started = time.monotonic()
        self.farm(2, ["--tasks", tasks, "--output", "f.h5", "--logdir", "logs"])
        self.assertLess(time.monotonic() - started, 30)  # not waiting for the daemon

        def out(task):
            with open(self.path(f"logs/{task}.out"), "rb") as f:
                return f.read()
        self.assertEqual(out(1), b'single "double" $HOME dollar $HOME\n')
        self.assertEqual(out(2).decode(), "ünïcødé ✓\n")
        self.assertEqual(out(3), b"100001\n")
        self.assertEqual(len(out(4)), 20_000_000)
        rows, _ = self.records(self.path("f.h5"))
        self.assertEqual(rows[1]["command"], "echo ünïcødé ✓")
        self.assertEqual(len(rows[2]["command"]), len(long_word) + len("echo  | wc -c"))
        with open(self.path("daemon")) as f:
            os.kill(int(f.read()), signal.SIGKILL)

    def test_bad_input_is_a_usage_error(self):
        self.write("empty.txt", ["# only a comment", "   "])
        with open(self.path("file"), "w"):
            pass
        for args, message in [
            (["--tasks", "missing.txt"], "--tasks: cannot open missing.txt"),
            (["--tasks", "empty.txt"], "--tasks: empty.txt has no entries"),
            (["--tasks", self.dir], "is a directory"),
            (["--command", "echo {}"], "--args"),
            ([], "give --tasks FILE, --command TEMPLATE with --args FILE, or --command TEMPLATE "
                 "with --over FILE.h5:/path or --over-range N"),
            (["--tasks", "empty.txt", "--logdir", "file/logs"], "--tasks"),
        ]:
            r = self.farm(2, args + ["--output", "f.h5"], expect=2)
            self.assertIn(message, r.stderr, args)
            self.assertEqual(r.stderr.count("shardrun: error"), 1 if "error" in r.stderr else 0)
        self.write("t.txt", ["true"])
        r = self.farm(1, ["--tasks", "t.txt", "--logdir", "file/logs", "--output", "f.h5"], expect=2)
        self.assertIn("--logdir", r.stderr)
        r = self.farm(1, ["--tasks", "t.txt", "--workdir", "nowhere", "--output", "f.h5"], expect=2)
        self.assertIn("--workdir: nowhere is not a directory", r.stderr)


class FarmResume(FarmBase):
    """kill -9 and SIGTERM: every task ends with exactly one success, and no
    task that had succeeded (as the checkpoint recorded) ever runs again."""

    def joblog_of(self, checkpoint):
        r = subprocess.run([SHARDRUN, "inspect", "--joblog", checkpoint], capture_output=True,
                           text=True, env=ENV)
        self.assertEqual(r.returncode, 0, r.stderr)
        return list(csv.DictReader(r.stdout.splitlines(), delimiter="\t"))

    def check_exactly_once(self, snapshots, tasks=120):
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"], attrs["not_run"]), (tasks, 0, 0))
        successes = {}
        for row in rows:
            if row["exit_code"] == 0 and row["signal"] == 0:
                successes.setdefault(row["task"], []).append(row)
        self.assertEqual(sorted(successes), list(range(1, tasks + 1)))
        for task, ok in successes.items():
            self.assertEqual(len(ok), 1, f"task {task} succeeded {len(ok)} times")
        # What a checkpoint recorded as succeeded never ran again: its success
        # predates the kill, and its runs file (one line per run) did not grow.
        for killed_at, succeeded in snapshots:
            for task, runs in succeeded.items():
                self.assertLess(successes[task][0]["start"], killed_at)
                self.assertEqual(self.runs(task), runs, f"task {task} ran again")

    def runs(self, task):
        with open(self.path(f"runs/{task}")) as f:
            return len(f.read().split())

    def snapshot(self, killed_at):
        """The tasks the checkpoint records as succeeded, with their runs so far."""
        log = self.joblog_of(self.path("c.h5"))
        done = {int(e["Seq"]) for e in log if e["Exitval"] == "0" and e["Signal"] == "0"}
        return killed_at, {task: self.runs(task) for task in done}

    def tasks_file(self, count=120):
        os.mkdir(self.path("runs"))
        return self.write("t.txt", [f"sleep 0.0{RNG.randint(1, 9)}; echo $$ >> runs/{i + 1}"
                                    for i in range(count)])

    def test_failed_tasks_run_again_only_with_retry_failed(self):
        os.mkdir(self.path("runs"))
        # Tasks 3 and 7 fail until the file "fixed" exists; 3 tasks per shard,
        # so their shards hold tasks that succeeded and must not run again.
        tasks = self.write("t.txt", [
            f"echo x >> runs/{i}; " + ("test -e fixed" if i in (3, 7) else "true")
            for i in range(1, 11)])
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5", "--shard-rows", "3"]
        r = self.farm(2, args, expect=3)
        self.assertIn("2 of 10 tasks failed: task 3 (exit 1), task 7 (exit 1)", r.stderr)
        status = subprocess.run([SHARDRUN, "inspect", "--status", self.path("c.h5")],
                                capture_output=True, text=True, env=ENV)
        self.assertEqual((status.returncode, status.stdout.strip()), (1, "failed"))
        shown = subprocess.run([SHARDRUN, "inspect", self.path("c.h5")], capture_output=True,
                               text=True, env=ENV).stdout
        self.assertIn("tasks       10: 8 succeeded, 2 failed, 0 not run", shown)
        self.assertIn("task 3: exit 1 after 1 attempt(s)", shown)
        self.write("fixed", [])
        self.farm(3, args, expect=3)  # without --retry-failed nothing runs again
        self.assertEqual([self.runs(i) for i in range(1, 11)], [1] * 10)
        self.farm(3, args + ["--retry-failed"])
        self.assertEqual([self.runs(i) for i in range(1, 11)], [1, 1, 2, 1, 1, 1, 2, 1, 1, 1])
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (10, 0))
        self.assertEqual([(r["task"], r["attempt"], r["exit_code"]) for r in rows
                          if r["task"] in (3, 7)], [(3, 1, 1), (3, 2, 0), (7, 1, 1), (7, 2, 0)])
        status = subprocess.run([SHARDRUN, "inspect", "--status", self.path("c.h5")],
                                capture_output=True, text=True, env=ENV)
        self.assertEqual(status.stdout.strip(), "done")

    def test_kill_9_torture_resumes_exactly_once(self):
        tasks = self.tasks_file(300)  # ~7.5 s of work on 2 ranks
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5",
                "--checkpoint-every", "0.1"]
        snapshots, kills = [], 0
        for i in range(40):
            ranks = [2, 3, 1, 4][i % 4]
            proc = self.start(ranks, args)
            wait_for_ranks(proc, ranks)
            time.sleep(RNG.uniform(0.4, 1.1))
            if proc.poll() is None and kills < 5:
                killed_at = kill_job(proc)
                if os.path.exists(self.path("c.h5")):
                    snapshots.append(self.snapshot(killed_at))
                kills += 1
                continue
            _, stderr = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, stderr)
            break
        self.assertGreaterEqual(kills, 5)
        self.assertTrue(any(s for _, s in snapshots), "no kill landed after a checkpoint")
        self.check_exactly_once(snapshots, tasks=300)

    def test_kill_9_reruns_only_the_tasks_in_flight(self):
        """A task's success is journaled before its slot takes another: after
        kill -9 of the whole job at most ranks x slots tasks run twice per kill,
        although the checkpoint (every second here) is up to a second old."""
        os.mkdir(self.path("runs"))
        count, ranks = 200, 2
        tasks = self.write("t.txt", [f"sleep 0.05; echo $$ >> runs/{i + 1}" for i in range(count)])
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5",
                "--checkpoint-every", "1", "--slots", "1"]
        kills = 0
        for _ in range(20):
            proc = self.start(ranks, args)
            wait_for_ranks(proc, ranks)
            time.sleep(RNG.uniform(1.1, 1.7))
            if proc.poll() is None and kills < 3:
                kill_job(proc)
                kills += 1
                continue
            _, stderr = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, stderr)
            break
        self.assertEqual(kills, 3)
        runs = [self.runs(task) for task in range(1, count + 1)]
        self.assertTrue(all(n >= 1 for n in runs))
        twice = sum(n - 1 for n in runs)
        self.assertLessEqual(twice, kills * ranks * 1, f"tasks that ran more than once: {twice}")
        _, attrs = self.records(self.path("f.h5"))
        self.assertEqual(attrs["succeeded"], count)
        self.assertEqual([f for f in os.listdir(self.dir) if ".journal." in f], [])

    def test_sigterm_stops_running_tasks_and_resumes(self):
        tasks = self.tasks_file()
        with open(tasks, "a") as f:  # two long tasks, in flight at the stop
            for name in ("long1", "long2"):
                f.write(f"echo $$ > {name}; test -e release || sleep 60; echo $$ >> runs/{name}\n")
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5", "--slots", "2"]
        proc = self.start(2, args)
        self.assertTrue(wait_until(lambda: all(os.path.exists(self.path(n))
                                               for n in ("long1", "long2")), 60))
        self.sigterm_ranks(proc)  # what Slurm does at a time limit
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        stopped = self.snapshot(time.time())
        for name in ("long1", "long2"):  # tasks in flight were ended with the stop
            with open(self.path(name)) as f:
                pid = int(f.read())
            self.assertTrue(wait_until(lambda: not alive(pid), 5), f"{name} survived the stop")
        self.assertTrue(stopped[1])
        self.assertNotIn(121, stopped[1])  # the long tasks were ended, not recorded
        self.assertNotIn(122, stopped[1])
        # A changed task list is refused (appended tasks alone are not:
        # test_pool.Appended); the same one resumes.
        with open(tasks) as f:
            lines = f.read().splitlines()
        self.write("t.txt", ["true # changed"] + lines[1:])
        r = subprocess.run(mpirun(3, ["run", "exec", "-q"] + args), capture_output=True,
                           text=True, env=ENV, timeout=120, cwd=self.dir)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--restart", r.stderr)
        self.write("t.txt", lines)
        self.write("release", [])
        self.farm(3, args)
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (122, 0))
        self.check_exactly_once([stopped], tasks=122)
        for name in ("long1", "long2"):  # the stopped attempt never finished
            with open(self.path(f"runs/{name}")) as f:
                self.assertEqual(len(f.read().split()), 1)

    def signal_session(self, proc, which):
        """SIGTERM to the session's processes that `which(argv0)` picks."""
        sent = 0
        for pid in session_processes(proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv0 = os.path.basename(f.read().split(b"\0")[0].decode())
                if which(argv0):
                    os.kill(pid, signal.SIGTERM)
                    sent += 1
            except OSError:
                pass
        return sent

    def test_no_task_starts_after_a_stop(self):
        """Ten tasks a shard, and retries: once the ranks are told to stop,
        the slots finish the task they run and start no other."""
        os.mkdir(self.path("runs"))
        tasks = self.write("t.txt", [
            f"date +%s.%N >> starts; sleep 0.3; echo $$ >> runs/{i}; "
            + ("test -e fixed" if i % 3 == 0 else "true") for i in range(1, 41)])
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5", "--slots", "1",
                "--shard-rows", "10", "--retries", "3", "--stop-timeout", "30"]
        proc = self.start(2, args)
        self.assertTrue(wait_until(lambda: os.path.exists(self.path("runs/1")), 60))
        time.sleep(0.4)
        stopped_at = time.time()
        self.assertEqual(self.signal_session(proc, lambda name: name.startswith("shardrun")), 2)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        with open(self.path("starts")) as f:
            starts = [float(t) for t in f.read().split()]
        late = [round(t - stopped_at, 3) for t in starts if t > stopped_at + 0.05]
        self.assertEqual(late, [], "tasks started after the stop")
        self.write("fixed", [])
        self.farm(3, args + ["--retry-failed"])  # a task may have used its retries before
        _, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (40, 0))

    def test_tasks_ended_by_the_stop_signal_run_again_on_resume(self):
        """Slurm signals every process of the job: tasks that die of that
        SIGTERM are not failures; the stop exits 75 and the resume runs them."""
        os.mkdir(self.path("runs"))
        tasks = self.write("t.txt", [f"echo $$ > pid{i}; test -e release || sleep 60; "
                                     f"echo $$ >> runs/{i}" for i in range(1, 5)])
        args = ["--tasks", tasks, "--output", "f.h5", "--checkpoint", "c.h5", "--slots", "1"]
        proc = self.start(2, args)
        self.assertTrue(wait_until(lambda: len(glob.glob(self.path("pid*"))) == 2, 60))
        self.assertEqual(self.signal_session(proc, lambda name: name.startswith("shardrun")), 2)
        self.assertGreaterEqual(self.signal_session(proc, lambda name: name in ("sh", "sleep")), 2)
        _, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 75, stderr)
        self.assertEqual(self.joblog_of(self.path("c.h5")), [])  # no task recorded as failed
        self.write("release", [])
        self.farm(2, args)
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (4, 0))
        self.assertEqual(sorted(r["task"] for r in rows), [1, 2, 3, 4])

    def test_ignored_sigchld_is_not_inherited_by_the_farm(self):
        """Started with SIGCHLD ignored (some launchers do that), the farm
        still sees how its tasks ended."""
        tasks = self.write("t.txt", ["true", "exit 4", "true"])
        ignore = ("import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
                  "os.execv(sys.argv[1], sys.argv[1:])")
        r = subprocess.run(["/usr/bin/python3", "-c", ignore, SHARDRUN, "run", "exec", "-q",
                            "--tasks", tasks, "--output", "f.h5"], capture_output=True,
                           text=True, env=ENV, cwd=self.dir, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("1 of 3 tasks failed: task 2 (exit 4)", r.stderr)


if __name__ == "__main__":
    unittest.main()


class Over(FarmBase):
    """exec --over: one task per shard of a dataset's (or a range's) shard plan."""

    def dataset(self, rows=1000):
        path = self.path("d.h5")
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(rows, dtype=np.float64)
        return path

    def covered(self, rows):
        """Rows each task saw, from the files its command wrote."""
        seen = []
        for name in glob.glob(self.path("seen/*")):
            with open(name) as f:
                for line in f.read().split():
                    begin, end = map(int, line.split(":"))
                    seen.extend(range(begin, end))
        return sorted(seen)

    def test_every_row_is_covered_exactly_once(self):
        data = self.dataset(1000)
        os.mkdir(self.path("seen"))
        command = "echo {rows} >> seen/{shard}; test {begin} -lt {end}; echo {file} {dataset} {input} {#}"
        for ranks, plan in ((1, ["--shards", "7"]), (3, ["--shard-rows", "90"]), (2, [])):
            shutil.rmtree(self.path("seen"))
            os.mkdir(self.path("seen"))
            self.farm(ranks, ["--over", data + ":/x", "--command", command, "--output", "f.h5",
                              "--logdir", "logs"] + plan)
            self.assertEqual(self.covered(1000), list(range(1000)))
            rows, attrs = self.records(self.path("f.h5"))
            shards = len(glob.glob(self.path("seen/*")))
            self.assertEqual((attrs["succeeded"], attrs["failed"], attrs["tasks"]),
                             (shards, 0, shards))
            if plan == ["--shards", "7"]:
                self.assertEqual(shards, 7)
            if plan == ["--shard-rows", "90"]:
                self.assertEqual(shards, 12)  # ceil(1000 / 90)
        with open(self.path("logs/1.out")) as f:
            self.assertEqual(f.read().split(), [data, "/x", data + ":/x", "1"])

    def test_over_range_and_retries(self):
        os.mkdir(self.path("seen"))
        # Shard 2 fails on its first attempt only.
        command = ("echo {rows} >> seen/{shard}; "
                   "if [ {shard} = 2 ] && [ ! -e once ]; then touch once; exit 1; fi")
        self.farm(2, ["--over-range", "50", "--shards", "5", "--command", command,
                      "--retries", "1", "--output", "f.h5"])
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["failed"]), (5, 0))
        self.assertEqual([(r["task"], r["attempt"], r["exit_code"]) for r in rows if r["task"] == 3],
                         [(3, 1, 1), (3, 2, 0)])
        with open(self.path("seen/2")) as f:
            self.assertEqual(f.read().split(), ["20:30", "20:30"])  # twice: the retry
        self.assertEqual(sorted(set(self.covered(50))), list(range(50)))

    def test_kill_9_and_resume_cover_every_row(self):
        data = self.dataset(4000)
        os.mkdir(self.path("seen"))
        args = ["--over", data + ":/x", "--shards", "80", "--command",
                "sleep 0.05; echo {rows} >> seen/{shard}", "--output", "f.h5",
                "--checkpoint", "c.h5", "--checkpoint-every", "0.1", "--slots", "1"]
        proc = self.start(2, args)
        wait_for_ranks(proc, 2)
        self.assertTrue(wait_until(lambda: os.path.exists(self.path("c.h5")), 60))
        kill_job(proc)
        self.farm(3, args)
        rows, attrs = self.records(self.path("f.h5"))
        self.assertEqual((attrs["succeeded"], attrs["tasks"]), (80, 80))
        # Each shard's rows once, but for a task running at the kill.
        seen = self.covered(4000)
        self.assertEqual(sorted(set(seen)), list(range(4000)))
        self.assertLessEqual(len(seen) - 4000, 2 * 50)  # at most 2 ranks x 1 slot rerun
        shown = subprocess.run([SHARDRUN, "inspect", self.path("c.h5")], capture_output=True,
                               text=True, env=ENV).stdout
        self.assertIn("tasks       80: 80 succeeded, 0 failed, 0 not run", shown)

    def test_bad_over_arguments_are_refused(self):
        data = self.dataset(10)
        tasks = self.write("t.txt", ["true"])
        for args, words in [
            (["--over", data + ":/x", "--command", "echo hi"], "every task would run the same"),
            (["--over", data + ":/nope", "--command", "echo {rows}"], "/nope"),
            (["--over", "nofile.h5:/x", "--command", "echo {rows}"], "nofile.h5"),
            (["--over", data, "--command", "echo {rows}"], "is not FILE.h5:/path"),
            (["--over", data + ":/x", "--tasks", tasks], "excludes"),
            (["--over-range", "10", "--command", "echo {file} {rows}"], "{file} needs --over"),
            (["--over", data + ":/x"], "needs --command"),
            (["--command", "echo {}"], "--command needs --args"),
        ]:
            r = self.farm(1, args + ["--output", "f.h5"], expect=2)
            self.assertIn(words, r.stderr, args)
            self.assertFalse(os.path.exists(self.path("f.h5")))

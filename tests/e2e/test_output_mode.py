"""End-to-end tests of where a task farm's output goes (--output-mode):
tagged (one pair of files a rank, each line prefixed with its task number),
files (one pair a task, earlier attempts kept), none; and
`shardrun inspect --output RESULT TASK`, which prints one task's output from
either mode.

Run from CTest or by hand:
    SHARDRUN=build/shardrun /usr/bin/python3 -m unittest -v test_output_mode
"""
import os
import subprocess
import unittest

from test_checkpoint import ENV, SHARDRUN
from test_exec import FarmBase


class OutputBase(FarmBase):
    def task_output(self, result, task):
        r = subprocess.run([SHARDRUN, "inspect", "--output", self.path(result), str(task)],
                           capture_output=True, env=ENV, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode(), r.stderr.decode()

    def tagged_lines(self, name):
        """{tag: [lines]} from one tagged file (TASK, or TASK.ATTEMPT for a
        retry), checking that every line has one."""
        lines = {}
        with open(self.path(f"logs/{name}"), encoding="utf-8") as f:
            for line in f:
                self.assertTrue(line.endswith("\n"))
                tag, sep, text = line.partition("\t")
                self.assertEqual(sep, "\t", f"an untagged line in {name}: {line!r}")
                lines.setdefault(tag, []).append(text[:-1])
        return lines


class Tagged(OutputBase):
    def test_one_pair_of_files_a_rank_every_line_tagged_at_1_to_4_ranks(self):
        tasks = [f"echo out {i}; echo err {i} >&2; echo two {i}; printf 'last {i}'"
                 for i in range(1, 31)]
        self.write("t.txt", tasks)
        for ranks in (1, 2, 3, 4):
            with self.subTest(ranks=ranks):
                logs = self.path("logs")
                self.farm(ranks, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                                  "--output-mode", "tagged", "--slots", "3"])
                rows, attrs = self.records(self.path("f.h5"))
                self.assertEqual(sorted(os.listdir(logs)),
                                 sorted(f"rank-{r}.{s}" for r in range(ranks)
                                        for s in ("out", "err")))
                ran_on = {int(r["task"]): int(r["rank"]) for r in rows}
                for rank in range(ranks):
                    out = self.tagged_lines(f"rank-{rank}.out")
                    err = self.tagged_lines(f"rank-{rank}.err")
                    self.assertEqual(sorted(int(t) for t in out),
                                     sorted(t for t, r in ran_on.items() if r == rank))
                    for t, lines in out.items():
                        self.assertEqual(lines, [f"out {t}", f"two {t}", f"last {t}"])
                        self.assertEqual(err[t], [f"err {t}"])
                for t in (1, 17, 30):
                    self.assertEqual(self.task_output("f.h5", t),
                                     (f"out {t}\ntwo {t}\nlast {t}\n", f"err {t}\n"))
                # "017" is task 17, not a prefix of the tags.
                self.assertEqual(self.task_output("f.h5", "017"), self.task_output("f.h5", 17))
                for name in os.listdir(logs):
                    os.remove(os.path.join(logs, name))

    def test_a_million_lines_of_one_task_beside_others_stay_whole(self):
        self.write("t.txt", ["seq 1000000"] +
                   [f"seq 100000 | sed 's/^/t{i}-/'" for i in range(2, 6)])
        self.farm(2, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                      "--output-mode", "tagged", "--slots", "3"])
        self.assertEqual(len(os.listdir(self.path("logs"))), 4)  # not one a task
        seen = {}
        for rank in (0, 1):
            for t, lines in self.tagged_lines(f"rank-{rank}.out").items():
                seen[int(t)] = lines
        self.assertEqual(seen[1], [str(n) for n in range(1, 1_000_001)])
        for t in range(2, 6):
            self.assertEqual(seen[t], [f"t{t}-{n}" for n in range(1, 100_001)])
        out, err = self.task_output("f.h5", 1)
        self.assertEqual(out, "".join(f"{n}\n" for n in range(1, 1_000_001)))
        self.assertEqual(err, "")

    def test_output_before_a_timeout_is_kept(self):
        self.write("t.txt", ["echo before; sleep 30; echo after"])
        self.farm(1, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                      "--output-mode", "tagged", "--timeout", "0.5"], expect=3)
        self.assertEqual(self.task_output("f.h5", 1), ("before\n", ""))

    def test_retries_are_tagged_with_their_attempt_and_printed_in_order(self):
        self.write("t.txt", ["echo a$SHARDRUN_ATTEMPT; echo e$SHARDRUN_ATTEMPT >&2; "
                             "test $SHARDRUN_ATTEMPT = 3"])
        self.farm(1, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                      "--output-mode", "tagged", "--retries", "2"])
        self.assertEqual(self.tagged_lines("rank-0.out"), {"1": ["a1"], "1.2": ["a2"],
                                                            "1.3": ["a3"]})
        self.assertEqual(self.task_output("f.h5", 1), ("a1\na2\na3\n", "e1\ne2\ne3\n"))

    def test_a_resume_appends_and_inspect_prints_every_attempt(self):
        self.write("t.txt", ["echo one", "echo try $SHARDRUN_ATTEMPT; test -e ok", "echo three"])
        args = ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                "--output-mode", "tagged", "--checkpoint", "f.ckpt.h5"]
        self.farm(2, args, expect=3)
        open(self.path("ok"), "w").close()
        self.farm(2, args + ["--retry-failed"])
        tags = {}
        for rank in (0, 1):
            for tag, lines in self.tagged_lines(f"rank-{rank}.out").items():
                tags.setdefault(tag, []).extend(lines)
        self.assertEqual(tags["2"], ["try 1"])    # a first attempt: the task number
        self.assertEqual(tags["2.2"], ["try 2"])  # a retry: TASK.ATTEMPT
        # Every attempt in attempt order, whichever ranks ran them.
        self.assertEqual(self.task_output("f.h5", 2), ("try 1\ntry 2\n", ""))
        self.assertEqual(self.task_output("f.h5", 3), ("three\n", ""))


class Files(OutputBase):
    def test_each_attempt_keeps_its_files_and_task_out_is_the_last(self):
        self.write("t.txt", ["echo attempt $SHARDRUN_ATTEMPT; echo e$SHARDRUN_ATTEMPT >&2; "
                             "test $SHARDRUN_ATTEMPT -ge 3", "echo fine"])
        self.farm(2, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs",
                      "--retries", "2"])  # files: the default with --logdir
        def read(name):
            with open(self.path(f"logs/{name}")) as f:
                return f.read()
        self.assertEqual(read("1.out"), "attempt 3\n")
        self.assertEqual(read("1.1.out"), "attempt 1\n")
        self.assertEqual(read("1.2.out"), "attempt 2\n")
        self.assertEqual(read("1.2.err"), "e2\n")
        self.assertEqual(sorted(os.listdir(self.path("logs"))),
                         ["1.1.err", "1.1.out", "1.2.err", "1.2.out", "1.err", "1.out",
                          "2.err", "2.out"])
        self.assertEqual(self.task_output("f.h5", 1), ("attempt 3\n", "e3\n"))
        self.assertEqual(self.task_output("f.h5", 2), ("fine\n", ""))


class BadInput(OutputBase):
    def test_each_is_refused_naming_the_option(self):
        self.write("t.txt", ["true"])
        for args, named in [
            (["--output-mode", "lines", "--logdir", "logs"], "--output-mode"),
            (["--output-mode", "tagged"], "--logdir"),
            (["--output-mode", "files"], "--logdir"),
            (["--output-mode", "none", "--logdir", "logs"], "--logdir"),
        ]:
            with self.subTest(args=args):
                r = self.farm(1, ["--tasks", "t.txt", "--output", "f.h5"] + args, expect=2)
                self.assertIn(named, r.stderr)

    def test_inspect_output_refuses_what_it_cannot_print(self):
        self.write("t.txt", ["echo x", "echo y"])
        self.farm(1, ["--tasks", "t.txt", "--output", "none.h5"])
        self.farm(1, ["--tasks", "t.txt", "--output", "f.h5", "--logdir", "logs"])
        for result, task, named in [("none.h5", "1", "--output-mode none"),
                                    ("f.h5", "0", "task number"), ("f.h5", "x", "task number"),
                                    ("f.h5", "3", "2 tasks"), ("missing.h5", "1", "missing.h5")]:
            with self.subTest(result=result, task=task):
                r = subprocess.run([SHARDRUN, "inspect", "--output", self.path(result), task],
                                   capture_output=True, text=True, env=ENV, timeout=60)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(named, r.stderr)


if __name__ == "__main__":
    unittest.main()

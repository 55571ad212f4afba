"""The sbatch templates on a Slurm of two nodes (scripts/slurm-start.sh
--nodes 2: two slurmd on this machine, each with a /tmp of its own; ranks on
the two nodes talk TCP): a job over both nodes gives the one-node result and
says it ran on 2 nodes; a time limit's signal requeues it and it resumes
across the nodes; a task farm spreads over both.

Needs root and the cluster (CTest starts it and sets SLURM_CONF).
    SLURM_CONF=/var/tmp/shardrun-slurm-nodes/slurm.conf SHARDRUN=build/shardrun \
        /usr/bin/python3 -m unittest -v test_slurm_nodes
"""
import os
import subprocess
import unittest

import h5py

from test_slurm import ENV, SlurmBase, synthetic_checksum


class TwoNodes(SlurmBase):
    def setUp(self):
        super().setUp()
        self.assertIn("shardrun-slurm-nodes", ENV.get("SLURM_CONF", ""),
                      "run with SLURM_CONF of scripts/slurm-start.sh --nodes 2")

    def test_a_job_over_two_nodes_matches_one_node_and_says_so(self):
        items = 20_000
        job = self.submit(["--nodes=2", "--ntasks-per-node=1", "--cpus-per-task=1"],
                          "shardrun.sbatch",
                          ["run", "synthetic", "--items", str(items), "--mean-us", "100",
                           "--output", "two.h5"])
        info = self.wait_end(job)
        self.assertEqual(info["JobState"], "COMPLETED", self.log())
        self.assertEqual(info["NodeList"], "n[1-2]")
        with h5py.File(self.path("two.h5"), "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(items, 1))
            self.assertEqual(int(f["run"].attrs["nodes"]), 2)
            self.assertEqual(int(f["run"].attrs["ranks"]), 2)

    def test_time_limit_signal_requeues_across_the_nodes(self):
        items, mean_us = 270_000, 300  # ~40 s on 2 ranks under a 1-minute limit
        job = self.submit(["--nodes=2", "--ntasks-per-node=1", "--cpus-per-task=1", "--time=1",
                           "--signal=B:USR1@55"], "shardrun.sbatch",
                          ["run", "synthetic", "--items", str(items), "--mean-us", str(mean_us),
                           "--output", "syn.h5", "--checkpoint-every", "1"])
        log = self.requeued_then_completed(job, 120)
        self.assertIn("stopped (USR1)", log)
        with h5py.File(self.path("syn.h5"), "r") as f:
            self.assertEqual(int(f["checksum"][()]), synthetic_checksum(items, 1))
            self.assertEqual(int(f["run"].attrs["nodes"]), 2)

    def test_a_task_farm_spreads_over_both_nodes(self):
        marks = self.path("marks")
        os.mkdir(marks)
        with open(self.path("tasks.txt"), "w") as f:
            for i in range(20):
                f.write(f"touch {marks}/{i}.$SLURMD_NODENAME\n")
        job = self.submit(["--nodes=2", "--ntasks-per-node=1", "--cpus-per-task=1"],
                          "taskfarm.sbatch", ["--tasks", "tasks.txt", "--output", "farm.h5"])
        info = self.wait_end(job)
        self.assertEqual(info["JobState"], "COMPLETED", self.log())
        done = os.listdir(marks)
        self.assertEqual(len(done), 20)
        self.assertEqual({name.split(".", 1)[1] for name in done}, {"n1", "n2"})


if __name__ == "__main__":
    unittest.main()

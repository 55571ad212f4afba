// The task farm's pieces without MPI: the record codec, joblog and tally,
// and running commands (exit codes, signals, timeouts, process groups,
// environment).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "shapes/process.hpp"
#include "shapes/task_record.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::shapes {
namespace {

TEST(TaskRecords, RoundTripSortTallyAndJoblog) {
  std::vector<TaskRecord> records = {
      {2, 2, 1, 1, 100.5, 0.25, 0, 0, false, "n1", "b"},
      {2, 1, 0, 2, 100.0, 0.5, 1, 0, false, "n0", "b"},
      {1, 1, 0, 1, 99.0, 1.0, -1, 15, true, "n0", "a\tz"},
  };
  Encoder out;
  encode_records(records, out);
  encode_records({records[0]}, out);  // deltas concatenate
  const Bytes bytes = out.take();
  std::vector<TaskRecord> back;
  decode_records(bytes, back);
  ASSERT_EQ(back.size(), 4u);
  back.pop_back();
  sort_records(back);
  EXPECT_EQ(back[0].task, 1u);
  EXPECT_EQ(back[1].attempt, 1u);
  EXPECT_EQ(back[2].host, "n1");
  EXPECT_EQ(back[0].command, "a\tz");
  EXPECT_TRUE(back[0].timed_out);

  const FarmTally t = tally(back, 4);
  EXPECT_EQ(t.succeeded, 1u);  // task 2's last attempt
  EXPECT_EQ(t.failed, 1u);     // task 1
  EXPECT_EQ(t.pending, 2u);
  ASSERT_EQ(t.failures.size(), 1u);
  EXPECT_EQ(describe_end(*t.failures[0]), "signal 15 (timed out)");

  const std::string log = joblog_text(back);
  EXPECT_EQ(log.substr(0, log.find('\n')),
            "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand");
  EXPECT_NE(log.find("\n1\tn0\t        99.000\t   1.000\t0\t0\t-1\t15\ta\tz\n"), std::string::npos);
  EXPECT_NE(log.find("\n2\tn1\t       100.500\t   0.250\t0\t0\t0\t0\tb\n"), std::string::npos);
}

TEST(TaskRecords, TruncatedBytesThrow) {
  Encoder out;
  encode_records({{1, 1, 0, 1, 1, 1, 0, 0, false, "h", "command"}}, out);
  Bytes bytes = out.take();
  bytes.resize(bytes.size() - 3);
  std::vector<TaskRecord> back;
  EXPECT_THROW(decode_records(bytes, back), RuntimeError);
}

// A string length read from the bytes is checked before it is allocated
// (found by tests/fuzz/task_records: lengths near 2^64 were allocated).
TEST(TaskRecords, AHugeStringLengthIsRefusedBeforeAllocating) {
  Encoder out;
  encode_records({{1, 1, 0, 1, 1, 1, 0, 0, false, "h", "command"}}, out);
  Bytes bytes = out.take();
  // The host's length follows the count and the record's fixed fields.
  const std::size_t at = 8 + 8 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 1;
  const std::uint64_t huge = std::uint64_t{1} << 62;
  std::memcpy(bytes.data() + at, &huge, sizeof huge);
  std::vector<TaskRecord> back;
  EXPECT_THROW(decode_records(bytes, back), RuntimeError);
}

TEST(TaskRecords, AJoblogLineKeepsItsNineFieldsForAnyTime) {
  const std::string text = joblog_text({{1, 1, 0, 1, 1e300, 1e300, 0, 0, false, "h", "c"}});
  const std::string line = text.substr(text.find('\n') + 1);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 8) << line;
}

class Commands : public ::testing::Test {
 protected:
  std::vector<std::string> env = task_base_environment();
  LiveGroups live;
  CommandResult run(const std::string& command, double timeout_s = 0, double kill_after_s = 2) {
    CommandSpec spec;
    spec.command = command;
    spec.env = &env;
    spec.timeout_s = timeout_s;
    spec.kill_after_s = kill_after_s;
    spec.stdout_path = out_path;
    return run_command(spec, live);
  }
  std::string output() const {
    std::ifstream in(out_path);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::string out_path = testing::TempDir() + "shardrun_tasks_test.out";
};

TEST_F(Commands, ExitCodesAndSignals) {
  EXPECT_TRUE(run("true").succeeded());
  const CommandResult failed = run("exit 42");
  EXPECT_EQ(failed.exit_code, 42);
  EXPECT_FALSE(failed.succeeded());
  const CommandResult killed = run("kill -USR2 $$");
  EXPECT_EQ(killed.exit_code, -1);
  EXPECT_EQ(killed.signal, SIGUSR2);
  EXPECT_EQ(run("no-such-command-here").exit_code, 127);
}

TEST_F(Commands, TimeoutEndsTheGroupWithTermThenKill) {
  const CommandResult term = run("sleep 30", 0.2);
  EXPECT_TRUE(term.timed_out);
  EXPECT_EQ(term.signal, SIGTERM);
  EXPECT_LT(term.duration_s, 5);
  const CommandResult kill = run("trap '' TERM; sleep 30 & wait; wait", 0.2, 0.2);
  EXPECT_TRUE(kill.timed_out);
  EXPECT_EQ(kill.signal, SIGKILL);
  EXPECT_LT(kill.duration_s, 5);
}

TEST_F(Commands, OwnProcessGroupAndEnvironment) {
  env.push_back("SHARDRUN_TASK=9");
  ASSERT_TRUE(run("echo $SHARDRUN_TASK $(cut -d' ' -f5 /proc/$$/stat) $$").succeeded());
  int task = 0, pgid = 0, pid = 0;
  ASSERT_EQ(std::sscanf(output().c_str(), "%d %d %d", &task, &pgid, &pid), 3);
  EXPECT_EQ(task, 9);
  EXPECT_EQ(pgid, pid);  // the task leads a group of its own
  EXPECT_NE(pgid, ::getpgrp());
}

TEST_F(Commands, TerminateAllEndsRunningGroups) {
  std::thread stopper([&] {
    while (live.size() == 0) std::this_thread::yield();  // the command has started
    live.terminate_all(1.0);
  });
  const CommandResult r = run("sleep 30");
  stopper.join();
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_FALSE(r.timed_out);
}

}  // namespace
}  // namespace shardrun::shapes

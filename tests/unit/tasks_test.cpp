// The task farm's pieces without MPI: replacement strings and quoting, the
// record codec, joblog and tally, and running commands (exit codes, signals,
// timeouts, process groups, environment).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "io/text_lines.hpp"
#include "shardrun/errors.hpp"
#include "tasks/process.hpp"
#include "tasks/replacement.hpp"
#include "tasks/task_record.hpp"

namespace shardrun::tasks {
namespace {

TEST(ShellQuote, LeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(shell_quote("dir/file-1.txt"), "dir/file-1.txt");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf x)"), "'$(rm -rf x)'");
}

TEST(ExpandTemplate, ReplacesEveryString) {
  EXPECT_EQ(expand_template("x {} {.} {/} {//} {/.} {#} {%}", "a/b.c/d.tar.gz", 7, 3),
            "x a/b.c/d.tar.gz a/b.c/d.tar d.tar.gz a/b.c d.tar 7 3");
  EXPECT_EQ(expand_template("{.} {//} {/.}", "b.c/noext", 1, 1), "b.c/noext b.c noext");
  EXPECT_EQ(expand_template("{//}", "/top", 1, 1), "/");
  EXPECT_EQ(expand_template("{//}", "plain", 1, 1), ".");
}

TEST(ExpandTemplate, AppendsTheArgumentWhenNoneIsUsedAndKeepsOtherBraces) {
  EXPECT_EQ(expand_template("echo", "a b", 1, 1), "echo 'a b'");
  EXPECT_EQ(expand_template("run {#}", "x", 5, 1), "run 5 x");
  EXPECT_EQ(expand_template("awk '{print $1}' {}", "f", 1, 1), "awk '{print $1}' f");
}

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

TEST(TextLines, SkipsBlankLinesAndCommentsAndNamesTheOption) {
  const std::string path = testing::TempDir() + "shardrun_lines.txt";
  {
    std::ofstream out(path);
    out << "# comment\n\n  \nfirst\r\n  # indented comment\nsecond # not a comment\n";
  }
  EXPECT_EQ(io::read_entries(path, "--tasks", true),
            (std::vector<std::string>{"first", "second # not a comment"}));
  EXPECT_EQ(io::read_entries(path, "--args", false).size(), 4u);
  try {
    io::read_entries(path + ".missing", "--tasks", true);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--tasks: cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace shardrun::tasks

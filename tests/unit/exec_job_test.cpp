// The exec job's own pieces: GNU parallel's replacement strings, shell
// quoting, and reading task and argument lists.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "jobs/command_template.hpp"
#include "jobs/entry_list.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::jobs {
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

TEST(TextLines, SkipsBlankLinesAndCommentsAndNamesTheOption) {
  const std::string path = ::testing::TempDir() + "shardrun_lines.txt";
  {
    std::ofstream out(path);
    out << "# comment\n\n  \nfirst\r\n  # indented comment\nsecond # not a comment\n";
  }
  EXPECT_EQ(read_entries(path, "--tasks", true),
            (std::vector<std::string>{"first", "second # not a comment"}));
  EXPECT_EQ(read_entries(path, "--args", false).size(), 4u);
  try {
    read_entries(path + ".missing", "--tasks", true);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--tasks: cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace shardrun::jobs

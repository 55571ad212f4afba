// The exec job's own pieces: GNU parallel's replacement strings, shell
// quoting, and reading task and argument lists.
#include <gtest/gtest.h>

#include <cstdio>
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

// What /bin/sh prints for `command`.
std::string sh_output(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[256];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

TEST(ExpandTemplate, QuotesForTheContextSoTheShellReadsTheArgumentExactly) {
  const std::string hostile = "a $(echo INJECTED) `echo B` \"q\" 'it''s' \\ $HOME ; * {}";
  for (const std::string form :
       {"printf %s {}", "printf %s \"{}\"", "printf %s '{}'", "printf %s x{}y",
        "printf %s \"<{}>\"", "printf %s 'a'{}\"b\"", "printf %s \"$(printf %s x)\"{}"}) {
    std::string expected;
    if (form.find('<') != std::string::npos)
      expected = "<" + hostile + ">";
    else if (form.find("x{}y") != std::string::npos)
      expected = "x" + hostile + "y";
    else if (form.find("'a'") != std::string::npos)
      expected = "a" + hostile + "b";
    else if (form.find("$(") != std::string::npos)
      expected = "x" + hostile;
    else
      expected = hostile;
    EXPECT_EQ(sh_output(expand_template(form, hostile, 1, 1)), expected) << form;
  }
  EXPECT_EQ(sh_output(expand_template("printf %s \"{/}\"", "d/it's \"$x\"", 1, 1)), "it's \"$x\"");
}

TEST(ExpandTemplate, RefusesAnArgumentInsideACommandSubstitution) {
  for (const std::string form : {"echo $(basename {})", "echo `cat {}`", "echo \"$(cat {.})\"",
                                 "echo ${x:-{}}", "echo $( (echo) ; echo {/} )"}) {
    try {
      expand_template(form, "f", 1, 1);
      ADD_FAILURE() << form << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("cannot be quoted safely"), std::string::npos);
    }
  }
  // The task number and slot are digits: fine anywhere; after $( ) ends, {} is plain again.
  EXPECT_EQ(expand_template("echo $(seq {#}) {}", "a b", 3, 1), "echo $(seq 3) 'a b'");
  EXPECT_EQ(expand_template("echo $((1+(2))) {}", "a b", 3, 1), "echo $((1+(2))) 'a b'");
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

// The exec job's inputs: a task list (--tasks FILE) or an argument list with
// a template (--command TEMPLATE --args FILE), read from a file as the job
// reads them and turned into every task's command. Property: the entries are
// the file's lines without their line ends, blank lines (and for --tasks
// comments) skipped, as a plain reimplementation of the documented rule says.
//
// Input: mode (one byte: --tasks, or --args with the template), the
// template's length (one byte) and text, then the file's bytes.
#include <CLI/CLI.hpp>
#include <vector>

#include "api/options_handle.hpp"
#include "fuzz_common.hpp"
#include "jobs/command_template.hpp"
#include "jobs/exec.hpp"

namespace {

using namespace shardrun;

std::vector<std::string> expected_entries(std::string_view file, bool skip_comments) {
  std::vector<std::string> entries;
  std::size_t start = 0;
  while (start < file.size()) {
    std::size_t end = file.find('\n', start);
    if (end == std::string_view::npos) end = file.size();
    std::string line(file.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (skip_comments && line[first] == '#') continue;
    entries.push_back(line);
  }
  return entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  const bool tasks = input.byte() % 2 == 0;
  const std::size_t template_size = input.byte() % 64;
  std::string command;
  for (std::size_t i = 0; i < template_size; ++i) command += static_cast<char>(input.byte());
  if (command.find('\0') != std::string::npos) return 0;  // not on a command line
  if (!tasks && command.empty()) return 0;                // no template: a --tasks run
  const std::string_view file = input.rest();
  const std::string path = fuzz::scratch_file(file);

  jobs::ExecJob job;
  CLI::App app;
  Options options(options_handle(app));
  job.add_options(options);
  std::vector<std::string> args;  // CLI11 takes them last first
  if (tasks) {
    args = {path, "--tasks"};
  } else {
    args = {path, "--args", "--command=" + command};
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError&) {
    return 0;  // the command line's own errors (exit 2 in main)
  }
  const std::vector<std::string> expected = expected_entries(file, tasks);
  bool loaded = false;
  std::uint64_t items = 0;
  fuzz::expect_shardrun_errors([&] {
    items = std::get<IndexDomain>(job.domain()).items;
    (void)job.parameters();
    loaded = true;
  });
  // A template that cannot be quoted safely ({} inside $(...)) is refused
  // before any entry is read, whatever the list holds.
  bool template_refused = false;
  if (!tasks) {
    try {
      jobs::expand_template(command, "x", 1, 1);
    } catch (const UsageError&) {
      template_refused = true;
    }
  }
  if (!loaded) {
    if (!expected.empty() && !template_refused) fuzz::fail("a list with entries was refused");
    return 0;
  }
  if (template_refused) fuzz::fail("a template that cannot be quoted safely was taken");
  if (items != expected.size())
    fuzz::fail(std::to_string(items) + " tasks for " + std::to_string(expected.size()) +
               " entries");
  for (std::uint64_t i = 0; i < items; ++i) {
    std::string want = expected[i];
    fuzz::expect_shardrun_errors([&] {
      if (!tasks) want = jobs::expand_template(command, expected[i], i + 1, 1);
      if (job.command(i, 1) != want) fuzz::fail("task " + std::to_string(i + 1) + " differs");
    });
  }
  return 0;
}

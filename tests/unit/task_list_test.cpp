// JSON-lines task lists and the size and GPU notations they share with --pool.
#include "jobs/task_list.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "shardrun/errors.hpp"
#include "shardrun/resources.hpp"

namespace shardrun::jobs {
namespace {

std::string write_list(const std::string& text) {
  const std::string path = ::testing::TempDir() + "shardrun_tasks.jsonl";
  std::ofstream(path) << text;
  return path;
}

// The message of the UsageError that reading `text` throws ("" if none).
std::string refusal(const std::string& text) {
  try {
    read_json_tasks(write_list(text), "--tasks", {});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(MemorySize, UnitsArePowersOf1024AndABareNumberIsMegabytes) {
  EXPECT_EQ(parse_memory_size("8G", "mem"), 8ull << 30);
  EXPECT_EQ(parse_memory_size("8GB", "mem"), 8ull << 30);
  EXPECT_EQ(parse_memory_size("8GiB", "mem"), 8ull << 30);
  EXPECT_EQ(parse_memory_size("512m", "mem"), 512ull << 20);
  EXPECT_EQ(parse_memory_size("1.5T", "mem"), 3ull << 39);
  EXPECT_EQ(parse_memory_size("64K", "mem"), 64ull << 10);
  EXPECT_EQ(parse_memory_size("100", "mem"), 100ull << 20);
  EXPECT_EQ(parse_memory_size("0", "mem"), 0u);
  for (const char* bad : {"8X", "8 G", "", "G", "-1G", "8GG", "nan", "1e30T"})
    EXPECT_THROW(parse_memory_size(bad, "mem"), UsageError) << bad;
}

TEST(GpuList, ACountOrDistinctIds) {
  EXPECT_EQ(parse_gpu_list("3", "--gpus"), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(parse_gpu_list("0", "--gpus"), (std::vector<std::uint32_t>{}));
  EXPECT_EQ(parse_gpu_list("0:2:3", "--gpus"), (std::vector<std::uint32_t>{0, 2, 3}));
  EXPECT_EQ(parse_gpu_list("5:1", "--gpus"), (std::vector<std::uint32_t>{5, 1}));
  for (const char* bad : {"", "a", "1:", ":1", "1::2", "-1", "1.5", "2:2"})
    EXPECT_THROW(parse_gpu_list(bad, "--gpus"), UsageError) << bad;
}

TEST(JsonTaskList, ReadsEveryFieldOverTheDefaults) {
  TaskRequest defaults;
  defaults.cpus = 2;
  defaults.retries = 1;
  const auto tasks = read_json_tasks(
      write_list("# a farm\n"
                 "{\"cmd\": \"simulate --n 64\", \"cpus\": 4, \"mem\": \"8G\", \"priority\": 10, "
                 "\"name\": \"big-1\"}\n"
                 "\n"
                 "{\"cmd\": \"train.py --fold 3\", \"gpus\": 1, \"timeout\": 3600, \"retries\": 2,"
                 " \"env\": {\"FOLD\": \"3\"}, \"cwd\": \"/tmp\", \"mem\": 512}\n"
                 "{\"cmd\": \"postprocess\", \"stage\": 2, \"priority\": -1}\n"),
      "--tasks", defaults);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].line, 2u);
  EXPECT_EQ(tasks[0].cmd, "simulate --n 64");
  EXPECT_EQ(tasks[0].request.cpus, 4u);
  EXPECT_EQ(tasks[0].request.mem_bytes, 8ull << 30);
  EXPECT_EQ(tasks[0].request.priority, 10);
  EXPECT_EQ(tasks[0].request.name, "big-1");
  EXPECT_EQ(tasks[0].request.retries, 1);  // the default
  EXPECT_EQ(tasks[1].line, 4u);
  EXPECT_EQ(tasks[1].request.cpus, 2u);  // the default
  EXPECT_EQ(tasks[1].request.gpus, 1u);
  EXPECT_EQ(tasks[1].request.timeout_s, 3600.0);
  EXPECT_EQ(tasks[1].request.retries, 2);
  EXPECT_EQ(tasks[1].request.mem_bytes, 512ull << 20);  // a bare number: megabytes
  EXPECT_EQ(tasks[1].request.cwd, "/tmp");
  ASSERT_EQ(tasks[1].request.env.size(), 1u);
  EXPECT_EQ(tasks[1].request.env[0], (std::pair<std::string, std::string>{"FOLD", "3"}));
  EXPECT_EQ(tasks[2].request.stage, 2u);
  EXPECT_EQ(tasks[2].request.priority, -1);
}

TEST(JsonTaskList, RefusesBadLinesNamingFileLineAndField) {
  const std::string ok = "{\"cmd\": \"true\"}\n";
  const std::string path = write_list("");
  EXPECT_TRUE(contains(refusal(ok + "{\"cmd\": \"true\",}\n"), path + ":2: not JSON"));
  EXPECT_TRUE(contains(refusal(ok + ok + "{\"cmd\": \"x\", \"cpu\": 2}\n"),
                       path + ":3: \"cpu\" is not a task field"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"cpus\": -2}\n"), ":1: \"cpus\" must not be negative"));
  EXPECT_TRUE(contains(refusal("{\"cmd\": \"x\", \"cpus\": 0}\n"), "\"cpus\" must not be 0"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"cpus\": \"4\"}\n"), "\"cpus\" must be a number"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"gpus\": 1.5}\n"), "\"gpus\" must be a whole number"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"stage\": 1.5}\n"), "\"stage\" must be a whole number"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"stage\": -1}\n"), "\"stage\" must not be negative"));
  EXPECT_TRUE(contains(refusal("{\"cmd\": \"x\", \"mem\": \"8Q\"}\n"),
                       ":1: \"mem\": '8Q' has an unknown unit"));
  EXPECT_TRUE(contains(refusal("{\"cmd\": \"x\", \"mem\": -5}\n"), "is negative"));
  EXPECT_TRUE(contains(refusal("{\"cmd\": \"x\", \"timeout\": 0}\n"),
                       "\"timeout\" must be a number of seconds above 0"));
  EXPECT_TRUE(
      contains(refusal("{\"cmd\": \"x\", \"env\": {\"A\": 1}}\n"), "\"env.A\" must be a string"));
  EXPECT_TRUE(contains(refusal("{\"name\": \"no command\"}\n"), ":1: the task has no \"cmd\""));
  EXPECT_TRUE(contains(refusal("[\"true\"]\n"), ":1: each line must be one JSON object"));
  EXPECT_TRUE(contains(refusal("# only a comment\n"), "has no entries"));
  // A stage gap is fine.
  EXPECT_EQ(refusal("{\"cmd\": \"a\", \"stage\": 0}\n{\"cmd\": \"b\", \"stage\": 7}\n"), "");
}

TEST(JsonTaskList, IsChosenByTheFileName) {
  EXPECT_TRUE(is_json_task_list("tasks.jsonl"));
  EXPECT_TRUE(is_json_task_list("dir/t.ndjson"));
  EXPECT_FALSE(is_json_task_list("tasks.txt"));
  EXPECT_FALSE(is_json_task_list("jsonl"));
}

}  // namespace
}  // namespace shardrun::jobs

// A task farm's records as rank 0 and a resume meet them: deltas from other
// ranks and the checkpoint's shape state (decode_records), then what
// `shardrun inspect` prints of them (sort_records, tally, farm_report).
// Properties: records that decoded encode back to bytes that decode to the
// same records; the tally adds up.
//
// Input: tasks (two bytes: the farm's size for the tally), then the bytes.
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "shapes/task_record.hpp"

namespace {

using namespace shardrun;
using shapes::TaskRecord;

bool same(const TaskRecord& a, const TaskRecord& b) {
  auto bits = [](double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
  };
  return a.task == b.task && a.attempt == b.attempt && a.rank == b.rank && a.slot == b.slot &&
         bits(a.start_s) == bits(b.start_s) && bits(a.duration_s) == bits(b.duration_s) &&
         a.exit_code == b.exit_code && a.signal == b.signal && a.timed_out == b.timed_out &&
         a.host == b.host && a.command == b.command;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  const std::uint64_t tasks = input.byte() | std::uint64_t{input.byte()} << 8;
  const std::span<const std::byte> bytes = input.rest_bytes();
  std::vector<TaskRecord> records;
  bool read = false;
  fuzz::expect_shardrun_errors([&] {
    shapes::decode_records(bytes, records);
    read = true;
  });
  if (!read) return 0;

  Encoder out;
  shapes::encode_records(records, out);
  const Bytes encoded = out.take();
  std::vector<TaskRecord> back;
  try {
    shapes::decode_records(encoded, back);
  } catch (const std::exception& e) {
    fuzz::fail(std::string("encoded records do not decode: ") + e.what());
  }
  if (back.size() != records.size()) fuzz::fail("a different number of records came back");
  for (std::size_t i = 0; i < records.size(); ++i)
    if (!same(records[i], back[i])) fuzz::fail("record " + std::to_string(i) + " changed");

  shapes::sort_records(records);
  const shapes::FarmTally t = shapes::tally(records, tasks);
  if (t.failures.size() != t.failed) fuzz::fail("tally: failures and failed differ");
  if (t.pending > t.tasks) fuzz::fail("tally: more pending than tasks");
  const std::string report = shapes::farm_report(records, tasks);
  if (report.empty()) fuzz::fail("farm_report is empty");
  for (const TaskRecord& r : records) (void)shapes::describe_end(r);
  return 0;
}

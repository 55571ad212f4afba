// The joblog a farm writes (--joblog, `shardrun inspect --joblog`) from
// decoded task records: GNU parallel's format, a header, then one line of
// nine tab-separated fields per attempt, or fifteen when tasks asked for
// resources (Name Cpus Mem Gpus Cores Devices before Command). Properties (for
// hosts, names, cores, devices and commands free of tabs and newlines, which the format cannot
// hold): one line per record, as many fields as the header, Seq and
// Exitval/Signal as the records say, the command and host verbatim.
#include <cinttypes>
#include <vector>

#include "fuzz_common.hpp"
#include "shapes/task_record.hpp"

namespace {

using namespace shardrun;

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(by, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<shapes::TaskRecord> records;
  bool read = false;
  fuzz::expect_shardrun_errors([&] {
    shapes::decode_records(fuzz::as_bytes(data, size), records);
    read = true;
  });
  if (!read) return 0;
  shapes::sort_records(records);
  const std::string text = shapes::joblog_text(records);
  for (const shapes::TaskRecord& r : records)
    if (r.host.find_first_of("\t\n") != std::string::npos ||
        r.command.find_first_of("\t\n") != std::string::npos ||
        r.name.find_first_of("\t\n") != std::string::npos ||
        r.cores.find_first_of("\t\n") != std::string::npos ||
        r.devices.find_first_of("\t\n") != std::string::npos)
      return 0;  // the format has no escapes; nothing more to check
  if (text.empty() || text.back() != '\n') fuzz::fail("the joblog does not end with a newline");
  std::vector<std::string> lines = split(text.substr(0, text.size() - 1), '\n');
  if (lines.size() != records.size() + 1)
    fuzz::fail("joblog: " + std::to_string(lines.size()) + " lines for " +
               std::to_string(records.size()) + " records");
  const std::size_t columns = split(lines[0], '\t').size();
  if (columns != 9 && columns != 15)
    fuzz::fail("joblog header has " + std::to_string(columns) + " fields");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const shapes::TaskRecord& r = records[i];
    const std::vector<std::string> fields = split(lines[i + 1], '\t');
    if (fields.size() != columns)
      fuzz::fail("joblog line " + std::to_string(i + 2) + " has " + std::to_string(fields.size()) +
                 " fields: " + lines[i + 1]);
    if (fields[0] != std::to_string(r.task)) fuzz::fail("joblog: Seq differs from the record");
    if (fields[1] != r.host) fuzz::fail("joblog: Host differs from the record");
    if (fields[6] != std::to_string(r.exit_code) || fields[7] != std::to_string(r.signal))
      fuzz::fail("joblog: Exitval/Signal differ from the record: " + lines[i + 1]);
    if (columns == 15 && (fields[8] != r.name || fields[9] != std::to_string(r.cpus)))
      fuzz::fail("joblog: Name/Cpus differ from the record: " + lines[i + 1]);
    if (fields.back() != r.command) fuzz::fail("joblog: Command differs from the record");
  }
  return 0;
}

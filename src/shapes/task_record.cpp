#include "shapes/task_record.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "h5/h5_dataset.hpp"

namespace shardrun::shapes {
namespace {

void put_string(Encoder& out, const std::string& s) {
  out.put<std::uint64_t>(s.size());
  out.put_bytes(s.data(), s.size());
}

std::string get_string(Decoder& in) {
  const auto size = in.get<std::uint64_t>();
  if (size > in.remaining()) throw RuntimeError("corrupt task record: truncated string");
  std::string s(size, '\0');
  in.get_bytes(s.data(), s.size());
  return s;
}

// One column of the records, as a vector of its field.
template <class F>
auto column(const std::vector<TaskRecord>& records, F field) {
  std::vector<std::decay_t<decltype(field(records.front()))>> values;
  values.reserve(records.size());
  for (const TaskRecord& r : records) values.push_back(field(r));
  return values;
}

template <class T>
std::vector<T> read_column(const h5::File& file, const std::string& name, std::size_t rows) {
  const h5::Dataset set = h5::Dataset::open(file, name);
  const h5::DatasetShape shape = set.shape();
  if (shape.dims.size() != 1 || shape.dims[0] != rows)
    throw RuntimeError(name + " in " + file.path() + " does not have one entry per record");
  std::vector<T> values(rows);
  set.read_all(element_type_of<T>(), values.data());
  return values;
}

}  // namespace

void encode_records(const std::vector<TaskRecord>& records, Encoder& out) {
  out.put<std::uint64_t>(records.size());
  for (const TaskRecord& r : records) {
    out.put(r.task);
    out.put(r.attempt);
    out.put(r.rank);
    out.put(r.slot);
    out.put(r.start_s);
    out.put(r.duration_s);
    out.put(r.exit_code);
    out.put(r.signal);
    out.put<std::uint8_t>(r.timed_out ? 1 : 0);
    put_string(out, r.host);
    put_string(out, r.command);
    put_string(out, r.name);
    out.put(r.cpus);
    out.put(r.mem_bytes);
    out.put(r.gpus);
    put_string(out, r.cores);
    put_string(out, r.devices);
  }
}

void decode_records(std::span<const std::byte> bytes, std::vector<TaskRecord>& records) {
  Decoder in(bytes);
  while (!in.done()) {
    const auto count = in.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < count; ++i) {
      TaskRecord r;
      r.task = in.get<std::uint64_t>();
      r.attempt = in.get<std::uint32_t>();
      r.rank = in.get<std::int32_t>();
      r.slot = in.get<std::int32_t>();
      r.start_s = in.get<double>();
      r.duration_s = in.get<double>();
      r.exit_code = in.get<std::int32_t>();
      r.signal = in.get<std::int32_t>();
      r.timed_out = in.get<std::uint8_t>() != 0;
      r.host = get_string(in);
      r.command = get_string(in);
      r.name = get_string(in);
      r.cpus = in.get<std::uint32_t>();
      r.mem_bytes = in.get<std::uint64_t>();
      r.gpus = in.get<std::uint32_t>();
      r.cores = get_string(in);
      r.devices = get_string(in);
      records.push_back(std::move(r));
    }
  }
}

void sort_records(std::vector<TaskRecord>& records) {
  std::sort(records.begin(), records.end(), [](const TaskRecord& a, const TaskRecord& b) {
    if (a.task != b.task) return a.task < b.task;
    if (a.attempt != b.attempt) return a.attempt < b.attempt;
    return a.start_s < b.start_s;
  });
}

void write_records(h5::File& file, const std::string& group,
                   const std::vector<TaskRecord>& records) {
  file.create_group(group);
  const std::string at = group + "/";
  h5::write_vector(file, at + "task", column(records, [](auto& r) { return r.task; }));
  h5::write_vector(file, at + "attempt", column(records, [](auto& r) { return r.attempt; }));
  h5::write_vector(file, at + "rank", column(records, [](auto& r) { return r.rank; }));
  h5::write_strings(file, at + "host", column(records, [](auto& r) { return r.host; }));
  h5::write_vector(file, at + "slot", column(records, [](auto& r) { return r.slot; }));
  h5::write_vector(file, at + "start", column(records, [](auto& r) { return r.start_s; }));
  h5::write_vector(file, at + "duration", column(records, [](auto& r) { return r.duration_s; }));
  h5::write_vector(file, at + "exit_code", column(records, [](auto& r) { return r.exit_code; }));
  h5::write_vector(file, at + "signal", column(records, [](auto& r) { return r.signal; }));
  h5::write_vector(file, at + "timed_out", column(records, [](auto& r) {
                     return static_cast<std::uint8_t>(r.timed_out ? 1 : 0);
                   }));
  h5::write_strings(file, at + "command", column(records, [](auto& r) { return r.command; }));
  h5::write_strings(file, at + "name", column(records, [](auto& r) { return r.name; }));
  h5::write_vector(file, at + "cpus", column(records, [](auto& r) { return r.cpus; }));
  h5::write_vector(file, at + "mem", column(records, [](auto& r) { return r.mem_bytes; }));
  h5::write_vector(file, at + "gpus", column(records, [](auto& r) { return r.gpus; }));
  h5::write_strings(file, at + "cores", column(records, [](auto& r) { return r.cores; }));
  h5::write_strings(file, at + "devices", column(records, [](auto& r) { return r.devices; }));
}

std::vector<TaskRecord> read_records(const h5::File& file, const std::string& group) {
  const std::string at = group + "/";
  const std::vector<std::uint64_t> dims = h5::Dataset::open(file, at + "task").shape().dims;
  if (dims.size() != 1) throw RuntimeError(at + "task in " + file.path() + " is not 1-D");
  const auto task = read_column<std::uint64_t>(file, at + "task", dims[0]);
  const std::size_t n = task.size();
  const auto attempt = read_column<std::uint32_t>(file, at + "attempt", n);
  const auto rank = read_column<std::int32_t>(file, at + "rank", n);
  const auto slot = read_column<std::int32_t>(file, at + "slot", n);
  const auto start = read_column<double>(file, at + "start", n);
  const auto duration = read_column<double>(file, at + "duration", n);
  const auto exit_code = read_column<std::int32_t>(file, at + "exit_code", n);
  const auto signal = read_column<std::int32_t>(file, at + "signal", n);
  const auto timed_out = read_column<std::uint8_t>(file, at + "timed_out", n);
  const auto host = h5::read_strings(file, at + "host");
  const auto command = h5::read_strings(file, at + "command");
  if (host.size() != n || command.size() != n)
    throw RuntimeError(group + " in " + file.path() + " does not have one entry per record");
  std::vector<TaskRecord> records(n);
  for (std::size_t i = 0; i < n; ++i)
    records[i] = {task[i],      attempt[i], rank[i],           slot[i], start[i],  duration[i],
                  exit_code[i], signal[i],  timed_out[i] != 0, host[i], command[i]};
  // What tasks asked for and got: absent from files written before there
  // were requests (every task then had 1 cpu).
  if (file.has_link(at + "cpus")) {
    const auto name = h5::read_strings(file, at + "name");
    const auto cpus = read_column<std::uint32_t>(file, at + "cpus", n);
    const auto mem = read_column<std::uint64_t>(file, at + "mem", n);
    const auto gpus = read_column<std::uint32_t>(file, at + "gpus", n);
    const auto cores = h5::read_strings(file, at + "cores");
    const auto devices = h5::read_strings(file, at + "devices");
    if (name.size() != n || cores.size() != n || devices.size() != n)
      throw RuntimeError(group + " in " + file.path() + " does not have one entry per record");
    for (std::size_t i = 0; i < n; ++i) {
      records[i].name = name[i];
      records[i].cpus = cpus[i];
      records[i].mem_bytes = mem[i];
      records[i].gpus = gpus[i];
      records[i].cores = cores[i];
      records[i].devices = devices[i];
    }
  }
  return records;
}

std::string joblog_text(const std::vector<TaskRecord>& records) {
  // GNU parallel's nine columns; when tasks asked for more than one cpu each
  // (or named themselves), what they asked for and got, before Command.
  const bool requests = std::any_of(records.begin(), records.end(), [](const TaskRecord& r) {
    return r.cpus != 1 || r.mem_bytes || r.gpus || !r.name.empty();
  });
  std::string text = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\t";
  text += requests ? "Name\tCpus\tMem\tGpus\tCores\tDevices\tCommand\n" : "Command\n";
  // Room for any double in %.3f (up to 309 digits before the point).
  char fields[800];
  for (const TaskRecord& r : records) {
    std::snprintf(fields, sizeof fields, "%" PRIu64 "\t", r.task);
    text += fields;
    text += r.host;
    std::snprintf(fields, sizeof fields, "\t%14.3f\t%8.3f\t0\t0\t%d\t%d\t", r.start_s, r.duration_s,
                  r.exit_code, r.signal);
    text += fields;
    if (requests) {
      std::snprintf(fields, sizeof fields, "\t%u\t%" PRIu64 "\t%u\t", r.cpus, r.mem_bytes, r.gpus);
      text += r.name + fields + (r.cores.empty() ? "-" : r.cores) + '\t' +
              (r.devices.empty() ? "-" : r.devices) + '\t';
    }
    text += r.command;
    text += '\n';
  }
  return text;
}

FarmTally tally(const std::vector<TaskRecord>& sorted_records, std::uint64_t tasks) {
  FarmTally t;
  t.tasks = tasks;
  for (std::size_t i = 0; i < sorted_records.size(); ++i) {
    const TaskRecord& r = sorted_records[i];
    const bool last = i + 1 == sorted_records.size() || sorted_records[i + 1].task != r.task;
    if (!last) continue;
    if (r.succeeded()) {
      ++t.succeeded;
    } else {
      ++t.failed;
      t.failures.push_back(&r);
    }
  }
  t.pending = tasks - std::min(tasks, t.succeeded + t.failed);
  return t;
}

std::string describe_end(const TaskRecord& r) {
  std::string text =
      r.signal ? "signal " + std::to_string(r.signal) : "exit " + std::to_string(r.exit_code);
  if (r.timed_out) text += " (timed out)";
  return text;
}

std::string farm_report(const std::vector<TaskRecord>& sorted_records, std::uint64_t tasks) {
  const FarmTally t = tally(sorted_records, tasks);
  char line[256];
  std::snprintf(line, sizeof line,
                "tasks       %" PRIu64 ": %" PRIu64 " succeeded, %" PRIu64 " failed, %" PRIu64
                " not run (%zu attempts recorded)\n",
                t.tasks, t.succeeded, t.failed, t.pending, sorted_records.size());
  std::string text = line;
  std::vector<const TaskRecord*> slowest;
  for (const TaskRecord& r : sorted_records) slowest.push_back(&r);
  const std::size_t shown = std::min<std::size_t>(slowest.size(), 5);
  std::partial_sort(
      slowest.begin(), slowest.begin() + static_cast<std::ptrdiff_t>(shown), slowest.end(),
      [](const TaskRecord* a, const TaskRecord* b) { return a->duration_s > b->duration_s; });
  for (std::size_t i = 0; i < shown; ++i) {
    const TaskRecord& r = *slowest[i];
    std::snprintf(line, sizeof line, "%s task %" PRIu64 " attempt %u: %.3f s on rank %d (%s), %s\n",
                  i ? "           " : "slowest    ", r.task, r.attempt, r.duration_s, r.rank,
                  r.host.c_str(), describe_end(r).c_str());
    text += line;
  }
  for (std::size_t i = 0; i < t.failures.size(); ++i) {
    const TaskRecord& r = *t.failures[i];
    if (i == 20) {
      text += "            ... " + std::to_string(t.failures.size() - 20) + " more\n";
      break;
    }
    std::snprintf(line, sizeof line, "%s task %" PRIu64 ": %s after %u attempt(s): ",
                  i ? "           " : "failed     ", r.task, describe_end(r).c_str(), r.attempt);
    text += line + r.command.substr(0, 100) + (r.command.size() > 100 ? "..." : "") + "\n";
  }
  return text;
}

}  // namespace shardrun::shapes

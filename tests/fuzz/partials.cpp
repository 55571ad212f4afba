// Every reduce job's partials as the engine meets them from other ranks and
// from a checkpoint: two encoded deltas of the combine tree folded into one
// PartialStore (decode, then combine siblings), then the properties a resume
// relies on: what the store encodes reads back, and the root's encoding
// decodes to the same bytes.
//
// Input: job (one byte, over the built-in reduce jobs), shards (two bytes),
// the length of the first delta (two bytes), the first delta, the second.
#include <memory>
#include <vector>

#include "core/partial_store.hpp"
#include "fuzz_common.hpp"
#include "jobs/builtin.hpp"

namespace {

using namespace shardrun;

std::vector<std::unique_ptr<ReduceJob>> reduce_jobs() {
  std::vector<std::unique_ptr<ReduceJob>> jobs;
  const Registry registry = jobs::builtin_registry();
  for (const JobInfo& info : registry.jobs()) {
    std::unique_ptr<Job> job = info.make();
    if (auto* reduce = dynamic_cast<ReduceJob*>(job.get())) {
      job.release();
      jobs.emplace_back(reduce);
    }
  }
  return jobs;
}

Bytes encode(const Partial& partial) {
  Encoder out;
  partial.encode(out);
  return out.take();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::unique_ptr<ReduceJob>> jobs = reduce_jobs();
  fuzz::Input input(data, size);
  const ReduceJob& job = *jobs[input.byte() % jobs.size()];
  const std::uint64_t shards = 1 + (input.byte() | std::uint64_t{input.byte()} << 8);
  const std::size_t first = input.byte() | std::size_t{input.byte()} << 8;
  const std::span<const std::byte> rest = input.rest_bytes();
  const auto delta_a = rest.first(std::min(first, rest.size()));
  const auto delta_b = rest.subspan(delta_a.size());
  auto decode = [&](Decoder& in) { return job.decode(in); };

  core::PartialStore store(shards);
  bool read = false;
  fuzz::expect_shardrun_errors([&] {
    store.add_encoded(delta_a, decode);
    store.add_encoded(delta_b, decode);
    read = true;
  });
  if (!read) return 0;

  // What a rank sends (or a checkpoint holds) reads back into a fresh store.
  const Bytes whole = store.encode();
  core::PartialStore again(shards);
  try {
    again.add_encoded(whole, decode);
  } catch (const std::exception& e) {
    fuzz::fail(std::string("a store's own encoding does not read back: ") + e.what());
  }
  if (again.encode() != whole) fuzz::fail("a store's encoding changed on the way back");

  // The combined result: its digest is computed from this encoding.
  if (const Partial* root = store.root()) {
    const Bytes bytes = encode(*root);
    Decoder in(bytes);
    PartialPtr back;
    try {
      back = job.decode(in);
    } catch (const std::exception& e) {
      fuzz::fail(std::string("the root's encoding does not decode: ") + e.what());
    }
    if (!in.done()) fuzz::fail("the root's encoding has trailing bytes");
    if (encode(*back) != bytes) fuzz::fail("the root's encoding changed on the way back");
  }
  return 0;
}

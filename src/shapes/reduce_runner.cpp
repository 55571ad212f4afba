#include "shapes/reduce_runner.hpp"

#include <utility>

#include "shardrun/digest.hpp"

namespace shardrun::shapes {
namespace {

struct PartialOutput : core::ShardOutput {
  explicit PartialOutput(PartialPtr p) : partial(std::move(p)) {}
  PartialPtr partial;
};

}  // namespace

std::unique_ptr<core::ShardOutput> ReduceRunner::process(ShardContext& context) {
  return std::make_unique<PartialOutput>(job_.process(context));
}

void ReduceRunner::done(core::ShardOutcome& outcome, io::ResultFile&) {
  auto& out = static_cast<PartialOutput&>(*outcome.output);
  store_.add_leaf(outcome.shard.id, std::move(out.partial));
}

Bytes ReduceRunner::take_delta() {
  Bytes delta = store_.encode();
  store_ = core::PartialStore(shard_count_);
  return delta;
}

void ReduceRunner::add_delta(std::span<const std::byte> delta) {
  store_.add_encoded(delta, [&](Decoder& in) { return job_.decode(in); });
}

JobResult ReduceRunner::finish(io::ResultFile& output) {
  const Partial* result = store_.root();
  if (!result) throw RuntimeError("internal error: shards missing from the reduction");
  JobResult out;
  out.summary = job_.finalize(*result, output);
  Encoder encoded;
  result->encode(encoded);
  const Bytes bytes = encoded.take();
  out.digest = digest_hex(bytes.data(), bytes.size());
  return out;
}

}  // namespace shardrun::shapes

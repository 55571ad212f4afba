// `testjob`: a reduce job over an index range whose result a test can
// predict (the sum of i * i over items), that can be slowed down and made
// to fail in one shard.
#include <chrono>
#include <shardrun/errors.hpp>
#include <shardrun/plugin.hpp>
#include <thread>

namespace {

struct Sum : shardrun::Partial {
  std::uint64_t value = 0;
  void combine(const shardrun::Partial& right) override {
    value += static_cast<const Sum&>(right).value;
  }
  void encode(shardrun::Encoder& out) const override { out.put(value); }
};

class TestJob : public shardrun::ReduceJob {
 public:
  void add_options(shardrun::Options& options) override {
    options.add("--items", items_, "Items 0..N-1").show_default().positive();
    options.add("--ms-per-shard", ms_, "Milliseconds each shard sleeps").non_negative();
    options.add("--fail-shard", fail_shard_, "This shard throws (default: none)");
  }
  std::string parameters() const override { return "items=" + std::to_string(items_); }
  shardrun::DomainSpec domain() const override { return shardrun::IndexDomain{items_, 10}; }
  shardrun::PartialPtr process(shardrun::ShardContext& ctx) const override {
    const shardrun::Shard& shard = ctx.shard();
    if (fail_shard_ >= 0 && shard.id == static_cast<std::uint64_t>(fail_shard_))
      throw shardrun::RuntimeError("testjob: shard " + std::to_string(shard.id) +
                                   " failed on purpose");
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms_));
    auto sum = std::make_unique<Sum>();
    for (std::uint64_t i = shard.begin; i < shard.end; ++i) sum->value += i * i;
    return sum;
  }
  shardrun::PartialPtr decode(shardrun::Decoder& in) const override {
    auto sum = std::make_unique<Sum>();
    sum->value = in.get<std::uint64_t>();
    return sum;
  }
  std::string finalize(const shardrun::Partial& total, shardrun::ResultWriter& out) const override {
    const std::uint64_t value = static_cast<const Sum&>(total).value;
    out.write_scalar("sum", value);
    return "sum " + std::to_string(value);
  }

 private:
  std::uint64_t items_ = 1000;
  double ms_ = 0;
  std::int64_t fail_shard_ = -1;
};

}  // namespace

SHARDRUN_PLUGIN(registry) {
  registry.add({"testjob", "sum of i*i over --items (SDK tests)",
                [] { return std::make_unique<TestJob>(); }, TESTJOB_REVISION});
}

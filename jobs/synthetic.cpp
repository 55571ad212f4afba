#include "synthetic.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace shardrun::jobs {
namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Makes a value observable, so the loop that computed it cannot be dropped.
void keep(std::uint64_t value) { asm volatile("" : : "r"(value) : "memory"); }

double unit(std::uint64_t seed, std::uint64_t item) {  // [0, 1)
  return static_cast<double>(mix(mix(seed) ^ item) >> 11) * 0x1.0p-53;
}

// Exact integer counts: any combine order gives the same bits.
class ChecksumPartial : public Partial {
 public:
  std::uint64_t checksum = 0;  // Σ item_hash, mod 2^64
  std::uint64_t items = 0;
  void combine(const Partial& right) override {
    const auto& r = static_cast<const ChecksumPartial&>(right);
    checksum += r.checksum;
    items += r.items;
  }
  void encode(Encoder& out) const override {
    out.put(checksum);
    out.put(items);
  }
};

}  // namespace

std::uint64_t item_hash(std::uint64_t seed, std::uint64_t item) {
  return mix(seed * 31 + mix(item));
}

std::uint64_t burn(std::uint64_t iterations, std::uint64_t state) {
  for (std::uint64_t i = 0; i < iterations; ++i)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
  return state;
}

CostModel CostModel::parse(const std::string& text, double mean_us, std::uint64_t seed) {
  CostModel m;
  m.mean_us = mean_us;
  m.seed = seed;
  if (text == "uniform") {
    m.kind = Kind::uniform;
  } else if (text == "linear") {
    m.kind = Kind::linear;
  } else if (text == "sorted-desc") {
    m.kind = Kind::sorted_desc;
  } else if (text == "bimodal") {
    m.kind = Kind::bimodal;
  } else if (text.rfind("pareto:", 0) == 0) {
    m.kind = Kind::pareto;
    std::size_t used = 0;
    try {
      m.alpha = std::stod(text.substr(7), &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != text.size() - 7 || !(m.alpha > 1) || !std::isfinite(m.alpha))
      throw UsageError("--cost: pareto needs a shape ALPHA > 1 (pareto:1.5), got '" + text + "'");
  } else {
    throw UsageError(
        "--cost: expected uniform, linear, sorted-desc, bimodal or pareto:ALPHA, got '" + text +
        "'");
  }
  return m;
}

double CostModel::cost_us(std::uint64_t item, std::uint64_t items) const {
  const double position = (static_cast<double>(item) + 0.5) / static_cast<double>(items);
  switch (kind) {
    case Kind::uniform:
      return mean_us;
    case Kind::linear:
      return 2 * mean_us * position;  // rising: the last items cost most
    case Kind::sorted_desc:
      return mean_us * -std::log(position);  // exponential, largest first
    case Kind::bimodal:                      // one item in ten costs ten times more, scattered
      return (unit(seed, item) < 0.1 ? 10.0 : 1.0) * mean_us / 1.9;
    case Kind::pareto: {
      // Gives the mean mean_us; (alpha - 1) / alpha first, so a huge alpha
      // does not overflow mean_us * (alpha - 1) to inf.
      const double scale = mean_us * ((alpha - 1) / alpha);
      return scale * std::pow(1.0 - unit(seed, item), -1.0 / alpha);
    }
  }
  return mean_us;
}

void SyntheticJob::add_options(Options& options) {
  options.add("--items", items_, "Number of items").show_default().positive();
  options
      .add("--cost", cost_,
           "Cost per item: uniform, linear (rising), sorted-desc (exponential, largest "
           "first), bimodal (1 in 10 costs 10x), pareto:ALPHA (heavy tail)")
      .show_default();
  options.add("--mean-us", mean_us_, "Mean CPU time per item, microseconds")
      .show_default()
      .non_negative();
  options.add("--seed", seed_, "Seed of the checksum and of random costs").show_default();
  options.add("--slow-rank", slow_ranks_,
              "R:FACTOR makes rank R's items FACTOR times slower (a slow node); repeatable");
}

std::string SyntheticJob::parameters() const {
  std::string p = "items=" + std::to_string(items_) + ";cost=" + cost_ +
                  ";mean_us=" + std::to_string(mean_us_) + ";seed=" + std::to_string(seed_);
  for (const std::string& s : slow_ranks_) p += ";slow_rank=" + s;
  return p;
}

DomainSpec SyntheticJob::domain() const {
  CostModel::parse(cost_, mean_us_, seed_);  // validate before any work
  return IndexDomain{items_, std::max<std::uint64_t>(1, (items_ + 4095) / 4096)};
}

void SyntheticJob::setup_rank(int rank, int ranks) {
  model_ = CostModel::parse(cost_, mean_us_, seed_);
  double factor = 1;
  for (const std::string& spec : slow_ranks_) {
    const auto colon = spec.find(':');
    int r = -1;
    double f = 0;
    try {
      std::size_t used_r = 0, used_f = 0;
      r = std::stoi(spec.substr(0, colon), &used_r);
      f = std::stod(spec.substr(colon + 1), &used_f);
      if (colon == std::string::npos || used_r != colon || used_f != spec.size() - colon - 1)
        r = -1;
    } catch (...) {
      r = -1;
    }
    if (r < 0 || !(f > 0) || !std::isfinite(f))
      throw UsageError("--slow-rank: expected RANK:FACTOR with FACTOR > 0, got '" + spec + "'");
    if (r >= ranks)
      throw UsageError("--slow-rank: rank " + std::to_string(r) + " does not exist (" +
                       std::to_string(ranks) + " ranks)");
    if (r == rank) factor *= f;
  }
  // Calibrate: the fastest of a few timed runs of the burn loop.
  const std::uint64_t probe = 1 << 20;
  double best = 1e30;
  std::uint64_t state = 1;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    state = burn(probe, state);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, us);
  }
  keep(state);
  iterations_per_us_ = static_cast<double>(probe) / best * factor;
}

double SyntheticJob::work(const Shard& shard) const {
  double us = 0;
  for (std::uint64_t item = shard.begin; item < shard.end; ++item)
    us += model_.cost_us(item, items_);
  return us;
}

PartialPtr SyntheticJob::process(ShardContext& ctx) const {
  auto partial = std::make_unique<ChecksumPartial>();
  std::uint64_t state = ctx.shard().begin;
  for (std::uint64_t item = ctx.shard().begin; item < ctx.shard().end; ++item) {
    const double us = model_.cost_us(item, items_);
    state = burn(static_cast<std::uint64_t>(us * iterations_per_us_), state);
    partial->checksum += item_hash(seed_, item);
    partial->items += 1;
  }
  keep(state);
  return partial;
}

PartialPtr SyntheticJob::decode(Decoder& in) const {
  auto partial = std::make_unique<ChecksumPartial>();
  partial->checksum = in.get<std::uint64_t>();
  partial->items = in.get<std::uint64_t>();
  return partial;
}

std::string SyntheticJob::finalize(const Partial& total, ResultWriter& out) const {
  const auto& p = static_cast<const ChecksumPartial&>(total);
  out.write_scalar<std::uint64_t>("checksum", p.checksum);
  out.write_scalar<std::uint64_t>("items", p.items);
  char line[120];
  std::snprintf(line, sizeof line, "%llu items, checksum %016llx",
                static_cast<unsigned long long>(p.items),
                static_cast<unsigned long long>(p.checksum));
  return line;
}

}  // namespace shardrun::jobs

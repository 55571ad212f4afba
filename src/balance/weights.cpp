#include "balance/weights.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <queue>
#include <sstream>

#include "shardrun/errors.hpp"

namespace shardrun::balance {

std::vector<double> parse_weights(const std::string& text, int ranks) {
  std::string list = text;
  std::error_code ec;
  if (std::filesystem::is_regular_file(text, ec)) {
    std::ifstream in(text);
    std::stringstream all;
    all << in.rdbuf();
    if (!in) throw UsageError("--weights: cannot read " + text);
    list = all.str();
  }
  for (char& c : list)
    if (c == ',' || c == '\n' || c == '\t' || c == '\r') c = ' ';
  std::istringstream in(list);
  std::vector<double> weights;
  std::string token;
  while (in >> token) {
    std::size_t used = 0;
    double w = 0;
    try {
      w = std::stod(token, &used);
    } catch (...) {
      used = 0;
    }
    if (used != token.size() || !std::isfinite(w) || w <= 0)
      throw UsageError("--weights: '" + token + "' is not a positive number (in '" + text + "')");
    weights.push_back(w);
  }
  if (weights.size() != static_cast<std::size_t>(ranks))
    throw UsageError("--weights: " + std::to_string(weights.size()) + " weight(s) for " +
                     std::to_string(ranks) + " rank(s) ('" + text + "')");
  return weights;
}

core::ShardRange weighted_block(std::uint64_t shard_count, std::span<const double> weights,
                                int rank, int ranks) {
  auto start = [&](int r) -> std::uint64_t {
    if (r >= ranks) return shard_count;
    if (weights.empty())
      return static_cast<std::uint64_t>(static_cast<long double>(shard_count) * r / ranks);
    const long double before = std::accumulate(weights.begin(), weights.begin() + r, 0.0L);
    const long double total = std::accumulate(weights.begin(), weights.end(), 0.0L);
    return std::min(shard_count, static_cast<std::uint64_t>(shard_count * before / total));
  };
  return {start(rank), start(rank + 1)};
}

std::vector<std::uint64_t> interleaved_order(std::uint64_t shard_count,
                                             std::span<const double> weights, int ranks) {
  std::vector<core::ShardRange> blocks;
  for (int r = 0; r < ranks; ++r) blocks.push_back(weighted_block(shard_count, weights, r, ranks));
  // (fraction of its block taken once the next entry is, rank): smallest first.
  using Next = std::pair<double, int>;
  std::priority_queue<Next, std::vector<Next>, std::greater<>> next;
  std::vector<std::uint64_t> taken(blocks.size(), 0);
  for (int r = 0; r < ranks; ++r)
    if (!blocks[r].empty()) next.emplace(1.0 / static_cast<double>(blocks[r].size()), r);
  std::vector<std::uint64_t> order(shard_count);
  for (std::uint64_t entry = 0; entry < shard_count; ++entry) {
    const int r = next.top().second;
    next.pop();
    order[blocks[r].begin + taken[r]] = entry;
    if (++taken[r] < blocks[r].size())
      next.emplace(static_cast<double>(taken[r] + 1) / static_cast<double>(blocks[r].size()), r);
  }
  return order;
}

}  // namespace shardrun::balance

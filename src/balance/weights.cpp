#include "balance/weights.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
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

}  // namespace shardrun::balance

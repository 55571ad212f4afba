// The `wordcount` job: how often each word occurs in a set of text files.
// Words are maximal runs of bytes that are not ASCII whitespace. The domain
// is the files' bytes; a shard counts the lines that start in its range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/text_files.hpp"
#include "shardrun/job.hpp"

namespace shardrun::jobs {

// Word counts sorted by word: merging two is linear, and the encoding (and
// so the result's digest) does not depend on how shards were grouped.
class WordCounts : public Partial {
 public:
  using Entry = std::pair<std::string, std::uint64_t>;
  explicit WordCounts(std::vector<Entry> sorted) : entries_(std::move(sorted)) {}
  void combine(const Partial& right) override;
  void encode(Encoder& out) const override;
  static std::unique_ptr<WordCounts> decode(Decoder& in);
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Counts the words of `text` into a partial (exposed for tests).
std::vector<WordCounts::Entry> count_words(std::string_view text);

class WordcountJob : public ReduceJob {
 public:
  void add_options(CLI::App& app) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  PartialPtr process(ShardContext& ctx) const override;
  PartialPtr decode(Decoder& in) const override;
  std::string finalize(const Partial& total, ResultWriter& out) const override;

 private:
  const io::TextFiles& files() const;

  std::vector<std::string> inputs_;
  std::size_t top_ = 10;
  mutable std::optional<io::TextFiles> files_;  // listed by domain()
};

}  // namespace shardrun::jobs

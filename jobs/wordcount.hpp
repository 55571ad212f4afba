// The `wordcount` job: how often each word occurs in a set of text files.
// Words are maximal runs of bytes that are not ASCII whitespace. The domain
// is the files' bytes; a shard counts the lines that start in its range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardrun/job.hpp"
#include "shardrun/text_files.hpp"

namespace shardrun::jobs {

// Word counts in an open-addressing hash table whose keys live in one byte
// arena: no allocation per word. Combining adds the right table into the
// left; the encoding lists words in byte order, so it (and the result's
// digest) does not depend on how shards were grouped.
class WordCounts : public Partial {
 public:
  using Entry = std::pair<std::string, std::uint64_t>;
  WordCounts();
  // Counts the words of text: maximal runs of bytes other than ASCII whitespace.
  void count(std::string_view text);
  void add(std::string_view word, std::uint64_t n);
  void combine(const Partial& right) override;
  void encode(Encoder& out) const override;
  static std::unique_ptr<WordCounts> decode(Decoder& in);
  std::size_t size() const { return used_; }
  // Every (word, count), by word.
  std::vector<Entry> sorted_entries() const;

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t offset = 0;  // of the word in arena_
    std::uint32_t length = 0;
    std::uint64_t count = 0;  // 0: empty slot
  };
  void grow();
  std::vector<std::size_t> filled_by_word() const;
  std::string_view word(const Slot& slot) const {
    return {arena_.data() + slot.offset, slot.length};
  }

  std::vector<Slot> slots_;
  std::string arena_;
  std::size_t used_ = 0;
};

class WordcountJob : public ReduceJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  PartialPtr process(ShardContext& ctx) const override;
  PartialPtr decode(Decoder& in) const override;
  std::string finalize(const Partial& total, ResultWriter& out) const override;

 private:
  const TextFiles& files() const;

  std::vector<std::string> inputs_;
  std::size_t top_ = 10;
  mutable std::optional<TextFiles> files_;  // listed by domain()
};

}  // namespace shardrun::jobs

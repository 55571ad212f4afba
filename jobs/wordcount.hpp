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

// Word counts in an open-addressing hash table built for counting: a slot
// holds a word's first 16 bytes (the whole of a short word; a longer one is
// in a byte arena too), its length and its count, so a lookup touches one
// 32-byte slot and compares two 8-byte numbers instead of calling memcmp. A word's home slot is
// the top bits of its hash, so the slots hold words in hash order but for a few neighbours: the
// encoding lists words by hash (then by bytes), an order that depends on the words alone (so it,
// and the result's digest, does not depend on how shards were grouped) and costs little to sort;
// decoding and combining then insert into the table front to back. Combining adds the right
// table into the left.
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
  // Room for `words` distinct words without growing.
  void reserve(std::size_t words);
  std::size_t size() const { return used_; }
  // Every (word, count), by word.
  std::vector<Entry> sorted_entries() const;
  // Every (word, count), by count descending, then by word.
  std::vector<Entry> by_count() const;

  // A word's first 16 bytes, zero-padded: with its length, the whole of a
  // short word.
  struct Key {
    std::uint64_t lo = 0, hi = 0;
    bool operator==(const Key&) const = default;
  };

 private:
  struct Word {
    Key key;
    std::uint64_t count = 0;
    std::uint32_t length = 0;  // 0: an empty slot
    std::uint32_t offset = 0;  // in arena_, for a word longer than 16 bytes
  };
  static_assert(sizeof(Word) == 32);
  void add(Key key, std::string_view word, std::uint64_t n);
  void add(Key key, std::string_view word, std::uint64_t n, std::uint64_t hash);
  template <class Next>
  void add_all(Next next);
  void rehash(std::size_t slots);
  template <std::size_t N, class KeyOf>
  std::vector<std::size_t> sorted_slots(KeyOf key_of) const;
  std::vector<std::size_t> by_hash() const;
  std::size_t home(std::uint64_t hash) const { return static_cast<std::size_t>(hash >> shift_); }
  std::string_view word(const Word& w) const;

  std::vector<Word> slots_;  // at most 3/4 full, a power of two
  int shift_;                // 64 - log2(slots_.size())
  std::size_t used_ = 0;
  std::string arena_;
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

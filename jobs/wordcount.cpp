#include "wordcount.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <limits>

#include "shardrun/digest.hpp"

namespace shardrun::jobs {
namespace {

// ASCII whitespace: space, \t, \n, \v, \f, \r.
constexpr std::array<bool, 256> kSpace = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {' ', '\t', '\n', '\v', '\f', '\r'}) t[c] = true;
  return t;
}();

bool is_space(char c) { return kSpace[static_cast<unsigned char>(c)]; }

// A fast 64-bit hash of a short byte string, 8 bytes at a time.
std::uint64_t hash_word(std::string_view w) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ w.size();
  std::size_t i = 0;
  for (; i + 8 <= w.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, w.data() + i, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, w.data() + i, w.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

}  // namespace

WordCounts::WordCounts() : slots_(1024) {}

void WordCounts::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.count) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].count) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void WordCounts::add(std::string_view w, std::uint64_t n) {
  if ((used_ + 1) * 4 > slots_.size() * 3) grow();  // load factor 3/4
  const std::uint64_t h = hash_word(w);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (!s.count) {
      s = {h, arena_.size(), static_cast<std::uint32_t>(w.size()), n};
      arena_.append(w);
      ++used_;
      return;
    }
    if (s.hash == h && s.length == w.size() &&
        std::memcmp(arena_.data() + s.offset, w.data(), w.size()) == 0) {
      // A count of 0 marks an empty slot: a sum that wraps would drop the word.
      if (s.count + n < s.count) throw RuntimeError("wordcount: a count overflows 64 bits");
      s.count += n;
      return;
    }
  }
}

void WordCounts::count(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  for (;;) {
    while (p < end && is_space(*p)) ++p;
    if (p == end) return;
    const char* start = p;
    while (p < end && !is_space(*p)) ++p;
    if (p - start > std::numeric_limits<std::uint32_t>::max())
      throw RuntimeError("wordcount: a word longer than 4 GiB");
    add(std::string_view(start, static_cast<std::size_t>(p - start)), 1);
  }
}

void WordCounts::combine(const Partial& right) {
  const auto& other = static_cast<const WordCounts&>(right);
  for (const Slot& s : other.slots_)
    if (s.count) add(other.word(s), s.count);
}

std::vector<std::size_t> WordCounts::filled_by_word() const {
  std::vector<std::size_t> order;
  order.reserve(used_);
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].count) order.push_back(i);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return word(slots_[a]) < word(slots_[b]); });
  return order;
}

std::vector<WordCounts::Entry> WordCounts::sorted_entries() const {
  std::vector<Entry> entries;
  entries.reserve(used_);
  for (std::size_t i : filled_by_word())
    entries.emplace_back(std::string(word(slots_[i])), slots_[i].count);
  return entries;
}

void WordCounts::encode(Encoder& out) const {
  out.put<std::uint64_t>(used_);
  for (std::size_t i : filled_by_word()) {
    const Slot& s = slots_[i];
    out.put<std::uint32_t>(s.length);
    out.put_bytes(arena_.data() + s.offset, s.length);
    out.put(s.count);
  }
}

std::unique_ptr<WordCounts> WordCounts::decode(Decoder& in) {
  auto counts = std::make_unique<WordCounts>();
  const auto n = in.get<std::uint64_t>();
  std::string w;
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto length = in.get<std::uint32_t>();
    if (length > in.remaining()) throw RuntimeError("corrupt partial: truncated encoding");
    w.resize(length);
    in.get_bytes(w.data(), w.size());
    const auto count = in.get<std::uint64_t>();
    // add(w, 0) would fill a slot that looks empty: the table miscounts.
    if (count == 0) throw RuntimeError("corrupt partial: a word counted 0 times");
    counts->add(w, count);
  }
  return counts;
}

void WordcountJob::add_options(Options& options) {
  options
      .add("--input", inputs_,
           "Text files or directories (their files, recursively, in name order)")
      .required();
  options.add("--top", top_, "How many of the most frequent words to print").show_default();
  options.footer(
      "Words are maximal runs of bytes other than ASCII whitespace (space, tab, CR, LF, VT, FF). "
      "Results: /words (strings) and /counts (uint64), by count descending, then word. Shards are "
      "byte ranges of the files (default 4 MiB); a shard counts the lines that start in it.");
}

const TextFiles& WordcountJob::files() const {
  if (!files_) files_.emplace(inputs_, "--input");
  return *files_;
}

std::string WordcountJob::parameters() const {
  // The files' names, sizes and times: a resume refuses changed input.
  std::string identity;
  for (const TextFile& f : files().files())
    identity += f.path + '\0' + std::to_string(f.bytes) + '\0' + std::to_string(f.mtime_ns) + '\n';
  return "files=" + std::to_string(files().files().size()) +
         " bytes=" + std::to_string(files().bytes()) +
         " identity=" + digest_hex(identity.data(), identity.size());
}

DomainSpec WordcountJob::domain() const { return IndexDomain{files().bytes(), 4ull << 20, 1.0}; }

PartialPtr WordcountJob::process(ShardContext& ctx) const {
  auto counts = std::make_unique<WordCounts>();
  const Shard& shard = ctx.shard();
  files().for_each_block(shard.begin, shard.end,
                         [&](std::string_view block) { counts->count(block); });
  return counts;
}

PartialPtr WordcountJob::decode(Decoder& in) const { return WordCounts::decode(in); }

std::string WordcountJob::finalize(const Partial& total, ResultWriter& out) const {
  std::vector<WordCounts::Entry> entries = static_cast<const WordCounts&>(total).sorted_entries();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> words;
  std::vector<std::uint64_t> counts;
  std::uint64_t all = 0;
  words.reserve(entries.size());
  counts.reserve(entries.size());
  for (auto& [word, count] : entries) {
    all += count;
    words.push_back(std::move(word));
    counts.push_back(count);
  }
  out.write_strings("words", words);
  out.write<std::uint64_t>("counts", counts, {counts.size()});
  out.write_scalar<std::uint64_t>("total_words", all);
  for (std::size_t i = 0; i < top_ && i < words.size(); ++i)
    std::printf("%12llu  %s\n", static_cast<unsigned long long>(counts[i]), words[i].c_str());
  return std::to_string(all) + " words, " + std::to_string(words.size()) + " distinct";
}

}  // namespace shardrun::jobs

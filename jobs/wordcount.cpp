#include "wordcount.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Bit i set when byte i of the 16 at p is ASCII whitespace.
unsigned space_mask16(const char* p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i blank = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('\t'));  // \t \n \v \f \r: 0..4
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d);
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(blank, control)));
#else
  unsigned mask = 0;
  for (unsigned i = 0; i < 16; ++i) mask |= unsigned{is_space(p[i])} << i;
  return mask;
#endif
}

const char* skip_spaces(const char* p, const char* end) {
  for (; end - p >= 16; p += 16)
    if (const unsigned word = ~space_mask16(p) & 0xffffu) return p + std::countr_zero(word);
  while (p < end && is_space(*p)) ++p;
  return p;
}

using Key = WordCounts::Key;

Key key_of(std::string_view w) {
  Key key;
  std::memcpy(&key, w.data(), std::min<std::size_t>(w.size(), sizeof key));
  return key;
}

// The low `bytes` bytes (0..8) of a little-endian word.
std::uint64_t low_bytes(std::uint64_t v, std::size_t bytes) {
  return bytes >= 8 ? v : v & ((std::uint64_t{1} << (8 * bytes)) - 1);
}

std::uint64_t hash_of(Key key, std::string_view w) {
  std::uint64_t h = (key.lo ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (key.hi + w.size())) * 0x94D049BB133111EBull;
  for (std::size_t i = sizeof key; i < w.size(); i += 8) {  // the rest of a long word
    std::uint64_t v = 0;
    std::memcpy(&v, w.data() + i, std::min<std::size_t>(8, w.size() - i));
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  h ^= h >> 29;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

// A word's first 8 bytes as a number that orders like the bytes.
std::uint64_t in_byte_order(std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
  return v;
}

}  // namespace

WordCounts::WordCounts() : slots_(1024), shift_(64 - 10) {}

std::string_view WordCounts::word(const Word& w) const {
  if (w.length <= sizeof(Key)) return {reinterpret_cast<const char*>(&w.key), w.length};
  return {arena_.data() + w.offset, w.length};
}

void WordCounts::rehash(std::size_t slots) {
  std::vector<Word> old(slots);
  old.swap(slots_);
  shift_ = 64 - std::countr_zero(slots);
  const std::size_t mask = slots - 1;
  for (const Word& w : old) {  // in hash order, nearly: the new slots fill front to back
    if (!w.length) continue;
    std::size_t i = home(hash_of(w.key, word(w)));
    while (slots_[i].length) i = (i + 1) & mask;
    slots_[i] = w;
  }
}

void WordCounts::reserve(std::size_t words) {
  if (4 * words > 3 * slots_.size()) rehash(std::bit_ceil(4 * words / 3 + 1));
}

void WordCounts::add(std::string_view w, std::uint64_t n) {
  if (w.empty()) throw RuntimeError("wordcount: an empty word");
  add(key_of(w), w, n);
}

void WordCounts::add(Key key, std::string_view w, std::uint64_t n) {
  add(key, w, n, hash_of(key, w));
}

void WordCounts::add(Key key, std::string_view w, std::uint64_t n, std::uint64_t hash) {
  if (4 * (used_ + 1) > 3 * slots_.size()) rehash(2 * slots_.size());
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(hash);; i = (i + 1) & mask) {
    Word& s = slots_[i];
    if (!s.length) {
      s = {key, n, static_cast<std::uint32_t>(w.size()), 0};
      if (w.size() > sizeof(Key)) {
        if (arena_.size() + w.size() > std::numeric_limits<std::uint32_t>::max())
          throw RuntimeError("wordcount: more than 4 GiB of distinct long words in one table");
        s.offset = static_cast<std::uint32_t>(arena_.size());
        arena_.append(w);
      }
      ++used_;
      return;
    }
    if (s.key == key && s.length == w.size() && (w.size() <= sizeof(Key) || word(s) == w)) {
      if (s.count + n < s.count) throw RuntimeError("wordcount: a count overflows 64 bits");
      s.count += n;
      return;
    }
  }
}

// A word's slot is looked up kAhead words after its hash is known and the
// slot prefetched: the table is larger than the L2 cache, and the lookups of
// the next words overlap instead of waiting one by one. `next(key, word, n)`
// gives the words, false when there are no more.
template <class Next>
void WordCounts::add_all(Next next) {
  constexpr unsigned kAhead = 8;
  struct Pending {
    Key key;
    std::string_view word;
    std::uint64_t n, hash;
  };
  Pending ahead[kAhead];
  unsigned oldest = 0, pending = 0;
  Key key;
  std::string_view w;
  std::uint64_t n = 0;
  while (next(key, w, n)) {
    const std::uint64_t h = hash_of(key, w);
    __builtin_prefetch(&slots_[home(h)]);
    Pending& slot = ahead[oldest];
    if (pending == kAhead)
      add(slot.key, slot.word, slot.n, slot.hash);
    else
      ++pending;
    slot = {key, w, n, h};
    oldest = (oldest + 1) % kAhead;
  }
  for (unsigned k = 0; k < pending; ++k) {  // the oldest first
    const Pending& slot = ahead[(oldest + kAhead - pending + k) % kAhead];
    add(slot.key, slot.word, slot.n, slot.hash);
  }
}

void WordCounts::count(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  add_all([&](Key& key, std::string_view& w, std::uint64_t& n) {
    p = skip_spaces(p, end);
    if (p == end) return false;
    n = 1;
    unsigned spaces = 0;
    if (end - p >= 16) spaces = space_mask16(p);
    if (spaces) {  // a word of at most 15 bytes: its key from one 16-byte load
      const auto length = static_cast<std::size_t>(std::countr_zero(spaces));
      std::memcpy(&key, p, sizeof key);
      key.lo = low_bytes(key.lo, length);
      key.hi = length > 8 ? low_bytes(key.hi, length - 8) : 0;
      w = {p, length};
      p += length;
      return true;
    }
    const char* start = p;  // a longer word, or one near the end of the text
    while (p < end && !is_space(*p)) ++p;
    if (p - start > std::numeric_limits<std::uint32_t>::max())
      throw RuntimeError("wordcount: a word longer than 4 GiB");
    w = {start, static_cast<std::size_t>(p - start)};
    key = key_of(w);
    return true;
  });
}

void WordCounts::combine(const Partial& right) {
  const auto& other = static_cast<const WordCounts&>(right);
  reserve(std::max(used_, other.used_));
  std::size_t i = 0;
  add_all([&](Key& key, std::string_view& w, std::uint64_t& n) {
    while (i < other.slots_.size() && !other.slots_[i].length) ++i;
    if (i == other.slots_.size()) return false;
    const Word& from = other.slots_[i++];
    key = from.key;
    w = other.word(from);
    n = from.count;
    return true;
  });
}

// The occupied slots sorted by numbers `key_of(word)` gives (an array of
// uint64), as numbers: contiguous, no pointer chasing; only words whose
// numbers are equal are compared whole.
template <std::size_t N, class KeyOf>
std::vector<std::size_t> WordCounts::sorted_slots(KeyOf key_of) const {
  struct Sortable {
    std::array<std::uint64_t, N> key;
    std::size_t slot;
  };
  std::vector<Sortable> order;
  order.reserve(used_);
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].length) order.push_back({key_of(slots_[i]), i});
  std::sort(order.begin(), order.end(), [&](const Sortable& a, const Sortable& b) {
    if (a.key != b.key) return a.key < b.key;
    return word(slots_[a.slot]) < word(slots_[b.slot]);
  });
  std::vector<std::size_t> slots(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) slots[k] = order[k].slot;
  return slots;
}

std::vector<WordCounts::Entry> WordCounts::sorted_entries() const {
  std::vector<Entry> entries;
  entries.reserve(used_);
  for (std::size_t i : sorted_slots<2>([](const Word& w) {
         return std::array{in_byte_order(w.key.lo), in_byte_order(w.key.hi)};
       }))
    entries.emplace_back(std::string(word(slots_[i])), slots_[i].count);
  return entries;
}

std::vector<WordCounts::Entry> WordCounts::by_count() const {
  std::vector<Entry> entries;
  entries.reserve(used_);
  for (std::size_t i : sorted_slots<3>([](const Word& w) {
         return std::array{~w.count, in_byte_order(w.key.lo), in_byte_order(w.key.hi)};
       }))
    entries.emplace_back(std::string(word(slots_[i])), slots_[i].count);
  return entries;
}

// A word lies at its home slot or just after it, and homes rise with the
// hash: the slots are in this order but for a few neighbours (and the words
// that wrapped past the end), so the sort has little to do.
std::vector<std::size_t> WordCounts::by_hash() const {
  return sorted_slots<1>([&](const Word& w) { return std::array{hash_of(w.key, word(w))}; });
}

void WordCounts::encode(Encoder& out) const {
  out.reserve(8 + used_ * (12 + sizeof(Key)) + arena_.size());
  out.put<std::uint64_t>(used_);
  for (std::size_t i : by_hash()) {
    const Word& w = slots_[i];
    out.put<std::uint32_t>(w.length);
    const std::string_view bytes = word(w);
    out.put_bytes(bytes.data(), bytes.size());
    out.put(w.count);
  }
}

std::unique_ptr<WordCounts> WordCounts::decode(Decoder& in) {
  auto counts = std::make_unique<WordCounts>();
  const auto n = in.get<std::uint64_t>();
  // Each word takes at least 12 bytes: a corrupt count cannot reserve much.
  counts->reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, in.remaining() / 12)));
  std::uint64_t k = 0;
  counts->add_all([&](Key& key, std::string_view& w, std::uint64_t& count) {
    if (k++ == n) return false;
    const auto bytes = in.view(in.get<std::uint32_t>());
    // A length of 0 marks an empty slot: an empty word would miscount the table.
    if (bytes.empty()) throw RuntimeError("corrupt partial: an empty word");
    w = {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    key = key_of(w);
    count = in.get<std::uint64_t>();
    if (count == 0) throw RuntimeError("corrupt partial: a word counted 0 times");
    return true;
  });
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
      "byte ranges of the files (default 16 MiB); a shard counts the lines that start in it.");
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

// 16 MiB shards: a shard's table then meets most of the vocabulary it will
// see, and fewer tables are added up the shard tree (on a 400 MB Zipf corpus
// at 2 ranks, 0.85-0.93 s against 1.08-1.10 s with 4 MiB shards).
DomainSpec WordcountJob::domain() const { return IndexDomain{files().bytes(), 16ull << 20, 1.0}; }

PartialPtr WordcountJob::process(ShardContext& ctx) const {
  // Sized for as many words as this thread's last shard had: the table does
  // not grow (rehash) again and again while it counts. Only speed depends on it.
  thread_local std::size_t last_words = 0;
  auto counts = std::make_unique<WordCounts>();
  counts->reserve(last_words);
  const Shard& shard = ctx.shard();
  files().for_each_block(shard.begin, shard.end,
                         [&](std::string_view block) { counts->count(block); });
  last_words = counts->size();
  return counts;
}

PartialPtr WordcountJob::decode(Decoder& in) const { return WordCounts::decode(in); }

std::string WordcountJob::finalize(const Partial& total, ResultWriter& out) const {
  std::vector<WordCounts::Entry> entries = static_cast<const WordCounts&>(total).by_count();
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

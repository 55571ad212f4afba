#include "wordcount.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "report/run_record.hpp"

namespace shardrun::jobs {
namespace {

// Hash and equality that take std::string and std::string_view alike, so a
// lookup never builds a string.
struct WordHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CountMap = std::unordered_map<std::string, std::uint64_t, WordHash, std::equal_to<>>;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

void count_into(std::string_view text, CountMap& counts) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    while (p < end && is_space(*p)) ++p;
    const char* word = p;
    while (p < end && !is_space(*p)) ++p;
    if (p == word) break;
    const std::string_view w(word, static_cast<std::size_t>(p - word));
    if (auto it = counts.find(w); it != counts.end())
      ++it->second;
    else
      counts.emplace(std::string(w), 1);
  }
}

std::vector<WordCounts::Entry> sorted_entries(CountMap&& counts) {
  std::vector<WordCounts::Entry> entries;
  entries.reserve(counts.size());
  for (auto& node : counts) entries.emplace_back(node.first, node.second);
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace

void WordCounts::combine(const Partial& right) {
  const auto& other = static_cast<const WordCounts&>(right).entries_;
  std::vector<Entry> merged;
  merged.reserve(entries_.size() + other.size());
  auto a = entries_.begin();
  auto b = other.begin();
  while (a != entries_.end() || b != other.end()) {
    if (b == other.end() || (a != entries_.end() && a->first < b->first)) {
      merged.push_back(std::move(*a++));
    } else if (a == entries_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(std::move(a->first), a->second + b->second);
      ++a, ++b;
    }
  }
  entries_ = std::move(merged);
}

void WordCounts::encode(Encoder& out) const {
  out.put<std::uint64_t>(entries_.size());
  for (const Entry& e : entries_) {
    out.put<std::uint32_t>(static_cast<std::uint32_t>(e.first.size()));
    out.put_bytes(e.first.data(), e.first.size());
    out.put(e.second);
  }
}

std::unique_ptr<WordCounts> WordCounts::decode(Decoder& in) {
  std::vector<Entry> entries(in.get<std::uint64_t>());
  for (Entry& e : entries) {
    e.first.resize(in.get<std::uint32_t>());
    in.get_bytes(e.first.data(), e.first.size());
    e.second = in.get<std::uint64_t>();
  }
  return std::make_unique<WordCounts>(std::move(entries));
}

std::vector<WordCounts::Entry> count_words(std::string_view text) {
  CountMap counts;
  count_into(text, counts);
  return sorted_entries(std::move(counts));
}

void WordcountJob::add_options(CLI::App& app) {
  app.add_option("--input", inputs_,
                 "Text files or directories (their files, recursively, in name order)")
      ->required();
  app.add_option("--top", top_, "How many of the most frequent words to print")
      ->capture_default_str();
  app.footer(
      "Words are maximal runs of bytes other than ASCII whitespace (space, tab, CR, LF, VT, FF). "
      "Results: /words (strings) and /counts (uint64), by count descending, then word. Shards are "
      "byte ranges of the files (default 4 MiB); a shard counts the lines that start in it.");
}

const io::TextFiles& WordcountJob::files() const {
  if (!files_) files_.emplace(inputs_, "--input");
  return *files_;
}

std::string WordcountJob::parameters() const {
  // The files' names, sizes and times: a resume refuses changed input.
  std::string identity;
  for (const io::TextFile& f : files().files())
    identity += f.path + '\0' + std::to_string(f.bytes) + '\0' + std::to_string(f.mtime_ns) + '\n';
  return "files=" + std::to_string(files().files().size()) +
         " bytes=" + std::to_string(files().bytes()) +
         " identity=" + digest_hex(identity.data(), identity.size());
}

DomainSpec WordcountJob::domain() const { return IndexDomain{files().bytes(), 4ull << 20, 1.0}; }

PartialPtr WordcountJob::process(ShardContext& ctx) const {
  CountMap counts;
  const Shard& shard = ctx.shard();
  files().for_each_block(shard.begin, shard.end,
                         [&](std::string_view block) { count_into(block, counts); });
  return std::make_unique<WordCounts>(sorted_entries(std::move(counts)));
}

PartialPtr WordcountJob::decode(Decoder& in) const { return WordCounts::decode(in); }

std::string WordcountJob::finalize(const Partial& total, ResultWriter& out) const {
  std::vector<WordCounts::Entry> entries = static_cast<const WordCounts&>(total).entries();
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

// Text domains: cutting the files' bytes into any ranges gives every line to
// exactly one range, and the words counted are those of the whole text.
#include "shardrun/text_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "jobs/wordcount.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_range(const TextFiles& files, std::uint64_t begin, std::uint64_t end) {
  std::string out;
  files.for_each_block(begin, end, [&](std::string_view block) {
    EXPECT_FALSE(block.empty());
    out += block;
  });
  return out;
}

TEST(TextFiles, EveryCutGivesEachLineToOneRange) {
  const std::string a = "one two\n\nthree\nfour five six\n", b = "x\nno newline at the end";
  const TextFiles files({write_file("tf_a.txt", a), write_file("tf_b.txt", b)}, "--input");
  ASSERT_EQ(files.bytes(), a.size() + b.size());
  for (std::uint64_t step = 1; step <= files.bytes(); ++step) {
    std::string all;
    for (std::uint64_t begin = 0; begin < files.bytes(); begin += step)
      all += read_range(files, begin, std::min(begin + step, files.bytes()));
    ASSERT_EQ(all, a + b) << "ranges of " << step << " bytes";
  }
}

TEST(TextFiles, LinesLongerThanABlockComeWhole) {
  const std::string long_line(TextFiles::kBlockBytes * 2 + 17, 'w');
  const std::string text = "short\n" + long_line + "\nend\n";
  const TextFiles files({write_file("tf_long.txt", text)}, "--input");
  const std::uint64_t cut = 6 + TextFiles::kBlockBytes;  // inside the long line
  EXPECT_EQ(read_range(files, 0, cut), "short\n" + long_line + "\n");
  EXPECT_EQ(read_range(files, cut, files.bytes()), "end\n");
}

TEST(TextFiles, MissingAndEmptyInputsAreUsageErrors) {
  EXPECT_THROW(TextFiles({testing::TempDir() + "no-such-file.txt"}, "--input"), UsageError);
  EXPECT_THROW(TextFiles({write_file("tf_empty.txt", "")}, "--input"), UsageError);
}

TEST(Wordcount, CountsRunsOfNonWhitespaceAndMerges) {
  using Entries = std::vector<jobs::WordCounts::Entry>;
  jobs::WordCounts one;
  one.count(" a\tb  a\r\nc\vb\fa ");
  EXPECT_EQ(one.sorted_entries(), (Entries{{"a", 3}, {"b", 2}, {"c", 1}}));
  jobs::WordCounts left, right;
  left.count("b d d");
  right.count("a d e");
  left.combine(right);
  const Entries expect = {{"a", 1}, {"b", 1}, {"d", 3}, {"e", 1}};
  EXPECT_EQ(left.sorted_entries(), expect);
  Encoder out;
  left.encode(out);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_EQ(jobs::WordCounts::decode(in)->sorted_entries(), expect);
}

// Found by tests/fuzz/partials: a decoded word counted 0 times (or counts
// that wrap to 0 when combined) filled a slot that looked empty, so the
// table's size and its encoding disagreed and the encoding did not read back.
TEST(Wordcount, ZeroAndWrappingCountsAreRefused) {
  Encoder out;
  out.put<std::uint64_t>(1);
  out.put<std::uint32_t>(1);
  out.put_bytes("w", 1);
  out.put<std::uint64_t>(0);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_THROW(jobs::WordCounts::decode(in), RuntimeError);

  jobs::WordCounts counts;
  counts.add("w", ~std::uint64_t{0});
  EXPECT_THROW(counts.add("w", 1), RuntimeError);
  EXPECT_EQ(counts.sorted_entries(),
            (std::vector<jobs::WordCounts::Entry>{{"w", ~std::uint64_t{0}}}));
}

TEST(Wordcount, AnEmptyWordInAnEncodingIsRefused) {
  Encoder out;
  out.put<std::uint64_t>(1);
  out.put<std::uint32_t>(0);  // a word of no bytes: an empty slot, to the table
  out.put<std::uint64_t>(5);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_THROW(jobs::WordCounts::decode(in), RuntimeError);
}

TEST(Wordcount, ShortLongAndNulWordsKeepTheirBytesAndOrder) {
  // Words up to 16 bytes live in the slot, longer ones in the arena too; a
  // NUL byte is a word byte, and a word is ordered before its extensions.
  using Entries = std::vector<jobs::WordCounts::Entry>;
  const std::string nul("ab\0", 3);
  const std::string long_a(40, 'a'), long_b = std::string(39, 'a') + "b";
  jobs::WordCounts counts;
  std::string text = "ab " + nul + " abcdefghijklmnop abcdefghijklmno " + long_b + " " + long_a;
  text += " " + long_a + " ab " + nul + "c";
  counts.count(text);
  const Entries expect = {{long_a, 2},
                          {long_b, 1},
                          {"ab", 2},
                          {nul, 1},
                          {nul + "c", 1},
                          {"abcdefghijklmno", 1},
                          {"abcdefghijklmnop", 1}};
  EXPECT_EQ(counts.sorted_entries(), expect);
  Encoder out;
  counts.encode(out);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_EQ(jobs::WordCounts::decode(in)->sorted_entries(), expect);
  const Entries by_count = counts.by_count();
  EXPECT_EQ(by_count[0], (jobs::WordCounts::Entry{long_a, 2}));  // ties: by word
  EXPECT_EQ(by_count[1], (jobs::WordCounts::Entry{"ab", 2}));
  EXPECT_EQ(by_count[2], (jobs::WordCounts::Entry{long_b, 1}));
}

TEST(Wordcount, TableGrowsAndKeepsEveryWord) {
  jobs::WordCounts counts;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "w" + std::to_string(i % 20000) + " ";
  counts.count(text);
  ASSERT_EQ(counts.size(), 20000u);
  for (const auto& [word, n] : counts.sorted_entries())
    ASSERT_EQ(n, std::stoi(word.substr(1)) < 10000 ? 3u : 2u) << word;
}

// The encoding (and so the result's digest) lists words by hash, then bytes,
// whatever the table's size and the order the words went in: here one table
// counts the text at once, the other its pieces in reverse, combined into a
// table reserved four times larger, so neighbours that share a home slot lie
// in another order in it.
TEST(Wordcount, EncodingDependsOnTheWordsAloneNotHowTheyWereGrouped) {
  std::vector<std::string> pieces(3);
  for (int i = 0; i < 30000; ++i)
    pieces[i % 3] +=
        (i % 7 ? "w" : "a-word-longer-than-sixteen-bytes-") + std::to_string(i % 12000) + " ";
  jobs::WordCounts whole;
  whole.count(pieces[0] + pieces[1] + pieces[2]);
  jobs::WordCounts grouped;
  grouped.reserve(4 * whole.size());
  for (int k = 2; k >= 0; --k) {
    jobs::WordCounts part;
    part.count(pieces[k]);
    grouped.combine(part);
  }
  auto encoded = [](const jobs::WordCounts& counts) {
    Encoder out;
    counts.encode(out);
    return out.take();
  };
  ASSERT_EQ(grouped.size(), whole.size());
  EXPECT_EQ(encoded(grouped), encoded(whole));
  EXPECT_EQ(grouped.by_count(), whole.by_count());
}

}  // namespace
}  // namespace shardrun

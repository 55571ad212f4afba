// Text domains: cutting the files' bytes into any ranges gives every line to
// exactly one range, and the words counted are those of the whole text.
#include "io/text_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "shardrun/errors.hpp"
#include "wordcount.hpp"

namespace shardrun::io {
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

TEST(Wordcount, CountsRunsOfNonWhitespaceAndMergesSorted) {
  const auto counts = jobs::count_words(" a\tb  a\r\nc\vb\fa ");
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0], (jobs::WordCounts::Entry{"a", 3}));
  EXPECT_EQ(counts[2], (jobs::WordCounts::Entry{"c", 1}));
  jobs::WordCounts left(jobs::count_words("b d d")), right(jobs::count_words("a d e"));
  left.combine(right);
  const std::vector<jobs::WordCounts::Entry> expect = {{"a", 1}, {"b", 1}, {"d", 3}, {"e", 1}};
  EXPECT_EQ(left.entries(), expect);
  Encoder out;
  left.encode(out);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_EQ(jobs::WordCounts::decode(in)->entries(), expect);
}

}  // namespace
}  // namespace shardrun::io

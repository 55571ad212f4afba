// The field's floor for counting words on one core: a plain single-threaded
// C++ program, each file read whole and its words (maximal runs of bytes
// other than ASCII whitespace, as shardrun's wordcount) counted in one
// std::unordered_map<std::string, uint64_t> (looked up by a view into the
// file, a string made only for a new word). The wordcount study divides the
// corpus' bytes by its time.
//   unordered_wordcount FILE...
// Prints "WORDS UNIQUE SECONDS" (SECONDS: reading and counting, from the
// first file opened to the last word counted).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Lets the map be looked up by a string_view, with no string made per word.
struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: unordered_wordcount FILE...\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> counts;
  std::uint64_t words = 0;
  for (int f = 1; f < argc; ++f) {
    std::ifstream in(argv[f], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "unordered_wordcount: cannot read %s\n", argv[f]);
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    const std::string data = text.str();
    const char* p = data.data();
    const char* const end = p + data.size();
    while (p < end) {
      while (p < end && is_space(*p)) ++p;
      const char* word = p;
      while (p < end && !is_space(*p)) ++p;
      if (p == word) break;
      const std::string_view w(word, static_cast<std::size_t>(p - word));
      auto it = counts.find(w);
      if (it == counts.end()) it = counts.emplace(std::string(w), 0).first;
      ++it->second;
      ++words;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu %zu %.6f\n", static_cast<unsigned long long>(words), counts.size(), seconds);
}

// Word frequency with MR-MPI (Debian's libmrmpi-dev), the baseline of the
// wordcount study: map over files, collate, reduce, sort by count. Written
// the way MR-MPI's documentation describes its MapReduce calls.
//   mpirun -n 2 mrmpi_wordfreq [--combine] TOP FILE...
// Plain: a map task emits (word) for every word. --combine: a map task
// counts its file in a hash table (std::unordered_map keyed by views into
// the file's bytes) and emits (word, count) once per distinct word, the
// program most users would write. Prints "WORDS UNIQUE SECONDS" and then the
// TOP most frequent words as "COUNT WORD" lines on rank 0.
#include <mpi.h>
#include <mrmpi/keyvalue.h>
#include <mrmpi/mapreduce.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>

using MAPREDUCE_NS::KeyValue;
using MAPREDUCE_NS::MapReduce;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

using Count = std::uint64_t;

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Map: one file; emits (word, nothing) for every word.
void read_words(int, char* path, KeyValue* kv, void*) {
  std::string data = read_file(path);
  char* p = data.data();
  char* const end = p + data.size();
  while (p < end) {
    while (p < end && is_space(*p)) ++p;
    char* word = p;
    while (p < end && !is_space(*p)) ++p;
    if (p == word) break;
    const char saved = *p;  // NUL-terminate the key in place
    *p = '\0';
    kv->add(word, static_cast<int>(p - word) + 1, nullptr, 0);
    *p = saved;
  }
}

// Map with the combiner: one file counted in a hash table, then (word,
// count) once per distinct word. `words` sums the words this rank read.
void count_words(int, char* path, KeyValue* kv, void* words) {
  const std::string data = read_file(path);
  std::unordered_map<std::string_view, Count> counts;
  const char* p = data.data();
  const char* const end = p + data.size();
  Count seen = 0;
  while (p < end) {
    while (p < end && is_space(*p)) ++p;
    const char* word = p;
    while (p < end && !is_space(*p)) ++p;
    if (p == word) break;
    ++counts[std::string_view(word, static_cast<std::size_t>(p - word))];
    ++seen;
  }
  *static_cast<Count*>(words) += seen;
  std::string key;
  for (const auto& [word, n] : counts) {
    key.assign(word);  // MR-MPI keys here are NUL-terminated strings
    Count value = n;
    kv->add(key.data(), static_cast<int>(key.size()) + 1, reinterpret_cast<char*>(&value),
            sizeof value);
  }
}

// Reduce, plain: a word and its occurrences become (word, count).
void count(char* key, int keybytes, char*, int nvalues, int*, KeyValue* kv, void*) {
  Count n = static_cast<Count>(nvalues);
  kv->add(key, keybytes, reinterpret_cast<char*>(&n), sizeof n);
}

// Reduce, with the combiner: a word and its counts become (word, their sum).
void sum(char* key, int keybytes, char* values, int nvalues, int* sizes, KeyValue* kv, void*) {
  Count total = 0;
  for (int i = 0; i < nvalues; ++i) {
    Count n = 0;
    std::memcpy(&n, values, sizeof n);
    total += n;
    values += sizes[i];
  }
  kv->add(key, keybytes, reinterpret_cast<char*>(&total), sizeof total);
}

int by_count_descending(char* a, int, char* b, int) {
  Count x = 0, y = 0;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  return x > y ? -1 : (x < y ? 1 : 0);
}

struct Top {
  int limit = 0;
  int printed = 0;
};

void print_top(uint64_t, char* key, int, char* value, int, KeyValue*, void* ptr) {
  auto* top = static_cast<Top*>(ptr);
  if (top->printed++ >= top->limit) return;
  Count n = 0;
  std::memcpy(&n, value, sizeof n);
  std::printf("%llu %s\n", static_cast<unsigned long long>(n), key);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const bool combine = argc > 1 && std::strcmp(argv[1], "--combine") == 0;
  if (combine) --argc, ++argv;
  if (argc < 3) {
    if (rank == 0) std::fprintf(stderr, "usage: mrmpi_wordfreq [--combine] TOP FILE...\n");
    MPI_Finalize();
    return 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  auto* mr = new MapReduce(MPI_COMM_WORLD);
  mr->verbosity = 0;
  mr->timer = 0;
  mr->memsize = 512;  // MiB pages: the corpus fits in memory, no out-of-core passes
  Count mine = 0;
  uint64_t words = combine ? mr->map(argc - 2, &argv[2], 0, 1, 0, count_words, &mine)
                           : mr->map(argc - 2, &argv[2], 0, 1, 0, read_words, nullptr);
  mr->collate(nullptr);
  const uint64_t unique = mr->reduce(combine ? sum : count, nullptr);
  if (combine) MPI_Allreduce(&mine, &words, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  mr->gather(1);
  mr->sort_values(by_count_descending);
  MPI_Barrier(MPI_COMM_WORLD);
  const double seconds = MPI_Wtime() - start;
  if (rank == 0)
    std::printf("%llu %llu %.6f\n", static_cast<unsigned long long>(words),
                static_cast<unsigned long long>(unique), seconds);
  std::fflush(stdout);
  Top top{std::atoi(argv[1]), 0};
  mr->map(mr, print_top, &top);
  delete mr;
  MPI_Finalize();
  return 0;
}

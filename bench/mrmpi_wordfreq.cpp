// Word frequency with MR-MPI (Debian's libmrmpi-dev), the baseline of the
// wordcount study: map over files, collate, reduce, sort by count. Written
// the way MR-MPI's documentation describes its MapReduce calls.
//   mpirun -n 2 mrmpi_wordfreq TOP FILE|DIR...
// Prints "WORDS UNIQUE SECONDS" and then the TOP most frequent words as
// "COUNT WORD" lines on rank 0.
#include <mpi.h>
#include <mrmpi/keyvalue.h>
#include <mrmpi/mapreduce.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using MAPREDUCE_NS::KeyValue;
using MAPREDUCE_NS::MapReduce;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Map: one file; emits (word, nothing) for every word.
void read_words(int, char* path, KeyValue* kv, void*) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string data = text.str();
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

// Reduce: a word and its occurrences become (word, count).
void count(char* key, int keybytes, char*, int nvalues, int*, KeyValue* kv, void*) {
  kv->add(key, keybytes, reinterpret_cast<char*>(&nvalues), sizeof(int));
}

int by_count_descending(char* a, int, char* b, int) {
  int x = 0, y = 0;
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
  int n = 0;
  std::memcpy(&n, value, sizeof n);
  std::printf("%d %s\n", n, key);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc < 3) {
    if (rank == 0) std::fprintf(stderr, "usage: mrmpi_wordfreq TOP FILE|DIR...\n");
    MPI_Finalize();
    return 2;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  auto* mr = new MapReduce(MPI_COMM_WORLD);
  mr->verbosity = 0;
  mr->timer = 0;
  mr->memsize = 512;  // MiB pages: the corpus fits in memory, no out-of-core passes
  const uint64_t words = mr->map(argc - 2, &argv[2], 0, 1, 0, read_words, nullptr);
  mr->collate(nullptr);
  const uint64_t unique = mr->reduce(count, nullptr);
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

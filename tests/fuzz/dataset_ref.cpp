// Dataset references FILE.h5:/path (--input, gen --output). Properties: an
// accepted reference splits the text at a ":/" into a non-empty file and a
// dataset path that starts with '/' and is not the root, and text() gives
// the text back.
#include "io/dataset_ref.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  const std::string text(fuzz::as_text(data, size));
  fuzz::expect_shardrun_errors([&] {
    const io::DatasetRef ref = io::parse_dataset_ref(text, "--input");
    if (ref.file.empty()) fuzz::fail("an empty file name accepted");
    if (ref.dataset.size() < 2 || ref.dataset[0] != '/') fuzz::fail("a bad dataset path accepted");
    if (ref.text() != text) fuzz::fail("text() is not the reference as written");
  });
  return 0;
}

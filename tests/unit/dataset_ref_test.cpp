#include "io/dataset_ref.hpp"

#include <gtest/gtest.h>

#include "shardrun/errors.hpp"

namespace shardrun::io {
namespace {

TEST(DatasetRef, SplitsAtTheLastColonSlash) {
  const DatasetRef a = parse_dataset_ref("data.h5:/x", "--input");
  EXPECT_EQ(a.file, "data.h5");
  EXPECT_EQ(a.dataset, "/x");
  const DatasetRef b = parse_dataset_ref("run:2/out.h5:/group/y", "--input");
  EXPECT_EQ(b.file, "run:2/out.h5");
  EXPECT_EQ(b.dataset, "/group/y");
  EXPECT_EQ(b.text(), "run:2/out.h5:/group/y");
}

TEST(DatasetRef, RejectsTextWithoutADatasetNamingTheOption) {
  for (const char* bad : {"data.h5", ":/x", "data.h5:/", "data.h5:x"}) {
    try {
      parse_dataset_ref(bad, "--input");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--input", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace shardrun::io

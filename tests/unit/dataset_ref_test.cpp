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

TEST(DatasetRef, FieldsFollowTheLastHashOfTheDatasetName) {
  const DatasetRef one = parse_dataset_ref("runs/r#1/*.h5:/g#1/events#energy", "--input");
  EXPECT_EQ(one.file, "runs/r#1/*.h5");
  EXPECT_EQ(one.dataset, "/g#1/events");
  EXPECT_EQ(one.fields, std::vector<std::string>{"energy"});
  const DatasetRef two = parse_dataset_ref("e.h5:/events#energy,charge", "--input");
  EXPECT_EQ(two.fields, (std::vector<std::string>{"energy", "charge"}));
  EXPECT_EQ(two.text(), "e.h5:/events#energy,charge");
  EXPECT_TRUE(parse_dataset_ref("e.h5:/x", "--input").fields.empty());
}

TEST(DatasetRef, RejectsTextWithoutADatasetNamingTheOption) {
  for (const char* bad :
       {"data.h5", ":/x", "data.h5:/", "data.h5:x", "e.h5:/t#", "e.h5:/t#a,", "e.h5:/t#,a"}) {
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

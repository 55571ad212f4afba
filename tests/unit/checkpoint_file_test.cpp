// The checkpoint loader on a file image held in memory (h5::File::open_image),
// as the fuzz target tests/fuzz/checkpoint.cpp uses it.
#include "checkpoint/checkpoint_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <limits>

#include "h5/h5_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::checkpoint {
namespace {

Bytes file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string all{std::istreambuf_iterator<char>(in), {}};
  const auto* p = reinterpret_cast<const std::byte*>(all.data());
  return Bytes(p, p + all.size());
}

TEST(CheckpointFile, ReadsTheSameFromAFileAndFromItsImage) {
  h5::silence_error_printing();
  CheckpointState state;
  state.fingerprint.job = "stats";
  state.fingerprint.shards = 3;
  state.done = {1, 0, 1};
  state.shard_seconds = {0.5, std::numeric_limits<double>::quiet_NaN(), 0.25};
  state.shape_state = {std::byte{7}, std::byte{9}};
  state.runs.push_back(RunEntry{});
  state.runs[0].rank_speed = {2.0};
  const std::string path = ::testing::TempDir() + "shardrun_image.ckpt.h5";
  write_checkpoint(path, state);

  const Bytes image = file_bytes(path);
  const h5::File file = h5::File::open_image(image, "in-memory.ckpt.h5");
  const CheckpointState back = read_checkpoint(file);
  EXPECT_EQ(back.fingerprint.job, "stats");
  EXPECT_EQ(back.done, state.done);
  EXPECT_EQ(back.shape_state, state.shape_state);
  ASSERT_EQ(back.runs.size(), 1u);
  EXPECT_EQ(back.runs[0].rank_speed, state.runs[0].rank_speed);
  EXPECT_EQ(read_checkpoint(path).done, state.done);
}

TEST(CheckpointFile, ImagesThatAreNotCheckpointsAreRefused) {
  h5::silence_error_printing();
  EXPECT_THROW(h5::File::open_image({}, "empty.h5"), RuntimeError);
  const Bytes junk(4096, std::byte{0x5a});
  EXPECT_THROW(h5::File::open_image(junk, "junk.h5"), RuntimeError);
  // Truncated: the superblock names an end of file beyond the image.
  const std::string path = ::testing::TempDir() + "shardrun_image_cut.ckpt.h5";
  CheckpointState state;
  write_checkpoint(path, state);
  Bytes image = file_bytes(path);
  image.resize(image.size() / 2);
  EXPECT_THROW(
      {
        const h5::File file = h5::File::open_image(image, "cut.ckpt.h5");
        read_checkpoint(file);
      },
      std::runtime_error);
}

}  // namespace
}  // namespace shardrun::checkpoint

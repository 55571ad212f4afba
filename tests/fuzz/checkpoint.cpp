// The checkpoint loader on a file's bytes held in memory: what a resume and
// `shardrun inspect` read from a checkpoint that may be truncated, damaged
// or crafted. (The file checksum stops damaged bytes before HDF5 parses
// them. A crafted file with a correct digest is out of scope: XXH3 is not a
// MAC, and HDF5 1.10's parser hangs on some such files. The loader compares
// digests as numbers, so libFuzzer's compare tracing cannot copy the digest
// into its inputs; before it did, it forged one in seconds and found such a
// hang.) Properties: a checkpoint the loader accepts is consistent
// (one done flag and one shard time per shard of its plan).
#include "checkpoint/checkpoint_file.hpp"
#include "fuzz_common.hpp"
#include "h5/h5_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  static const bool silenced = (h5::silence_error_printing(), true);
  (void)silenced;
  fuzz::expect_shardrun_errors([&] {
    const checkpoint::CheckpointState state =
        checkpoint::read_checkpoint_bytes(fuzz::as_bytes(data, size), "fuzz.ckpt.h5");
    if (state.done.size() != state.fingerprint.shards ||
        state.shard_seconds.size() != state.fingerprint.shards)
      fuzz::fail("an accepted checkpoint whose done set does not match its plan");
  });
  return 0;
}

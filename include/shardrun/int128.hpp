// 128-bit integers (a GCC/Clang extension) for exact integer sums and index math.
#pragma once

namespace shardrun {

__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

}  // namespace shardrun

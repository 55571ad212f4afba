#include "core/partial_store.hpp"

#include <bit>
#include <string>

namespace shardrun::core {

PartialStore::PartialStore(std::uint64_t shard_count)
    : shard_count_(shard_count),
      root_level_(shard_count <= 1 ? 0 : static_cast<int>(std::bit_width(shard_count - 1))) {}

void PartialStore::add_node(int level, std::uint64_t index, PartialPtr partial) {
  while (level < root_level_) {
    const std::uint64_t sibling = index ^ 1;
    const bool sibling_empty = (sibling << level) >= shard_count_;
    if (!sibling_empty) {
      auto it = nodes_.find({level, sibling});
      if (it == nodes_.end()) break;  // wait for the sibling
      PartialPtr other = std::move(it->second);
      nodes_.erase(it);
      if (index & 1) {  // we are the right child
        other->combine(*partial);
        partial = std::move(other);
      } else {
        partial->combine(*other);
      }
    }
    ++level;
    index >>= 1;
  }
  auto [it, inserted] = nodes_.emplace(std::pair{level, index}, std::move(partial));
  if (!inserted)
    throw RuntimeError("shard partial added twice (node " + std::to_string(level) + "/" +
                       std::to_string(index) + ")");
}

Bytes PartialStore::encode() const {
  Encoder out;
  out.put<std::uint64_t>(nodes_.size());
  for (const auto& [key, partial] : nodes_) {
    Encoder node;
    partial->encode(node);
    Bytes bytes = node.take();
    out.put<std::int32_t>(key.first);
    out.put<std::uint64_t>(key.second);
    out.put<std::uint64_t>(bytes.size());
    out.put_bytes(bytes.data(), bytes.size());
  }
  return out.take();
}

void PartialStore::add_encoded(std::span<const std::byte> bytes, const Decode& decode) {
  Decoder in(bytes);
  const auto count = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto level = in.get<std::int32_t>();
    const auto index = in.get<std::uint64_t>();
    if (level < 0 || level > root_level_ || (index << level) >= shard_count_)
      throw RuntimeError("corrupt partial: node outside the combine tree");
    const auto size = in.get<std::uint64_t>();
    if (size > in.remaining()) throw RuntimeError("corrupt partial: truncated encoding");
    Bytes node(size);
    in.get_bytes(node.data(), size);
    Decoder node_in(node);
    PartialPtr partial = decode(node_in);
    if (!node_in.done()) throw RuntimeError("corrupt partial: trailing bytes");
    add_node(level, index, std::move(partial));
  }
}

const Partial* PartialStore::root() const {
  auto it = nodes_.find({root_level_, 0});
  return it == nodes_.end() ? nullptr : it->second.get();
}

}  // namespace shardrun::core

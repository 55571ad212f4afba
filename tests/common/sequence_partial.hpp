// A partial that remembers exactly which shards it covers and the shape of the
// tree that combined them: "((0 1) 2)". For tests of exactly-once and of the
// fixed combine order.
#pragma once

#include <string>

#include "shardrun/partial.hpp"

namespace shardrun::testing {

class SequencePartial : public Partial {
 public:
  explicit SequencePartial(std::string text) : text_(std::move(text)) {}
  void combine(const Partial& right) override {
    text_ = "(" + text_ + " " + static_cast<const SequencePartial&>(right).text_ + ")";
  }
  void encode(Encoder& out) const override {
    out.put<std::uint64_t>(text_.size());
    out.put_bytes(text_.data(), text_.size());
  }
  static PartialPtr decode(Decoder& in) {
    std::string text(in.get<std::uint64_t>(), '\0');
    in.get_bytes(text.data(), text.size());
    return std::make_unique<SequencePartial>(std::move(text));
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace shardrun::testing

#include "io/open_parts.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace shardrun::io {

OpenParts::OpenParts(std::size_t capacity, Opener open)
    : capacity_(std::max<std::size_t>(1, capacity)), open_(std::move(open)) {}

std::shared_ptr<OpenPart> OpenParts::get(std::size_t part) {
  std::lock_guard lock(mutex_);
  if (auto it = parts_.find(part); it != parts_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.second);
    return it->second.first;
  }
  std::shared_ptr<OpenPart> open = open_(part);
  insert_locked(part, open);
  return open;
}

void OpenParts::put(std::size_t part, std::shared_ptr<OpenPart> open) {
  std::lock_guard lock(mutex_);
  if (!parts_.contains(part)) insert_locked(part, std::move(open));
}

std::size_t OpenParts::size() const {
  std::lock_guard lock(mutex_);
  return parts_.size();
}

void OpenParts::insert_locked(std::size_t part, std::shared_ptr<OpenPart> open) {
  while (parts_.size() >= capacity_) {
    parts_.erase(recent_.back());
    recent_.pop_back();
  }
  recent_.push_front(part);
  parts_.emplace(part, std::make_pair(std::move(open), recent_.begin()));
}

std::size_t OpenParts::default_capacity() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 256;
  return std::clamp<std::size_t>(static_cast<std::size_t>(limit.rlim_cur) / 4, 1, 256);
}

}  // namespace shardrun::io

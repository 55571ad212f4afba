#include "io/dataset_ref.hpp"

#include "shardrun/errors.hpp"

namespace shardrun::io {

DatasetRef parse_dataset_ref(const std::string& text, const std::string& option) {
  // The last ":/" splits: file names may contain ':' but dataset paths start with '/'.
  const auto split = text.rfind(":/");
  if (split == std::string::npos || split == 0 || split + 2 > text.size())
    throw UsageError(option + ": expected FILE.h5:/path/to/dataset, got '" + text + "'");
  DatasetRef ref{text.substr(0, split), text.substr(split + 1)};
  if (ref.dataset == "/")
    throw UsageError(option + ": '" + text + "' names the root group, not a dataset");
  return ref;
}

}  // namespace shardrun::io

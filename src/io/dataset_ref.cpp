#include "io/dataset_ref.hpp"

#include "shardrun/errors.hpp"

namespace shardrun::io {

std::string DatasetRef::text() const {
  std::string out = file + ":" + dataset;
  for (std::size_t i = 0; i < fields.size(); ++i) out += (i == 0 ? "#" : ",") + fields[i];
  return out;
}

DatasetRef parse_dataset_ref(const std::string& text, const std::string& option) {
  // The last ":/" splits: file names may contain ':' but dataset paths start with '/'.
  const auto split = text.rfind(":/");
  if (split == std::string::npos || split == 0 || split + 2 > text.size())
    throw UsageError(option + ": expected FILE.h5:/path/to/dataset, got '" + text + "'");
  DatasetRef ref{text.substr(0, split), text.substr(split + 1), {}};
  // '#' after the last '/' starts the fields of a table: "/events#energy,charge".
  const auto hash = ref.dataset.find('#', ref.dataset.rfind('/'));
  if (hash != std::string::npos) {
    const std::string list = ref.dataset.substr(hash + 1);
    ref.dataset.resize(hash);
    std::size_t start = 0;
    while (true) {
      const auto comma = list.find(',', start);
      ref.fields.push_back(list.substr(start, comma - start));
      if (ref.fields.back().empty())
        throw UsageError(option + ": '" + text + "' has an empty field name after '#'");
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (ref.dataset == "/")
    throw UsageError(option + ": '" + text + "' names the root group, not a dataset");
  return ref;
}

}  // namespace shardrun::io

// "FILE.h5:/path/to/dataset[#field,...]", as users name a dataset on the
// command line. FILE may name many files (io/file_collection.hpp).
#pragma once

#include <string>
#include <vector>

namespace shardrun::io {

struct DatasetRef {
  std::string file;
  std::string dataset;              // starts with '/'
  std::vector<std::string> fields;  // members of a compound dataset to read; empty: all of it
  std::string text() const;
};

// Throws UsageError naming `option` when the text has no ":/" separator, an
// empty file name, or an empty field name after '#'.
DatasetRef parse_dataset_ref(const std::string& text, const std::string& option);

}  // namespace shardrun::io

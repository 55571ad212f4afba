// "FILE.h5:/path/to/dataset", as users name a dataset on the command line.
#pragma once

#include <string>

namespace shardrun::io {

struct DatasetRef {
  std::string file;
  std::string dataset;  // starts with '/'
  std::string text() const { return file + ":" + dataset; }
};

// Throws UsageError naming `option` when the text has no ":/" separator or an
// empty file name.
DatasetRef parse_dataset_ref(const std::string& text, const std::string& option);

}  // namespace shardrun::io

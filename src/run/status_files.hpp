// The files beside the output that say where a run's status service is:
// OUTPUT.status (the token, mode 0600, for POST /api/stop) and
// OUTPUT.status.url (the address). Removed when the run ends.
#pragma once

#include <string>

namespace shardrun::run {

class StatusFiles {
 public:
  // Throws UsageError naming --status when the files cannot be written.
  StatusFiles(const std::string& output, const std::string& url, const std::string& token);
  ~StatusFiles();
  StatusFiles(const StatusFiles&) = delete;
  StatusFiles& operator=(const StatusFiles&) = delete;
  const std::string& token_path() const { return token_path_; }

 private:
  std::string token_path_, url_path_;
};

}  // namespace shardrun::run

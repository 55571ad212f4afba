// This machine's host name, for run histories and task records.
#pragma once

#include <string>

namespace shardrun {

std::string host_name();

}  // namespace shardrun

// For the engine's command line only: the Options of a job's subcommand.
#pragma once

#include "shardrun/options.hpp"

namespace CLI {
class App;
}

namespace shardrun {

OptionsHandle* options_handle(CLI::App& app);

}  // namespace shardrun

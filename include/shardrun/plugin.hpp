// A plugin: a shared library of jobs that shardrun loads at run time
// (`--plugin FILE.so`, or every .so in $SHARDRUN_PLUGIN_PATH). In exactly one
// source file of the plugin:
//
//   #include <shardrun/plugin.hpp>
//   SHARDRUN_PLUGIN(registry) {
//     registry.add({"rms", "root mean square per column", [] { return std::make_unique<Rms>(); },
//                   /*revision=*/1});
//   }
//
// shardrun refuses a plugin built against another API version; rebuild it.
#pragma once

#include "shardrun/registry.hpp"

// The version of the interface between shardrun and its plugins: raised
// whenever a public header changes in a way that breaks a built plugin.
#define SHARDRUN_API_VERSION 2

#define SHARDRUN_PLUGIN(registry)                                                       \
  extern "C" __attribute__((visibility("default"))) int shardrun_plugin_api_version() { \
    return SHARDRUN_API_VERSION;                                                        \
  }                                                                                     \
  extern "C" __attribute__((visibility("default"))) void shardrun_plugin_register(      \
      ::shardrun::Registry& registry)

// Plugins that are wrong in one way each (the BAD_... definition says which).
#include <shardrun/plugin.hpp>
#include <stdexcept>

namespace {

class Nothing : public shardrun::ReduceJob {
 public:
  void add_options(shardrun::Options&) override {}
  std::string parameters() const override { return ""; }
  shardrun::DomainSpec domain() const override { return shardrun::IndexDomain{1, 1}; }
  shardrun::PartialPtr process(shardrun::ShardContext&) const override { return nullptr; }
  shardrun::PartialPtr decode(shardrun::Decoder&) const override { return nullptr; }
  std::string finalize(const shardrun::Partial&, shardrun::ResultWriter&) const override {
    return "";
  }
};

}  // namespace

#if defined(BAD_NO_REGISTER)
extern "C" int not_a_plugin() { return 0; }
#elif defined(BAD_WRONG_API)
extern "C" __attribute__((visibility("default"))) int shardrun_plugin_api_version() { return 999; }
extern "C" __attribute__((visibility("default"))) void shardrun_plugin_register(
    shardrun::Registry&) {}
#else
SHARDRUN_PLUGIN(registry) {
#if defined(BAD_THROWS)
  (void)registry;
  throw std::runtime_error("no licence server");
#elif defined(BAD_DUPLICATE)
  registry.add({"stats", "a second stats", [] { return std::make_unique<Nothing>(); }});
#else
  (void)registry;  // BAD_NO_JOBS
#endif
}
#endif

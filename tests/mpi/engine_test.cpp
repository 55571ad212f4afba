// The engine on 1..4 ranks: every shard exactly once, in the fixed combine
// order; results bitwise identical across thread counts; errors that one rank
// meets end every rank with the same status, without a hang or a clobbered file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "api/options_handle.hpp"
#include "h5/h5_dataset.hpp"
#include "jobs/builtin.hpp"
#include "mpi/comm.hpp"
#include "run/run_job.hpp"

namespace shardrun::run {
namespace {

namespace fs = std::filesystem;

// Partial = the shard ids it covers, in combine order.
class IdsPartial : public Partial {
 public:
  std::vector<std::uint64_t> ids;
  void combine(const Partial& right) override {
    const auto& r = static_cast<const IdsPartial&>(right).ids;
    ids.insert(ids.end(), r.begin(), r.end());
  }
  void encode(Encoder& out) const override {
    out.put<std::uint64_t>(ids.size());
    out.put_bytes(ids.data(), ids.size() * sizeof(std::uint64_t));
  }
};

// An index-domain job whose result lists every shard that ran.
class CoverageJob : public ReduceJob {
 public:
  CoverageJob(std::uint64_t items, std::uint64_t fail_shard = UINT64_MAX)
      : items_(items), fail_shard_(fail_shard) {}
  void add_options(Options&) override {}
  std::string parameters() const override { return "items=" + std::to_string(items_); }
  DomainSpec domain() const override { return IndexDomain{items_, 1}; }
  PartialPtr process(ShardContext& ctx) const override {
    if (ctx.shard().id == fail_shard_)
      throw RuntimeError("shard " + std::to_string(fail_shard_) + " failed on purpose");
    auto p = std::make_unique<IdsPartial>();
    p->ids.push_back(ctx.shard().id);
    return p;
  }
  PartialPtr decode(Decoder& in) const override {
    auto p = std::make_unique<IdsPartial>();
    p->ids.resize(in.get<std::uint64_t>());
    in.get_bytes(p->ids.data(), p->ids.size() * sizeof(std::uint64_t));
    return p;
  }
  std::string finalize(const Partial& total, ResultWriter& out) const override {
    const auto& ids = static_cast<const IdsPartial&>(total).ids;
    out.write<std::uint64_t>("ids", ids, {ids.size()});
    return std::to_string(ids.size()) + " shards";
  }

 private:
  std::uint64_t items_, fail_shard_;
};

const char* const kStrategies[] = {"steal", "counter", "static"};

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir;
    if (comm_.rank() == 0) {
      char pattern[] = "/tmp/shardrun-mpi-XXXXXX";
      dir = mkdtemp(pattern);
    }
    dir_ = comm_.broadcast(dir);
  }
  void TearDown() override {
    comm_.barrier();
    if (comm_.rank() == 0) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  static Bytes read_dataset(const std::string& file, const std::string& name) {
    const h5::File f = h5::File::open_read(file);
    const h5::Dataset d = h5::Dataset::open(f, name);
    const h5::DatasetShape shape = d.shape();
    std::uint64_t n = 1;
    for (auto dim : shape.dims) n *= dim;
    Bytes bytes(n * element_size(*shape.type));
    d.read_all(*shape.type, bytes.data());
    return bytes;
  }

  // A built-in job with its options parsed from args.
  static std::unique_ptr<Job> make_job(const std::string& name, std::vector<std::string> args) {
    std::unique_ptr<Job> job = jobs::builtin_registry().find(name)->make();
    CLI::App app;
    Options options(options_handle(app));
    job->add_options(options);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    return job;
  }

  RunOptions options(const std::string& output, int threads) const {
    RunOptions o;
    o.output = path(output);
    o.threads = threads;
    o.quiet = true;
    return o;
  }

  // Runs the coverage job and checks that its result lists 0..shards-1 in order.
  void expect_exactly_once(const std::string& balance, std::uint64_t items, std::uint64_t shards,
                           int threads, const std::string& weights = "") {
    CoverageJob job(items);
    RunOptions o = options("ids.h5", threads);
    o.plan.shards = shards;
    o.balance = balance;
    o.weights = weights;
    ASSERT_EQ(run_job("coverage", job, o, comm_), kExitOk);
    if (comm_.rank() != 0) return;
    const Bytes bytes = read_dataset(o.output, "ids");
    std::vector<std::uint64_t> ids(bytes.size() / 8);
    std::memcpy(ids.data(), bytes.data(), bytes.size());
    ASSERT_EQ(ids.size(), std::min(shards, items)) << balance << ", " << threads << " threads";
    for (std::uint64_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i) << balance;
  }

  std::string skewed_weights() const {  // rank 0 gets almost everything
    std::string w = "1000";
    for (int r = 1; r < comm_.size(); ++r) w += ",1";
    return w;
  }

  const mpi::Comm comm_;
  std::string dir_;
};

TEST_F(Engine, EveryShardRunsExactlyOnceInTheFixedOrder) {
  for (const char* balance : kStrategies)
    for (std::uint64_t shards : {1, 2, 3, 7, 100, 1000})
      for (int threads : {1, 2, 3}) expect_exactly_once(balance, 1000, shards, threads);
}

TEST_F(Engine, ManyNearlyEmptyShards) {
  for (const char* balance : kStrategies) expect_exactly_once(balance, 100'000, 100'000, 2);
}

TEST_F(Engine, EveryRankStealsFromOneVictimAtOnce) {
  // Rank 0 starts with ~all the shards; every other rank must steal from it.
  expect_exactly_once("steal", 20'000, 20'000, 2, skewed_weights());
  expect_exactly_once("static", 2'000, 2'000, 2, skewed_weights());
}

TEST_F(Engine, FewerShardsThanRanksLeaveSomeRanksWithout) {
  for (const char* balance : kStrategies) expect_exactly_once(balance, 2, 2, 1);
}

// A 2-D float64 dataset with NaNs and a wide spread of magnitudes.
void write_awkward_dataset(const std::string& file) {
  const std::uint64_t rows = 250'000, cols = 3;
  std::vector<double> v(rows * cols);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0, 1);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = i % 101 == 0 ? NAN : normal(rng) * std::pow(10.0, static_cast<double>(i % 7));
  h5::File f = h5::File::create(file);
  h5::Dataset::create(f, "/x", ElementType::f64, {rows, cols}, {})
      .write_all(ElementType::f64, v.data());
  f.close();
}

TEST_F(Engine, ResultsAreBitwiseIdenticalAcrossThreadCounts) {
  if (comm_.rank() == 0) write_awkward_dataset(path("in.h5"));
  comm_.barrier();
  for (const char* name : {"stats", "histogram"}) {
    std::vector<std::string> outputs;
    for (int threads : {1, 2, 3})
      for (const char* balance : kStrategies) {
        std::vector<std::string> args = {"--input", path("in.h5") + ":/x"};
        if (std::string(name) == "histogram")
          args.insert(args.end(), {"--range", "-1000:1000", "--bins", "50"});
        std::unique_ptr<Job> job = make_job(name, args);
        RunOptions o =
            options(std::string(name) + std::to_string(threads) + balance + ".h5", threads);
        o.plan.shards = 37;
        o.balance = balance;
        ASSERT_EQ(run_job(name, *job, o, comm_), kExitOk);
        outputs.push_back(o.output);
      }
    if (comm_.rank() == 0) {
      const std::vector<std::string> datasets =
          std::string(name) == "stats"
              ? std::vector<std::string>{"count", "sum", "mean",     "variance",
                                         "min",   "max", "nan_count"}
              : std::vector<std::string>{"counts", "edges", "underflow", "overflow", "nan_count"};
      for (const std::string& d : datasets)
        for (std::size_t i = 1; i < outputs.size(); ++i)
          EXPECT_EQ(read_dataset(outputs[0], d), read_dataset(outputs[i], d)) << name << " " << d;
    }
  }
}

// With stealing the failing shard may run on any rank; every rank must still
// stop (no one waits for the failed shard forever) with the same status.
TEST_F(Engine, AShardFailingOnOneRankEndsEveryRankWithoutClobbering) {
  if (comm_.rank() == 0) std::ofstream(path("out.h5")) << "previous result";
  comm_.barrier();
  CoverageJob job(100, 99);  // the last shard: on the last rank
  for (const char* balance : kStrategies) {
    RunOptions o = options("out.h5", 2);
    o.plan.shards = 100;
    o.balance = balance;
    EXPECT_EQ(run_job("coverage", job, o, comm_), kExitRuntimeError) << balance;
  }
  if (comm_.rank() == 0) {
    std::ifstream in(path("out.h5"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "previous result");
    for (const auto& entry : fs::directory_iterator(dir_))
      EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

// A partial too big to send (bad_alloc, a message over 2 GiB) on every rank
// but rank 0: at the end, rank 0 waits for each rank's last message.
class UnsendablePartial : public IdsPartial {
 public:
  void encode(Encoder& out) const override {
    if (mpi::Comm().rank() != 0) throw std::bad_alloc();
    IdsPartial::encode(out);
  }
};

class UnsendableJob : public CoverageJob {
 public:
  using CoverageJob::CoverageJob;
  PartialPtr process(ShardContext& ctx) const override {
    auto p = std::make_unique<UnsendablePartial>();
    p->ids.push_back(ctx.shard().id);
    return p;
  }
};

TEST_F(Engine, ARankThatCannotSendItsLastResultsEndsEveryRankWithoutAHang) {
  UnsendableJob job(100);
  RunOptions o = options("unsendable.h5", 2);
  o.plan.shards = 100;
  o.balance = "static";  // every rank has shards, so every rank has a partial to send
  const int status = run_job("unsendable", job, o, comm_);
  EXPECT_EQ(status, comm_.size() == 1 ? kExitOk : kExitRuntimeError);
  EXPECT_EQ(comm_.max(status), comm_.min(status));
}

TEST_F(Engine, AMissingInputIsAUsageErrorOnEveryRank) {
  std::unique_ptr<Job> job = make_job("stats", {"--input", path("missing.h5") + ":/x"});
  EXPECT_EQ(run_job("stats", *job, options("o.h5", 1), comm_), kExitUsageError);
}

}  // namespace
}  // namespace shardrun::run

// stealsim: a discrete-event simulator of shardrun's `--balance steal`
// protocol (src/balance/steal_source.cpp), its termination, and the executor
// loop that drives it (src/core/executor.cpp), for P ranks x T worker threads
// running the synthetic job's shards (jobs/synthetic.cpp). Single file, C++20,
// standard library only:
//
//   g++ -std=c++20 -O2 -o stealsim bench/stealsim/stealsim.cpp
//   stealsim --ranks 1000 --cost pareto:1.5 --items 20000000 --net fabric
//   stealsim --help
//
// Each rank's main thread is a C++20 coroutine that follows Executor::run and
// StealSource::next() statement by statement; every one-sided operation is
// an event pair (arrival at the target, application after the target's FIFO
// service), so operations on one rank's window serialize, and rank 0's queue
// is measured. Costs are the synthetic job's, bit for bit (same hash, same
// formulas, same summation order as SyntheticJob::work). bench/results/
// stealsim/README.md states the model, its parameters and where it departs
// from the real code.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "stealsim: %s\n", message.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------------------
// The synthetic job's cost model: jobs/synthetic.cpp, copied (same bits).

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double unit(std::uint64_t seed, std::uint64_t item) {  // [0, 1)
  return static_cast<double>(mix(mix(seed) ^ item) >> 11) * 0x1.0p-53;
}

struct CostModel {
  enum class Kind { uniform, linear, sorted_desc, bimodal, pareto };
  Kind kind = Kind::uniform;
  double alpha = 1.5;
  double mean_us = 50;
  std::uint64_t seed = 1;

  static CostModel parse(std::string text, double mean_us, std::uint64_t seed) {
    CostModel m;
    m.mean_us = mean_us;
    m.seed = seed;
    if (text == "pareto") text = "pareto:1.5";  // shardrun itself needs the ALPHA
    if (text == "uniform") {
      m.kind = Kind::uniform;
    } else if (text == "linear") {
      m.kind = Kind::linear;
    } else if (text == "sorted-desc") {
      m.kind = Kind::sorted_desc;
    } else if (text == "bimodal") {
      m.kind = Kind::bimodal;
    } else if (text.rfind("pareto:", 0) == 0) {
      m.kind = Kind::pareto;
      m.alpha = std::stod(text.substr(7));
      if (!(m.alpha > 1)) die("--cost pareto:ALPHA needs ALPHA > 1");
    } else {
      die("--cost: uniform, linear, sorted-desc, bimodal or pareto:ALPHA, got '" + text + "'");
    }
    return m;
  }

  double cost_us(std::uint64_t item, std::uint64_t items) const {
    const double position = (static_cast<double>(item) + 0.5) / static_cast<double>(items);
    switch (kind) {
      case Kind::uniform:
        return mean_us;
      case Kind::linear:
        return 2 * mean_us * position;
      case Kind::sorted_desc:
        return mean_us * -std::log(position);
      case Kind::bimodal:
        return (unit(seed, item) < 0.1 ? 10.0 : 1.0) * mean_us / 1.9;
      case Kind::pareto: {
        const double scale = mean_us * ((alpha - 1) / alpha);
        return scale * std::pow(1.0 - unit(seed, item), -1.0 / alpha);
      }
    }
    return mean_us;
  }

  // SyntheticJob::work: the sum in item order. For uniform, linear and
  // sorted-desc above `closed_above` items a closed form (same value to
  // ~1e-12 relative; sorted-desc via lgamma) saves minutes at 10^9+ items.
  double shard_us(std::uint64_t begin, std::uint64_t end, std::uint64_t items,
                  std::uint64_t closed_above) const {
    const std::uint64_t n = end - begin;
    if (items > closed_above) {
      if (kind == Kind::uniform) return mean_us * static_cast<double>(n);
      if (kind == Kind::linear) {
        const long double s = (static_cast<long double>(begin) + static_cast<long double>(end)) *
                              static_cast<long double>(n) / 2.0L;  // Σ (i + 0.5)
        return static_cast<double>(2.0L * mean_us * s / static_cast<long double>(items));
      }
      if (kind == Kind::sorted_desc) {
        const long double logs = std::lgamma(static_cast<long double>(end) + 0.5L) -
                                 std::lgamma(static_cast<long double>(begin) + 0.5L);
        return static_cast<double>(
            mean_us *
            (static_cast<long double>(n) * std::log(static_cast<long double>(items)) - logs));
      }
    }
    double us = 0;
    for (std::uint64_t item = begin; item < end; ++item) us += cost_us(item, items);
    return us;
  }
};

// ---------------------------------------------------------------------------
// The plan (src/core/shard_plan.cpp) and the initial blocks
// (src/balance/weights.cpp, no --weights).

struct Plan {
  std::uint64_t items = 0, count = 0, fixed = 0;
  Plan(std::uint64_t items_, std::uint64_t shards, std::uint64_t shard_items,
       std::uint64_t default_shard_items)
      : items(items_) {
    if (shards > 0) {
      count = std::min(shards, items);
    } else {
      fixed = shard_items > 0 ? shard_items : std::max<std::uint64_t>(default_shard_items, 1);
      fixed = std::min(fixed, items);
      count = items / fixed + (items % fixed != 0);
    }
  }
  std::pair<std::uint64_t, std::uint64_t> shard(std::uint64_t id) const {
    if (fixed > 0) {
      const std::uint64_t b = id * fixed;
      return {b, b + std::min(fixed, items - b)};
    }
    auto start = [&](std::uint64_t i) {
      return static_cast<std::uint64_t>(static_cast<unsigned __int128>(i) * items / count);
    };
    return {start(id), start(id + 1)};
  }
};

std::pair<std::uint64_t, std::uint64_t> weighted_block(std::uint64_t shards, int rank, int ranks) {
  auto start = [&](int r) -> std::uint64_t {
    if (r >= ranks) return shards;
    return static_cast<std::uint64_t>(static_cast<long double>(shards) * r / ranks);
  };
  return {start(rank), start(rank + 1)};
}

// ---------------------------------------------------------------------------
// Coroutine plumbing: Co<T> is a lazily started task that resumes its awaiter
// when it finishes (symmetric transfer, no stack growth).

template <class T>
struct Co {
  struct promise_type {
    std::optional<T> value;
    std::coroutine_handle<> continuation = std::noop_coroutine();
    Co get_return_object() { return Co{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct Final {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().continuation;
      }
      void await_resume() noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    void return_value(T v) { value = std::move(v); }
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
  explicit Co(std::coroutine_handle<promise_type> handle) : h(handle) {}
  Co(Co&& o) noexcept : h(std::exchange(o.h, {})) {}
  Co& operator=(Co&& o) noexcept {
    if (h) h.destroy();
    h = std::exchange(o.h, {});
    return *this;
  }
  ~Co() {
    if (h) h.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    h.promise().continuation = awaiting;
    return h;
  }
  T await_resume() { return std::move(*h.promise().value); }
};

struct Unit {};

// ---------------------------------------------------------------------------
// Configuration.

struct Config {
  // run
  int ranks = 2, threads = 1, ranks_per_node = 0;  // 0: all on one node (sm) or 32
  std::uint64_t items = 100'000, shards = 0, shard_items = 0;
  std::string cost = "uniform";
  double mean_us = 50;
  std::uint64_t seed = 1;
  std::string protocol =
      "current";   // current (the old code) | bounded (protocol.patch: the code now)
  int probes = 0;  // bounded: random victims per idle call (0: ceil(log2 P))
  int fanout = 8;  // bounded: stop-flag tree fan-out
  // network
  std::string net = "tcp";
  double lat_local = -1, lat_remote = -1, lat_own = -1, cas_extra = -1;
  double svc = -1, svc0 = -1;  // per-op service time at a target (rank 0: svc0)
  int target_progress = -1;    // 1: an op completes only when the target is inside MPI
  double poll_us = 200;        // ExecutorHooks::poll_interval
  // executor
  double overhead_us = 5.0;  // per shard, on its worker, outside the busy time
  double backoff_min_us = 20, backoff_max_us = 2000;
  double tick_ms = 200;  // execution.cpp's watch(): counters on rank 0 (0: off)
  double wait_ms = 50;   // the main thread's wait without a poll hook
  double wake_us = 0;    // a completion wakes the main thread this much later (cond. variable)
  std::string layout = "block";  // block: the plan's order (the code); strided: see compute_costs
  std::string prefetch = "always";  // always: 2 x threads in flight (the old code); depth: the code
                                    // now (core/queue_depth.hpp); adaptive: see below
  double prefetch_below_us = 2000;  // adaptive: prefetch only while shards average less
  double start_jitter_us = 0;       // ranks enter the executor uniformly within this
  int depth_reset_on_steal = 0;  // --prefetch depth, not the code: a steal restarts the depth at 2
  std::string ticks = "rank0";   // rank0: counts every tick, stop read on rank 0 (the old code);
                                 // scaled: counts every max(1, P/1024) ticks from rank % that,
                                 // stop read locally (the code now); scaled256: its first version
  // oversubscription: C cores shared round-robin by all worker threads
  int cores = 0;
  double quantum_us = 1500;
  int yield_at_end = 1;  // a finished shard wakes the main thread, which takes the core
  // model controls
  int sweep_exact_below = 65;  // P below this: every sweep victim is a real op
  int sweep_eval = 64;         // aggregated sweep: re-check for new work every N victims
  int trace_last = 0;
  int park = 1;  // bounded: idle ranks with no work anywhere wait for their flag
  std::uint64_t closed_form_above = 200'000'000;
  std::string cost_cache;  // directory for cached shard costs (pareto at 10^9 items)
  std::string format = "table";
  bool header = false;
  std::string label;
  double max_sim_s = 3600;
};

void apply_net_preset(Config& c) {
  struct Preset {
    double local, remote, own, cas, svc, svc0;
    int progress;
  };
  Preset p{};
  if (c.net == "sm") {
    // One host, osc/sm: bench/results/hosts.md (load/fetch_add 0.04, CAS 0.05 µs).
    p = {0.04, 0.04, 0.04, 0.01, 0.01, 0.01, 0};
    if (c.ranks_per_node == 0) c.ranks_per_node = c.ranks;
  } else if (c.net == "tcp") {
    // osc/pt2pt over TCP, two emulated hosts: hosts.md (22.5 µs load/fetch_add, 26 µs
    // CAS with the target inside MPI; 0.62 µs own window). Intra-node latency and the
    // service time per op are assumptions (pt2pt over the shared-memory BTL, software
    // handling of each request in the target's progress engine).
    p = {2.0, 22.5, 0.62, 3.5, 1.0, 1.0, 1};
  } else if (c.net == "fabric") {
    // Assumed: RDMA atomics with flush ~2 µs across nodes, ~0.3 µs within a node,
    // ~0.3 µs NIC service per atomic on one word (~3 M ops/s), no target progress.
    p = {0.3, 2.0, 0.1, 0.0, 0.3, 0.3, 0};
  } else {
    die("--net: sm, tcp or fabric");
  }
  if (c.lat_local < 0) c.lat_local = p.local;
  if (c.lat_remote < 0) c.lat_remote = p.remote;
  if (c.lat_own < 0) c.lat_own = p.own;
  if (c.cas_extra < 0) c.cas_extra = p.cas;
  if (c.svc < 0) c.svc = p.svc;
  if (c.svc0 < 0) c.svc0 = p.svc0;
  if (c.target_progress < 0) c.target_progress = p.progress;
  if (c.ranks_per_node == 0) c.ranks_per_node = 32;
}

// ---------------------------------------------------------------------------
// The simulator.

struct BlockWord {
  std::uint32_t head = 0, tail = 0;
  static BlockWord unpack(std::uint64_t w) {
    return {static_cast<std::uint32_t>(w >> 32), static_cast<std::uint32_t>(w)};
  }
  std::uint64_t pack() const { return (std::uint64_t{head} << 32) | tail; }
  std::uint64_t left() const { return head < tail ? tail - head : 0; }
};

struct Range {
  std::uint64_t begin = 0, end = 0;
  bool empty() const { return begin >= end; }
};

enum class OpKind : std::uint8_t { load, fetch_add, cas };
enum class Word : std::uint8_t { block, done, abandoned, flag, counter };
enum Cat : std::uint8_t { kCatSteal, kCatDone, kCatPoll, kCatFlag, kCatTick, kCats };
const char* const kCatNames[kCats] = {"steal", "done", "poll", "flag", "tick"};

struct Sim;

struct Op {
  int src = 0, dst = 0;
  OpKind kind = OpKind::load;
  Word word = Word::block;
  Cat cat = kCatSteal;
  std::uint64_t a = 0, b = 0, result = 0;
  double half = 0;
  std::coroutine_handle<> h;
  Op* then = nullptr;  // a phantom's successor, issued when its reply is back
};

enum class Ev : std::uint8_t {
  resume,
  main_resume,
  timeout,
  arrive,
  apply,
  shard_done,
  core,
  park_tick,
  issue
};

struct Event {
  double t;
  std::uint64_t seq;
  Ev kind;
  int rank;
  std::uint64_t x;
  void* p;
};
struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

struct Rank {
  int id = 0;
  std::uint32_t head = 0, tail = 0;
  std::uint64_t flag = 0;  // bounded: the stop flag word
  bool forwarded = false;
  std::minstd_rand rng;
  // executor
  std::vector<std::uint64_t> queue;  // enqueued positions no worker has started
  std::size_t qhead = 0;
  int idle_workers = 0;
  std::vector<double> running_end;  // end times of the shards running (no oversubscription)
  std::uint64_t in_flight = 0, reap_pending = 0;
  bool main_waiting = false;
  std::uint64_t wake_at = 0, wait_version = 0;
  std::coroutine_handle<> main_h;
  bool in_mpi = true;
  double next_wake = 0;
  std::uint64_t unreported = 0, unsent = 0;
  // stats
  std::uint64_t steals = 0, stolen = 0, probes = 0, remote_ops = 0, shards = 0;
  std::uint64_t idle_calls = 0;
  double busy = 0, work = 0, longest = 0, first_start = kInf, last_end = 0;
  double exit_time = -1;
  double nonempty_since = 0;
  double debt = 0;  // aggregated probe time not yet waited for (no work anywhere)
  // parked (bounded, no work anywhere): an idle loop of period park_period from park_t0
  bool parked = false;
  double park_t0 = 0, park_period = 0, park_ops = 0, last_tick = 0;
  double park_sleep = 0;  // each period starts with this long outside MPI
  // busy-parked (no work anywhere, shards running): the wait / failed-attempt
  // loop until the next completion, counted at the end (park_rate: ops per µs)
  bool busy_parked = false;
  double park_rate = 0;
  // bounded: a rank with shards in flight retries stealing only after a back-off
  double busy_retry_at = 0, busy_pause = -1;
  std::uint64_t park_version = 0;
  double mean_shard_us = -1;  // running mean of this rank's shard durations (adaptive prefetch)
  // --prefetch depth (QueueDepth): durations finished but not yet reaped, in
  // completion order; the running mean of the reaped ones
  std::vector<double> unreaped;
  double depth_mean_us = 0;
  bool depth_observed = false;
  unsigned generation = 0;  // --prefetch depth: steals so far (shards queued since count)
  int ticks_unsent = 0;     // --ticks scaled: ticks since this rank last sent its counts
};

// Worker threads sharing `cores` cores round-robin (oversubscription only).
struct Thread {
  int rank = 0;
  bool has_job = false, started = false, running = false;
  std::uint64_t pos = 0;
  double remaining = 0, work_start = 0;
};
struct Core {
  int thread = -1;
  std::uint64_t version = 0;
  double since = 0, slice_left = 0;
};

struct Sim {
  Config cfg;
  int P = 0, T = 1;
  std::uint64_t S = 0;
  std::vector<double> cost;                 // µs of each shard (nominal, SyntheticJob::work)
  std::vector<unsigned> queued_generation;  // --prefetch depth: the rank's generation when queued
  std::vector<Rank> ranks;
  std::vector<Co<Unit>> mains;
  std::priority_queue<Event, std::vector<Event>, Later> events;
  std::uint64_t seq = 0, processed = 0;
  double now = 0;

  // rank 0's words
  std::uint64_t done = 0, abandoned = 0;
  std::uint64_t counter_finished = 0;
  // servers
  std::vector<double> busy_until;
  // non-empty block words
  std::vector<std::uint64_t> nonempty_bits;
  std::uint64_t nonempty_count = 0, in_transit = 0;
  // target-progress estimate for aggregated sweeps: ranks outside MPI
  std::uint64_t out_count = 0;
  double out_wake_sum = 0;
  std::uint64_t parked_count = 0;
  double parked_wait_sum = 0;   // Σ over parked ranks of their mean progress wait
  double r0_parked_hits = 0;    // expected probes of rank 0 by parked ranks
  std::deque<Op> phantom_pool;  // operations without a waiting coroutine (parked ticks)
  std::vector<Op*> phantom_free;
  // rank 0 statistics
  std::uint64_t r0_ops[kCats] = {};
  std::deque<double> r0_queue;  // end times of ops queued or in service at rank 0
  std::uint64_t r0_peak_queue = 0;
  double r0_wait_sum = 0, r0_wait_max = 0, r0_busy = 0;
  std::vector<std::uint32_t> r0_bins;  // arrivals per 1 ms
  // the same for the steal protocol's own operations (all but execution.cpp's ticks)
  std::uint64_t r0_peak_queue_protocol = 0;
  double r0_wait_sum_protocol = 0;
  std::vector<std::uint32_t> r0_bins_protocol;
  // global
  std::uint64_t sweep_victims_aggregated = 0;
  std::uint64_t shards_done = 0;
  double last_shard_end = 0, first_shard_start = kInf;
  int exited = 0;
  // oversubscription
  std::vector<Thread> threads;
  std::vector<Core> cores;
  std::deque<int> runq;

  // ---- events
  void schedule(double t, Ev kind, int rank, std::uint64_t x = 0, void* p = nullptr) {
    events.push(Event{t, seq++, kind, rank, x, p});
  }

  // ---- awaitables
  struct Delay {
    Sim& s;
    double dt;
    bool await_ready() const noexcept { return dt <= 0; }
    void await_suspend(std::coroutine_handle<> h) {
      s.schedule(s.now + dt, Ev::resume, 0, 0, h.address());
    }
    void await_resume() const noexcept {}
  };
  Delay delay(double dt) { return Delay{*this, dt}; }

  // The main thread sleeps (idle back-off): outside MPI until it wakes.
  struct Sleep {
    Sim& s;
    Rank& r;
    double dt;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      r.main_h = h;
      s.set_out(r, s.now + dt);
      s.schedule(s.now + dt, Ev::main_resume, r.id);
    }
    void await_resume() const noexcept {}
  };

  // CompletionQueue::take(wake_at, timeout).
  struct WaitDone {
    Sim& s;
    Rank& r;
    std::uint64_t wake_at;
    double timeout;
    bool await_ready() const noexcept { return r.reap_pending >= wake_at; }
    void await_suspend(std::coroutine_handle<> h) {
      r.main_h = h;
      r.main_waiting = true;
      r.wake_at = wake_at;
      ++r.wait_version;
      const double deadline = s.now + timeout;
      s.schedule(deadline, Ev::timeout, r.id, r.wait_version);
      double predicted = deadline;
      if (!r.running_end.empty() && wake_at > r.reap_pending) {
        std::vector<double> ends = r.running_end;
        const std::size_t want = wake_at - r.reap_pending;
        if (want > ends.size() && r.qhead < r.queue.size()) {
          // more completions than shards running (--prefetch depth): the queued
          // shards follow on the first free worker, in queue order
          predicted = std::min(predicted, s.kth_completion(r, want));
        } else {
          const std::size_t k = std::min<std::size_t>(ends.size(), want) - 1;
          std::nth_element(ends.begin(), ends.begin() + static_cast<long>(k), ends.end());
          predicted = std::min(predicted, ends[k]);
        }
      }
      s.set_out(r, predicted);
    }
    void await_resume() const noexcept {}
  };

  // One remote atomic with its flush (AtomicWindow): the origin blocks.
  struct Remote {
    Sim& s;
    Op op;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      op.h = h;
      s.issue(&op, std::exchange(s.ranks[static_cast<std::size_t>(op.src)].debt, 0.0));
    }
    std::uint64_t await_resume() const noexcept { return op.result; }
  };
  Remote remote(Rank& r, int dst, OpKind kind, Word word, Cat cat, std::uint64_t a = 0,
                std::uint64_t b = 0) {
    Op op;
    op.src = r.id;
    op.dst = dst;
    op.kind = kind;
    op.word = word;
    op.cat = cat;
    op.a = a;
    op.b = b;
    return Remote{*this, op};
  }

  // ---- MPI progress state of a rank's main thread
  void set_out(Rank& r, double wake) {
    if (!r.in_mpi) {
      out_wake_sum -= r.next_wake;
    } else {
      ++out_count;
    }
    r.in_mpi = false;
    r.next_wake = wake;
    out_wake_sum += wake;
  }
  void set_in(Rank& r) {
    if (r.in_mpi) return;
    r.in_mpi = true;
    --out_count;
    out_wake_sum -= r.next_wake;
  }

  bool same_node(int a, int b) const { return a / cfg.ranks_per_node == b / cfg.ranks_per_node; }
  double latency(int a, int b, OpKind kind) const {
    return (same_node(a, b) ? cfg.lat_local : cfg.lat_remote) +
           (kind == OpKind::cas ? cfg.cas_extra : 0.0);
  }

  // ---- non-empty words
  void refresh(Rank& r) {
    const bool ne = r.head < r.tail;
    std::uint64_t& word = nonempty_bits[static_cast<std::size_t>(r.id) >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (r.id & 63);
    const bool was = (word & bit) != 0;
    if (ne == was) return;
    if (ne) {
      word |= bit;
      ++nonempty_count;
      r.nonempty_since = now;
    } else {
      word &= ~bit;
      --nonempty_count;
    }
  }
  bool nonempty(int r) const {
    return (nonempty_bits[static_cast<std::size_t>(r) >> 6] >> (r & 63)) & 1;
  }
  // First d in [0, count) with rank (from + d) % P non-empty; count if none.
  std::uint64_t next_nonempty(int from, std::uint64_t count) const {
    const auto p = static_cast<std::uint64_t>(P);
    std::uint64_t d = 0;
    auto r = static_cast<std::uint64_t>(from);
    while (d < count) {
      const std::uint64_t run = std::min<std::uint64_t>(count - d, p - r);  // [r, r + run)
      const std::uint64_t stop = r + run;
      std::uint64_t pos = r;
      while (pos < stop) {
        const std::uint64_t w = nonempty_bits[pos >> 6] >> (pos & 63);
        if (w) {
          const std::uint64_t at = pos + static_cast<std::uint64_t>(__builtin_ctzll(w));
          if (at < stop) return d + (at - r);
          break;
        }
        pos = (pos | 63) + 1;
      }
      d += run;
      r = 0;
    }
    return count;
  }

  // ---- one-sided operations
  void apply_local(Op& op) {
    Rank& t = ranks[static_cast<std::size_t>(op.dst)];
    switch (op.word) {
      case Word::block: {
        const std::uint64_t cur = BlockWord{t.head, t.tail}.pack();
        op.result = cur;
        if (op.kind == OpKind::cas && cur == op.a) {
          const BlockWord nb = BlockWord::unpack(op.b);
          if (op.src != op.dst) ++in_transit;  // a thief's loot, installed on its reply
          t.head = nb.head;
          t.tail = nb.tail;
          refresh(t);
        }
        break;
      }
      case Word::done:
        op.result = done;
        if (op.kind == OpKind::fetch_add) done += op.a;
        break;
      case Word::abandoned:
        op.result = abandoned;
        if (op.kind == OpKind::fetch_add) abandoned += op.a;
        break;
      case Word::flag:
        op.result = t.flag;
        if (op.kind == OpKind::fetch_add) t.flag += op.a;
        if (t.parked && t.flag != 0) unpark(t);
        break;
      case Word::counter:
        op.result = 0;
        break;
    }
  }

  void issue(Op* op, double after = 0) {
    Rank& src = ranks[static_cast<std::size_t>(op->src)];
    if (op->src == op->dst) {  // own window: no server, the owner's latency
      apply_local(*op);
      if (op->h) schedule(now + after + cfg.lat_own, Ev::resume, 0, 0, op->h.address());
      return;
    }
    ++src.remote_ops;
    op->half = latency(op->src, op->dst, op->kind) / 2;
    schedule(now + after + op->half, Ev::arrive, op->dst, 0, op);
  }
  // An operation no coroutine waits for (a parked rank's tick): counted at the
  // target; `then` is issued when its reply is back, as the real rank would.
  Op* phantom(int src, int dst, OpKind kind, Word word, Cat cat, std::uint64_t a = 0,
              Op* then = nullptr, bool start = true) {
    Op* op;
    if (!phantom_free.empty()) {
      op = phantom_free.back();
      phantom_free.pop_back();
    } else {
      phantom_pool.emplace_back();
      op = &phantom_pool.back();
    }
    *op = Op{};
    op->src = src;
    op->dst = dst;
    op->kind = kind;
    op->word = word;
    op->cat = cat;
    op->a = a;
    op->then = then;
    if (start) issue(op);
    return op;
  }

  void arrive(Op* op) {
    Rank& t = ranks[static_cast<std::size_t>(op->dst)];
    double start = std::max(now, busy_until[static_cast<std::size_t>(op->dst)]);
    if (cfg.target_progress && (t.parked || t.busy_parked)) {
      // outside MPI for park_sleep at the start of each period, inside after
      const double k = std::floor((now - t.park_t0) / t.park_period);
      const double awake = t.park_t0 + k * t.park_period + t.park_sleep;
      start = std::max(start, std::max(now, awake));
    } else if (cfg.target_progress && !t.in_mpi) {
      start = std::max(start, t.next_wake);
    }
    const double service = op->dst == 0 ? cfg.svc0 : cfg.svc;
    const double end = start + service;
    busy_until[static_cast<std::size_t>(op->dst)] = end;
    if (op->dst == 0) note_rank0(op->cat, start, end);
    schedule(end, Ev::apply, op->dst, 0, op);
  }

  void note_rank0(Cat cat, double start, double end) {
    ++r0_ops[cat];
    while (!r0_queue.empty() && r0_queue.front() <= now) r0_queue.pop_front();
    r0_queue.push_back(end);
    r0_peak_queue = std::max<std::uint64_t>(r0_peak_queue, r0_queue.size());
    const double wait = start - now;
    r0_wait_sum += wait;
    r0_wait_max = std::max(r0_wait_max, wait);
    r0_busy += end - start;
    const auto bin = static_cast<std::size_t>(now / 1000.0);
    if (bin >= r0_bins.size()) r0_bins.resize(bin + 1, 0);
    ++r0_bins[bin];
    if (cat != kCatTick) {
      r0_peak_queue_protocol = std::max<std::uint64_t>(r0_peak_queue_protocol, r0_queue.size());
      r0_wait_sum_protocol += wait;
      if (bin >= r0_bins_protocol.size()) r0_bins_protocol.resize(bin + 1, 0);
      ++r0_bins_protocol[bin];
    }
  }

  // The time of the k-th completion from now (k >= 1) of rank r's running and
  // queued shards (no oversubscription): list scheduling on its T workers.
  double kth_completion(const Rank& r, std::size_t k) const {
    std::priority_queue<double, std::vector<double>, std::greater<double>> free_at(
        r.running_end.begin(), r.running_end.end());
    std::size_t next = r.qhead, done_n = 0;
    double t = kInf;
    while (!free_at.empty() && done_n < k) {
      t = free_at.top();
      free_at.pop();
      ++done_n;
      if (next < r.queue.size()) free_at.push(t + cfg.overhead_us + cost[r.queue[next++]]);
    }
    return t;
  }

  // ---- workers and shards
  void enqueue(Rank& r, std::uint64_t pos) {
    queued_generation[pos] = r.generation;
    r.queue.push_back(pos);
    ++r.in_flight;
  }
  void start_workers(Rank& r) {
    if (cfg.cores > 0) {
      for (int w = 0; w < T && r.qhead < r.queue.size(); ++w) {
        Thread& th = threads[static_cast<std::size_t>(r.id * T + w)];
        if (th.has_job) continue;
        th.has_job = true;
        th.started = false;
        th.pos = r.queue[r.qhead++];
        th.remaining = cfg.overhead_us + cost[th.pos];
        runq.push_front(r.id * T + w);  // a woken thread runs soon
      }
      dispatch_idle_cores();
    } else {
      while (r.idle_workers > 0 && r.qhead < r.queue.size()) {
        const std::uint64_t pos = r.queue[r.qhead++];
        --r.idle_workers;
        const double end = now + cfg.overhead_us + cost[pos];
        r.running_end.push_back(end);
        schedule(end, Ev::shard_done, r.id, pos);
      }
    }
    if (r.qhead == r.queue.size()) {
      r.queue.clear();
      r.qhead = 0;
    }
  }
  struct Trace {
    double start, end;
    std::uint64_t pos;
    int rank;
  };
  std::vector<Trace> trace;  // --trace-last N: the N shards that ended last
  void record_shard(Rank& r, std::uint64_t pos, double start, double end) {
    const double duration = end - start;
    if (cfg.trace_last > 0) trace.push_back({start, end, pos, r.id});
    r.busy += duration;
    r.work += cost[pos];
    r.longest = std::max(r.longest, duration);
    r.first_start = std::min(r.first_start, start);
    r.last_end = std::max(r.last_end, end);
    ++r.shards;
    r.mean_shard_us = r.mean_shard_us < 0 ? duration : 0.75 * r.mean_shard_us + 0.25 * duration;
    if (cfg.prefetch == "depth256" ||
        (cfg.prefetch == "depth" && queued_generation[pos] == r.generation))
      r.unreaped.push_back(duration);
    ++shards_done;
    first_shard_start = std::min(first_shard_start, start);
    last_shard_end = std::max(last_shard_end, end);
    ++r.reap_pending;
    if (r.main_waiting && r.reap_pending >= r.wake_at) {
      r.main_waiting = false;
      schedule(now + cfg.wake_us, Ev::main_resume, r.id);
    }
  }
  void shard_done(Rank& r, std::uint64_t pos) {
    const auto it = std::find(r.running_end.begin(), r.running_end.end(), now);
    if (it != r.running_end.end()) r.running_end.erase(it);
    record_shard(r, pos, now - cost[pos], now);
    ++r.idle_workers;
    start_workers(r);
  }

  // Round-robin cores (oversubscription).
  void dispatch_idle_cores() {
    for (std::size_t c = 0; c < cores.size(); ++c)
      if (cores[c].thread < 0 && !runq.empty()) run_on(static_cast<int>(c), cfg.quantum_us);
  }
  void run_on(int c, double slice) {
    Core& core = cores[static_cast<std::size_t>(c)];
    core.thread = runq.front();
    runq.pop_front();
    Thread& th = threads[static_cast<std::size_t>(core.thread)];
    th.running = true;
    if (!th.started) {
      th.started = true;
      th.work_start = now + std::min(cfg.overhead_us, th.remaining);
    }
    core.since = now;
    core.slice_left = slice;
    ++core.version;
    schedule(now + std::min(slice, th.remaining), Ev::core, c, core.version);
  }
  void core_event(int c, std::uint64_t version) {
    Core& core = cores[static_cast<std::size_t>(c)];
    if (version != core.version || core.thread < 0) return;
    Thread& th = threads[static_cast<std::size_t>(core.thread)];
    const double used = now - core.since;
    th.remaining -= used;
    core.slice_left -= used;
    core.since = now;
    Rank& r = ranks[static_cast<std::size_t>(th.rank)];
    bool finished_one = false;
    if (th.remaining <= 1e-9) {
      finished_one = true;
      th.has_job = false;
      record_shard(r, th.pos, th.work_start, now);
      if (r.qhead < r.queue.size()) {  // the next queued shard
        th.has_job = true;
        th.pos = r.queue[r.qhead++];
        th.remaining = cfg.overhead_us + cost[th.pos];
        th.started = false;
        if (r.qhead == r.queue.size()) {
          r.queue.clear();
          r.qhead = 0;
        }
      }
    }
    // The push of a finished shard wakes the rank's main thread, which (a
    // sleeper, favoured by the scheduler) preempts the worker at the shard's
    // end: with other threads waiting, the worker goes to the back of the run
    // queue, so descheduled time falls between shards rather than inside them.
    const bool yield = cfg.yield_at_end && finished_one && !runq.empty();
    if (th.has_job && core.slice_left > 1e-9 && !yield) {
      if (!th.started) {
        th.started = true;
        th.work_start = now + std::min(cfg.overhead_us, th.remaining);
      }
      ++core.version;
      schedule(now + std::min(core.slice_left, th.remaining), Ev::core, c, core.version);
      return;
    }
    const int id = core.thread;
    th.running = false;
    core.thread = -1;
    if (th.has_job) runq.push_back(id);  // preempted: to the back of the run queue
    if (!runq.empty()) run_on(c, cfg.quantum_us);
  }

  // ---- the protocol: StealSource
  int other(Rank& r) {
    std::uniform_int_distribution<int> pick(0, P - 2);
    const int x = pick(r.rng);
    return x >= r.id ? x + 1 : x;
  }

  bool work_exists() const { return nonempty_count > 0 || in_transit > 0; }
  bool aggregate() const { return P >= cfg.sweep_exact_below; }
  // Target progress: the mean wait of an operation on a random rank (snapshot).
  double mean_progress_wait() const {
    if (!cfg.target_progress) return 0;
    const double out = std::max(0.0, out_wake_sum - static_cast<double>(out_count) * now);
    return (out + parked_wait_sum) / static_cast<double>(P);
  }
  // A load of v's block word. Above --sweep-exact-below ranks a word that is
  // empty now (not rank 0's) is not an event: its latency is waited for (or,
  // with no work left anywhere, which never changes again, added to the
  // rank's debt and waited for with its next operation).
  Co<std::uint64_t> load_block(Rank& r, int v) {
    const Rank& t = ranks[static_cast<std::size_t>(v)];
    if (aggregate() && v != 0 && t.head >= t.tail) {
      ++r.remote_ops;
      const double c = latency(r.id, v, OpKind::load) + cfg.svc + mean_progress_wait();
      const std::uint64_t w = BlockWord{t.head, t.tail}.pack();
      if (!work_exists()) {
        r.debt += c;
      } else {
        co_await delay(c);
      }
      co_return w;
    }
    co_return co_await remote(r, v, OpKind::load, Word::block, kCatSteal);
  }

  Co<std::optional<Range>> take_own(Rank& r, std::uint64_t max) {
    const BlockWord b{r.head, r.tail};
    if (b.left() == 0) {
      co_await delay(cfg.lat_own);  // the load
      co_return std::nullopt;
    }
    const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(max, b.left()));
    const Range out{r.head, std::uint64_t{r.head} + take};
    r.head += take;
    refresh(r);
    co_await delay(2 * cfg.lat_own);  // load + CAS
    co_return out;
  }

  Co<bool> steal_from(Rank& r, int victim) {
    ++r.probes;
    std::uint64_t word = co_await load_block(r, victim);
    for (;;) {
      BlockWord block = BlockWord::unpack(word);
      if (block.left() == 0) co_return false;
      const auto take = static_cast<std::uint32_t>((block.left() + 1) / 2);
      const BlockWord loot{block.tail - take, block.tail};
      block.tail -= take;
      const std::uint64_t seen =
          co_await remote(r, victim, OpKind::cas, Word::block, kCatSteal, word, block.pack());
      if (seen == word) {
        co_await delay(2 * cfg.lat_own);  // load + CAS of our own (empty) word
        --in_transit;
        r.head = loot.head;
        r.tail = loot.tail;
        refresh(r);
        r.steals += 1;
        r.stolen += take;
        if (cfg.depth_reset_on_steal || cfg.prefetch == "depth")
          r.depth_observed = false;  // the loot's shards are another part of the plan
        if (cfg.prefetch == "depth") ++r.generation;
        co_return true;
      }
      word = seen;
    }
  }

  Co<bool> steal_once(Rank& r) {
    if (P < 2) co_return false;
    int victim = other(r);
    if (P > 2) {
      const int second = other(r);
      const std::uint64_t ws = co_await load_block(r, second);
      const std::uint64_t wv = co_await load_block(r, victim);
      if (BlockWord::unpack(ws).left() > BlockWord::unpack(wv).left()) victim = second;
    }
    co_return co_await steal_from(r, victim);
  }

  // Victim index i of a sweep that started at `start`: (rank + start + i) % P.
  int sweep_victim(const Rank& r, int start, std::uint64_t i) const {
    return static_cast<int>(
        (static_cast<std::uint64_t>(r.id) + static_cast<std::uint64_t>(start) + i) %
        static_cast<std::uint64_t>(P));
  }
  // Ranks in the circular range [from, from + len) that lie in [lo, hi).
  std::uint64_t count_in(int from, std::uint64_t len, int lo, int hi) const {
    auto linear = [&](std::uint64_t a, std::uint64_t b) -> std::uint64_t {  // [a, b) ∩ [lo, hi)
      const std::uint64_t x = std::max<std::uint64_t>(a, static_cast<std::uint64_t>(lo));
      const std::uint64_t y = std::min<std::uint64_t>(b, static_cast<std::uint64_t>(hi));
      return y > x ? y - x : 0;
    };
    const auto f = static_cast<std::uint64_t>(from);
    const auto p = static_cast<std::uint64_t>(P);
    if (f + len <= p) return linear(f, f + len);
    return linear(f, p) + linear(0, f + len - p);
  }
  // Cost of loading sweep victims [i, j) (all empty): latency + service each, and
  // with target progress the mean wait for a victim outside MPI (snapshot).
  struct SegmentCost {
    double us;
    std::uint64_t victims;
  };
  SegmentCost segment_cost(const Rank& r, int start, std::uint64_t i, std::uint64_t j) const {
    if (j <= i) return {0, 0};
    const int from = sweep_victim(r, start, i);
    const std::uint64_t len = j - i;
    const bool self_inside = count_in(from, len, r.id, r.id + 1) > 0;
    const std::uint64_t victims = len - (self_inside ? 1 : 0);
    const int node = r.id / cfg.ranks_per_node;
    const int lo = node * cfg.ranks_per_node;
    const int hi = std::min(P, lo + cfg.ranks_per_node);
    std::uint64_t local = count_in(from, len, lo, hi) - (self_inside ? 1 : 0);
    const std::uint64_t remote_n = victims - local;
    double us = static_cast<double>(local) * (cfg.lat_local + cfg.svc) +
                static_cast<double>(remote_n) * (cfg.lat_remote + cfg.svc);
    us += static_cast<double>(victims) * mean_progress_wait();
    return {us, victims};
  }

  Co<bool> sweep(Rank& r) {
    if (P < 2) co_return false;
    const int start = std::uniform_int_distribution<int>(1, P - 1)(r.rng);
    const std::uint64_t n = static_cast<std::uint64_t>(P) - 1;
    if (P < cfg.sweep_exact_below) {
      for (std::uint64_t i = 0; i < n; ++i) {
        const int victim = sweep_victim(r, start, i);
        if (victim != r.id && co_await steal_from(r, victim)) co_return true;
      }
      co_return false;
    }
    // Aggregated: loads of empty words cost time and count as operations, but
    // are not events; non-empty words and rank 0 get real operations.
    std::uint64_t i = 0;
    while (i < n) {
      const bool work_now = work_exists();
      std::uint64_t j = n;
      if (work_now) {
        const std::uint64_t limit =
            std::min<std::uint64_t>(n - i, static_cast<std::uint64_t>(cfg.sweep_eval));
        j = i + next_nonempty(sweep_victim(r, start, i), limit);
      }
      // rank 0 is always visited with a real operation (its queue is measured)
      const std::uint64_t zero_at =
          (static_cast<std::uint64_t>(P) * 2 - static_cast<std::uint64_t>(r.id) -
           static_cast<std::uint64_t>(start)) %
          static_cast<std::uint64_t>(P);
      if (r.id != 0 && zero_at >= i && zero_at < j) j = zero_at;
      const double t0 = now;
      const SegmentCost seg = segment_cost(r, start, i, j);
      r.probes += seg.victims;
      r.remote_ops += seg.victims;
      sweep_victims_aggregated += seg.victims;
      if (!work_exists()) {
        r.debt += seg.us;
      } else {
        co_await delay(seg.us);
      }
      // Work that appeared in [i, j) before the sweep passed it: found late, now.
      if (work_now) {
        std::uint64_t k = i;
        while (k < j) {
          const std::uint64_t d = next_nonempty(sweep_victim(r, start, k), j - k);
          if (d >= j - k) break;
          k += d;
          const int v = sweep_victim(r, start, k);
          if (v != r.id && ranks[static_cast<std::size_t>(v)].nonempty_since <=
                               t0 + segment_cost(r, start, i, k).us) {
            j = k;
            break;
          }
          ++k;
        }
      }
      if (j >= n) break;
      const int victim = sweep_victim(r, start, j);
      if (victim != r.id && co_await steal_from(r, victim)) co_return true;
      i = j + 1;
    }
    co_return false;
  }

  Co<bool> finished(Rank& r) {
    const std::uint64_t d = co_await remote(r, 0, OpKind::load, Word::done, kCatPoll);
    if (d >= S) co_return true;
    const std::uint64_t a = co_await remote(r, 0, OpKind::load, Word::abandoned, kCatPoll);
    co_return a != 0;
  }

  Co<std::optional<Range>> next_current(Rank& r, std::uint64_t max, bool idle) {
    if (auto own = co_await take_own(r, max)) co_return own;
    if (idle && r.unreported > 0) {
      co_await remote(r, 0, OpKind::fetch_add, Word::done, kCatDone, r.unreported);
      r.unreported = 0;
    }
    bool got = co_await steal_once(r);
    if (!got && idle) got = co_await sweep(r);
    if (got)
      if (auto own = co_await take_own(r, max)) co_return own;
    if (idle && co_await finished(r)) co_return std::nullopt;
    co_return Range{};
  }

  // The proposed variant (bench/stealsim/protocol.patch): bounded random
  // probes instead of the sweep; termination by a stop flag in every rank's
  // own word, set on rank 0 by the rank whose count completes kDone and
  // forwarded down a fan-out tree; an idle rank reads only its own flag.
  int probes_for() const {
    if (cfg.probes > 0) return cfg.probes;
    int k = 0;
    while ((1LL << k) < P) ++k;
    return std::max(1, k);
  }
  Co<std::optional<Range>> next_bounded(Rank& r, std::uint64_t max, bool idle) {
    if (auto own = co_await take_own(r, max)) co_return own;
    if (idle && r.unreported > 0) {
      const std::uint64_t n = r.unreported;
      r.unreported = 0;
      const std::uint64_t old = co_await remote(r, 0, OpKind::fetch_add, Word::done, kCatDone, n);
      if (old + n == S) co_await remote(r, 0, OpKind::fetch_add, Word::flag, kCatFlag, 1);
    }
    co_await delay(cfg.lat_own);  // load of our own flag word
    if (r.flag != 0) {
      if (!r.forwarded) {
        r.forwarded = true;
        for (int c = 1; c <= cfg.fanout; ++c) {
          const long long child = static_cast<long long>(r.id) * cfg.fanout + c;
          if (child >= P) break;
          co_await remote(r, static_cast<int>(child), OpKind::fetch_add, Word::flag, kCatFlag, 1);
        }
      }
      if (idle) co_return std::nullopt;
    }
    bool got = false;
    if (idle) {
      got = co_await steal_once(r);
      for (int k = probes_for(); !got && k > 0 && P > 1; --k)
        got = co_await steal_from(r, other(r));
    } else if (now >= r.busy_retry_at) {
      // Shards in flight: one cheap attempt; after a miss, the next only after
      // a back-off (20 µs doubling to 2 ms, like the executor's idle back-off).
      got = co_await steal_once(r);
      if (!got) {
        if (r.busy_pause < 0) r.busy_pause = cfg.backoff_min_us;
        r.busy_retry_at = now + r.busy_pause;
        r.busy_pause = std::min(r.busy_pause * 2, cfg.backoff_max_us);
      }
    }
    if (got) {
      r.busy_pause = cfg.backoff_min_us;
      r.busy_retry_at = 0;
      // --prefetch depth: one shard of the loot, as steal_source.cpp does now
      const std::uint64_t take = cfg.prefetch == "depth" ? std::min<std::uint64_t>(max, 1) : max;
      if (auto own = co_await take_own(r, take)) co_return own;
    }
    co_return Range{};
  }

  Co<std::optional<Range>> next(Rank& r, std::uint64_t max, bool idle) {
    if (idle) ++r.idle_calls;
    std::optional<Range> out;
    if (cfg.protocol == "bounded") {
      out = co_await next_bounded(r, max, idle);
    } else {
      out = co_await next_current(r, max, idle);
    }
    if (r.debt > 0) co_await delay(std::exchange(r.debt, 0.0));
    co_return out;
  }

  // ---- parking (bounded only): an idle rank that found nothing, with no
  // work anywhere and its back-off at the maximum, repeats the same idle call
  // until its stop flag is set. It waits for the flag instead; the calls it
  // would have made are counted when it wakes, and its ticks still go to rank 0.
  bool can_park(const Rank& r, double idle_pause) const {
    return cfg.park && cfg.protocol == "bounded" && aggregate() && !work_exists() && r.flag == 0 &&
           idle_pause >= cfg.backoff_max_us && r.unreported == 0;
  }
  struct Park {
    Sim& s;
    Rank& r;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { s.park(r, h); }
    void await_resume() const noexcept {}
  };
  double parked_tick_time(const Rank& r, double due) const {
    const double first = r.park_t0 + r.park_sleep;
    const double k = due <= first ? 0 : std::ceil((due - first) / r.park_period);
    return first + k * r.park_period;
  }
  void park(Rank& r, std::coroutine_handle<> h) {
    r.main_h = h;
    const int node = r.id / cfg.ranks_per_node;
    const int lo = node * cfg.ranks_per_node, hi = std::min(P, lo + cfg.ranks_per_node);
    const double local = static_cast<double>(hi - lo - 1) / static_cast<double>(P - 1);
    const double probe =
        local * cfg.lat_local + (1 - local) * cfg.lat_remote + cfg.svc + mean_progress_wait();
    r.park_ops = 3 + probes_for();  // two-choice loads, its steal load, the probes
    r.park_period = cfg.backoff_max_us + 2 * cfg.lat_own + r.park_ops * probe;
    r.park_t0 = now;
    r.park_sleep = cfg.backoff_max_us;
    r.parked = true;
    ++parked_count;
    parked_wait_sum += cfg.backoff_max_us * cfg.backoff_max_us / (2 * r.park_period);
    ++r.park_version;
    set_in(r);  // accounted by parked_wait_sum instead
    if (cfg.tick_ms > 0)
      schedule(parked_tick_time(r, r.last_tick + cfg.tick_ms * 1000), Ev::park_tick, r.id,
               r.park_version);
  }
  void unpark(Rank& r) {
    const double b = cfg.backoff_max_us;
    const double first_check = r.park_t0 + b + 2 * cfg.lat_own;
    const double k = now <= first_check ? 0 : std::ceil((now - first_check) / r.park_period);
    const double resume = r.park_t0 + k * r.park_period + b;
    const auto calls = static_cast<std::uint64_t>(k);
    r.probes += calls * static_cast<std::uint64_t>(1 + probes_for());
    r.remote_ops += calls * static_cast<std::uint64_t>(r.park_ops);
    r.idle_calls += calls;
    r0_parked_hits += k * r.park_ops / static_cast<double>(P - 1);
    r.parked = false;
    --parked_count;
    parked_wait_sum -= b * b / (2 * r.park_period);
    ++r.park_version;
    schedule(std::max(resume, now), Ev::main_resume, r.id);
  }
  // Busy parking: shards running, no work anywhere (never again), the next
  // completion known. The main thread would wake every wait_us, fail a
  // non-idle steal attempt (or skip it during its back-off) and wait again
  // until the completion: that loop is counted instead of simulated.
  bool can_busy_park(const Rank& r, std::uint64_t wake_at, double wait_us) const {
    if (!cfg.park || !aggregate() || work_exists() || cfg.cores > 0 || r.flag != 0) return false;
    if (r.running_end.empty() || r.reap_pending >= wake_at) return false;
    const double first = *std::min_element(r.running_end.begin(), r.running_end.end());
    return first > now + 4 * wait_us;  // only worth it for a few wake-ups or more
  }
  struct BusyPark {
    Sim& s;
    Rank& r;
    std::uint64_t wake_at;
    double wait_us;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { s.busy_park(r, h, wake_at, wait_us); }
    void await_resume() const noexcept {}
  };
  double mean_probe_cost(const Rank& r) const {
    const int node = r.id / cfg.ranks_per_node;
    const int lo = node * cfg.ranks_per_node, hi = std::min(P, lo + cfg.ranks_per_node);
    const double local = static_cast<double>(hi - lo - 1) / static_cast<double>(P - 1);
    return local * cfg.lat_local + (1 - local) * cfg.lat_remote + cfg.svc + mean_progress_wait();
  }
  void busy_park(Rank& r, std::coroutine_handle<> h, std::uint64_t wake_at, double wait_us) {
    r.main_h = h;
    r.main_waiting = true;
    r.wake_at = wake_at;
    ++r.wait_version;                               // no timeout
    const double attempt = 3 * mean_probe_cost(r);  // steal_once: two loads, then its victim's
    const double call = cfg.lat_own * (cfg.protocol == "bounded" ? 2 : 1);  // take_own (+ own flag)
    if (cfg.protocol == "bounded") {
      // attempts at most every backoff_max once the back-off has grown
      r.park_period = wait_us + call;
      r.park_rate = 3.0 / std::max(cfg.backoff_max_us, r.park_period);
    } else {
      r.park_period = wait_us + call + attempt;
      r.park_rate = 3.0 / r.park_period;
    }
    r.park_t0 = now;
    r.park_sleep = wait_us;
    r.busy_parked = true;
    ++parked_count;
    parked_wait_sum += wait_us * wait_us / (2 * r.park_period);
    ++r.park_version;
    set_in(r);
    if (cfg.tick_ms > 0)
      schedule(parked_tick_time(r, r.last_tick + cfg.tick_ms * 1000), Ev::park_tick, r.id,
               r.park_version);
  }
  void busy_unpark(Rank& r) {
    const double elapsed = now - r.park_t0;
    const double ops = r.park_rate * elapsed;
    r.remote_ops += static_cast<std::uint64_t>(ops);
    r.probes += static_cast<std::uint64_t>(ops / 3);
    r0_parked_hits += ops / static_cast<double>(P - 1);
    r.busy_parked = false;
    --parked_count;
    parked_wait_sum -= r.park_sleep * r.park_sleep / (2 * r.park_period);
    ++r.park_version;
  }

  void park_tick(Rank& r, std::uint64_t version) {
    if (!(r.parked || r.busy_parked) || version != r.park_version) return;
    if (r.id != 0 && cfg.ticks != "rank0") {  // the stop flag is local; counts now and then
      if (++r.ticks_unsent >= ticks_per_send()) {
        r.ticks_unsent = 0;
        if (r.unsent > 0) {
          Op* second = phantom(r.id, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent,
                               nullptr, false);
          phantom(r.id, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent, second, true);
          r.unsent = 0;
        }
      }
    } else if (r.id != 0) {  // rank 0 reads its own window
      Op* load = phantom(r.id, 0, OpKind::load, Word::counter, kCatTick, 0, nullptr, r.unsent == 0);
      if (r.unsent > 0) {  // one after the other, as tick() does them
        Op* second =
            phantom(r.id, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent, load, false);
        phantom(r.id, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent, second, true);
        r.unsent = 0;
      }
    }
    r.last_tick = now;
    schedule(parked_tick_time(r, now + cfg.tick_ms * 1000), Ev::park_tick, r.id, r.park_version);
  }

  // --ticks scaled: a rank other than 0 sends its counts every max(1, P/256) ticks.
  // (scaled256: every max(1, P/256) ticks, all ranks in phase: the first version)
  int ticks_per_send() const { return std::max(1, P / (cfg.ticks == "scaled256" ? 256 : 1024)); }

  // execution.cpp's watch() on a rank other than 0, every tick: the progress
  // counters, then the stop counter. Rank 0 reads its own window.
  // --ticks scaled (execution.cpp, run_counters.cpp now): the counts only
  // every ticks_per_send() ticks, and the stop flag from the rank's own window.
  Co<Unit> tick(Rank& r) {
    if (r.id != 0 && cfg.ticks != "rank0") {
      if (++r.ticks_unsent >= ticks_per_send()) {
        r.ticks_unsent = 0;
        if (r.unsent > 0) {
          co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
          co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
          r.unsent = 0;
        }
      }
      co_await delay(cfg.lat_own);  // load of the stop flag in its own window
    } else if (r.id != 0) {
      if (r.unsent > 0) {
        co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
        co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
        r.unsent = 0;
      }
      co_await remote(r, 0, OpKind::load, Word::counter, kCatTick);
    } else {
      co_await delay(5 * cfg.lat_own);
    }
    co_return Unit{};
  }

  // --prefetch depth: core/queue_depth.hpp. Shards a thread keeps in flight:
  // ceil(1 ms / m) clamped to [2, 256], m the running mean (weight 1/8, the
  // first duration as it is) of the durations the main thread has reaped; 2
  // before any.
  // --prefetch depth (the code now) differs from depth256 (its first version):
  // at most 64, the estimate rises at once to a longer shard, and after a
  // steal it starts again and learns only from shards queued since; the
  // thief then takes one shard of its loot (next_bounded).
  static constexpr double kQueuedUs = 1000;
  static constexpr std::uint64_t kDepthMin = 2;
  std::uint64_t depth_max() const { return cfg.prefetch == "depth" ? 64 : 256; }
  void depth_observe(Rank& r, double us) const {
    const double s = std::max(us, 0.0);
    const bool rise_at_once = cfg.prefetch == "depth" && s >= r.depth_mean_us;
    r.depth_mean_us =
        r.depth_observed && !rise_at_once ? r.depth_mean_us + (s - r.depth_mean_us) / 8 : s;
    r.depth_observed = true;
  }
  std::uint64_t depth_per_thread(const Rank& r) const {
    if (!r.depth_observed) return kDepthMin;
    if (r.depth_mean_us * static_cast<double>(depth_max()) <= kQueuedUs) return depth_max();
    const auto depth = static_cast<std::uint64_t>(std::ceil(kQueuedUs / r.depth_mean_us));
    return std::clamp(depth, kDepthMin, depth_max());
  }

  // Executor::run's loop, with the source above.
  Co<Unit> executor(Rank& r) {
    const auto full = static_cast<std::uint64_t>(T) * 2;
    // adaptive: a shard waits in the queue (where no thief can take it) only
    // while this rank's shards have been short; before the first one: no.
    auto capacity_now = [&]() -> std::uint64_t {
      if (cfg.prefetch == "always") return full;
      if (cfg.prefetch == "never") return static_cast<std::uint64_t>(T);
      if (cfg.prefetch == "depth" || cfg.prefetch == "depth256")
        return static_cast<std::uint64_t>(T) * depth_per_thread(r);
      return r.mean_shard_us >= 0 && r.mean_shard_us < cfg.prefetch_below_us
                 ? full
                 : static_cast<std::uint64_t>(T);
    };
    std::uint64_t capacity = capacity_now();
    double idle_pause = cfg.backoff_min_us;
    bool source_dry = false;
    const double wait_us =
        cfg.target_progress ? std::min(cfg.poll_us, cfg.wait_ms * 1000) : cfg.wait_ms * 1000;
    for (;;) {
      bool waiting_for_work = false;
      capacity = capacity_now();
      // (--depth-reset-on-steal: a steal inside next() can lower the capacity at once)
      const bool recompute = cfg.depth_reset_on_steal || cfg.prefetch == "depth";
      while (!source_dry && r.in_flight < (recompute ? capacity = capacity_now() : capacity)) {
        std::optional<Range> range = co_await next(r, capacity - r.in_flight, r.in_flight == 0);
        if (!range) source_dry = true;
        if (!range || range->empty()) {
          waiting_for_work = range.has_value() && r.in_flight == 0;
          break;
        }
        idle_pause = cfg.backoff_min_us;
        for (std::uint64_t pos = range->begin; pos < range->end; ++pos) enqueue(r, pos);
        start_workers(r);
      }
      if (r.in_flight == 0 && source_dry) break;
      if (waiting_for_work && can_park(r, idle_pause)) {
        co_await Park{*this, r};
      } else if (waiting_for_work) {
        co_await Sleep{*this, r, idle_pause};
        idle_pause = std::min(idle_pause * 2, cfg.backoff_max_us);
      } else {
        std::uint64_t wake_at = std::min<std::uint64_t>(static_cast<std::uint64_t>(T), r.in_flight);
        if (cfg.prefetch == "depth" ||
            cfg.prefetch == "depth256") {  // refill once half of the capacity is through
          const std::uint64_t refill_at = capacity / 2;
          wake_at = std::max(r.in_flight > refill_at ? r.in_flight - refill_at : 0, wake_at);
        }
        if (can_busy_park(r, wake_at, wait_us)) {
          co_await BusyPark{*this, r, wake_at, wait_us};
        } else {
          co_await WaitDone{*this, r, wake_at, wait_us};
        }
        const std::uint64_t completed = r.reap_pending;
        r.reap_pending = 0;
        for (const double d : r.unreaped) depth_observe(r, d);  // the batch, in push order
        r.unreaped.clear();
        r.in_flight -= completed;
        r.unsent += completed;
        if (completed > 0) r.unreported += completed;  // source.completed()
      }
      if (cfg.tick_ms > 0 && now - r.last_tick >= cfg.tick_ms * 1000) {
        r.last_tick = now;
        co_await tick(r);
      }
    }
    // After the executor: send_counts and kRanksFinished (execution.cpp).
    if (cfg.tick_ms > 0 && r.id != 0) {
      if (r.unsent > 0) {
        co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
        co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, r.unsent);
      }
      co_await remote(r, 0, OpKind::fetch_add, Word::counter, kCatTick, 1);
    }
    r.exit_time = now;
    ++exited;
    set_in(r);  // waits in the collectives that follow: inside MPI
    co_return Unit{};
  }

  // ---- setup and the loop
  void compute_costs() {
    const CostModel model = CostModel::parse(cfg.cost, cfg.mean_us, cfg.seed);
    const Plan plan(cfg.items, cfg.shards, cfg.shard_items,
                    std::max<std::uint64_t>(1, (cfg.items + 4095) / 4096));
    S = plan.count;
    if (S >= (std::uint64_t{1} << 32)) die("at most 2^32-1 shards (StealSource::kMaxShards)");
    cost.assign(S, 0);
    queued_generation.assign(S, 0);
    std::string cache;
    if (!cfg.cost_cache.empty()) {
      char name[256];
      std::snprintf(name, sizeof name,
                    "costs-%s-%g-%" PRIu64 "-%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".bin",
                    cfg.cost.c_str(), cfg.mean_us, cfg.seed, cfg.items, plan.count, plan.fixed);
      for (char* c = name; *c; ++c)
        if (*c == ':' || *c == '/') *c = '_';
      std::filesystem::create_directories(cfg.cost_cache);
      cache = (std::filesystem::path(cfg.cost_cache) / name).string();
      std::ifstream in(cache, std::ios::binary);
      if (in && in.read(reinterpret_cast<char*>(cost.data()),
                        static_cast<std::streamsize>(S * sizeof(double))))
        return;
    }
    for (std::uint64_t id = 0; id < S; ++id) {
      const auto [b, e] = plan.shard(id);
      cost[id] = model.shard_us(b, e, cfg.items, cfg.closed_form_above);
    }
    if (!cache.empty()) {
      std::ofstream out(cache + ".tmp", std::ios::binary);
      out.write(reinterpret_cast<const char*>(cost.data()),
                static_cast<std::streamsize>(S * sizeof(double)));
      out.close();
      std::filesystem::rename(cache + ".tmp", cache);
    }
  }
  // --layout strided: the to-do list dealt round-robin, position p of rank r's
  // block holding shard ids r, r + P, r + 2P, ... (ids ordered by (id mod P,
  // id div P)); a permutation of the positions, so "exactly once" is unchanged.
  void apply_layout() {
    if (cfg.layout == "block") return;
    std::vector<double> out;
    out.reserve(S);
    const auto p = static_cast<std::uint64_t>(P);
    for (std::uint64_t r = 0; r < p; ++r)
      for (std::uint64_t id = r; id < S; id += p) out.push_back(cost[id]);
    cost.swap(out);
  }

  void run() {
    P = cfg.ranks;
    T = cfg.threads;
    compute_costs();
    apply_layout();
    ranks.resize(static_cast<std::size_t>(P));
    busy_until.assign(static_cast<std::size_t>(P), 0);
    nonempty_bits.assign(static_cast<std::size_t>(P) / 64 + 1, 0);
    if (cfg.cores > 0) {
      threads.resize(static_cast<std::size_t>(P) * static_cast<std::size_t>(T));
      for (std::size_t i = 0; i < threads.size(); ++i) threads[i].rank = static_cast<int>(i) / T;
      cores.resize(static_cast<std::size_t>(cfg.cores));
    }
    for (int i = 0; i < P; ++i) {
      Rank& r = ranks[static_cast<std::size_t>(i)];
      r.id = i;
      r.rng.seed(static_cast<std::minstd_rand::result_type>(1 + i));
      const auto [b, e] = weighted_block(S, i, P);
      r.head = static_cast<std::uint32_t>(b);
      r.tail = static_cast<std::uint32_t>(e);
      r.idle_workers = T;
      refresh(r);
    }
    mains.reserve(static_cast<std::size_t>(P));
    std::mt19937_64 jitter(cfg.seed * 7919 + 17);
    for (int i = 0; i < P; ++i) {
      mains.push_back(executor(ranks[static_cast<std::size_t>(i)]));
      const double t0 = cfg.start_jitter_us > 0
                            ? std::uniform_real_distribution<double>(0, cfg.start_jitter_us)(jitter)
                            : 0;
      ranks[static_cast<std::size_t>(i)].last_tick = t0;
      if (cfg.ticks == "scaled")
        ranks[static_cast<std::size_t>(i)].ticks_unsent = i % ticks_per_send();
      schedule(t0, Ev::resume, i, 0, mains.back().h.address());
    }
    const double limit = cfg.max_sim_s * 1e6;
    while (!events.empty()) {
      const Event e = events.top();
      events.pop();
      now = e.t;
      if (now > limit) die("simulated time exceeds --max-sim-s");
      ++processed;
      switch (e.kind) {
        case Ev::resume:
          std::coroutine_handle<>::from_address(e.p).resume();
          break;
        case Ev::main_resume: {
          Rank& r = ranks[static_cast<std::size_t>(e.rank)];
          if (r.busy_parked) busy_unpark(r);
          set_in(r);
          r.main_h.resume();
          break;
        }
        case Ev::timeout: {
          Rank& r = ranks[static_cast<std::size_t>(e.rank)];
          if (r.main_waiting && r.wait_version == e.x) {
            r.main_waiting = false;
            set_in(r);
            r.main_h.resume();
          }
          break;
        }
        case Ev::arrive:
          arrive(static_cast<Op*>(e.p));
          break;
        case Ev::apply: {
          Op* op = static_cast<Op*>(e.p);
          apply_local(*op);
          if (op->h) {
            schedule(now + op->half, Ev::resume, op->src, 0, op->h.address());
          } else {
            if (op->then) schedule(now + op->half, Ev::issue, op->src, 0, op->then);
            phantom_free.push_back(op);
          }
          break;
        }
        case Ev::shard_done:
          shard_done(ranks[static_cast<std::size_t>(e.rank)], e.x);
          break;
        case Ev::core:
          core_event(e.rank, e.x);
          break;
        case Ev::park_tick:
          park_tick(ranks[static_cast<std::size_t>(e.rank)], e.x);
          break;
        case Ev::issue:
          issue(static_cast<Op*>(e.p));
          break;
      }
    }
    if (exited != P) die("deadlock: " + std::to_string(P - exited) + " rank(s) never stopped");
    if (shards_done != S)
      die("shards run " + std::to_string(shards_done) + " != " + std::to_string(S));
  }

  // ---- the report
  void report(double wall_seconds) const {
    // run_record.cpp's derive_efficiency, with shardrun's own definitions.
    double total_speed = 0, total_work = 0, longest = 0, busy_all = 0;
    for (const Rank& r : ranks) {
      const double busy = r.busy / T;
      if (busy > 0) total_speed += r.work / busy;
      total_work += r.work;
      longest = std::max(longest, r.longest);
      busy_all += r.busy;
    }
    const double makespan =
        last_shard_end > first_shard_start ? last_shard_end - first_shard_start : 0;
    const double ideal = total_speed > 0 ? total_work / total_speed : 0;
    const double bound = std::max(ideal, longest);
    const double efficiency = makespan > 0 ? bound / makespan : 0;
    // Nominal: every rank's thread-slots, idle or not (ranks that ran nothing count).
    const double slots =
        static_cast<double>(P) * T *
        (cfg.cores > 0 ? std::min(1.0, static_cast<double>(cfg.cores) / (P * T)) : 1.0);
    const double utilization = makespan > 0 ? total_work / (slots * makespan) : 0;
    const double max_cost = cost.empty() ? 0 : *std::max_element(cost.begin(), cost.end());
    const double nominal_bound = std::max(total_work / slots, max_cost);
    double end = 0;
    for (const Rank& r : ranks) end = std::max(end, r.exit_time);
    auto mean_max = [&](auto field) {
      double sum = 0, mx = 0;
      for (const Rank& r : ranks) {
        const double v = static_cast<double>(field(r));
        sum += v;
        mx = std::max(mx, v);
      }
      return std::pair<double, double>{sum / P, mx};
    };
    const auto steals = mean_max([](const Rank& r) { return r.steals; });
    const auto stolen = mean_max([](const Rank& r) { return r.stolen; });
    const auto probes = mean_max([](const Rank& r) { return r.probes; });
    const auto ops = mean_max([](const Rank& r) { return r.remote_ops; });
    const auto idle_calls = mean_max([](const Rank& r) { return r.idle_calls; });
    const auto ran = mean_max([](const Rank& r) { return r.shards; });
    int ranks_idle_all_run = 0;
    for (const Rank& r : ranks) ranks_idle_all_run += r.shards == 0;
    std::uint64_t r0_total = 0, r0_protocol = 0;
    for (int c = 0; c < kCats; ++c) r0_total += r0_ops[c];
    r0_total += static_cast<std::uint64_t>(std::llround(r0_parked_hits));  // not queued
    r0_protocol = r0_total - r0_ops[kCatTick];
    auto peak10_of = [](const std::vector<std::uint32_t>& bins) {  // any 10 ms window
      std::uint64_t peak = 0, window = 0;
      for (std::size_t b = 0; b < bins.size(); ++b) {
        window += bins[b];
        if (b >= 10) window -= bins[b - 10];
        peak = std::max(peak, window);
      }
      return peak;
    };
    const std::uint64_t peak10 = peak10_of(r0_bins);
    const std::uint64_t peak10_protocol = peak10_of(r0_bins_protocol);
    const double end_s = end / 1e6;
    const double ms_s = makespan / 1e6;
    struct Field {
      const char* name;
      std::string value;
    };
    auto num = [](double v, const char* fmt = "%.6g") {
      char buf[64];
      std::snprintf(buf, sizeof buf, fmt, v);
      return std::string(buf);
    };
    const std::vector<Field> fields = {
        {"label", cfg.label},
        {"protocol", cfg.protocol},
        {"prefetch", cfg.prefetch},
        {"ticks", cfg.ticks},
        {"layout", cfg.layout},
        {"net", cfg.net},
        {"ranks", std::to_string(P)},
        {"threads", std::to_string(T)},
        {"ranks_per_node", std::to_string(cfg.ranks_per_node)},
        {"cores", std::to_string(cfg.cores)},
        {"items", std::to_string(cfg.items)},
        {"shards", std::to_string(S)},
        {"cost", cfg.cost},
        {"mean_us", num(cfg.mean_us)},
        {"seed", std::to_string(cfg.seed)},
        {"lat_remote_us", num(cfg.lat_remote)},
        {"lat_local_us", num(cfg.lat_local)},
        {"target_progress", std::to_string(cfg.target_progress)},
        {"makespan_s", num(ms_s)},
        {"lower_bound_s", num(bound / 1e6)},
        {"ideal_s", num(ideal / 1e6)},
        {"longest_shard_s", num(longest / 1e6)},
        {"efficiency", num(efficiency, "%.4f")},
        {"utilization", num(utilization, "%.4f")},
        {"nominal_efficiency", num(makespan > 0 ? nominal_bound / makespan : 0, "%.4f")},
        {"ranks_without_shards", std::to_string(ranks_idle_all_run)},
        {"end_s", num(end_s)},
        {"termination_delay_s", num((end - last_shard_end) / 1e6)},
        {"steals_mean", num(steals.first, "%.3f")},
        {"steals_max", num(steals.second, "%.0f")},
        {"stolen_shards_mean", num(stolen.first, "%.3f")},
        {"probes_mean", num(probes.first, "%.1f")},
        {"probes_max", num(probes.second, "%.0f")},
        {"remote_ops_mean", num(ops.first, "%.1f")},
        {"remote_ops_max", num(ops.second, "%.0f")},
        {"idle_calls_mean", num(idle_calls.first, "%.1f")},
        {"shards_per_rank_max", num(ran.second, "%.0f")},
        {"rank0_ops", std::to_string(r0_total)},
        {"rank0_ops_protocol", std::to_string(r0_protocol)},
        {"rank0_ops_poll", std::to_string(r0_ops[kCatPoll])},
        {"rank0_ops_done", std::to_string(r0_ops[kCatDone])},
        {"rank0_ops_tick", std::to_string(r0_ops[kCatTick])},
        {"rank0_ops_per_s", num(end_s > 0 ? static_cast<double>(r0_total) / end_s : 0, "%.0f")},
        {"rank0_peak_ops_per_s_10ms", num(static_cast<double>(peak10) / 0.010, "%.0f")},
        {"rank0_utilization", num(end > 0 ? r0_busy / end : 0, "%.4f")},
        {"rank0_peak_queue", std::to_string(r0_peak_queue)},
        {"rank0_wait_mean_us",
         num(r0_total ? r0_wait_sum / static_cast<double>(r0_total) : 0, "%.2f")},
        {"rank0_wait_max_us", num(r0_wait_max, "%.1f")},
        {"rank0_protocol_ops_per_s",
         num(end_s > 0 ? static_cast<double>(r0_protocol) / end_s : 0, "%.0f")},
        {"rank0_protocol_peak_ops_per_s_10ms",
         num(static_cast<double>(peak10_protocol) / 0.010, "%.0f")},
        {"rank0_protocol_peak_queue", std::to_string(r0_peak_queue_protocol)},
        {"rank0_protocol_wait_mean_us",
         num(r0_protocol ? r0_wait_sum_protocol / static_cast<double>(r0_protocol) : 0, "%.2f")},
        {"sweep_victims_aggregated", std::to_string(sweep_victims_aggregated)},
        {"events", std::to_string(processed)},
        {"sim_wall_s", num(wall_seconds, "%.2f")},
    };
    if (cfg.trace_last > 0) {
      std::vector<Trace> t = trace;
      std::sort(t.begin(), t.end(), [](const Trace& a, const Trace& b) { return a.end > b.end; });
      std::fprintf(stderr, "# shard rank start_s end_s cost_s (last %d to end)\n", cfg.trace_last);
      for (int i = 0; i < cfg.trace_last && i < static_cast<int>(t.size()); ++i)
        std::fprintf(stderr, "%" PRIu64 " %d %.4f %.4f %.4f\n", t[i].pos, t[i].rank,
                     t[i].start / 1e6, t[i].end / 1e6, cost[t[i].pos] / 1e6);
    }
    if (cfg.format == "csv") {
      if (cfg.header) {
        for (std::size_t i = 0; i < fields.size(); ++i)
          std::printf("%s%s", i ? "," : "", fields[i].name);
        std::printf("\n");
      }
      for (std::size_t i = 0; i < fields.size(); ++i)
        std::printf("%s%s", i ? "," : "", fields[i].value.c_str());
      std::printf("\n");
    } else {
      for (const Field& f : fields) std::printf("%-28s %s\n", f.name, f.value.c_str());
    }
  }
};

const char* const kUsage = R"(stealsim: discrete-event simulation of shardrun's steal protocol
usage: stealsim [options]
 run
  --ranks P             ranks (2)
  --threads T           worker threads per rank (1); T*2 shards in flight (see --prefetch)
  --ranks-per-node N    ranks per node (sm: all; else 32)
  --items I             synthetic items (100000)
  --shards S | --shard-items R   plan (default: synthetic's, ceil(I/4096) items a shard)
  --cost C              uniform|linear|sorted-desc|bimodal|pareto:ALPHA ("pareto" = pareto:1.5)
  --mean-us X           mean item cost (50)
  --seed K              synthetic --seed (1)
  --protocol current|bounded   the old code | protocol.patch, applied now (ceil(log2 P) random probes
                        instead of the sweep, back-off of busy ranks' attempts, stop tree)
  --probes K            bounded: random victims per idle call (ceil(log2 P))
  --fanout F            bounded: stop-flag tree fan-out (8)
 network (--net sets all; each can be overridden)
  --net sm|tcp|fabric   sm: one host, osc/sm (measured); tcp: osc/pt2pt over TCP
                        (measured 22.5 us, needs target progress); fabric: assumed ~2 us RDMA
  --latency-remote-us X --latency-local-us X --latency-own-us X --cas-extra-us X
  --service-us X        per-op service at a target window; --service0-us X for rank 0
  --target-progress 0|1 an op waits until the target's main thread is inside MPI
  --poll-us X           poll interval when target progress is needed (200)
 executor
  --overhead-us X       per-shard cost outside the busy time (5.0: imbalance.md)
  --backoff-min-us X --backoff-max-us X   idle back-off (20, 2000)
  --tick-ms X           execution.cpp's counter tick (200; 0: off)
  --wait-ms X           main-thread wait without a poll hook (50)
  --wake-us X           a completion wakes the main thread X us later (0)
  --prefetch always|depth|depth256|adaptive|never   2 x threads shards in flight (the old
                        code) | threads x clamp(ceil(1 ms / m), 2, 64), m an estimate of the
                        rank's reaped shard durations that rises at once and falls by 1/8,
                        restarted at a steal from shards queued since, one shard of loot
                        taken (the code now: core/queue_depth.hpp) | clamp(.., 2, 256), a
                        plain running mean, no restart (its first version) | 2 x threads only while the rank's
                        shards average < --prefetch-below-us (2000), else threads | threads
  --ticks rank0|scaled|scaled256  counts to rank 0 every tick and the stop counter read on
                        rank 0 (the old code) | counts every max(1, P/1024) ticks, each rank
                        from its own phase, stop flag read in the rank's own window
                        (execution.cpp, run_counters.cpp now) | the same every P/256 ticks,
                        all in phase (their first version) (rank0)
  --start-jitter-us X   ranks enter the executor uniformly within X us (0)
  --depth-reset-on-steal 0|1  with --prefetch depth; an experiment, not the code: a successful
                        steal forgets the rank's mean shard duration (depth 2 again, at once,
                        also for the refill in progress) (0)
  --layout block|strided  initial blocks of the plan's order (the code) | shards dealt
                        round-robin to ranks (ids r, r+P, ... in rank r's block)
  --cores C             share C cores round-robin among all worker threads (oversubscription)
  --quantum-us X        scheduler time slice with --cores (1500)
  --yield-at-end 0|1    with --cores, a worker that finishes a shard yields its core (1)
 model / output
  --sweep-exact-below N  P below N: every sweep victim is a real op (65)
  --sweep-eval N         aggregated sweep re-checks for new work every N victims (64)
  --park 0|1             with no work left anywhere: bounded idle ranks wait for their flag,
                        busy ranks (both protocols) for their next completion; the calls
                        they skip are counted (1)
  --closed-form-above N  uniform/linear/sorted-desc costs in closed form above N items (2e8)
  --trace-last N         print the N shards that ended last (stderr)
  --cost-cache DIR       cache the shard costs there
  --format table|csv  --header  --label TEXT  --max-sim-s X
)";

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a == "--header") {
      c.header = true;
      continue;
    }
    if (i + 1 >= argc) die(a + " needs a value (or unknown option; --help)");
    const std::string v = argv[++i];
    auto d = [&] { return std::stod(v); };
    auto u = [&] { return static_cast<std::uint64_t>(std::stoull(v)); };
    auto n = [&] { return std::stoi(v); };
    if (a == "--ranks")
      c.ranks = n();
    else if (a == "--threads")
      c.threads = n();
    else if (a == "--ranks-per-node")
      c.ranks_per_node = n();
    else if (a == "--items")
      c.items = u();
    else if (a == "--shards")
      c.shards = u();
    else if (a == "--shard-items" || a == "--shard-rows")
      c.shard_items = u();
    else if (a == "--cost")
      c.cost = v;
    else if (a == "--mean-us")
      c.mean_us = d();
    else if (a == "--seed")
      c.seed = u();
    else if (a == "--protocol")
      c.protocol = v;
    else if (a == "--probes")
      c.probes = n();
    else if (a == "--fanout")
      c.fanout = n();
    else if (a == "--net")
      c.net = v;
    else if (a == "--latency-remote-us")
      c.lat_remote = d();
    else if (a == "--latency-local-us")
      c.lat_local = d();
    else if (a == "--latency-own-us")
      c.lat_own = d();
    else if (a == "--cas-extra-us")
      c.cas_extra = d();
    else if (a == "--service-us")
      c.svc = d();
    else if (a == "--service0-us")
      c.svc0 = d();
    else if (a == "--target-progress")
      c.target_progress = n();
    else if (a == "--poll-us")
      c.poll_us = d();
    else if (a == "--overhead-us")
      c.overhead_us = d();
    else if (a == "--backoff-min-us")
      c.backoff_min_us = d();
    else if (a == "--backoff-max-us")
      c.backoff_max_us = d();
    else if (a == "--tick-ms")
      c.tick_ms = d();
    else if (a == "--wait-ms")
      c.wait_ms = d();
    else if (a == "--wake-us")
      c.wake_us = d();
    else if (a == "--prefetch")
      c.prefetch = v;
    else if (a == "--ticks")
      c.ticks = v;
    else if (a == "--depth-reset-on-steal")
      c.depth_reset_on_steal = n();
    else if (a == "--layout")
      c.layout = v;
    else if (a == "--prefetch-below-us")
      c.prefetch_below_us = d();
    else if (a == "--start-jitter-us")
      c.start_jitter_us = d();
    else if (a == "--cores")
      c.cores = n();
    else if (a == "--quantum-us")
      c.quantum_us = d();
    else if (a == "--yield-at-end")
      c.yield_at_end = n();
    else if (a == "--sweep-exact-below")
      c.sweep_exact_below = n();
    else if (a == "--sweep-eval")
      c.sweep_eval = n();
    else if (a == "--park")
      c.park = n();
    else if (a == "--trace-last")
      c.trace_last = n();
    else if (a == "--closed-form-above")
      c.closed_form_above = u();
    else if (a == "--cost-cache")
      c.cost_cache = v;
    else if (a == "--format")
      c.format = v;
    else if (a == "--label")
      c.label = v;
    else if (a == "--max-sim-s")
      c.max_sim_s = d();
    else
      die("unknown option " + a + " (--help)");
  }
  if (c.ranks < 1 || c.threads < 1) die("--ranks and --threads must be >= 1");
  if (c.protocol != "current" && c.protocol != "bounded") die("--protocol: current or bounded");
  if (c.fanout < 1) die("--fanout must be >= 1");
  if (c.sweep_eval < 1) die("--sweep-eval must be >= 1");
  if (c.format != "table" && c.format != "csv") die("--format: table or csv");
  if (c.prefetch != "always" && c.prefetch != "depth" && c.prefetch != "depth256" &&
      c.prefetch != "adaptive" && c.prefetch != "never")
    die("--prefetch: always, depth, adaptive or never");
  if (c.ticks != "rank0" && c.ticks != "scaled" && c.ticks != "scaled256")
    die("--ticks: rank0, scaled or scaled256");
  apply_net_preset(c);
  if (c.cores > 0 && c.target_progress)
    std::fprintf(stderr,
                 "stealsim: warning: --cores with target progress: wake times are approximate\n");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const auto t0 = std::chrono::steady_clock::now();
  Sim sim;
  sim.cfg = parse(argc, argv);
  sim.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sim.report(wall);
  return 0;
}

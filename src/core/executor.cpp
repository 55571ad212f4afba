#include "core/executor.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

namespace shardrun {

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

namespace {

struct Finished {
  ShardOutcome outcome;
  std::exception_ptr error;
};

// Workers push finished shards; the main thread pops them, waking at least
// every tick interval.
class CompletionQueue {
 public:
  void push(Finished&& item) {
    {
      std::lock_guard lock(mutex_);  // guards items_
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }
  std::optional<Finished> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    Finished item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Finished> items_;
};

}  // namespace

ExecutorStats Executor::run(const ShardPlan& plan, ShardSource& source, const Work& work,
                            const OnDone& on_done, const Tick& tick,
                            std::chrono::milliseconds tick_interval) {
  // Without this TBB caps its workers at the cores it sees, below --threads.
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads_) + 1);
  // No slot reserved for the main thread: it only feeds and reaps.
  tbb::task_arena arena(threads_, 0);
  CompletionQueue done;
  ExecutorStats stats;
  std::exception_ptr first_error;
  std::uint64_t in_flight = 0;
  bool source_dry = false;
  bool abandoned = false;
  // Two shards per thread in flight keep workers busy while the main thread reacts.
  const auto capacity = static_cast<std::uint64_t>(threads_) * 2;
  auto last_tick = std::chrono::steady_clock::now();

  for (;;) {
    // Whatever throws here (the source, on_done, tick) is the first error too;
    // the loop still drains the shards in flight, which reference this frame.
    try {
      while (!source_dry && !first_error && in_flight < capacity) {
        std::optional<ShardRange> range = source.next(capacity - in_flight, in_flight == 0);
        if (!range) source_dry = true;
        if (!range || range->empty()) break;
        for (std::uint64_t id = range->begin; id < range->end; ++id) {
          ++in_flight;
          arena.enqueue([&work, &done, shard = plan.shard(id)] {
            Finished f;
            f.outcome.shard = shard;
            f.outcome.start_s = wall_seconds();
            try {
              f.outcome.output = work(shard);
            } catch (...) {
              f.error = std::current_exception();
            }
            f.outcome.end_s = wall_seconds();
            done.push(std::move(f));
          });
        }
      }
      if (in_flight == 0 && (source_dry || first_error)) break;

      std::optional<Finished> finished = done.pop(tick_interval);
      if (finished) {
        --in_flight;
        if (finished->error) {
          if (!first_error) first_error = finished->error;
        } else if (!first_error) {
          ShardOutcome& o = finished->outcome;
          const double duration = o.end_s - o.start_s;
          stats.shards += 1;
          stats.items += o.shard.items();
          stats.busy_s += duration;
          stats.longest_shard_s = std::max(stats.longest_shard_s, duration);
          stats.first_start_s =
              stats.first_start_s == 0 ? o.start_s : std::min(stats.first_start_s, o.start_s);
          stats.last_end_s = std::max(stats.last_end_s, o.end_s);
          source.completed(1);
          on_done(std::move(o));
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_tick >= tick_interval) {
        last_tick = now;
        tick();
      }
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
    if (first_error && !abandoned) {
      abandoned = true;  // tell the other ranks at once, then drain our shards
      try {
        source.abandon();
      } catch (...) {
        // the first error is the one to report
      }
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return stats;
}

}  // namespace shardrun

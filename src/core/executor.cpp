#include "core/executor.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "base/clock.hpp"
#include "core/queue_depth.hpp"

namespace shardrun::core {
namespace {

struct Finished {
  ShardOutcome outcome;
  std::exception_ptr error;
  bool skipped = false;     // queued when the stop came: not run, not done
  unsigned generation = 0;  // steals this rank had made when the shard was queued
};

// Workers push finished shards; the main thread takes them in batches,
// waking at least every tick interval. A push wakes the main thread only once
// as many shards as it asked for are waiting: a cross-core wake-up costs
// microseconds, too much to pay for every short shard. Shared with the tasks,
// so an abandoned task can still push after the executor returned.
class CompletionQueue {
 public:
  // Wakes the main thread without a finished shard (the shape can take more).
  void nudge() {
    {
      std::lock_guard lock(mutex_);
      nudged_ = true;
    }
    ready_.notify_one();
  }
  void push(Finished&& item) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);  // guards items_ and wake_at_
      items_.push_back(std::move(item));
      wake = items_.size() >= wake_at_;
    }
    if (wake) ready_.notify_one();
  }
  // Waits until wake_at shards are waiting, or the timeout, then takes all.
  std::deque<Finished> take(std::size_t wake_at, std::chrono::microseconds timeout) {
    std::unique_lock lock(mutex_);
    wake_at_ = std::max<std::size_t>(1, wake_at);
    ready_.wait_for(lock, timeout, [&] { return items_.size() >= wake_at_ || nudged_; });
    nudged_ = false;
    return std::exchange(items_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Finished> items_;
  std::size_t wake_at_ = 1;
  bool nudged_ = false;
};

void record(ExecutorStats& stats, const ShardOutcome& o) {
  const double duration = o.end_s - o.start_s;
  stats.shards += 1;
  stats.busy_s += duration;
  stats.longest_shard_s = std::max(stats.longest_shard_s, duration);
  stats.first_start_s =
      stats.first_start_s == 0 ? o.start_s : std::min(stats.first_start_s, o.start_s);
  stats.last_end_s = std::max(stats.last_end_s, o.end_s);
}

}  // namespace

ExecutorStats Executor::run(ShardSource& source,
                            const std::function<Shard(std::uint64_t)>& shard_at,
                            const ExecutorHooks& hooks) {
  using Clock = std::chrono::steady_clock;
  // Without this TBB caps its workers at the cores it sees, below --threads.
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads_) + 1);
  // No slot reserved for the main thread: it only feeds and reaps. Leaked on
  // purpose when shards are abandoned: they still run in it.
  auto* arena = new tbb::task_arena(threads_, 0);
  auto done = std::make_shared<CompletionQueue>();
  if (hooks.share_wake) hooks.share_wake([done] { done->nudge(); });
  // Set at a stop: shards still queued then are skipped (a task farm must not
  // start commands it is about to abandon).
  auto stopping = std::make_shared<std::atomic<bool>>(false);
  ExecutorStats stats;
  std::exception_ptr first_error;
  std::uint64_t in_flight = 0;
  bool source_dry = false;
  bool abandoned = false;
  std::optional<Clock::time_point> stop_deadline;
  // Shards in flight: a few per thread keep workers busy while the main thread
  // reacts; it refills once half of them are through. After a steal the depth
  // starts again from two a thread and learns only from shards queued since
  // (the loot may cost far more than our own shards did): a deep queue would
  // otherwise swallow the loot where no other thief can reach it.
  QueueDepth depth;
  unsigned generation = 0;
  const auto threads = static_cast<std::uint64_t>(threads_);
  const auto per_thread = [&] {
    return hooks.fixed_depth ? hooks.fixed_depth : depth.per_thread();
  };
  std::uint64_t capacity = threads * per_thread();
  auto last_tick = Clock::now();
  auto last_poll = last_tick;
  auto poll_if_due = [&] {
    if (!hooks.poll) return;
    const auto now = Clock::now();
    if (now - last_poll < hooks.poll_interval) return;
    last_poll = now;
    hooks.poll();
  };
  auto idle_pause = std::chrono::microseconds(20);

  for (;;) {
    // Whatever throws here (the source, a hook) is the first error too; the
    // loop still drains the shards in flight.
    try {
      if (!stop_deadline && hooks.stop_requested()) {
        stats.stopped = true;
        *stopping = true;
        stop_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(hooks.stop_timeout_s));
      }
      bool waiting_for_work = false;
      while (!source_dry && !first_error && !stop_deadline && in_flight < capacity &&
             (!hooks.may_take || hooks.may_take(in_flight))) {
        std::optional<ShardRange> range =
            source.next(hooks.may_take ? 1 : capacity - in_flight, in_flight == 0);
        if (!range) source_dry = true;
        if (!range || range->empty()) {
          waiting_for_work = range.has_value() && in_flight == 0;
          break;
        }
        idle_pause = std::chrono::microseconds(20);
        if (range->stolen) {
          ++generation;
          depth = QueueDepth{};
          capacity = std::min(capacity, threads * per_thread());
        }
        for (std::uint64_t position = range->begin; position < range->end; ++position) {
          ++in_flight;
          arena->enqueue([work = hooks.work, done, stopping, generation, single = threads == 1,
                          shard = shard_at(position)] {
            Finished f;
            f.outcome.shard = shard;
            f.generation = generation;
            if (*stopping) {
              f.skipped = true;
              done->push(std::move(f));
              return;
            }
            f.outcome.start_s = base::wall_seconds();
            // The arena slot: unique among the threads running at once
            // (one thread alone may sit in slot 1).
            f.outcome.thread =
                single ? 0
                       : static_cast<std::uint16_t>(tbb::this_task_arena::current_thread_index());
            f.outcome.stolen = generation > 0;
            try {
              f.outcome.output = work(shard);
            } catch (...) {
              f.error = std::current_exception();
            }
            f.outcome.end_s = base::wall_seconds();
            done->push(std::move(f));
          });
        }
      }
      if (in_flight == 0 && (source_dry || first_error || stop_deadline)) break;
      if (stop_deadline && Clock::now() >= *stop_deadline) {
        stats.abandoned = in_flight;
        break;
      }

      if (waiting_for_work) {
        // Nothing to run yet, nothing running: others still work. Back off
        // (oversubscribed ranks must not spin on remote atomics).
        std::this_thread::sleep_for(idle_pause);
        idle_pause = std::min(idle_pause * 2, std::chrono::microseconds(2000));
        poll_if_due();
      } else {
        // Wake once half the capacity is through (the other half still keeps
        // the workers busy), or after `threads` when fewer are in flight.
        const std::uint64_t refill_at = capacity / 2;
        const std::uint64_t wake_at =
            hooks.fixed_depth ? 1
                              : std::max(in_flight > refill_at ? in_flight - refill_at : 0,
                                         std::min(threads, in_flight));
        auto wait =
            std::min<std::chrono::microseconds>(hooks.tick_interval, std::chrono::milliseconds(50));
        if (hooks.poll) wait = std::min(wait, hooks.poll_interval);
        std::deque<Finished> batch = done->take(wake_at, wait);
        poll_if_due();
        std::uint64_t completed = 0;
        for (Finished& finished : batch) {
          --in_flight;
          if (finished.skipped) {
            // not run: stays to do for the resume
          } else if (finished.error) {
            if (!first_error) first_error = finished.error;
          } else if (!first_error) {
            record(stats, finished.outcome);
            if (finished.generation == generation)
              depth.observe(finished.outcome.end_s - finished.outcome.start_s);
            ++completed;
            // Caught here, so the rest of the batch is still counted out of in_flight.
            try {
              hooks.on_done(std::move(finished.outcome));
            } catch (...) {
              first_error = std::current_exception();
            }
          }
        }
        if (completed > 0) source.completed(completed);
        capacity = threads * per_thread();
      }
      const auto now = Clock::now();
      if (now - last_tick >= hooks.tick_interval) {
        last_tick = now;
        hooks.tick();
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
  if (stats.abandoned == 0) delete arena;
  if (first_error) std::rethrow_exception(first_error);
  return stats;
}

}  // namespace shardrun::core

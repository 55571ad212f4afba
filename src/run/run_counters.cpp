#include "run/run_counters.hpp"

#include <vector>

#include "mpi/atomic_window.hpp"
#include "mpi/mailbox.hpp"
#include "mpi/mpi_env.hpp"

namespace shardrun::run {
namespace {

// Counters on rank 0; a stop flag on every rank (the same word). Rank 0
// passes a stop it receives to every rank at once (pipelined adds, one
// flush), so the other ranks read only their own window each tick instead
// of rank 0's: at 10,000 ranks those loads alone were 50,000 a second on
// one rank, each waiting behind the others over TCP.
class WindowCounters : public RunCounters {
 public:
  WindowCounters(const mpi::Comm& comm, int counters, int stop)
      : window_(comm, counters), rank_(comm.rank()), stop_(stop) {}
  void add(int counter, std::uint64_t n) override { window_.fetch_add(0, counter, n); }
  std::uint64_t read(int counter) override {
    if (counter != stop_) return rank_ == 0 ? window_.load(0, counter) : 0;
    const std::uint64_t seen = window_.load(rank_, stop_);
    if (rank_ == 0 && seen > 0 && !passed_on_) {
      passed_on_ = true;
      window_.add_to_every_other_rank(stop_, 1);
    }
    return seen;
  }

 private:
  mpi::AtomicWindow window_;
  int rank_, stop_;
  bool passed_on_ = false;  // rank 0: every rank's flag is set
};

// Each add() from another rank is one small message to rank 0 (once a tick
// at most, for the progress counters); rank 0 takes them in whenever it
// reads, and sends every other rank one message when the stop counter
// first becomes non-zero.
class MessageCounters : public RunCounters {
 public:
  MessageCounters(const mpi::Comm& comm, int counters, int stop)
      : rank_(comm.rank()),
        ranks_(comm.size()),
        stop_(stop),
        mailbox_(comm),
        totals_(static_cast<std::size_t>(counters), 0) {}

  void add(int counter, std::uint64_t n) override {
    if (rank_ == 0) return apply(counter, n);
    Encoder out;
    out.put<std::uint64_t>(static_cast<std::uint64_t>(counter));
    out.put<std::uint64_t>(n);
    mailbox_.send(0, out.take());
  }

  std::uint64_t read(int counter) override {
    while (auto message = mailbox_.try_receive()) {
      Decoder in(message->second);
      const auto c = static_cast<int>(in.get<std::uint64_t>());
      const auto n = in.get<std::uint64_t>();
      if (rank_ == 0 && c >= 0 && c < static_cast<int>(totals_.size())) apply(c, n);
      if (rank_ != 0 && c == stop_) totals_[stop_] = n;
    }
    mailbox_.progress();
    return rank_ == 0 || counter == stop_ ? totals_[counter] : 0;
  }

 private:
  void apply(int counter, std::uint64_t n) {
    const bool stop_begins = counter == stop_ && totals_[stop_] == 0 && n > 0;
    totals_[counter] += n;
    if (!stop_begins) return;
    for (int r = 1; r < ranks_; ++r) {
      Encoder out;
      out.put<std::uint64_t>(static_cast<std::uint64_t>(stop_));
      out.put<std::uint64_t>(1);
      mailbox_.send(r, out.take());
    }
  }

  int rank_, ranks_, stop_;
  mpi::Mailbox mailbox_;
  std::vector<std::uint64_t> totals_;  // rank 0: totals; others: the stop seen
};

}  // namespace

std::unique_ptr<RunCounters> make_run_counters(const mpi::Comm& comm, int counters, int stop) {
  if (mpi::Environment::transport().windows_work)
    return std::make_unique<WindowCounters>(comm, counters, stop);
  return std::make_unique<MessageCounters>(comm, counters, stop);
}

}  // namespace shardrun::run

#include "mpi/mailbox.hpp"

#include <climits>

#include "shardrun/errors.hpp"

namespace shardrun::mpi {

namespace {
constexpr int kTag = 7;
}

Mailbox::Mailbox(const Comm& comm) { check(MPI_Comm_dup(comm.raw(), &comm_), "MPI_Comm_dup"); }

Mailbox::~Mailbox() {
  // After an error the receiver may never post its receives: do not wait.
  // MPI may still read an unfinished send's buffer, so it is leaked with it.
  reap_quietly();
  for (Outgoing& out : outgoing_) {
    MPI_Request_free(&out.request);
    new Bytes(std::move(out.bytes));  // NOLINT: deliberately leaked, see above
  }
  if (incoming_) {  // the same for a receive still arriving
    MPI_Request_free(&incoming_->request);
    new Bytes(std::move(incoming_->bytes));  // NOLINT: deliberately leaked
  }
  MPI_Comm_free(&comm_);
}

void Mailbox::reap_quietly() noexcept {
  while (!outgoing_.empty()) {
    int done = 0;
    if (MPI_Test(&outgoing_.front().request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || !done)
      return;
    outgoing_.pop_front();
  }
}

void Mailbox::send(int destination, Bytes bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw RuntimeError("a message between ranks exceeds 2 GiB");
  outgoing_.push_back({std::move(bytes), MPI_REQUEST_NULL});
  Outgoing& out = outgoing_.back();
  check(MPI_Isend(out.bytes.data(), static_cast<int>(out.bytes.size()), MPI_BYTE, destination, kTag,
                  comm_, &out.request),
        "MPI_Isend");
  reap();
}

void Mailbox::reap() {
  while (!outgoing_.empty()) {
    int done = 0;
    check(MPI_Test(&outgoing_.front().request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!done) return;
    outgoing_.pop_front();
  }
}

void Mailbox::flush() {
  for (Outgoing& out : outgoing_) check(MPI_Wait(&out.request, MPI_STATUS_IGNORE), "MPI_Wait");
  outgoing_.clear();
}

void Mailbox::progress() {
  reap();
  if (incoming_) {
    int done = 0;
    check(MPI_Test(&incoming_->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  }
}

std::optional<std::pair<int, Bytes>> Mailbox::try_receive() {
  reap();
  if (!incoming_) {
    int arrived = 0;
    MPI_Message message;
    MPI_Status status;
    check(MPI_Improbe(MPI_ANY_SOURCE, kTag, comm_, &arrived, &message, &status), "MPI_Improbe");
    if (!arrived) return std::nullopt;
    int size = 0;
    check(MPI_Get_count(&status, MPI_BYTE, &size), "MPI_Get_count");
    // Not emplace(): clang 14 finds the nested type not default-constructible here.
    incoming_ = Incoming{};
    incoming_->source = status.MPI_SOURCE;
    incoming_->bytes.resize(static_cast<std::size_t>(size));
    check(MPI_Imrecv(incoming_->bytes.data(), size, MPI_BYTE, &message, &incoming_->request),
          "MPI_Imrecv");
  }
  int done = 0;
  check(MPI_Test(&incoming_->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  if (!done) return std::nullopt;
  std::pair<int, Bytes> out{incoming_->source, std::move(incoming_->bytes)};
  incoming_.reset();
  return out;
}

std::pair<int, Bytes> Mailbox::receive() {
  for (;;) {
    if (auto message = try_receive()) return std::move(*message);
    if (incoming_) {
      check(MPI_Wait(&incoming_->request, MPI_STATUS_IGNORE), "MPI_Wait");
    } else {
      MPI_Status status;
      check(MPI_Probe(MPI_ANY_SOURCE, kTag, comm_, &status), "MPI_Probe");
    }
  }
}

}  // namespace shardrun::mpi

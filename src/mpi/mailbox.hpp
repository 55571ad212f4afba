// Byte messages between ranks that never block the sender.
#pragma once

#include <mpi.h>

#include <deque>
#include <optional>
#include <utility>

#include "mpi/comm.hpp"
#include "shardrun/partial.hpp"

namespace shardrun::mpi {

// Point-to-point byte messages on one tag of a duplicated communicator, so
// they never match another component's messages. send() is nonblocking: the
// mailbox keeps each buffer until MPI is done with it. Messages from one
// sender arrive in the order sent. Construction and destruction are
// collective; flush() before destruction when the receiver will take every
// message (the destructor does not wait: after an error it may never).
// Main thread only. Not copyable.
class Mailbox {
 public:
  explicit Mailbox(const Comm& comm);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  void send(int destination, Bytes bytes);
  // A message that has arrived, with its sender; nullopt when none has.
  std::optional<std::pair<int, Bytes>> try_receive();
  // Waits for the next message.
  std::pair<int, Bytes> receive();
  // Waits until every message sent from here has left this rank's buffers.
  void flush();

 private:
  std::pair<int, Bytes> take(const MPI_Status& status);
  void reap();
  void reap_quietly() noexcept;

  MPI_Comm comm_ = MPI_COMM_NULL;
  struct Outgoing {
    Bytes bytes;
    MPI_Request request;
  };
  std::deque<Outgoing> outgoing_;
};

}  // namespace shardrun::mpi

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
// they never match another component's messages. Nothing but flush() and
// receive() blocks: send() keeps each buffer until MPI is done with it, and
// try_receive() takes one message at a time with a matched probe and a
// nonblocking receive, so a large message never holds the caller while its
// sender is busy. Both sides must call progress() (or another method) now and
// then: large messages move only while both ranks are inside MPI. Messages
// from one sender arrive in the order sent. Construction and destruction are
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
  // Moves messages in flight along; cheap.
  void progress();

 private:
  void reap();
  void reap_quietly() noexcept;

  MPI_Comm comm_ = MPI_COMM_NULL;
  struct Outgoing {
    Bytes bytes;
    MPI_Request request;
  };
  std::deque<Outgoing> outgoing_;
  struct Incoming {
    int source = 0;
    Bytes bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::optional<Incoming> incoming_;  // the one receive in flight
};

}  // namespace shardrun::mpi

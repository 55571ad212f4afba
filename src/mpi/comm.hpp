// A communicator and the few collectives shardrun uses, over plain C++ types.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shardrun/partial.hpp"

namespace shardrun::mpi {

// The first error among the ranks (lowest failing rank), as every rank learns it.
struct RankError {
  int rank = 0;
  int exit_status = 1;
  std::string message;
};

// Borrows an MPI_Comm (the world by default). Every method except rank(),
// size() and abort() is collective. Main thread only (MPI_THREAD_FUNNELED).
class Comm {
 public:
  Comm() : comm_(MPI_COMM_WORLD) {}
  explicit Comm(MPI_Comm comm) : comm_(comm) {}

  int rank() const;
  int size() const;
  MPI_Comm raw() const { return comm_; }  // for the MPI-IO driver of src/h5 only

  // Not collective: lets the library progress what waits on this rank
  // (MPI_Iprobe), without receiving anything.
  void poke() const;
  void barrier() const;
  double max(double value) const;
  double min(double value) const;
  std::uint64_t sum(std::uint64_t value) const;
  // Root gets every rank's value in rank order; other ranks get an empty vector.
  std::vector<double> gather(double value, int root = 0) const;
  std::vector<std::uint64_t> gather(std::uint64_t value, int root = 0) const;
  std::vector<std::string> gather(const std::string& text, int root = 0) const;
  // Every rank gets every rank's text, in rank order.
  std::vector<std::string> all_gather(const std::string& text) const;
  std::string broadcast(const std::string& text, int root = 0) const;
  Bytes broadcast(const Bytes& bytes, int root = 0) const;

  // Every rank says whether it failed (exit_status != 0); all learn the first
  // failure. The seam where errors every rank may meet become one clean exit.
  std::optional<RankError> first_error(int exit_status, const std::string& message) const;

  // Ends every rank of the job now. For errors one rank meets alone while the
  // others may be waiting on it.
  [[noreturn]] void abort(int exit_status) const;

 private:
  MPI_Comm comm_;
};

// Throws RuntimeError naming `what` and MPI's message when rc is not MPI_SUCCESS.
void check(int rc, const char* what);

}  // namespace shardrun::mpi

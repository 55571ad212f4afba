#include "mpi/comm.hpp"

#include <cstdlib>

#include "shardrun/errors.hpp"

namespace shardrun::mpi {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw RuntimeError(std::string(what) + " failed: " + std::string(text, length));
}

int Comm::rank() const {
  int r = 0;
  MPI_Comm_rank(comm_, &r);
  return r;
}

int Comm::size() const {
  int s = 1;
  MPI_Comm_size(comm_, &s);
  return s;
}

void Comm::poke() const {
  int flag = 0;
  check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
}

void Comm::barrier() const { check(MPI_Barrier(comm_), "MPI_Barrier"); }

double Comm::max(double value) const {
  double out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce");
  return out;
}

double Comm::min(double value) const {
  double out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MIN, comm_), "MPI_Allreduce");
  return out;
}

std::uint64_t Comm::sum(std::uint64_t value) const {
  std::uint64_t out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce");
  return out;
}

std::vector<double> Comm::gather(double value, int root) const {
  std::vector<double> out(rank() == root ? static_cast<std::size_t>(size()) : 0);
  check(MPI_Gather(&value, 1, MPI_DOUBLE, out.data(), 1, MPI_DOUBLE, root, comm_), "MPI_Gather");
  return out;
}

std::vector<std::uint64_t> Comm::gather(std::uint64_t value, int root) const {
  std::vector<std::uint64_t> out(rank() == root ? static_cast<std::size_t>(size()) : 0);
  check(MPI_Gather(&value, 1, MPI_UINT64_T, out.data(), 1, MPI_UINT64_T, root, comm_),
        "MPI_Gather");
  return out;
}

namespace {

// Texts of the given lengths, one after another: where each lies in `all`.
struct Layout {
  std::vector<int> counts, offsets;
  std::string all;
  explicit Layout(const std::vector<std::uint64_t>& lengths)
      : counts(lengths.size()), offsets(lengths.size()) {
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      counts[r] = static_cast<int>(lengths[r]);
      offsets[r] = static_cast<int>(all.size());
      all.resize(all.size() + lengths[r]);
    }
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (std::size_t r = 0; r < counts.size(); ++r)
      out.push_back(all.substr(offsets[r], counts[r]));
    return out;
  }
};

}  // namespace

std::vector<std::string> Comm::gather(const std::string& text, int root) const {
  Layout layout(gather(std::uint64_t{text.size()}, root));
  check(MPI_Gatherv(text.data(), static_cast<int>(text.size()), MPI_CHAR, layout.all.data(),
                    layout.counts.data(), layout.offsets.data(), MPI_CHAR, root, comm_),
        "MPI_Gatherv");
  return layout.texts();
}

std::vector<std::string> Comm::all_gather(const std::string& text) const {
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(size()));
  const std::uint64_t mine = text.size();
  check(MPI_Allgather(&mine, 1, MPI_UINT64_T, lengths.data(), 1, MPI_UINT64_T, comm_),
        "MPI_Allgather");
  Layout layout(lengths);
  check(MPI_Allgatherv(text.data(), static_cast<int>(text.size()), MPI_CHAR, layout.all.data(),
                       layout.counts.data(), layout.offsets.data(), MPI_CHAR, comm_),
        "MPI_Allgatherv");
  return layout.texts();
}

std::string Comm::broadcast(const std::string& text, int root) const {
  std::uint64_t length = text.size();
  check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast");
  std::string out = rank() == root ? text : std::string(length, '\0');
  check(MPI_Bcast(out.data(), static_cast<int>(length), MPI_CHAR, root, comm_), "MPI_Bcast");
  return out;
}

Bytes Comm::broadcast(const Bytes& bytes, int root) const {
  std::uint64_t length = bytes.size();
  check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast");
  Bytes out = rank() == root ? bytes : Bytes(length);
  check(MPI_Bcast(out.data(), static_cast<int>(length), MPI_BYTE, root, comm_), "MPI_Bcast");
  return out;
}

std::optional<RankError> Comm::first_error(int exit_status, const std::string& message) const {
  int candidate = exit_status != 0 ? rank() : size();
  int first = size();
  check(MPI_Allreduce(&candidate, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce");
  if (first == size()) return std::nullopt;
  RankError error;
  error.rank = first;
  error.exit_status = exit_status;
  check(MPI_Bcast(&error.exit_status, 1, MPI_INT, first, comm_), "MPI_Bcast");
  error.message = broadcast(message, first);
  return error;
}

void Comm::abort(int exit_status) const {
  MPI_Abort(comm_, exit_status);
  std::_Exit(exit_status);  // MPI_Abort does not return; be sure
}

}  // namespace shardrun::mpi

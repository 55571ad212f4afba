#include "mpi/mpi_env.hpp"

#include <mpi.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "shardrun/errors.hpp"

namespace shardrun::mpi {
namespace {

// True when the node has a fabric device Open MPI reaches through UCX or
// libfabric (InfiniBand, RoCE, Omni-Path, EFA under /sys/class/infiniband;
// Slingshot under /sys/class/cxi).
bool has_fabric() {
  for (const char* dir : {"/sys/class/infiniband", "/sys/class/cxi"}) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) return true;
  }
  return false;
}

Transport the_transport;

// Hosts the job spans: ranks that can share memory form one node.
int count_nodes() {
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) !=
      MPI_SUCCESS)
    return 1;
  int node_rank = 0;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  int leader = node_rank == 0 ? 1 : 0, nodes = 1;
  MPI_Allreduce(&leader, &nodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return nodes;
}

// Collective: whether a small window over every rank opens on every rank.
bool windows_open() {
  MPI_Win win = MPI_WIN_NULL;
  std::uint64_t* base = nullptr;
  const int rc = MPI_Win_allocate(sizeof(std::uint64_t), sizeof(std::uint64_t), MPI_INFO_NULL,
                                  MPI_COMM_WORLD, &base, &win);
  int ok = rc == MPI_SUCCESS ? 1 : 0;
  int all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rc == MPI_SUCCESS) MPI_Win_free(&win);
  return all == 1;
}

}  // namespace

const Transport& Environment::transport() { return the_transport; }

Environment::Environment(int& argc, char**& argv) {
  // Open MPI 4.1.4's one-sided compare-and-swap segfaults in the shared-memory
  // transport (vader) while its single-copy mode is on (docs/platform.md,
  // open-mpi/ompi#11349); with it off, CAS works and still needs no help from
  // the target. Users never have to pass the flag; one they set wins.
  ::setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
  // Without a fabric, Open MPI's default point-to-point layer first probes
  // UCX, which takes 0.2 s of every start (0.22 s against 0.02 s for
  // MPI_Init here) before falling back to ob1 anyway. Nodes of one job are
  // alike, so every rank makes the same choice; OMPI_MCA_pml set by the user wins.
  const bool fabric = has_fabric();
  if (!fabric) ::setenv("OMPI_MCA_pml", "ob1", 0);
  // Open MPI's default one-sided component, osc/rdma, needs RDMA hardware
  // between hosts: over TCP MPI_Win_allocate fails ("invalid window"). osc/sm
  // serves one host, osc/pt2pt (active messages over the pml) any number.
  const char* user_osc = std::getenv("OMPI_MCA_osc");
  if (!fabric && !user_osc) ::setenv("OMPI_MCA_osc", "sm,pt2pt", 0);
  // Started without a launcher (a singleton), MPI_Init starts its own PMIx
  // server on this host, where MUNGE adds nothing; with MUNGE installed and
  // munged stopped, PMIx retries its socket for 2.3 s first (docs/platform.md).
  // Nor does it need the orted a singleton starts by default (for
  // MPI_Comm_spawn, which shardrun never calls): without it a run starts in
  // a third of the time (bench/results/startup.md).
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMIX_RANK")) {
    ::setenv("PMIX_MCA_psec", "native", 0);
    ::setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  }
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as codes we turn into messages; no MPI handler aborts for us.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Ranks outlive a killed mpirun (docs/platform.md): die with the launcher instead,
  // so a killed job leaves no orphan computing and writing.
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) {
    const pid_t launcher = ::getppid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != launcher) std::_Exit(1);  // it died before we asked
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw RuntimeError("the MPI library does not provide MPI_THREAD_FUNNELED");
  }
  the_transport.nodes = count_nodes();
  const bool one_node = the_transport.nodes == 1;
  if (user_osc) {
    the_transport.one_sided = std::string("OMPI_MCA_osc=") + user_osc;
    // Only osc/sm (first in the list, on one node) completes an operation
    // without the target's help; pt2pt or rdma over TCP need it even on one node.
    const bool sm_first = std::string_view(user_osc).substr(0, 2) == "sm";
    the_transport.needs_target_progress = !(one_node && sm_first);
  } else if (!fabric) {
    the_transport.one_sided = one_node ? "osc/sm" : "osc/pt2pt over tcp";
    the_transport.needs_target_progress = !one_node;
  } else {
    the_transport.one_sided = "Open MPI's choice (fabric)";
  }
  the_transport.windows_work = windows_open();
  if (!the_transport.windows_work) {
    the_transport.one_sided = "none (" + the_transport.one_sided + " cannot open a window)";
    the_transport.needs_target_progress = false;
  }
}

void finalize_and_exit(int status) {
  MPI_Finalize();
  std::_Exit(status);
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace shardrun::mpi

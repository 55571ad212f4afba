// The built-in jobs, by name.
#include "builtin.hpp"

#include "exec.hpp"
#include "histogram.hpp"
#include "mandelbrot.hpp"
#include "python_job.hpp"
#include "stats.hpp"
#include "synthetic.hpp"
#include "wordcount.hpp"

namespace shardrun::jobs {

Registry builtin_registry() {
  Registry registry;
  // Revision 2: partials carry missing counts; rows wider than 512 values
  // take a streaming kernel (other bits for such inputs).
  registry.add({"stats",
                "count, sum, mean, variance, min, max, NaNs and missing values per element of a "
                "row (or --all) of a dataset",
                [] { return std::make_unique<StatsJob>(); }, 2});
  // Revision 2: partials carry missing counts.
  registry.add({"histogram",
                "counts in equal bins over --range per element of a row (or --all) of a dataset "
                "(numpy semantics)",
                [] { return std::make_unique<HistogramJob>(); }, 2});
  registry.add({"synthetic",
                "items that burn a chosen CPU cost (--cost), for balance studies; a checksum "
                "proves exactly once",
                [] { return std::make_unique<SyntheticJob>(); }});
  registry.add({"mandelbrot",
                "map job: rows of a Mandelbrot image into the dataset /image (uint16 iterations)",
                [] { return std::make_unique<MandelbrotJob>(); }});
  registry.add({"wordcount",
                "how often each word occurs in text files (--input files or directories)",
                [] { return std::make_unique<WordcountJob>(); }});
  registry.add({"python",
                "your Python (numpy) functions over the shards of a dataset or of --items N: "
                "a reduce or a map job (docs/python-jobs.md)",
                [] { return std::make_unique<PythonJob>(); }});
  registry.add({"exec",
                "task farm: shell commands from --tasks FILE (or --command with --args), with "
                "timeouts, retries, a joblog and resume",
                [] { return std::make_unique<ExecJob>(); }});
  return registry;
}

}  // namespace shardrun::jobs

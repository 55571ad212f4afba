"""What the Python study scripts share: paths, the MPI environment, the
machine's description, the common command line and the CSV layout."""
import argparse
import csv
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def model():
    """The CPU's model name."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def parse_args(doc):
    """--quick and --reps, with the study's docstring as --help."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI smoke size; results in bench/results/quick/")
    ap.add_argument("--reps", type=int, help="repetitions (default: the study's)")
    return ap.parse_args()


def require(study, tools):
    """Exits naming the first of `tools` missing from PATH."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{study} bench: {tool} not found (apt-get install parallel)")


def shardrun_binary():
    return os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"), "shardrun")


def results_dir(quick):
    path = os.path.join(ROOT, "bench", "results", "quick" if quick else "")
    os.makedirs(path, exist_ok=True)
    return path


def write_csv(path, columns, rows):
    """One row per run: the study's columns, then the machine's cores and model."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns + ["cores", "model"])
        for r in rows:
            w.writerow(r + [os.cpu_count(), model()])


def write_report(path, lines):
    """The study's markdown report, also printed."""
    text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(text, end="")

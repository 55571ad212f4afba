#!/usr/bin/env python3
"""Checks every #include of the engine against src/rooms.txt, the one table
of allowed arrows between rooms (docs/architecture.md):

- a file in room R includes only headers of R, of the rooms R may use, of
  the public API (shardrun/...), or system headers;
- the public headers (include/shardrun/) include only each other and the
  standard library: no engine header, no CLI11, MPI, HDF5 or TBB;
- only src/mpi includes <mpi.h> and only src/h5 includes the HDF5 headers
  (every other room goes through their RAII wrappers);
- every folder of src/ is a room in the table, and the arrows form no cycle.

Usage: check_rooms.py [SOURCE_ROOT]. Exit 0 when clean, 1 with one line per
offending include.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
# Which rooms may include the raw C API headers.
RAW_API = {"mpi.h": {"mpi", "h5"}, "hdf5.h": {"h5"}}
RAW_PREFIX = {"H5": {"h5"}}


def read_table(path):
    arrows = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        room, _, uses = line.partition(":")
        arrows[room.strip()] = set(uses.split())
    return arrows


def room_folder(room):
    return ROOT / ("jobs" if room == "jobs" else "src/" + room)


def check_cycles(arrows, problems):
    state = {}

    def visit(room, path):
        if state.get(room) == "done":
            return
        if state.get(room) == "open":
            problems.append("src/rooms.txt: cycle " + " -> ".join(path + [room]))
            return
        state[room] = "open"
        for below in sorted(arrows.get(room, ())):
            if below not in arrows:
                problems.append(f"src/rooms.txt: {room} uses {below}, which is not a room")
                continue
            visit(below, path + [room])
        state[room] = "done"

    for room in sorted(arrows):
        visit(room, [])


def main():
    arrows = read_table(ROOT / "src/rooms.txt")
    problems = []
    check_cycles(arrows, problems)
    for folder in sorted(p for p in (ROOT / "src").iterdir() if p.is_dir()):
        if folder.name not in arrows:
            problems.append(f"src/{folder.name}: a folder that src/rooms.txt does not list")
    checked = 0
    for room, uses in sorted(arrows.items()):
        for path in sorted(room_folder(room).glob("*.[ch]pp")):
            checked += 1
            rel = path.relative_to(ROOT)
            for kind, header in INCLUDE.findall(path.read_text()):
                top = header.split("/", 1)[0] if "/" in header else None
                if kind == "<":
                    allowed = RAW_API.get(header)
                    for prefix, rooms in RAW_PREFIX.items():
                        if header.startswith(prefix) and header.endswith(".h"):
                            allowed = rooms
                    if allowed is not None and room not in allowed:
                        problems.append(f"{rel}: includes <{header}>: only "
                                        f"{', '.join(sorted(allowed))} may use that C API")
                elif top is None:
                    if not (path.parent / header).exists():
                        problems.append(f'{rel}: includes "{header}", not beside it')
                elif top != "shardrun" and top != room and top not in uses:
                    problems.append(f'{rel}: includes "{header}": room {room} may use only '
                                    f"{', '.join(sorted(uses)) or 'nothing'} (src/rooms.txt)")
    for path in sorted((ROOT / "include/shardrun").glob("*.hpp")):
        checked += 1
        rel = path.relative_to(ROOT)
        for kind, header in INCLUDE.findall(path.read_text()):
            if kind == '"' and not header.startswith("shardrun/"):
                problems.append(f'{rel}: a public header includes "{header}"')
            if kind == "<" and ("/" in header or header.endswith(".h")):
                problems.append(f"{rel}: a public header includes <{header}> (standard "
                                "library only)")
    for p in problems:
        print(p)
    print(f"check_rooms: {checked} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

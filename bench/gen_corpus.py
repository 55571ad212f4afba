#!/usr/bin/python3
"""A text corpus with a Zipf-like vocabulary, for the wordcount study.

  bench/gen_corpus.py DIR --mb 400 [--files 16] [--vocab 200000] [--seed 7]

Writes DIR/part-000.txt ... of about MB megabytes in all: lines of 10 words
separated by spaces; word ranks follow P(rank r) ~ 1 / r^1.1 over the
vocabulary; words are 2-12 random lowercase letters (distinct). The same
arguments give the same bytes.
"""
import argparse
import os

import numpy as np


def vocabulary(size, rng):
    words, seen = [], set()
    while len(words) < size:
        length = int(rng.integers(2, 13))
        w = bytes(rng.integers(ord("a"), ord("z") + 1, size=length, dtype=np.uint8))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--mb", type=float, default=400)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    words = vocabulary(args.vocab, rng)
    spaced = np.array([w + b" " for w in words], dtype=object)
    ended = np.array([w + b"\n" for w in words], dtype=object)
    weights = 1.0 / np.arange(1, args.vocab + 1) ** 1.1
    cdf = np.cumsum(weights / weights.sum())
    os.makedirs(args.dir, exist_ok=True)
    per_file = int(args.mb * 1e6 / args.files)
    chunk = 1_000_000  # words per step; a multiple of 10 keeps lines whole
    for k in range(args.files):
        written = 0
        with open(os.path.join(args.dir, f"part-{k:03d}.txt"), "wb") as f:
            while written < per_file:
                ranks = np.minimum(np.searchsorted(cdf, rng.random(chunk)), args.vocab - 1)
                pieces = spaced[ranks]
                pieces[9::10] = ended[ranks[9::10]]
                data = b"".join(pieces.tolist())
                if written + len(data) > per_file:  # stop at a line end near the size
                    cut = data.rfind(b"\n", 0, per_file - written) + 1
                    data = data[:cut] if cut > 0 else data[:data.find(b"\n") + 1]
                f.write(data)
                written += len(data)
    print(f"gen_corpus: {args.files} files, {args.mb:g} MB, vocabulary {args.vocab}, seed {args.seed} in {args.dir}")


if __name__ == "__main__":
    main()

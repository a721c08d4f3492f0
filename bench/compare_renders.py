#!/usr/bin/env python3
"""How far two renders of the same pen digits are apart, pixel by pixel in 0..255: e.g. preprocess.js in Chromium against
pendigits.render, both from bench/render_pendigits.py with the same --seed.
  python bench/compare_renders.py bench/results/pendigits_0.npz bench/results/pendigits_numpy_0.npz"""
import argparse, pathlib
import numpy as np

def load(path:pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
  with np.load(path) as data: return data["images"].astype(np.int16), data["labels"]

if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("a", type=pathlib.Path)
  parser.add_argument("b", type=pathlib.Path)
  args = parser.parse_args()
  (a, labels_a), (b, labels_b) = load(args.a), load(args.b)
  if a.shape != b.shape or not np.array_equal(labels_a, labels_b): raise SystemExit(f"error: {args.a} and {args.b} hold different digits")
  diff = np.abs(a - b)
  worst = diff.max((1, 2))
  print(f"{len(a)} images, {diff.size} pixels: |a - b| max {diff.max()}, mean {diff.mean():.3f}, "
        f"99th percentile {np.percentile(diff, 99):.0f}, 99.9th {np.percentile(diff, 99.9):.0f}; {100 * (diff == 0).mean():.1f}% equal")
  print(f"per image: mean |a - b| up to {diff.mean((1, 2)).max():.3f}; largest pixel difference median {np.median(worst):.0f}, "
        f"99th percentile {np.percentile(worst, 99):.0f}, max {worst.max()} (image {worst.argmax()}); signed mean (a - b) {(a - b).mean():+.3f}")

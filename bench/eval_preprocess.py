#!/usr/bin/env python3
"""Accuracy of the trained models on pen digits preprocessed by bench/render_pendigits.py, and how those images compare with MNIST.
  python bench/eval_preprocess.py bench/results/pendigits_0.npz [--weights models] [--writers 21-30] [--confusion]
                                  [--errors errors.png] [--stats] [--grid grid.png]"""
import argparse, pathlib, sys
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent

def predict(name:str, path:pathlib.Path, images:np.ndarray) -> np.ndarray:
  from tinygrad import Tensor
  sys.path.insert(0, str(ROOT))
  from digits.models import load_model
  return load_model(name, path)(Tensor(images.astype(np.float32) / 127.5 - 1).reshape(-1, 1, 28, 28)).argmax(-1).numpy()

def confusion(labels:np.ndarray, predicted:np.ndarray) -> str:
  """A markdown table: rows are the true digits, columns the predicted ones."""
  counts = np.zeros((10, 10), int)
  np.add.at(counts, (labels, predicted), 1)
  return "\n".join(["| true \\ predicted | " + " | ".join(map(str, range(10))) + " |", "|---" * 11 + "|"] +
                   [f"| **{c}** | " + " | ".join(str(n) if n else "" for n in row) + " |" for c, row in enumerate(counts)])

def errors_png(path:pathlib.Path, images:np.ndarray, labels:np.ndarray, predicted:np.ndarray, title:str, columns:int=16):
  """Every misclassified digit as the model saw it, titled true->predicted."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  wrong = np.flatnonzero(predicted != labels)
  rows = max(1, -(-len(wrong) // columns))
  fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.8, rows * 0.95 + 0.4), squeeze=False)
  for ax in axes.flat: ax.axis("off")
  for ax, i in zip(axes.flat, wrong):
    ax.imshow(images[i], cmap="gray_r"); ax.set_title(f"{labels[i]}->{predicted[i]}", fontsize=8)
  fig.suptitle(title, fontsize=10)
  fig.savefig(path, dpi=80, bbox_inches="tight")

def skeleton(ink:np.ndarray) -> np.ndarray:
  """Zhang-Suen thinning of a batch of (N,28,28) bool images, all at once."""
  img = np.pad(ink, ((0, 0), (1, 1), (1, 1))).astype(np.uint8)
  while True:
    changed = False
    for step in range(2):
      # neighbours clockwise from north: P2..P9 of the paper
      n = [img[:, 1+dy:img.shape[1]-1+dy, 1+dx:img.shape[2]-1+dx] for dy, dx in ((-1,0),(-1,1),(0,1),(1,1),(1,0),(1,-1),(0,-1),(-1,-1))]
      count, transitions = sum(n), sum((n[i] == 0) & (n[(i + 1) % 8] == 1) for i in range(8))
      p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
      side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0) if step == 0 else (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
      remove = (img[:, 1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & side
      if remove.any(): img[:, 1:-1, 1:-1][remove], changed = 0, True
    if not changed: return img[:, 1:-1, 1:-1].astype(bool)

def stats(images:np.ndarray) -> dict:
  """Per-image means: ink (sum of pixels / 255), stroke width (ink / skeleton length in px), ink box, centre of mass (pixel indices)."""
  x = images.astype(np.float32) / 255
  ink, binary = x.sum((1, 2)), x >= 0.5
  rows, cols = (x > 0.1).any(2), (x > 0.1).any(1)
  height, width = (28 - a.argmax(1) - a[:, ::-1].argmax(1) for a in (rows, cols))
  ys, xs = np.mgrid[0:28, 0:28]
  return {"ink": ink.mean(), "stroke width": (ink / np.maximum(skeleton(binary).sum((1, 2)), 1)).mean(),
          "box longer side": np.maximum(height, width).mean(), "box height": height.mean(), "box width": width.mean(),
          "centre row": ((x * ys).sum((1, 2)) / ink).mean(), "centre col": ((x * xs).sum((1, 2)) / ink).mean()}

def grid(path:pathlib.Path, images:np.ndarray, labels:np.ndarray, mnist:np.ndarray, mnist_labels:np.ndarray, per_class:int=8):
  """A PNG: for each digit class a row of pen digits, a grey bar, then MNIST test digits of that class."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  rng = np.random.default_rng(0)
  pick = lambda x, y, c: list(x[rng.choice(np.flatnonzero(y == c), per_class, replace=False)])
  rows = [np.concatenate(pick(images, labels, c) + [np.full((28, 4), 128, np.uint8)] + pick(mnist, mnist_labels, c), 1) for c in range(10)]
  plt.figure(figsize=(per_class * 1.6, 8))
  plt.imshow(np.concatenate(rows), cmap="gray"); plt.axis("off"); plt.title("pen digits (preprocess.js) | MNIST test")
  plt.savefig(path, dpi=100, bbox_inches="tight")

if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("npz", type=pathlib.Path)
  parser.add_argument("--weights", type=pathlib.Path, default=ROOT / "models", help="folder with mlp.safetensors and cnn.safetensors")
  parser.add_argument("--writers", help="only these writers, as a range like 21-30")
  parser.add_argument("--confusion", action="store_true", help="print each model's confusion matrix as markdown")
  parser.add_argument("--errors", type=pathlib.Path, help="save each model's misclassified digits as <this stem>_<model>.png")
  parser.add_argument("--stats", action="store_true", help="compare ink, stroke width, box and centre with MNIST's test set")
  parser.add_argument("--grid", type=pathlib.Path, help="save pen digits next to MNIST digits as this PNG")
  args = parser.parse_args()
  data = np.load(args.npz)
  images, labels = data["images"], data["labels"]
  if args.writers:
    first, last = map(int, args.writers.split("-"))
    keep = (data["writers"] >= first) & (data["writers"] <= last)
    images, labels = images[keep], labels[keep]
  for name in ("mlp", "cnn"):
    if not (path := args.weights / f"{name}.safetensors").exists(): print(f"{name}: no {path}"); continue
    predicted = predict(name, path, images)
    per_class = [100 * (predicted[labels == c] == c).mean() for c in range(10)]
    print(f"{name}: {100 * (predicted == labels).mean():.2f}% of {len(labels)} pen digits  per class: "
          f"{' '.join(f'{c}:{a:.0f}' for c, a in enumerate(per_class))}")
    if args.confusion: print(confusion(labels, predicted))
    if args.errors:
      errors_png(args.errors.with_name(f"{args.errors.stem}_{name}.png"), images, labels, predicted,
                 f"{name}: {(predicted != labels).sum()} of {len(labels)} pen digits misread (true->predicted)")
  if args.stats or args.grid:
    sys.path.insert(0, str(ROOT))
    from digits.data.mnist import load_mnist
    _, _, mnist, mnist_labels = load_mnist()
  if args.stats:
    pen, reference = stats(images), stats(mnist)
    for key in pen: print(f"{key:>16}: pen {pen[key]:6.2f}  MNIST {reference[key]:6.2f}")
  if args.grid: grid(args.grid, images, labels, mnist, mnist_labels)

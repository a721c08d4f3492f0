#!/usr/bin/env python3
"""Chooses the memory's settings (digits/export/memory.py SETTINGS) by cross-validation over writers, with the fold
models of bench/writer_cv.py: each writer is read by the model trained without its fold. For each writer the first 2
digits of each class are taught (stored as the page stores them), then the writer's other digits are read, and the
5,000 MNIST validation digits (not the test set) are read with that writer's memory; again after the first 10 of each
class (100 taught). The embeddings come from tinygrad (the model's features and memory.embedding, as the exported
graphs compute them); the bonus is memory.recall's, in numpy, for every setting of the grid at once.

  python bench/memory_recipe.py --folds bench/results/cv/all_more --models mlp,cnn [--json out.json]

The rule: among the settings that keep MNIST validation within --keep points of the model without a memory after 20
and after 100 taught digits, for every writer, the best mean over all writers' other digits."""
import argparse, itertools, json, pathlib, sys
import numpy as np
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THRESHOLDS, WEIGHTS, COPIES = (0.4, 0.5, 0.6, 0.7, 0.8), (10.0, 20.0, 40.0, 80.0), (1, 5)

def embedder(name:str, model):
  """x (n,784) in -1..1 -> (unit embeddings, logits), in chunks of one jitted size."""
  from tinygrad import Tensor, TinyJit
  from digits.export import memory
  @TinyJit
  def run(x:Tensor):
    f = model.features(x)
    return memory.embedding(name, f, x).realize(), f["logits"].realize()
  def embed(x:np.ndarray, chunk:int=500) -> tuple[np.ndarray, np.ndarray]:
    padded = np.concatenate([x, np.full((-len(x) % chunk, 784), -1, np.float32)])
    out = [tuple(t.numpy() for t in run(Tensor(padded[i:i + chunk]).realize())) for i in range(0, len(padded), chunk)]
    return np.concatenate([o[0] for o in out])[:len(x)], np.concatenate([o[1] for o in out])[:len(x)]
  return embed

def copies_of(x:np.ndarray, copies:int) -> np.ndarray:
  """As memory.copies_of: each drawing and, for 5, moved by one pixel each way, blank coming in."""
  from digits.export import memory
  padded = np.pad(x.reshape(-1, 28, 28), ((0, 0), (1, 1), (1, 1)), constant_values=-1)
  return np.stack([padded[:, 1 - dy:29 - dy, 1 - dx:29 - dx] for dy, dx in memory.SHIFTS[:copies]], 1).reshape(-1, 784)

def best_by_class(queries:np.ndarray, keys:np.ndarray, labels:np.ndarray) -> np.ndarray:
  """(n,10): each class's best cosine among the rows; -2 where the class has none (as memory.recall)."""
  cosine, out = queries @ keys.T, np.full((len(queries), 10), -2.0)
  for c in np.unique(labels): out[:, c] = cosine[:, labels == c].max(1)
  return out

def read(logits:np.ndarray, best:np.ndarray, threshold:float, weight:float) -> np.ndarray:
  """memory.recall's choice: argmax of log_softmax(logits) + weight * relu(best - threshold) + EXACT_BONUS at EXACT."""
  from digits.export import memory
  z = logits - logits.max(1, keepdims=True)
  bonus = weight * np.maximum(best - threshold, 0) + np.where(best >= memory.EXACT, memory.EXACT_BONUS, 0)
  scores = z - np.log(np.exp(z).sum(1, keepdims=True)) + bonus
  return scores.argmax(1)

def firsts(labels:np.ndarray, per_class:int) -> np.ndarray:
  return np.array(sorted(i for c in range(10) for i in np.flatnonzero(labels == c)[:per_class]), dtype=int)

def evaluate(name:str, folds_dir:pathlib.Path) -> dict:
  from digits.data.mnist import load_mnist
  from digits.data.training_set import VALIDATION_SEED, rendered_pendigits, writer_folds
  from digits.models import load_model
  images, labels, writers = rendered_pendigits()
  pen = images.reshape(-1, 784).astype(np.float32) / 127.5 - 1
  X, Y, _, _ = load_mnist()
  val = np.random.default_rng(VALIDATION_SEED).permutation(len(X))[:5000]
  Xv, Yv = X[val].reshape(-1, 784).astype(np.float32) / 127.5 - 1, Y[val]
  grid = list(itertools.product(COPIES, THRESHOLDS, WEIGHTS))
  result = {g: {"right": 0, "digits": 0, "writers": {}, "mnist_drop": 0.0, "mnist_drop_100": 0.0, "taught_wrong": 0} for g in grid}
  before = {}
  for k, fold in enumerate(writer_folds()):
    embed = embedder(name, load_model(name, folds_dir / f"{name}-fold{k + 1}" / f"{name}.safetensors"))
    ev, lv = embed(Xv)
    mnist_before = 100 * (lv.argmax(1) == Yv).mean()
    for w in fold:
      mine = np.flatnonzero(writers == w)
      for per_class in (2, 10):
        taught = mine[firsts(labels[mine], per_class)]
        rest = np.setdiff1d(mine, taught)
        er, lr = embed(pen[rest])
        et, lt = embed(pen[taught])
        if per_class == 2: before[w] = (int((lr.argmax(1) == labels[rest]).sum()), len(rest))
        for copies in COPIES:
          keys, _ = embed(copies_of(pen[taught], copies))
          rows = np.repeat(labels[taught], copies)
          br, bv, bt = (best_by_class(q, keys, rows) for q in (er, ev, et))
          for threshold, weight in itertools.product(THRESHOLDS, WEIGHTS):
            r = result[(copies, threshold, weight)]
            drop = mnist_before - 100 * (read(lv, bv, threshold, weight) == Yv).mean()
            if per_class == 10: r["mnist_drop_100"] = max(r["mnist_drop_100"], drop); continue
            right = read(lr, br, threshold, weight) == labels[rest]
            r["right"] += int(right.sum()); r["digits"] += len(rest); r["writers"][w] = 100 * right.mean()
            r["mnist_drop"] = max(r["mnist_drop"], drop)
            r["taught_wrong"] += int((read(lt, bt, threshold, weight) != labels[taught]).sum())
    print(f"{name} fold {k + 1} done", flush=True)
  return {"before": before, "grid": {g: {**r, "mean": 100 * r["right"] / r["digits"]} for g, r in result.items()}}

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--folds", type=pathlib.Path, required=True, help="a recipe's folder of bench/writer_cv.py runs (<model>-fold<k>/)")
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--keep", type=float, default=0.3, help="MNIST validation points the memory may cost, at most")
  ap.add_argument("--json", type=pathlib.Path)
  args = ap.parse_args()
  from digits.export import memory
  from digits.files import write_text_atomic
  out = {}
  for name in args.models.split(","):
    r = evaluate(name, args.folds)
    before = {w: 100 * right / n for w, (right, n) in r["before"].items()}
    mean = 100 * sum(right for right, _ in r["before"].values()) / sum(n for _, n in r["before"].values())
    print(f"{name} ({memory.SETTINGS[name]['embedding']}): without a memory, mean {mean:.2f}%, "
          f"worst writer {min(before.values()):.1f}% (writer {min(before, key=before.get)})")
    print("| copies | threshold | weight | mean, writers' other digits | worst writer | MNIST validation drop, 20 / 100 taught | taught read wrong |")
    print("|---|---|---|---|---|---|---|")
    ranked = sorted(r["grid"].items(), key=lambda kv: -kv[1]["mean"])
    kept = [kv for kv in ranked if kv[1]["mnist_drop"] <= args.keep and kv[1]["mnist_drop_100"] <= args.keep]
    for (copies, threshold, weight), v in kept[:8]:
      print(f"| {copies} | {threshold} | {weight:g} | {v['mean']:.2f} | {min(v['writers'].values()):.1f} | "
            f"{v['mnist_drop']:.2f} / {v['mnist_drop_100']:.2f} | {v['taught_wrong']} |")
    if kept: print(f"chosen for {name}: copies {kept[0][0][0]}, threshold {kept[0][0][1]}, weight {kept[0][0][2]:g}\n")
    out[name] = {"before": before, "grid": [{"copies": g[0], "threshold": g[1], "weight": g[2], **v} for g, v in r["grid"].items()]}
  if args.json: write_text_atomic(args.json, json.dumps(out, indent=1))

if __name__ == "__main__": main()

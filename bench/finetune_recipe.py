#!/usr/bin/env python3
"""Chooses the page's fine-tuning recipe (finetune.RECIPES) in Python, with the very step the page runs (finetune.make_step,
tinygrad on the CPU) and the page's batch sampling (Classifier/js/learning/learning.js, mirrored in `batches` below).

For each held-out writer (default 21-30: models trained with pen writers 1-20 only, --weights), the first `--teach`
digits of each class are taught one at a time, in the writer's order, as the page teaches them; then the writer's
other digits are classified. Also the MNIST test accuracy after the writer's teaching (and with --mnist-after 100, after
the first 10 digits of each class). Recipes are given as JSON overrides of finetune.RECIPES[model]:
  python bench/finetune_recipe.py --weights /tmp/held --recipes '{}' '{"steps": 4}' '{"lr": 1e-3, "personal": 8}'
The pen digits are placed with seed 1 and rendered by digits/data/pendigits.py, as the page's preprocess.js renders them."""
import argparse, json, pathlib, sys, time
import numpy as np
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def batches(examples:list, newest:int, replay:tuple, recipe:dict, rng:np.random.Generator) -> list[dict]:
  """One teach's batches: the newest example in each, the other personal slots from all examples, the rest replay."""
  from digits.export import finetune
  out, (rx, ry) = [], replay
  for _ in range(recipe["steps"]):
    mine = [newest] + list(rng.integers(0, len(examples), recipe["personal"] - 1))
    theirs = rng.integers(0, len(rx), recipe["batch"] - recipe["personal"])
    x = np.concatenate([np.stack([examples[i][0] for i in mine]), rx[theirs].astype(np.float32) / 127.5 - 1])
    y = np.concatenate([[examples[i][1] for i in mine], ry[theirs]]).astype(np.int32)
    out.append({"x": x, "y": y, "noise": rng.uniform(-1, 1, (recipe["batch"], finetune.NOISE)).astype(np.float32)})
  return out

def accuracy(model, images:np.ndarray, labels:np.ndarray) -> float:
  from tinygrad import Tensor
  return 100 * float((model(Tensor(images.reshape(-1, 784).astype(np.float32) / 127.5 - 1)).argmax(-1).numpy() == labels).mean())

def teach(name:str, weights:pathlib.Path, recipe:dict, taught:list, seed:int):
  """The model after teaching `taught` [(image uint8, label)] one by one, with the given recipe."""
  from tinygrad import Tensor, TinyJit
  from digits.export import finetune
  from digits.models import load_model
  model = load_model(name, weights)
  opt = finetune.make_optimizer(model, recipe)
  step, replay = TinyJit(finetune.make_step(model, opt, recipe)), finetune.replay_sample(recipe["replay"])
  rng, examples, losses = np.random.default_rng(seed), [], []
  for image, label in taught:
    examples.append((image.reshape(784).astype(np.float32) / 127.5 - 1, label))
    for _ in range(recipe["rounds"]):  # as the page does on a fast backend: more rounds while a taught drawing is misread
      for b in batches(examples, len(examples) - 1, replay, recipe, rng):
        losses.append(step(*[Tensor(b[k]) for k in ("x", "y", "noise")])["loss"].item())
      check = examples if recipe.get("check") == "all" else examples[-1:]
      if (model(Tensor(np.stack([e[0] for e in check]))).argmax(-1).numpy() == [e[1] for e in check]).all(): break
  return model, losses

def firsts(labels:np.ndarray, per_class:int) -> np.ndarray:
  """Indices (in order) of the first `per_class` digits of each class."""
  return np.array(sorted(i for c in range(10) for i in np.flatnonzero(labels == c)[:per_class]), dtype=int)

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--weights", type=pathlib.Path, required=True, help="folder with mlp.safetensors, cnn.safetensors trained without these writers")
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--writers", default="21-30")
  ap.add_argument("--teach", type=int, default=2, help="digits of each class taught per writer")
  ap.add_argument("--mnist-after", type=int, default=0, help="also: MNIST after teaching this many digits per writer (e.g. 100)")
  ap.add_argument("--recipes", nargs="+", default=["{}"])
  ap.add_argument("--json", type=pathlib.Path)
  args = ap.parse_args()
  from digits.data.mnist import load_mnist
  from digits.data.pendigits import render_pendigits
  from digits.export import finetune
  from digits.models import load_model
  images, labels, writers = render_pendigits(seed=1)
  _, _, X_test, Y_test = load_mnist()
  first, last = map(int, args.writers.split("-"))
  results = []
  for change in args.recipes:
    for name in args.models.split(","):
      recipe = {**finetune.RECIPES[name], **json.loads(change)}
      weights = args.weights / f"{name}.safetensors"
      row = {"model": name, "recipe": recipe, "writers": {}, "mnist_before": accuracy(load_model(name, weights), X_test, Y_test)}
      start, mnist_after = time.perf_counter(), []
      for w in range(first, last + 1):
        mine = np.flatnonzero(writers == w)
        taught = mine[firsts(labels[mine], args.teach)]
        rest = np.setdiff1d(mine, taught)
        before = accuracy(load_model(name, weights), images[rest], labels[rest])
        model, losses = teach(name, weights, recipe, [(images[i], labels[i]) for i in taught], seed=w)
        row["writers"][w] = {"before": before, "after": accuracy(model, images[rest], labels[rest]), "taught": len(taught)}
        mnist_after.append(accuracy(model, X_test, Y_test))
        if args.mnist_after:
          more = mine[firsts(labels[mine], args.mnist_after // 10)]
          lesson = [(images[i], labels[i]) for i in more]
          row["writers"][w]["mnist_after_more"] = accuracy(teach(name, weights, recipe, lesson, seed=w)[0], X_test, Y_test)
        print(f"  {name} writer {w}: {before:.2f}% -> {row['writers'][w]['after']:.2f}%  MNIST {mnist_after[-1]:.2f}%"
              + (f" ({row['writers'][w]['mnist_after_more']:.2f}% after {args.mnist_after})" if args.mnist_after else ""), flush=True)
      after = [v["after"] for v in row["writers"].values()]
      row |= {"mean_before": float(np.mean([v["before"] for v in row["writers"].values()])), "mean_after": float(np.mean(after)),
              "worst_after": float(min(after)), "mnist_after_min": float(min(mnist_after)), "seconds": round(time.perf_counter() - start)}
      print(f"{name} {change}: mean {row['mean_before']:.2f}% -> {row['mean_after']:.2f}%, worst writer {row['worst_after']:.2f}%, "
            f"MNIST {row['mnist_before']:.2f}% -> at least {row['mnist_after_min']:.2f}% ({row['seconds']} s)", flush=True)
      results.append(row)
      if args.json: args.json.write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()

#!/usr/bin/env python3
"""Chooses training recipes by cross-validation over the pen writers: the 30 writers in 5 fixed folds of 6
(digits/data/training_set.py writer_folds), each recipe trained once per fold with that fold's writers left out of
training, then scored on them. Every writer is left out exactly once, so the left-out accuracy is over all 7,494 pen
digits, each read by a model that never saw its writer; the worst writer is reported beside it, and MNIST validation.
The MNIST test set plays no part (the training scripts print it; this reads none of it).

  python bench/writer_cv.py run --recipe base='{}' --recipe slant='{"STROKE_SLANT": 15}' [--models mlp,cnn] [--jobs 12]
  python bench/writer_cv.py run --recipes bench/recipes/strokes.json --dev CUDA --jobs 16
  python bench/writer_cv.py report [--out DIR] [--writers]

A recipe is JSON of the training scripts' env vars over their defaults; {"mlp": {...}, "cnn": {...}} inside it apply
to one model, and "models": ["cnn"] runs it for those alone. Runs go to OUT/<recipe>/<model>-fold<k>/ (default
bench/results/cv), one training script each, several at once (DEV=CUDA on a GPU: --dev); a run whose metrics file
exists is not run again. --deadline stops it in time."""
import argparse, json, os, pathlib, statistics, subprocess, sys, time
from dataclasses import fields
from concurrent.futures import ProcessPoolExecutor
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRIPTS = {"mlp": "mnist_mlp.py", "cnn": "mnist_convnet.py"}

def defaults(model:str) -> dict:
  """The training script's DEFAULTS (imported here, as they bring tinygrad with them)."""
  import mnist_convnet, mnist_mlp
  return {"mlp": mnist_mlp, "cnn": mnist_convnet}[model].DEFAULTS

def settings_of(model:str, recipe:dict) -> dict:
  """The env vars of one model's run: the recipe's common ones, then its model's own."""
  common = {k: v for k, v in recipe.items() if k not in (*SCRIPTS, "models")}
  return {k: str(v) for k, v in {**common, **recipe.get(model, {})}.items()}

def renderings(model:str, env:dict) -> list[tuple]:
  """(seed, variation, copy) of each pen digit rendering that a run of `model` with these env vars reads."""
  from digits.data.strokes import Variation
  value = lambda name: float(env.get(name, defaults(model)[name]))
  variation = Variation(*(value(f"STROKE_{f.name.upper()}") for f in fields(Variation)))
  return [(int(value("SEED")), variation, copy) if variation and copy else (0, Variation(), 0) for copy in range(int(env["PEN_REPEAT"]))]

def render(task:tuple) -> None:
  from digits.data.training_set import rendered_pendigits
  rendered_pendigits(*task)

def runs(recipes:dict, models:list[str], folds:list[list[int]], out:pathlib.Path) -> list[dict]:
  from digits.data.training_set import WRITERS, writers_text
  todo = []
  for name, recipe in recipes.items():
    for model in recipe.get("models", models):
      for k, fold in enumerate(folds):
        folder = out / name / f"{model}-fold{k + 1}"
        env = {"PEN_REPEAT": str(defaults(model)["PEN_REPEAT"]), **settings_of(model, recipe),
               "PEN_WRITERS": writers_text(sorted(set(WRITERS) - set(fold))), "WEIGHTS_DIR": str(folder)}
        todo.append({"recipe": name, "model": model, "fold": k + 1, "folder": folder, "env": env})
  return todo

def run(args) -> None:
  from digits.data.training_set import writer_folds
  recipes = {name: json.loads(text) for name, text in (r.split("=", 1) for r in args.recipe)}
  for path in args.recipes: recipes |= json.loads(path.read_text())
  todo = [r for r in runs(recipes, args.models.split(","), writer_folds(), args.out) if not (r["folder"] / f"{r['model']}.json").exists()]
  start, deadline = time.monotonic(), time.monotonic() + args.deadline
  tasks = list(dict.fromkeys(task for r in todo for task in renderings(r["model"], r["env"])))  # into the cache once, before the runs read them
  with ProcessPoolExecutor(args.jobs) as pool: list(pool.map(render, tasks))
  print(f"{len(todo)} runs; pen digits rendered in {time.monotonic() - start:.0f} s", flush=True)
  running = []
  while todo or running:
    while todo and len(running) < args.jobs and time.monotonic() < deadline - args.min_run:
      r = todo.pop(0)
      r["folder"].mkdir(parents=True, exist_ok=True)
      log = open(r["folder"] / "log.txt", "w")
      env = {**os.environ, **r["env"], **({"DEV": args.dev} if args.dev else {})}
      r["process"] = subprocess.Popen([sys.executable, SCRIPTS[r["model"]]], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
      r["started"] = time.monotonic()
      running.append(r)
    time.sleep(1)
    for r in [r for r in running if r["process"].poll() is not None or time.monotonic() > deadline]:
      if r["process"].poll() is None: r["process"].kill()
      running.remove(r)
      print(f"{r['recipe']} {r['model']} fold {r['fold']}: exit {r['process'].wait()} after {time.monotonic() - r['started']:.0f} s", flush=True)
    if time.monotonic() > deadline and not running: break
  print(f"done in {time.monotonic() - start:.0f} s; {len(todo)} runs not started", flush=True)

def results(out:pathlib.Path) -> dict:
  """{recipe: {model: [metrics of each fold]}} for every finished run under out."""
  found = {}
  for path in sorted(out.glob("*/*-fold*/*.json")):
    if path.name.endswith(".kernels.json"): continue
    metrics = json.loads(path.read_text())
    found.setdefault(path.parent.parent.name, {}).setdefault(metrics["model"], []).append(metrics)
  return found

def summary(folds:list[dict]) -> dict:
  writers = {int(w): acc for m in folds for w, acc in m["pen_heldout_writers"].items()}
  digits = sum(m["pen_heldout_digits"] for m in folds) if all("pen_heldout_digits" in m for m in folds) else None
  worst = sorted(writers, key=writers.get)
  pooled = (sum(m["pen_heldout_accuracy"] * m["pen_heldout_digits"] for m in folds) / digits) if digits else statistics.mean(writers.values())
  return {"folds": len(folds), "validation": statistics.mean(m["validation_accuracy"] for m in folds), "left_out": pooled,
          "worst": (worst[0], writers[worst[0]]), "second": (worst[1], writers[worst[1]]), "writers": writers,
          "per_fold": [m["pen_heldout_accuracy"] for m in folds], "wall_s": statistics.mean(m["wall_time_s"] for m in folds)}

def report(args) -> None:
  found = results(args.out)
  print("| recipe | model | folds | MNIST validation (mean) | left-out writers, all their digits | worst writer | 2nd worst | per fold | s per run |")
  print("|---|---|---|---|---|---|---|---|---|")
  for recipe, models in found.items():
    for model, folds in sorted(models.items()):
      s = summary(folds)
      print(f"| {recipe} | {model} | {s['folds']} | {s['validation']:.2f} | {s['left_out']:.2f} | {s['worst'][1]:.2f} (writer {s['worst'][0]}) | "
            f"{s['second'][1]:.2f} (writer {s['second'][0]}) | {' / '.join(f'{a:.2f}' for a in s['per_fold'])} | {s['wall_s']:.0f} |")
  if args.writers:
    for recipe, models in found.items():
      for model, folds in sorted(models.items()):
        w = summary(folds)["writers"]
        print(f"\n{recipe} {model}, per writer: " + ", ".join(f"{k}: {w[k]:.1f}" for k in sorted(w)))

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("command", choices=["run", "report"])
  ap.add_argument("--recipe", action="append", default=[], help="NAME=JSON of env vars (repeatable)")
  ap.add_argument("--recipes", action="append", default=[], type=pathlib.Path, help="a JSON file of {NAME: recipe} (repeatable)")
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--jobs", type=int, default=2, help="training runs at once")
  ap.add_argument("--dev", default="", help="tinygrad device for the runs, e.g. CUDA")
  ap.add_argument("--deadline", type=float, default=1e9, help="seconds after which runs are stopped")
  ap.add_argument("--min-run", type=float, default=150, help="no run starts later than this before the deadline")
  ap.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "results" / "cv")
  ap.add_argument("--writers", action="store_true", help="report: also every writer's accuracy")
  args = ap.parse_args()
  run(args) if args.command == "run" else report(args)

if __name__ == "__main__": main()

#!/usr/bin/env python3
"""One fine-tuning step in the browser: ours (the page's exported training graph, Classifier/<model>/<model>.train.js)
against TensorFlow.js training the same architecture with the same batch size and Adam, in the same headless Chromium
(WebGPU on SwiftShader). Needs `npm ci --prefix bench`.
  python bench/train_step_bench.py [--models mlp,cnn] [--warmup 5] [--steps 30]
Each row is a fresh page: `warmup` untimed steps, then `steps` timed ones, each step awaited and its loss read back
(ours: inputs upload, every kernel in one command buffer or WebAssembly call chain, the loss read; TF.js:
optimizer.minimize + loss.data()). Ours also warps each image (the augmentation of digits/export/finetune.py), which TF.js does not.
Writes bench/results/train_step_bench.json."""
import argparse, json, statistics, sys
from harness import BENCH, RESULTS, ROOT, launch, machine_info, new_page, pct, serve

VARIANTS = [("ours", "webgpu"), ("ours", "wasm"), ("tfjs", "webgpu"), ("tfjs", "wasm"), ("tfjs", "cpu")]

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--warmup", type=int, default=5)
  ap.add_argument("--steps", type=int, default=30)
  args = ap.parse_args()
  if not (BENCH / "node_modules" / "@tensorflow" / "tfjs").exists():
    sys.exit("error: TensorFlow.js is not installed (a benchmark-only package, bench/package.json): run `npm ci --prefix bench`")
  from playwright.sync_api import sync_playwright
  sys.path.insert(0, str(ROOT))
  from digits.export.finetune import RECIPES
  server, base = serve()
  results = {}
  with sync_playwright() as p:
    browser = launch(p)
    for model in args.models.split(","):
      recipe = RECIPES[model]
      for library, backend in VARIANTS:
        context, page = new_page(browser)
        page.goto(base + f"bench/pages/{library}_train.html")
        page.wait_for_function("window.ready === true")
        try: r = page.evaluate("(options) => window.timeSteps(options)", {"model": model, "backend": backend, "batch": recipe["batch"],
                               "lr": recipe["lr"], "warmup": args.warmup, "steps": args.steps})
        except Exception as e:  # TF.js's wasm backend has no kernel for some gradients (Conv2DBackpropFilter)
          results[f"{model} {library} {backend}"] = {"error": str(e).splitlines()[0]}
          print(f"{model} {library:4} {backend:6}: cannot train: {str(e).splitlines()[0]}", flush=True)
          continue
        finally: context.close()
        row = {"median": statistics.median(r["times"]), "p90": pct(r["times"], 90), "backend": r["backend"], "losses": r["losses"][:3]}
        results[f"{model} {library} {backend}"] = row
        print(f"{model} {library:4} {backend:6} (ran on {r['backend']}): median {row['median']:.2f} ms, p90 {row['p90']:.2f} ms "
              f"per step of {recipe['batch']}", flush=True)
      tfjs = min(results[f"{model} tfjs {b}"].get("median", float("inf")) for b in ("webgpu", "wasm", "cpu"))
      for backend in ("webgpu", "wasm"):
        print(f"{model}: ours on {backend} / faster TF.js = {results[f'{model} ours {backend}']['median'] / tfjs:.2f}x")
    results["machine"] = machine_info(browser.version)
    browser.close()
  server.shutdown()
  RESULTS.mkdir(parents=True, exist_ok=True)
  (RESULTS / "train_step_bench.json").write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()

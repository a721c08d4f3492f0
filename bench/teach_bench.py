#!/usr/bin/env python3
"""The page learning writers it has never seen, measured on the page itself (headless Chromium, WebGPU on SwiftShader):
  python bench/teach_bench.py --weights DIR [--writers 21-30] [--models mlp,cnn] [--backend webgpu|cpu] [--more 21,28]

DIR holds mlp.safetensors and cnn.safetensors trained without these writers (PEN_WRITERS=1-20). They are exported
into a temporary copy of the site (export_webgpu.py, the same checks), then for each writer and model, in a fresh
browser profile: the first 2 digits of each class are drawn with the mouse (tests/pen_replay.py) and taught with the
"It's a ..." buttons, one at a time, each time waiting for the corrected prediction; then #export-personal downloads
the personal weights, which classify the writer's other digits (placed with seed 1 and rendered as preprocess.js
renders them, digits/data/pendigits.py) and the 10,000 MNIST test digits in tinygrad. --more also teaches the first 10 of each
class (100 digits) to the listed writers, for MNIST after 100 examples. Times: click to corrected prediction shown.
Writes bench/results/teach_bench.json."""
import argparse, json, pathlib, random, shutil, statistics, sys, tempfile, time
import numpy as np
ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from tinygrad import Tensor
from conftest import CHROMIUM, QUIET_FLAGS, WEBGPU_FLAGS, serve
from pen_replay import draw, load_digits, place, prediction, wait_for_prediction
from digits.models import load_model
from digits.data.mnist import load_mnist
from digits.data.pendigits import render_pendigits
import export_webgpu

LEARNED = """([seq, examples]) => {
  const p = document.querySelector("#prediction"), personal = document.querySelector("#personal");
  return personal.dataset.state === "personal" && Number(personal.dataset.examples) === examples &&
         p.dataset.busy === "false" && Number(p.dataset.seq) > seq;
}"""

def site_with(weights:pathlib.Path, folder:pathlib.Path) -> pathlib.Path:
  """A copy of Classifier/ whose models are `weights`, exported and checked as export_webgpu.py does."""
  shutil.copytree(ROOT / "Classifier", folder, ignore=shutil.ignore_patterns("mlp", "cnn", "hyperparameters"))
  for name in ("mlp", "cnn"): export_webgpu.export(name, weights, folder)
  return folder

def accuracy(model, images:np.ndarray, labels:np.ndarray) -> float:
  return 100 * float((model(Tensor(images.reshape(-1, 784).astype(np.float32) / 127.5 - 1)).argmax(-1).numpy() == labels).mean())

def firsts(labels:np.ndarray, per_class:int) -> np.ndarray:
  return np.array(sorted(i for c in range(10) for i in np.flatnonzero(labels == c)[:per_class]), dtype=int)

def teach_on_page(browser, url:str, model:str, digits:list[dict], seed:int, download:pathlib.Path) -> tuple[list[float], list[str], dict]:
  """Draws and teaches `digits` one by one on a fresh page; saves the personal weights to `download`.
  Returns the seconds from each click to the corrected prediction, the backend that learned each, and the files
  fetched from the first click to its corrected prediction (name: bytes)."""
  context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
  page = context.new_page()
  phase, responses = ["load"], []
  page.on("response", lambda r: responses.append((phase[0], r)))
  page.goto(url + f"?model={model}")
  page.wait_for_selector('#status[data-state="ready"]', timeout=60_000)
  page.wait_for_function("() => document.querySelector('#status').dataset.nextBackend === ''", timeout=60_000)
  side, rng, times, backends = page.locator("#canvas").evaluate("el => el.clientWidth"), random.Random(seed), [], []
  for n, digit in enumerate(digits):
    page.click("#clear-button")
    seq = int(prediction(page)["seq"])
    draw(page, place(digit["strokes"], side, rng))
    seq = int(wait_for_prediction(page, model, seq)["seq"])
    phase[0], start = "first teaching" if n == 0 else "later", time.perf_counter()
    page.click(f'[data-teach="{digit["label"]}"]')
    page.wait_for_function(LEARNED, arg=[seq, n + 1], timeout=120_000)
    times.append(time.perf_counter() - start)
    phase[0] = "later"
    backends.append(page.get_attribute("#personal", "data-backend"))
  fetched = {r.url.rsplit("/", 1)[-1]: len(r.body()) for p, r in responses if p == "first teaching" and r.ok}
  with page.expect_download() as saved: page.click("#export-personal")
  saved.value.save_as(download)
  context.close()
  return times, backends, fetched

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--weights", type=pathlib.Path, required=True)
  ap.add_argument("--writers", default="21-30")
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--backend", default="webgpu", choices=["webgpu", "cpu"], help="cpu: a browser without WebGPU")
  ap.add_argument("--more", default="", help="writers who also teach 100 digits, for MNIST after 100 examples")
  args = ap.parse_args()
  from playwright.sync_api import sync_playwright
  digits, (images, labels, writers) = load_digits(), render_pendigits(seed=1)
  _, _, X_test, Y_test = load_mnist()
  first, last = map(int, args.writers.split("-"))
  more = {int(w) for w in args.more.split(",") if w}
  results = {"backend": args.backend, "writers": {}}
  with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
    site = site_with(args.weights, pathlib.Path(tmp) / "site")
    server, url = serve(site)
    browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS + (WEBGPU_FLAGS if args.backend == "webgpu" else []))
    for name in args.models.split(","):
      shipped = load_model(name, args.weights / f"{name}.safetensors")
      results[f"{name}_mnist_shipped"] = accuracy(shipped, X_test, Y_test)
      for w in range(first, last + 1):
        mine = np.flatnonzero(writers == w)
        for per_class in (2, 10) if w in more else (2,):
          taught = mine[firsts(labels[mine], per_class)]
          rest = np.setdiff1d(mine, taught)
          personal = pathlib.Path(tmp) / f"{name}-{w}.safetensors"
          times, backends, fetched = teach_on_page(browser, url, name, [digits[i] for i in taught], seed=w, download=personal)
          model = load_model(name, personal)
          row = {"taught": len(taught), "before": accuracy(shipped, images[rest], labels[rest]), "after": accuracy(model, images[rest], labels[rest]),
                 "mnist": accuracy(model, X_test, Y_test), "times": [round(t, 3) for t in times], "backends": backends,
                 "first_teaching_fetched": fetched}
          results["writers"].setdefault(name, {}).setdefault(str(w), {})[str(len(taught))] = row
          print(f"{name} writer {w}, {len(taught)} taught: {row['before']:.2f}% -> {row['after']:.2f}% of {len(rest)} other digits, "
                f"MNIST {row['mnist']:.2f}%, "
                f"teach median {statistics.median(times):.2f} s (first {times[0]:.2f}, max {max(times):.2f}), learned on {sorted(set(backends))}, "
                f"first teaching fetched {sum(fetched.values()):,} B", flush=True)
      rows = [v["20"] for v in results["writers"][name].values()]
      print(f"{name}: mean {np.mean([r['before'] for r in rows]):.2f}% -> {np.mean([r['after'] for r in rows]):.2f}%, worst writer "
            f"{min(r['after'] for r in rows):.2f}%; MNIST {results[f'{name}_mnist_shipped']:.2f}% -> at least {min(r['mnist'] for r in rows):.2f}%; "
            f"teach median {statistics.median([t for r in rows for t in r['times']]):.2f} s", flush=True)
    browser.close()
    server.shutdown()
  out = ROOT / "bench" / "results" / f"teach_bench_{args.backend}.json"
  out.parent.mkdir(exist_ok=True)
  out.write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()

#!/usr/bin/env python3
"""What-if measurements for the page's time to first prediction: .venv/bin/python bench/ttfp_experiments.py [--runs 5]

Copies Classifier/ into bench/results/variants/<variant>/Classifier/ (git-ignored), applies one change to the copy
(the real files are not touched), and times each copy exactly as bench/browser_bench.py times the real page
(cold context, digit drawn as soon as #canvas is laid out, navigation start to #prediction[data-seq] = 1), the copies
interleaved run by run so that the machine's load falls on all of them alike. Variants:
  baseline     the copy unchanged (the control)
  preload      index.html: <link rel=modulepreload> for every module and, from a tiny inline script that reads
               ?model=, for the model's module, plus <link rel=preload as=fetch> for its weights: the module
               waterfall (app -> drawing -> classifier -> safetensors/cpu_model -> model.js -> webgpu_model.js ->
               weights) collapses into one round of parallel requests
  import_early classifier.js: the model's module is imported while the GPU adapter and device are being opened,
               instead of after
  both         preload + import_early
  cpu_first    both, and classifier.js answers on the CPU (same weights, same logits to ~1e-5) until the WebGPU
               pipelines are compiled, then on WebGPU; an upper bound of what hiding the pipeline compile gives
               (the experiment downloads the weights twice; a real change would share one download)
  no_preload_other  app.js: the other model is not loaded in the background (bytes only)
Writes bench/results/ttfp_experiments.json."""
import argparse, json, pathlib, shutil, statistics, sys, time
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from browser_bench import CHROMIUM, QUIET_FLAGS, WEBGPU_FLAGS, PAGE_PROBE, RESOURCES_JS, RESULTS, ROOT, Recorder, new_page, serve, settle_network

MODULES = ["js/app.js", "js/drawing.js", "js/preprocess.js", "js/classifier.js", "js/safetensors.js", "js/cpu_model.js", "js/webgpu_model.js"]
PRELOAD = """  <script>
    // preload the whole module graph and this model's files: one round of parallel requests instead of a waterfall
    {
      const model = new URLSearchParams(location.search).get("model") === "mlp" ? "mlp" : "cnn";
      const links = [%s, [`${model}/${model}.js`, "modulepreload"], [`${model}/${model}.webgpu.safetensors`, "preload"]];
      for (const [href, rel] of links) {
        const link = Object.assign(document.createElement("link"), {rel, href});
        if (rel === "preload") { link.as = "fetch"; link.crossOrigin = "anonymous"; }
        document.head.append(link);
      }
    }
  </script>
""" % ", ".join(f'["{m}", "modulepreload"]' for m in MODULES)

def patch(path: pathlib.Path, old: str, new: str):
  text = path.read_text()
  assert text.count(old) == 1, f"{path}: expected exactly one {old!r}"
  path.write_text(text.replace(old, new))

def preload(site):
  patch(site / "index.html", '  <link rel="stylesheet" href="style.css">\n', '  <link rel="stylesheet" href="style.css">\n' + PRELOAD)

def import_early(site):
  patch(site / "js" / "classifier.js", "  const { device, reason } = await openGpu();\n  if (device) return webgpuClassifier(name, device);",
        "  import(`../${name}/${name}.js`).catch(() => {});  // fetched while the device opens\n"
        "  const { device, reason } = await openGpu();\n  if (device) return webgpuClassifier(name, device);")

def cpu_first(site):
  patch(site / "js" / "classifier.js", "  if (device) return webgpuClassifier(name, device);",
        """  if (device) {
    const gpuLoad = webgpuClassifier(name, device), cpu = await cpuClassifier(name, null);
    let gpuClassifier = null;
    gpuLoad.then((c) => { gpuClassifier = c; }, () => {});
    return { name, backend: "webgpu", notice: null, predict: (x) => (gpuClassifier ?? cpu).predict(x) };
  }""")

def no_preload_other(site):
  patch(site / "js" / "app.js", "classifierFor(state.model).then(() => MODEL_NAMES.forEach((name) => classifierFor(name)), () => {});",
        "classifierFor(state.model);")

VARIANTS = {"baseline": [], "preload": [preload], "import_early": [import_early], "both": [preload, import_early],
            "cpu_first": [preload, import_early, cpu_first], "no_preload_other": [no_preload_other]}

def build(name: str) -> str:
  site = RESULTS / "variants" / name / "Classifier"
  if site.exists(): shutil.rmtree(site)
  shutil.copytree(ROOT / "Classifier", site)
  for change in VARIANTS[name]: change(site)
  return str(site.relative_to(ROOT)) + "/"

def run(browser, url, record_bytes=False) -> dict:
  context, page = new_page(browser)
  try:
    recorder = Recorder(page) if record_bytes else None
    page.add_init_script(PAGE_PROBE)
    page.goto(url)
    page.wait_for_function("window.__ttfp && (window.__ttfp.first || window.__ttfp.error)", timeout=120_000, polling=50)
    out = page.evaluate("({...window.__ttfp, backend: document.querySelector('#status').dataset.backend})")
    if out.get("error"): raise RuntimeError(out["error"])
    out["resources"] = page.evaluate(RESOURCES_JS)
    if recorder:
      settle_network(page)
      out["bytes_total"] = sum(f["bytes"] for f in recorder.files(url))
    out["errors"] = page.errors
    return out
  finally: context.close()

def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--runs", type=int, default=5)
  ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
  ap.add_argument("--models", nargs="+", default=["mlp", "cnn"])
  args = ap.parse_args()
  sites = {v: build(v) for v in args.variants}
  from playwright.sync_api import sync_playwright
  server, base = serve(ROOT)
  results, started = {}, time.perf_counter()
  with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS + WEBGPU_FLAGS)
    for model in args.models:
      runs = {v: [] for v in args.variants}
      for rep in range(args.runs):
        for v in args.variants:
          try: runs[v].append(run(browser, f"{base}{sites[v]}?model={model}", record_bytes=rep == 0))
          except Exception as e: runs[v].append({"error": str(e)[:1000]})
      for v, rs in runs.items():
        ok = [r for r in rs if "first" in r]
        med = lambda k: statistics.median(r[k] for r in ok if r.get(k)) if ok else None
        results[f"{model}/{v}"] = {"first_prediction_ms": med("first"), "ready_ms": med("ready"), "drawn_ms": med("drawn"),
                                   "all_first_ms": [round(r["first"]) for r in ok], "digits": [r.get("digit") for r in ok],
                                   "backends": sorted({r.get("backend") for r in ok}), "bytes_total": rs[0].get("bytes_total"),
                                   "errors": [r["error"] for r in rs if "error" in r] + [e for r in ok for e in r["errors"]], "runs": rs}
        e = results[f"{model}/{v}"]
        fmt = lambda x: "—" if x is None else f"{x:.0f}"
        print(f"{model} {v:17s} first prediction {fmt(e['first_prediction_ms'])} ms (runs {e['all_first_ms']}), status ready "
              f"{fmt(e['ready_ms'])} ms, canvas drawn {fmt(e['drawn_ms'])} ms, bytes {e['bytes_total']}, digits {e['digits']}"
              + (f", ERRORS {e['errors'][:2]}" if e["errors"] else ""), flush=True)
    browser.close()
  server.shutdown()
  (RESULTS / "ttfp_experiments.json").write_text(json.dumps(results, indent=1))
  print(f"wrote bench/results/ttfp_experiments.json ({time.perf_counter() - started:.0f} s)")

if __name__ == "__main__": main()

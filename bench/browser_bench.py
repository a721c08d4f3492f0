#!/usr/bin/env python3
"""Browser benchmark of the digit classifier against TensorFlow.js and ONNX Runtime Web, in one headless Chromium
(WebGPU on SwiftShader):  .venv/bin/python bench/browser_bench.py [--models mlp cnn] [--runs 5] [--calls 200]

Per model (mlp, cnn) it measures
  1. time to first prediction of the real page (Classifier/?model=NAME[&backend=cpu]): navigation start (= 0) to the
     moment #prediction[data-seq] reaches 1, for a digit drawn with synthetic pointer events on #canvas as soon as the
     page lays it out; fresh browser context (cold cache) per run, median of --runs; with the backend that gave it
     (#status[data-backend] then: in auto mode the page answers on the CPU until its WebGPU model is ready) and when
     the page moved to WebGPU;
  2. steady-state latency of one inference (upload, kernels, readback) through loadClassifier on WebGPU and on the CPU
     fallback: median and p90 of --calls calls after --warmup calls (bench/pages/ours.html);
  3. bytes the page downloads: response body sizes seen by Playwright for one page load (every file is listed in the
     JSON), both up to the first prediction and in all, the latter once the page has settled on its backend and the
     network has then been quiet for SETTLE_MS, so that a model fetched in the background would be counted;
  4. the same for TF.js (WebGPU backend) and ONNX Runtime Web (WebGPU and wasm execution providers), each in a minimal
     page of its own (bench/pages/), running the same architectures with the same weights (ours, from the
     safetensors; the .onnx files are built here into bench/results/) on the same inputs, with their logits checked
     against ours;
and prints one markdown table and writes bench/results/browser_bench.json.

Needs: `npm ci --prefix bench` (bench/package.json pins the libraries) and `pip install -r bench/requirements.txt`."""
import argparse, json, pathlib, statistics, struct, sys, time
import numpy as np
from harness import BENCH, RESULTS, ROOT, launch, machine_info, new_page, pct, serve, settle_network

MODELS = ("mlp", "cnn")
TIMEOUT_MS = 180_000
SETTLE_MS = 3000  # quiet network after the page settled, before its bytes are totalled
AGREEMENT = 1e-3  # max abs logit difference accepted between a library and ours

# ---------------------------------------------------------------- weights, reference, ONNX

def read_safetensors(path: pathlib.Path) -> dict[str, np.ndarray]:
  raw = path.read_bytes()
  n = struct.unpack("<Q", raw[:8])[0]
  header = json.loads(raw[8:8 + n])
  out = {}
  for key, entry in header.items():
    if key == "__metadata__": continue
    assert entry["dtype"] == "F32", (path, key, entry["dtype"])
    a, b = entry["data_offsets"]
    out[key] = np.frombuffer(raw[8 + n + a:8 + n + b], np.float32).reshape(entry["shape"]).copy()
  return out

def reference_logits(name: str, w: dict, x: np.ndarray) -> np.ndarray:
  """The architectures in numpy (float64), from digits/models.py: PyTorch layouts, (channel, row, col) flatten."""
  w = {k: v.astype(np.float64) for k, v in w.items()}
  x = x.astype(np.float64)
  if name == "mlp":
    silu = lambda v: v / (1 + np.exp(-v))
    h = silu(x @ w["l1.weight"].T + w["l1.bias"])
    h = silu(h @ w["l2.weight"].T + w["l2.bias"])
    return h @ w["l3.weight"].T + w["l3.bias"]
  def conv_relu_pool(h, weight, bias):  # h: (N, C, S, S), valid 3x3, ReLU, 2x2 max pool (floor)
    s = h.shape[-1] - 2
    patches = np.stack([h[:, :, i:i + s, j:j + s] for i in range(3) for j in range(3)], axis=2)  # N, C, 9, s, s
    y = np.einsum("ncksz,ock->nosz", patches, weight.reshape(weight.shape[0], weight.shape[1], 9)) + bias[None, :, None, None]
    y = np.maximum(y, 0)
    p = s // 2
    return y[:, :, :2 * p, :2 * p].reshape(y.shape[0], y.shape[1], p, 2, p, 2).max(axis=(3, 5))
  h = conv_relu_pool(x.reshape(-1, 1, 28, 28), w["c1.weight"], w["c1.bias"])
  h = conv_relu_pool(h, w["c2.weight"], w["c2.bias"])
  return h.reshape(h.shape[0], -1) @ w["l1.weight"].T + w["l1.bias"]

def build_onnx(name: str, w: dict, path: pathlib.Path, check_inputs: np.ndarray) -> dict:
  """The architecture as an ONNX graph (opset 17) with our weights as initializers: input x [1, 784] -> logits [1, 10]."""
  import onnx
  from onnx import TensorProto, helper, numpy_helper
  inits = [numpy_helper.from_array(v, k) for k, v in w.items()]
  node = helper.make_node
  if name == "mlp":
    nodes = [node("Gemm", ["x", "l1.weight", "l1.bias"], ["z1"], transB=1), node("Sigmoid", ["z1"], ["s1"]), node("Mul", ["z1", "s1"], ["h1"]),
             node("Gemm", ["h1", "l2.weight", "l2.bias"], ["z2"], transB=1), node("Sigmoid", ["z2"], ["s2"]), node("Mul", ["z2", "s2"], ["h2"]),
             node("Gemm", ["h2", "l3.weight", "l3.bias"], ["logits"], transB=1)]
  else:
    inits.append(numpy_helper.from_array(np.array([1, 1, 28, 28], np.int64), "image_shape"))
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [node("Reshape", ["x", "image_shape"], ["img"]),
             node("Conv", ["img", "c1.weight", "c1.bias"], ["y1"], kernel_shape=[3, 3]),
             node("Relu", ["y1"], ["r1"]), node("MaxPool", ["r1"], ["p1"], **pool),
             node("Conv", ["p1", "c2.weight", "c2.bias"], ["y2"], kernel_shape=[3, 3]),
             node("Relu", ["y2"], ["r2"]), node("MaxPool", ["r2"], ["p2"], **pool),
             node("Flatten", ["p2"], ["f"], axis=1), node("Gemm", ["f", "l1.weight", "l1.bias"], ["logits"], transB=1)]
  graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 784])],
                            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
  model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench/browser_bench.py")
  model.ir_version = 8
  onnx.checker.check_model(model)
  path.parent.mkdir(parents=True, exist_ok=True)
  onnx.save(model, str(path))
  # the ONNX graph itself must compute what the architecture does, before any browser runs it
  from onnx.reference import ReferenceEvaluator
  run = ReferenceEvaluator(model)
  got = np.concatenate([run.run(None, {"x": x[None]})[0] for x in check_inputs[:4]])
  err = float(np.abs(got - reference_logits(name, w, check_inputs[:4])).max())
  assert err < 1e-3, f"{path}: the ONNX graph differs from the numpy reference by {err}"
  return {"path": str(path.relative_to(ROOT)), "bytes": path.stat().st_size, "reference_evaluator_max_abs_diff": err}

def bench_inputs() -> tuple[np.ndarray, str]:
  """32 inputs in -1..1: 16 MNIST test digits, 8 of them inverted, and 8 of uniform noise, as export_webgpu.py checks."""
  sys.path.insert(0, str(ROOT))
  from digits.export.check import check_inputs
  return check_inputs(), "16 MNIST test digits (8 also inverted) + 8 noise, as export_webgpu.py checks"

# ---------------------------------------------------------------- browser runs

# Injected before the page's own scripts: once app.js has laid out #canvas (our ResizeObserver is created after the
# page's, so it is called after the DrawingSurface has its size), draw a "7" with pointer events, and record when the
# status turns ready, when #prediction[data-seq] reaches 1 and the status's backend then, and when it turns to WebGPU.
PAGE_PROBE = r"""
window.__ttfp = {};
const seven = [[0.28, 0.2], [0.72, 0.2], [0.45, 0.85]];
function drawSeven(canvas) {
  const box = canvas.getBoundingClientRect(), side = canvas.clientWidth;
  const at = (p, buttons, button) => ({bubbles: true, cancelable: true, composed: true, pointerId: 1, pointerType: "mouse",
    isPrimary: true, button, buttons, clientX: box.left + p[0] * side, clientY: box.top + p[1] * side});
  canvas.dispatchEvent(new PointerEvent("pointerdown", at(seven[0], 1, 0)));
  for (let s = 0; s + 1 < seven.length; s++) for (let k = 1; k <= 8; k++) {
    const [a, b] = [seven[s], seven[s + 1]], u = k / 8;
    canvas.dispatchEvent(new PointerEvent("pointermove", at([a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u], 1, -1)));
  }
  canvas.dispatchEvent(new PointerEvent("pointerup", at(seven[seven.length - 1], 0, 0)));
  window.__ttfp.drawn = performance.now();
}
document.addEventListener("DOMContentLoaded", () => {
  window.__ttfp.domContentLoaded = performance.now();
  const canvas = document.getElementById("canvas"), prediction = document.getElementById("prediction"),
        status = document.getElementById("status");
  const sized = new ResizeObserver(() => {
    if (canvas.clientWidth === 0 || window.__ttfp.drawn) return;
    sized.disconnect();
    try { drawSeven(canvas); } catch (e) { window.__ttfp.error = String(e); }
  });
  sized.observe(canvas);
  new MutationObserver(() => {
    if (status.dataset.state === "ready" && !window.__ttfp.ready) window.__ttfp.ready = performance.now();
    if (status.dataset.backend === "webgpu" && !window.__ttfp.webgpu) window.__ttfp.webgpu = performance.now();
    if (status.dataset.state === "error") window.__ttfp.error = status.textContent + ": " + document.getElementById("error").textContent;
  }).observe(status, {attributes: true, attributeFilter: ["data-state", "data-backend"]});
  new MutationObserver(() => {
    if (Number(prediction.dataset.seq) >= 1 && !window.__ttfp.first) {
      window.__ttfp.first = performance.now();
      window.__ttfp.digit = prediction.dataset.digit;
      window.__ttfp.firstBackend = status.dataset.backend;
    }
  }).observe(prediction, {attributes: true, attributeFilter: ["data-seq"]});
});
"""

RESOURCES_JS = """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map(e => ({
  name: e.name, start: e.startTime, responseStart: e.responseStart, end: e.responseEnd, bytes: e.encodedBodySize}))"""

class Recorder:
  """Every response the page gets, with its body size as Playwright saw it."""
  def __init__(self, page):
    self.requests, self.failed = [], []
    page.on("requestfinished", lambda r: self.requests.append(r))
    page.on("requestfailed", lambda r: self.failed.append(r.url))
  def files(self, base: str) -> list[dict]:
    out = []
    for r in self.requests:
      try: size = r.sizes()["responseBodySize"]
      except Exception: size = -1
      resp = r.response()
      out.append({"url": r.url.removeprefix(base), "status": resp.status if resp else None, "bytes": size})
    return out

# The page has settled on its backend: none is still starting (auto mode moves from the CPU to WebGPU once).
SETTLED_JS = "window.__ttfp.error || document.querySelector('#status').dataset.nextBackend === ''"

def run_full_page(browser, base, model, backend, record_bytes) -> dict:
  context, page = new_page(browser)
  try:
    recorder = Recorder(page) if record_bytes else None
    page.add_init_script(PAGE_PROBE)
    query = f"?model={model}" + (f"&backend={backend}" if backend != "auto" else "")
    page.goto(base + "Classifier/" + query)
    page.wait_for_function("window.__ttfp && (window.__ttfp.first || window.__ttfp.error)", timeout=TIMEOUT_MS, polling=50)
    page.wait_for_function(SETTLED_JS, timeout=TIMEOUT_MS, polling=50)
    out = page.evaluate("({...window.__ttfp, backend: document.querySelector('#status').dataset.backend})")
    if out.get("error"): raise RuntimeError(out["error"])
    out["resources"] = page.evaluate(RESOURCES_JS)
    if recorder:
      settle_network(page, quiet_ms=SETTLE_MS)
      out["files"] = recorder.files(base)
      first_names = {r["name"].removeprefix(base) for r in out["resources"] if r["end"] <= out["first"]}
      out["bytes_total"] = sum(f["bytes"] for f in out["files"])
      out["bytes_to_first"] = sum(f["bytes"] for f in out["files"] if f["url"] in first_names or f["url"].startswith("Classifier/?"))
    out["errors"] = page.errors
    return out
  finally: context.close()

def run_bench_page(browser, base, path, record_bytes=False, then=None) -> dict:
  """Loads a bench page in a fresh context, waits for its first prediction; `then(page)` runs on the loaded page."""
  context, page = new_page(browser)
  try:
    recorder = Recorder(page) if record_bytes else None
    page.goto(base + path)
    page.wait_for_function("window.benchState || window.benchError", timeout=TIMEOUT_MS, polling=50)
    out = page.evaluate("window.benchState ?? {error: window.benchError}")
    if out.get("error"): raise RuntimeError(out["error"])
    out["resources"] = page.evaluate(RESOURCES_JS)
    if recorder:
      settle_network(page)
      out["files"] = recorder.files(base)
      out["bytes_total"] = sum(f["bytes"] for f in out["files"])
    if then: out.update(then(page))
    out["errors"] = page.errors
    return out
  finally: context.close()

def latency_and_logits(inputs: np.ndarray, warmup: int, calls: int):
  def then(page):
    logits = page.evaluate("(xs) => window.benchLogits(xs)", inputs.tolist())
    times = page.evaluate("([xs, w, n]) => window.benchLatency(xs, w, n)", [inputs.tolist(), warmup, calls])
    return {"logits": logits, "times": times}
  return then

# ---------------------------------------------------------------- main

VARIANTS = {  # row label, bench page, what it is
  "ours_webgpu": ("ours WebGPU", "bench/pages/ours.html?model={m}&backend=webgpu", "auto"),
  "ours_cpu": ("ours CPU fallback", "bench/pages/ours.html?model={m}&backend=cpu", "cpu"),
  "tfjs_webgpu": ("TF.js WebGPU", "bench/pages/tfjs.html?model={m}", None),
  "ort_webgpu": ("ORT WebGPU", "bench/pages/ort_webgpu.html?model={m}", None),
  "ort_wasm": ("ORT wasm", "bench/pages/ort_wasm.html?model={m}", None),
}

def npm_versions() -> dict:
  out = {}
  for pkg in ("@tensorflow/tfjs", "@tensorflow/tfjs-backend-webgpu", "onnxruntime-web"):
    p = BENCH / "node_modules" / pkg / "package.json"
    out[pkg] = json.loads(p.read_text())["version"] if p.exists() else None
  return out

def first_backends(page: dict) -> str:
  """Which backend gave the first prediction, and when the page moved to WebGPU if it did: "cpu, webgpu at 612"."""
  text = "/".join(sorted(set(filter(None, page["first_prediction_backends"])))) or "—"
  return text + (f", webgpu at {fmt_ms(page['webgpu_ms'])}" if page["webgpu_ms"] is not None and "cpu" in text else "")

def fmt_ms(v): return "—" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 1 else f"{v:.3f}")
def fmt_bytes(v): return "—" if v is None else f"{v / 1e6:.2f} MB" if v >= 1e6 else f"{v / 1e3:.0f} KB"

def main() -> int:
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
  ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
  ap.add_argument("--runs", type=int, default=5, help="cold page loads per measurement (median reported)")
  ap.add_argument("--warmup", type=int, default=20)
  ap.add_argument("--calls", type=int, default=200)
  ap.add_argument("--out", default=str(RESULTS / "browser_bench.json"))
  args = ap.parse_args()
  started = time.perf_counter()
  if missing := [k for k, v in npm_versions().items() if v is None]:
    sys.exit(f"error: {missing} not installed (benchmark-only packages, bench/package.json): run `npm ci --prefix bench`")
  try: import onnx  # noqa: F401  (build_onnx's, checked before any time is spent)
  except ImportError: sys.exit("error: onnx is not installed (a benchmark-only package): run `.venv/bin/pip install -r bench/requirements.txt`")

  inputs, inputs_note = bench_inputs()
  weights = {m: read_safetensors(ROOT / "models" / f"{m}.safetensors") for m in args.models}
  reference = {m: reference_logits(m, weights[m], inputs) for m in args.models}
  onnx_files = {m: build_onnx(m, weights[m], RESULTS / f"{m}.onnx", inputs) for m in args.models}

  from playwright.sync_api import sync_playwright
  server, base = serve(ROOT)
  results = {"inputs": inputs_note, "onnx": onnx_files, "libraries": npm_versions(), "models": {}}
  with sync_playwright() as p:
    browser = launch(p)
    results["machine"] = machine_info(browser.version)
    m_ = results["machine"]
    print(f"machine: {m_['nproc']} cores, {m_['cpu']}, Chromium {m_['chromium']}, load average {' '.join(m_['loadavg_start'])}", flush=True)
    for model in args.models:
      res = results["models"][model] = {"page": {}, "variants": {}}
      # 1 + 3: the real page, on WebGPU (auto) and on the CPU fallback, cold, interleaved with the bench pages
      page_runs = {b: [] for b in ("auto", "cpu")}
      var_runs = {v: [] for v in args.variants}
      for rep in range(args.runs):
        for backend in page_runs:
          try: page_runs[backend].append(run_full_page(browser, base, model, backend, record_bytes=rep == 0))
          except Exception as e: page_runs[backend].append({"error": str(e)[:2000]})
        for v in args.variants:
          try: var_runs[v].append(run_bench_page(browser, base, VARIANTS[v][1].format(m=model), record_bytes=rep == 0))
          except Exception as e: var_runs[v].append({"error": str(e)[:2000]})
        print(f"  {model} cold run {rep + 1}/{args.runs} done ({time.perf_counter() - started:.0f} s)", flush=True)
      for backend, runs in page_runs.items():
        ok = [r for r in runs if "first" in r]
        res["page"][backend] = {
          "first_prediction_ms": statistics.median([r["first"] for r in ok]) if ok else None,
          "ready_ms": statistics.median([r["ready"] for r in ok if r.get("ready")]) if ok else None,
          "drawn_ms": statistics.median([r["drawn"] for r in ok]) if ok else None,
          "digits": [r.get("digit") for r in ok], "backends": sorted({r.get("backend") for r in ok}),
          "first_prediction_backends": [r.get("firstBackend") for r in ok],
          "webgpu_ms": statistics.median(switched) if (switched := [r["webgpu"] for r in ok if r.get("webgpu")]) else None,
          "bytes_total": runs[0].get("bytes_total"), "bytes_to_first_prediction": runs[0].get("bytes_to_first"),
          "files": runs[0].get("files"), "runs": runs}
      # 2 + 4: steady-state latency and logits, in one more fresh context per variant
      for v in args.variants:
        runs = var_runs[v]
        ok = [r for r in runs if "marks" in r]
        entry = res["variants"][v] = {
          "first_prediction_ms": statistics.median([r["marks"]["firstPrediction"] for r in ok]) if ok else None,
          "loaded_ms": statistics.median([r["marks"]["loaded"] for r in ok]) if ok else None,
          "bytes_total": runs[0].get("bytes_total"), "files": runs[0].get("files"), "runs": runs}
        try:
          lat = run_bench_page(browser, base, VARIANTS[v][1].format(m=model), then=latency_and_logits(inputs, args.warmup, args.calls))
          logits = np.asarray(lat.pop("logits"), np.float64)
          entry.update({"median_ms": pct(lat["times"], 50), "p90_ms": pct(lat["times"], 90), "mean_ms": float(np.mean(lat["times"])),
                        "min_ms": float(np.min(lat["times"])), "calls": len(lat["times"]), "warmup": args.warmup,
                        "backend": lat.get("backend"), "times_ms": lat["times"], "logits": logits.tolist(),
                        "max_abs_diff_vs_numpy": float(np.abs(logits - reference[model]).max()),
                        "argmax_agrees_with_numpy": int((logits.argmax(1) == reference[model].argmax(1)).sum())})
          if lat["errors"]: entry["console_errors"] = lat["errors"][:20]
        except Exception as e:
          entry["error"] = str(e)[:2000]
        print(f"  {model} {v}: first {fmt_ms(entry['first_prediction_ms'])} ms, median {fmt_ms(entry.get('median_ms'))} ms, "
              f"p90 {fmt_ms(entry.get('p90_ms'))} ms {entry.get('error', '')[:300]}", flush=True)
      ours = res["variants"].get("ours_webgpu", {}).get("logits")
      for entry in res["variants"].values():
        if ours is not None and entry.get("logits") is not None:
          diff = float(np.abs(np.asarray(entry["logits"]) - np.asarray(ours)).max())
          entry["max_abs_diff_vs_ours_webgpu"] = diff
          entry["agrees"] = diff <= AGREEMENT
    browser.close()
  server.shutdown()
  results["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
  results["seconds"] = round(time.perf_counter() - started, 1)
  report(results, args)
  out = pathlib.Path(args.out)
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(results, indent=1))
  print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} ({results['seconds']} s)")
  return 0

def report(results: dict, args) -> None:
  models = list(results["models"])
  m_ = results["machine"]
  print(f"\n## Browser benchmark: headless Chromium {m_['chromium']}, WebGPU on SwiftShader; {m_['nproc']} cores ({m_['cpu']}); "
        f"load average {' '.join(m_['loadavg_start'])} -> {' '.join(m_['loadavg_end'])}")
  print("libraries: " + ", ".join(f"{k} {v}" for k, v in results["libraries"].items()) + f"; inputs: {results['inputs']}")
  print("first = navigation start to first prediction, cold context, median of "
        f"{args.runs} (ours: the real page with a drawn digit, and the backend that answered first; libraries: a minimal "
        f"page of their own); median/p90 = one inference, {args.calls} calls after {args.warmup} warm-up; "
        f"bytes = one page load, {SETTLE_MS} ms after the page settled\n")
  head = "| | " + " | ".join(f"{m} first ms | {m} median ms | {m} p90 ms | {m} bytes" for m in models) + " |"
  print(head)
  print("|" + "---|" * (1 + 4 * len(models)))
  for v in args.variants:
    cells = []
    for m in models:
      e = results["models"][m]["variants"][v]
      first, nbytes = e["first_prediction_ms"], e["bytes_total"]
      first_cell = fmt_ms(first)
      if v.startswith("ours"):
        pg = results["models"][m]["page"]["auto" if v == "ours_webgpu" else "cpu"]
        nbytes, first_cell = pg["bytes_total"], f"{fmt_ms(pg['first_prediction_ms'])} ({first_backends(pg)})"
      cells += [first_cell, fmt_ms(e.get("median_ms")), fmt_ms(e.get("p90_ms")), fmt_bytes(nbytes)]
    print(f"| {VARIANTS[v][0]} | " + " | ".join(cells) + " |")
  print("\nours, more detail (ms from navigation start, median):")
  for m in models:
    for backend, pg in results["models"][m]["page"].items():
      print(f"  {m} page backend={backend}: canvas drawn {fmt_ms(pg['drawn_ms'])}, status ready {fmt_ms(pg['ready_ms'])}, "
            f"first prediction {fmt_ms(pg['first_prediction_ms'])} (digits {pg['digits']}, on {pg['first_prediction_backends']}), "
            f"on WebGPU from {fmt_ms(pg['webgpu_ms'])}, settled on {pg['backends']}; "
            f"bytes to first prediction {fmt_bytes(pg['bytes_to_first_prediction'])}, all {fmt_bytes(pg['bytes_total'])}")
    for v in ("ours_webgpu", "ours_cpu"):
      e = results["models"][m]["variants"].get(v)
      if e: print(f"  {m} {v} minimal page (bench/pages/ours.html): first prediction {fmt_ms(e['first_prediction_ms'])}, "
                  f"bytes {fmt_bytes(e['bytes_total'])}")
  print("\nlogit agreement on the same inputs (max abs diff; argmax agreement with numpy float64 of 32):")
  for m in models:
    for v, e in results["models"][m]["variants"].items():
      if "max_abs_diff_vs_numpy" in e:
        print(f"  {m} {VARIANTS[v][0]}: vs ours WebGPU {e.get('max_abs_diff_vs_ours_webgpu', float('nan')):.2e}"
              f"{'' if e.get('agrees', True) else ' (> %.0e!)' % AGREEMENT}, vs numpy {e['max_abs_diff_vs_numpy']:.2e}, "
              f"argmax {e['argmax_agrees_with_numpy']}/{len(e['logits'])}")
      elif "error" in e: print(f"  {m} {VARIANTS[v][0]}: ERROR {e['error'][:300]}")

if __name__ == "__main__": sys.exit(main())

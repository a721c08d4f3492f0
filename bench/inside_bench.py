#!/usr/bin/env python3
"""What the "Inside the model" panel costs while drawing, measured on the page itself (headless Chromium):
  python bench/inside_bench.py [--strokes 20] [--models mlp,cnn] [--backends webgpu,cpu]

For each backend (webgpu: WebGPU on SwiftShader; cpu: a browser without WebGPU) and model, on a fresh page: shapes are
drawn with the mouse (bench/digit_page.py's SHAPES, in turn) and, inside the page, performance.now() times the span from
the last stroke's pointerup (its event timestamp) to the moment the DOM shows the answer for the finished drawing:
  prediction  panel closed: #prediction[data-busy] back to "false" (the prediction for the latest drawing is shown)
  panel       panel open: the same, with #inside[data-seq] equal to #prediction[data-seq] (the panel shows it too)
both caught by a MutationObserver on those attributes; the target is panel <= 2x prediction. A few shapes are drawn
first, untimed. "last run" is the page's own time for the computation behind the answer shown (#inference-info:
predict() with the panel closed, explain() with it open); the rest of the span is mostly the run that was still going
when the stroke ended (the page computes one drawing at a time), then the page's own work. The parts, on a page with the
page's markup and none of its scripts, with the same classifier: predict() and explain() on one drawn input, and the
panel's rendering of explain()'s outputs (InsidePanel.show), each a median of --strokes calls.
Writes bench/results/inside_bench.json: medians, the parts, the machine's load (uptime) before and after, and for each
drawing [ms from the stroke's end to the answer, ms of the last run]."""
import argparse, json, statistics, subprocess
from harness import RESULTS, launch, new_page, serve
from digit_page import SHAPES, draw, on_canvas, wait_for_backend, wait_ready

WARM_UP = 3
# Times each finished drawing: from the last pointerup to the answer in the DOM (with the panel when it is open).
RECORDER = """() => {
  const canvas = document.querySelector("#canvas"), p = document.querySelector("#prediction"), inside = document.querySelector("#inside");
  const bench = window.bench = { up: null, done: null, ups: 0 };
  const shown = () => p.dataset.busy === "false" && (inside.hidden || inside.dataset.seq === p.dataset.seq);
  // captured before the page's own handler: on the CPU the whole prediction can be shown in the microtasks after it
  window.addEventListener("pointerup", (event) => {
    if (event.target === canvas) { Object.assign(bench, { up: event.timeStamp, done: null }); bench.ups++; }
  }, { capture: true });
  const observer = new MutationObserver(() => { if (bench.up !== null && bench.done === null && shown()) bench.done = performance.now(); });
  for (const el of [p, inside]) observer.observe(el, { attributes: true, attributeFilter: ["data-busy", "data-seq"] });
}"""

# predict(), explain() and the panel's rendering, each on its own, on a page in Classifier/ with the page's markup and no app.
PARTS = """async ([name, backend, x, calls]) => {
  // the page's markup without its scripts: the panel's modules find the elements they draw into, and no app runs
  const markup = new DOMParser().parseFromString(await (await fetch("./index.html")).text(), "text/html");
  markup.querySelectorAll("script").forEach((script) => script.remove());
  document.body.replaceWith(document.adoptNode(markup.body));
  const { loadClassifier } = await import("./js/classifier.js"), { InsidePanel } = await import("./js/ui/inside_panel.js");
  const model = await loadClassifier(name, { backend }), input = new Float32Array(x);
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
  const timed = async (work) => {
    const times = [];
    for (let i = 0; i < calls; i++) { const t = performance.now(); await work(); times.push(performance.now() - t); }
    return median(times);
  };
  await model.prepareExplain();
  const outputs = await model.explain(input), weights = await model.readWeights(name === "cnn" ? ["c1.weight", "c2.weight"] : ["l1.weight"]);
  const panel = new InsidePanel(document.querySelector("#inside"), document.querySelector("#inside-toggle"), () => {});
  let seq = 0;
  return { backend: model.backend, predict: await timed(() => model.predict(input)), explain: await timed(() => model.explain(input)),
           render: await timed(() => panel.show(name, ++seq, outputs, input, weights, null)) };
}"""

def finished_drawing_ms(page, shape) -> tuple[float, float]:
  """Clears, draws `shape`: the ms from its last pointerup to the answer shown, and the page's time for its last run."""
  page.click("#clear-button")
  page.wait_for_selector('#prediction[data-busy="false"]')
  ups = page.evaluate("bench.ups")
  draw(page, on_canvas(page, shape))
  page.wait_for_function("(ups) => bench.ups === ups && bench.done !== null", arg=ups + len(shape), timeout=60_000)
  return page.evaluate("bench.done - bench.up"), float(page.inner_text("#inference-info").split(" ms")[0])

def timed_shapes(page, strokes:int) -> list[tuple[float, float]]:
  shapes = list(SHAPES.values())
  for shape in shapes[:WARM_UP]: finished_drawing_ms(page, shape)
  return [finished_drawing_ms(page, shapes[i % len(shapes)]) for i in range(strokes)]

def on_page(browser, url:str, model:str, backend:str, strokes:int) -> dict:
  context, page = new_page(browser)
  page.goto(url + f"Classifier/?model={model}&backend={backend}")  # in auto mode the page might choose the other by speed
  wait_ready(page)
  wait_for_backend(page, backend)
  page.evaluate(RECORDER)
  closed = timed_shapes(page, strokes)
  page.click("#inside-toggle")
  page.wait_for_selector('#inside[data-state="shown"]', timeout=60_000)  # its graph fetched and compiled
  opened = timed_shapes(page, strokes)
  context.close()
  return {"prediction": closed, "panel": opened}

def parts(browser, url:str, model:str, backend:str, calls:int) -> dict:
  context, page = new_page(browser)
  page.route("**/Classifier/blank.html", lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>parts</title>"))
  page.goto(url + "Classifier/blank.html")
  x = [-1.0] * 784
  for i in range(6, 22): x[i * 28 + 14] = x[i * 28 + 13] = 1.0  # a 1
  result = page.evaluate(PARTS, [model, backend, x, calls])
  context.close()
  assert result.pop("backend") == backend
  return result

def load() -> str:
  return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--strokes", type=int, default=20, help="timed drawings per model, backend and panel state")
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--backends", default="webgpu,cpu")
  args = ap.parse_args()
  from playwright.sync_api import sync_playwright
  server, url = serve()
  results = {"load_before": load(), "strokes": args.strokes, "runs": []}
  with sync_playwright() as p:
    for backend in args.backends.split(","):
      browser = launch(p, webgpu=backend == "webgpu")
      for model in args.models.split(","):
        times = on_page(browser, url, model, backend, args.strokes)
        run = {"backend": backend, "model": model, **{k: statistics.median(t for t, _ in v) for k, v in times.items()},
               **{f"{k}_last_run": statistics.median(r for _, r in v) for k, v in times.items()},
               "parts_ms": parts(browser, url, model, backend, args.strokes), "times_ms": times}
        run["ratio"] = run["panel"] / run["prediction"]
        results["runs"].append(run)
        print(f"{backend:6} {model}: prediction {run['prediction']:6.1f} ms (last run {run['prediction_last_run']:.1f}), panel "
              f"{run['panel']:6.1f} ms (last run {run['panel_last_run']:.1f}), {run['ratio']:.2f}x ({'meets' if run['ratio'] <= 2 else 'misses'} "
              "<= 2x); parts: " + ", ".join(f"{k} {v:.2f} ms" for k, v in run["parts_ms"].items()), flush=True)
      browser.close()
  server.shutdown()
  results["load_after"] = load()
  out = RESULTS / "inside_bench.json"
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(results, indent=1))
  print(f"{results['load_before']}\n{results['load_after']}\nwrote {out}")

if __name__ == "__main__":
  main()

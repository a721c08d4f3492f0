#!/usr/bin/env python3
"""A phone's visit to the page, as issue 23 measures it: Chromium at 390x844 with touch, slowed as Lighthouse's mobile
profile does (Slow 4G: 1.6 Mbps down, 750 kbps up, 150 ms round trip; the CPU 4x slower), from navigation to
#status[data-state=ready], the bytes the server sent until then, and a digit drawn right after and read.

  .venv/bin/python bench/first_visit.py                 # first visit, MLP (the default) and CNN (?model=cnn)
  .venv/bin/python bench/first_visit.py --later         # and a second visit in the same profile, then one offline
  .venv/bin/python bench/first_visit.py --files         # and every file served before ready

--later runs with or without a service worker: without one, the offline visit says that the page did not open.
Needs Playwright (requirements-test.txt) and /usr/bin/chromium; it never installs a browser."""
import argparse, json, pathlib, platform, os, sys, tempfile

READY_TIMEOUT_MS = 120_000
# Records, from the page's first moment: when #status first says ready (and says so to the server, in its order of
# responses), every layout shift, and when each prediction settles.
OBSERVE = """(mark) => {
  const seen = window.__firstVisit = { ready: null, error: null, shifts: [], settled: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) seen.shifts.push({ at: e.startTime, value: e.value });
  }).observe({ type: "layout-shift", buffered: true });
  new MutationObserver(() => {
    const status = document.querySelector("#status"), shown = document.querySelector("#prediction");
    if (status && seen.ready === null && status.dataset.state === "ready") {
      seen.ready = performance.now();
      fetch(mark, { cache: "no-store" }).catch(() => {});
    }
    if (status && status.dataset.state === "error") seen.error = document.querySelector("#error")?.textContent ?? "error";
    if (shown && shown.dataset.busy === "false" && Number(shown.dataset.seq) > seen.settled.length)
      seen.settled.push({ at: performance.now(), digit: shown.dataset.digit });
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state", "data-busy", "data-seq"] });
}"""
SEVEN = [[(0.28, 0.2), (0.5, 0.2), (0.72, 0.2), (0.62, 0.42), (0.53, 0.64), (0.45, 0.85)]]

def draw_seven(page) -> float:
  """Draws a 7 with a finger (touch events); returns the page's clock when the finger lifted."""
  box = page.locator("#canvas").bounding_box()
  cdp = page.context.new_cdp_session(page)
  for stroke in SEVEN:
    for i, (x, y) in enumerate(stroke):
      point = {"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}
      cdp.send("Input.dispatchTouchEvent", {"type": "touchStart" if i == 0 else "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
  cdp.detach()
  return page.evaluate("performance.now()")

def visit(context, server, url, throttled:bool, teach:bool=False) -> dict:
  """One visit of `url` in `context`: ready time, bytes served until ready, layout shifts, a digit read after."""
  from harness import MARK_PATH, throttle
  page = context.pages[0] if context.pages else context.new_page()
  page.add_init_script(f"({OBSERVE})({json.dumps(MARK_PATH)})")
  if throttled: throttle(page)
  if server: server.take_sent()
  try: page.goto(url, wait_until="commit")
  except Exception as error: return {"opened": False, "error": str(error).splitlines()[0]}
  page.wait_for_function("window.__firstVisit && (window.__firstVisit.ready !== null || window.__firstVisit.error !== null)",
                         timeout=READY_TIMEOUT_MS, polling=100)
  seen = page.evaluate("window.__firstVisit")
  if seen["ready"] is None: return {"opened": True, "error": seen["error"]}
  result = {"opened": True, "ready_ms": seen["ready"]}
  if server:
    page.wait_for_timeout(1000)  # the mark's request reaches the server through the slowed network
    before = server.take_until_mark()
    result |= {"served_before_ready": sum(size for _, size in before), "files_before_ready": before}
  lifted = draw_seven(page)
  page.wait_for_function("window.__firstVisit.settled.length > 0 && document.querySelector('#prediction').dataset.busy === 'false'",
                         timeout=READY_TIMEOUT_MS, polling=100)
  seen = page.evaluate("window.__firstVisit")
  result |= {"digit": seen["settled"][-1]["digit"], "read_after_lift_ms": max(0.0, seen["settled"][-1]["at"] - lifted),
             "layout_shift": sum(s["value"] for s in seen["shifts"]), "shifts": seen["shifts"]}
  if teach:
    page.click('button[data-teach="7"]')
    page.wait_for_selector('#personal[data-examples="1"]', timeout=READY_TIMEOUT_MS)
    result["taught"] = True
  return result

def launch(playwright, profile:pathlib.Path, args):
  from harness import PHONE, launch_persistent
  return launch_persistent(playwright, profile, **PHONE)

def show(label:str, r:dict, files:bool) -> None:
  if not r.get("ready_ms"):
    print(f"{label:28s} did not become ready: {r.get('error')}")
    return
  served = f"{r['served_before_ready'] / 1024:8.0f} KiB served until ready" if "served_before_ready" in r else " " * 32
  taught = ", taught a 7" if r.get("taught") else ""
  print(f"{label:28s} ready {r['ready_ms'] / 1000:6.2f} s  {served}  read '{r['digit']}' {r['read_after_lift_ms']:5.0f} ms "
        f"after the finger lifted{taught}  layout shift {r['layout_shift']:.3f}")
  if files:
    for path, size in r.get("files_before_ready", []): print(f"    {size / 1024:8.1f} KiB  {path}")

def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog=__doc__.split("\n\n", 1)[1])
  parser.add_argument("--model", choices=["mlp", "cnn"], action="append", help="the models to visit (default: both)")
  parser.add_argument("--later", action="store_true", help="also a second visit in the same profile, and one with the server stopped")
  parser.add_argument("--no-throttle", action="store_true", help="the machine's own network and CPU speed")
  parser.add_argument("--files", action="store_true", help="list every file served before ready")
  parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
  parser.add_argument("--root", type=pathlib.Path, help="serve this checkout of the repository instead (to compare versions)")
  args = parser.parse_args()
  from playwright.sync_api import sync_playwright
  from harness import ROOT, serve
  throttled, results = not args.no_throttle, {}
  print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"{'Slow 4G + CPU 4x' if throttled else 'unthrottled'}, 390x844 touch")
  with sync_playwright() as p:
    for model in args.model or ["mlp", "cnn"]:
      server, base = serve(args.root or ROOT)
      url = base + "Classifier/" + ("" if model == "mlp" else f"?model={model}")
      with tempfile.TemporaryDirectory(prefix="first-visit-") as profile:
        context = launch(p, pathlib.Path(profile), args)
        results[f"{model} first"] = visit(context, server, url, throttled)
        show(f"{model.upper()} first visit", results[f"{model} first"], args.files)
        context.close()
        if args.later:
          context = launch(p, pathlib.Path(profile), args)
          results[f"{model} later"] = visit(context, server, url, throttled)
          show(f"{model.upper()} later visit", results[f"{model} later"], args.files)
          context.close()
          server.shutdown()
          server.server_close()
          context = launch(p, pathlib.Path(profile), args)
          results[f"{model} offline"] = visit(context, None, url, throttled=False, teach=True)
          show(f"{model.upper()} offline visit", results[f"{model} offline"], False)
          context.close()
        else:
          server.shutdown()
          server.server_close()
  if args.json: args.json.write_text(json.dumps(results, indent=1))
  return 0

if __name__ == "__main__": sys.exit(main())

#!/usr/bin/env python3
"""Screenshots of the page with the "Inside the model" panel open after "Try a real digit", for looking at the layout:
  python bench/inside_screenshots.py [--out bench/results]
  python bench/inside_screenshots.py --readme     # the README's picture: bench/page.png, the default model at 1280x800

Desktop 1280x800 and 1600x1000, and a phone (390x844, touch, device pixel ratio 2), each with both models, in headless
Chromium with WebGPU on SwiftShader; whole pages, as inside-<model>-<size>.png. Each also says whether the page is
wider than its viewport (a horizontal scroll)."""
import argparse, pathlib
from harness import BENCH, RESULTS, launch, new_page, serve
from digit_page import prediction, wait_for_backend, wait_for_prediction, wait_ready

SIZES = {"1280x800": {"viewport": {"width": 1280, "height": 800}},
         "1600x1000": {"viewport": {"width": 1600, "height": 1000}},
         "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}}
PANEL_SHOWN = """() => {
  const p = document.querySelector("#prediction").dataset, inside = document.querySelector("#inside").dataset;
  return p.busy === "false" && inside.state === "shown" && inside.seq === p.seq;
}"""

def screenshot(browser, url:str, model:str, options:dict, path:pathlib.Path, full_page:bool=True) -> str:
  context, page = new_page(browser, **options)
  # WebGPU asked for: in auto mode SwiftShader on a busy machine may lose to the CPU, and the picture shows WebGPU
  page.goto(url + "Classifier/?backend=webgpu" + (f"&model={model}" if model else ""))
  wait_ready(page)
  wait_for_backend(page, "webgpu")
  page.click("#inside-toggle")
  seq = int(prediction(page)["seq"])
  page.click("#try-digit")
  page.wait_for_function("() => document.querySelector('#try-info').textContent.startsWith('A real')", timeout=30_000)
  wait_for_prediction(page, model or prediction(page)["model"], seq)
  page.wait_for_function(PANEL_SHOWN, timeout=30_000)
  page.mouse.move(0, 0)  # no hover left on a button
  page.screenshot(path=str(path), full_page=full_page)
  wide = page.evaluate("document.documentElement.scrollWidth > innerWidth")
  context.close()
  return f"{path}: {'scrolls sideways' if wide else 'fits its width'}"

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--out", type=pathlib.Path, default=RESULTS)
  ap.add_argument("--readme", action="store_true", help="only the README's picture, bench/page.png")
  args = ap.parse_args()
  args.out.mkdir(parents=True, exist_ok=True)
  from playwright.sync_api import sync_playwright
  server, url = serve()
  with sync_playwright() as p:
    browser = launch(p)
    if args.readme: print(screenshot(browser, url, "", SIZES["1280x800"], BENCH / "page.png", full_page=False), flush=True)
    for size, options in ({} if args.readme else SIZES).items():
      for model in ("cnn", "mlp"): print(screenshot(browser, url, model, options, args.out / f"inside-{model}-{size}.png"), flush=True)
    browser.close()
  server.shutdown()

if __name__ == "__main__":
  main()

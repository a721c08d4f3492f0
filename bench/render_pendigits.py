#!/usr/bin/env python3
"""Pen digits rendered into 28x28 images the way the page's Classifier/js/ui/preprocess.js does, saved for fast evaluation.

Each digit of data/pendigits/ is placed on a virtual 280x280 canvas the way a person might draw it there (pendigits.place:
30%-80% of the canvas tall, a random position, a 12-16 px pen), then preprocessed in batches by the real preprocess.js in
headless Chromium, or (--renderer numpy) by pendigits.render, its numpy twin, without a browser.
  python bench/render_pendigits.py [--seed 0] [--renderer browser|numpy] [--line-width-fraction F] [--supersample S] [--out PATH]
writes bench/results/pendigits_<seed>.npz (pendigits_numpy_<seed>.npz with --renderer numpy): images uint8 (N,28,28)
0..255, labels, writers."""
import argparse, base64, io, json, pathlib, sys, time
import numpy as np

from harness import ROOT, launch, serve
BATCH = 500

# runs in the page: one batch of drawings as a JSON string (Playwright's own serializing of nested lists is ~10x slower)
# -> their 28x28 images as uint8, base64 (a list of numbers back would be ~4x bigger)
PREPROCESS_BATCH = """([json, options]) => {
  const drawings = JSON.parse(json), out = new Uint8Array(drawings.length * 784);
  drawings.forEach((strokes, i) => {
    const x = window.preprocess.toModelInput(strokes, options);
    if (x) out.set(Uint8Array.from(x, v => Math.round((v + 1) * 127.5)), i * 784);
  });
  let binary = "";
  for (let i = 0; i < out.length; i += 8192) binary += String.fromCharCode(...out.subarray(i, i + 8192));
  return btoa(binary);
}"""

def preprocess_in_browser(drawings:list, options:dict) -> np.ndarray:
  from playwright.sync_api import sync_playwright
  server, url = serve()
  try:
    with sync_playwright() as p:
      browser = launch(p, webgpu=False, extra_flags=("--disable-gpu",))
      page = browser.new_page()
      page.goto(url + "tests/pages/preprocess.html")
      page.wait_for_function("window.preprocess")
      chunks = [base64.b64decode(page.evaluate(PREPROCESS_BATCH, [json.dumps(drawings[i:i+BATCH]), options])) for i in range(0, len(drawings), BATCH)]
      browser.close()
  finally: server.shutdown()
  return np.frombuffer(b"".join(chunks), np.uint8).reshape(-1, 28, 28)

if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--renderer", choices=("browser", "numpy"), default="browser")
  parser.add_argument("--line-width-fraction", type=float, help="overrides preprocess.js's LINE_WIDTH_FRACTION (browser only)")
  parser.add_argument("--supersample", type=int, help="overrides preprocess.js's SUPERSAMPLE (browser only)")
  parser.add_argument("--out", type=pathlib.Path, help="default: bench/results/pendigits_<seed>.npz, pendigits_numpy_<seed>.npz")
  args = parser.parse_args()
  options = {k: v for k, v in (("lineWidthFraction", args.line_width_fraction), ("supersample", args.supersample)) if v is not None}
  if options and args.renderer == "numpy": parser.error("--line-width-fraction and --supersample need --renderer browser")
  sys.path.insert(0, str(ROOT))
  from digits.data.pendigits import load_pendigits, place, render
  from digits.files import write_bytes_atomic
  strokes, labels, writers = load_pendigits()
  rng = np.random.default_rng(args.seed)
  drawings = [place(s, rng) for s in strokes]
  start = time.perf_counter()
  images = render(drawings) if args.renderer == "numpy" else preprocess_in_browser(drawings, options)
  elapsed = time.perf_counter() - start
  out = args.out or ROOT / "bench" / "results" / f"pendigits_{'numpy_' if args.renderer == 'numpy' else ''}{args.seed}.npz"
  buffer = io.BytesIO()
  np.savez_compressed(buffer, images=images, labels=labels, writers=writers.astype(np.int32))
  write_bytes_atomic(out, buffer.getvalue())
  blank = int((images.max((1, 2)) == 0).sum())
  print(f"{len(images)} digits in {elapsed:.1f} s ({args.renderer}, {blank} blank) -> {out}")

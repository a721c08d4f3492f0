#!/usr/bin/env python3
"""Pen digits through the page's real Classifier/js/preprocess.js in headless Chromium, saved for fast evaluation in Python.

Each digit is placed on a virtual 280x280 canvas the way a person might draw it there (uniform scale to 30%-80% of the
canvas height, random position, a 12-16 px pen), then preprocessed in batches inside the browser.
  python bench/render_pendigits.py [--seed 0] [--line-width-fraction F] [--supersample S] [--out PATH]
writes bench/results/pendigits_<seed>.npz: images uint8 (N,28,28) 0..255, labels, writers."""
import argparse, base64, json, pathlib, sys, time
import numpy as np
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import serve, CHROMIUM, QUIET_FLAGS
PENDIGITS = ROOT.parent / "shared" / "data" / "pendigits" / "pendigits-dev-strokes.json"
CANVAS, HEIGHT, PEN_WIDTH, BATCH = 280, (0.3, 0.8), (12, 16), 500

def place(strokes:list, rng:np.random.Generator) -> list[dict]:
  """Tablet strokes (bbox from 0,0) as pen strokes in CSS px of the canvas, scaled uniformly and put somewhere inside it."""
  arrays = [np.array(s, np.float64) for s in strokes]
  w, h = np.concatenate(arrays).max(0)
  pen = rng.uniform(*PEN_WIDTH)
  scale = min(rng.uniform(*HEIGHT) * CANVAS / max(h, 1), (CANVAS - pen) / max(w, 1))  # a wide digit still fits
  x, y = (rng.uniform(pen / 2, max(pen / 2, CANVAS - pen / 2 - extent * scale)) for extent in (w, h))
  return [{"tool": "pen", "width": round(pen, 2), "points": (a * scale + (x, y)).round(2).tolist()} for a in arrays]

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
  server, url = serve(ROOT)
  try:
    with sync_playwright() as p:
      browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS + ["--disable-gpu"])
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
  parser.add_argument("--line-width-fraction", type=float, help="overrides preprocess.js's LINE_WIDTH_FRACTION")
  parser.add_argument("--supersample", type=int, help="overrides preprocess.js's SUPERSAMPLE")
  parser.add_argument("--out", type=pathlib.Path, help="default: bench/results/pendigits_<seed>.npz")
  args = parser.parse_args()
  digits = json.loads(PENDIGITS.read_text())
  rng = np.random.default_rng(args.seed)
  drawings = [place(d["strokes"], rng) for d in digits]
  options = {k: v for k, v in (("lineWidthFraction", args.line_width_fraction), ("supersample", args.supersample)) if v is not None}
  start = time.perf_counter()
  images = preprocess_in_browser(drawings, options)
  out = args.out or ROOT / "bench" / "results" / f"pendigits_{args.seed}.npz"
  out.parent.mkdir(parents=True, exist_ok=True)
  np.savez_compressed(out, images=images, labels=np.array([d["label"] for d in digits], np.uint8),
                      writers=np.array([d["writer"] for d in digits], np.int32))
  blank = int((images.max((1, 2)) == 0).sum())
  print(f"{len(images)} digits in {time.perf_counter() - start:.1f} s ({blank} blank) -> {out}")

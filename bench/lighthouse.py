#!/usr/bin/env python3
"""Lighthouse's view of the page: its four category scores and Cumulative Layout Shift, with its default mobile profile
(a phone's screen, Slow 4G and the CPU 4x slower, simulated), against the page served locally as ./serve.sh does.

  npm ci --prefix bench             # once: lighthouse 12.2.3 (bench/package.json; later versions need Node 22)
  .venv/bin/python bench/lighthouse.py
  .venv/bin/python bench/lighthouse.py --query model=cnn --json /tmp/lighthouse.json

Lighthouse cannot see when the model is ready (bench/first_visit.py measures that); it runs Debian's Chromium
(CHROME_PATH=/usr/bin/chromium), headless."""
import argparse, json, os, pathlib, subprocess, sys, tempfile

BENCH = pathlib.Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
AUDITS = {"cumulative-layout-shift": "Cumulative Layout Shift", "largest-contentful-paint": "Largest Contentful Paint",
          "interactive": "Time to Interactive", "total-byte-weight": "Total byte weight"}

def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog=__doc__.split("\n\n", 1)[1])
  parser.add_argument("--query", default="", help="the page's query string, e.g. model=cnn")
  parser.add_argument("--json", type=pathlib.Path, help="also keep Lighthouse's full report here")
  parser.add_argument("--no-webgpu", action="store_true", help="Chromium without WebGPU (SwiftShader's is on by default, as a phone "
                      "with WebGPU has one; without it the page says so in a notice, which becomes the largest paint)")
  parser.add_argument("--root", type=pathlib.Path, help="serve this checkout of the repository instead (to compare versions)")
  args = parser.parse_args()
  from harness import CHROMIUM, ROOT, WEBGPU_FLAGS, serve
  if not LIGHTHOUSE.exists(): sys.exit(f"error: {LIGHTHOUSE} is missing: run `npm ci --prefix bench` first")
  if not os.path.exists(CHROMIUM): sys.exit(f"error: {CHROMIUM} is missing: ./setup.sh installs it")
  server, base = serve(args.root or ROOT)
  flags = " ".join(["--headless=new", "--no-sandbox", *([] if args.no_webgpu else WEBGPU_FLAGS)])
  url = base + "Classifier/" + (f"?{args.query}" if args.query else "")
  try:
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as out:
      report = pathlib.Path(out) / "report.json"
      run = subprocess.run([str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}", "--quiet",
                            f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={flags}"],
                           env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True)
      if run.returncode != 0 or not report.exists(): sys.exit(f"error: lighthouse failed ({run.returncode}):\n{run.stderr[-2000:]}")
      result = json.loads(report.read_text())
      if args.json: args.json.write_text(report.read_text())
  finally: server.shutdown()
  print(f"Lighthouse {result['lighthouseVersion']}, {result['configSettings']['formFactor']} profile, {url}, Chromium {flags}")
  for name in CATEGORIES:
    score = result["categories"][name]["score"]
    print(f"  {result['categories'][name]['title']:16s} {'—' if score is None else round(score * 100)}")
  for key, title in AUDITS.items():
    print(f"  {title:28s} {result['audits'][key].get('displayValue', result['audits'][key].get('numericValue'))}")
  return 0

if __name__ == "__main__": sys.exit(main())

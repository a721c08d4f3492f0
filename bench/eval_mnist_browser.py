#!/usr/bin/env python3
"""The shipped models on all 10,000 MNIST test digits, run by the page's own loader in headless Chromium on WebGPU.
  python bench/eval_mnist_browser.py [--backend webgpu|cpu] [--limit N]"""
import argparse, base64, sys, time
import numpy as np
from harness import ROOT, launch, serve

# one batch of 28x28 uint8 images (base64) -> predicted digits, one inference at a time as the page makes them
CLASSIFY = """async ([name, backend, images]) => {
  const { loadClassifier } = await import("./js/classifier.js");
  window.models ??= {};
  const model = window.models[name + backend] ??= await loadClassifier(name, { backend });
  const bytes = Uint8Array.from(atob(images), (c) => c.charCodeAt(0)), digits = [];
  for (let i = 0; i < bytes.length; i += 784) {
    const logits = await model.predict(Float32Array.from(bytes.subarray(i, i + 784), (v) => v / 127.5 - 1));
    digits.push(logits.indexOf(Math.max(...logits)));
  }
  return [model.backend, digits];
}"""

def main():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--backend", default="webgpu", choices=["webgpu", "cpu"])
  parser.add_argument("--limit", type=int, default=10000)
  args = parser.parse_args()
  from playwright.sync_api import sync_playwright
  sys.path.insert(0, str(ROOT))
  from digits.data.mnist import load_mnist
  _, _, X, Y = load_mnist()
  X, Y = X[:args.limit], Y[:args.limit]
  server, url = serve()
  with sync_playwright() as p:
    browser = launch(p)
    page = browser.new_page()
    page.goto(url + "Classifier/index.html")
    for name in ("mlp", "cnn"):
      start, predicted = time.perf_counter(), []
      for i in range(0, len(X), 1000):
        backend, digits = page.evaluate(CLASSIFY, [name, args.backend, base64.b64encode(X[i:i + 1000].tobytes()).decode()])
        predicted += digits
      print(f"{name} on {backend}: {100 * (np.array(predicted) == Y).mean():.2f}% of {len(Y)} MNIST test digits "
            f"({time.perf_counter() - start:.0f} s)")
    browser.close()
  server.shutdown()

if __name__ == "__main__": main()

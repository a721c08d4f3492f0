#!/usr/bin/env python3
"""Where our WebGPU time goes, in headless Chromium on SwiftShader: .venv/bin/python bench/profile_webgpu.py [--runs 5]

For each model, in fresh contexts: the load split into requestAdapter, requestDevice, module import, weights fetch,
shader modules, pipelines (parallel createComputePipelineAsync as the loader does, one at a time, and synchronous
createComputePipeline), weight upload, first and second inference; then the steady-state inference split into the
mapAsync round trip with no kernels, the kernels alone (onSubmittedWorkDone), and each kernel alone.
Medians over --runs cold contexts; writes bench/results/profile_webgpu.json."""
import argparse, json, statistics
from harness import RESULTS, launch, new_page, serve

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--runs", type=int, default=5, help="cold contexts per model and pipeline mode (median reported)")
  ap.add_argument("--calls", type=int, default=100, help="steady-state inferences (median reported)")
  args = ap.parse_args()
  from playwright.sync_api import sync_playwright
  server, base = serve()
  results = {}
  with sync_playwright() as p:
    browser = launch(p)
    for model in ("mlp", "cnn"):
      for mode in ("parallel", "serial", "sync"):
        runs = []
        for rep in range(args.runs):
          context, page = new_page(browser)
          page.goto(base + "bench/pages/profile.html")
          page.wait_for_function("!!window.profileLoad")
          r = page.evaluate("([m, mode]) => profileLoad(m, mode)", [model, mode])
          if mode == "parallel" and rep == args.runs - 1: results[f"{model}_steady"] = page.evaluate("(n) => profileSteady(n)", args.calls)
          runs.append(r)
          context.close()
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        results[f"{model}_load_{mode}"] = med
        print(f"{model} load ({mode} pipelines), median of {args.runs} cold contexts, ms: " +
              ", ".join(f"{k} {v:.1f}" for k, v in med.items()), flush=True)
      print(f"{model} steady state, median of {args.calls}, ms: " +
            ", ".join(f"{k} {v:.2f}" for k, v in results[f"{model}_steady"].items()), flush=True)
    browser.close()
  server.shutdown()
  RESULTS.mkdir(parents=True, exist_ok=True)
  (RESULTS / "profile_webgpu.json").write_text(json.dumps(results, indent=1))

if __name__ == "__main__": main()

#!/usr/bin/env python3
"""Median time per training step of the training loop's real jitted step (digits/training/loop.py make_train_step), per model and configuration.

  .venv/bin/python bench/train_speed.py            # the default grid, a table at the end
  .venv/bin/python bench/train_speed.py --models cnn --batches 256 --beams 0,2    # a part of it
  .venv/bin/python bench/train_speed.py --torch                                   # and PyTorch's step, same shapes

Every configuration runs in its own process (BEAM and CACHEDB are read when tinygrad is imported, and each gets a fresh
JIT): the model, Adam and the on-device training set are built as loop.train() builds them, then the step from
loop.make_train_step runs WARMUP times (compilation, JIT capture, any BEAM search: reported as "first steps"), then
CHUNKS chunks of steps in each of two modes, interleaved: `.item()` after every step (what train() does) and no sync
until the end of the chunk. A chunk's time / its steps is one sample; the table gives the median of the samples.
"No augmentation" replaces the loop's augment with the identity for that process (the step is otherwise the same).

BEAM searches are cached in tinygrad's disk cache (CACHEDB, default ~/.cache/tinygrad/cache.db; --cachedb to choose);
"kernels searched" counts the beam_search rows a process added, so 0 means the search was already cached.
"""
import argparse, importlib.metadata, json, os, pathlib, sqlite3, statistics, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TORCH_REF = pathlib.Path(__file__).resolve().parent / "torch_reference.py"

def child(cfg:dict) -> dict:
  """One configuration, in this process: returns the timings."""
  sys.path.insert(0, str(ROOT))
  from tinygrad import Tensor, Device, nn
  from tinygrad.helpers import BEAM, CACHEDB
  from digits.training import loop, settings
  from digits.models import MODELS
  from digits.data.mnist import load_mnist
  import mnist_mlp, mnist_convnet
  defaults = (mnist_mlp if cfg["model"] == "mlp" else mnist_convnet).DEFAULTS
  s = settings.Settings(**{**{k.lower(): v for k, v in defaults.items()}, "batch": cfg["batch"]})
  if not cfg["aug"]: loop.augment = lambda x, s: x
  Tensor.manual_seed(s.seed)
  model = MODELS[cfg["model"]]()
  X, Y, _, _ = load_mnist()
  X_train, Y_train = Tensor(X).float().div(255).realize(), Tensor(Y.astype("int32")).realize()   # as loop.train()
  opt = nn.optim.Adam(nn.state.get_parameters(model), lr=s.lr)
  step = loop.make_train_step(model, opt, X_train, Y_train, s)

  st = time.perf_counter()
  for _ in range(cfg["warmup"]): loss = step().item()
  first = time.perf_counter() - st
  st = time.perf_counter(); step().item(); one = time.perf_counter() - st
  n = cfg["steps"] or max(3, min(30, round(cfg["chunk_s"] / one)))   # steps per chunk, about chunk_s seconds
  samples = {"sync": [], "nosync": []}
  for c in range(cfg["chunks"]):
    for mode in (("sync", "nosync") if c % 2 == 0 else ("nosync", "sync")):
      st = time.perf_counter()
      if mode == "sync":
        for _ in range(n): loss = step().item()
      else:
        for _ in range(n): out = step()
        loss = out.item()
      samples[mode].append((time.perf_counter() - st) / n)
  assert loss == loss, "the loss is NaN"
  return {**cfg, "beam": BEAM.value, "cachedb": CACHEDB, "device": Device.DEFAULT, "first_steps_s": first, "steps_per_chunk": n,
          "default_steps": defaults["STEPS"],
          "sync_ms": 1000 * statistics.median(samples["sync"]), "nosync_ms": 1000 * statistics.median(samples["nosync"]),
          "samples_ms": {k: [round(1000 * v, 2) for v in vs] for k, vs in samples.items()}, "last_loss": loss}

def beam_rows(db:str) -> int:
  if not os.path.exists(db): return 0
  with sqlite3.connect(db, timeout=60) as c:
    tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'beam_search%'")]
    return sum(c.execute(f"SELECT count(*) FROM '{t}'").fetchone()[0] for t in tables)

def machine() -> str:
  cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
  return (f"{os.cpu_count()} logical CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, Python {sys.version.split()[0]}, "
          f"tinygrad {importlib.metadata.version('tinygrad')}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

def run_torch(models, batches, augs, args) -> dict:
  cmd = [sys.executable, str(TORCH_REF), "--json", "--models", ",".join(models), "--batches", ",".join(map(str, batches)),
         "--aug", ",".join(str(int(a)) for a in augs), "--chunks", str(args.chunks), "--threads", str(args.torch_threads)]
  r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
  if r.returncode != 0:
    print(f"PyTorch reference failed (is torch installed? .venv/bin/pip install -r bench/requirements-torch.txt):\n{r.stderr[-2000:]}",
          file=sys.stderr)
    return {}
  rows = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
  return {(x["model"], x["batch"], x["aug"]): x for x in rows}

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--batches", default="128,256")
  ap.add_argument("--beams", default="0,2", help="BEAM values to run (0 = tinygrad's hand-coded kernel optimizations; training uses 2 on a CPU)")
  ap.add_argument("--no-aug-batches", default="256", help="batches also run without augmentation ('' for none)")
  ap.add_argument("--warmup", type=int, default=5, help="steps excluded from the timings (compile, JIT capture, BEAM)")
  ap.add_argument("--chunks", type=int, default=5, help="timed chunks per mode")
  ap.add_argument("--steps", type=int, default=0, help="steps per chunk (0: about --chunk-s seconds' worth)")
  ap.add_argument("--chunk-s", type=float, default=1.5)
  ap.add_argument("--cachedb", default="", help="tinygrad's disk cache (BEAM results, compiled kernels); default: tinygrad's")
  ap.add_argument("--torch", action="store_true", help="also run bench/torch_reference.py for the same models and batches "
                  "(needs PyTorch: .venv/bin/pip install -r bench/requirements-torch.txt)")
  ap.add_argument("--torch-threads", type=int, default=0, help="its threads (0: one per core; tinygrad's CPU backend uses one)")
  ap.add_argument("--json", default="", help="also write every result to this file")
  ap.add_argument("--child", default="", help=argparse.SUPPRESS)
  args = ap.parse_args()
  if args.child:
    print("RESULT " + json.dumps(child(json.loads(args.child))), flush=True)
    return

  models, batches, beams = args.models.split(","), [int(b) for b in args.batches.split(",")], [int(b) for b in args.beams.split(",")]
  no_aug = [int(b) for b in args.no_aug_batches.split(",") if b]
  env = {**os.environ, **({"CACHEDB": os.path.abspath(args.cachedb)} if args.cachedb else {})}
  env.pop("BEAM", None)
  db = env.get("CACHEDB") or os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tinygrad", "cache.db")
  print(f"machine: {machine()}\ncache: {db}", flush=True)
  configs = [(m, b, beam, aug) for m in models for b in batches for aug in (True, False) if aug or b in no_aug for beam in beams]
  results = []
  for m, b, beam, aug in configs:
    cfg = {"model": m, "batch": b, "aug": aug, "warmup": args.warmup, "chunks": args.chunks, "steps": args.steps, "chunk_s": args.chunk_s}
    before = beam_rows(db)
    r = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], cwd=ROOT, env={**env, "BEAM": str(beam)},
                       capture_output=True, text=True)
    line = next((l for l in r.stdout.splitlines() if l.startswith("RESULT ")), None)
    if r.returncode != 0 or line is None:
      print(f"{m} batch {b} BEAM={beam} aug={aug}: failed\n{r.stderr[-3000:]}", file=sys.stderr)
      continue
    res = {**json.loads(line[7:]), "kernels_searched": beam_rows(db) - before}
    results.append(res)
    print(f"{m} batch {b} BEAM={beam} aug={int(aug)}: {res['sync_ms']:.1f} ms/step with .item(), {res['nosync_ms']:.1f} without; "
          f"first {args.warmup} steps {res['first_steps_s']:.1f} s, {res['kernels_searched']} kernels searched", flush=True)

  ref = run_torch(models, batches, sorted({r["aug"] for r in results}, reverse=True), args) if args.torch else {}
  print(f"\nmachine: {machine()}\n")
  print("| model | batch | augmentation | BEAM | ms/step, `.item()` each step | ms/step, no sync | sync cost | default STEPS | first "
        f"{args.warmup} steps (s) | kernels searched |" + (" PyTorch ms/step | tinygrad / PyTorch |" if ref else ""))
  print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if ref else ""))
  for r in results:
    t = ref.get((r["model"], r["batch"], r["aug"]))
    print(f"| {r['model']} | {r['batch']} | {'yes' if r['aug'] else 'no'} | {r['beam']} | {r['sync_ms']:.1f} | {r['nosync_ms']:.1f} | "
          f"{100 * (r['sync_ms'] / r['nosync_ms'] - 1):+.0f}% | {r['default_steps']} in {r['sync_ms'] * r['default_steps'] / 60000:.1f} min | "
          f"{r['first_steps_s']:.1f} | "
          f"{r['kernels_searched']} |" + ((f" {t['ms']:.1f} | {r['sync_ms'] / t['ms']:.1f}x |" if t else " - | - |") if ref else ""))
  searched = [r for r in results if r["beam"] and r["kernels_searched"]]
  if searched:
    print("\nOne-time BEAM search (first steps with an uncached search minus the same configuration's first steps at BEAM=0):")
    for r in searched:
      base = next((x for x in results if x["beam"] == 0 and (x["model"], x["batch"], x["aug"]) == (r["model"], r["batch"], r["aug"])), None)
      print(f"- {r['model']} batch {r['batch']} aug={int(r['aug'])} BEAM={r['beam']}: {r['kernels_searched']} kernels, "
            f"{r['first_steps_s'] - (base['first_steps_s'] if base else 0):.0f} s" + ("" if base else " (no BEAM=0 run to subtract)"))
  if args.json: pathlib.Path(args.json).write_text(json.dumps({"machine": machine(), "tinygrad": results, "torch": list(ref.values())}, indent=1))

if __name__ == "__main__": main()

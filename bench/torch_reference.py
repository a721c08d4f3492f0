#!/usr/bin/env python3
"""The same two models and the same training step in PyTorch on the CPU: the yardstick for bench/train_speed.py.

  .venv/bin/pip install -r bench/requirements-torch.txt        # needs PyTorch: torch==2.13.0, the CPU build (a benchmark-only dependency)
  .venv/bin/python bench/torch_reference.py [--models mlp,cnn] [--batches 128,256] [--aug 1,0] [--threads N]

The step is digits/training/loop.py's: a random batch (torch.randint) from the training set held in memory as float tensors, the
scripts' default augmentation (random rotation, zoom and shift per image, as in training.augment, in ink space with
zeros entering from outside) done with affine_grid/grid_sample (bilinear), ink -> -1..1, forward, cross-entropy,
backward, Adam with the scripts' learning rate, and `loss.item()` every step. torch uses as many threads as the process
may use cores, or --threads (tinygrad's CPU backend runs its kernels on one). Warm-up steps are excluded; a sample
is the mean step time of a chunk of steps, the result the median.
"""
import argparse, json, math, os, pathlib, statistics, sys, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
INSTALL = ".venv/bin/pip install -r bench/requirements-torch.txt"

def torch_model(name:str):
  """The architecture of digits/models.py in torch, with torch's default initialisation (torch.manual_seed first)."""
  import torch.nn as tnn
  if name == "mlp": return tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 512), tnn.SiLU(), tnn.Linear(512, 512), tnn.SiLU(), tnn.Linear(512, 10))
  return tnn.Sequential(tnn.Unflatten(1, (1, 28, 28)), tnn.Conv2d(1, 8, 3), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(8, 16, 3), tnn.ReLU(),
                        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 10))

def augment(x, angle:float, scale:float, shift:float):
  """x (n,28,28) ink: each output pixel p reads the source at R(-theta)(p - t)/zoom about the centre, bilinear, zeros outside."""
  import torch
  import torch.nn.functional as F
  n = x.shape[0]
  u = lambda amount: (torch.rand(n) * 2 - 1) * amount
  theta, zoom, tx, ty = u(angle * math.pi / 180), 1 + u(scale), u(shift), u(shift)
  c, s = theta.cos() / zoom, theta.sin() / zoom
  # affine_grid works in normalised coordinates (align_corners=False: 28 pixels span 2), so a shift of t pixels is 2t/28
  mat = torch.stack([torch.stack([c, s, -(c * tx + s * ty) * 2 / 28], 1), torch.stack([-s, c, -(-s * tx + c * ty) * 2 / 28], 1)], 1)
  grid = F.affine_grid(mat, (n, 1, 28, 28), align_corners=False)
  return F.grid_sample(x.unsqueeze(1), grid, mode="bilinear", padding_mode="zeros", align_corners=False).squeeze(1)

def measure(name:str, batch:int, aug:bool, X, Y, warmup:int, chunks:int, chunk_s:float) -> dict:
  import torch
  import torch.nn.functional as F
  import mnist_mlp, mnist_convnet
  d = (mnist_mlp if name == "mlp" else mnist_convnet).DEFAULTS
  torch.manual_seed(0)
  model = torch_model(name)
  opt = torch.optim.Adam(model.parameters(), lr=d["LR"])
  def step() -> float:
    idx = torch.randint(0, X.shape[0], (batch,))
    x = X[idx]
    if aug: x = augment(x, d["ANGLE"], d["SCALE"], d["SHIFT"])
    loss = F.cross_entropy(model((x * 2 - 1).reshape(-1, 784)), Y[idx])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()
  for _ in range(warmup): step()
  st = time.perf_counter(); step(); one = time.perf_counter() - st
  n, samples = max(5, min(200, round(chunk_s / one))), []
  for _ in range(chunks):
    st = time.perf_counter()
    for _ in range(n): loss = step()
    samples.append((time.perf_counter() - st) / n)
  return {"model": name, "batch": batch, "aug": aug, "ms": 1000 * statistics.median(samples), "steps_per_chunk": n,
          "samples_ms": [round(1000 * v, 3) for v in samples], "last_loss": loss, "torch": torch.__version__, "threads": torch.get_num_threads()}

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--batches", default="128,256")
  ap.add_argument("--aug", default="1,0", help="1: with augmentation, 0: without")
  ap.add_argument("--warmup", type=int, default=10)
  ap.add_argument("--chunks", type=int, default=5)
  ap.add_argument("--chunk-s", type=float, default=1.5)
  ap.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core the process may use)")
  ap.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
  args = ap.parse_args()
  try: import torch
  except ImportError: sys.exit(f"error: PyTorch is not installed (a benchmark-only dependency): {INSTALL}")
  torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
  sys.path.insert(0, str(ROOT))
  from digits.data.mnist import load_mnist
  Xn, Yn, _, _ = load_mnist()
  X, Y = torch.from_numpy(Xn).float().div(255), torch.from_numpy(Yn.astype("int64"))
  rows = [measure(m, int(b), a == "1", X, Y, args.warmup, args.chunks, args.chunk_s)
          for m in args.models.split(",") for b in args.batches.split(",") for a in args.aug.split(",")]
  if args.json:
    for r in rows: print(json.dumps(r))
    return
  print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n\n| model | batch | augmentation | ms/step |\n|---|---|---|---|")
  for r in rows: print(f"| {r['model']} | {r['batch']} | {'yes' if r['aug'] else 'no'} | {r['ms']:.1f} |")

if __name__ == "__main__": main()

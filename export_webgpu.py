#!/usr/bin/env python3
"""Compile trained models into WGSL kernels and a JS module for the page: python export_webgpu.py [mlp|cnn ...]

Reads WEIGHTS_DIR/<name>.safetensors (default weights/), writes OUT_DIR/<name>/<name>.js and <name>.webgpu.safetensors
(default Classifier/). Before writing, the exported kernels run through Dawn and must match tinygrad on CPU."""
import json, os, pathlib, platform, sys, time
import numpy as np

def dawn_library() -> str:
  import pydawn
  ext = {"Darwin": "dylib", "Windows": "dll"}.get(platform.system(), "so")
  arch = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
  return str(pathlib.Path(pydawn.__file__).parent / "lib" / f"libwebgpu_dawn_{arch}.{ext}")
os.environ.setdefault("WEBGPU_PATH", dawn_library())  # tinygrad's WebGPU runtime loads Dawn from here

from tinygrad import Tensor, TinyJit, Device, dtypes, nn
from tinygrad.device import TinyELF
from tinygrad.helpers import Context, getenv
from tinygrad.uop.ops import Ops
from models import load_model
from training import save_atomic, save_weights
from mnist_data import load_mnist

TRAIN_COMMANDS = {"mlp": "python mnist_mlp.py", "cnn": "python mnist_convnet.py"}
TOLERANCE = 1e-4

def logit_error(got:np.ndarray, expected:np.ndarray) -> float:
  """Largest difference, relative for logits beyond +-1: float32 sums in another order differ by ~1e-7 of their size."""
  return float((np.abs(got - expected) / np.maximum(1, np.abs(expected))).max())

class ExportError(Exception): pass

def capture(model) -> TinyJit:
  """Runs the model under TinyJit until it has captured the kernels of one inference on a (1, 784) input."""
  @TinyJit
  def forward(x:Tensor) -> Tensor: return model(x).realize()
  device = nn.state.get_parameters(model)[0].device
  for _ in range(3): forward(Tensor.zeros(1, 784, device=device).contiguous().realize())
  return forward

def kernel_graph(forward:TinyJit, weights:dict[str, Tensor]) -> dict:
  """The captured kernels as data: WGSL source, workgroup counts, and which buffer each binding reads or writes."""
  names, output = {t.uop.base: name for name, t in weights.items()}, forward.captured.ret.uop.base
  buffers, index = [], {}
  def buffer_of(u) -> int:
    if u not in index:
      if u.dtype != dtypes.float32: raise ExportError(f"kernel argument of dtype {u.dtype}: only float32 is exported")
      if u.op is Ops.PARAM: kind, name = "input", "input"
      elif u in names: kind, name = "weight", names[u]
      elif u is output: kind, name = "output", "output"
      elif u.op is Ops.BUFFER: kind, name = "scratch", f"scratch{len(buffers)}"
      else: raise ExportError(f"kernel argument {u.op} is not a plain buffer")
      index[u] = len(buffers)
      buffers.append({"name": name, "kind": kind, "size": u.max_numel() * 4})
    return index[u]
  kernels = []
  for call in forward.captured.linear.src:
    prg = call.src[0]
    if prg.op is not Ops.PROGRAM or prg.arg.vars: raise ExportError(f"captured step {prg.op} is not a fixed-size kernel")
    kernels.append({"name": prg.arg.function_name, "workgroups": [int(x) for x in prg.arg.global_size],
                    "buffers": [buffer_of(u) for u in call.src[1:]], "code": next(s.arg for s in prg.src if s.op is Ops.SOURCE)})
  kinds = [b["kind"] for b in buffers]
  if kinds.count("input") != 1 or kinds.count("output") != 1: raise ExportError(f"expected one input and one output buffer, got {kinds}")
  if missing := sorted(set(weights) - {b["name"] for b in buffers}): raise ExportError(f"tensor '{missing[0]}' is not used by any kernel")
  return {"buffers": buffers, "kernels": kernels}

def run_graph(graph:dict, weights:dict[str, np.ndarray], inputs:np.ndarray) -> np.ndarray:
  """Executes the exported description itself (not tinygrad's JIT) through Dawn, as the browser's loader will."""
  dev = Device["WEBGPU"]
  bufs = [dev.allocator.alloc(b["size"]) for b in graph["buffers"]]
  for b, buf in zip(graph["buffers"], bufs):
    if b["kind"] == "weight": dev.allocator._copyin(buf, memoryview(np.asarray(weights[b["name"]], np.float32).tobytes()))
  programs = [dev.runtime(TinyELF(k["code"].encode(), k["name"], None, ())) for k in graph["kernels"]]
  out_idx, in_idx = [[b["kind"] for b in graph["buffers"]].index(kind) for kind in ("output", "input")]
  logits = np.empty((len(inputs), 10), np.float32)
  for i, x in enumerate(inputs):
    dev.allocator._copyin(bufs[in_idx], memoryview(np.asarray(x, np.float32).tobytes()))
    for k, prg in zip(graph["kernels"], programs): prg(*[bufs[j] for j in k["buffers"]], global_size=tuple(k["workgroups"]))
    dev.allocator._copyout(memoryview(logits[i]).cast("B"), bufs[out_idx])
  return logits

def check_inputs() -> np.ndarray:
  """16 real MNIST test digits, 8 of them inverted, and 8 of uniform noise, all in the model's -1..1 range."""
  digits = load_mnist()[2][:16].reshape(-1, 784).astype(np.float32) / 127.5 - 1
  noise = np.random.default_rng(0).uniform(-1, 1, (8, 784)).astype(np.float32)
  return np.concatenate([digits, -digits[:8], noise])

def module_source(name:str, graph:dict, source:pathlib.Path) -> str:
  return (f"// Generated by export_webgpu.py from {source.name}: do not edit; export again instead.\n"
          f'import {{ createModel }} from "../js/webgpu_model.js";\n\n'
          f"export const graph = {json.dumps(graph, indent=1)};\n\n"
          f"// const model = await load(device); const logits = await model(Float32Array(784) in -1..1) -> Float32Array(10)\n"
          f'export const load = (device, url = new URL("{name}.webgpu.safetensors", import.meta.url)) => createModel(device, url, graph);\n')

def export(name:str, weights_dir:pathlib.Path, out_dir:pathlib.Path) -> dict:
  source = weights_dir / f"{name}.safetensors"
  if not source.exists(): raise ExportError(f"{source} not found: train it first with `{TRAIN_COMMANDS[name]}` (or set WEIGHTS_DIR)")
  start = time.perf_counter()
  with Context(DEV="CPU"): reference = load_model(name, source)
  with Context(DEV="WEBGPU"): model = load_model(name, source)
  state = {k: v.numpy() for k, v in nn.state.get_state_dict(reference).items()}
  graph = kernel_graph(capture(model), nn.state.get_state_dict(model))
  inputs = check_inputs()
  with Context(DEV="CPU"): expected = reference(Tensor(inputs)).numpy()
  error = logit_error(run_graph(graph, state, inputs), expected)
  if not error <= TOLERANCE: raise ExportError(f"{name}: exported kernels differ from tinygrad on CPU by {error:.2e} (> {TOLERANCE}, relative beyond +-1); nothing written")
  (folder := out_dir / name).mkdir(parents=True, exist_ok=True)
  save_weights(reference, folder / f"{name}.webgpu.safetensors")
  save_atomic(folder / f"{name}.js", lambda p: pathlib.Path(p).write_text(module_source(name, graph, source)))
  return {"model": name, "kernels": len(graph["kernels"]), "max_error": error, "seconds": round(time.perf_counter() - start, 1),
          "weights_bytes": (folder / f"{name}.webgpu.safetensors").stat().st_size, "module_bytes": (folder / f"{name}.js").stat().st_size}

def main(argv:list[str]) -> int:
  aliases = {"mlp": "mlp", "cnn": "cnn", "convnet": "cnn"}
  if bad := [a for a in argv if a not in aliases]: sys.exit(f"error: unknown model '{bad[0]}': expected mlp, cnn or convnet")
  weights_dir, out_dir = pathlib.Path(getenv("WEIGHTS_DIR", "weights")), pathlib.Path(getenv("OUT_DIR", "Classifier"))
  try:
    for name in dict.fromkeys(aliases[a] for a in argv or ["mlp", "cnn"]):
      r = export(name, weights_dir, out_dir)
      print(f"{name}: {r['kernels']} kernels, max error {r['max_error']:.1e} vs CPU, {r['seconds']} s -> "
            f"{out_dir / name}/{name}.js ({r['module_bytes']} B), {name}.webgpu.safetensors ({r['weights_bytes']} B)")
  except (ExportError, ValueError) as e: sys.exit(f"error: {e}")
  return 0

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))

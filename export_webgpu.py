#!/usr/bin/env python3
"""Compile trained models into WGSL and WebAssembly kernels and JS modules for the page: python export_webgpu.py [mlp|cnn ...]

Reads WEIGHTS_DIR/<name>.safetensors (default weights/) and writes into OUT_DIR/<name>/ (default Classifier/):
  <name>.js, <name>.webgpu.safetensors   inference on WebGPU (WGSL) and the weights
  <name>.cpu.js, <name>.cpu.wasm         inference on the CPU (WebAssembly built from tinygrad's C kernels)
  <name>.train.js, <name>.train.wasm     the fine-tuning step (finetune.py) for both, loaded when the person first teaches
  <name>.explain.js, <name>.explain.wasm what the page's inside-the-model panel shows (explain.py), loaded when it opens
  <name>.metrics.json                    how the weights were made (training's WEIGHTS_DIR/<name>.json without its curves)
and, once for both, OUT_DIR/data/replay.safetensors.gz: the ordinary digits the page mixes into fine-tuning batches, and
OUT_DIR/data/pendigits-sample.json: the real pen digits that the page's "Try a real digit" button draws.
Before writing anything, every graph runs through Dawn and through the WebAssembly build and must match tinygrad on the
CPU: inference and the explain graph on 32 inputs (every output), the training step for 5 steps from these weights on
fixed batches (losses and all state)."""
import functools, gzip, hashlib, json, os, pathlib, platform, sys, time
import numpy as np

def dawn_library() -> str:
  import pydawn
  ext = {"Darwin": "dylib", "Windows": "dll"}.get(platform.system(), "so")
  arch = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
  return str(pathlib.Path(pydawn.__file__).parent / "lib" / f"libwebgpu_dawn_{arch}.{ext}")
os.environ.setdefault("WEBGPU_PATH", dawn_library())  # tinygrad's WebGPU runtime loads Dawn from here

from tinygrad import Tensor, Device, nn
from tinygrad.device import TinyELF
from tinygrad.helpers import Context, getenv
import finetune
from explain import make_explain
from kernel_graph import GraphError, graph_of
from models import load_model
from training import safetensors_bytes, save_atomic, save_weights
from mnist_data import load_mnist
from pendigits import load_pendigits
from wasm_kernels import NUMPY, WasmBuildError, WasmReplay, build

TRAIN_COMMANDS = {"mlp": "python mnist_mlp.py", "cnn": "python mnist_convnet.py"}
TARGETS = ("webgpu", "wasm")
TOLERANCE, CHECK_STEPS = 1e-4, 5
# How tinygrad writes each graph's C kernels for WebAssembly, measured in Chromium: inference as plain loops (NOOPT),
# which clang vectorizes with several accumulators (MLP 0.10 ms against 0.38 with tinygrad's x86-tuned float4 code);
# training with tinygrad's own optimizations (a step 1.1x (MLP) to 1.8x (CNN) faster than plain loops)
WASM_SETTINGS = {"infer": {"NOOPT": 1}, "train": {"NOOPT": 0}, "explain": {"NOOPT": 1}}

def error_of(got:np.ndarray, expected:np.ndarray) -> float:
  """Largest difference, relative for values beyond +-1: float32 sums in another order differ by ~1e-7 of their size."""
  return float((np.abs(got - expected) / np.maximum(1, np.abs(expected))).max(initial=0))
logit_error = error_of

class ExportError(Exception): pass

class DawnReplay:
  """A graph's WGSL kernels run through Dawn from the exported description itself (not tinygrad's JIT), as the
  browser's loader runs them; state persists between calls. Same interface as wasm_kernels.WasmReplay."""
  def __init__(self, graph:dict, state:dict[str, np.ndarray]):
    self.graph, self.dev = graph, Device["WEBGPU"]
    self.bufs = [self.dev.allocator.alloc(b["size"]) for b in graph["buffers"]]
    self.programs = [self.dev.runtime(TinyELF(k["code"].encode(), k["name"], None, ())) for k in graph["kernels"]]
    for i, b in enumerate(graph["buffers"]):
      if b["kind"] == "state": self.write(i, state[b["name"]])
      if b["kind"] == "constant": self.write(i, np.array(b["value"]))

  def write(self, i:int, values:np.ndarray) -> None:
    self.dev.allocator._copyin(self.bufs[i], memoryview(np.ascontiguousarray(values, NUMPY[self.graph["buffers"][i]["dtype"]]).tobytes()))

  def read(self, i:int) -> np.ndarray:
    out = np.empty(self.graph["buffers"][i]["size"] // 4, NUMPY[self.graph["buffers"][i]["dtype"]])
    self.dev.allocator._copyout(memoryview(out).cast("B"), self.bufs[i])
    return out

  def __call__(self, inputs:dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = [b["name"] for b in self.graph["buffers"]]
    for name, values in inputs.items(): self.write(names.index(name), values)
    for k, prg in zip(self.graph["kernels"], self.programs): prg(*[self.bufs[j] for j in k["buffers"]], global_size=tuple(k["workgroups"]))
    return {o["name"]: self.read(names.index(o["name"])).reshape(o["shape"]) for o in self.graph["outputs"]}

  def state(self) -> dict[str, np.ndarray]:
    return {b["name"]: self.read(i) for i, b in enumerate(self.graph["buffers"]) if b["kind"] == "state"}

def check_inputs() -> np.ndarray:
  """16 real MNIST test digits, 8 of them inverted, and 8 of uniform noise, all in the model's -1..1 range."""
  digits = load_mnist()[2][:16].reshape(-1, 784).astype(np.float32) / 127.5 - 1
  noise = np.random.default_rng(0).uniform(-1, 1, (8, 784)).astype(np.float32)
  return np.concatenate([digits, -digits[:8], noise])

def check_batches(batch:int) -> list[dict[str, np.ndarray]]:
  """CHECK_STEPS fixed training batches: MNIST test digits after the check inputs' ones, their labels, and warps."""
  _, _, images, labels = load_mnist()
  rng, first = np.random.default_rng(1), 16
  return [{"x": images[first + i * batch:first + (i + 1) * batch].reshape(-1, 784).astype(np.float32) / 127.5 - 1,
           "y": labels[first + i * batch:first + (i + 1) * batch].astype(np.int32),
           "noise": rng.uniform(-1, 1, (batch, finetune.NOISE)).astype(np.float32)} for i in range(CHECK_STEPS)]

def inference(name:str, source:pathlib.Path):
  model = load_model(name, source)
  return (lambda x: {"logits": model(x)}), {"x": Tensor.zeros(1, 784).contiguous().realize()}, nn.state.get_state_dict(model)

def training(name:str, source:pathlib.Path):
  model, recipe = load_model(name, source), finetune.RECIPES[name]
  opt = finetune.make_optimizer(model, recipe)
  return finetune.make_step(model, opt, recipe), finetune.inputs(recipe["batch"]), finetune.training_state(model, opt)

def explaining(name:str, source:pathlib.Path):
  model = load_model(name, source)
  return make_explain(model), {"x": Tensor.zeros(1, 784).contiguous().realize()}, nn.state.get_state_dict(model)

GRAPHS = {"infer": inference, "train": training, "explain": explaining}
WASM_FILES = {"infer": "cpu.wasm", "train": "train.wasm", "explain": "explain.wasm"}  # <name>.<this>

def initial_state(name:str, source:pathlib.Path) -> dict[str, np.ndarray]:
  """The training state before the first step, on the CPU: the weights, zero moments, Adam's step products at 1."""
  with Context(DEV="CPU"): return {k: v.numpy() for k, v in training(name, source)[2].items()}

def reference_steps(name:str, source:pathlib.Path, batches:list) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
  """tinygrad's own training step on the CPU: the losses of `batches`, then the state."""
  with Context(DEV="CPU"):
    step, _, state = training(name, source)
    losses = [step(*[Tensor(b[k]) for k in ("x", "y", "noise")])["loss"].numpy() for b in batches]
    return losses, {k: v.numpy() for k, v in state.items()}

def check_inference(name:str, replay, expected:np.ndarray) -> float:
  got = np.concatenate([replay({"x": x.reshape(1, 784)})["logits"] for x in check_inputs()])
  if not (error := error_of(got, expected)) <= TOLERANCE:
    raise ExportError(f"{name}: exported {replay.graph['target']} inference differs from tinygrad on CPU by {error:.2e} (> {TOLERANCE}, relative beyond +-1); nothing written")
  return error

def check_explain(name:str, replay, expected:list[dict]) -> float:
  """Every output of the explain graph (logits, activations, the two digits and their attributions) for each check input."""
  errors = {}
  for i, (x, want) in enumerate(zip(check_inputs(), expected)):
    for k, v in replay({"x": x.reshape(1, 784)}).items(): errors[f"'{k}' of check input {i}"] = error_of(v, want[k])
  worst = max(errors, key=errors.get)
  if not errors[worst] <= TOLERANCE:
    raise ExportError(f"{name}: exported {replay.graph['target']} explain graph differs from tinygrad on CPU in the {worst} by {errors[worst]:.2e} (> {TOLERANCE}, relative beyond +-1); nothing written")
  return errors[worst]

def check_graphs(name:str, source:pathlib.Path, graphs:dict, wasm:dict, binaries:dict) -> dict[str, float]:
  """Each graph on each target against tinygrad on the CPU: {"<kind> <target>": largest difference}; raises beyond TOLERANCE."""
  state, inputs, batches = initial_state(name, source), check_inputs(), check_batches(finetune.RECIPES[name]["batch"])
  with Context(DEV="CPU"):
    model = load_model(name, source)
    logits, explained = model(Tensor(inputs)).numpy(), [{k: v.numpy() for k, v in make_explain(model)(Tensor(x.reshape(1, 784))).items()} for x in inputs]
  losses, trained = reference_steps(name, source, batches)
  checks = {"infer": (check_inference, (logits,)), "explain": (check_explain, (explained,)), "train": (check_training, (batches, losses, trained))}
  replays = {"webgpu": lambda kind: DawnReplay(graphs[kind]["webgpu"], state), "wasm": lambda kind: WasmReplay(wasm[kind], binaries[kind], state)}
  return {f"{kind} {target}": check(name, replays[target](kind), *args) for kind, (check, args) in checks.items() for target in TARGETS}

def check_training(name:str, replay, batches:list, losses:list, state:dict) -> float:
  got = [replay(b)["loss"] for b in batches]
  errors = {f"loss of step {i + 1}": error_of(g, l) for i, (g, l) in enumerate(zip(got, losses))}
  errors |= {f"'{k}' after {len(batches)} steps": error_of(v, state[k].reshape(-1)) for k, v in replay.state().items()}
  worst = max(errors, key=errors.get)
  if not errors[worst] <= TOLERANCE:
    raise ExportError(f"{name}: exported {replay.graph['target']} training step differs from tinygrad's own step on CPU in the {worst} by {errors[worst]:.2e} (> {TOLERANCE}); nothing written")
  return errors[worst]

def state_init(state:dict[str, np.ndarray], weights:set[str]) -> list[dict]:
  """How the page starts each state tensor: from the weights file, or filled with one number (Adam: 0, 1, the lr)."""
  spec = []
  for k, v in state.items():
    if k in weights: init = "weights"
    elif np.all(v == v.flat[0]): init = float(v.flat[0])
    else: raise ExportError(f"state '{k}' starts with varying values: only the weights may")
    spec.append({"name": k, "dtype": "F32" if v.dtype == np.float32 else "I32", "shape": list(v.shape), "init": init})
  return spec

def header(source:pathlib.Path) -> str:
  return f"// Generated by export_webgpu.py from {source.name}: do not edit; export again instead.\n"

def modules(name:str, source:pathlib.Path, version:str, graphs:dict, wasm:dict, spec:list) -> dict[str, str]:
  """The generated JS modules, by file name: the inference modules stay small, training's lives apart."""
  dump = lambda value: json.dumps(value, separators=(",", ":"))
  weights = f'new URL("{name}.webgpu.safetensors", import.meta.url)'
  return {
    f"{name}.js": header(source) + 'import { loadWebgpuModel } from "../js/webgpu_graph.js";\n\n'
      f'export const weightsVersion = "{version}";\nexport const graph = {dump(graphs["infer"]["webgpu"])};\n\n'
      "// const model = await load(device); const logits = await model(Float32Array(784) in -1..1) -> Float32Array(10)\n"
      f"export const load = (device, url = {weights}) => loadWebgpuModel(device, url, graph);\n",
    f"{name}.cpu.js": header(source) + 'import { loadWasmModel } from "../js/wasm_graph.js";\n\n'
      f'export const weightsVersion = "{version}";\nexport const graph = {dump(wasm["infer"])};\nexport const wasm = new URL("{name}.cpu.wasm", import.meta.url);\n\n'
      "// const model = await load(); const logits = await model(Float32Array(784) in -1..1) -> Float32Array(10)\n"
      f"export const load = (url = {weights}) => loadWasmModel(url, graph, wasm);\n",
    f"{name}.train.js": header(source) + "// The fine-tuning step of finetune.py, for WebGPU and for WebAssembly, and the state it keeps.\n"
      f"export const recipe = {dump(finetune.RECIPES[name])};\nexport const noisePerImage = {finetune.NOISE};\n"
      f"export const state = {dump(spec)};\nexport const graphs = {{webgpu: {dump(graphs['train']['webgpu'])}, wasm: {dump(wasm['train'])}}};\n"
      f'export const wasm = new URL("{name}.train.wasm", import.meta.url);\n',
    f"{name}.explain.js": header(source) + "// What the page's inside-the-model panel shows (explain.py), for WebGPU and for WebAssembly.\n"
      f"export const graphs = {{webgpu: {dump(graphs['explain']['webgpu'])}, wasm: {dump(wasm['explain'])}}};\n"
      f'export const wasm = new URL("{name}.explain.wasm", import.meta.url);\n'}

def export(name:str, weights_dir:pathlib.Path, out_dir:pathlib.Path) -> dict:
  source = weights_dir / f"{name}.safetensors"
  if not source.exists(): raise ExportError(f"{source} not found: train it first with `{TRAIN_COMMANDS[name]}` (or set WEIGHTS_DIR)")
  start = time.perf_counter()
  with Context(DEV="CPU"): reference = load_model(name, source)
  weights = {k: v.numpy() for k, v in nn.state.get_state_dict(reference).items()}
  graphs = {kind: {t: graph_of(t, functools.partial(build, name, source), **(WASM_SETTINGS[kind] if t == "wasm" else {})) for t in TARGETS}
            for kind, build in GRAPHS.items()}
  wasm, binaries = {}, {}
  for kind in graphs: wasm[kind], binaries[kind] = build(graphs[kind]["wasm"])
  errors = check_graphs(name, source, graphs, wasm, binaries)
  (folder := out_dir / name).mkdir(parents=True, exist_ok=True)
  save_weights(reference, folder / f"{name}.webgpu.safetensors")
  version = hashlib.sha256((folder / f"{name}.webgpu.safetensors").read_bytes()).hexdigest()[:16]
  files = modules(name, source, version, graphs, wasm, state_init(initial_state(name, source), set(weights)))
  if (metrics := source.with_suffix(".json")).exists():  # how these weights were made, without the curves
    files[f"{name}.metrics.json"] = json.dumps({k: v for k, v in json.loads(metrics.read_text()).items() if k != "history"}, indent=1) + "\n"
  for file, text in files.items(): save_atomic(folder / file, lambda p: pathlib.Path(p).write_text(text))
  for kind, file in WASM_FILES.items(): save_atomic(folder / f"{name}.{file}", lambda p: pathlib.Path(p).write_bytes(binaries[kind]))
  return {"model": name, "kernels": {k: {t: len(g["kernels"]) for t, g in v.items()} for k, v in graphs.items()}, "errors": errors,
          "seconds": round(time.perf_counter() - start, 1), "bytes": {f.name: f.stat().st_size for f in sorted(folder.iterdir()) if f.suffix != ".png"}}

def write_replay(out_dir:pathlib.Path) -> pathlib.Path:
  """finetune.replay_sample() as gzipped safetensors: images U8 (N,784), labels U8 (N,). mtime 0: the same bytes every time."""
  sizes = {r["replay"] for r in finetune.RECIPES.values()}
  assert len(sizes) == 1, "both models mix in the same replay sample"
  images, labels = finetune.replay_sample(sizes.pop())
  data = gzip.compress(safetensors_bytes({"images": images, "labels": labels.astype(np.uint8)}), mtime=0)
  (path := out_dir / "data" / "replay.safetensors.gz").parent.mkdir(parents=True, exist_ok=True)
  save_atomic(path, lambda p: pathlib.Path(p).write_bytes(data))
  return path

def write_pen_sample(out_dir:pathlib.Path, per_class:int=8, seed:int=0) -> pathlib.Path:
  """Real pen digits for the page's "Try a real digit" button: `per_class` of each digit, by as many writers as there
  are, as {label, writer, strokes: [[[x, y], ...], ...]} in tablet units (data/pendigits/, CC BY 4.0)."""
  strokes, labels, writers = load_pendigits()
  rng, sample = np.random.default_rng(seed), []
  for digit in range(10):
    for i in rng.choice(np.flatnonzero(labels == digit), per_class, replace=False):
      sample.append({"label": digit, "writer": int(writers[i]), "strokes": [s.tolist() for s in strokes[i]]})
  path = out_dir / "data" / "pendigits-sample.json"
  note = {"source": "UCI Pen-Based Recognition of Handwritten Digits (E. Alpaydin, F. Alimoglu), CC BY 4.0; see data/pendigits/README.md in the repository"}
  save_atomic(path, lambda p: pathlib.Path(p).write_text(json.dumps({**note, "digits": sample}, separators=(",", ":"))))
  return path

def main(argv:list[str]) -> int:
  aliases = {"mlp": "mlp", "cnn": "cnn", "convnet": "cnn"}
  if bad := [a for a in argv if a not in aliases]: sys.exit(f"error: unknown model '{bad[0]}': expected mlp, cnn or convnet")
  weights_dir, out_dir = pathlib.Path(getenv("WEIGHTS_DIR", "weights")), pathlib.Path(getenv("OUT_DIR", "Classifier"))
  try:
    for name in dict.fromkeys(aliases[a] for a in argv or ["mlp", "cnn"]):
      r = export(name, weights_dir, out_dir)
      print(f"{name}: {r['kernels']['infer']['webgpu']} kernels (WebGPU) and {r['kernels']['infer']['wasm']} (WebAssembly) for inference, "
            f"{r['kernels']['train']['webgpu']} and {r['kernels']['train']['wasm']} for a training step, {r['kernels']['explain']['webgpu']} and "
            f"{r['kernels']['explain']['wasm']} to explain; largest difference from tinygrad on CPU "
            f"{max(r['errors'].values()):.1e}; {r['seconds']} s -> {out_dir / name}/: " + ", ".join(f"{f} ({n} B)" for f, n in r["bytes"].items()))
    replay, pens = write_replay(out_dir), write_pen_sample(out_dir)
    print(f"replay sample of MNIST training digits -> {replay} ({replay.stat().st_size} B); pen digits to try -> {pens} ({pens.stat().st_size} B)")
  except (ExportError, GraphError, WasmBuildError, ValueError) as e: sys.exit(f"error: {e}")
  return 0

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))

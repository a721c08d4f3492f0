#!/usr/bin/env python3
"""Compile trained models into WGSL and WebAssembly kernels and JS modules for the page: python export_webgpu.py [mlp|cnn ...]

Reads WEIGHTS_DIR/<name>.safetensors (default weights/; the shipped models' are in models/) and writes into OUT_DIR/<name>/
(default Classifier/):
  <name>.js                              the prediction on WebGPU (WGSL; the network and the person's memory)
  <name>.weights.safetensors.gz          the weights as the page downloads them, compact (digits/compact_weights.py), in the
                                         smallest scheme that reads the MNIST validation and pen digits within 0.05 point of
                                         the float32 weights (digits/export/weights_choice.py: WEIGHTS_SCHEME, WEIGHTS_GATE)
  <name>.cpu.js, <name>.cpu.wasm         the prediction on the CPU (WebAssembly built from tinygrad's C kernels)
  <name>.memory.js, <name>.memory.wasm   the step that keeps a taught drawing in the memory (digits/export/memory.py)
  <name>.train.js, <name>.train.wasm     the fine-tuning step (digits/export/finetune.py), loaded when the person first teaches
  <name>.explain.js, <name>.explain.wasm what the inside-the-model panel shows (digits/export/explain.py), loaded when it opens
  <name>.metrics.json                    how the weights were made (training's WEIGHTS_DIR/<name>.json without its curves)
                                         and the compact file's sha256, scheme and the gate's accuracies
and, once for both, OUT_DIR/data/replay.safetensors.gz: the ordinary digits the page mixes into fine-tuning batches, and
OUT_DIR/data/pendigits-sample.json: the real pen digits that the page's "Try a real digit" button draws; last, where
OUT_DIR holds the page (index.html), OUT_DIR/site-files.js: the service worker's list (digits/export/site_files.py).
Before writing anything, every graph runs through Dawn and through the WebAssembly build on the weights decoded from the
compact file and must match tinygrad on the CPU on those same weights: the store step on 6 inputs from an empty memory
(outputs and memory), the prediction and explain graphs on 32 inputs reading that memory (every output), the training
step for 5 steps from these weights on fixed batches (losses and all state)."""
import functools, gzip, hashlib, json, pathlib, sys, time
import numpy as np
from tinygrad import nn
from tinygrad.helpers import Context, getenv
from digits.data.pendigits import load_pendigits
from digits.compact_weights import COMPACT_FILE
from digits.files import safetensors_bytes, write_bytes_atomic, write_text_atomic
from digits.models import load_model
from digits.export import finetune, memory
from digits.export.check import ExportError, check_graphs, initial_state
from digits.export.graph import GraphError, graph_of
from digits.export.graphs import GRAPHS, TARGETS, WASM_FILES, WASM_SETTINGS
from digits.export.modules import modules, state_init
from digits.export.site_files import write_site_list
from digits.export.wasm import WasmBuildError, build as build_wasm
from digits.export.weights_choice import MAX_DROP, SETS, VALIDATION, Choice, choose, read_weights_settings

TRAIN_COMMANDS = {"mlp": "python mnist_mlp.py", "cnn": "python mnist_convnet.py"}

def read_record(source:pathlib.Path) -> dict|None:
  """How the weights were made (training's metrics file beside them), if there is one."""
  if not (metrics := source.with_suffix(".json")).exists(): return None
  try: return json.loads(metrics.read_text())
  except ValueError as e: raise ExportError(f"{metrics}: not a metrics file ({e})") from e

def compact_record(name:str, choice:Choice) -> dict:
  """What the metrics file says of the weights the page downloads."""
  return {"file": f"{name}.{COMPACT_FILE}", "sha256": hashlib.sha256(choice.data).hexdigest(), "bytes": len(choice.data),
          "scheme": choice.scheme, "accuracy": choice.accuracy, "max_drop": MAX_DROP if choice.accuracy else None}

def export(name:str, weights_dir:pathlib.Path, out_dir:pathlib.Path, scheme:str="auto", gate:bool=True) -> dict:
  source = weights_dir / f"{name}.safetensors"
  if not source.exists(): raise ExportError(f"{source} not found: train it first with `{TRAIN_COMMANDS[name]}` (or set WEIGHTS_DIR)")
  start = time.perf_counter()
  with Context(DEV="CPU"): reference = load_model(name, source)
  record = read_record(source)
  weights = {k: v.numpy() for k, v in nn.state.get_state_dict(reference).items()}
  choice = choose(name, weights, scheme, gate, (record or {}).get("settings", {}).get("validation", VALIDATION))
  # every graph is captured and checked on the weights the page decodes, as tinygrad runs them
  decoded = choice.weights
  graphs = {kind: {t: graph_of(t, functools.partial(builder, name, decoded), **(WASM_SETTINGS[kind] if t == "wasm" else {})) for t in TARGETS}
            for kind, builder in GRAPHS.items()}
  wasm, binaries = {}, {}
  for kind in graphs: wasm[kind], binaries[kind] = build_wasm(graphs[kind]["wasm"])
  errors = check_graphs(name, decoded, graphs, wasm, binaries)
  # everything is made (and may still fail) before the first file is written
  version = hashlib.sha256(choice.data).hexdigest()[:16]
  state = {**initial_state(name, decoded), **{k: v.numpy() for k, v in memory.empty_memory(name).items()}}
  files = modules(name, source, version, graphs, wasm, state_init(state, set(weights)))
  if record is not None:  # how these weights were made, without the curves, and what the page downloads of them
    record = {**{k: v for k, v in record.items() if k != "history"}, "compact_weights": compact_record(name, choice)}
    files[f"{name}.metrics.json"] = json.dumps(record, indent=1) + "\n"
  (folder := out_dir / name).mkdir(parents=True, exist_ok=True)
  write_bytes_atomic(folder / f"{name}.{COMPACT_FILE}", choice.data)
  for file, text in files.items(): write_text_atomic(folder / file, text)
  for kind, file in WASM_FILES.items(): write_bytes_atomic(folder / f"{name}.{file}", binaries[kind])
  return {"model": name, "kernels": {k: {t: len(g["kernels"]) for t, g in v.items()} for k, v in graphs.items()}, "errors": errors,
          "seconds": round(time.perf_counter() - start, 1), "scheme": choice.scheme, "accuracy": choice.accuracy,
          "bytes": {f.name: f.stat().st_size for f in sorted(folder.iterdir()) if f.suffix != ".png"}}

def write_replay(out_dir:pathlib.Path) -> pathlib.Path:
  """finetune.replay_sample() as gzipped safetensors: images U8 (N,784), labels U8 (N,). mtime 0: the same bytes every time."""
  sizes = {r["replay"] for r in finetune.RECIPES.values()}
  assert len(sizes) == 1, "both models mix in the same replay sample"
  images, labels = finetune.replay_sample(sizes.pop())
  data = gzip.compress(safetensors_bytes({"images": images, "labels": labels.astype(np.uint8)}), mtime=0)
  write_bytes_atomic(path := out_dir / "data" / "replay.safetensors.gz", data)
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
  note = {"source": "UCI Pen-Based Recognition of Handwritten Digits (E. Alpaydin, F. Alimoglu), CC BY 4.0; "
                    "see data/pendigits/README.md in the repository"}
  write_text_atomic(path, json.dumps({**note, "digits": sample}, separators=(",", ":")))
  return path

def main(argv:list[str]) -> int:
  aliases = {"mlp": "mlp", "cnn": "cnn", "convnet": "cnn"}
  if bad := [a for a in argv if a not in aliases]: sys.exit(f"error: unknown model '{bad[0]}': expected mlp, cnn or convnet")
  weights_dir, out_dir = pathlib.Path(getenv("WEIGHTS_DIR", "weights")), pathlib.Path(getenv("OUT_DIR", "Classifier"))
  scheme, gate = read_weights_settings()
  try:
    for name in dict.fromkeys(aliases[a] for a in argv or ["mlp", "cnn"]):
      r = export(name, weights_dir, out_dir, scheme, gate)
      counts = {kind: f"{k['webgpu']} and {k['wasm']}" for kind, k in r["kernels"].items()}
      read = "; ".join(f"{SETS[what]} {a['float32']:.2f}% float32, {a['decoded']:.2f}% decoded" for what, a in r["accuracy"].items()) \
             if r["accuracy"] else "no accuracy gate (WEIGHTS_GATE=0)"
      print(f"{name}: weights {r['scheme']} ({read}); kernels (WebGPU and WebAssembly) {counts['infer']} to predict, "
            f"{counts['store']} to store a taught drawing, {counts['train']} for a training step, {counts['explain']} to explain; "
            f"largest difference from tinygrad on CPU {max(r['errors'].values()):.1e}; {r['seconds']} s -> {out_dir / name}/: "
            + ", ".join(f"{f} ({n} B)" for f, n in r["bytes"].items()))
    replay, pens = write_replay(out_dir), write_pen_sample(out_dir)
    print(f"replay sample of MNIST training digits -> {replay} ({replay.stat().st_size} B); pen digits to try -> {pens} ({pens.stat().st_size} B)")
    if (out_dir / "index.html").is_file():  # the service worker's list of the site's files, which changed
      listed, listing = write_site_list(out_dir)
      print(f"{len(listing['files'])} files the page can request, version {listing['version']} -> {listed}")
  except (ExportError, GraphError, WasmBuildError, ValueError) as e: sys.exit(f"error: {e}")
  return 0

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))

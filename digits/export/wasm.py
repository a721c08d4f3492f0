"""tinygrad's C kernels of a "wasm" graph (graph.py) compiled into one WebAssembly module, and that module
replayed in Python (wasmtime) the way Classifier/js/runtime/wasm_graph.js replays it in a browser.

The module imports its memory (env.memory), so that every graph of a model shares one memory and its state; it exports
one function per distinct kernel, taking the kernel's buffers as byte offsets in that memory. Its stack takes the
first STACK_BYTES of the memory and it has no data of its own, so modules never overwrite each other."""
import re, shutil, subprocess, tempfile, pathlib
import numpy as np

STACK_BYTES = 1 << 16
ALIGN = 64  # buffer offsets; 16 would do for v128 loads
# -O3 with reassociation lets clang turn tinygrad's plain reduction loops into SIMD loops with several accumulators
CFLAGS = ["--target=wasm32", "-msimd128", "-O3", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math", "-fno-math-errno",
          "-nostdlib", "-ffreestanding"]
TOOLS = {"clang": "clang (Debian/Ubuntu package clang)", "wasm-ld": "wasm-ld (Debian/Ubuntu package lld)"}

class WasmBuildError(Exception): pass

def build(graph:dict) -> tuple[dict, bytes]:
  """The graph with each kernel's code replaced by the name of its function in the module, and the module's bytes."""
  if missing := [hint for tool, hint in TOOLS.items() if shutil.which(tool) is None]:
    raise WasmBuildError(f"{missing[0]} is not installed (./setup.sh installs it)")
  functions, kernels = {}, []
  for k in graph["kernels"]:
    body = re.sub(rf"\b{re.escape(k['name'])}\(", "KERNEL(", k["code"], count=1)
    if "KERNEL(" not in body: raise WasmBuildError(f"kernel {k['name']}: its C function was not found in its code")
    export = functions.setdefault(body, f"k{len(functions)}")
    kernels.append({"name": export, "buffers": k["buffers"]})
  source = "\n".join(body.replace("KERNEL(", f"{name}(", 1) for body, name in functions.items())
  with tempfile.TemporaryDirectory() as tmp:
    c, o, wasm = (pathlib.Path(tmp) / f"kernels.{ext}" for ext in ("c", "o", "wasm"))
    c.write_text(source)
    run(["clang", *CFLAGS, "-c", str(c), "-o", str(o)])
    run(["wasm-ld", "--no-entry", "--import-memory", "--stack-first", "-z", f"stack-size={STACK_BYTES}", "--strip-all",
         *[f"--export={name}" for name in functions.values()], str(o), "-o", str(wasm)])
    module = wasm.read_bytes()
  if 11 in sections(module): raise WasmBuildError("the kernels' module has a data section: modules sharing one memory would overwrite it")
  return {**{k: v for k, v in graph.items() if k != "kernels"}, "kernels": kernels, "stack": STACK_BYTES}, module

def run(command:list[str]) -> None:
  r = subprocess.run(command, capture_output=True, text=True)
  if r.returncode != 0: raise WasmBuildError(f"{command[0]} failed: {(r.stderr or r.stdout).strip()[:800]}")

def sections(module:bytes) -> list[int]:
  """The ids of a WebAssembly module's sections (1 type, 2 import, ... 10 code, 11 data)."""
  ids, at = [], 8
  while at < len(module):
    ids.append(module[at])
    size, shift, at = 0, 0, at + 1
    while True:
      size |= (module[at] & 0x7f) << shift
      shift, at = shift + 7, at + 1
      if not module[at - 1] & 0x80: break
    at += size
  return ids

NUMPY = {"F32": np.float32, "I32": np.int32, "U32": np.uint32}

class WasmReplay:
  """One graph's module on a fresh wasmtime memory; state persists between calls, as in the browser."""
  def __init__(self, graph:dict, module:bytes, state:dict[str, np.ndarray]):
    import wasmtime
    self.graph, self.store = graph, wasmtime.Store()
    self.offsets, end = [], graph["stack"]
    for b in graph["buffers"]:
      self.offsets.append(end)
      end += -(-b["size"] // ALIGN) * ALIGN
    self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(-(-end // 65536), None)))
    self.functions = wasmtime.Instance(self.store, wasmtime.Module(self.store.engine, module), [self.memory]).exports(self.store)
    for i, b in enumerate(graph["buffers"]):
      if b["kind"] == "state": self.write(i, state[b["name"]])
      if b["kind"] == "constant": self.write(i, np.array(b["value"], NUMPY[b["dtype"]]))

  def write(self, i:int, values:np.ndarray) -> None:
    self.memory.write(self.store, np.ascontiguousarray(values, NUMPY[self.graph["buffers"][i]["dtype"]]).tobytes(), self.offsets[i])

  def read(self, i:int) -> np.ndarray:
    b = self.graph["buffers"][i]
    return np.frombuffer(self.memory.read(self.store, self.offsets[i], self.offsets[i] + b["size"]), NUMPY[b["dtype"]]).copy()

  def __call__(self, inputs:dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = [b["name"] for b in self.graph["buffers"]]
    for name, values in inputs.items(): self.write(names.index(name), values)
    for k in self.graph["kernels"]: self.functions[k["name"]](self.store, *[self.offsets[j] for j in k["buffers"]])
    return {o["name"]: self.read(names.index(o["name"])).reshape(o["shape"]) for o in self.graph["outputs"]}

  def state(self) -> dict[str, np.ndarray]:
    return {b["name"]: self.read(i) for i, b in enumerate(self.graph["buffers"]) if b["kind"] == "state"}

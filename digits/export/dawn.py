"""Dawn, WebGPU for Python (the dawn-python package), for tinygrad's WEBGPU device, and a graph's WGSL kernels run
through it from the exported description itself (not tinygrad's JIT), as the browser's loader runs them."""
import os, pathlib, platform
import numpy as np
from tinygrad import Device
from tinygrad.device import TinyELF
from digits.export.wasm import NUMPY

def dawn_library() -> str:
  import pydawn
  ext = {"Darwin": "dylib", "Windows": "dll"}.get(platform.system(), "so")
  arch = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
  return str(pathlib.Path(pydawn.__file__).parent / "lib" / f"libwebgpu_dawn_{arch}.{ext}")

def use_dawn() -> None:
  """Points tinygrad's WebGPU runtime at Dawn, which it loads when its WEBGPU device first opens; WEBGPU_PATH overrides it."""
  if "WEBGPU_PATH" in os.environ: return
  try: os.environ["WEBGPU_PATH"] = dawn_library()
  except ImportError: pass  # without dawn-python, tinygrad looks for a libwebgpu_dawn of the system's

class DawnReplay:
  """A graph's WGSL kernels run through Dawn from the exported description itself (not tinygrad's JIT), as the
  browser's loader runs them; state persists between calls. Same interface as wasm.WasmReplay."""
  def __init__(self, graph:dict, state:dict[str, np.ndarray]):
    use_dawn()
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

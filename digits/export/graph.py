"""Any jitted tinygrad function as data that a runtime without tinygrad can replay: the kernels tinygrad generated for
it, in order, and for each kernel argument the buffer it is, with that buffer's role:
  input     written by the caller before a call (the function's Tensor arguments, in order)
  output    read by the caller after a call (the Tensors of the dict the function returns)
  state     lives between calls and between graphs, by name (weights, optimizer moments and step count)
  constant  read but never written by the kernels: its values travel with the graph
  scratch   everything else: written before it is read within one call
Two targets: "webgpu" (WGSL kernels from tinygrad's WEBGPU backend) and "wasm" (C kernels from tinygrad's CPU
backend, which wasm.py compiles to WebAssembly SIMD)."""
import numpy as np
from tinygrad import Tensor, TinyJit, dtypes
from tinygrad.helpers import Context
from tinygrad.uop.ops import Ops
from tinygrad.engine.realize import get_call_arg_uops, get_call_outs_ins
from digits.export.dawn import use_dawn

DTYPES = {dtypes.float32: "F32", dtypes.int32: "I32", dtypes.uint32: "U32"}  # safetensors' names
# tinygrad settings per target: the device; for wasm one thread (a browser runs the kernels on one) and no sub-buffer
# views; JIT=2: every kernel its own call, none batched into a device graph
TARGETS = {"webgpu": dict(DEV="WEBGPU", JIT=2), "wasm": dict(DEV="CPU", JIT=2, NUM_CPU_THREADS=1, NO_MEMORY_PLANNER=1)}
MAX_CONSTANT_VALUES = 4096

class GraphError(Exception): pass

def capture(fn, inputs:dict[str, Tensor]) -> TinyJit:
  """Runs fn(*inputs) under TinyJit until its kernels are captured (the third call). fn returns {name: Tensor}."""
  def run(*xs) -> dict[str, Tensor]:
    outputs = {k: v.contiguous() for k, v in fn(*xs).items()}  # each output its own buffer, not a view of another
    Tensor.realize(*outputs.values())  # together: realized one by one, they would each recompute what they share
    return outputs
  jit = TinyJit(run)
  for _ in range(3): jit(*[x.clone().realize() for x in inputs.values()])
  return jit

def describe(jit:TinyJit, inputs:dict[str, Tensor], state:dict[str, Tensor], target:str) -> dict:
  """The captured kernels as data. `state` names the Tensors that live between calls (their buffers must be the ones
  the kernels use: build them on the capture device); their names become the buffers' names."""
  outputs = {t.uop.base: name for name, t in jit.captured.ret.items()}
  stateful = {t.uop.base: name for name, t in state.items()}
  calls = [(call, call.src[0], get_call_arg_uops(call)) for call in jit.captured.linear.src]
  first_written, first_read = set(), set()
  for call, prg, args in calls:
    if prg.op is not Ops.PROGRAM: raise GraphError(f"a captured step is a {prg.op}, not a kernel")
    outs = {args[i] for i in get_call_outs_ins(call)[0]}
    for u in (args[i] for i in prg.arg.globals):
      if u not in first_written | first_read: (first_written if u in outs else first_read).add(u)
  written = {args[i] for call, _, args in calls for i in get_call_outs_ins(call)[0]}
  buffers, index = [], {}
  def buffer_of(u) -> int:
    if u not in index:
      if u.dtype not in DTYPES: raise GraphError(f"a kernel argument has dtype {u.dtype}: only {', '.join(map(str, DTYPES))} are exported")
      if u.op is Ops.PARAM: kind, name = "input", list(inputs)[u.arg.slot]
      elif u in stateful: kind, name = "state", stateful[u]
      elif u in outputs: kind, name = "output", outputs[u]
      elif u.op is not Ops.BUFFER: raise GraphError(f"a kernel argument is a {u.op}, not a plain buffer")
      elif u in first_written: kind, name = "scratch", f"scratch{len(buffers)}"
      elif u not in written: kind, name = "constant", f"constant{len(buffers)}"
      else: raise GraphError("a buffer is read before it is written, so it carries values between calls: make it named state")
      index[u] = len(buffers)
      buffers.append({"name": name, "kind": kind, "dtype": DTYPES[u.dtype], "size": u.max_numel() * u.dtype.itemsize})
      if kind == "constant": buffers[-1]["value"] = constant_values(u)
    return index[u]
  kernels = []
  for _, prg, args in calls:
    if prg.arg.vars: raise GraphError(f"kernel {prg.arg.function_name} has variables {[v.expr for v in prg.arg.vars]}: only fixed sizes are exported")
    kernels.append({"name": prg.arg.function_name, "workgroups": [int(x) for x in prg.arg.global_size],
                    "buffers": [buffer_of(args[i]) for i in prg.arg.globals], "code": next(s.arg for s in prg.src if s.op is Ops.SOURCE)})
  if missing := [n for n in list(inputs) + list(jit.captured.ret) if n not in {b["name"] for b in buffers}]:
    raise GraphError(f"'{missing[0]}' is not used by any kernel")
  return {"target": target, "inputs": [tensor_spec(k, v) for k, v in inputs.items()],
          "outputs": [tensor_spec(k, v) for k, v in jit.captured.ret.items()], "buffers": buffers, "kernels": kernels}

def constant_values(u) -> list:
  if u.max_numel() > MAX_CONSTANT_VALUES: raise GraphError(f"a constant buffer of {u.max_numel()} values is too large to travel with the graph")
  return np.frombuffer(bytes(u.buffer.as_memoryview()), dtype=np.dtype(u.dtype.fmt)).tolist()

def tensor_spec(name:str, t:Tensor) -> dict: return {"name": name, "dtype": DTYPES[t.dtype], "shape": list(t.shape)}

def state_spec(state:dict[str, Tensor]) -> list[dict]: return [tensor_spec(k, v) for k, v in state.items()]

def graph_of(target:str, build, **settings) -> dict:
  """build() -> (fn, inputs, state), all made on the target's device; its graph, captured there (tinygrad `settings`
  override the target's)."""
  if target == "webgpu": use_dawn()
  with Context(**{**TARGETS[target], **settings}):
    fn, inputs, state = build()
    return describe(capture(fn, inputs), inputs, state, target)

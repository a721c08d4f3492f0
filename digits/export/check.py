"""Every exported graph, run from its description on both targets (Dawn and wasmtime), against tinygrad on the CPU:
inference and explain on fixed inputs, the training step for CHECK_STEPS steps. A difference beyond TOLERANCE raises
ExportError naming the graph, the target and the tensor, so that nothing is written."""
import pathlib
from collections.abc import Callable
import numpy as np
from tinygrad import Tensor
from tinygrad.helpers import Context
from digits.data.mnist import mnist_once as mnist
from digits.models import load_model
from digits.export import finetune, memory
from digits.export.dawn import DawnReplay
from digits.export.explain import make_explain
from digits.export.graph import capture
from digits.export.graphs import TARGETS, training
from digits.export.wasm import WasmReplay

TOLERANCE, CHECK_STEPS = 1e-4, 5

def error_of(got:np.ndarray, expected:np.ndarray) -> float:
  """Largest difference, relative for values beyond +-1: float32 sums in another order differ by ~1e-7 of their size."""
  return float((np.abs(got - expected) / np.maximum(1, np.abs(expected))).max(initial=0))

class ExportError(Exception): pass

def check_inputs() -> np.ndarray:
  """16 real MNIST test digits, 8 of them inverted, and 8 of uniform noise, all in the model's -1..1 range."""
  digits = mnist()[2][:16].reshape(-1, 784).astype(np.float32) / 127.5 - 1
  noise = np.random.default_rng(0).uniform(-1, 1, (8, 784)).astype(np.float32)
  return np.concatenate([digits, -digits[:8], noise])

def check_batches(batch:int) -> list[dict[str, np.ndarray]]:
  """CHECK_STEPS fixed training batches: MNIST test digits after the check inputs' ones, their labels, and warps."""
  _, _, images, labels = mnist()
  rng, first = np.random.default_rng(1), 16
  return [{"x": images[first + i * batch:first + (i + 1) * batch].reshape(-1, 784).astype(np.float32) / 127.5 - 1,
           "y": labels[first + i * batch:first + (i + 1) * batch].astype(np.int32),
           "noise": rng.uniform(-1, 1, (batch, finetune.NOISE)).astype(np.float32)} for i in range(CHECK_STEPS)]

def initial_state(name:str, source:pathlib.Path|dict) -> dict[str, np.ndarray]:
  """The training state before the first step, on the CPU: the weights, zero moments, Adam's step products at 1."""
  with Context(DEV="CPU"): return {k: v.numpy() for k, v in training(name, source)[2].items()}

def reference_steps(name:str, source:pathlib.Path|dict, batches:list) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
  """tinygrad's own training step on the CPU: the losses of `batches`, then the state."""
  with Context(DEV="CPU"):
    step, _, state = training(name, source)
    losses = [step(*[Tensor(b[k]) for k in ("x", "y", "noise")])["loss"].numpy() for b in batches]
    return losses, {k: v.numpy() for k, v in state.items()}

def stored_examples(name:str) -> list[dict[str, np.ndarray]]:
  """What the check puts into the person's memory: 6 of the check inputs, each under a label of its own choosing (some
  not their digit's, so that the memory must overrule the network), one after the other."""
  copies = memory.SETTINGS[name]["copies"]
  return [{"x": x.reshape(1, 784), "y": np.array([i * 3 % 10], np.int32), "row": np.array([i * copies], np.int32)}
          for i, x in enumerate(check_inputs()[:6])]

def reference_memory(name:str, source:pathlib.Path|dict) -> tuple[list[dict], dict[str, np.ndarray]]:
  """tinygrad's own store steps on the CPU: the outputs of each stored example, then the memory."""
  with Context(DEV="CPU"):
    mem = memory.empty_memory(name)
    store = memory.make_store(load_model(name, source), name, mem)
    outputs = [{k: v.numpy() for k, v in store(*[Tensor(e[k]) for k in ("x", "y", "row")]).items()} for e in stored_examples(name)]
    return outputs, {k: v.numpy() for k, v in mem.items()}

def reference_reads(name:str, source:pathlib.Path|dict, filled:dict[str, np.ndarray]) -> tuple[list[dict], list[dict]]:
  """tinygrad's prediction and explain graphs on the CPU for each check input, reading the filled memory."""
  with Context(DEV="CPU"):
    model, mem = load_model(name, source), {k: Tensor(v).contiguous().realize() for k, v in filled.items()}
    return each_input(memory.make_predict(model, name, mem)), each_input(make_explain(model, name, mem))

def each_input(fn) -> list[dict]:
  """fn's outputs for each check input, under TinyJit (graph.py's capture): scheduled once, not once per input."""
  inputs = check_inputs().reshape(-1, 1, 784)
  jit = capture(fn, {"x": Tensor(inputs[0])})
  return [{k: v.numpy() for k, v in jit(Tensor(x).realize()).items()} for x in inputs]

def check_runs(name:str, replay, what:str, runs:list[dict], expected:list[dict], state:dict|None=None) -> float:
  """Every output of each run of the exported graph (and the state it leaves, if given) against tinygrad's."""
  errors = {}
  for i, (inputs, want) in enumerate(zip(runs, expected)):
    for k, v in replay(inputs).items(): errors[f"'{k}' of check input {i}"] = error_of(v, want[k])
  if state: errors |= {f"'{k}' after the check inputs": error_of(v, state[k].reshape(-1)) for k, v in replay.state().items() if k in state}
  worst = max(errors, key=errors.get)
  if not errors[worst] <= TOLERANCE:
    raise ExportError(f"{name}: exported {replay.graph['target']} {what} differs from tinygrad on CPU in the {worst} by "
                      f"{errors[worst]:.2e} (> {TOLERANCE}, relative beyond +-1); nothing written")
  return errors[worst]

def check_graphs(name:str, source:pathlib.Path|dict, graphs:dict, wasm:dict, binaries:dict) -> dict[str, float]:
  """Each graph on each target against tinygrad on the CPU: {"<kind> <target>": largest difference}; raises beyond TOLERANCE."""
  replays = {"webgpu": lambda kind, state: DawnReplay(graphs[kind]["webgpu"], state),
             "wasm": lambda kind, state: WasmReplay(wasm[kind], binaries[kind], state)}
  return {f"{kind} {target}": check(replays[target](kind, state)) for kind, (state, check) in references(name, source).items() for target in TARGETS}

def references(name:str, source:pathlib.Path|dict) -> dict[str, tuple[dict[str, np.ndarray], Callable]]:
  """What each kind of graph is checked against, computed by tinygrad on the CPU: {kind: (the state a replay starts from,
  check(replay) -> largest difference)}. The prediction and explain graphs read a memory filled by the store steps; the
  store graph fills an empty one."""
  trainable, batches = initial_state(name, source), check_batches(finetune.RECIPES[name]["batch"])
  stored, filled = reference_memory(name, source)
  predicted, explained = reference_reads(name, source, filled)
  losses, trained = reference_steps(name, source, batches)
  empty = {k: np.zeros_like(v) for k, v in filled.items()}
  reads = [{"x": x.reshape(1, 784)} for x in check_inputs()]
  return {"infer": ({**trainable, **filled}, lambda r: check_runs(name, r, "inference", reads, predicted)),
          "explain": ({**trainable, **filled}, lambda r: check_runs(name, r, "explain graph", reads, explained)),
          "store": ({**trainable, **empty}, lambda r: check_runs(name, r, "memory store", stored_examples(name), stored, filled)),
          "train": (trainable, lambda r: check_training(name, r, batches, losses, trained))}

def check_training(name:str, replay, batches:list, losses:list, state:dict) -> float:
  got = [replay(b)["loss"] for b in batches]
  errors = {f"loss of step {i + 1}": error_of(g, l) for i, (g, l) in enumerate(zip(got, losses))}
  errors |= {f"'{k}' after {len(batches)} steps": error_of(v, state[k].reshape(-1)) for k, v in replay.state().items()}
  worst = max(errors, key=errors.get)
  if not errors[worst] <= TOLERANCE:
    raise ExportError(f"{name}: exported {replay.graph['target']} training step differs from tinygrad's own step on CPU in the {worst} by "
                      f"{errors[worst]:.2e} (> {TOLERANCE}); nothing written")
  return errors[worst]

"""The functions the page runs, per model, as export_webgpu.py captures them: each builder loads the weights and gives
(fn, example inputs, the state that lives between calls) for graph.graph_of, on the device it is called on."""
import pathlib
from tinygrad import Tensor, dtypes, nn
from digits.models import load_model
from digits.export import finetune, memory
from digits.export.explain import make_explain

TARGETS = ("webgpu", "wasm")
# How tinygrad writes each graph's C kernels for WebAssembly: inference and explain as plain loops (NOOPT), which clang
# vectorizes with several accumulators and which ran faster in Chromium than tinygrad's x86-tuned float4 code; training
# with tinygrad's own optimizations, which ran faster than plain loops there (bench/README.md has the timings)
WASM_SETTINGS = {"infer": {"NOOPT": 1}, "train": {"NOOPT": 0}, "explain": {"NOOPT": 1}, "store": {"NOOPT": 1}}
WASM_FILES = {"infer": "cpu.wasm", "train": "train.wasm", "explain": "explain.wasm", "store": "memory.wasm"}  # <name>.<this>

def example_x() -> Tensor: return Tensor.zeros(1, 784).contiguous().realize()

def inference(name:str, source:pathlib.Path|dict):
  """The prediction: the network and the person's memory (memory.py)."""
  model, mem = load_model(name, source), memory.empty_memory(name)
  return memory.make_predict(model, name, mem), {"x": example_x()}, {**nn.state.get_state_dict(model), **mem}

def training(name:str, source:pathlib.Path|dict):
  model, recipe = load_model(name, source), finetune.RECIPES[name]
  opt = finetune.make_optimizer(model, recipe)
  return finetune.make_step(model, opt, recipe), finetune.inputs(recipe["batch"]), finetune.training_state(model, opt)

def explaining(name:str, source:pathlib.Path|dict):
  model, mem = load_model(name, source), memory.empty_memory(name)
  return make_explain(model, name, mem), {"x": example_x()}, {**nn.state.get_state_dict(model), **mem}

def storing(name:str, source:pathlib.Path|dict):
  """The step that puts a taught drawing into the memory."""
  model, mem = load_model(name, source), memory.empty_memory(name)
  index = lambda: Tensor.zeros(1, dtype=dtypes.int32).contiguous().realize()
  inputs = {"x": example_x(), "y": index(), "row": index()}
  return memory.make_store(model, name, mem), inputs, {**nn.state.get_state_dict(model), **mem}

GRAPHS = {"infer": inference, "train": training, "explain": explaining, "store": storing}

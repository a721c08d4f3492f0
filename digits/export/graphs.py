"""The functions the page runs, per model, as export_webgpu.py captures them: each builder loads the weights and gives
(fn, example inputs, the state that lives between calls) for graph.graph_of, on the device it is called on."""
import pathlib
from tinygrad import Tensor, nn
from digits.models import load_model
from digits.export import finetune
from digits.export.explain import make_explain

TARGETS = ("webgpu", "wasm")
# How tinygrad writes each graph's C kernels for WebAssembly: inference and explain as plain loops (NOOPT), which clang
# vectorizes with several accumulators and which ran faster in Chromium than tinygrad's x86-tuned float4 code; training
# with tinygrad's own optimizations, which ran faster than plain loops there (bench/README.md has the timings)
WASM_SETTINGS = {"infer": {"NOOPT": 1}, "train": {"NOOPT": 0}, "explain": {"NOOPT": 1}}
WASM_FILES = {"infer": "cpu.wasm", "train": "train.wasm", "explain": "explain.wasm"}  # <name>.<this>

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

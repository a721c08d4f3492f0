import json, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import run_script
import export_webgpu
from digits import compact_weights
from digits.export import finetune, memory, wasm as wasm_kernels
from digits.export.check import ExportError

def module_value(path, name:str):
  """The JSON value of `export const <name> = ...;` in a generated module."""
  return json.loads(re.search(rf"^export const {name} = (.*?);$", path.read_text(), re.M).group(1))

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_export_writes_checked_modules_and_weights(exported_site, name):
  site, _, weights_dir, run = exported_site
  assert re.search(rf"{name}: weights int4 \(no accuracy gate \(WEIGHTS_GATE=0\)\); "
                   r"kernels \(WebGPU and WebAssembly\) (\d+) and \1 to predict, (\d+) and \2 to store a taught drawing, "
                   r"(\d+) and \3 for a training step, (\d+) and \4 to explain; largest difference", run.stdout)
  folder = site / name
  trained = {k: v.numpy() for k, v in nn.state.safe_load(str(weights_dir / f"{name}.safetensors")).items()}
  scheme = json.loads((folder / f"{name}.metrics.json").read_text())["compact_weights"]["scheme"]
  assert (folder / f"{name}.weights.safetensors.gz").read_bytes() == compact_weights.encode(trained, scheme)
  sizes = {k: v.size * 4 for k, v in trained.items()}
  memory_state = {"memory.keys": memory.CAPACITY * memory.width(name) * 4, "memory.classes": memory.CAPACITY * 10 * 4}
  for module in (f"{name}.js", f"{name}.cpu.js"):
    graph = module_value(folder / module, "graph")
    assert [i["name"] for i in graph["inputs"]] == ["x"]
    assert [o["name"] for o in graph["outputs"]] == ["logits", "scores", "bonus", "nearest", "similarity"]  # logits first: the loader API's
    assert state_sizes(graph, "weights") == sizes and state_sizes(graph, 0.0) == memory_state
  assert all("@compute" in k["code"] for k in module_value(folder / f"{name}.js", "graph")["kernels"])
  state, graphs = module_value(folder / f"{name}.train.js", "state"), both_graphs(folder / f"{name}.train.js")
  assert {s["name"] for s in state if s["init"] == "weights"} == set(sizes)
  assert {s["name"]: s["init"] for s in state if s["name"].startswith("adam.") and not s["name"].startswith(("adam.m.", "adam.v."))} == \
         {"adam.b1_t": 1.0, "adam.b2_t": 1.0, "adam.lr": pytest.approx(finetune.RECIPES[name]["lr"])}
  for graph in graphs.values():
    assert [i["name"] for i in graph["inputs"]] == ["x", "y", "noise"] and [o["name"] for o in graph["outputs"]] == ["loss"]
    assert {b["name"] for b in graph["buffers"] if b["kind"] == "state"} == {s["name"] for s in state} - set(memory_state)
  assert module_value(folder / f"{name}.memory.js", "memory") == {"capacity": memory.CAPACITY, "exact": memory.EXACT, **memory.SETTINGS[name]}
  for graph in both_graphs(folder / f"{name}.memory.js").values():
    assert [(i["name"], i["dtype"]) for i in graph["inputs"]] == [("x", "F32"), ("y", "I32"), ("row", "I32")]
    assert [o["name"] for o in graph["outputs"]] == ["keys"]
    # the weights the embedding needs (not the last layer's), and the memory it writes
    assert state_sizes(graph, "weights").items() < sizes.items() and state_sizes(graph, 0.0) == memory_state
  for wasm in (f"{name}.cpu.wasm", f"{name}.train.wasm", f"{name}.explain.wasm", f"{name}.memory.wasm"):
    module = (folder / wasm).read_bytes()
    assert module[:4] == b"\0asm" and 11 not in wasm_kernels.sections(module), "a module with data of its own would overwrite another's"

def state_sizes(graph:dict, init) -> dict[str, int]:
  """{name: bytes} of the graph's state buffers that start as `init` says ("weights", or a number)."""
  return {b["name"]: b["size"] for b in graph["buffers"] if b["kind"] == "state" and b["init"] == init}

def both_graphs(path) -> dict:
  """`export const graphs = {webgpu: ..., wasm: ...};` of a generated module."""
  return json.loads(re.search(r"^export const graphs = \{webgpu: (.*), wasm: (.*)\};$", path.read_text(), re.M).expand(r'{"webgpu": \1, "wasm": \2}'))

def test_missing_weights_name_the_training_command(tmp_path):
  r = run_script("export_webgpu.py", {"WEIGHTS_DIR": str(tmp_path), "OUT_DIR": str(tmp_path / "out")}, "convnet")
  assert r.returncode != 0 and "python mnist_convnet.py" in r.stderr and not (tmp_path / "out").exists()

def test_unknown_model_is_refused(tmp_path):
  r = run_script("export_webgpu.py", {"OUT_DIR": str(tmp_path / "out")}, "resnet")
  assert r.returncode != 0 and "unknown model 'resnet'" in r.stderr

def test_weights_of_the_wrong_shape_name_the_tensor(tmp_path, trained):
  state = nn.state.safe_load(str(trained["cnn"][0] / "cnn.safetensors"))
  state["c2.weight"] = Tensor.zeros(16, 8, 5, 5).contiguous()
  nn.state.safe_save({k: v.to("CPU") for k, v in state.items()}, str(tmp_path / "cnn.safetensors"))
  r = run_script("export_webgpu.py", {"WEIGHTS_DIR": str(tmp_path), "OUT_DIR": str(tmp_path / "out")}, "cnn")
  assert r.returncode != 0 and "c2.weight" in r.stderr and "(16, 8, 5, 5)" in r.stderr and not (tmp_path / "out").exists()

def wrong_launch(graph:dict) -> dict:
  """The kernel of the most workgroups launched with one: it then computes only the start of its output (the last
  kernel may be a single workgroup's)."""
  max(graph["kernels"], key=lambda k: np.prod(k["workgroups"]))["workgroups"] = [1, 1, 1]
  return graph

def last_kernel_dropped(graph:dict) -> dict:
  """The graph without its last kernel: in a training step, one tensor of the update is never written."""
  graph["kernels"] = graph["kernels"][:-1]
  return graph

@pytest.mark.parametrize("kind,target,spoil,message", [
  ("infer", "webgpu", wrong_launch, "exported webgpu inference differs from tinygrad on CPU"),
  ("infer", "wasm", last_kernel_dropped, "exported wasm inference differs from tinygrad on CPU"),
  ("train", "webgpu", last_kernel_dropped, "exported webgpu training step differs from tinygrad's own step on CPU"),
  ("train", "wasm", last_kernel_dropped, "exported wasm training step differs from tinygrad's own step on CPU"),
  ("explain", "webgpu", last_kernel_dropped, "exported webgpu explain graph differs from tinygrad on CPU"),
  ("explain", "wasm", last_kernel_dropped, "exported wasm explain graph differs from tinygrad on CPU"),
  ("store", "webgpu", wrong_launch, "exported webgpu memory store differs from tinygrad on CPU"),
  ("store", "wasm", last_kernel_dropped, "exported wasm memory store differs from tinygrad on CPU"),
])
def test_a_wrong_kernel_is_caught_and_nothing_is_written(tmp_path, trained, monkeypatch, kind, target, spoil, message):
  real, builders = export_webgpu.graph_of, export_webgpu.GRAPHS
  def spoiled(t, build, **settings):
    graph = real(t, build, **settings)
    return spoil(graph) if t == target and build.func is builders[kind] else graph
  monkeypatch.setattr(export_webgpu, "graph_of", spoiled)
  with pytest.raises(ExportError, match=message): export_webgpu.export("cnn", trained["cnn"][0], tmp_path / "out")
  assert not list((tmp_path / "out").rglob("*.*"))

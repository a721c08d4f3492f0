import copy, json, pathlib, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import ROOT, run_script
import export_webgpu
from digits import compact_weights
from digits.export import check, finetune, memory, wasm as wasm_kernels
from digits.export.check import ExportError
from digits.export.site_files import LIST_FILE, list_source, site_list
from digits.export.dawn import DawnReplay
from digits.export.graphs import GRAPHS, TARGETS, WASM_FILES
from digits.export.wasm import WasmReplay

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

def test_the_export_writes_the_service_workers_list_of_what_it_exported(exported_site):
  site, _, _, run = exported_site
  assert (site / LIST_FILE).read_text() == list_source(site_list(site)) and "files the page can request" in run.stdout

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

def test_weights_of_the_wrong_shape_name_the_tensor(tmp_path):
  state = nn.state.safe_load(str(ROOT / "models" / "cnn.safetensors"))
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

SHIPPED_CNN = ROOT / "Classifier" / "cnn"
MODULES = {"infer": ("cnn.js", "cnn.cpu.js"), "train": "cnn.train.js", "explain": "cnn.explain.js", "store": "cnn.memory.js"}

@pytest.fixture(scope="session")
def shipped_cnn() -> tuple[pathlib.Path, dict, dict, dict]:
  """The shipped CNN's graphs as its generated modules hold them (a graph's kernels do not depend on the weights' values):
  (its float32 weights, {kind: {"webgpu": graph}}, {kind: WebAssembly graph}, {kind: module bytes}). A case spoils a copy."""
  graphs, wasm = {}, {}
  for kind, module in MODULES.items():
    if kind == "infer": graph, wasm[kind] = module_value(SHIPPED_CNN / module[0], "graph"), module_value(SHIPPED_CNN / module[1], "graph")
    else: graph, wasm[kind] = both_graphs(SHIPPED_CNN / module).values()
    graphs[kind] = {"webgpu": graph}
  binaries = {kind: (SHIPPED_CNN / f"cnn.{file}").read_bytes() for kind, file in WASM_FILES.items()}
  return ROOT / "models" / "cnn.safetensors", graphs, wasm, binaries

def spoiled(shipped, kind:str, target:str, spoil) -> tuple[dict, dict, dict]:
  """Copies of the shipped graphs (and of the WebAssembly graphs that call the module's kernels) with one graph spoiled."""
  _, graphs, wasm, binaries = copy.deepcopy(shipped)
  if target == "webgpu": graphs[kind]["webgpu"] = spoil(graphs[kind]["webgpu"])
  else: wasm[kind] = spoil(wasm[kind])
  return graphs, wasm, binaries

SPOILS = [
  ("infer", "webgpu", wrong_launch, "exported webgpu inference differs from tinygrad on CPU"),
  ("infer", "wasm", last_kernel_dropped, "exported wasm inference differs from tinygrad on CPU"),
  ("train", "webgpu", last_kernel_dropped, "exported webgpu training step differs from tinygrad's own step on CPU"),
  ("train", "wasm", last_kernel_dropped, "exported wasm training step differs from tinygrad's own step on CPU"),
  ("explain", "webgpu", last_kernel_dropped, "exported webgpu explain graph differs from tinygrad on CPU"),
  ("explain", "wasm", last_kernel_dropped, "exported wasm explain graph differs from tinygrad on CPU"),
  ("store", "webgpu", wrong_launch, "exported webgpu memory store differs from tinygrad on CPU"),
  ("store", "wasm", last_kernel_dropped, "exported wasm memory store differs from tinygrad on CPU"),
]

@pytest.fixture(scope="session")
def cnn_references(shipped_cnn) -> dict:
  """What check.check_graphs compares each graph with, computed once."""
  return check.references("cnn", shipped_cnn[0])

@pytest.mark.parametrize("kind,target,spoil,message", SPOILS)
def test_the_check_catches_a_wrong_kernel(shipped_cnn, cnn_references, kind, target, spoil, message):
  """The check of one graph on one target, on a spoiled copy of the shipped graph (check_graphs runs it for each)."""
  graphs, wasm, binaries = spoiled(shipped_cnn, kind, target, spoil)
  state, check_against_tinygrad = cnn_references[kind]
  with pytest.raises(ExportError, match=message): check_against_tinygrad(replay_of(graphs, wasm, binaries, kind, target, state))

def replay_of(graphs:dict, wasm:dict, binaries:dict, kind:str, target:str, state:dict):
  return DawnReplay(graphs[kind]["webgpu"], state) if target == "webgpu" else WasmReplay(wasm[kind], binaries[kind], state)

@pytest.mark.parametrize("kind,target", [(kind, target) for kind in GRAPHS for target in TARGETS])
def test_the_shipped_graphs_pass_the_same_checks(shipped_cnn, cnn_references, kind, target):
  state, check_against_tinygrad = cnn_references[kind]
  assert check_against_tinygrad(replay_of(*shipped_cnn[1:], kind, target, state)) <= check.TOLERANCE

def test_a_wrong_kernel_stops_the_export_before_anything_is_written(tmp_path, shipped_cnn, cnn_references, monkeypatch):
  """The export itself, its graphs the shipped ones with the store step's WebGPU graph spoiled: it raises, and writes nothing.
  Its check compares with the references computed once for this session (the same weights, the same computation)."""
  graphs, wasm, binaries = spoiled(shipped_cnn, "store", "webgpu", wrong_launch)
  kind_of = {builder: kind for kind, builder in GRAPHS.items()}
  # the WebAssembly graphs come already built: graph_of gives the kind, which build_wasm looks up
  captured = lambda target, build, **settings: graphs[kind_of[build.func]]["webgpu"] if target == "webgpu" else kind_of[build.func]
  monkeypatch.setattr(export_webgpu, "graph_of", captured)
  monkeypatch.setattr(export_webgpu, "build_wasm", lambda kind: (wasm[kind], binaries[kind]))
  monkeypatch.setattr(check, "references", lambda name, source: cnn_references)
  with pytest.raises(ExportError, match="exported webgpu memory store differs"):
    export_webgpu.export("cnn", shipped_cnn[0].parent, tmp_path / "out", scheme="f32", gate=False)
  assert not list((tmp_path / "out").rglob("*.*"))

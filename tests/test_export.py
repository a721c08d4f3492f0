import copy, functools, json, pathlib, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import run_script
import export_webgpu
from digits import compact_weights
from digits.export import check, finetune, memory, wasm as wasm_kernels
from digits.export.check import ExportError
from digits.export.dawn import DawnReplay
from digits.export.graph import graph_of
from digits.export.graphs import GRAPHS, TARGETS, WASM_SETTINGS
from digits.export.wasm import WasmReplay, build as build_wasm

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

@pytest.fixture(scope="session")
def cnn_capture(trained) -> tuple[pathlib.Path, dict, dict, dict]:
  """The trained CNN's graphs as export_webgpu.export captures them, once for the session: (weights, graphs, wasm
  graphs, wasm binaries). A case spoils a copy."""
  source = trained["cnn"][0] / "cnn.safetensors"
  graphs = {kind: {t: graph_of(t, functools.partial(builder, "cnn", source), **(WASM_SETTINGS[kind] if t == "wasm" else {})) for t in TARGETS}
            for kind, builder in GRAPHS.items()}
  built = {kind: build_wasm(graphs[kind]["wasm"]) for kind in graphs}
  return source, graphs, {k: v[0] for k, v in built.items()}, {k: v[1] for k, v in built.items()}

def spoiled(capture, kind:str, target:str, spoil) -> tuple[dict, dict, dict]:
  """Copies of the captured graphs (and the WebAssembly built from them) with one graph spoiled."""
  _, graphs, wasm, binaries = capture
  graphs, wasm, binaries = copy.deepcopy(graphs), dict(wasm), dict(binaries)
  graphs[kind][target] = spoil(graphs[kind][target])
  if target == "wasm": wasm[kind], binaries[kind] = build_wasm(graphs[kind]["wasm"])
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
def cnn_references(cnn_capture) -> dict:
  """What check.check_graphs compares each graph with, computed once: {kind: (the state its replay starts from, check(replay))}."""
  source = cnn_capture[0]
  trainable, batches = check.initial_state("cnn", source), check.check_batches(finetune.RECIPES["cnn"]["batch"])
  stored, filled = check.reference_memory("cnn", source)
  predicted, explained = check.reference_reads("cnn", source, filled)
  losses, trained = check.reference_steps("cnn", source, batches)
  reads, empty = [{"x": x.reshape(1, 784)} for x in check.check_inputs()], {k: np.zeros_like(v) for k, v in filled.items()}
  return {"infer": ({**trainable, **filled}, lambda r: check.check_runs("cnn", r, "inference", reads, predicted)),
          "explain": ({**trainable, **filled}, lambda r: check.check_runs("cnn", r, "explain graph", reads, explained)),
          "store": ({**trainable, **empty}, lambda r: check.check_runs("cnn", r, "memory store", check.stored_examples("cnn"), stored, filled)),
          "train": (trainable, lambda r: check.check_training("cnn", r, batches, losses, trained))}

@pytest.mark.parametrize("kind,target,spoil,message", SPOILS)
def test_the_check_catches_a_wrong_kernel(cnn_capture, cnn_references, kind, target, spoil, message):
  """The check of one graph on one target, on a spoiled copy of the captured graph (check_graphs runs it for each)."""
  graphs, wasm, binaries = spoiled(cnn_capture, kind, target, spoil)
  state, check_against_tinygrad = cnn_references[kind]
  with pytest.raises(ExportError, match=message): check_against_tinygrad(replay_of(graphs, wasm, binaries, kind, target, state))

def replay_of(graphs:dict, wasm:dict, binaries:dict, kind:str, target:str, state:dict):
  return DawnReplay(graphs[kind]["webgpu"], state) if target == "webgpu" else WasmReplay(wasm[kind], binaries[kind], state)

@pytest.mark.parametrize("kind,target", [(kind, target) for kind in GRAPHS for target in TARGETS])
def test_the_captured_graphs_pass_the_same_checks(cnn_capture, cnn_references, kind, target):
  state, check_against_tinygrad = cnn_references[kind]
  assert check_against_tinygrad(replay_of(*cnn_capture[1:], kind, target, state)) <= check.TOLERANCE

def test_a_wrong_kernel_stops_the_export_before_anything_is_written(tmp_path, cnn_capture, monkeypatch):
  """The export itself, its graphs the captured ones with the store step's WebGPU graph spoiled: it raises, and writes nothing."""
  graphs = spoiled(cnn_capture, "store", "webgpu", wrong_launch)[0]
  kind_of = {builder: kind for kind, builder in GRAPHS.items()}
  monkeypatch.setattr(export_webgpu, "graph_of", lambda t, build, **settings: copy.deepcopy(graphs[kind_of[build.func]][t]))
  with pytest.raises(ExportError, match="exported webgpu memory store differs"): export_webgpu.export("cnn", cnn_capture[0].parent, tmp_path / "out")
  assert not list((tmp_path / "out").rglob("*.*"))

import json, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import run_script
import export_webgpu
from export_webgpu import ExportError

def graph_of(module_path) -> dict:
  return json.loads(re.search(r"export const graph = (\{.*?\});\n", module_path.read_text(), re.S).group(1))

@pytest.mark.parametrize("name,kernels", [("mlp", 3), ("cnn", 3)])
def test_export_writes_a_checked_module_and_weights(exported_site, name, kernels):
  site, _, weights_dir, run = exported_site
  assert re.search(rf"{name}: {kernels} kernels, max error \S+ vs CPU", run.stdout)
  graph = graph_of(site / name / f"{name}.js")
  assert len(graph["kernels"]) == kernels and all("@compute" in k["code"] for k in graph["kernels"])
  kinds = [b["kind"] for b in graph["buffers"]]
  assert kinds.count("input") == 1 and kinds.count("output") == 1
  state = nn.state.safe_load(str(site / name / f"{name}.webgpu.safetensors"))
  trained = nn.state.safe_load(str(weights_dir / f"{name}.safetensors"))
  assert {b["name"]: b["size"] for b in graph["buffers"] if b["kind"] == "state"} == {k: v.numel() * 4 for k, v in state.items()}
  for k in trained: np.testing.assert_array_equal(state[k].numpy(), trained[k].numpy())

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

def test_a_wrong_kernel_is_caught_and_nothing_is_written(tmp_path, trained, monkeypatch):
  real = export_webgpu.kernel_graph
  def with_one_output_missed(*args):
    graph = real(*args)
    graph["kernels"][-1]["workgroups"] = [1, 1, 1]  # the last kernel then computes only its first logits
    return graph
  monkeypatch.setattr(export_webgpu, "kernel_graph", with_one_output_missed)
  with pytest.raises(ExportError, match="differ from tinygrad on CPU"): export_webgpu.export("cnn", trained["cnn"][0], tmp_path / "out")
  assert not list((tmp_path / "out").rglob("*.*"))

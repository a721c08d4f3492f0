import json, pathlib
import pytest
from tinygrad import Tensor, nn
from conftest import run_script, ROOT
from models import MODELS, load_model
from training import augment, read_settings, Settings
from mnist_convnet import DEFAULTS

def test_parameter_counts_and_output_shapes():
  assert {n: sum(p.numel() for p in nn.state.get_parameters(m())) for n, m in MODELS.items()} == {"mlp": 669706, "cnn": 5258}
  for model in MODELS.values(): assert model()(Tensor.rand(3, 784)).shape == (3, 10)

def settings(**changes) -> Settings: return Settings(**{**{k.lower(): v for k, v in DEFAULTS.items()}, **changes})

def test_augmentation_without_parameters_is_identity():
  x = Tensor.rand(4, 28, 28).realize()
  for sampling in ("nearest", "bilinear"):
    assert (augment(x, settings(angle=0, scale=0, shift=0, sampling=sampling)) - x).abs().max().item() < 1e-5

def test_augmentation_shapes_ranges_and_motion():
  x = Tensor.zeros(8, 28, 28).contiguous()
  x[:, 10:18, 12:16] = 1
  y = augment(x.realize(), settings(angle=30, scale=0.2, shift=3)).realize()
  assert y.shape == (8, 28, 28) and y.min().item() >= 0 and y.max().item() <= 1 + 1e-6
  assert (y - x).abs().sum().item() > 10, "a large augmentation left the images unchanged"

@pytest.mark.parametrize("name,value", [("STEPS", "abc"), ("BATCH", "0"), ("LR", "-1"), ("SAMPLING", "7"), ("LR_DECAY", "2"), ("ANGLE", "nan")])
def test_bad_setting_exits_2_and_writes_nothing(tmp_path, name, value):
  r = run_script("mnist_convnet.py", {name: value, "WEIGHTS_DIR": str(tmp_path / "out")})
  assert r.returncode == 2
  lines = r.stderr.strip().splitlines()
  assert len(lines) == 1 and name in lines[0] and repr(value) in lines[0] and "expected" in lines[0]
  assert not (tmp_path / "out").exists()

def test_extra_data_that_is_not_pen_digits_exits_2(tmp_path):
  (bad := tmp_path / "pen.npz").write_bytes(b"not an npz")
  r = run_script("mnist_convnet.py", {"EXTRA_DATA": str(bad), "WEIGHTS_DIR": str(tmp_path / "out"), "STEPS": "1"})
  assert r.returncode == 2 and "EXTRA_DATA" in r.stderr and str(bad) in r.stderr and not (tmp_path / "out").exists()

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_short_training_learns_and_writes_valid_outputs(trained, mnist_dir, name):
  out, run = trained[name]
  metrics = json.loads((out / f"{name}.json").read_text())
  losses = metrics["history"]["loss"]
  assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 * 0.8, "the loss did not go down"
  assert metrics["best_test_accuracy"] > 50 and metrics["steps"] == 30 and metrics["settings"]["batch"] == 64
  assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
  assert str(out / f"{name}.safetensors") in run.stdout and "test" in run.stderr
  load_model(name, out / f"{name}.safetensors")  # the right tensors, shapes and dtypes
  assert not list(out.glob("*.tmp")), "a temporary file was left behind"

import hashlib, json, math, time
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import run_script
from digits.models import MODELS, load_model
from digits.training.augment import augment, sample
from digits.training.loop import make_train_step
from digits.training.settings import Settings, read_settings
from mnist_convnet import DEFAULTS
from digits.data.mnist import FILES
from digits.data import pendigits

# PEN_REPEAT 2: one copy of the pen digits varied stroke by stroke, where the defaults render more (seconds each)
SHORT_TRAINING = {"STEPS": "50", "BATCH": "64", "EVAL_EVERY": "10", "PEN_REPEAT": "2"}
# The MLP's run from the defaults (every pen writer); the CNN's leaves writers 21-30 out and scores them
RUNS = {"mlp": ("mnist_mlp.py", {}), "cnn": ("mnist_convnet.py", {"PEN_WRITERS": "1-20"})}

@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_dir) -> dict:
  """Both training scripts run for real, briefly, on real MNIST: {model name: (weights dir, completed process)}."""
  out = tmp_path_factory.mktemp("weights")
  runs = {name: run_script(script, {**SHORT_TRAINING, **env, "WEIGHTS_DIR": str(out), "MNIST_DIR": str(mnist_dir)})
          for name, (script, env) in RUNS.items()}
  for name, r in runs.items(): assert r.returncode == 0, f"{name} training failed:\n{r.stderr[-3000:]}"
  return {name: (out, r) for name, r in runs.items()}
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

def bilinear_reference(img:np.ndarray, x:float, y:float) -> float:
  """img read at (x, y) in pixel units, bilinear, 0 outside: written out plainly, one point at a time."""
  x0, y0, total = math.floor(x), math.floor(y), 0.0
  for cy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
    for cx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
      if 0 <= cx <= 27 and 0 <= cy <= 27: total += wx * wy * img[cy, cx]
  return total

def test_sampling_is_bilinear_with_blank_outside():
  rng = np.random.default_rng(0)
  img = rng.random((2, 28, 28), dtype=np.float32)
  sx, sy = rng.uniform(-3, 30, (2, 784, 1)).astype(np.float32), rng.uniform(-3, 30, (2, 784, 1)).astype(np.float32)
  got = sample(Tensor(img), Tensor(sx), Tensor(sy), "bilinear").numpy()
  want = np.array([[bilinear_reference(img[n], sx[n, i, 0], sy[n, i, 0]) for i in range(784)] for n in range(2)])
  np.testing.assert_allclose(got, want, atol=1e-5)
  nearest = sample(Tensor(img), Tensor(sx), Tensor(sy), "nearest").numpy()
  want = np.array([[bilinear_reference(img[n], round(sx[n, i, 0]), round(sy[n, i, 0])) for i in range(784)] for n in range(2)])
  np.testing.assert_allclose(nearest, want, atol=1e-6)

def test_cosine_schedule_runs_on_the_device_inside_the_jitted_step():
  s, model = settings(steps=8, batch=8), MODELS["mlp"]()
  opt = nn.optim.Adam(nn.state.get_parameters(model), lr=s.lr)
  step = make_train_step(model, opt, Tensor.rand(32, 28, 28).realize(), Tensor.randint(32, high=10).realize(), s)
  for i in range(s.steps):
    step().item()
    assert opt.lr.item() == pytest.approx(s.lr * 0.5 * (1 + math.cos(math.pi * i / s.steps)), rel=1e-5)

def refusal(environ, capsys, name:str, value:str) -> str:
  """The one line read_settings prints for `name`=`value` before exiting 2."""
  environ.setenv(name, value)
  with pytest.raises(SystemExit) as exited: read_settings(DEFAULTS)
  assert exited.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1, lines
  return lines[0]

@pytest.mark.parametrize("name,value", [("STEPS", "abc"), ("BATCH", "0"), ("LR", "-1"), ("SAMPLING", "7"), ("LR_DECAY", "2"), ("ANGLE", "nan"),
                                        ("SCHEDULE", "linear")])
def test_a_bad_setting_is_refused_in_one_line_naming_it(environ, capsys, name, value):
  line = refusal(environ, capsys, name, value)
  assert name in line and repr(value) in line and "expected" in line

@pytest.mark.parametrize("value", ["31-40", "0", "20-1", "all", "1-4,40", "1-,3"])
def test_pen_writers_outside_the_data_are_refused(environ, capsys, value):
  line = refusal(environ, capsys, "PEN_WRITERS", value)
  assert "PEN_WRITERS" in line and repr(value) in line

def test_settings_from_env_vars_and_defaults(environ):
  for name, value in {"STEPS": "7", "LR": "0.5", "PEN_WRITERS": "1-4,9,12-30", "SCHEDULE": "plateau"}.items(): environ.setenv(name, value)
  s = read_settings(DEFAULTS)
  assert (s.steps, s.lr, s.pen_writers, s.schedule, s.batch) == (7, 0.5, "1-4,9,12-30", "plateau", DEFAULTS["BATCH"])

def test_a_script_with_a_bad_setting_exits_2_in_one_line_and_writes_nothing(tmp_path):
  r = run_script("mnist_convnet.py", {"STEPS": "abc", "WEIGHTS_DIR": str(tmp_path / "out")})
  lines = r.stderr.strip().splitlines()
  assert r.returncode == 2 and len(lines) == 1 and "STEPS" in lines[0] and "'abc'" in lines[0] and "expected" in lines[0]
  assert not (tmp_path / "out").exists()

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_short_training_learns_and_writes_valid_outputs(trained, mnist_dir, name):
  """The defaults train on MNIST less a validation split plus every pen writer (the CNN's run here: writers 1-20); the
  checkpoint is chosen on the validation digits and the test set is read once, at the end, for the metrics file."""
  out, run = trained[name]
  metrics = json.loads((out / f"{name}.json").read_text())
  losses = metrics["history"]["loss"]
  assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 * 0.8, "the loss did not go down"
  assert metrics["validation_accuracy"] == max(metrics["history"]["val_acc"]) > 50 and 50 < metrics["test_accuracy"] <= 100
  writers = RUNS[name][1].get("PEN_WRITERS", "1-30")
  assert metrics["settings"] | {"steps": 50, "batch": 64, "eval_every": 10} == metrics["settings"] and metrics["settings"]["pen_writers"] == writers
  pen_digits = {"1-30": "7,494", "1-20": "4,996"}[writers]
  assert metrics["data"].startswith(f"55,000 MNIST training digits + {pen_digits} pen digits of writers {writers}")
  assert "5,000 MNIST training digits held out" in metrics["data"] and "x2 (all but the first copy varied stroke by stroke" in metrics["data"]
  assert set(metrics["data_sha256"]) == {*FILES, "data/pendigits/pendigits.npz"}
  assert metrics["data_sha256"]["data/pendigits/pendigits.npz"] == pendigits.SHA256
  assert metrics["weights_sha256"] == hashlib.sha256((out / f"{name}.safetensors").read_bytes()).hexdigest()
  script = RUNS[name][0]
  assert metrics["command"].endswith(f"python {script}") and "STEPS=50" in metrics["command"] and metrics["device"] == "CPU"
  assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
  assert str(out / f"{name}.safetensors") in run.stdout and "validation" in run.stderr
  assert f"{name} on CPU: 55,000 MNIST training digits" in run.stdout, "the run does not say what it trains on"
  load_model(name, out / f"{name}.safetensors")  # the right tensors, shapes and dtypes
  assert not list(out.glob("*.tmp")), "a temporary file was left behind"

def test_leaving_pen_writers_out_reports_their_accuracy(trained):
  out, r = trained["cnn"]
  metrics = json.loads((out / "cnn.json").read_text())
  assert "writers 1-20" in metrics["data"] and 10 < metrics["pen_heldout_accuracy"] <= 100
  assert sorted(map(int, metrics["pen_heldout_writers"])) == list(range(21, 31)) and metrics["pen_heldout_digits"] == 2498
  assert f"pen digits of writers left out {metrics['pen_heldout_accuracy']:.2f}%" in r.stdout

def test_same_seed_gives_the_same_weights_in_a_later_run(trained, mnist_dir, tmp_path):
  out, _ = trained["mlp"]
  time.sleep(1.1)  # tinygrad's own seed is the clock's second: a later run must not depend on it
  r = run_script("mnist_mlp.py", {**SHORT_TRAINING, "WEIGHTS_DIR": str(tmp_path), "MNIST_DIR": str(mnist_dir)})
  assert r.returncode == 0, r.stderr[-3000:]
  assert (tmp_path / "mlp.safetensors").read_bytes() == (out / "mlp.safetensors").read_bytes()

"""The models the page ships: the right architecture, and what they read of all 10,000 MNIST test digits."""
import hashlib, json, pathlib, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import ROOT
from digits.models import load_model, shipped_weights, MODELS
from digits.data.mnist import FILES, load_mnist
import mnist_convnet, mnist_mlp
from digits.data import pendigits

SCRIPTS = {"mlp": mnist_mlp, "cnn": mnist_convnet}

# % of the MNIST test set, for each model. The cross-validated recipes (issue 16) give some
# of MNIST's styles for strangers' handwriting (Classifier/HYPERPARAMETERS.md), so this floor catches a broken model,
# and the metrics file's own record must be what the weights read.
FLOOR = 98.5

def shipped(name:str):
  return shipped_weights(name)

@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_weights_fit_the_architecture_and_the_module(name):
  model = load_model(name, shipped(name))  # refuses a missing, extra or misshapen tensor
  module = (ROOT / "Classifier" / name / f"{name}.js").read_text()
  graph = json.loads(re.search(r"export const graph = (\{.*?\});\n", module, re.S).group(1))
  expected = {k: v.numel() * 4 for k, v in nn.state.get_state_dict(model).items()}
  assert {b["name"]: b["size"] for b in graph["buffers"] if b["kind"] == "state" and b["init"] == "weights"} == expected

@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_model_reads_the_mnist_test_set_as_its_record_says(mnist_dir, name):
  _, _, X, Y = load_mnist()
  predicted = load_model(name, shipped(name))(Tensor(X.reshape(-1, 784).astype(np.float32) / 127.5 - 1)).argmax(-1).numpy()
  accuracy = 100 * (predicted == Y).mean()
  print(f"{name}: {accuracy:.2f}% of the MNIST test set")
  metrics = json.loads((ROOT / "Classifier" / name / f"{name}.metrics.json").read_text())
  assert accuracy >= FLOOR and round(accuracy, 2) == metrics["test_accuracy"]

@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_model_comes_from_the_default_command_and_says_how(name):
  """Beside each shipped model, its metrics file: the script's default command (no variables), its settings, the
  data's checksums and the weights' sha256, the checkpoint chosen on validation digits and the test set read once."""
  metrics = json.loads((ROOT / "Classifier" / name / f"{name}.metrics.json").read_text())
  script = SCRIPTS[name]
  assert metrics["command"] == f"python {pathlib.Path(script.__file__).name}"
  assert metrics["settings"] == {k.lower(): v for k, v in script.DEFAULTS.items()}
  assert metrics["data_sha256"] == {**{f: sha for f, (sha, _) in FILES.items()}, "data/pendigits/pendigits.npz": pendigits.SHA256}
  assert metrics["weights_sha256"] == hashlib.sha256(shipped(name).read_bytes()).hexdigest()
  compact = ROOT / "Classifier" / name / f"{name}.weights.safetensors.gz"
  assert metrics["compact_weights"]["sha256"] == hashlib.sha256(compact.read_bytes()).hexdigest()
  assert metrics["test_accuracy"] >= FLOOR and metrics["validation_accuracy"] > 0 and metrics["device"] and metrics["tinygrad"] == "0.14.0"

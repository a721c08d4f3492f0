"""The models the page ships: the right architecture, and the accuracy targets on all 10,000 MNIST test digits."""
import json, re
import numpy as np
import pytest
from tinygrad import Tensor, nn
from conftest import ROOT
from models import load_model, MODELS
from mnist_data import load_mnist

TARGET = 99.0  # % of the MNIST test set, for each model

def shipped(name:str):
  return ROOT / "Classifier" / name / f"{name}.webgpu.safetensors"

@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_weights_fit_the_architecture_and_the_module(name):
  model = load_model(name, shipped(name))  # refuses a missing, extra or misshapen tensor
  module = (ROOT / "Classifier" / name / f"{name}.js").read_text()
  graph = json.loads(re.search(r"export const graph = (\{.*?\});\n", module, re.S).group(1))
  expected = {k: v.numel() * 4 for k, v in nn.state.get_state_dict(model).items()}
  assert {b["name"]: b["size"] for b in graph["buffers"] if b["kind"] == "state"} == expected

@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_model_meets_the_mnist_target(mnist_dir, name):
  _, _, X, Y = load_mnist()
  predicted = load_model(name, shipped(name))(Tensor(X.reshape(-1, 784).astype(np.float32) / 127.5 - 1)).argmax(-1).numpy()
  accuracy = 100 * (predicted == Y).mean()
  print(f"{name}: {accuracy:.2f}% of the MNIST test set")
  assert accuracy >= TARGET

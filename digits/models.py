"""The two architectures of the project's README, shared by training, export and evaluation, and their weights files."""
import pathlib
import numpy as np
from tinygrad import Tensor, nn
from digits.compact_weights import decode
from digits.files import safetensors_bytes, write_bytes_atomic

ROOT = pathlib.Path(__file__).resolve().parents[1]

class MLP:
  """784 -> 512 SiLU -> 512 SiLU -> 10 logits."""
  def __init__(self):
    self.l1, self.l2, self.l3 = nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)
  def __call__(self, x:Tensor) -> Tensor: return self.features(x)["logits"]
  def features(self, x:Tensor) -> dict[str, Tensor]:
    """The logits, what the page shows of the inside (the first layer's 512 units) and the last hidden layer."""
    # each SiLU is stored once: fused into the next matmul, tinygrad recomputed it for every output column, which made
    # that matmul and its weight gradient many times slower (Classifier/HYPERPARAMETERS.md); the values are the same
    hidden = self.l1(x.flatten(1)).silu().contiguous()
    last = self.l2(hidden).silu().contiguous()
    return {"hidden": hidden, "last_hidden": last, "logits": self.l3(last)}

class ConvNet:
  """Conv 8@3x3 ReLU, maxpool 2 -> Conv 16@3x3 ReLU, maxpool 2 -> Dense 10 (28 -> 26 -> 13 -> 11 -> 5, 16*5*5 = 400)."""
  def __init__(self):
    self.c1, self.c2, self.l1 = nn.Conv2d(1, 8, 3), nn.Conv2d(8, 16, 3), nn.Linear(400, 10)
  def __call__(self, x:Tensor) -> Tensor: return self.features(x)["logits"]
  def features(self, x:Tensor) -> dict[str, Tensor]:
    """The logits and what the page shows of the inside: each convolution's maps, after ReLU and pooling."""
    conv1 = max_pool_2x2(self.c1(x.reshape(-1, 1, 28, 28)).relu())
    conv2 = max_pool_2x2(self.c2(conv1).relu())
    return {"conv1": conv1, "conv2": conv2, "logits": self.l1(conv2.flatten(1))}

def max_pool_2x2(x:Tensor) -> Tensor:
  """max_pool2d(2) as a reshape and a max over each 2x2 block (an odd last row and column dropped, as max_pool2d does):
  the same values, but its backward pass is a plain mask, where max_pool2d's made the CNN's training step slower (Classifier/HYPERPARAMETERS.md)."""
  n, c, h, w = x.shape
  return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max((3, 5))

MODELS = {"mlp": MLP, "cnn": ConvNet}

def shipped_weights(name:str) -> pathlib.Path:
  """The float32 weights of the shipped model `name` (the page downloads them compact, from Classifier/<name>/)."""
  return ROOT / "models" / f"{name}.safetensors"

def load_model(name:str, source) -> MLP|ConvNet:
  """Builds model `name` with weights from a safetensors file (float32, or the page's compact file: compact_weights.py)
  or from {tensor name: float32 array}, refusing any tensor whose name, shape or dtype does not fit."""
  model = MODELS[name]()
  expected = nn.state.get_state_dict(model)
  found = source if isinstance(source, dict) else decode(pathlib.Path(source).read_bytes(), source, {k: v.shape for k, v in expected.items()})
  for key, param in expected.items():
    if key not in found: raise ValueError(f"{source}: tensor '{key}' is missing (expected shape {param.shape})")
    if found[key].shape != param.shape or found[key].dtype != np.float32:
      raise ValueError(f"{source}: tensor '{key}' has shape {found[key].shape} {found[key].dtype}, expected {param.shape} float32")
  if extra := sorted(set(found) - set(expected)): raise ValueError(f"{source}: unexpected tensor '{extra[0]}' for the {name} model")
  nn.state.load_state_dict(model, {k: Tensor(np.ascontiguousarray(v)) for k, v in found.items()}, verbose=False)
  return model

def save_weights(model, path:pathlib.Path) -> None:
  """safetensors, written from host copies: tinygrad's safe_save compiles CPU kernels, which a GPU box without clang lacks."""
  write_bytes_atomic(path, safetensors_bytes({k: v.numpy().astype("<f4") for k, v in nn.state.get_state_dict(model).items()}))

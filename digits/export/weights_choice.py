"""Which compact scheme (digits/compact_weights.py) a model's weights travel to the page in: the smallest whose decoded
model reads the MNIST validation digits and the pen digits within MAX_DROP point of the float32 model's accuracy.
Settings, env vars read with tinygrad's getenv (a bad value exits 2 with one line naming it):
  WEIGHTS_SCHEME  auto (default): the first of int4, int5, int6, int8, f32 (smallest first) that passes the gate; one
                  of them: that scheme, and nothing written if it fails the gate
  WEIGHTS_GATE    1 (default): the accuracy gate; 0: no gate (auto takes int4), for briefly trained models such as the
                  tests', whose many near-ties any rounding tips"""
import functools
from dataclasses import dataclass
import numpy as np
from tinygrad import Tensor
from tinygrad.helpers import Context
from digits.compact_weights import SCHEMES, decode, encode
from digits.data.training_set import rendered_pendigits, validation_split
from digits.models import load_model
from digits.data.mnist import mnist_once as mnist
from digits.export.check import ExportError
from digits.training.settings import read_env

MAX_DROP, VALIDATION = 0.05, 5000
SETS = {"validation": "MNIST validation digits", "pen": "pen digits"}  # what the gate reads, as its messages name them
RULES = {"WEIGHTS_SCHEME": (str, lambda v: v in ("auto", *SCHEMES), f"'auto' or one of {', '.join(SCHEMES)}"),
         "WEIGHTS_GATE": (int, lambda v: v in (0, 1), "0 (no accuracy gate) or 1")}

def read_weights_settings() -> tuple[str, bool]:
  """(WEIGHTS_SCHEME, WEIGHTS_GATE on?); a bad value exits 2 with one line naming it."""
  values = read_env(RULES, {"WEIGHTS_SCHEME": "auto", "WEIGHTS_GATE": 1})
  return values["WEIGHTS_SCHEME"], bool(values["WEIGHTS_GATE"])

@functools.cache
def gate_digits(validation:int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """{"validation" | "pen": (images uint8, labels)}: MNIST's validation digits (the training run's split) and every pen digit, rendered."""
  X, Y, _, _ = mnist()
  val, _ = validation_split(len(X), validation)
  pen, labels, _ = rendered_pendigits()
  return {"validation": (X[val], Y[val]), "pen": (pen, labels)}

def accuracy(model, images:np.ndarray, labels:np.ndarray, chunk:int=2500) -> float:
  """% of `images` that `model` reads as their label, on the CPU."""
  with Context(DEV="CPU"):
    right = sum(int((model(Tensor(images[i:i + chunk].reshape(-1, 784).astype(np.float32) / 127.5 - 1)).argmax(-1).numpy()
                     == labels[i:i + chunk]).sum()) for i in range(0, len(images), chunk))
  return 100 * right / len(images)

@dataclass
class Choice:
  scheme: str
  data: bytes                          # the gzipped compact file
  weights: dict[str, np.ndarray]       # what the page decodes from it, float32
  accuracy: dict[str, dict[str, float]]|None  # {what: {"float32": %, "decoded": %}}, None without the gate

def choose(name:str, weights:dict[str, np.ndarray], scheme:str, gate:bool, validation:int=VALIDATION) -> Choice:
  """The compact weights of `scheme` ("auto": the smallest that passes the gate); raises ExportError when a forced
  scheme loses more than MAX_DROP point on either set."""
  shapes, float32 = {k: v.shape for k, v in weights.items()}, None
  for candidate in SCHEMES if scheme == "auto" else (scheme,):  # f32 decodes to the weights themselves: it always passes
    data = encode(weights, candidate)
    decoded = decode(data, f"{name} {candidate} weights", shapes)
    if not gate: return Choice(candidate, data, decoded, None)
    if float32 is None:
      with Context(DEV="CPU"): model = load_model(name, weights)
      float32 = {what: accuracy(model, *d) for what, d in gate_digits(validation).items()}
    with Context(DEV="CPU"): model = load_model(name, decoded)
    result = {what: {"float32": float32[what], "decoded": accuracy(model, *d)} for what, d in gate_digits(validation).items()}
    drops = {what: r["float32"] - r["decoded"] for what, r in result.items()}
    worst = max(drops, key=drops.get)
    if drops[worst] <= MAX_DROP or candidate == "f32": return Choice(candidate, data, decoded, result)
    if scheme != "auto":
      raise ExportError(f"{name}: the {candidate} weights lose {drops[worst]:.2f} point on the {SETS[worst]} ({result[worst]['float32']:.2f}% -> "
                        f"{result[worst]['decoded']:.2f}%, more than {MAX_DROP}); nothing written (WEIGHTS_SCHEME=auto chooses one that does not)")

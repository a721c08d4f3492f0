"""How the page learns a person's handwriting: the training step it runs on WebGPU or WebAssembly (exported by
export_webgpu.py from this code), its state, and the recipe around it (chosen with bench/finetune_recipe.py).

A step takes a batch of drawings in the model's -1..1 range with their labels, warps each one a little (rotation,
zoom, shift: the person never draws a digit twice the same), and takes one Adam step on the cross-entropy."""
import math
import numpy as np
from tinygrad import Tensor, nn
from tinygrad.helpers import Context
from digits.data.mnist import mnist_once
from digits.training.augment import to_model_range, warp

# Per model: batch: images per step, of which `personal` are the person's examples (drawn with replacement; the newest
# always among them) and the rest ordinary digits from the replay sample, so that the model keeps reading everyone else;
# steps: Adam steps each time the person teaches a digit, repeated up to `rounds` times while the model still misreads
# that drawing (on the page, only while the answer still comes within about a second: js/learning/learner.js); lr: Adam's;
# angle (degrees), scale, shift (px): the warp's ranges; replay: how many ordinary digits (MNIST training images) the
# page fetches to mix in. Chosen on writers 1-10 with models trained on pen writers 11-30 (bench/finetune_recipe.py;
# Classifier/HYPERPARAMETERS.md has the sweep).
RECIPES = {
  "mlp": {"batch": 16, "personal": 8, "steps": 6, "rounds": 4, "lr": 1e-4, "angle": 10.0, "scale": 0.1, "shift": 1.5, "replay": 1024},
  "cnn": {"batch": 16, "personal": 6, "steps": 6, "rounds": 4, "lr": 1e-4, "angle": 10.0, "scale": 0.1, "shift": 1.5, "replay": 1024},
}
NOISE = 4  # uniform -1..1 numbers per image that drive its warp: rotation, zoom, shift in x, shift in y

def make_step(model, opt, recipe:dict):
  """step(x (B,784) in -1..1, y (B,) int32, noise (B,NOISE) in -1..1) -> {"loss": (1,)}; updates weights and opt."""
  def step(x:Tensor, y:Tensor, noise:Tensor) -> dict[str, Tensor]:
    with Context(TRAINING=1):
      opt.zero_grad()
      r = noise.reshape(-1, NOISE, 1, 1)
      ink = warp(((x + 1) / 2).reshape(-1, 28, 28), r[:, 0] * (recipe["angle"] * math.pi / 180), 1 + r[:, 1] * recipe["scale"],
                 r[:, 2] * recipe["shift"], r[:, 3] * recipe["shift"])
      loss = model(to_model_range(ink).reshape(-1, 784)).sparse_categorical_crossentropy(y).backward()
      opt.step()
      return {"loss": loss.reshape(1)}
  return step

def make_optimizer(model, recipe:dict) -> nn.optim.Optimizer:
  return nn.optim.Adam(list(nn.state.get_state_dict(model).values()), lr=recipe["lr"])

def training_state(model, opt) -> dict[str, Tensor]:
  """Everything the step keeps between calls, by name: the weights (their own names), then Adam's moments and step."""
  weights = nn.state.get_state_dict(model)
  return {**weights, **{f"adam.m.{k}": m for k, m in zip(weights, opt.m)}, **{f"adam.v.{k}": v for k, v in zip(weights, opt.v)},
          "adam.b1_t": opt.b1_t, "adam.b2_t": opt.b2_t, "adam.lr": opt.lr}

def inputs(batch:int) -> dict[str, Tensor]:
  """Example inputs of the step's shapes and dtypes, for capturing it."""
  return {"x": (Tensor.rand(batch, 784) * 2 - 1).realize(), "y": Tensor.randint(batch, high=10).realize(),
          "noise": (Tensor.rand(batch, NOISE) * 2 - 1).realize()}

def replay_sample(size:int, seed:int=0) -> tuple[np.ndarray, np.ndarray]:
  """The ordinary digits the page mixes into each batch: `size` MNIST training images (uint8 (size,784)) and labels."""
  X, Y, _, _ = mnist_once()
  pick = np.random.default_rng(seed).choice(len(X), size, replace=False)
  return X[pick].reshape(-1, 784), Y[pick]

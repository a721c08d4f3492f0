"""A training run's settings, read from env vars with tinygrad's getenv; the scripts' DEFAULTS give the shipped recipe."""
import math, os, sys
from dataclasses import dataclass
from tinygrad.helpers import getenv
from digits.data.strokes import Variation
from digits.data.training_set import valid_writers

@dataclass(frozen=True)
class Settings:
  steps: int
  batch: int
  lr: float
  schedule: str
  lr_decay: float
  patience: int
  angle: float
  scale: float
  shift: float
  elastic: float
  thickness: float
  sampling: str
  seed: int
  eval_every: int
  weights_dir: str
  pen_writers: str
  pen_repeat: int
  stroke_slant: float
  stroke_aspect: float
  stroke_proportion: float
  stroke_ends: float
  stroke_wobble: float
  stroke_shift: float
  validation: int

  @property
  def variation(self) -> Variation:
    return Variation(self.stroke_slant, self.stroke_aspect, self.stroke_proportion, self.stroke_ends, self.stroke_wobble, self.stroke_shift)

# name: (type, check, what is allowed)
RULES = {
  "STEPS": (int, lambda v: v >= 1, "an integer >= 1"), "BATCH": (int, lambda v: v >= 1, "an integer >= 1"),
  "LR": (float, lambda v: 0 < v < 10, "a number in (0, 10)"),
  "SCHEDULE": (str, lambda v: v in ("cosine", "plateau"), "'cosine' (LR to 0 over STEPS) or 'plateau' (LR x LR_DECAY when validation stalls)"),
  "LR_DECAY": (float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
  "PATIENCE": (int, lambda v: v >= 1, "an integer >= 1 (evaluations without improvement before the LR decays)"),
  "ANGLE": (float, lambda v: 0 <= v <= 180, "degrees in [0, 180]"), "SCALE": (float, lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
  "SHIFT": (float, lambda v: 0 <= v <= 14, "pixels in [0, 14]"),
  "ELASTIC": (float, lambda v: 0 <= v <= 5, "pixels in [0, 5]"), "THICKNESS": (float, lambda v: 0 <= v <= 1, "a fraction in [0, 1]"),
  "SAMPLING": (str, lambda v: v in ("nearest", "bilinear"), "'nearest' or 'bilinear'"),
  "SEED": (int, lambda v: v >= 0, "an integer >= 0"), "EVAL_EVERY": (int, lambda v: v >= 1, "an integer >= 1"),
  "WEIGHTS_DIR": (str, lambda v: v != "", "a directory path"),
  "PEN_WRITERS": (str, valid_writers,
                  "'none' (MNIST alone) or pen writers 1-30 as ranges and numbers, like 1-30, 1-20 or 1-4,9,12-30"),
  "PEN_REPEAT": (int, lambda v: v >= 1, "an integer >= 1"),
  "STROKE_SLANT": (float, lambda v: 0 <= v <= 45, "degrees in [0, 45]"), "STROKE_ASPECT": (float, lambda v: 0 <= v <= 1, "a fraction in [0, 1]"),
  "STROKE_PROPORTION": (float, lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
  **{name: (float, lambda v: 0 <= v <= 0.5, "a fraction in [0, 0.5]") for name in ("STROKE_ENDS", "STROKE_WOBBLE", "STROKE_SHIFT")},
  "VALIDATION": (int, lambda v: 1000 <= v <= 20000, "an integer in [1000, 20000]"),
}

def read_env(rules:dict, defaults:dict) -> dict:
  """{name: value} of each rule {name: (kind, ok, allowed)}, from its env var (tinygrad's getenv) or `defaults`; a bad
  value exits 2 with one line naming it."""
  values = {}
  for name, (kind, ok, allowed) in rules.items():
    raw = os.environ.get(name)
    try: value = getenv(name, kind(defaults[name]))
    except ValueError: value = None
    if value is None or (kind is float and not math.isfinite(value)) or not ok(value):
      print(f"error: {name}={raw!r} is not valid: expected {allowed}", file=sys.stderr)
      sys.exit(2)
    values[name] = value
  return values

def read_settings(defaults:dict) -> Settings:
  """Each setting from its env var or the script's default (read_env)."""
  return Settings(**{name.lower(): value for name, value in read_env(RULES, defaults).items()})


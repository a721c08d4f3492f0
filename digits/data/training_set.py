"""The digits a training run sees: MNIST's training images less a validation split (which chooses the checkpoint, so
that the test set is read once, at the end), plus the pen digits of the chosen writers, rendered as the page renders a
drawing (digits/data/pendigits.py, cached), and the checksums that the metrics file records."""
import hashlib, io, pathlib, re
from dataclasses import dataclass
import numpy as np
from digits.files import write_bytes_atomic
from digits.data import pendigits
from digits.data.mnist import FILES, cache_dir, load_mnist

VALIDATION_SEED, RENDER_SEED = 0, 0

@dataclass
class TrainingData:
  X_train: np.ndarray; Y_train: np.ndarray
  X_val: np.ndarray; Y_val: np.ndarray
  X_test: np.ndarray; Y_test: np.ndarray
  X_pen_out: np.ndarray; Y_pen_out: np.ndarray
  summary: str
  checksums: dict

def writer_range(text:str) -> tuple[int, int]|None:
  """'1-30' -> (1, 30); 'none' -> None (MNIST alone)."""
  if text == "none": return None
  first, last = map(int, re.fullmatch(r"(\d+)-(\d+)", text).groups())
  return first, last

def rendered_pendigits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """pendigits.render_pendigits(RENDER_SEED), kept in the user cache (rendering takes seconds), keyed by the data and
  the renderer, so that a change to either renders again."""
  renderer = hashlib.sha256(pathlib.Path(pendigits.__file__).read_bytes()).hexdigest()[:12]
  path = cache_dir().parent / f"pendigits-{pendigits.SHA256[:12]}-{renderer}-{RENDER_SEED}.npz"
  try:
    with np.load(path) as cached: return cached["images"], cached["labels"], cached["writers"]
  except (OSError, ValueError, KeyError): pass
  images, labels, writers = pendigits.render_pendigits(RENDER_SEED)
  np.savez(buffer := io.BytesIO(), images=images, labels=labels, writers=writers)
  write_bytes_atomic(path, buffer.getvalue())  # whole or not at all: another run may read it meanwhile
  return images, labels, writers

def training_data(validation:int, pen_writers:str, pen_repeat:int) -> TrainingData:
  X, Y, X_test, Y_test = load_mnist()
  order = np.random.default_rng(VALIDATION_SEED).permutation(len(X))
  val, train = order[:validation], np.sort(order[validation:])
  X_train, Y_train = X[train], Y[train]
  checksums = {name: sha for name, (sha, _) in FILES.items()}
  summary = f"{len(train):,} MNIST training digits"
  X_out, Y_out = np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
  if (writers := writer_range(pen_writers)) is not None:
    images, labels, who = rendered_pendigits()
    keep = (who >= writers[0]) & (who <= writers[1])
    X_train = np.concatenate([X_train] + [images[keep]] * pen_repeat)
    Y_train = np.concatenate([Y_train] + [labels[keep]] * pen_repeat)
    X_out, Y_out = images[~keep], labels[~keep]
    checksums["data/pendigits/pendigits.npz"] = pendigits.SHA256
    summary += f" + {keep.sum():,} pen digits of writers {writers[0]}-{writers[1]} x{pen_repeat}"
  summary += f"; {validation:,} MNIST training digits held out to choose the checkpoint"
  return TrainingData(X_train, Y_train, X[val], Y[val], X_test, Y_test, X_out, Y_out, summary, checksums)

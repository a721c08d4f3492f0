"""The digits a training run sees: MNIST's training images less a validation split (which chooses the checkpoint, so
that the test set is read once, at the end), plus the pen digits of the chosen writers, rendered as the page renders a
drawing (digits/data/pendigits.py, cached), and the checksums that the metrics file records."""
import hashlib, io, pathlib, re, zipfile
from dataclasses import dataclass
import numpy as np
from digits.files import write_bytes_atomic
from digits.data import pendigits, strokes
from digits.data.strokes import Variation
from digits.data.mnist import FILES, cache_dir, load_mnist

VALIDATION_SEED, RENDER_SEED = 0, 0

@dataclass
class TrainingData:
  X_train: np.ndarray; Y_train: np.ndarray
  X_val: np.ndarray; Y_val: np.ndarray
  X_test: np.ndarray; Y_test: np.ndarray
  X_pen_out: np.ndarray; Y_pen_out: np.ndarray; W_pen_out: np.ndarray  # pen digits of the writers left out, and who wrote them
  summary: str
  checksums: dict

WRITERS = range(1, 31)
WRITERS_SYNTAX = r"(\d+(-\d+)?)(,\d+(-\d+)?)*"

def writer_set(text:str) -> list[int]|None:
  """'1-30' -> [1, ..., 30]; '1-5,12,20-30' -> those writers; 'none' -> None (MNIST alone). ValueError for anything
  else: the syntax, a writer outside 1-30, or a range from high to low."""
  if text == "none": return None
  if re.fullmatch(WRITERS_SYNTAX, text) is None: raise ValueError(f"{text!r} is not ranges and numbers like 1-4,9,12-30")
  chosen = set()
  for part in text.split(","):
    first, _, last = part.partition("-")
    first, last = int(first), int(last or first)
    if not WRITERS[0] <= first <= last <= WRITERS[-1]: raise ValueError(f"{part!r} is not writers {WRITERS[0]}-{WRITERS[-1]} from low to high")
    chosen |= set(range(first, last + 1))
  return sorted(chosen)

def valid_writers(text:str) -> bool:
  """Whether writer_set reads `text`."""
  try: writer_set(text)
  except ValueError: return False
  return True

def writers_text(writers:list[int]) -> str:
  """The shortest text writer_set reads back as `writers`: '1-5,12,20-30'."""
  runs, out = [], []
  for w in sorted(writers):
    if runs and w == runs[-1][1] + 1: runs[-1][1] = w
    else: runs.append([w, w])
  for first, last in runs: out.append(str(first) if first == last else f"{first}-{last}")
  return ",".join(out)

def writer_folds(k:int=5, seed:int=0) -> list[list[int]]:
  """The 30 pen writers in k folds of equal size, a fixed random split: every writer in exactly one fold."""
  order = np.random.default_rng(seed).permutation(np.array(WRITERS))
  return [sorted(int(w) for w in fold) for fold in np.array_split(order, k)]

def rendered_pendigits(seed:int=RENDER_SEED, variation:Variation=Variation(), copy:int=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """pendigits.render_pendigits, kept in the user cache (rendering takes seconds), keyed by the data, the renderer and
  the variation, so that a change to any of them renders again. Copy 0 and any copy without variation is the plain
  rendering of RENDER_SEED; copy c > 0 with variation is rendered afresh with the seed (seed, c)."""
  if not variation or copy == 0: seed, variation, copy = RENDER_SEED, Variation(), 0
  code = b"".join(pathlib.Path(m.__file__).read_bytes() for m in (pendigits, strokes))
  key = hashlib.sha256(code + repr((seed, variation, copy)).encode()).hexdigest()[:16]
  path = cache_dir().parent / f"pendigits-{pendigits.SHA256[:12]}-{key}.npz"
  try:
    with np.load(path) as cached: return cached["images"], cached["labels"], cached["writers"]
  except (OSError, ValueError, KeyError, zipfile.BadZipFile): pass
  images, labels, writers = pendigits.render_pendigits([seed, copy] if copy else seed, variation)
  np.savez(buffer := io.BytesIO(), images=images, labels=labels, writers=writers)
  write_bytes_atomic(path, buffer.getvalue())  # whole or not at all: another run may read it meanwhile
  return images, labels, writers

def validation_split(count:int, validation:int) -> tuple[np.ndarray, np.ndarray]:
  """The indices of MNIST's `count` training digits held out for validation, and the rest (sorted): a fixed random split."""
  order = np.random.default_rng(VALIDATION_SEED).permutation(count)
  return order[:validation], np.sort(order[validation:])

def training_data(validation:int, pen_writers:str, pen_repeat:int, variation:Variation=Variation(), seed:int=0) -> TrainingData:
  X, Y, X_test, Y_test = load_mnist()
  val, train = validation_split(len(X), validation)
  X_train, Y_train = X[train], Y[train]
  checksums = {name: sha for name, (sha, _) in FILES.items()}
  summary = f"{len(train):,} MNIST training digits"
  X_out, Y_out, W_out = np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.uint8)
  if (writers := writer_set(pen_writers)) is not None:
    copies = [rendered_pendigits(seed, variation, c) for c in range(pen_repeat)]
    images, labels, who = copies[0]
    keep = np.isin(who, writers)
    X_train = np.concatenate([X_train] + [c[0][keep] for c in copies])
    Y_train = np.concatenate([Y_train] + [c[1][keep] for c in copies])
    X_out, Y_out, W_out = images[~keep], labels[~keep], who[~keep]
    checksums["data/pendigits/pendigits.npz"] = pendigits.SHA256
    summary += f" + {keep.sum():,} pen digits of writers {writers_text(writers)} x{pen_repeat}"
    if variation and pen_repeat > 1: summary += f" (all but the first copy varied stroke by stroke: {variation})"
  summary += f"; {validation:,} MNIST training digits held out to choose the checkpoint"
  return TrainingData(X_train, Y_train, X[val], Y[val], X_test, Y_test, X_out, Y_out, W_out, summary, checksums)

"""The person's own examples as a memory that every prediction consults: what the page runs when someone says "it's a 4"
(store) and on every drawing (the prediction and explain graphs read it), exported to WGSL and WebAssembly like the
model, its rows state buffers beside the weights.

A row is an example's embedding under the weights in use (the model's last hidden layer, or the CNN's second-layer maps
beside the ink itself: SETTINGS), L2-normalised, with its label one-hot; a taught drawing fills `copies` rows: itself
and, with 5, itself moved by one pixel each way. Empty rows are zero and match nothing. A prediction adds to each
class's log-probability weight * max(0, s - threshold), s the cosine of its best-matching row of that class, so
that a drawing like one the person taught leans towards their label; a row matched at EXACT (the same drawing) adds
EXACT_BONUS, so that a taught drawing reads as taught whatever the network says. Chosen with bench/memory_recipe.py
(Classifier/HYPERPARAMETERS.md)."""
from tinygrad import Tensor, dtypes

CAPACITY = 512   # rows; the page keeps the newest examples when they would need more
EXACT, EXACT_BONUS = 0.999, 100.0
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0))  # (rows, columns) of each copy
SETTINGS = {
  "mlp": {"embedding": "last_hidden", "copies": 1, "threshold": 0.5, "weight": 10.0},
  "cnn": {"embedding": "conv2+ink", "copies": 5, "threshold": 0.7, "weight": 20.0},
}

def normalised(t:Tensor) -> Tensor: return t / (t * t).sum(1, keepdim=True).sqrt().maximum(1e-12)

def embedding(name:str, features:dict[str, Tensor], x:Tensor) -> Tensor:
  """(n, width) unit rows: what a drawing is compared by."""
  how = SETTINGS[name]["embedding"]
  if how == "last_hidden": return normalised(features["last_hidden"])
  conv2, ink = normalised(features["conv2"].flatten(1)), normalised((x.reshape(-1, 784) + 1) / 2)
  return Tensor.cat(conv2, ink, dim=1) * (0.5 ** 0.5)

def width(name:str) -> int: return {"last_hidden": 512, "conv2+ink": 400 + 784}[SETTINGS[name]["embedding"]]

def empty_memory(name:str) -> dict[str, Tensor]:
  return {"memory.keys": Tensor.zeros(CAPACITY, width(name)).contiguous().realize(),
          "memory.classes": Tensor.zeros(CAPACITY, 10).contiguous().realize()}

def recall(name:str, features:dict[str, Tensor], x:Tensor, memory:dict[str, Tensor]) -> dict[str, Tensor]:
  """For one drawing x (1,784): the logits, the scores (log-probabilities with the memory's bonus: what the page
  shows), the bonus of each class, and the row that matched the chosen digit best (`nearest`, -1 if none did) with
  its cosine."""
  s = SETTINGS[name]
  logits, classes = features["logits"], memory["memory.classes"]
  cosine = (memory["memory.keys"] * embedding(name, features, x)).sum(1).reshape(CAPACITY, 1)  # (rows, 1)
  best = (classes > 0).where(cosine, -2.0).max(0).reshape(1, 10)  # each class's best row; -2 where it has none
  bonus = (best - s["threshold"]).relu() * s["weight"] + (best >= EXACT).where(EXACT_BONUS, 0.0)
  scores = logits.log_softmax(-1) + bonus
  digit = scores.argmax(-1).reshape(1, 1).cast(dtypes.int32)
  mine = (classes * (Tensor.arange(10, dtype=dtypes.int32).reshape(1, 10) == digit)).sum(1).reshape(CAPACITY, 1) > 0
  theirs = mine.where(cosine, -2.0).reshape(1, CAPACITY)
  similarity = theirs.max(-1)
  nearest = (similarity > s["threshold"]).where(theirs.argmax(-1).cast(dtypes.int32), -1)
  return {"logits": logits, "scores": scores, "bonus": bonus, "nearest": nearest, "similarity": similarity}

def make_predict(model, name:str, memory:dict[str, Tensor]):
  """predict(x (1,784) in -1..1) -> recall()'s outputs: the page's prediction graph."""
  return lambda x: recall(name, model.features(x), x, memory)

def copies_of(x:Tensor, copies:int) -> Tensor:
  """x (1,784) and, for copies 5, x moved by one pixel each way, with blank (-1) coming in: (copies, 784)."""
  padded = x.reshape(1, 28, 28).pad(((0, 0), (1, 1), (1, 1)), value=-1.0)
  return Tensor.cat(*[padded[:, 1 - dy:29 - dy, 1 - dx:29 - dx] for dy, dx in SHIFTS[:copies]], dim=0).reshape(copies, 784)

def make_store(model, name:str, memory:dict[str, Tensor]):
  """store(x (1,784) in -1..1, y (1,) int32 label, row (1,) int32): the drawing's copies into rows row.. of the
  memory (rows past CAPACITY are dropped: the page wraps them); returns their embeddings."""
  copies = SETTINGS[name]["copies"]
  def store(x:Tensor, y:Tensor, row:Tensor) -> dict[str, Tensor]:
    drawings = copies_of(x, copies)
    keys = embedding(name, model.features(drawings), drawings)  # (copies, width)
    rows = row.reshape(1, 1) + Tensor.arange(copies, dtype=dtypes.int32).reshape(1, copies)
    hit = (Tensor.arange(CAPACITY, dtype=dtypes.int32).reshape(CAPACITY, 1) == rows).float()  # (CAPACITY, copies)
    kept = 1 - hit.sum(1, keepdim=True)
    label = (Tensor.arange(10, dtype=dtypes.int32).reshape(1, 10) == y.reshape(1, 1)).float()
    # realized here, with the embeddings: the memory is what the step is for, not a value it returns
    Tensor.realize(memory["memory.keys"].assign(memory["memory.keys"] * kept + hit @ keys),
                   memory["memory.classes"].assign(memory["memory.classes"] * kept + hit.sum(1, keepdim=True) * label), keys)
    return {"keys": keys}
  return store

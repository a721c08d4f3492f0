"""What the page's "Inside the model" panel shows, computed by tinygrad like the model itself (export_webgpu.py turns it
into WGSL and WebAssembly): the logits, the model's inner activations (digits/models.py `features`), the person's
memory's part (memory.py), the two likeliest digits by the scores the page shows, and for each of them which pixels
pushed the network's score: the gradient of its logit times (input - blank canvas). That is the first-order share of
each pixel in how far the score moved from the blank canvas's, one backward pass per digit: cheap enough to follow the
pen, where integrated gradients would take many."""
from tinygrad import Tensor, dtypes
from digits.export.memory import recall

def make_explain(model, name:str, memory:dict[str, Tensor]):
  """explain(x (1,784)) -> the model's features, the memory's recall (memory.py: the scores the page shows), the two
  likeliest digits by those scores, and each one's attribution: the gradient of the network's logit for it."""
  def explain(x:Tensor) -> dict[str, Tensor]:
    out = model.features(x)
    out |= recall(name, out, x, memory)
    logits, scores, digits = out["logits"], out["scores"], Tensor.arange(10, dtype=dtypes.int32).reshape(1, 10)
    first = scores.argmax(-1).cast(dtypes.int32)
    second = (first.reshape(-1, 1) == digits).where(float("-inf"), scores).argmax(-1).cast(dtypes.int32)
    for which, digit in (("first", first), ("second", second)):
      (gradient,) = (logits * (digit.reshape(-1, 1) == digits)).sum().gradient(x)
      out[f"{which}_attribution"] = gradient * (x + 1)  # the blank canvas is -1 everywhere
      out[which] = digit
    return out
  return explain

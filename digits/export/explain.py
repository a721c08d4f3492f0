"""What the page's "Inside the model" panel shows, computed by tinygrad like the model itself (export_webgpu.py turns it
into WGSL and WebAssembly): the logits, the model's inner activations (digits/models.py `features`), the two likeliest digits,
and for each of them which pixels pushed its score: the gradient of its logit times (input - blank canvas). That is the
first-order share of each pixel in how far the score moved from the blank canvas's, one backward pass per digit: cheap
enough to follow the pen, where integrated gradients would take many."""
from tinygrad import Tensor, dtypes

def make_explain(model):
  def explain(x:Tensor) -> dict[str, Tensor]:
    out = model.features(x)
    logits, digits = out["logits"], Tensor.arange(10, dtype=dtypes.int32).reshape(1, 10)
    first = logits.argmax(-1).cast(dtypes.int32)
    second = (first.reshape(-1, 1) == digits).where(float("-inf"), logits).argmax(-1).cast(dtypes.int32)
    for name, digit in (("first", first), ("second", second)):
      (gradient,) = (logits * (digit.reshape(-1, 1) == digits)).sum().gradient(x)
      out[f"{name}_attribution"] = gradient * (x + 1)  # the blank canvas is -1 everywhere
      out[name] = digit
    return out
  return explain

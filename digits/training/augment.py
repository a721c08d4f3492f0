"""On-device augmentation of (n,28,28) ink images (0 = background): stroke thickness, rotation, zoom, shift and a smooth
elastic field, resampled by gathering; also used by the page's fine-tuning step (export/finetune.py)."""
import math
from tinygrad import Tensor, dtypes
from digits.training.settings import Settings

def uniform(*shape:int, amount:float) -> Tensor: return (Tensor.rand(*shape) * 2 - 1) * amount

def augment(x:Tensor, s:Settings) -> Tensor:
  """Random stroke thickness, rotation, scale, shift and elastic distortion of each (28,28) image, in ink space
  (0 = background, so what enters from outside is blank)."""
  n = x.shape[0]
  x = vary_thickness(x, s.thickness)
  theta, zoom = uniform(n, 1, 1, amount=s.angle * math.pi / 180), 1 + uniform(n, 1, 1, amount=s.scale)
  shift_x, shift_y = uniform(n, 1, 1, amount=s.shift), uniform(n, 1, 1, amount=s.shift)
  return warp(x, theta, zoom, shift_x, shift_y, smooth_field(n, s.elastic), smooth_field(n, s.elastic), s.sampling)

def warp(x:Tensor, theta:Tensor, zoom:Tensor, shift_x:Tensor, shift_y:Tensor, wobble_x=0.0, wobble_y=0.0, sampling="bilinear") -> Tensor:
  """Each (28,28) image rotated by theta (radians), zoomed, shifted (pixels) about its centre, then wobbled by the
  displacement fields; the per-image parameters have shape (n,1,1)."""
  n, c = x.shape[0], Tensor.arange(28, dtype=dtypes.float32) - 13.5
  px, py = c.reshape(1, 1, 28) - shift_x, c.reshape(1, 28, 1) - shift_y
  # inverse map: each output pixel reads the source at R(-theta) (p - t) / zoom, then wobbles
  sx = (theta.cos() * px + theta.sin() * py) / zoom + 13.5 + wobble_x
  sy = (-theta.sin() * px + theta.cos() * py) / zoom + 13.5 + wobble_y
  return sample(x, sx.reshape(n, 784, 1), sy.reshape(n, 784, 1), sampling).reshape(n, 28, 28)

def vary_thickness(x:Tensor, amount:float) -> Tensor:
  """Each image blended towards its 3x3 dilation (thicker) or erosion (thinner) by a random fraction up to `amount`."""
  a, x4 = uniform(x.shape[0], 1, 1, amount=amount), x.unsqueeze(1)
  dilated, eroded = x4.max_pool2d(3, stride=1, padding=1).squeeze(1), -(-x4).max_pool2d(3, stride=1, padding=1).squeeze(1)
  return x + a.relu() * (dilated - x) + (-a).relu() * (eroded - x)

def smooth_field(n:int, amount:float) -> Tensor:
  """(n,28,28) displacements: a random 4x4 grid of offsets up to `amount` pixels, spread bilinearly over the image."""
  knots = Tensor.arange(28, dtype=dtypes.float32).reshape(28, 1) * 3 / 27 - Tensor.arange(4, dtype=dtypes.float32).reshape(1, 4)
  spread = (1 - knots.abs()).relu()  # (28,4)
  return spread @ uniform(n, 4, 4, amount=amount) @ spread.T

def sample(x:Tensor, sx:Tensor, sy:Tensor, how:str) -> Tensor:
  """x (n,28,28) read at source coordinates (n,784,1): the bilinear blend of the 2x2 pixels around each point, gathered.
  Neighbours outside the image weigh 0 (their index is clamped only so that every read stays inside x)."""
  n, flat = x.shape[0], x.reshape(x.shape[0], 784)
  if how == "nearest": sx, sy = sx.round(), sy.round()  # bilinear weights at whole pixels are one-hot
  x0, y0 = sx.floor(), sy.floor()
  out = None
  for cy, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
    for cx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
      inside = (cx >= 0) & (cx <= 27) & (cy >= 0) & (cy <= 27)
      index = (cy.clip(0, 27) * 28 + cx.clip(0, 27)).cast(dtypes.int32).reshape(n, 784)
      term = inside.where(wx * wy, 0).reshape(n, 784) * flat.gather(1, index)
      out = term if out is None else out + term
  return out

def to_model_range(ink:Tensor) -> Tensor: return ink * 2 - 1   # ink 0..1 -> -1..1, as the page feeds the model


"""Pen trajectories varied the ways people's handwriting differs, before they are rendered: so that training sees
many plausible writers behind each real one, where a warp of the rendered image would only tilt, zoom and move it.

Each kind of variation is drawn uniformly up to its amount, afresh for every digit (and every stroke, where it is per
stroke); an amount of 0 leaves that kind out:
  slant       degrees: the digit sheared, its top leaning left or right
  aspect      fraction: the digit wider or narrower (width and height scaled by e^a and e^-a)
  proportion  fraction: the upper or lower part, the left or right part drawn larger (a one-to-one bend of each axis),
              so a loop grows or shrinks against its stem
  ends        fraction of a stroke's length: each end cut back or drawn on along its direction, so loops close or open
              and stems and hooks grow or shrink
  wobble      fraction of the digit's size: each stroke bent smoothly along its length
  shift       fraction of the digit's size: each stroke of a digit of several moved on its own (the bar of a 4 or a 7)
Line width is not varied: the page's preprocess.js redraws every drawing at a line width tied to the digit's size."""
from dataclasses import dataclass, fields
import numpy as np

@dataclass(frozen=True)
class Variation:
  slant: float = 0.0
  aspect: float = 0.0
  proportion: float = 0.0
  ends: float = 0.0
  wobble: float = 0.0
  shift: float = 0.0

  def __bool__(self) -> bool: return any(getattr(self, f.name) for f in fields(self))

def vary(strokes:list[np.ndarray], rng:np.random.Generator, v:Variation) -> list[np.ndarray]:
  """One digit's strokes ((n,2) points, y down) varied by v; float64 arrays with their bounding box at (0, 0)."""
  arrays = [np.asarray(s, np.float64) for s in strokes]
  if not v: return arrays
  low, high = np.concatenate(arrays).min(0), np.concatenate(arrays).max(0)
  size = max(float((high - low).max()), 1.0)
  unit = [(a - low) / np.maximum(high - low, 1.0) for a in arrays]  # 0..1 in each axis
  if v.proportion:
    bend = rng.uniform(-v.proportion, v.proportion, 2)  # |bend| < 1 keeps u + bend u (1 - u) increasing
    unit = [u + bend * u * (1 - u) for u in unit]
  arrays = [u * np.maximum(high - low, 1.0) for u in unit]
  if v.ends: arrays = [redraw_ends(a, rng, v.ends) for a in arrays]
  if v.wobble: arrays = [a + wobble(a, rng, v.wobble * size) for a in arrays]
  if v.shift and len(arrays) > 1: arrays = [a + rng.uniform(-v.shift, v.shift, 2) * size for a in arrays]
  slant, stretch = np.tan(np.radians(rng.uniform(-v.slant, v.slant))), np.exp(rng.uniform(-v.aspect, v.aspect))
  middle = np.concatenate(arrays).mean(0)
  arrays = [np.stack([(a[:, 0] - middle[0] - slant * (a[:, 1] - middle[1])) * stretch, (a[:, 1] - middle[1]) / stretch], 1) for a in arrays]
  corner = np.concatenate(arrays).min(0)
  return [a - corner for a in arrays]

def arc_length(a:np.ndarray) -> np.ndarray:
  """The distance along the stroke to each of its points, from the first."""
  return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(a, axis=0).T))])

def redraw_ends(a:np.ndarray, rng:np.random.Generator, amount:float) -> np.ndarray:
  """Each end of a stroke cut back (up to amount of its length, leaving at least half of it) or drawn on along its
  direction at that end, by as much; a dot stays a dot."""
  s = arc_length(a)
  if len(a) < 2 or s[-1] <= 0: return a
  start, end = rng.uniform(-amount, amount, 2) * s[-1]
  start, end = min(start, 0.25 * s[-1]), min(end, 0.25 * s[-1])
  keep = np.interp(np.linspace(max(start, 0), s[-1] - max(end, 0), max(len(a), 2)), s, np.arange(len(a)))
  points = np.stack([np.interp(keep, np.arange(len(a)), a[:, k]) for k in range(2)], 1)
  if start < 0: points = np.concatenate([[points[0] + direction(points, 0) * -start], points])
  if end < 0: points = np.concatenate([points, [points[-1] + direction(points, -1) * -end]])
  return points

def direction(a:np.ndarray, end:int) -> np.ndarray:
  """The unit direction out of the stroke at its first (end 0) or last (end -1) point, over its first or last fifth."""
  s = arc_length(a)
  if end == 0: towards = a[min(np.searchsorted(s, 0.2 * s[-1]), len(a) - 1)] - a[0]
  else: towards = a[max(np.searchsorted(s, 0.8 * s[-1]), 0)] - a[-1]
  return -towards / max(np.hypot(*towards), 1e-9)

def wobble(a:np.ndarray, rng:np.random.Generator, amplitude:float) -> np.ndarray:
  """A smooth displacement along the stroke: two sine waves per axis over its length, up to `amplitude` in all."""
  s = arc_length(a)
  t = s / max(s[-1], 1e-9)
  waves = rng.uniform(-1, 1, (2, 2)) * amplitude / 2  # (wave, axis)
  phases = rng.uniform(0, 2 * np.pi, (2, 2))
  return sum(waves[k] * np.sin(np.pi * (k + 1) * t[:, None] + phases[k]) for k in range(2))

"""Real pen-drawn digits (data/pendigits/, see its README): loaded and verified, placed on a virtual canvas the way a person
might draw them on the page, and rendered into 28x28 images as Classifier/js/ui/preprocess.js renders a pen-only drawing,
in numpy: training on them needs no browser."""
import hashlib, io, pathlib
import numpy as np
from digits.data.strokes import Variation, vary

ROOT = pathlib.Path(__file__).resolve().parents[2]
PATH = ROOT / "data" / "pendigits" / "pendigits.npz"
SHA256 = "d27aad2ef996263be4e45d985294fd22a13be6f5a6c54b4b8e0e67515f9e0026"
FIELDS = ("steps", "stroke_points", "digit_strokes", "labels", "writers")

class PendigitsError(ValueError): pass

def unpack(npz, path:pathlib.Path) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
  """The digits in the npz's arrays: strokes (per digit, a list of (n,2) int32 point arrays), labels, writers."""
  if missing := [k for k in FIELDS if k not in npz.files]: raise PendigitsError(f"{path}: no {', '.join(missing)} in it")
  steps, stroke_points, digit_strokes, labels, writers = (npz[k] for k in FIELDS)
  for field, total, count in (("stroke_points", stroke_points.sum(), len(steps)), ("digit_strokes", digit_strokes.sum(), len(stroke_points)),
                              ("writers", len(writers), len(labels)), ("digit_strokes", len(digit_strokes), len(labels))):
    if total != count: raise PendigitsError(f"{path}: {field} accounts for {total} items, expected {count}")
  # points are stored as steps from the previous point, to compress better
  strokes = np.split(np.cumsum(steps, axis=0, dtype=np.int32), np.cumsum(stroke_points)[:-1])
  ends = np.cumsum(digit_strokes)
  return [strokes[end - n:end] for end, n in zip(ends, digit_strokes)], labels, writers

def load_pendigits(path:pathlib.Path=PATH) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
  """strokes (per digit, a list of (n,2) int32 arrays: tablet units, y down, box from 0,0), labels uint8, writers uint8."""
  try: data = pathlib.Path(path).read_bytes()
  except OSError as e: raise PendigitsError(f"{path}: cannot read it ({e.strerror})") from None
  if hashlib.sha256(data).hexdigest() != SHA256:
    raise PendigitsError(f"{path}: damaged (sha256 mismatch); restore it with git checkout -- data/pendigits/pendigits.npz")
  with np.load(io.BytesIO(data)) as npz: return unpack(npz, path)

# --- placing: as a person might draw a digit on the page's canvas ---
CANVAS, HEIGHT, PEN_WIDTH = 280, (0.3, 0.8), (12, 16)

def place(strokes:list, rng:np.random.Generator) -> list[dict]:
  """Tablet strokes (box from 0,0) as pen strokes in CSS px of the canvas, scaled uniformly and put somewhere inside it:
  30%-80% of the canvas tall, a 12-16 px pen. In preprocess.js's input format."""
  arrays = [np.array(s, np.float64) for s in strokes]
  w, h = np.concatenate(arrays).max(0)
  pen = rng.uniform(*PEN_WIDTH)
  scale = min(rng.uniform(*HEIGHT) * CANVAS / max(h, 1), (CANVAS - pen) / max(w, 1))  # a wide digit still fits
  x, y = (rng.uniform(pen / 2, max(pen / 2, CANVAS - pen / 2 - extent * scale)) for extent in (w, h))
  return [{"tool": "pen", "width": round(pen, 2), "points": (a * scale + (x, y)).round(2).tolist()} for a in arrays]

# --- rendering: Classifier/js/ui/preprocess.js's toModelInput for pen-only drawings, without a browser ---
# The drawing is re-drawn as preprocess.js draws it; the anti-aliasing follows what Chromium's Skia does on its
# software canvas, measured there: each px row is sampled on SUB horizontal lines through its quarters, the ink's
# exact length on each line counts, and 256ths of coverage are the alpha, 256 clamped to 255.
IMAGE_SIZE, BOX_SIZE, CENTER, LINE_WIDTH_FRACTION, SUPERSAMPLE = 28, 20, 14, 0.12, 4  # as preprocess.js exports them
SIZE = IMAGE_SIZE * SUPERSAMPLE                             # the side of the supersampled canvas
RADIUS = SUPERSAMPLE * LINE_WIDTH_FRACTION * BOX_SIZE / 2   # the pen's radius on it
SUB = 4           # Skia's sample lines per px row
# Skia's round caps and joins come out a little inside the circle: its dots hold a little less ink than true discs.
# Discs this much smaller (canvas px) match Chromium best over the 7,494 digits, measured (bench/README.md).
CAP_INSET = 0.05
LINES = 16        # sample lines per piece of a segment: segments are cut into pieces of this many lines
BATCH = 128       # drawings per vectorised step: bounds the memory

def render_pendigits(seed=0, variation:Variation=Variation()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """All pen digits, varied stroke by stroke (strokes.py; not at all by default), placed with np.random.default_rng(seed)
  and rendered: images uint8 (N,28,28), labels, writers, as bench/render_pendigits.py saves them."""
  strokes, labels, writers = load_pendigits()
  rng = np.random.default_rng(seed)
  if variation: strokes = [vary(s, rng, variation) for s in strokes]
  return render([place(s, rng) for s in strokes]), labels, writers

def render(drawings:list[list[dict]]) -> np.ndarray:
  """uint8 (N,28,28) images 0..255: round((toModelInput(drawing) + 1) * 127.5) as Chromium computes it, within the
  anti-aliasing differences that tests/test_pendigits.py bounds."""
  return np.concatenate([render_batch(drawings[i:i + BATCH]) for i in range(0, len(drawings), BATCH)])

def render_batch(drawings:list[list[dict]]) -> np.ndarray:
  """render() for a few drawings at once: drawn centred, then again moved so that the centre of mass is at CENTER."""
  points, stroke_ends, digit_strokes, pen = flatten(drawings)
  first_point = np.concatenate([[0], stroke_ends])[np.cumsum(digit_strokes) - digit_strokes]
  (left, top), (right, bottom) = np.minimum.reduceat(points, first_point).T, np.maximum.reduceat(points, first_point).T
  line_width = LINE_WIDTH_FRACTION * BOX_SIZE
  # preprocess.js's expressions in its order, so that the doubles come out the same
  scale = (BOX_SIZE - line_width) / np.maximum.reduce([right - left, bottom - top, pen, np.full_like(pen, 1e-6)])
  x, y = IMAGE_SIZE / 2 - scale * (left + right) / 2, IMAGE_SIZE / 2 - scale * (top + bottom) / 2
  mass_x, mass_y = centre_of_mass(draw(points, stroke_ends, digit_strokes, scale, x, y))
  ink = draw(points, stroke_ends, digit_strokes, scale, x + CENTER - mass_x, y + CENTER - mass_y)
  # toModelInput returns Float32Array(ink * 2 - 1); Math.round((v + 1) * 127.5) rounds halves up
  v = (ink.astype(np.float64) * 2 - 1).astype(np.float32).astype(np.float64)
  return np.floor((v + 1) * 127.5 + 0.5).astype(np.uint8)

def flatten(drawings:list[list[dict]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
  """All points (M,2) float64, where each stroke ends in them, each drawing's number of strokes and thinnest pen."""
  strokes, counts, pens = [], [], []
  for i, drawing in enumerate(drawings):
    if erasers := [j for j, s in enumerate(drawing) if s.get("tool") == "eraser"]:
      raise ValueError(f"drawing {i}: stroke {erasers[0]} is an eraser; pendigits.render draws pen-only drawings")
    drawn = [s for s in drawing if len(s["points"])]  # preprocess.js skips strokes without points
    if not drawn: raise ValueError(f"drawing {i}: no points, so no ink (preprocess.js returns null)")
    strokes += [s["points"] for s in drawn]
    counts.append(len(drawn))
    pens.append(min(s.get("width") or 0 for s in drawn))
  points = np.array([p for s in strokes for p in s], np.float64)
  return points, np.cumsum([len(s) for s in strokes]), np.array(counts), np.array(pens, np.float64)

def draw(points, stroke_ends, digit_strokes, scale, x, y) -> np.ndarray:
  """preprocess.js's render(): the ink 0..1 (n,28,28) float32 of each drawing mapped by canvas * scale + (x, y)."""
  stroke_digit = np.repeat(np.arange(len(digit_strokes)), digit_strokes)
  point_digit = np.repeat(stroke_digit, np.diff(stroke_ends, prepend=0))
  canvas = SUPERSAMPLE * (points * scale[point_digit, None] + np.stack([x, y], 1)[point_digit])
  alpha = stroke_alpha(canvas.astype(np.float32).astype(np.float64), stroke_ends)  # Skia keeps points as float32
  ink = composite(alpha, digit_strokes)
  blocks = ink.reshape(-1, IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE).sum((2, 4), dtype=np.int32)
  return (blocks / (255 * SUPERSAMPLE ** 2)).astype(np.float32)

def centre_of_mass(ink:np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(x, y) in pixel indices of each (28,28) image."""
  total, index = ink.sum((1, 2), dtype=np.float64), np.arange(IMAGE_SIZE)
  return (ink * index).sum((1, 2), dtype=np.float64) / total, (ink * index[:, None]).sum((1, 2), dtype=np.float64) / total

def composite(alpha:np.ndarray, digit_strokes:np.ndarray) -> np.ndarray:
  """Each drawing's strokes drawn one over another in order (source-over, rounded to 8 bits as Skia does): (n,SIZE,SIZE)."""
  starts = np.cumsum(digit_strokes) - digit_strokes
  out = alpha[starts].astype(np.int32)
  for k in range(1, digit_strokes.max()):
    more = np.flatnonzero(digit_strokes > k)
    under, over = out[more], alpha[starts[more] + k].astype(np.int32)
    out[more] = under + ((255 - under) * over + 127) // 255
  return out.astype(np.uint8)

def segments(canvas:np.ndarray, stroke_ends:np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Start points, end points and stroke of every segment; a one-point stroke is a segment of length 0 (a dot)."""
  counts = np.diff(stroke_ends, prepend=0)
  point_stroke = np.repeat(np.arange(len(counts)), counts)
  inner = np.flatnonzero(point_stroke[1:] == point_stroke[:-1])
  dots = (stroke_ends - counts)[counts == 1]
  start, end = np.concatenate([inner, dots]), np.concatenate([inner + 1, dots])
  return canvas[start], canvas[end], point_stroke[start]

def stroke_alpha(canvas:np.ndarray, stroke_ends:np.ndarray) -> np.ndarray:
  """Each stroke alone, round-capped and round-joined, anti-aliased as Skia does: (S,SIZE,SIZE) uint8 alpha.
  A stroke is the union of its segments' capsules; each sample line crosses it in intervals."""
  a, b, stroke = segments(canvas, stroke_ends)
  first = np.clip(np.ceil((np.minimum(a[:, 1], b[:, 1]) - RADIUS) * SUB - 0.5), 0, SIZE * SUB).astype(np.int64)
  last = np.clip(np.floor((np.maximum(a[:, 1], b[:, 1]) + RADIUS) * SUB - 0.5), -1, SIZE * SUB - 1).astype(np.int64)
  pieces = -(-np.maximum(last - first + 1, 0) // LINES)
  seg = np.repeat(np.arange(len(a)), pieces)
  piece = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
  line = first[seg, None] + piece[:, None] * LINES + np.arange(LINES)  # (P,LINES) sample line indices
  lo, hi = capsule_spans(a[seg], b[seg], (line + 0.5) / SUB)
  lo, hi = np.maximum(lo, 0), np.minimum(hi, SIZE)  # the canvas clips
  keep = (line <= last[seg, None]) & (lo < hi)
  return rasterize(*union((stroke[seg, None] * (SIZE * SUB) + line)[keep], lo[keep], hi[keep]), len(stroke_ends))

def capsule_spans(a:np.ndarray, b:np.ndarray, y:np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Where the horizontal lines at y (P,K) cross the capsules a-b (P,2): x from lo to hi, none where lo > hi.
  A capsule is convex, so its crossing is one interval: the hull of its two end discs' and its body's."""
  ax, ay, bx, by = a[:, 0, None], a[:, 1, None], b[:, 0, None], b[:, 1, None]
  lo, hi = np.full(y.shape, np.inf), np.full(y.shape, -np.inf)
  for cx, cy in ((ax, ay), (bx, by)):
    h2 = (RADIUS - CAP_INSET) ** 2 - (y - cy) ** 2
    h = np.sqrt(np.maximum(h2, 0))
    lo, hi = np.where(h2 >= 0, np.minimum(lo, cx - h), lo), np.where(h2 >= 0, np.maximum(hi, cx + h), hi)
  # the body: |cross(u, p - a)| <= RADIUS |u| and 0 <= dot(u, p - a) <= |u|^2, each a band linear in x;
  # a band parallel to the line is everything or nothing, which a tiny slope turns into a huge or empty interval
  ux, uy, dy = bx - ax, by - ay, y - ay
  length = np.hypot(ux, uy)
  slope_x, slope_y = np.where(np.abs(ux) < 1e-12, 1e-12, ux), np.where(np.abs(uy) < 1e-12, 1e-12, uy)
  s0, s1 = (ux * dy - RADIUS * length) / slope_y, (ux * dy + RADIUS * length) / slope_y
  t0, t1 = -uy * dy / slope_x, (length * length - uy * dy) / slope_x
  body_lo = np.maximum(np.minimum(s0, s1), np.minimum(t0, t1)) + ax
  body_hi = np.minimum(np.maximum(s0, s1), np.maximum(t0, t1)) + ax
  body = (length > 0) & (body_lo <= body_hi)
  return np.where(body, np.minimum(lo, body_lo), lo), np.where(body, np.maximum(hi, body_hi), hi)

def union(line:np.ndarray, lo:np.ndarray, hi:np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """The intervals merged where they overlap on the same line (a stroke's line index), so no ink counts twice."""
  order = np.argsort(line * 1024.0 + lo)  # x stays within 0..SIZE < 1024: by line, then by lo
  line, lo, hi = line[order], lo[order], hi[order]
  reach = np.maximum.accumulate(hi + line * 1024.0) - line * 1024.0  # the furthest right end so far on this line
  starts = np.flatnonzero(np.concatenate([[True], (line[1:] != line[:-1]) | (lo[1:] > reach[:-1])]))
  return line[starts], lo[starts], reach[np.append(starts[1:] - 1, len(line) - 1)]

def rasterize(line:np.ndarray, lo:np.ndarray, hi:np.ndarray, strokes:int) -> np.ndarray:
  """(strokes,SIZE,SIZE) uint8 alpha from disjoint intervals: each px gets the length of them inside it, on each of
  its SUB lines, summed as a difference array along the row."""
  width, left, right = SIZE + 2, np.floor(lo), np.floor(hi)
  cols = np.concatenate([left, left + 1, right, right + 1]).astype(np.int64)
  steps = np.concatenate([1 - (lo - left), lo - left, (hi - right) - 1, right - hi])
  rows = np.tile(line // SUB, 4)
  diff = np.bincount(rows * width + cols, steps, minlength=strokes * SIZE * width)
  cover = np.cumsum(diff.reshape(-1, width), axis=1)[:, :SIZE].reshape(-1, SIZE, SIZE)  # 0..SUB
  return np.minimum(cover * (256 / SUB) + 1e-6, 255).astype(np.uint8)  # 1e-6: sums of parts that make a whole

"""Driving the digit page (Classifier/) from a bench: waiting for its #status, drawing on its #canvas with the mouse,
reading its #prediction. A module of bench/, not a script; it imports nothing from tests/ and nothing heavy."""
import math, random

READY_TIMEOUT_MS = 60_000
PREDICTION_TIMEOUT_MS = 30_000
# Where a replayed pen digit goes: its height a fraction of the canvas side, drawn uniformly, inside a margin kept free at
# each edge (a fraction of the side); closer points than MIN_STEP CSS px are left out (fewer mouse moves, the same shape).
HEIGHT_FRACTION, MARGIN, MIN_STEP = (0.3, 0.8), 0.05, 3.0

def segments(*corners, steps=8) -> list[tuple[float, float]]:
  """Points along straight lines through `corners`, `steps` per line, as a hand passes through them."""
  return [corners[0]] + [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps)
                         for (x0, y0), (x1, y1) in zip(corners, corners[1:]) for k in range(1, steps + 1)]

def oval(cx, cy, rx, ry, n=32) -> list[tuple[float, float]]:
  return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n)) for k in range(n + 1)]

# Digits drawn as a person might, as strokes in unit canvas coordinates (0..1, y down).
SHAPES = {
  "1": [segments((0.5, 0.15), (0.5, 0.85))],
  "7": [segments((0.28, 0.2), (0.72, 0.2), (0.45, 0.85))],
  "0": [oval(0.5, 0.5, 0.2, 0.32)],
  "4": [segments((0.42, 0.15), (0.28, 0.6), (0.75, 0.6)), segments((0.62, 0.35), (0.62, 0.88))],
  "2": [segments((0.3, 0.3), (0.4, 0.18), (0.6, 0.18), (0.7, 0.3), (0.66, 0.45), (0.3, 0.82), (0.75, 0.82))],
}

def wait_ready(page) -> None:
  """Waits until #status says ready; exits with the page's own error if it says error instead."""
  page.wait_for_selector('#status[data-state="ready"], #status[data-state="error"]', timeout=READY_TIMEOUT_MS)
  if page.get_attribute("#status", "data-state") != "ready": raise RuntimeError(f"the page failed: {page.inner_text('#error')}")

def wait_for_backend(page, backend:str) -> None:
  """Waits until #status names `backend` with no other still starting (in auto mode the page begins on the CPU)."""
  page.wait_for_function("""(backend) => {
    const status = document.querySelector("#status");
    return status.dataset.backend === backend && status.dataset.nextBackend === "";
  }""", arg=backend, timeout=READY_TIMEOUT_MS)

def canvas_side(page) -> float:
  return page.locator("#canvas").evaluate("el => el.clientWidth")

def on_canvas(page, shape) -> list[list[tuple[float, float]]]:
  """A shape of SHAPES in CSS px of the page's canvas."""
  side = canvas_side(page)
  return [[(x * side, y * side) for x, y in stroke] for stroke in shape]

def place(strokes:list, side:float, rng:random.Random) -> list[list[tuple[float, float]]]:
  """Pen strokes in tablet units (y down) in CSS px of a canvas `side` px square: scaled uniformly to HEIGHT_FRACTION of
  its side (less if the digit would be too wide) at a random position inside the margin, with MIN_STEP between points."""
  width, height = (max(p[axis] for stroke in strokes for p in stroke) for axis in (0, 1))
  room = side * (1 - 2 * MARGIN)
  scale = min(rng.uniform(*HEIGHT_FRACTION) * side / max(height, 1), room / max(width, 1))
  left, top = side * MARGIN + rng.uniform(0, room - width * scale), side * MARGIN + rng.uniform(0, room - height * scale)
  placed = []
  for stroke in strokes:
    points = [(left + x * scale, top + y * scale) for x, y in stroke]
    kept = points[:1]
    for x, y in points[1:-1]:
      if math.dist((x, y), kept[-1]) >= MIN_STEP: kept.append((x, y))
    placed.append(kept + points[-1:] if len(points) > 1 else kept)
  return placed

def draw(page, strokes:list[list[tuple[float, float]]]) -> None:
  """Draws strokes (CSS px of #canvas) with the mouse: down at each stroke's first point, a move per point, up. The
  canvas is scrolled into view first, as a person would: a notice above it may have pushed it past the window's edge."""
  canvas = page.locator("#canvas")
  canvas.evaluate("el => el.scrollIntoView({block: 'nearest'})")
  box = canvas.bounding_box()
  for stroke in strokes:
    page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
    page.mouse.down()
    for x, y in stroke[1:]: page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.up()

def prediction(page) -> dict:
  """#prediction's data attributes (digit, confidence, model, seq, busy), as the strings the page sets."""
  return page.locator("#prediction").evaluate("el => ({...el.dataset})")

def wait_for_prediction(page, model:str, after_seq:int) -> dict:
  """Waits for a settled prediction by `model` newer than `after_seq`, and returns it."""
  page.wait_for_function("""([model, afterSeq]) => {
    const shown = document.querySelector("#prediction").dataset;
    return shown.busy === "false" && shown.model === model && Number(shown.seq) > afterSeq;
  }""", arg=[model, after_seq], timeout=PREDICTION_TIMEOUT_MS)
  return prediction(page)

def pen_digits() -> list[dict]:
  """The pen digits of data/pendigits/ as {label, writer, strokes: [[[x, y], ...], ...]} in tablet units, y down."""
  from digits.data.pendigits import load_pendigits
  strokes, labels, writers = load_pendigits()
  return [{"label": int(label), "writer": int(writer), "strokes": [s.tolist() for s in digit]}
          for digit, label, writer in zip(strokes, labels, writers)]

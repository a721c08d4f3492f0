"""Replays real pen-drawn digits (pendigits) through the real page as mouse strokes and reads the page's prediction.

Shared by the tests (tests/test_page_pendigits.py replays a sample of them; page_driving.py and the page tests draw
and read predictions with it); bench scripts have their own driver, bench/digit_page.py, and import nothing from here:
  digits = load_digits(); rng = random.Random(0)
  for digit in digits: predictions = replay_digit(page, digit, rng, models=("cnn", "mlp"))
The page must be open at Classifier/ (see tests/conftest.py's site_url)."""
import pathlib, random
from digits.data.pendigits import PATH, load_pendigits

HEIGHT_FRACTION = (0.3, 0.8)  # the digit's height as a fraction of the canvas side, drawn uniformly
MARGIN = 0.05                 # kept free at each canvas edge, as a fraction of its side, so the pen stays inside
MIN_STEP = 3.0                # CSS px: closer points are skipped (fewer mouse moves, the same shape)
PREDICTION_TIMEOUT_MS = 30_000

def load_digits(path:pathlib.Path=PATH) -> list[dict]:
  """The pen digits (data/pendigits/) as {label, writer, strokes: [[[x, y], ...], ...]} in tablet units, y down."""
  strokes, labels, writers = load_pendigits(path)
  return [{"label": int(label), "writer": int(writer), "strokes": [s.tolist() for s in digit]}
          for digit, label, writer in zip(strokes, labels, writers)]

def stratified_sample(digits:list[dict], per_label:int, seed:int) -> list[dict]:
  """`per_label` digits of each label 0-9, chosen with a fixed seed, in label order."""
  rng = random.Random(seed)
  return [d for label in range(10) for d in rng.sample([d for d in digits if d["label"] == label], per_label)]

def place(strokes:list, side:float, rng:random.Random) -> list[list[tuple[float, float]]]:
  """Tablet strokes scaled uniformly so the digit is 30%-80% of the canvas tall (less if that would make it too wide),
  put at a random position inside the margin; in CSS px of a canvas `side` px square."""
  width = max(x for stroke in strokes for x, _ in stroke)
  height = max(y for stroke in strokes for _, y in stroke)
  room = side * (1 - 2 * MARGIN)
  scale = min(rng.uniform(*HEIGHT_FRACTION) * side / max(height, 1), room / max(width, 1))
  left = side * MARGIN + rng.uniform(0, room - width * scale)
  top = side * MARGIN + rng.uniform(0, room - height * scale)
  return [thin([(left + x * scale, top + y * scale) for x, y in stroke]) for stroke in strokes]

def thin(points:list[tuple[float, float]]) -> list[tuple[float, float]]:
  """Drops points closer than MIN_STEP to the last kept one; always keeps the first and the last."""
  kept = [points[0]]
  for x, y in points[1:-1]:
    if (x - kept[-1][0]) ** 2 + (y - kept[-1][1]) ** 2 >= MIN_STEP ** 2: kept.append((x, y))
  if len(points) > 1: kept.append(points[-1])
  return kept

def draw(page, strokes:list[list[tuple[float, float]]]) -> None:
  """Draws strokes given in CSS px of #canvas with the mouse: down at the first point, a move per point, up. The
  canvas is scrolled into view first, as a person would: notices above it may push it past the window's edge. An
  engine's page (tests/engines.py) draws them with its own driver."""
  if hasattr(page, "draw"): return page.draw(strokes)
  page.locator("#canvas").evaluate("el => el.scrollIntoView({block: 'nearest'})")
  box = page.locator("#canvas").bounding_box()
  for stroke in strokes:
    page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
    page.mouse.down()
    for x, y in stroke[1:]: page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.up()

def prediction(page) -> dict:
  """What #prediction shows: digit, confidence, model, seq, busy (all strings, as in the page)."""
  return page.evaluate("() => ({...document.querySelector('#prediction').dataset})")

def wait_for_prediction(page, model:str, after_seq:int) -> dict:
  """Waits until the page shows a settled prediction by `model` newer than `after_seq`, and returns it."""
  page.wait_for_function("""([model, afterSeq]) => {
    const el = document.querySelector("#prediction");
    return el.dataset.busy === "false" && el.dataset.model === model && Number(el.dataset.seq) > afterSeq;
  }""", arg=[model, after_seq], timeout=PREDICTION_TIMEOUT_MS)
  return prediction(page)

def select_model(page, model:str) -> dict:
  """Switches the page to `model` (a no-op when it is already selected) and returns its settled prediction."""
  before = prediction(page)
  if before["model"] == model and before["busy"] == "false": return before
  page.click(f'button[data-model="{model}"]')
  return wait_for_prediction(page, model, int(before["seq"]))

def replay_digit(page, digit:dict, rng:random.Random, models=("cnn", "mlp")) -> dict[str, str]:
  """Clears the canvas, draws `digit` at a random size and place, and returns {model: predicted digit} for each
  model, switching models on the same drawing (the currently selected model first, to save a switch)."""
  page.click("#clear-button")
  side = page.evaluate("() => document.querySelector('#canvas').clientWidth")
  seq = int(prediction(page)["seq"])
  draw(page, place(digit["strokes"], side, rng))
  current = prediction(page)["model"]
  order = sorted(models, key=lambda model: model != current)
  results = {order[0]: wait_for_prediction(page, order[0], seq)["digit"]} if order[0] == current else {}
  for model in order[len(results):]: results[model] = select_model(page, model)["digit"]
  return results

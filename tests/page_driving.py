"""Driving the page in a browser, for the Playwright tests and the engine drivers: opening it, drawing digits, waiting
for its hooks (#status, #prediction, #personal, #inside) and reading them, the keyboard, holding or watching its requests.

The readers and waits take a Playwright page or an engine's page (tests/engines.py) alike: they use only evaluate (a
function's source and its argument), wait_for_function (the same, and a timeout in ms), click, keyboard.press and, to
draw, pen_replay.draw. Opening pages and holding requests are Playwright's."""
import math, pathlib, random, time
import pytest
from pen_replay import draw, place, prediction, wait_for_prediction

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
READY_TIMEOUT_MS = 60_000

def polyline(*corners, per_segment=8):
  """Points along straight segments between corners, as a hand would pass through them (unit canvas coordinates)."""
  points = [corners[0]]
  for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
    points += [(x0 + (x1 - x0) * k / per_segment, y0 + (y1 - y0) * k / per_segment) for k in range(1, per_segment + 1)]
  return points

def ellipse(cx, cy, rx, ry, n=32):
  return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n)) for k in range(n + 1)]

# Digits as strokes in unit canvas coordinates (0..1, y down).
SHAPES = {
  "1": [polyline((0.5, 0.15), (0.5, 0.85))],
  "7": [polyline((0.28, 0.2), (0.72, 0.2), (0.45, 0.85))],
  "0": [ellipse(0.5, 0.5, 0.2, 0.32)],
  "4": [polyline((0.42, 0.15), (0.28, 0.6), (0.75, 0.6)), polyline((0.62, 0.35), (0.62, 0.88))],
  "2": [polyline((0.3, 0.3), (0.4, 0.18), (0.6, 0.18), (0.7, 0.3), (0.66, 0.45), (0.3, 0.82), (0.75, 0.82))],
}

def dataset(page, selector:str) -> dict:
  return page.evaluate("(s) => ({...document.querySelector(s).dataset})", selector)

def text(page, selector:str) -> str:
  return page.evaluate("(s) => document.querySelector(s).innerText", selector)

def visible(page, selector:str) -> bool:
  return page.evaluate("(s) => { const el = document.querySelector(s); return !!el && el.checkVisibility(); }", selector)

def canvas_side(page) -> float:
  return page.evaluate("() => document.querySelector('#canvas').clientWidth")

def on_canvas(page, shape) -> list[list[tuple[float, float]]]:
  side = canvas_side(page)
  return [[(x * side, y * side) for x, y in stroke] for stroke in shape]

def draw_and_wait(page, shape) -> dict:
  """Draws a shape with the mouse and returns the settled prediction for the finished drawing."""
  before = prediction(page)
  draw(page, on_canvas(page, shape))
  return wait_for_prediction(page, before["model"], int(before["seq"]))

def probabilities(page) -> dict[str, float]:
  return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("#histogram [data-digit]")]
    .map((bar) => [bar.dataset.digit, Number(bar.dataset.probability)]))""")

def ink_at(page, x, y) -> int:
  """Alpha of the drawing canvas's backing store at CSS px (x, y), once drawn (next frame): 0 where nothing is drawn."""
  return page.evaluate("""async ([x, y]) => {
    const canvas = document.querySelector("#canvas");
    await new Promise(requestAnimationFrame);
    const scale = canvas.width / canvas.clientWidth;
    return canvas.getContext("2d").getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data[3];
  }""", [x, y])

def new_page(browser, **context_options):
  # service workers blocked unless asked for: page.route does not see what a worker fetches (tests/test_offline.py tests it)
  context = browser.new_context(**{"service_workers": "block", **context_options})
  page = context.new_page()
  page.console_errors = []
  page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
  page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
  return page

def open_page(browser, url, **context_options):
  page = new_page(browser, **context_options)
  page.goto(url)
  return page

def wait_ready(page):
  page.wait_for_selector('#status[data-state="ready"], #status[data-state="error"]', timeout=READY_TIMEOUT_MS)
  assert page.get_attribute("#status", "data-state") == "ready", page.inner_text("#error")

def wait_for_backend(page, backend):
  """Waits until the status names `backend` with no other one still starting (auto mode begins on the CPU)."""
  page.wait_for_function("""(backend) => {
    const status = document.querySelector("#status");
    return status.dataset.backend === backend && status.dataset.nextBackend === "";
  }""", arg=backend, timeout=READY_TIMEOUT_MS)

def wait_settled(page) -> str:
  """Waits until the status names no backend still starting, and returns the one it settled on: by measured speed in
  auto mode, WebGPU where it answers within a frame or faster than the CPU, else the CPU. An error fails."""
  page.wait_for_function("""() => { const s = document.querySelector("#status").dataset;
    return s.state === "error" || (s.state === "ready" && s.nextBackend === ""); }""", timeout=READY_TIMEOUT_MS)
  assert status(page)["state"] == "ready", text(page, "#error")
  return status(page)["backend"]

def wait_until(page, condition, timeout_s:float=60):
  """Lets the page run (and Playwright's handlers with it) until condition() holds."""
  deadline = time.monotonic() + timeout_s
  while not condition():
    assert time.monotonic() < deadline, "timed out"
    page.wait_for_timeout(50)

def status(page) -> dict:
  return dataset(page, "#status")

def requests_for(page, fragment) -> list[str]:
  """A list that fills with the URL of every request the page makes whose URL contains `fragment`."""
  urls = []
  page.on("request", lambda request: fragment in request.url and urls.append(request.url))
  return urls

class HeldRequests:
  """Requests matching `pattern` are held unanswered until release(), which sends them on to the real server."""
  def __init__(self, page, pattern):
    self.page, self.pattern, self.routes = page, pattern, []
    page.route(pattern, lambda route: self.routes.append(route))
  def release(self):
    for route in self.routes: route.continue_()
    self.page.unroute(self.pattern)

MISREAD_MODEL, PLACEMENT_SEED = "cnn", 3  # the model conftest's misread_candidates misreads; where draw_misread places them
LEARNED = """([seq, examples]) => {
  const p = document.querySelector("#prediction"), personal = document.querySelector("#personal");
  return personal.dataset.state === "personal" && Number(personal.dataset.examples) === examples &&
         p.dataset.busy === "false" && Number(p.dataset.seq) > seq;
}"""

def personal(page) -> dict:
  return dataset(page, "#personal")

def wait_personal(page, state:str, examples:int) -> None:
  page.wait_for_function("""([state, examples]) => { const p = document.querySelector("#personal").dataset;
    return p.state === state && p.examples === examples; }""", arg=[state, str(examples)], timeout=READY_TIMEOUT_MS)

def forget(page) -> None:
  """Presses "Forget my digits" if there is anything to forget, and waits for the shipped model."""
  if personal(page)["examples"] != "0":
    page.click("#reset-personal")
    wait_personal(page, "shipped", 0)

def teach(page, label:int) -> dict:
  """Presses "It's a <label>" and waits until the model has learned it and predicted the drawing again."""
  seq, examples = int(prediction(page)["seq"]), int(personal(page)["examples"])
  page.click(f'[data-teach="{label}"]')
  page.wait_for_function(LEARNED, arg=[seq, examples + 1], timeout=60_000)
  return prediction(page)

def draw_misread(page, candidates) -> dict:
  """Draws candidates until the page misreads one; returns that digit (its strokes as drawn in 'drawn')."""
  side, rng = canvas_side(page), random.Random(PLACEMENT_SEED)
  for digit in candidates[:8]:
    page.click("#clear-button")
    seq = int(prediction(page)["seq"])
    strokes = place(digit["strokes"], side, rng)
    draw(page, strokes)
    if wait_for_prediction(page, MISREAD_MODEL, seq)["digit"] != str(digit["label"]): return {**digit, "drawn": strokes}
  pytest.fail("none of the shipped model's misread pen digits is misread on the page")

def inside(page) -> dict:
  return dataset(page, "#inside")

# [model, afterSeq] -> whether `model`'s prediction newer than afterSeq has settled on the backend the page settled on,
# with the inside panel showing it (or the page shows an error); for every engine's driver
PANEL_CAUGHT_UP = """([model, afterSeq]) => {
  const p = document.querySelector("#prediction").dataset, inside = document.querySelector("#inside").dataset;
  const status = document.querySelector("#status").dataset;
  if (status.state === "error") return true;
  return status.state === "ready" && status.nextBackend === "" && p.busy === "false" && p.model === model &&
         Number(p.seq) > afterSeq && inside.state === "shown" && inside.model === model;
}"""

def wait_for_panel(page, model:str, after_seq:int) -> tuple[dict, dict]:
  """Waits until `model`'s prediction newer than `after_seq` has settled, on the backend the page settled on, with the
  panel showing `model` (or until the page shows an error): (prediction, panel). The panel waits while the explain
  graph is fetched and compiled for that backend; then it must have caught up with the prediction."""
  page.wait_for_function(PANEL_CAUGHT_UP, arg=[model, after_seq], timeout=READY_TIMEOUT_MS)
  assert not visible(page, "#error"), text(page, "#error")
  return prediction(page), inside(page)

# The page's WebAssembly slowed down (each kernel call waits 5 ms first: the CNN's prediction then takes over 100 ms),
# as on a machine whose CPU path is slower than its WebGPU: auto mode then stays on WebGPU however fast the CPU, and
# however slow SwiftShader, within reason. Workers are left as they are.
SLOW_CPU = """(() => {
  const instantiate = WebAssembly.instantiate;
  const slowed = (kernel) => (...args) => {
    const until = performance.now() + 5;
    while (performance.now() < until);
    return kernel(...args);
  };
  WebAssembly.instantiate = async (...args) => {
    const made = await instantiate.apply(WebAssembly, args);
    if (!(made instanceof WebAssembly.Instance)) return made;
    const exports = Object.fromEntries(Object.entries(made.exports).map(([k, v]) => [k, typeof v === "function" ? slowed(v) : v]));
    return { exports };
  };
})();"""

AXE = pathlib.Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
MAX_TABS = 60  # more than the page's focusable elements: a walk this long has gone round the page
MIN_FOCUS_CONTRAST = 3  # WCAG 1.4.11: a focus indicator against what is around it

# What has the focus, and how it shows: its outline and the contrast of the outline's colour with the page's.
FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const rgb = (colour) => colour.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (colour) => rgb(colour).map((c) => c / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const [a, b] = [style.outlineColor, getComputedStyle(document.documentElement).backgroundColor].map(luminance).sort((x, y) => y - x);
  return {key: el.id || Object.entries(el.dataset).map(([k, v]) => `${k}=${v}`).join(" ") || el.tagName.toLowerCase(),
          body: el === document.body, focusVisible: el.matches(":focus-visible"), outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth), contrast: (a + 0.05) / (b + 0.05)};
}"""

def focused(page) -> dict:
  """FOCUSED of the element that has the focus, which must show it (WCAG 2.4.7, 1.4.11) unless it is the page itself."""
  f = page.evaluate(FOCUSED)
  if not f["body"]:
    assert f["focusVisible"] and f["outline"] != "none" and f["width"] > 0, f"no visible focus on {f['key']}: {f}"
    assert f["contrast"] >= MIN_FOCUS_CONTRAST, f"the focus outline of {f['key']} stands out {f['contrast']:.2f}:1 from the page"
  return f

def tab_to(page, key:str, backwards=False) -> None:
  """Presses Tab (Shift+Tab) until the element whose focused() key is `key` has the focus; every stop shows its focus."""
  seen = []
  for _ in range(MAX_TABS):
    page.keyboard.press("Shift+Tab" if backwards else "Tab")
    seen.append(focused(page)["key"])
    if seen[-1] == key: return
  pytest.fail(f"{key} is not reached with {'Shift+' if backwards else ''}Tab; the focus went to {seen}")

def axe_violations(page) -> list[str]:
  """What axe-core's audit finds on the page, a line each."""
  if not AXE.exists(): pytest.skip(f"{AXE} is missing: ./setup.sh installs it (npm ci --prefix tests)")
  # axe's source inside the function evaluated, not eval'd in the page: the page's Content-Security-Policy refuses eval
  if not page.evaluate("() => typeof axe === 'object'"): page.evaluate("() => {\n" + AXE.read_text() + "\n}")
  return page.evaluate("""async () => (await axe.run()).violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)""")

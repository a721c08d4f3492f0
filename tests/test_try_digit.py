"""The "Try a real digit" button in real Chromium: it draws a real pen digit that the page classifies, and the person can
edit that drawing like their own (undo takes back its last stroke, the eraser erases it)."""
import json, math
import pytest
from conftest import DEFAULT_MODEL, ROOT
from pen_replay import draw, prediction, wait_for_prediction
from page_driving import DESKTOP, ink_at, open_page, wait_ready

SAMPLE = ROOT / "Classifier" / "data" / "pendigits-sample.json"
# placed() puts a digit at a random size and place: fixed here, so that the test knows where each stroke lies.
FIXED_RANDOM = "Math.random = () => 0.5;"

@pytest.fixture(scope="module")
def five() -> dict:
  """A real 5 of two strokes from the page's sample: its body, then the bar on top."""
  return next(d for d in json.loads(SAMPLE.read_text())["digits"] if d["label"] == 5 and len(d["strokes"]) == 2)

@pytest.fixture
def try_page(browser, site_url, five):
  """The page, whose sample holds only `five`, and the strokes the button draws of it, in CSS px of the canvas."""
  page = open_page(browser, "about:blank", viewport=DESKTOP)
  page.add_init_script(FIXED_RANDOM)
  page.route("**/data/pendigits-sample.json", lambda route: route.fulfill(json={"digits": [five]}))
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  page.strokes = page.evaluate("""async (digit) => {
    const { placed } = await import("./js/ui/try_digit.js"), side = document.querySelector("#canvas").clientWidth;
    return placed(digit).map((stroke) => stroke.map(([x, y]) => [x * side, y * side]));
  }""", five)
  yield page
  assert page.console_errors == []
  page.context.close()

def farthest(points, others) -> tuple[float, float]:
  """The point of `points` farthest from every point of `others`."""
  return max(points, key=lambda p: min(math.dist(p, q) for q in others))

def test_a_real_digit_is_drawn_classified_and_editable(try_page):
  page = try_page
  body, bar = page.strokes
  on_bar, on_body = farthest(bar, body), farthest(body, bar)
  seq = int(prediction(page)["seq"])
  page.click("#try-digit")
  page.wait_for_function("() => document.querySelector('#try-info').textContent.startsWith('A real 5')")
  shown = wait_for_prediction(page, DEFAULT_MODEL, seq)
  assert shown["digit"] == "5" and page.inner_text(".predicted-digit") == "5"
  assert ink_at(page, *on_bar) == 255 and ink_at(page, *on_body) == 255
  page.click("#undo-button")  # takes back the bar, the digit's last stroke
  undone = wait_for_prediction(page, DEFAULT_MODEL, int(shown["seq"]))
  assert ink_at(page, *on_bar) == 0 and ink_at(page, *on_body) == 255
  assert undone["digit"] != ""
  page.click('button[data-tool="eraser"]')
  draw(page, [body])  # the eraser is wider than the pen: it covers the whole stroke
  erased = wait_for_prediction(page, DEFAULT_MODEL, int(undone["seq"]))
  assert ink_at(page, *on_body) == 0 and erased["digit"] == ""

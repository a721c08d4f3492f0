"""Classifier/js/ui/preprocess.js in real Chromium: drawings (vector strokes in CSS px) -> MNIST-like 28x28 inputs in -1..1."""
import numpy as np
import pytest

# digits as pen strokes in a unit box (y down), drawn by `drawing` at any size, place and pen width
TWO = [[(0.1, 0.25), (0.3, 0.05), (0.6, 0.0), (0.85, 0.2), (0.8, 0.45), (0.1, 1.0), (0.9, 1.0)]]
FOUR = [[(0.55, 0.0), (0.0, 0.65), (0.8, 0.65)], [(0.6, 0.3), (0.6, 1.0)]]
ONE = [[(0.0, 0.0), (0.0, 1.0)]]

def drawing(shape, height=200, width=12, at=(40, 30)):
  return [{"tool": "pen", "width": width, "points": [[at[0] + x * height, at[1] + y * height] for x, y in stroke]} for stroke in shape]

def eraser(points, width):
  return {"tool": "eraser", "width": width, "points": [list(p) for p in points]}

@pytest.fixture
def harness(page, site_url):
  page.goto(site_url + "tests/pages/preprocess.html")
  page.wait_for_function("window.preprocess")
  yield page
  assert page.console_errors == []

def preprocess(page, *drawings, **options) -> list:
  """Each drawing through toModelInput in the page: a (28,28) float array, or None where it returned null."""
  out = page.evaluate("([drawings, options]) => drawings.map(d => { const x = window.preprocess.toModelInput(d, options); "
                      "return x && Array.from(x); })",
                      [list(drawings), options])
  return [None if x is None else np.array(x, np.float32).reshape(28, 28) for x in out]

def ink(image): return (image + 1) / 2

def extent(image, axis) -> int:
  """Rows (axis=1) or columns (axis=0) holding ink of at least a quarter pixel."""
  return int((ink(image) >= 0.25).any(axis).sum())

def centre(image):
  ys, xs = np.mgrid[0:28, 0:28]
  return (ink(image) * ys).sum() / ink(image).sum(), (ink(image) * xs).sum() / ink(image).sum()

def test_no_ink_is_null(harness):
  line = drawing(ONE)[0]
  results = preprocess(harness, [], [{"tool": "pen", "width": 10, "points": []}], [eraser([(10, 10), (90, 90)], 20)],
                       [line, eraser(line["points"], 30)])
  assert results == [None] * 4

def test_shape_range_and_box(harness):
  length = "(d) => { const x = window.preprocess.toModelInput(d); return x instanceof Float32Array && x.length; }"
  assert harness.evaluate(length, drawing(TWO)) == 784
  for image in preprocess(harness, drawing(TWO), drawing(FOUR, height=90, at=(150, 170))):
    assert np.isfinite(image).all() and image.min() == -1 and image.max() == 1  # background -1, full ink +1, nothing past
    assert image[:3].max() == image[-3:].max() == image[:, :3].max() == image[:, -3:].max() == -1  # 20 px box inside 28
    assert 20 <= extent(image, 1) <= 21 and extent(image, 0) < extent(image, 1)  # the longer side, sub-pixel placed

def test_wide_digit_keeps_its_aspect_ratio(harness):
  two = drawing(TWO)
  wide = [{**s, "points": [[x * 2, y] for x, y in s["points"]]} for s in two]  # twice as wide: longer side horizontal
  tall, flat = preprocess(harness, two, wide)
  assert 20 <= extent(flat, 0) <= 21 and extent(flat, 1) < extent(tall, 1) - 6

def test_centre_of_mass_is_centre(harness):
  for image in preprocess(harness, drawing(TWO), drawing(FOUR, at=(3, 77)), drawing(TWO, height=57, at=(201.3, 13.7))):
    assert np.allclose(centre(image), (14, 14), atol=0.15)

def test_pen_width_and_size_do_not_matter(harness):
  images = preprocess(harness, *[drawing(FOUR, height=h, width=w, at=(h / 7, 250 - h)) for h in (60, 150, 280) for w in (2, 30)])
  for image in images[1:]: assert np.abs(image - images[0]).mean() < 0.01

def test_line_width_fraction_sets_thickness(harness):
  exports = harness.evaluate("Object.keys(window.preprocess)")
  assert {"LINE_WIDTH_FRACTION", "SUPERSAMPLE", "BOX_SIZE", "IMAGE_SIZE", "CENTER"} <= set(exports)
  default, thin, thick = preprocess(harness, drawing(TWO), drawing(TWO, width=40)), *[
    preprocess(harness, drawing(TWO), lineWidthFraction=f)[0] for f in (0.05, 0.2)]
  assert np.array_equal(default[0], default[1])
  assert ink(thin).sum() < ink(default[0]).sum() < ink(thick).sum()

def test_eraser_removes_ink(harness):
  four = drawing(FOUR)
  stray = {"tool": "pen", "width": 12, "points": [[250, 250], [270, 270]]}
  clean, erased_stray, erased_middle, erased_before = preprocess(
    harness, four, four + [stray, eraser([(245, 245), (275, 275)], 20)],
    four + [eraser([(0, 130), (300, 130)], 60)],   # a band across both strokes
    [eraser([(0, 130), (300, 130)], 60)] + four)   # erasing before drawing erases nothing
  assert np.abs(erased_stray - clean).max() < 0.01  # the erased stroke leaves no trace, not even in the box
  assert np.array_equal(erased_before, clean)
  assert ink(erased_middle).sum() < 0.8 * ink(clean).sum() and centre(erased_middle) == pytest.approx((14, 14), abs=0.15)

def test_eraser_cuts_thin_and_thick_pens(harness):
  # a 20 px eraser across a "1" drawn with a 2 px and with a 30 px pen: the gap stays, both halves are kept
  for pen, height in ((2, 200), (30, 60)):
    [cut] = preprocess(harness, drawing(ONE, height=height, width=pen) + [eraser([(0, 30 + height / 2), (100, 30 + height / 2)], 20)])
    rows = np.flatnonzero(ink(cut).max(1) >= 0.25)
    assert 20 <= rows[-1] - rows[0] + 1 <= 21 and ink(cut)[rows[0]:rows[-1]].max(1).min() == 0

def test_dot_and_straight_lines(harness):
  dot, one, minus, same_points = preprocess(harness, [{"tool": "pen", "width": 16, "points": [[100, 100]]}], drawing(ONE),
                                            drawing([[(0, 0), (1, 0)]]), [{"tool": "pen", "width": 8, "points": [[5, 5], [5, 5]]}])
  for image in (dot, one, minus, same_points): assert np.isfinite(image).all() and centre(image) == pytest.approx((14, 14), abs=0.15)
  assert 1 <= extent(dot, 0) == extent(dot, 1) <= 5
  assert 20 <= extent(one, 1) <= 21 and extent(one, 0) <= 5        # a "1" stays 20 px tall and narrow
  assert 20 <= extent(minus, 0) <= 21 and extent(minus, 1) <= 5

def test_document_canvas_fallback(browser, site_url):
  context = browser.new_context()
  page = context.new_page()
  page.add_init_script("delete globalThis.OffscreenCanvas")
  page.goto(site_url + "tests/pages/preprocess.html")
  page.wait_for_function("window.preprocess")
  assert page.evaluate("typeof OffscreenCanvas") == "undefined"
  [image] = preprocess(page, drawing(TWO))
  assert np.isfinite(image).all() and centre(image) == pytest.approx((14, 14), abs=0.15)

"""The "Inside the model" panel in real Chromium: the explain graph gives tinygrad's outputs on WebGPU and on the CPU
backend, the panel follows the prediction and the model switch, and the graph is fetched only once the panel opens."""
import functools
import numpy as np
import pytest
from tinygrad.helpers import Context
from conftest import ROOT, other_model
from digits.export import memory
from digits.export.explain import make_explain
from digits.export.check import TOLERANCE, check_inputs, each_input, error_of
from digits.models import load_model
from pen_replay import draw, prediction, select_model
from page_driving import DESKTOP, SHAPES, draw_and_wait, inside, on_canvas, open_page, requests_for, wait_for_backend, wait_for_panel, wait_ready

EXPLAIN_ALL = """async ([name, backend, inputs]) => {
  const { loadClassifier } = await import("./js/classifier.js");
  const model = await loadClassifier(name, { backend }), results = [];
  for (const x of inputs) {
    const outputs = await model.explain(new Float32Array(x));
    results.push(Object.fromEntries(Object.entries(outputs).map(([key, values]) => [key, Array.from(values)])));
  }
  return [model.backend, results];
}"""

@functools.cache
def tinygrad_explain(name:str) -> list[dict[str, np.ndarray]]:
  """digits/export/explain.py on the CPU with the shipped weights and an empty memory (the page's before any teaching),
  for each check input, every output flattened."""
  with Context(DEV="CPU"):
    explain = make_explain(load_model(name, ROOT / "Classifier" / name / f"{name}.weights.safetensors.gz"), name, memory.empty_memory(name))
    return [{k: v.reshape(-1) for k, v in outputs.items()} for outputs in each_input(explain)]

@pytest.fixture(scope="module")
def blank_page(browser, site_url):
  """An empty page in Classifier/: imports resolve as the page's own do, and no app competes for the two cores."""
  context = browser.new_context()
  page = context.new_page()
  page.route("**/Classifier/blank.html", lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>explain</title>"))
  page.goto(site_url + "Classifier/blank.html")
  yield page
  context.close()

@pytest.mark.parametrize("backend", ["webgpu", "cpu"])
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_explain_gives_tinygrads_outputs(blank_page, mnist_dir, name, backend):
  got_backend, got = blank_page.evaluate(EXPLAIN_ALL, [name, backend, check_inputs().tolist()])
  expected = tinygrad_explain(name)
  assert got_backend == backend
  assert [set(g) for g in got] == [set(e) for e in expected]
  errors = {f"'{k}' of check input {i}": error_of(np.array(g[k]), e[k]) for i, (g, e) in enumerate(zip(got, expected)) for k in e}
  worst = max(errors, key=errors.get)
  assert errors[worst] <= TOLERANCE, f"{worst} differs by {errors[worst]:.2e}"

def assert_follows(shown:dict, panel:dict):
  assert panel["state"] == "shown"
  assert (panel["seq"], panel["model"], panel["first"]) == (shown["seq"], shown["model"], shown["digit"])
  assert panel["second"] != panel["first"]

def assert_renders(page, panel:dict):
  """The pictures are of the model the panel names, and the attributions say in words which digits they explain."""
  for which in ("first", "second"):
    canvas = page.locator(f"#attribution-{which}")
    assert canvas.get_attribute("data-digit") == panel[which] and panel[which] in canvas.get_attribute("aria-label")
  cnn = panel["model"] == "cnn"
  assert page.locator("#inside-conv1, #inside-conv2, #inside-filters").count() == (3 if cnn else 0)
  assert page.locator("#inside-units canvas[data-unit]").count() == (0 if cnn else 8)

def test_the_panel_follows_the_prediction_and_the_model_switch(desktop):
  page = desktop
  page.click("#inside-toggle")
  assert page.get_attribute("#inside-toggle", "aria-expanded") == "true" and page.is_visible("#inside")
  assert inside(page)["state"] == "waiting" and page.inner_text("#inside .inside-note")  # nothing drawn yet
  seq, current = int(prediction(page)["seq"]), prediction(page)["model"]
  other = other_model(current)
  draw(page, on_canvas(page, SHAPES["7"]))  # the first reading may come before the graph is ready; the panel's follows
  shown, panel = wait_for_panel(page, current, seq)
  assert_follows(shown, panel)
  assert_renders(page, panel)
  more = draw_and_wait(page, SHAPES["1"])  # a stroke through the 7: the panel reads the new drawing too
  assert_follows(more, inside(page))
  page.click(f'button[data-model="{other}"]')
  shown, panel = wait_for_panel(page, other, int(more["seq"]))
  assert_follows(shown, panel)
  assert_renders(page, panel)
  page.click(f'button[data-model="{current}"]')
  shown, panel = wait_for_panel(page, current, int(shown["seq"]))
  assert_follows(shown, panel)
  assert_renders(page, panel)
  page.click("#clear-button")
  page.wait_for_selector('#inside[data-state="waiting"]')
  page.click("#inside-toggle")
  assert page.get_attribute("#inside-toggle", "aria-expanded") == "false" and page.is_hidden("#inside")
  assert page.console_errors == []

@pytest.mark.parametrize("browser_fixture, files", [("browser", ["explain.js"]), ("browser_without_webgpu", ["explain.js", "explain.wasm"])])
def test_the_explain_graph_is_fetched_only_once_the_panel_opens(request, site_url, browser_fixture, files):
  page = open_page(request.getfixturevalue(browser_fixture), "about:blank", viewport=DESKTOP)
  fetched = requests_for(page, ".explain.")
  page.goto(site_url + "Classifier/" + ("?backend=webgpu" if browser_fixture == "browser" else ""))
  wait_ready(page)
  wait_for_backend(page, "webgpu" if browser_fixture == "browser" else "cpu")
  seq = int(draw_and_wait(page, SHAPES["4"])["seq"])
  select_model(page, "mlp")
  select_model(page, "cnn")
  page.click("#clear-button")
  draw_and_wait(page, SHAPES["2"])
  assert fetched == []
  page.click("#inside-toggle")
  wait_for_panel(page, "cnn", seq)
  assert sorted(url.rsplit("/", 1)[1] for url in fetched) == [f"cnn.{f}" for f in files]
  assert page.console_errors == []

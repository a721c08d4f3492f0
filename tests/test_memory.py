"""The person's memory on the real page, in real Chromium on WebGPU (SwiftShader) and without it: a taught drawing is
read as taught from the first prediction shown after the press, and stays so through fine-tuning, further presses, a
model switch and a reload; "Forget my digits" empties it; a full memory keeps the newest examples and says so; the
inside panel shows the example a reading leaned on; and window.digitPage.predict answers as the page shows."""
import numpy as np
import pytest
from pen_replay import prediction, select_model
from page_driving import (MISREAD_MODEL, DESKTOP, LEARNED, SHAPES, draw_and_wait, draw_misread, new_page, personal, probabilities, wait_for_backend,
                          wait_for_panel, wait_ready)

# Every prediction the page shows, in order: [{seq, digit, model}] in window.shownPredictions.
RECORD_SHOWN = """document.addEventListener("DOMContentLoaded", () => {
  const shown = document.querySelector("#prediction");
  window.shownPredictions = [];
  new MutationObserver(() => window.shownPredictions.push({ seq: Number(shown.dataset.seq), digit: shown.dataset.digit, model: shown.dataset.model }))
    .observe(shown, { attributes: true, attributeFilter: ["data-seq"] });
});"""
NEWER = "(seq) => { const p = document.querySelector('#prediction').dataset; return Number(p.seq) > seq && p.busy === 'false'; }"

def recording_page(browser, site_url, backend="webgpu", query=""):
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(RECORD_SHOWN)
  page.goto(site_url + f"Classifier/?model={MISREAD_MODEL}&backend={backend}{query}")
  wait_ready(page)
  wait_for_backend(page, backend)
  return page

def shown_since(page, seq:int) -> list[dict]:
  return [s for s in page.evaluate("window.shownPredictions") if s["seq"] > seq]

def press(page, label:int) -> dict:
  """Presses "It's a <label>" and returns the first prediction the page shows after it, once the page has settled."""
  seq = int(prediction(page)["seq"])
  page.click(f'[data-teach="{label}"]')
  page.wait_for_function(NEWER, arg=seq)
  return shown_since(page, seq)[0]

def redraw(page, shape:str) -> dict:
  page.click("#clear-button")
  return draw_and_wait(page, SHAPES[shape])

@pytest.mark.parametrize("which", ["webgpu", "cpu"])
def test_a_misread_pen_digit_is_read_right_from_the_first_prediction_after_the_press(request, site_url, misread_candidates, which):
  page = recording_page(request.getfixturevalue("browser" if which == "webgpu" else "browser_without_webgpu"), site_url, which)
  digit = draw_misread(page, misread_candidates)
  seq, label = int(prediction(page)["seq"]), str(digit["label"])
  page.click(f'[data-teach="{label}"]')
  page.wait_for_function(LEARNED, arg=[seq, 1], timeout=60_000)  # and fine-tuned, which changed the weights under the memory
  after = shown_since(page, seq)
  assert after[0]["seq"] == seq + 1 and after[0]["digit"] == label, after
  assert all(s["digit"] == label for s in after), f"misread again after the press: {after}"
  assert not page.console_errors

def test_presses_in_a_row_are_each_read_right_at_once(browser, site_url):
  """Each drawing is taught a label the network would not give it, the second while the first is still being learned."""
  page = recording_page(browser, site_url)
  taught = {"7": 3, "4": 9}
  for shape, label in taught.items():
    assert redraw(page, shape)["digit"] == shape
    assert press(page, label)["digit"] == str(label)
  page.wait_for_function(LEARNED, arg=[0, 2], timeout=60_000)
  for shape, label in taught.items(): assert redraw(page, shape)["digit"] == str(label)
  assert personal(page)["memory"] == "2"

def test_the_memory_follows_a_model_switch_and_a_reload(browser, site_url):
  page = recording_page(browser, site_url)
  redraw(page, "7")
  assert press(page, 3)["digit"] == "3"
  seq = int(prediction(page)["seq"])
  select_model(page, "mlp")
  first_mlp = next(s for s in shown_since(page, seq) if s["model"] == "mlp")
  assert first_mlp["digit"] == "3", "the other model read the taught drawing without the memory"
  select_model(page, "cnn")
  page.reload()
  wait_ready(page)
  assert redraw(page, "7")["digit"] == "3"
  assert select_model(page, "mlp")["digit"] == "3"
  assert personal(page)["memory"] == "1" and personal(page)["examples"] == "1"

def test_forgetting_empties_the_memory(browser, site_url):
  page = recording_page(browser, site_url)
  redraw(page, "7")
  press(page, 3)
  seq = int(prediction(page)["seq"])
  page.click("#reset-personal")
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'shipped'")
  page.wait_for_function(NEWER, arg=seq)
  assert prediction(page)["digit"] == "7" and personal(page)["memory"] == "0"
  assert redraw(page, "7")["digit"] == "7"

STORED_EXAMPLES = """() => new Promise((resolve) => {
  indexedDB.open("digit-classifier-personal").onsuccess = ({ target: { result: db } }) => {
    db.transaction("examples").objectStore("examples").count().onsuccess = ({ target: { result } }) => { db.close(); resolve(result); };
  };
})"""

def test_a_full_memory_keeps_the_newest_examples_says_so_and_the_store_keeps_all(browser, site_url):
  """With fine-tuning off the memory alone answers: once more examples are taught than it has room for, the oldest (a 7
  taught as a 3) is overwritten, and the drawing reads as the network reads it again."""
  page = recording_page(browser, site_url, query="&finetune=off")
  redraw(page, "7")
  assert press(page, 3)["digit"] == "3"
  capacity = int(personal(page)["memoryCapacity"])
  redraw(page, "1")
  for _ in range(capacity): page.click('[data-teach="1"]')
  for reloaded in (False, True):
    if reloaded:
      page.reload()
      wait_ready(page)
    page.wait_for_function("(n) => document.querySelector('#personal').dataset.examples === String(n)", arg=capacity + 1)
    assert redraw(page, "7")["digit"] == "7" and redraw(page, "1")["digit"] == "1"  # the memory is filled before a reading
    assert (personal(page)["memory"], personal(page)["state"]) == (str(capacity), "personal")
    assert f"Its memory holds the newest {capacity} of them." in page.inner_text("#personal")
    assert page.evaluate(STORED_EXAMPLES) == capacity + 1
  assert not page.console_errors

HOOK = """async () => {
  const x = await window.digitPage.input();
  const { digit, probabilities } = await window.digitPage.predict(x);
  return { digit, probabilities, isArray: Array.isArray(probabilities) };
}"""

def assert_hook_answers_as_shown(page):
  got, shown = page.evaluate(HOOK), prediction(page)
  assert got["isArray"] and str(got["digit"]) == shown["digit"]
  bars = probabilities(page)
  np.testing.assert_allclose(got["probabilities"], [bars[str(d)] for d in range(10)], atol=1e-6)

def test_the_page_hook_answers_as_the_page_shows(browser, site_url):
  page = recording_page(browser, site_url)
  redraw(page, "4")
  assert_hook_answers_as_shown(page)
  press(page, 9)
  assert_hook_answers_as_shown(page)
  select_model(page, "mlp")
  assert_hook_answers_as_shown(page)
  seq = int(prediction(page)["seq"])
  page.click("#inside-toggle")  # the panel open: the page reads with the explain graph
  wait_for_panel(page, "mlp", seq)
  assert_hook_answers_as_shown(page)
  for bad in ("new Float32Array(10)", "new Float32Array(784).fill(2)", "Array(784).fill(0)"):
    error = page.evaluate(f"() => window.digitPage.predict({bad}).then(() => null, (e) => e.message)")
    assert error == "digitPage.predict(x): x must be a Float32Array of 784 values in -1..1", bad
  assert not page.console_errors

def test_the_inside_panel_shows_the_example_a_reading_leaned_on(browser, site_url):
  page = recording_page(browser, site_url)
  page.click("#inside-toggle")
  seq = int(redraw(page, "7")["seq"])
  wait_for_panel(page, "cnn", seq - 1)
  assert page.get_attribute("#inside", "data-memory") == "false" and page.is_hidden("#inside-memory")
  press(page, 3)
  page.wait_for_function("() => document.querySelector('#inside').dataset.memory === 'true'")
  assert page.get_attribute("#memory-example", "data-label") == "3" and page.is_visible("#memory-example")
  assert page.inner_text("#inside-memory").startswith("Leaned on your own 3: this very drawing")
  ink = page.locator("#memory-example").evaluate("c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))")
  assert min(ink) < 64, "the example is not drawn"
  seq = int(redraw(page, "1")["seq"])
  _, panel = wait_for_panel(page, "cnn", seq - 1)
  assert panel["memory"] == "false" and page.is_hidden("#inside-memory")
  assert not page.console_errors

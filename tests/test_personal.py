"""The page learns the person's handwriting, in real Chromium: a real pen digit that the shipped model misreads is drawn
with the mouse, taught with the "It's a ..." buttons, and read right afterwards, on WebGPU and without it; teaching is
queued, kept across reloads, forgotten on reset, downloadable for models.load_model; a damaged, foreign or outdated
store is discarded with a notice; drawing goes on while the model learns; and no request carries a drawing."""
import time
import numpy as np
import pytest
from tinygrad import Tensor
from conftest import ROOT
from digits.models import load_model
from pen_replay import draw, prediction, wait_for_prediction
from page_driving import (MISREAD_MODEL, LEARNED, SHAPES, draw_and_wait, draw_misread, ink_at, on_canvas, open_page, personal, teach,
                          wait_for_backend, wait_ready)

MODEL, MAX_TEACHES = MISREAD_MODEL, 4
def page_at(browser, site_url, backend=None, query=""):
  """The page with MODEL; on `backend` if given ("webgpu" forced: in auto mode the page may choose the CPU by speed)."""
  forced = "&backend=webgpu" if backend == "webgpu" else ""
  page = open_page(browser, site_url + f"Classifier/?model={MODEL}{forced}{query}", viewport={"width": 1280, "height": 800})
  wait_ready(page)
  if backend: wait_for_backend(page, backend)
  return page

def teach_until_read(page, digit) -> list[str]:
  """Teaches the drawing's true label until the page reads it right; the backends that learned, in order."""
  backends = []
  for _ in range(MAX_TEACHES):
    read = teach(page, digit["label"])["digit"]
    backends.append(personal(page)["backend"])
    if read == str(digit["label"]): return backends
  pytest.fail(f"still read as {read} after {MAX_TEACHES} teachings of a {digit['label']}")

def test_teaching_on_webgpu_fixes_a_misread_drawing(browser, site_url, misread_candidates):
  """?backend=webgpu: WebGPU learns too, however slow its training steps (in auto mode SwiftShader's are too slow:
  test_backend_choice.py)."""
  page = page_at(browser, site_url, "webgpu")
  digit = draw_misread(page, misread_candidates)
  assert personal(page)["state"] == "shipped" and page.is_disabled("#export-personal")
  backends = teach_until_read(page, digit)
  # the first teaching runs on the CPU while WebGPU compiles its training pipelines (seconds on SwiftShader, however
  # few teachings it takes to fix the drawing); once they are ready, teaching runs on WebGPU
  deadline = time.monotonic() + 60
  while backends[-1] != "webgpu" and time.monotonic() < deadline:
    page.wait_for_timeout(500)
    assert teach(page, digit["label"])["digit"] == str(digit["label"])
    backends.append(personal(page)["backend"])
  assert backends[-1] == "webgpu" and page.get_attribute("#status", "data-backend") == "webgpu"
  assert page.inner_text("#personal").startswith(f"Learned from {len(backends)} of your digits")
  assert not page.console_errors

def test_teaching_without_webgpu_fixes_a_misread_drawing(browser_without_webgpu, site_url, misread_candidates):
  page = page_at(browser_without_webgpu, site_url, "cpu")
  digit = draw_misread(page, misread_candidates)
  assert set(teach_until_read(page, digit)) == {"cpu"}
  assert not page.console_errors

def test_queued_teaching_keeps_every_example_and_drawing_goes_on(browser, site_url):
  page = page_at(browser, site_url)
  draw_and_wait(page, SHAPES["4"])
  seq = int(prediction(page)["seq"])
  page.click('[data-teach="4"]')
  page.click("#clear-button")
  draw(page, on_canvas(page, SHAPES["7"]))  # drawn while the first example is learned
  page.click('[data-teach="7"]')
  strokes = on_canvas(page, [SHAPES["1"][0]])
  draw(page, strokes)  # and one more stroke while both are learned
  page.wait_for_function(LEARNED, arg=[seq, 2], timeout=60_000)
  assert all(ink_at(page, x, y) > 0 for x, y in strokes[0][::4]), "a stroke drawn while learning was lost"
  assert ink_at(page, *on_canvas(page, SHAPES["7"])[0][0]) > 0
  assert page.inner_text("#personal").startswith("Learned from 2 of your digits")

def test_teaching_survives_a_reload_and_reset_forgets_it(browser, site_url):
  page = page_at(browser, site_url)
  shipped = float(draw_and_wait(page, SHAPES["2"])["confidence"])
  taught = float(teach(page, 7)["confidence"])  # a 2 taught as a 7: the confidence in what it reads moves
  page.reload()
  wait_ready(page)
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'personal'")
  assert personal(page)["examples"] == "1" and not page.is_visible("#notice")
  assert float(draw_and_wait(page, SHAPES["2"])["confidence"]) == pytest.approx(taught, abs=1e-4), "the reloaded model is not the taught one"
  seq = int(prediction(page)["seq"])
  page.click("#reset-personal")
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'shipped'")
  assert float(wait_for_prediction(page, MODEL, seq)["confidence"]) == pytest.approx(shipped, abs=1e-4)
  page.reload()
  wait_ready(page)
  shown = personal(page)
  assert {k: shown[k] for k in ("state", "examples", "backend", "kept", "memory")} == \
         {"state": "shipped", "examples": "0", "backend": "", "kept": "0", "memory": "0"}
  assert float(draw_and_wait(page, SHAPES["2"])["confidence"]) == pytest.approx(shipped, abs=1e-4)

def test_export_is_read_by_load_model(browser, site_url, tmp_path):
  page = page_at(browser, site_url)
  draw_and_wait(page, SHAPES["7"])
  teach(page, 7)
  with page.expect_download() as download: page.click("#export-personal")
  assert download.value.suggested_filename == f"{MODEL}-personal.safetensors"
  download.value.save_as(path := tmp_path / download.value.suggested_filename)
  mine, shipped = (load_model(MODEL, p) for p in (path, ROOT / "Classifier" / MODEL / f"{MODEL}.weights.safetensors.gz"))
  x = Tensor(np.random.default_rng(0).uniform(-1, 1, (4, 784)).astype(np.float32))
  assert not np.allclose(mine(x).numpy(), shipped(x).numpy()), "the download holds the shipped weights, not the learned ones"

def wait_for_notice(page, text:str) -> None:
  page.wait_for_function("(text) => document.querySelector('#notice').textContent.includes(text)", arg=text, timeout=60_000)

SEED_STORE = """async (records) => {
  await new Promise((resolve) => { const r = indexedDB.deleteDatabase("digit-classifier-personal"); r.onsuccess = r.onerror = resolve; });
  const open = indexedDB.open("digit-classifier-personal", 1);
  open.onupgradeneeded = () => { for (const name of Object.keys(records)) open.result.createObjectStore(name, { autoIncrement: true }); };
  const db = await new Promise((resolve) => { open.onsuccess = () => resolve(open.result); });
  const tx = db.transaction(Object.keys(records), "readwrite");
  for (const [name, values] of Object.entries(records)) for (const value of values) tx.objectStore(name).add(value);
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  db.close();
}"""

@pytest.mark.parametrize("records,message", [
  ({"examples": [{"input": "scribble", "label": 42}], "models": []}, "Your saved digits were damaged"),
  ({"notes": [{"text": "someone else's"}]}, "unknown format"),
])
def test_a_damaged_or_foreign_store_is_discarded_with_a_notice(browser, site_url, records, message):
  page = open_page(browser, site_url + "tests/pages/preprocess.html")
  page.evaluate(SEED_STORE, records)
  page.goto(site_url + f"Classifier/?model={MODEL}")
  wait_ready(page)
  wait_for_notice(page, message)  # the store is read once the model is ready
  assert personal(page)["state"] == "shipped" and page.get_attribute("#status", "data-state") == "ready"
  draw_and_wait(page, SHAPES["7"])
  teach(page, 7)  # and the store works again
  assert not page.console_errors

def test_an_outdated_model_is_discarded_and_learned_again(browser, site_url):
  page = page_at(browser, site_url)
  draw_and_wait(page, SHAPES["4"])
  teach(page, 4)
  page.evaluate("""() => new Promise((resolve) => {
    indexedDB.open("digit-classifier-personal", 1).onsuccess = ({ target: { result: db } }) => {
      const models = db.transaction("models", "readwrite").objectStore("models");
      models.get("cnn").onsuccess = ({ target: { result } }) => { models.put({ ...result, version: "0123456789abcdef" }).onsuccess = resolve; };
    };
  })""")
  page.reload()
  wait_ready(page)
  wait_for_notice(page, "learned from other shipped weights (version 0123456789abcdef)")
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'personal'", timeout=60_000)
  assert personal(page)["examples"] == "1"

def test_no_request_carries_a_drawing(browser, site_url):
  page = page_at(browser, site_url, "webgpu")
  requests = []
  page.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))
  draw_and_wait(page, SHAPES["0"])
  teach(page, 0)
  page.click("#clear-button")
  draw_and_wait(page, SHAPES["4"])
  teach(page, 4)
  assert requests, "teaching fetched nothing: the training graph and the replay sample must come on the first teaching"
  assert all(method == "GET" and body is None and url.startswith(site_url) for method, url, body in requests), requests
  assert "nothing you draw or teach is sent anywhere" in page.inner_text(".privacy")

"""The page in real Chromium over a real HTTP server: drawing, live classification, the automation hooks, phone use,
answering on the CPU until WebGPU is ready, loading the other model only on intent, the CPU fallback and load errors.
Most tests share one desktop page (loading the models is the slow part)."""
import pathlib
import pytest
from conftest import DEFAULT_MODEL, OTHER_MODEL, serve
from pen_replay import prediction, select_model, wait_for_prediction
from page_driving import (DESKTOP, SLOW_CPU, PHONE, READY_TIMEOUT_MS, SHAPES, HeldRequests, draw_and_wait, ink_at, new_page, on_canvas, open_page,
                          probabilities, requests_for, status, wait_for_backend, wait_ready, wait_settled)

def assert_empty(page):
  shown = prediction(page)
  assert (shown["digit"], shown["confidence"]) == ("", "")
  assert set(probabilities(page).values()) == {0.0}

@pytest.fixture
def fresh(desktop):
  """The shared desktop page, emptied, with the pen and the CNN selected; it must end with no console errors."""
  desktop.click("#clear-button")
  desktop.click('button[data-tool="pen"]')
  select_model(desktop, "cnn")
  desktop.wait_for_selector('#prediction[data-busy="false"]')
  yield desktop
  assert desktop.console_errors == []

@pytest.fixture(scope="module")
def webgpu_predictions(desktop) -> dict[str, dict[str, dict]]:
  """{model: {shape: prediction}} on the WebGPU page, for comparison with the CPU fallback."""
  results = {"cnn": {}, "mlp": {}}
  for name, shape in SHAPES.items():
    desktop.click("#clear-button")
    select_model(desktop, "cnn")
    results["cnn"][name] = draw_and_wait(desktop, shape)
    results["mlp"][name] = select_model(desktop, "mlp")
  desktop.click("#clear-button")
  return results


def test_page_loads_ready_and_empty(fresh):
  assert (status(fresh)["backend"], status(fresh)["nextBackend"]) == ("webgpu", "")
  assert fresh.locator("#error").is_hidden()
  assert fresh.get_attribute('button[data-model="cnn"]', "aria-pressed") == "true"
  assert fresh.get_attribute('button[data-model="mlp"]', "aria-pressed") == "false"
  assert fresh.locator("#histogram [data-digit]").count() == 10
  assert_empty(fresh)
  assert fresh.locator("#input-preview").evaluate("el => [el.width, el.height]") == [28, 28]

def test_drawing_gives_a_prediction_whose_probabilities_sum_to_one(fresh):
  shown = draw_and_wait(fresh, SHAPES["1"])
  assert shown["digit"] == "1" and shown["model"] == "cnn"
  bars = probabilities(fresh)
  assert abs(sum(bars.values()) - 1) <= 1e-4
  assert max(bars, key=bars.get) == shown["digit"]
  assert float(shown["confidence"]) == pytest.approx(bars[shown["digit"]])
  assert fresh.get_attribute(f'#histogram [data-digit="{shown["digit"]}"]', "data-winner") == "true"
  assert fresh.inner_text(".predicted-digit") == "1"
  assert "WebGPU" in fresh.inner_text("#inference-info") and " ms" in fresh.inner_text("#inference-info")
  # The model input preview shows ink (dark pixels) where the line is: the middle column of the 28x28 image.
  darkest = fresh.locator("#input-preview").evaluate(
    "el => Math.min(...el.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))")
  assert darkest < 64

def test_model_switch_reclassifies_at_once(fresh):
  cnn = draw_and_wait(fresh, SHAPES["7"])
  busy_in_handler = fresh.evaluate("""() => {
    document.querySelector('button[data-model="mlp"]').click();
    return document.querySelector("#prediction").dataset.busy;
  }""")
  assert busy_in_handler == "true"
  mlp = wait_for_prediction(fresh, "mlp", int(cnn["seq"]))
  assert int(mlp["seq"]) > int(cnn["seq"]) and mlp["digit"] != ""
  assert fresh.get_attribute('button[data-model="mlp"]', "aria-pressed") == "true"
  assert fresh.get_attribute('button[data-model="cnn"]', "aria-pressed") == "false"
  back = select_model(fresh, "cnn")
  assert (back["digit"], back["confidence"]) == (cnn["digit"], cnn["confidence"])

def test_undo_removes_the_last_stroke(fresh):
  first_stroke = draw_and_wait(fresh, SHAPES["4"][:1])
  both_strokes = draw_and_wait(fresh, SHAPES["4"][1:])
  fresh.click("#undo-button")
  undone = wait_for_prediction(fresh, "cnn", int(both_strokes["seq"]))
  assert (undone["digit"], undone["confidence"]) == (first_stroke["digit"], first_stroke["confidence"])
  fresh.keyboard.press("Control+z")
  wait_for_prediction(fresh, "cnn", int(undone["seq"]))
  assert_empty(fresh)

def test_eraser_removes_ink_and_clear_empties(fresh):
  line = SHAPES["1"]
  draw_and_wait(fresh, line)
  fresh.click('button[data-tool="eraser"]')
  assert fresh.get_attribute('button[data-tool="eraser"]', "aria-pressed") == "true"
  assert fresh.get_attribute('button[data-tool="pen"]', "aria-pressed") == "false"
  erased = draw_and_wait(fresh, line)  # the eraser is wider than the pen: it covers the whole line
  assert erased["digit"] == ""
  assert_empty(fresh)
  fresh.click('button[data-tool="pen"]')
  drawn = draw_and_wait(fresh, SHAPES["0"])
  assert drawn["digit"] != ""
  fresh.click("#clear-button")
  cleared = wait_for_prediction(fresh, "cnn", int(drawn["seq"]))
  assert cleared["digit"] == "" and cleared["model"] == "cnn"
  assert_empty(fresh)
  assert ink_at(fresh, *on_canvas(fresh, SHAPES["0"])[0][0]) == 0

def test_a_tap_draws_a_dot(fresh):
  x, y = on_canvas(fresh, [[(0.3, 0.4)]])[0][0]
  shown = draw_and_wait(fresh, [[(0.3, 0.4)]])
  assert ink_at(fresh, x, y) == 255
  assert shown["digit"] != ""

# Pointer events dispatched from the page itself, one per task: far faster than any inference, which the browser's
# input pipeline (one pointermove per frame for real input) would not allow.
BURST = """async (strokes) => {
  const canvas = document.querySelector("#canvas"), box = canvas.getBoundingClientRect();
  const nextTask = () => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = resolve;
    channel.port2.postMessage(null);
  });
  const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
    pointerId: 1, pointerType: "mouse", isPrimary: true, bubbles: true, cancelable: true,
    button: type === "pointermove" ? -1 : 0, buttons: type === "pointerup" ? 0 : 1,
    clientX: box.left + x, clientY: box.top + y}));
  let moves = 0;
  for (const stroke of strokes) {
    send("pointerdown", stroke[0]);
    for (const point of stroke.slice(1)) {
      send("pointermove", point);
      moves += 1;
      await nextTask();
    }
    send("pointerup", stroke.at(-1));
  }
  return moves;
}"""

def classify_measures_since(page, since:float) -> list[dict]:
  """The page's "classify" User Timing measures (one per computation, see js/model/scheduler.js) that began at `since` or
  later, in order: [{start, end}] in ms of performance.now()."""
  return page.evaluate("""(since) => performance.getEntriesByName("classify", "measure")
    .filter((m) => m.startTime >= since).map((m) => ({start: m.startTime, end: m.startTime + m.duration}))""", since)

def test_burst_of_fast_strokes_settles_on_the_final_drawing(fresh):
  side = fresh.locator("#canvas").evaluate("el => el.clientWidth")
  strokes = []
  for i in range(300):  # short zig-zags all over the canvas
    x, y = side * (0.1 + 0.8 * (i * 37 % 100) / 100), side * (0.1 + 0.8 * (i * 61 % 100) / 100)
    strokes.append([(x, y), (x + 6, y + 3), (x + 12, y - 2), (x + 18, y + 4)])
  seq_before, since = int(prediction(fresh)["seq"]), fresh.evaluate("performance.now()")
  moves = fresh.evaluate(BURST, strokes)
  final = wait_for_prediction(fresh, "cnn", seq_before)
  measures = classify_measures_since(fresh, since)
  print(f"burst: {moves} moves in {len(strokes)} strokes -> {len(measures)} computations")
  # One computation in flight at a time: each starts only once the one before has ended (the end is computed as
  # start + duration, which may round a hair above the next start).
  assert measures and all(later["start"] >= earlier["end"] - 1e-6 for earlier, later in zip(measures, measures[1:]))
  assert len(measures) == int(final["seq"]) - seq_before  # every computation showed its prediction
  # The shown prediction is the one for the finished drawing: classifying the same drawing again gives the same.
  select_model(fresh, "mlp")
  again = select_model(fresh, "cnn")
  assert (again["digit"], again["confidence"]) == (final["digit"], final["confidence"])

def test_keyboard_switches_models_and_reads_bars(fresh):
  shown = draw_and_wait(fresh, SHAPES["7"])
  fresh.focus('button[data-model="mlp"]')
  fresh.keyboard.press("Enter")
  wait_for_prediction(fresh, "mlp", int(shown["seq"]))
  fresh.focus('button[data-model="cnn"]')
  fresh.keyboard.press("Space")
  shown = wait_for_prediction(fresh, "cnn", int(shown["seq"]))
  bar = fresh.locator(f'#histogram [data-digit="{shown["digit"]}"]')
  assert bar.get_attribute("tabindex") == "0"
  bar.focus()
  percent = f'{100 * float(bar.get_attribute("data-probability")):.2f}%'
  assert bar.locator(".bar-value").is_visible() and bar.locator(".bar-value").inner_text() == percent
  assert percent in bar.get_attribute("aria-label") and percent in bar.get_attribute("title")
  for button in ("#undo-button", "#clear-button", 'button[data-tool="pen"]', 'button[data-tool="eraser"]'):
    assert fresh.get_attribute(button, "aria-label")

def test_resize_keeps_the_drawing_and_stays_sharp(fresh):
  draw_and_wait(fresh, SHAPES["1"])
  try:
    fresh.set_viewport_size({"width": 900, "height": 640})
    fresh.wait_for_function("() => document.querySelector('#canvas').clientWidth < 500")
    size = fresh.locator("#canvas").evaluate("el => [el.width, el.clientWidth, devicePixelRatio]")
    assert size[0] == round(size[1] * size[2])
    x, y = on_canvas(fresh, [[(0.5, 0.5)]])[0][0]
    assert ink_at(fresh, x, y) == 255  # the line, scaled with the canvas, still runs through its centre
  finally:
    fresh.set_viewport_size(DESKTOP)


def test_phone_touch_draws_and_predicts_without_horizontal_scroll(browser, site_url):
  page = open_page(browser, site_url + "Classifier/", viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
  wait_ready(page)
  assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
  canvas = page.locator("#canvas").evaluate("el => ({side: el.clientWidth, height: el.clientHeight, store: el.width})")
  assert canvas["side"] == canvas["height"] and canvas["side"] >= 0.85 * PHONE["width"]
  assert canvas["store"] == 2 * canvas["side"]  # sharp on a high-DPI screen
  box = page.locator("#canvas").bounding_box()
  cdp = page.context.new_cdp_session(page)
  seq = int(prediction(page)["seq"])
  for stroke in on_canvas(page, SHAPES["7"]):
    for i, (x, y) in enumerate(stroke):
      cdp.send("Input.dispatchTouchEvent", {"type": "touchStart" if i == 0 else "touchMove",
                                            "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
  shown = wait_for_prediction(page, DEFAULT_MODEL, seq)
  assert shown["digit"] != ""
  assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
  assert page.console_errors == []

def test_auto_answers_on_the_cpu_until_webgpu_is_ready_then_shows_the_webgpu_prediction(browser, site_url):
  """The WebGPU model's module is held back, so the page must answer on the CPU first; once it is let through, the
  page times both and moves to WebGPU, showing the prediction computed again there. The page's WebAssembly is slowed
  (SLOW_CPU) so that WebGPU is the faster on any machine; a WebGPU slower than a frame is test_backend_choice's. One
  download of the weights serves both."""
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(SLOW_CPU)
  weights = requests_for(page, f"{DEFAULT_MODEL}.weights.safetensors.gz")
  webgpu_module = HeldRequests(page, f"**/{DEFAULT_MODEL}/{DEFAULT_MODEL}.js")
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  assert (status(page)["backend"], status(page)["nextBackend"]) == ("cpu", "webgpu")
  assert "starting WebGPU" in page.inner_text("#status")
  on_cpu = draw_and_wait(page, SHAPES["7"])
  cpu_bars = probabilities(page)
  assert "CPU" in page.inner_text("#inference-info")
  webgpu_module.release()
  assert wait_settled(page) == "webgpu", page.inner_text("#notice")
  on_gpu = wait_for_prediction(page, DEFAULT_MODEL, int(on_cpu["seq"]))
  assert on_gpu["digit"] == on_cpu["digit"] == "7"
  assert probabilities(page) == pytest.approx(cpu_bars, abs=1e-4)
  assert "WebGPU" in page.inner_text("#inference-info") and page.inner_text("#status") == f"{DEFAULT_MODEL.upper()} ready · WebGPU"
  assert len(weights) == 1, weights
  assert page.console_errors == []

def test_a_webgpu_failure_once_the_cpu_answers_is_shown_and_the_cpu_goes_on(page, site_url):
  page.route(f"**/{DEFAULT_MODEL}/{DEFAULT_MODEL}.js", lambda route: route.fulfill(status=404, body="not found"))
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  wait_for_backend(page, "cpu")
  notice = page.inner_text("#notice")
  assert page.locator("#notice").is_visible() and f"{DEFAULT_MODEL}.js" in notice and "runs on the CPU" in notice, notice
  assert status(page)["state"] == "ready" and page.locator("#error").is_hidden()
  shown = draw_and_wait(page, SHAPES["7"])
  assert shown["digit"] == "7" and "CPU" in page.inner_text("#inference-info")

@pytest.mark.parametrize("intent", ["hover", "focus"])
def test_the_other_model_is_fetched_only_once_the_person_reaches_for_it(browser, site_url, intent):
  page = new_page(browser, viewport=DESKTOP)
  other_files, other_weights = requests_for(page, f"/Classifier/{OTHER_MODEL}/"), requests_for(page, f"{OTHER_MODEL}.weights.safetensors.gz")
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  wait_settled(page)
  shown = draw_and_wait(page, SHAPES["7"])
  page.wait_for_timeout(1000)  # time enough for a background preload to start, were there one
  assert other_files == []
  held_weights = HeldRequests(page, f"**/{OTHER_MODEL}/{OTHER_MODEL}.weights.safetensors.gz")
  with page.expect_request(f"**/{OTHER_MODEL}/{OTHER_MODEL}.weights.safetensors.gz"):
    getattr(page, intent)(f'button[data-model="{OTHER_MODEL}"]')
  page.click(f'button[data-model="{OTHER_MODEL}"]')
  assert (status(page)["state"], prediction(page)["busy"]) == ("loading", "true")  # the weights are still held
  held_weights.release()
  other = wait_for_prediction(page, OTHER_MODEL, int(shown["seq"]))
  assert other["digit"] != ""
  wait_ready(page)
  wait_settled(page)
  assert len(other_weights) == 1, other_weights
  assert page.console_errors == []

def test_backend_webgpu_never_answers_on_the_cpu(browser, browser_without_webgpu, site_url):
  record = """document.addEventListener("DOMContentLoaded", () => {
    const status = document.querySelector("#status");
    window.backendsShown = [];
    new MutationObserver(() => window.backendsShown.push(status.dataset.backend))
      .observe(status, {attributes: true, attributeFilter: ["data-backend"]});
  });"""
  with_gpu, without_gpu = new_page(browser, viewport=DESKTOP), new_page(browser_without_webgpu, viewport=DESKTOP)
  with_gpu.add_init_script(record)
  with_gpu.goto(site_url + "Classifier/?backend=webgpu")
  wait_ready(with_gpu)
  assert with_gpu.evaluate("window.backendsShown") == ["webgpu"]
  without_gpu.goto(site_url + "Classifier/?backend=webgpu")
  without_gpu.wait_for_selector('#status[data-state="error"]', timeout=READY_TIMEOUT_MS)
  assert "WebGPU is not available" in without_gpu.inner_text("#error")

def test_without_webgpu_falls_back_to_cpu_with_the_same_predictions(browser_without_webgpu, site_url, webgpu_predictions):
  page = open_page(browser_without_webgpu, site_url + "Classifier/", viewport=DESKTOP)
  wait_ready(page)
  wait_for_backend(page, "cpu")
  assert "WebGPU is not available" in page.inner_text("#notice") and page.locator("#notice").is_visible()
  for name, shape in SHAPES.items():
    page.click("#clear-button")
    select_model(page, "cnn")
    on_cpu = {"cnn": draw_and_wait(page, shape), "mlp": select_model(page, "mlp")}
    for model, shown in on_cpu.items():
      on_gpu = webgpu_predictions[model][name]
      assert shown["digit"] == on_gpu["digit"], (model, name)
      assert float(shown["confidence"]) == pytest.approx(float(on_gpu["confidence"]), abs=1e-3)
  assert "CPU" in page.inner_text("#inference-info")
  assert page.console_errors == []

def test_missing_weights_are_shown_on_the_page(page, site_url):
  page.route("**/*.weights.safetensors.gz", lambda route: route.fulfill(status=404, body="not found"))
  page.goto(site_url + "Classifier/?backend=bogus")
  page.wait_for_selector('#status[data-state="error"]', timeout=READY_TIMEOUT_MS)
  message = page.inner_text("#error")
  assert page.locator("#error").is_visible() and ("404" in message or "safetensors" in message)
  assert "bogus" in page.inner_text("#notice")  # an unknown query value is reported, and "auto" used

def test_query_chooses_model_and_backend_when_served_from_the_classifier_folder(browser):
  server, url = serve(pathlib.Path(__file__).resolve().parent.parent / "Classifier")  # as `cd Classifier && python -m http.server`
  page = open_page(browser, url + f"?model={OTHER_MODEL}&backend=cpu", viewport=DESKTOP)  # not the default: the query decides
  try:
    wait_ready(page)
    assert page.get_attribute(f'button[data-model="{OTHER_MODEL}"]', "aria-pressed") == "true"
    assert page.get_attribute("#status", "data-backend") == "cpu"
    shown = draw_and_wait(page, SHAPES["1"])
    assert shown["model"] == OTHER_MODEL and shown["digit"] != ""
    assert page.console_errors == []
  finally:
    server.shutdown()

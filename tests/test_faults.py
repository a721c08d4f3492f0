"""Faults a person meets (issue 20), each reproduced on the real page in real Chromium: storage refused, two tabs, a
deploy without the CPU module, the other model shown after teaching, forgetting while a digit is learned, a newer
deploy while an older tab holds the store, the GPU lost with the inside panel open or with no adapter afterwards, and
the weights' download without WebGPU. Each asserts what the person sees, and what the store holds after a reload."""
import shutil
import pytest
from conftest import ROOT, serve
from pen_replay import prediction, select_model, wait_for_prediction
from page_driving import (DESKTOP, LEARNED, SHAPES, SLOW_CPU, HeldRequests, draw_and_wait, new_page, personal, requests_for, status, wait_for_backend,
                          wait_for_panel, wait_ready, wait_settled, wait_until)

STORE = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("digit-classifier-personal");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const db = opening.result, out = {};
    if (!db.objectStoreNames.contains("examples")) { db.close(); return resolve({ examples: [], models: [] }); }
    const tx = db.transaction(["examples", "models"]);
    tx.objectStore("examples").getAll().onsuccess = ({ target }) => { out.examples = target.result.map((e) => [e.id, e.label]); };
    tx.objectStore("models").getAll().onsuccess = ({ target }) => { out.models = target.result.map((r) => [r.model, r.learned]); };
    tx.oncomplete = () => { db.close(); resolve(out); };
  };
})"""

def stored(page, models:int=0) -> dict:
  """What the store holds, once it holds `models` model records: {examples: [[id, label]], models: [[model, ids learned]]}."""
  page.wait_for_function(f"async () => ({STORE})().then((held) => held.models.length === {models})", timeout=30_000)
  return page.evaluate(STORE)

def open_at(page, url, backend="auto"):
  page.bring_to_front()  # the tab a person looks at: a background tab's frames wait
  page.goto(url)
  wait_ready(page)
  return wait_settled(page) if backend == "auto" else wait_for_backend(page, backend)

def teach_shape(page, shape:str, label:int, examples:int):
  """Draws SHAPES[shape] afresh, presses "It's a <label>", and waits until the model has learned `examples` digits; in
  the front tab, as a person would."""
  page.bring_to_front()
  page.click("#clear-button")
  seq = int(draw_and_wait(page, SHAPES[shape])["seq"])
  page.click(f'[data-teach="{label}"]')
  page.wait_for_function(LEARNED, arg=[seq, examples], timeout=60_000)

def examples_shown(page, count:int):
  page.wait_for_function("(n) => document.querySelector('#personal').dataset.examples === String(n)", arg=count, timeout=60_000)

def limit_storage(page, site_url, quota:int):
  """The DevTools quota override: the origin may store `quota` bytes."""
  page.context.new_cdp_session(page).send("Storage.overrideQuotaForOrigin", {"origin": site_url.rstrip("/"), "quotaSize": quota})

def test_refused_storage_says_so_and_claims_to_keep_nothing(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  limit_storage(page, site_url, 2_000)
  open_at(page, site_url + "Classifier/?model=cnn")
  teach_shape(page, "7", 7, 1)
  teach_shape(page, "4", 4, 2)
  notice = page.inner_text("#notice")
  assert "This browser did not keep your digit" in notice or "Your digits cannot be kept in this browser" in notice, notice
  assert personal(page)["kept"] == "0" and "This browser keeps none of them: they last until you leave." in page.inner_text("#personal")
  assert stored(page)["examples"] == []
  page.reload()
  wait_ready(page)
  assert personal(page)["state"] == "shipped" and page.inner_text("#personal").startswith("Not taught yet")
  assert not page.console_errors

def test_weights_the_browser_will_not_keep_are_said_and_learned_again_at_the_next_visit(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  limit_storage(page, site_url, 600_000)  # room for the examples, not for the MLP's weights
  open_at(page, site_url + "Classifier/?model=mlp")
  teach_shape(page, "7", 3, 1)
  page.wait_for_function("() => document.querySelector('#notice').textContent.includes(\"The MLP's learned weights were not kept\")")
  assert personal(page)["kept"] == "1" and [label for _, label in stored(page)["examples"]] == [3] and stored(page)["models"] == []
  page.reload()
  wait_ready(page)
  examples_shown(page, 1)
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "3"  # the memory, filled from the kept example, before fine-tuning again
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'personal'", timeout=60_000)

def test_two_tabs_keep_one_consistent_store(browser, site_url):
  context = browser.new_context(viewport=DESKTOP, service_workers="block")
  first, second = context.new_page(), context.new_page()
  for page in (first, second): open_at(page, site_url + "Classifier/?model=cnn")
  teach_shape(first, "7", 7, 1)
  teach_shape(first, "4", 4, 2)
  examples_shown(second, 2)  # the other tab learns of them
  second.bring_to_front()
  second.click("#reset-personal")
  examples_shown(first, 0)
  assert "Your digits were forgotten in another tab of this page." in first.inner_text("#notice")
  assert personal(first)["state"] == "shipped"
  teach_shape(first, "1", 1, 1)
  second.bring_to_front()
  examples_shown(second, 1)
  held = stored(first, models=1)
  [(kept, label)] = held["examples"]
  assert label == 1 and held["models"] == [["cnn", [kept]]], held
  first.reload()
  wait_ready(first)
  page_says = first.inner_text("#notice") if first.is_visible("#notice") else ""
  assert "damaged" not in page_says and "forgotten since" not in page_says
  assert (personal(first)["state"], personal(first)["examples"]) == ("personal", "1")

def test_a_deploy_without_the_cpu_module_runs_on_webgpu(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  page.route("**/cnn/cnn.cpu.wasm", lambda route: route.fulfill(status=404, body="not found"))
  page.goto(site_url + "Classifier/?model=cnn")
  wait_ready(page)
  wait_for_backend(page, "webgpu")
  assert "CPU path could not be loaded" in page.inner_text("#notice") and "cnn.cpu.wasm" in page.inner_text("#notice")
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "7" and "WebGPU" in page.inner_text("#inference-info")
  assert page.is_hidden("#error")

def test_the_other_model_catches_up_when_it_is_shown(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  open_at(page, site_url + "Classifier/?model=cnn")
  draw_and_wait(page, SHAPES["7"])
  select_model(page, "mlp")  # loaded before the teaching
  select_model(page, "cnn")
  seq = int(prediction(page)["seq"])
  page.click('[data-teach="3"]')
  page.wait_for_function(LEARNED, arg=[seq, 1], timeout=60_000)
  assert select_model(page, "mlp")["digit"] == "3"
  page.wait_for_function("() => document.querySelector('#personal').dataset.state === 'personal'", timeout=60_000)
  assert page.inner_text("#personal").startswith("Learned from 1 of your digits.") and page.is_enabled("#export-personal")

# The training worker's answers held back until window.releaseTraining(): the page is in the middle of a training run
# for as long as the test wants (on ?backend=cpu, where the CNN learns in the worker).
HOLD_TRAINING = """(() => {
  const held = [];
  let holding = true;
  window.trainingAnswersHeld = () => held.length;
  window.releaseTraining = () => { holding = false; for (const deliver of held.splice(0)) deliver(); };
  window.Worker = class extends Worker {
    set onmessage(handler) { super.onmessage = (event) => (holding ? held.push(() => handler.call(this, event)) : handler.call(this, event)); }
    get onmessage() { return super.onmessage; }
  };
})();"""

@pytest.mark.parametrize("phase", ["before its training run", "while its training graph loads", "during its training run"])
def test_forgetting_while_a_digit_is_learned_leaves_no_trace_of_it(browser, site_url, phase):
  page = new_page(browser, viewport=DESKTOP)
  if phase == "during its training run": page.add_init_script(HOLD_TRAINING)
  backend = "cpu" if phase == "during its training run" else "auto"
  open_at(page, site_url + f"Classifier/?model=cnn&backend={backend}", backend)
  draw_and_wait(page, SHAPES["7"])
  graph = HeldRequests(page, "**/cnn/cnn.train.js") if phase == "while its training graph loads" else None
  page.click('[data-teach="7"]')
  if graph: wait_until(page, lambda: graph.routes)
  if phase == "during its training run": page.wait_for_function("() => window.trainingAnswersHeld() > 0", timeout=60_000)
  page.click("#reset-personal")
  examples_shown(page, 0)
  if graph: graph.release()
  if phase == "during its training run": page.evaluate("window.releaseTraining()")
  teach_shape(page, "4", 4, 1)
  assert "could not learn" not in page.inner_text("#notice")
  held = stored(page, models=1)
  [(kept, label)] = held["examples"]
  assert label == 4 and held["models"] == [["cnn", [kept]]], held
  page.reload()
  wait_ready(page)
  assert (personal(page)["state"], personal(page)["examples"]) == ("personal", "1")

HOLD_THE_STORE = """<!doctype html><title>an older tab</title><script>
  // An older version of the page, which held the store open and never let go of it for a newer one.
  const opening = indexedDB.open("digit-classifier-personal", 1);
  opening.onsuccess = () => { window.held = opening.result; document.title = "holding"; };
</script>"""

@pytest.fixture(scope="module")
def two_deploys(tmp_path_factory):
  """One origin with two deploys of the page: old/ as it is, new/ with the next version of the store's database."""
  root = tmp_path_factory.mktemp("deploys")
  for deploy in ("old", "new"): shutil.copytree(ROOT / "Classifier", root / deploy, ignore=shutil.ignore_patterns("hyperparameters"))
  store = root / "new" / "js" / "learning" / "personal_store.js"
  text = store.read_text()
  assert "DB_VERSION = 1," in text
  store.write_text(text.replace("DB_VERSION = 1,", "DB_VERSION = 2,"))
  (root / "holder.html").write_text(HOLD_THE_STORE)
  server, url = serve(root)
  yield url
  server.shutdown()

def test_a_newer_deploy_takes_the_store_from_an_open_older_tab(browser, two_deploys):
  context = browser.new_context(viewport=DESKTOP, service_workers="block")
  older, newer = context.new_page(), context.new_page()
  open_at(older, two_deploys + "old/?model=cnn")
  teach_shape(older, "7", 3, 1)
  open_at(newer, two_deploys + "new/?model=cnn")
  examples_shown(newer, 1)
  assert draw_and_wait(newer, SHAPES["7"])["digit"] == "3"
  older.bring_to_front()
  older.wait_for_function("() => document.querySelector('#notice').textContent.includes('opened in a newer version in another tab')")
  newer.reload()
  wait_ready(newer)
  examples_shown(newer, 1)

def test_a_blocked_upgrade_asks_to_close_the_other_tab_and_goes_on(browser, two_deploys):
  context = browser.new_context(viewport=DESKTOP, service_workers="block")
  first = context.new_page()
  open_at(first, two_deploys + "old/?model=cnn")
  teach_shape(first, "7", 3, 1)
  first.close()
  holder, page = context.new_page(), context.new_page()
  holder.goto(two_deploys + "holder.html")
  holder.wait_for_function("() => document.title === 'holding'")
  page.goto(two_deploys + "new/?model=cnn")
  wait_ready(page)  # not left loading
  page.wait_for_function("() => document.querySelector('#notice').textContent.includes('close it, and your digits come back here')",
                         timeout=60_000)  # the store is opened once the model is ready
  assert personal(page)["examples"] == "0" and draw_and_wait(page, SHAPES["4"])["digit"] == "4"
  holder.close()
  examples_shown(page, 1)
  page.wait_for_function("() => !document.querySelector('#notice').textContent.includes('close it')")
  page.click("#clear-button")
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "3"
  page.reload()
  wait_ready(page)
  examples_shown(page, 1)

# Every GPU device the page opens, in window.gpuDevices, so that a test can lose them.
RECORD_DEVICES = """(() => {
  window.gpuDevices = [];
  const request = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    window.gpuDevices.push(device);
    return device;
  };
})();"""
NO_ADAPTER_AFTER_THE_FIRST = """(() => {
  const request = navigator.gpu.requestAdapter.bind(navigator.gpu);
  let calls = 0;
  navigator.gpu.requestAdapter = (...args) => (calls++ === 0 ? request(...args) : Promise.resolve(null));
})();"""
LOSE_THE_GPU = "async () => { for (const device of window.gpuDevices) { device.destroy(); await device.lost; } }"

def test_a_lost_gpu_with_the_inside_panel_open_recovers(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(RECORD_DEVICES)
  open_at(page, site_url + "Classifier/?model=cnn&backend=webgpu", "webgpu")
  page.click("#inside-toggle")
  seq = int(draw_and_wait(page, SHAPES["7"])["seq"])
  wait_for_panel(page, "cnn", seq - 1)
  page.evaluate(LOSE_THE_GPU)
  page.click("#clear-button")
  seq = int(draw_and_wait(page, SHAPES["4"])["seq"])
  shown, panel = wait_for_panel(page, "cnn", seq - 1)
  assert shown["digit"] == panel["first"] == "4" and page.is_hidden("#error")
  assert status(page)["backend"] == "webgpu" and len(page.evaluate("window.gpuDevices")) == 2

def test_a_lost_gpu_with_no_adapter_afterwards_falls_back_to_the_cpu(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(RECORD_DEVICES + NO_ADAPTER_AFTER_THE_FIRST + SLOW_CPU)  # auto mode, on WebGPU whatever this machine
  open_at(page, site_url + "Classifier/?model=cnn", "webgpu")
  draw_and_wait(page, SHAPES["7"])
  seq = int(prediction(page)["seq"])
  page.click('[data-teach="3"]')
  wait_for_prediction(page, "cnn", seq)
  page.evaluate(LOSE_THE_GPU)
  page.click("#clear-button")
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "3"  # the memory came along
  assert status(page)["backend"] == "cpu" and page.is_hidden("#error")
  assert "The GPU was lost and WebGPU found no usable graphics adapter" in page.inner_text("#notice")
  assert "CPU" in page.inner_text("#inference-info")

def test_without_webgpu_the_weights_are_downloaded_once(browser_without_webgpu, site_url):
  page = new_page(browser_without_webgpu, viewport=DESKTOP)
  weights = requests_for(page, ".weights.safetensors.gz")
  open_at(page, site_url + "Classifier/?model=cnn", "cpu")
  draw_and_wait(page, SHAPES["7"])
  select_model(page, "mlp")
  wait_settled(page)
  assert sorted(url.rsplit("/", 1)[1] for url in weights) == ["cnn.weights.safetensors.gz", "mlp.weights.safetensors.gz"]

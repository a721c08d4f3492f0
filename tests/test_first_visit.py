"""A first visit: what the page asks for before it can read a drawing (and what it leaves for later), how it says how
much of the model has arrived, and that nothing on the page moves while it loads, becomes ready and first answers."""
import re
import pytest
from conftest import DEFAULT_MODEL, OTHER_MODEL, ROOT
from pen_replay import draw, prediction, wait_for_prediction
from page_driving import wait_ready, wait_settled, wait_until

SITE = ROOT / "Classifier"
SEVEN = [[(0.28, 0.2), (0.5, 0.2), (0.72, 0.2), (0.62, 0.42), (0.53, 0.64), (0.45, 0.85)]]
# What the first reading does not need: asked for later, or when the person asks for it
NOT_FOR_THE_FIRST_ANSWER = [r"pendigits-sample\.json", r"replay\.safetensors", r"\.train\.", r"\.explain\.", r"\.memory\.",
                            r"/learner\.js", r"/learning\.js", r"/personal_(panel|store)\.js", r"/inside_panel\.js", r"/try_digit\.js",
                            rf"/Classifier/{OTHER_MODEL}/"]
# What a first drawing may bring in after ready: the modules that follow the first answer, and the memory's store step
# (fetched while the person draws, so that a first teaching answers at once)
ALLOWED_FOR_THE_FIRST_DRAWING = [r"/js/(learning/(learner|learning|personal_store)|ui/(personal_panel|inside_panel|try_digit))\.js$",
                                 rf"/Classifier/{DEFAULT_MODEL}/{DEFAULT_MODEL}\.memory\.(js|wasm)$"]
# Every change of #status, and every layout shift, from the page's first moment
OBSERVE = """() => {
  const seen = window.__seen = { status: [], shifts: [], readyAt: null };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) seen.shifts.push({ at: e.startTime, value: e.value }); })
    .observe({ type: "layout-shift", buffered: true });
  new MutationObserver(() => {
    const status = document.querySelector("#status");
    if (!status) return;
    const { state, loaded, total } = status.dataset, last = seen.status.at(-1);
    if (!last || last.state !== state || last.loaded !== loaded || last.total !== total) seen.status.push({ state, loaded, total });
    if (state === "ready") seen.readyAt ??= performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state", "data-loaded", "data-total"] });
}"""
PHONE_CONTEXT = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}
DESKTOP_CONTEXT = {"viewport": {"width": 1280, "height": 800}}
PRELOAD = r'<link rel="modulepreload" href="([^"]+)">'

def touch_draw(page, strokes):
  box, cdp = page.locator("#canvas").bounding_box(), page.context.new_cdp_session(page)
  for stroke in strokes:
    for i, (x, y) in enumerate(stroke):
      cdp.send("Input.dispatchTouchEvent", {"type": "touchStart" if i == 0 else "touchMove", "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
  cdp.detach()

def draw_seven(page, touch:bool) -> dict:
  """Draws a 7 (with a finger or the mouse) and returns the settled prediction."""
  side, seq = page.locator("#canvas").evaluate("el => el.clientWidth"), int(prediction(page)["seq"])
  strokes = [[(x * side, y * side) for x, y in stroke] for stroke in SEVEN]
  touch_draw(page, strokes) if touch else draw(page, strokes)
  return wait_for_prediction(page, DEFAULT_MODEL, seq)

def recorded(page) -> list:
  """A list that fills with (url, resource type, status) of every response the page gets."""
  responses = []
  page.on("response", lambda r: responses.append((r.url, r.request.resource_type, r.status)))
  return responses

def asked_before_ready(page) -> set[str]:
  """The URLs the page asked for before #status first said ready, by the page's own clock (resource timing)."""
  return set(page.evaluate("""() => performance.getEntriesByType("resource")
    .filter((e) => e.startTime <= window.__seen.readyAt).map((e) => e.name)"""))

def matching(urls, patterns) -> list[str]:
  return [url for url in urls if any(re.search(p, url) for p in patterns)]

@pytest.fixture(params=["phone", "desktop"])
def sized_page(request, browser):
  context = browser.new_context(**(PHONE_CONTEXT if request.param == "phone" else DESKTOP_CONTEXT))
  page = context.new_page()
  page.touch = request.param == "phone"
  page.console_errors = []
  page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
  page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
  yield page
  context.close()

@pytest.fixture
def routed_page(browser):
  """A page whose requests page.route sees: a service worker's own fetches would pass it by."""
  context = browser.new_context(service_workers="block")
  page = context.new_page()
  page.console_errors = []
  page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
  yield page
  context.close()

def static_imports(path) -> list:
  """The page modules that `path` imports statically, and theirs, `path` first (paths relative to Classifier/)."""
  seen, todo = [], [path]
  while todo:
    module = todo.pop(0)
    if module in seen: continue
    seen.append(module)
    for m in re.finditer(r'^import\s[^;]*?from\s+"(\.{1,2}/[^"]+)"', (SITE / module).read_text(), re.M):
      todo.append((SITE / module).parent.joinpath(m.group(1)).resolve().relative_to(SITE).as_posix())
  return seen

def test_the_first_answers_modules_are_all_preloaded():
  """No chain of imports on the way to the first reading: app.js's static graph, the modules it first imports on demand
  and the default model's generated ones are all in index.html's modulepreloads, and each names a file of the site."""
  html = (SITE / "index.html").read_text()
  preloaded = re.findall(PRELOAD, html)
  first = [m for start in ("js/app.js", "js/ui/preprocess.js", "js/classifier.js", f"{DEFAULT_MODEL}/{DEFAULT_MODEL}.js",
                           f"{DEFAULT_MODEL}/{DEFAULT_MODEL}.cpu.js") for m in static_imports(start)]
  assert set(first) <= set(preloaded), f"not preloaded: {sorted(set(first) - set(preloaded))}"
  assert all((SITE / href).is_file() for href in preloaded), [href for href in preloaded if not (SITE / href).is_file()]
  for start in ("js/app.js", "js/classifier.js"):
    assert not matching(static_imports(start), NOT_FOR_THE_FIRST_ANSWER), f"{start} imports what the first answer does not need"

def test_before_ready_the_page_asks_only_for_what_the_first_answer_needs(page, site_url):
  responses = recorded(page)
  page.add_init_script(f"({OBSERVE})()")
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  page.wait_for_load_state("networkidle")  # what was asked for before ready has its answer
  before = [(url, kind, status) for url, kind, status in responses if url.split("#")[0] in asked_before_ready(page)]
  urls = [url for url, _, _ in before]
  assert f"{site_url}Classifier/{DEFAULT_MODEL}/{DEFAULT_MODEL}.js" in urls  # the clock and the responses agree
  assert matching(urls, NOT_FOR_THE_FIRST_ANSWER) == []
  assert [(url, status) for url, _, status in before if status != 200] == []
  assert len(urls) == len(set(urls)), "a file was asked for twice"
  preloaded = {site_url + "Classifier/" + href for href in re.findall(PRELOAD, (SITE / "index.html").read_text())}
  scripts = {url for url, kind, _ in before if kind == "script"}
  assert scripts <= preloaded, f"imported one after another, not preloaded: {sorted(scripts - preloaded)}"
  assert page.console_errors == []

def test_the_first_prediction_asks_for_nothing_it_does_not_need(page, site_url):
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  wait_settled(page)
  responses = recorded(page)
  shown = draw_seven(page, touch=False)
  assert shown["digit"] == "7"
  urls = [url for url, _, _ in responses]
  assert [url for url in urls if not matching([url], ALLOWED_FOR_THE_FIRST_DRAWING)] == []
  assert page.console_errors == []

def test_the_progress_moves_from_zero_to_the_total_of_the_models_files(routed_page, site_url):
  page = routed_page
  responses = recorded(page)
  page.add_init_script(f"({OBSERVE})()")
  cdp = page.context.new_cdp_session(page)
  cdp.send("Network.enable")  # slow enough that the weights arrive in several chunks
  cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": 2e6, "uploadThroughput": 2e6})
  held = []  # the weights, held until the loading state is seen
  page.route(f"**/Classifier/{DEFAULT_MODEL}/*.safetensors*", lambda route: held.append(route))
  page.goto(site_url + "Classifier/", wait_until="commit")
  page.wait_for_function("() => document.querySelector('#status')?.dataset.state === 'loading'")
  wait_until(page, lambda: held)
  assert page.locator("#load-progress").is_visible()
  assert page.get_attribute("#load-progress", "aria-label") and page.get_attribute("#load-progress", "aria-valuetext")
  for route in held: route.continue_()
  wait_ready(page)
  changes = page.evaluate("window.__seen.status")
  loading = [(int(c["loaded"]), int(c["total"])) for c in changes if c["state"] == "loading"]
  ready = changes[-1]
  assert loading[0][0] == 0
  assert [loaded for loaded, _ in loading] == sorted(loaded for loaded, _ in loading)
  assert any(0 < loaded < total for loaded, total in loading), loading
  assert ready["state"] == "ready" and int(ready["loaded"]) == int(ready["total"]) > 0
  # the total: the model's files the page downloaded itself (fetch) before ready, as the server sent them
  model_files = {url for url, kind, _ in responses if kind == "fetch" and f"/Classifier/{DEFAULT_MODEL}/" in url}
  assert int(ready["total"]) == sum((SITE / url.split("/Classifier/", 1)[1]).stat().st_size for url in model_files)
  assert not page.locator("#load-progress").is_visible()
  assert page.console_errors == []

def test_nothing_moves_while_the_page_loads_becomes_ready_and_first_answers(sized_page, site_url):
  page = sized_page
  page.add_init_script(f"({OBSERVE})()")
  # on WebGPU from the start: in auto mode a machine where the CPU answers faster shows a notice, which says so in a
  # line of its own (and moves what is below it), where another machine shows none
  page.goto(site_url + "Classifier/?backend=webgpu")
  wait_ready(page)
  wait_settled(page)
  assert page.evaluate("window.__seen.shifts") == []
  assert draw_seven(page, page.touch)["digit"] == "7"
  page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
  assert page.evaluate("window.__seen.shifts") == []
  assert page.console_errors == []

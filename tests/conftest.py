"""Fixtures shared by the test files: the real MNIST files, the pen digits, a real HTTP server over the repository, real Chromium."""
import functools, http.server, os, pathlib, re, threading
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
# The model a fresh page selects, as the page's own models.js says, and the other one
DEFAULT_MODEL = re.search(r'DEFAULT_MODEL = "(\w+)"', (ROOT / "Classifier" / "js" / "models.js").read_text()).group(1)
def other_model(name:str) -> str: return {"mlp": "cnn", "cnn": "mlp"}[name]
OTHER_MODEL = other_model(DEFAULT_MODEL)
WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"]

@pytest.fixture(scope="session")
def mnist_dir() -> pathlib.Path:
  """A folder with the four verified MNIST files: MNIST_DIR, or mnist_data's cache, downloaded there if need be
  (a failed download fails the tests that need MNIST, with the error that says how to fix it)."""
  from digits.data import mnist as mnist_data
  mnist_data.load_mnist()
  return pathlib.Path(os.environ["MNIST_DIR"]) if os.environ.get("MNIST_DIR") else mnist_data.cache_dir()

@pytest.fixture
def environ(monkeypatch):
  """monkeypatch, for env vars the code under test reads in this process: tinygrad's getenv caches what it read, so the
  cache is emptied around the test (else a value read by an earlier test would stick)."""
  from tinygrad.helpers import getenv
  getenv.cache_clear()
  yield monkeypatch
  getenv.cache_clear()

@pytest.fixture(scope="session")
def pendigits_path() -> pathlib.Path:
  """The repository's pen digits (data/pendigits/pendigits.npz)."""
  from digits.data.pendigits import PATH
  return PATH

class QuietHandler(http.server.SimpleHTTPRequestHandler):
  def log_message(self, *args): pass

def serve(directory) -> tuple[http.server.ThreadingHTTPServer, str]:
  server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server, f"http://127.0.0.1:{server.server_address[1]}/"

@pytest.fixture(scope="session")
def site_url():
  """Base URL of a real HTTP server whose root is the repository: the page is at site_url + 'Classifier/'."""
  server, url = serve(ROOT)
  yield url
  server.shutdown()

@pytest.fixture(scope="session")
def playwright_instance():
  sync_api = pytest.importorskip("playwright.sync_api")
  if not os.path.exists(CHROMIUM): pytest.skip(f"{CHROMIUM} is not installed (./setup.sh installs it)")
  with sync_api.sync_playwright() as p: yield p

@pytest.fixture(scope="session")
def browser(playwright_instance):
  """Headless Chromium with WebGPU on SwiftShader."""
  b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS + WEBGPU_FLAGS)
  LAUNCHED.append(b)
  yield b
  b.close()

@pytest.fixture(scope="session")
def browser_without_webgpu(playwright_instance):
  """Headless Chromium as most machines without a usable GPU see it: navigator.gpu exists, requestAdapter() gives null."""
  b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
  LAUNCHED.append(b)
  yield b
  b.close()

LAUNCHED = []  # the browsers the session launched, for closes_its_browser_contexts

@pytest.fixture(autouse=True)
def closes_its_browser_contexts():
  """Every browser context a test opens is closed after it, passed or failed; those of a fixture of a wider scope,
  opened before the test, stay."""
  open_before = {b: set(b.contexts) for b in LAUNCHED}
  yield
  for b in LAUNCHED:
    for context in set(b.contexts) - open_before.get(b, set()): context.close()

@pytest.fixture
def page(browser):
  context = browser.new_context(service_workers="block")  # page.route does not see what a service worker fetches
  p = context.new_page()
  p.console_errors = []
  p.on("console", lambda msg: msg.type == "error" and p.console_errors.append(msg.text))
  p.on("pageerror", lambda exc: p.console_errors.append(str(exc)))
  yield p
  context.close()

@pytest.fixture(scope="module")
def desktop(browser, site_url):
  """The page on WebGPU (?backend=webgpu: in auto mode the page may choose the CPU on a busy machine, by measured speed)."""
  from page_driving import DESKTOP, open_page, wait_for_backend, wait_ready
  page = open_page(browser, site_url + "Classifier/?backend=webgpu", viewport=DESKTOP)
  wait_ready(page)
  wait_for_backend(page, "webgpu")
  yield page
  page.context.close()

@pytest.fixture(scope="session")
def misread_candidates(pendigits_path) -> list[dict]:
  """Pen digits that the shipped model MISREAD_MODEL reads wrong (rendered as preprocess.js renders them), the most
  confident first; only those the other shipped model reads right: a digit that both misread may well carry the wrong
  label (one "6" that both read as a 5, with certainty, after training on it)."""
  import numpy as np
  from tinygrad import Tensor
  from digits.data.training_set import rendered_pendigits
  from digits.models import load_model
  from page_driving import MISREAD_MODEL
  from pen_replay import load_digits
  images, labels, _ = rendered_pendigits()  # the plain rendering (RENDER_SEED), kept in the user cache as training keeps it
  x = Tensor(images.reshape(-1, 784).astype(np.float32) / 127.5 - 1)
  models = (MISREAD_MODEL, other_model(MISREAD_MODEL))
  logits, other = [load_model(m, ROOT / "Classifier" / m / f"{m}.weights.safetensors.gz")(x).numpy() for m in models]
  wrong = np.flatnonzero((logits.argmax(1) != labels) & (other.argmax(1) == labels))
  digits = load_digits(pendigits_path)
  return [digits[i] for i in sorted(wrong, key=lambda i: -logits[i].max())]

def run_script(script:str, env:dict, *args:str):
  import subprocess, sys
  # BEAM=0: on a CPU the scripts search for faster kernels by default, minutes that a test of behaviour does not need
  return subprocess.run([sys.executable, script, *args], cwd=ROOT, env={**os.environ, "BEAM": "0", **env},
                        capture_output=True, text=True, timeout=900)

@pytest.fixture(scope="session")
def exported_site(tmp_path_factory, mnist_dir):
  """A site laid out like Classifier/ (its js/ plus both models exported from the shipped float32 weights, models/),
  served over HTTP: (its folder, its URL, the weights' folder, the export's completed process)."""
  import shutil
  site = tmp_path_factory.mktemp("site")
  shutil.copytree(ROOT / "Classifier" / "js", site / "js")
  (site / "index.html").write_text("<!doctype html><title>loader test</title>")
  weights_dir = ROOT / "models"
  # WEIGHTS_GATE=0: the smallest scheme without the gate's evaluation (test_compact_weights.py tests the gate); the
  # page then loads int4 weights
  r = run_script("export_webgpu.py", {"WEIGHTS_DIR": str(weights_dir), "OUT_DIR": str(site), "MNIST_DIR": str(mnist_dir), "WEIGHTS_GATE": "0"})
  assert r.returncode == 0, r.stderr[-3000:]
  server, url = serve(site)
  yield site, url, weights_dir, r
  server.shutdown()

# pytest-xdist (pyproject.toml: -n auto) runs a test file's tests in one worker, so that its fixtures are made once; the
# files whose tests use the costly `exported_site` session fixture run in one worker together, so that it is made once
SHARE_EXPORT = {"tests/test_compact_weights.py", "tests/test_export.py"}
# The longest of these work units start first, so that no worker is left alone with one at the end
LONGEST = ("exported_site", "tests/test_training.py", "tests/test_engines.py", "tests/test_faults.py", "tests/test_page_pendigits.py")

def pytest_xdist_make_scheduler(config, log):
  from xdist.scheduler import LoadFileScheduling
  class ByFileAndExport(LoadFileScheduling):
    def _split_scope(self, nodeid:str) -> str:
      file = nodeid.split("::", 1)[0]
      return "exported_site" if file in SHARE_EXPORT else file
    def _assign_work_unit(self, node):
      if first := next((scope for scope in LONGEST if scope in self.workqueue), None): self.workqueue.move_to_end(first, last=False)
      super()._assign_work_unit(node)
  return ByFileAndExport(config, log) if config.getvalue("dist") == "load" else None

def pytest_collection_modifyitems(items):
  for item in items:
    if "exported_site" in item.fixturenames and item.nodeid.split("::", 1)[0] not in SHARE_EXPORT:
      raise pytest.UsageError(f"{item.nodeid} uses the exported_site fixture: add its file to SHARE_EXPORT in tests/conftest.py")

ENGINE_MEASURES = {}  # what tests/test_engines.py measured, from every worker: engine name -> a line

def pytest_sessionfinish(session):
  import sys
  engines = sys.modules.get("engines")
  measures = engines.MEASURES if engines else {}
  if hasattr(session.config, "workeroutput"): session.config.workeroutput["engine_measures"] = measures
  else: ENGINE_MEASURES.update(measures)

def pytest_testnodedown(node, error):
  ENGINE_MEASURES.update(getattr(node, "workeroutput", {}).get("engine_measures", {}))

def pytest_terminal_summary(terminalreporter):
  """What tests/test_engines.py measured of each browser engine (load, draw and inference times, teachings)."""
  if ENGINE_MEASURES:
    terminalreporter.section("browser engines")
    for name, line in sorted(ENGINE_MEASURES.items()): terminalreporter.write_line(f"{name}: {line}")


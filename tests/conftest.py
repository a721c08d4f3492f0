"""Fixtures shared by the test files: the real MNIST files, a real HTTP server over the repository, real Chromium."""
import functools, http.server, os, pathlib, threading
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"]

@pytest.fixture(scope="session")
def mnist_dir() -> pathlib.Path:
  path = pathlib.Path(os.environ.get("MNIST_DIR", SHARED / "mnist"))
  if not (path / "t10k-labels-idx1-ubyte.gz").exists(): pytest.skip(f"no MNIST files in {path} (set MNIST_DIR)")
  return path

@pytest.fixture(scope="session")
def pendigits_path() -> pathlib.Path:
  path = SHARED / "pendigits" / "pendigits-dev-strokes.json"
  if not path.exists(): pytest.skip(f"{path} is absent")
  return path

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
  yield b
  b.close()

@pytest.fixture(scope="session")
def browser_without_webgpu(playwright_instance):
  """Headless Chromium as most machines without a usable GPU see it: navigator.gpu exists, requestAdapter() gives null."""
  b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
  yield b
  b.close()

@pytest.fixture
def page(browser):
  context = browser.new_context()
  p = context.new_page()
  p.console_errors = []
  p.on("console", lambda msg: msg.type == "error" and p.console_errors.append(msg.text))
  p.on("pageerror", lambda exc: p.console_errors.append(str(exc)))
  yield p
  context.close()

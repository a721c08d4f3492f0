"""The site kept by its service worker, in real Chromium over real HTTP servers: the list of files it caches is the one
the script generates now, names files that exist and every file the page requests while its features are used; after
one visit the page works with the server stopped (from a sub-path deploy), having fetched nothing ahead before its
first answer; a new deploy replaces the old whole, never mixed, and the page says so; with service workers blocked
the page is as before; and the Content-Security-Policy refuses a fetch to another origin."""
import functools, http.server, json, re, shutil, threading, urllib.request
import pytest
from conftest import ROOT, serve
from digits.export.site_files import COMMAND, LIST_FILE, site_list, write_site_list
from pen_replay import prediction, select_model, wait_for_prediction
from page_driving import DESKTOP, SHAPES, draw_and_wait, teach, wait_for_panel, wait_ready

SITE = ROOT / "Classifier"

def listed(site=SITE) -> dict:
  source = (site / LIST_FILE).read_text()
  return json.loads(re.search(r"self\.SITE_FILES = (\{.*\});", source, re.S).group(1))

def test_the_list_is_the_one_the_script_makes_now():
  assert listed() == site_list(SITE), f"{SITE / LIST_FILE} is stale: regenerate it with `{COMMAND} Classifier` (export_webgpu.py does)"

def test_every_listed_file_exists_and_no_docs_or_metrics_are_listed():
  files = listed()["files"]
  assert [f for f in files if not (SITE / f).is_file()] == []
  assert [f for f in files if f.endswith((".md", ".metrics.json", ".png")) and not f.startswith("icons/")] == []
  assert {"index.html", "manifest.webmanifest", "icons/icon-192.png", "js/app.js", "data/replay.safetensors.gz"} <= set(files)

def use_every_feature(page):
  """Draws, opens the inside panel, teaches, tries a real digit, on both models."""
  wait_ready(page)
  draw_and_wait(page, SHAPES["4"])
  shown = select_model(page, "cnn")
  page.click("#inside-toggle")
  wait_for_panel(page, "cnn", int(shown["seq"]) - 1)
  teach(page, 4)
  seq = int(prediction(page)["seq"])
  page.click("#try-digit")
  page.wait_for_function("() => document.querySelector('#try-info').textContent.startsWith('A real')", timeout=60_000)
  shown = wait_for_prediction(page, "cnn", seq)
  shown = select_model(page, "mlp")
  wait_for_panel(page, "mlp", int(shown["seq"]) - 1)
  assert page.is_hidden("#error"), page.inner_text("#error")

def test_every_request_of_the_page_is_listed(page, site_url):
  base = site_url + "Classifier/"
  requested = set()
  page.on("request", lambda request: request.url.startswith(base) and requested.add(request.url[len(base):].split("?")[0] or "index.html"))
  page.set_viewport_size(DESKTOP)
  page.goto(base)
  use_every_feature(page)
  assert requested - set(listed()["files"]) == set()
  assert page.console_errors == []

class RecordingHandler(http.server.SimpleHTTPRequestHandler):
  def log_message(self, *args): pass
  def do_GET(self):
    self.server.paths.append(self.path.split("?")[0])
    super().do_GET()

def serve_recording(directory) -> tuple[http.server.ThreadingHTTPServer, str]:
  """conftest.serve(), with the paths asked for in server.paths."""
  server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RecordingHandler, directory=str(directory)))
  server.paths = []
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server, f"http://127.0.0.1:{server.server_address[1]}/"

def copy_site(root, under="site"):
  shutil.copytree(SITE, site := root / under, ignore=shutil.ignore_patterns("hyperparameters", "*.md"))
  return site

@pytest.fixture
def worker_context(browser):
  """A context that allows service workers, closed after the test."""
  context = browser.new_context(viewport=DESKTOP)
  yield context
  context.close()

def open_in(context, url):
  page = context.new_page()
  page.console_errors = []
  page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
  page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
  page.goto(url)
  return page

CACHED = """async (version) => {
  const name = (await caches.keys()).find((n) => n.endsWith(' ' + version));
  return name ? (await (await caches.open(name)).keys()).map((r) => r.url).filter((url) => !url.includes('?')) : [];
}"""

def wait_cached_whole(page, version, count):
  page.wait_for_function(f"async ([version, count]) => ({CACHED})(version).then((urls) => urls.length === count)",
                         arg=[version, count], timeout=120_000)

def wait_controlled(page):
  page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)

def test_after_one_visit_a_sub_path_deploy_works_with_the_server_stopped(worker_context, tmp_path):
  site = copy_site(tmp_path, "some/sub/path")
  server, root = serve_recording(tmp_path)
  url = root + "some/sub/path/"
  try:
    page = open_in(worker_context, url)
    wait_ready(page)
    wait_controlled(page)
    assert [p for p in server.paths if "/cnn/" in p or "/data/" in p] == [], "fetched ahead before the first answer"
    draw_and_wait(page, SHAPES["4"])
    files = listed(site)
    wait_cached_whole(page, files["version"], len(files["files"]))
    assert page.console_errors == []
    page.close()
  finally:
    server.shutdown()
    server.server_close()
  page = open_in(worker_context, url)
  use_every_feature(page)
  assert page.console_errors == []

def test_a_new_deploy_takes_over_whole_and_is_said(worker_context, tmp_path):
  site = copy_site(tmp_path)
  server, root = serve(tmp_path)
  try:
    page = open_in(worker_context, root + "site/")
    wait_ready(page)
    draw_and_wait(page, SHAPES["7"])
    old = listed(site)
    wait_cached_whole(page, old["version"], len(old["files"]))
    old_css = (site / "style.css").read_text()
    (site / "style.css").write_text(old_css + "\n.deployed-again { color: inherit; }\n")
    _, new = write_site_list(site)
    assert new["version"] != old["version"]
    page.reload()  # served the old version; its check over the network finds the new one, which waits whole
    page.wait_for_function("() => document.querySelector('#notice').textContent.includes('A new version of this page is ready')",
                           timeout=120_000)
    wait_cached_whole(page, new["version"], len(new["files"]))
    assert page.evaluate("() => fetch('style.css').then((r) => r.text())") == old_css, "an old page was given a new file"
    page.reload()  # still open while it reloads: the page stays the old version, whole, and says the new one waits
    wait_ready(page)
    assert page.evaluate("() => fetch('style.css').then((r) => r.text())") == old_css, "a reloaded page was given a new file"
    assert "A new version of this page is ready" in page.inner_text("#notice")
    page.close()  # closed and opened again, the page is the new version, which says so
    page = open_in(worker_context, root + "site/")
    page.wait_for_function("() => document.querySelector('#notice').textContent.includes('updated to its new version')",
                           timeout=120_000)
    wait_ready(page)
    assert page.evaluate("() => fetch('style.css').then((r) => r.text())") == (site / "style.css").read_text()
    assert page.evaluate("() => caches.keys()") == [next(n for n in page.evaluate("() => caches.keys()") if n.endswith(new["version"]))]
    draw_and_wait(page, SHAPES["1"])
    assert page.console_errors == []
  finally:
    server.shutdown()
    server.server_close()

def test_with_service_workers_blocked_the_page_works_and_says_nothing(page, site_url):
  page.goto(site_url + "Classifier/")
  wait_ready(page)
  assert draw_and_wait(page, SHAPES["1"])["digit"] != ""
  assert page.evaluate("() => navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
  assert page.is_hidden("#error") and "version" not in page.inner_text("#notice")
  assert page.console_errors == []

def test_the_policy_refuses_a_fetch_to_another_origin(page, site_url, tmp_path):
  (tmp_path / "elsewhere.txt").write_text("another origin")
  other, other_url = serve(tmp_path)
  try:
    page.goto(site_url + "Classifier/")
    wait_ready(page)
    outcome = page.evaluate("""async (url) => {
      const violation = new Promise((resolve) => document.addEventListener("securitypolicyviolation",
        (e) => resolve({ directive: e.effectiveDirective, blocked: e.blockedURI }), { once: true }));
      const fetched = await fetch(url).then(() => "fetched", (error) => error.name);
      return { fetched, ...(await violation) };
    }""", other_url + "elsewhere.txt")
    assert outcome == {"fetched": "TypeError", "directive": "connect-src", "blocked": other_url + "elsewhere.txt"}
    with urllib.request.urlopen(other_url + "elsewhere.txt") as served: assert served.read() == b"another origin"  # it was there
  finally:
    other.shutdown()
    other.server_close()

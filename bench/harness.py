"""What the bench scripts that drive a browser share: serve the repository over real HTTP (counting the bytes it sends),
launch Debian's Chromium with WebGPU on SwiftShader, open pages that collect their errors, and slow a page down as
Lighthouse's mobile profile does. It imports nothing from tests/ (a benchmark runs without the test suite) and nothing
heavy at import time (Playwright is the caller's; numpy only in pct):
  server, base = serve(); with sync_playwright() as p: browser = launch(p); context, page = new_page(browser)"""
import functools, http.server, os, pathlib, platform, sys, threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"]
# Lighthouse's mobile profile ("Slow 4G" and a 4x slower CPU), as its throttling constants give it
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4
# A request a page makes to say "here" in the server's own order of responses (the server answers it with nothing)
MARK_PATH = "/__bench_mark__"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

class CountingHandler(http.server.SimpleHTTPRequestHandler):
  """Serves files as `python -m http.server` does, over HTTP/1.1 with keep-alive and no compression, and counts each
  response's body bytes in the server's `sent`. The bench pages (bench/pages/) are cross-origin isolated (COOP/COEP),
  which gives their performance.now() 5 us resolution instead of 100 us; the real page is served as is."""
  protocol_version = "HTTP/1.1"
  # Python writes the headers and the body in two sends: with Nagle's algorithm on, the body of every small file then
  # waits for the client's delayed ACK, a stall no production server has (nginx sets TCP_NODELAY)
  disable_nagle_algorithm = True
  extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".mjs": "text/javascript",
                    ".wasm": "application/wasm"}
  def log_message(self, *args): pass
  def do_GET(self):
    if self.path.split("?")[0] != MARK_PATH: return super().do_GET()
    with self.server.lock: self.server.sent.append((MARK_PATH, 0))
    self.send_response(204)
    self.send_header("Content-Length", "0")
    self.end_headers()
  def end_headers(self):
    if self.path.startswith("/bench/pages/"):
      self.send_header("Cross-Origin-Opener-Policy", "same-origin")
      self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
    super().end_headers()
  def copyfile(self, source, outputfile):
    data = source.read()
    with self.server.lock: self.server.sent.append((self.path, len(data)))
    outputfile.write(data)

class CountingServer(http.server.ThreadingHTTPServer):
  daemon_threads = True
  def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)
    self.lock, self.sent = threading.Lock(), []
  def handle_error(self, request, client_address):  # a browser closed with a kept-alive connection open: not an error
    if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)): super().handle_error(request, client_address)
  def take_sent(self) -> list[tuple[str, int]]:
    """The (path, body bytes) of every response since the last call, a page's marks (MARK_PATH, 0) among them."""
    with self.lock: sent, self.sent = self.sent, []
    return sent
  def take_until_mark(self) -> list[tuple[str, int]]:
    """The (path, body bytes) of every response before the first mark, which is taken with them; later ones stay."""
    with self.lock:
      at = next((i for i, (path, _) in enumerate(self.sent) if path == MARK_PATH), None)
      if at is None: return []
      before, self.sent = self.sent[:at], self.sent[at + 1:]
    return before

def serve(directory=ROOT, port:int=0) -> tuple[CountingServer, str]:
  server = CountingServer(("127.0.0.1", port), functools.partial(CountingHandler, directory=str(directory)))
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server, f"http://127.0.0.1:{server.server_address[1]}/"

def launch(playwright, webgpu:bool=True, extra_flags:tuple[str, ...]=()):
  """Debian's Chromium, headless and quiet, with WebGPU on SwiftShader unless `webgpu` is False (a browser without it)."""
  if not os.path.exists(CHROMIUM): sys.exit(f"error: {CHROMIUM} is missing: ./setup.sh installs it (the benches never download a browser)")
  return playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS + (WEBGPU_FLAGS if webgpu else []) + list(extra_flags))

def launch_persistent(playwright, profile:pathlib.Path, **context_options):
  """As launch(), with WebGPU, keeping its profile (cache, storage) in `profile` so that a later launch finds it; the
  Content-Security-Policy bypassed as new_page() does."""
  if not os.path.exists(CHROMIUM): sys.exit(f"error: {CHROMIUM} is missing: ./setup.sh installs it (the benches never download a browser)")
  return playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=QUIET_FLAGS + WEBGPU_FLAGS,
                                                       headless=True, **{"bypass_csp": True, **context_options})

def new_page(browser, **context_options):
  """A fresh context (cold cache) and its page, whose `errors` list fills with its uncaught errors and console errors.
  The caller closes the context. The page's Content-Security-Policy is bypassed: it forbids the string evaluation with
  which Playwright waits for the page's hooks, and governs nothing a bench measures."""
  context = browser.new_context(**{"bypass_csp": True, **(context_options or DESKTOP)})
  page = context.new_page()
  page.errors = []
  page.on("pageerror", lambda e: page.errors.append(str(e)))
  page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
  return context, page

def settle_network(page, quiet_ms:int=500, limit_s:int=30) -> None:
  """Waits until the page has made no request for Playwright's idle span (at most `limit_s`), then `quiet_ms` more."""
  try: page.wait_for_load_state("networkidle", timeout=limit_s * 1000)
  except Exception: pass  # a page that keeps polling still gets its quiet_ms
  page.wait_for_timeout(quiet_ms)

def machine_info(browser_version:str) -> dict:
  """What a result was measured on: cores, CPU, Chromium, platform and the load average at the start."""
  cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
  return {"nproc": os.cpu_count(), "cpu": cpu, "chromium": browser_version, "platform": platform.platform(),
          "loadavg_start": open("/proc/loadavg").read().split()[:3]}

def pct(values, q):
  """The q-th percentile of `values` (linear interpolation), None for none."""
  import numpy as np
  return float(np.percentile(np.asarray(values, float), q)) if values else None

def throttle(page, network:bool=True, cpu:bool=True) -> None:
  """Slows `page` as Lighthouse's mobile profile does, through the DevTools protocol."""
  cdp = page.context.new_cdp_session(page)
  if network:
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
  if cpu: cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})

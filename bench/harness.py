"""What the bench scripts that drive a browser share: serve the repository over real HTTP (counting the bytes it sends),
launch Debian's Chromium with WebGPU on SwiftShader, and slow a page down as Lighthouse's mobile profile does.
It imports nothing from tests/: a benchmark runs without the test suite."""
import functools, http.server, pathlib, sys, threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
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

class CountingHandler(http.server.SimpleHTTPRequestHandler):
  """Serves files as `python -m http.server` does, and counts each response's body bytes in the server's `sent`."""
  protocol_version = "HTTP/1.1"
  disable_nagle_algorithm = True  # a small file's body would otherwise wait for the client's delayed ACK
  extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".mjs": "text/javascript",
                    ".wasm": "application/wasm"}
  def log_message(self, *args): pass
  def do_GET(self):
    if self.path.split("?")[0] != MARK_PATH: return super().do_GET()
    with self.server.lock: self.server.sent.append((MARK_PATH, 0))
    self.send_response(204)
    self.send_header("Content-Length", "0")
    self.end_headers()
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

def throttle(page, network:bool=True, cpu:bool=True) -> None:
  """Slows `page` as Lighthouse's mobile profile does, through the DevTools protocol."""
  cdp = page.context.new_cdp_session(page)
  if network:
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
  if cpu: cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})

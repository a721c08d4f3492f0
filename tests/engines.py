"""One way to drive the page in each browser engine, with the tools made for it:

  Chromium  Playwright (Debian's Chromium, as tests/conftest.py launches it)
  Firefox   puppeteer-core over WebDriver BiDi, from a Node process (tests/firefox_bridge.mjs) spoken to in JSON lines
  WebKit    Selenium's WebKitGTK driver: WebKitWebDriver and MiniBrowser on an Xvfb screen this module starts

Every page has the same methods: goto, reload, evaluate (a JS function's source applied to one JSON argument, awaited),
wait_for (until such a function returns something truthy; also as Playwright's wait_for_function), click, hover,
focus, press ("Tab", "Shift+Tab", "Control+z", "Enter", "Space"; also as keyboard.press), draw (mouse strokes on an
element, in its CSS px), touch (the same with a finger, Firefox only), screenshot, set_viewport, download,
console_errors and close; and small readers built on evaluate (dataset, text, attribute, visible, disabled). With
Playwright's names, tests/page_driving.py's helpers drive these pages as they drive Playwright's.

The pages: PlaywrightPage(browser, ...) on a Playwright browser (conftest.py's); FirefoxPage(FirefoxBridge(...), ...),
a browser context of its own in one Firefox; WebKitPage(Xvfb().display, ...), a MiniBrowser window (WebDriver session)
of its own. ENGINES names the configurations the tests run; missing(name) says what is not installed for one, so that
a test can skip with the reason. Readbacks of the page's state go through evaluate, so every engine reads it alike."""
import base64, json, os, pathlib, queue, shutil, subprocess, threading, time

TESTS = pathlib.Path(__file__).resolve().parent
FIREFOX = "/usr/bin/firefox-esr"
NODE = shutil.which("node") or "/usr/bin/node"
PUPPETEER = TESTS / "node_modules" / "puppeteer-core"
BRIDGE = TESTS / "firefox_bridge.mjs"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
XVFB = "/usr/bin/Xvfb"

# Both Firefoxes: a download opens Firefox's downloads panel, which takes the focus from the page for good (no focus
# events, no :focus-visible after it); people keep it, but the tests download, then use the keyboard.
FIREFOX_PREFS = {"browser.download.alwaysOpenPanel": False}
# Firefox 153 ships WebGPU off on Linux: the first pref exposes navigator.gpu; without the second, its GPU blocklist
# leaves requestAdapter() without an adapter on Mesa's software Vulkan (lavapipe), the only one on a machine without a GPU.
FIREFOX_WEBGPU_PREFS = {**FIREFOX_PREFS, "dom.webgpu.enabled": True, "gfx.webgpu.ignore-blocklist": True}
# WebGPU off, said so, so that a Firefox whose defaults change later still runs without it here.
FIREFOX_NO_WEBGPU_PREFS = {**FIREFOX_PREFS, "dom.webgpu.enabled": False}

# MiniBrowser's toolbar gives its window a minimum width of 447 px; a GTK style sheet of its own (through
# XDG_CONFIG_HOME) shrinks the toolbar so that the window can be as narrow as a phone. The web content is not styled by it.
MINIBROWSER_GTK_CSS = "toolbar, toolbar *, entry, button { min-width: 0; min-height: 0; padding: 0; margin: 0; font-size: 1px; border-width: 0; }\n"

ENGINES = {
  # name: (engine, WebGPU expected)
  "chromium": ("chromium", True),
  "firefox-webgpu": ("firefox", True),
  "firefox": ("firefox", False),
  "webkit": ("webkit", False),
}

MEASURES = {}  # engine name -> a line of what its tests measured (timings), for the end of the test run

class EngineError(RuntimeError):
  pass

# Scrolls the element fully into view if it is not, and gives its box in the viewport's CSS px.
_BOX = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  let r = el.getBoundingClientRect();
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
    el.scrollIntoView({block: "center", inline: "center"});
    r = el.getBoundingClientRect();
  }
  return {x: r.left, y: r.top, width: r.width, height: r.height};
}"""

def missing(name:str) -> str | None:
  """Why engine `name` cannot run here (what is not installed), or None when it can."""
  engine = ENGINES[name][0]
  if engine == "chromium":
    return None if os.path.exists("/usr/bin/chromium") else "/usr/bin/chromium is not installed (./setup.sh installs it)"
  if engine == "firefox":
    for path, what in ((FIREFOX, "Firefox ESR (apt package firefox-esr)"), (NODE, "Node.js"), (PUPPETEER, "puppeteer-core (npm ci --prefix tests)")):
      if not os.path.exists(path): return f"{path} is missing: {what}; ./setup.sh installs it"
    return None
  for path, what in ((WEBKIT_DRIVER, "WebKitWebDriver (apt package webkit2gtk-driver)"), (MINIBROWSER, "MiniBrowser (apt package webkit2gtk-driver)"),
                     (XVFB, "Xvfb (apt package xvfb)")):
    if not os.path.exists(path): return f"{path} is missing: {what}; ./setup.sh installs it"
  try:
    import selenium  # noqa: F401
  except ImportError:
    return "selenium is not installed in the venv (requirements-test.txt; ./setup.sh installs it)"
  return None

class Page:
  """What every engine's page offers; the engines implement the methods that raise NotImplementedError."""
  engine = "?"
  name = "?"
  can_download = False

  def goto(self, url:str) -> None: raise NotImplementedError
  def reload(self) -> None: raise NotImplementedError
  def evaluate(self, source:str, arg=None): raise NotImplementedError
  def wait_for(self, source:str, arg=None, timeout:float=30) -> None: raise NotImplementedError
  def click(self, selector:str) -> None: raise NotImplementedError
  def hover(self, selector:str) -> None: raise NotImplementedError
  def press(self, key:str) -> None: raise NotImplementedError
  def _mouse_strokes(self, strokes, box) -> None: raise NotImplementedError
  def _touch_strokes(self, strokes, box) -> None:
    raise EngineError(f"{self.engine}: this driver cannot touch the page")
  def screenshot(self, path, full_page:bool=False) -> pathlib.Path: raise NotImplementedError
  def set_viewport(self, width:int, height:int, scale:float=1) -> None: raise NotImplementedError
  def download(self, selector:str, timeout:float=30) -> pathlib.Path | None:
    """Clicks `selector` and returns the file it downloaded, or None where the engine's driver cannot catch downloads."""
    raise NotImplementedError
  @property
  def console_errors(self) -> list[str]: raise NotImplementedError
  def close(self) -> None: raise NotImplementedError

  def draw(self, strokes, selector:str="#canvas") -> None:
    """Draws strokes given in CSS px of the element with the mouse: down at each stroke's first point, a move per point, up."""
    self._mouse_strokes(strokes, self.box(selector))

  def box(self, selector:str) -> dict:
    """The element's box in the viewport's CSS px {x, y, width, height}, scrolled fully into view first if it was not."""
    return self.evaluate(_BOX, selector)

  def touch(self, strokes, selector:str="#canvas") -> None:
    """draw() with a finger: touch pointer events (pointerType "touch"), where the engine's driver makes them."""
    self._touch_strokes(strokes, self.box(selector))

  def focus(self, selector:str) -> None:
    self.evaluate("(s) => document.querySelector(s).focus()", selector)

  def dataset(self, selector:str) -> dict:
    return self.evaluate("(s) => ({...document.querySelector(s).dataset})", selector)

  def text(self, selector:str) -> str:
    return self.evaluate("(s) => document.querySelector(s).innerText", selector)

  def attribute(self, selector:str, name:str) -> str | None:
    return self.evaluate("([s, n]) => document.querySelector(s).getAttribute(n)", [selector, name])

  def visible(self, selector:str) -> bool:
    return self.evaluate("(s) => { const el = document.querySelector(s); return !!el && el.checkVisibility(); }", selector)

  def disabled(self, selector:str) -> bool:
    return self.evaluate("(s) => document.querySelector(s).disabled", selector)

  def count(self, selector:str) -> int:
    return self.evaluate("(s) => document.querySelectorAll(s).length", selector)

  def wait_for_selector(self, selector:str, timeout:float=30) -> None:
    self.wait_for("(s) => document.querySelector(s) !== null", selector, timeout)

  # Playwright's names for the same, so that tests/page_driving.py's helpers drive this page as they drive Playwright's
  def wait_for_function(self, source:str, arg=None, timeout:float=30_000) -> None: self.wait_for(source, arg, timeout / 1000)
  @property
  def keyboard(self): return self  # keyboard.press(key)

  def read_blob_download(self, selector:str, timeout:float=30) -> tuple[str, bytes]:
    """Clicks `selector`, which must save a Blob through a link (URL.createObjectURL and an <a download>), and returns
    (the link's file name, the Blob's bytes), read in the page: the engine-neutral check of a download."""
    self.evaluate("""() => {
      if (window.__blobs) return void (window.__blobs = []);
      window.__blobs = [];
      const create = URL.createObjectURL;
      URL.createObjectURL = (blob) => { const url = create.call(URL, blob); window.__blobs.push({url, blob}); return url; };
      const click = HTMLAnchorElement.prototype.click;
      HTMLAnchorElement.prototype.click = function () {
        window.__blobs.forEach((b) => { if (b.url === this.href) b.name = this.download; });
        return click.call(this);
      };
    }""")
    self.click(selector)
    self.wait_for("() => window.__blobs.some((b) => b.name !== undefined)", timeout=timeout)
    name, data = self.evaluate("""async () => {
      const {name, blob} = window.__blobs.find((b) => b.name !== undefined), bytes = new Uint8Array(await blob.arrayBuffer());
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return [name, btoa(text)];
    }""")
    return name, base64.b64decode(data)


# ---------------------------------------------------------------------------------------------------------- Chromium
class PlaywrightPage(Page):
  engine = "chromium"
  can_download = True

  def __init__(self, browser, workdir:pathlib.Path, name:str, width:int, height:int, scale:float=1):
    self.name, self._downloads = name, workdir / "downloads"
    self._context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale, accept_downloads=True)
    self._page = self._context.new_page()
    self._errors = []
    self._page.on("console", lambda message: message.type == "error" and self._errors.append(message.text))
    self._page.on("pageerror", lambda error: self._errors.append(str(error)))

  def goto(self, url): self._page.goto(url)
  def reload(self): self._page.reload()
  def evaluate(self, source, arg=None): return self._page.evaluate(f"(arg) => ({source})(arg)", arg)
  def wait_for(self, source, arg=None, timeout=30):
    self._page.wait_for_function(f"(arg) => ({source})(arg)", arg=arg, timeout=timeout * 1000, polling=50)
  def click(self, selector): self._page.click(selector)
  def hover(self, selector): self._page.hover(selector)
  def press(self, key): self._page.keyboard.press(key)
  def _mouse_strokes(self, strokes, box):
    mouse = self._page.mouse
    for stroke in strokes:
      mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
      mouse.down()
      for x, y in stroke[1:]: mouse.move(box["x"] + x, box["y"] + y)
      mouse.up()
  def screenshot(self, path, full_page=False):
    self._page.screenshot(path=str(path), full_page=full_page)
    return pathlib.Path(path)
  def set_viewport(self, width, height, scale=1):
    if scale != 1: raise EngineError("Playwright sets the device scale factor per context, when the page is opened")
    self._page.set_viewport_size({"width": width, "height": height})
  def download(self, selector, timeout=30):
    with self._page.expect_download(timeout=timeout * 1000) as info: self._page.click(selector)
    self._downloads.mkdir(parents=True, exist_ok=True)
    info.value.save_as(path := self._downloads / info.value.suggested_filename)
    return path
  @property
  def console_errors(self): return list(self._errors)
  def close(self): self._context.close()


# ----------------------------------------------------------------------------------------------------------- Firefox
class FirefoxBridge:
  """One Firefox, driven by puppeteer-core in a Node process (tests/firefox_bridge.mjs): call(op, **args) -> value."""

  def __init__(self, workdir:pathlib.Path, prefs:dict, name:str):
    self.name, self.workdir = name, workdir
    self.downloads = workdir / "downloads"
    self.downloads.mkdir(parents=True, exist_ok=True)
    self.log = workdir / "firefox-bridge.log"
    config = {"executablePath": FIREFOX, "prefs": prefs, "downloadDir": str(self.downloads)}
    self._log_file = open(self.log, "w")
    env = {**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"}
    self._process = subprocess.Popen([NODE, str(BRIDGE), json.dumps(config)], cwd=TESTS, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log_file, text=True, env=env)
    self._answers, self._id = queue.Queue(), 0
    threading.Thread(target=self._read, daemon=True).start()
    self.version = self.call("version", timeout=120)

  def _read(self):
    for line in self._process.stdout: self._answers.put(json.loads(line))
    self._answers.put(None)

  def _log_tail(self) -> str:
    return self.log.read_text(errors="replace")[-2000:]

  def call(self, op:str, timeout:float=120, **args):
    self._id += 1
    try:
      self._process.stdin.write(json.dumps({"id": self._id, "op": op, **args}) + "\n")
      self._process.stdin.flush()
    except BrokenPipeError:
      raise EngineError(f"the Firefox bridge has exited; its log:\n{self._log_tail()}") from None
    deadline = time.monotonic() + timeout
    while True:
      try:
        answer = self._answers.get(timeout=max(0.1, deadline - time.monotonic()))
      except queue.Empty:
        raise EngineError(f"Firefox: no answer to {op} in {timeout:.0f} s") from None
      if answer is None: raise EngineError(f"the Firefox bridge exited during {op}; its log:\n{self._log_tail()}")
      if answer["id"] == self._id: break  # an answer to an earlier call that timed out is dropped
    if "error" in answer: raise EngineError(f"Firefox, {op}: {answer['error']}")
    return answer["value"]

  def close(self):
    try:
      self._process.stdin.close()
      self._process.wait(timeout=30)
    except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
      self._process.kill()
      self._process.wait()
    self._log_file.close()

class FirefoxPage(Page):
  engine = "firefox"
  can_download = True

  def __init__(self, bridge:FirefoxBridge, name:str, width:int, height:int, scale:float=1):
    self.name, self._bridge = name, bridge
    self._id = bridge.call("newPage", width=width, height=height, deviceScaleFactor=scale)

  def _call(self, op, timeout=120, **args): return self._bridge.call(op, timeout=timeout, page=self._id, **args)
  def goto(self, url): self._call("goto", url=url)
  def reload(self): self._call("reload")
  def evaluate(self, source, arg=None): return self._call("evaluate", source=source, arg=arg)
  def wait_for(self, source, arg=None, timeout=30):
    self._call("waitFor", timeout=timeout + 30, source=source, arg=arg, ms=timeout * 1000)
  def click(self, selector): self._call("click", selector=selector)
  def hover(self, selector): self._call("hover", selector=selector)
  def press(self, key): self._call("press", key=key)
  def _mouse_strokes(self, strokes, box):
    self._call("draw", strokes=[[[box["x"] + x, box["y"] + y] for x, y in stroke] for stroke in strokes])
  def _touch_strokes(self, strokes, box):
    self._call("touch", strokes=[[[box["x"] + x, box["y"] + y] for x, y in stroke] for stroke in strokes])
  def screenshot(self, path, full_page=False):
    self._call("screenshot", path=str(path), fullPage=full_page)
    return pathlib.Path(path)
  def set_viewport(self, width, height, scale=1): self._call("setViewport", width=width, height=height, deviceScaleFactor=scale)
  def download(self, selector, timeout=30):
    before = set(self._bridge.downloads.iterdir())
    self.click(selector)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
      new = [p for p in set(self._bridge.downloads.iterdir()) - before if not p.name.endswith(".part")]
      partial = [p for p in self._bridge.downloads.iterdir() if p.name.endswith(".part")]
      if new and not partial: return new[0]
      time.sleep(0.05)
    raise EngineError(f"Firefox: clicking {selector} downloaded nothing into {self._bridge.downloads} in {timeout} s")
  @property
  def console_errors(self): return self._call("consoleErrors")
  def close(self): self._call("closePage")


# ------------------------------------------------------------------------------------------------------------ WebKit
class Xvfb:
  """A virtual X screen for MiniBrowser, on a display number Xvfb picks itself (-displayfd)."""

  def __init__(self, size="1920x1200x24"):
    import select
    read, write = os.pipe()
    self._process = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
                                     pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    deadline = time.monotonic() + 30
    while not number.endswith(b"\n") and time.monotonic() < deadline:
      if select.select([read], [], [], 0.5)[0]:
        chunk = os.read(read, 16)
        if not chunk: break
        number += chunk
    os.close(read)
    if not number.strip().isdigit():
      self.close()
      raise EngineError("Xvfb did not start (no display number from -displayfd)")
    self.display = f":{number.decode().strip()}"

  def close(self):
    self._process.terminate()
    try: self._process.wait(timeout=10)
    except subprocess.TimeoutExpired:
      self._process.kill()
      self._process.wait()

# evaluate() in WebKit: the function (its source in place of __SOURCE__: written into the script WebDriver runs, not
# eval'd in the page, whose Content-Security-Policy refuses eval) applied in the page, its promise awaited, an
# exception given back as text.
_APPLY_ASYNC = """const [arg, done] = arguments;
Promise.resolve().then(() => (__SOURCE__)(arg)).then(
  (value) => done({value: value === undefined ? null : value}),
  (error) => done({error: String(error && error.stack ? `${error}\\n${error.stack}` : error)}));"""
# wait_for() in WebKit: polls in the page every 50 ms, for up to `ms`; true once the function returned something truthy.
_POLL_ASYNC = """const [arg, ms, done] = arguments;
const test = (__SOURCE__), until = performance.now() + ms;
const poll = async () => {
  try { if (await test(arg)) return done({value: true}); } catch (error) { return done({error: String(error)}); }
  if (performance.now() > until) return done({value: false});
  setTimeout(poll, 50);
};
poll();"""

class WebKitPage(Page):
  """A MiniBrowser window of its own (a WebDriver session), on `display`."""
  engine = "webkit"
  can_download = False  # WebKitWebDriver gives no way to catch a download: read_blob_download() checks what it saves

  def __init__(self, display:str, workdir:pathlib.Path, name:str, width:int, height:int, scale:float=1):
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service
    if scale != 1: raise EngineError("WebKitGTK under Xvfb has a device pixel ratio of 1")
    self.name = name
    xdg = workdir / "xdg"
    (xdg / "gtk-3.0").mkdir(parents=True, exist_ok=True)
    (xdg / "gtk-3.0" / "gtk.css").write_text(MINIBROWSER_GTK_CSS)
    self.log = workdir / f"webkit-{time.monotonic_ns()}.log"
    options = Options()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")
    env = {**os.environ, "DISPLAY": display, "XDG_CONFIG_HOME": str(xdg), "GDK_BACKEND": "x11"}
    self._driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=WEBKIT_DRIVER, log_output=str(self.log), env=env))
    self._driver.set_script_timeout(600)
    self._errors = []
    self.set_viewport(width, height)

  def goto(self, url):
    self._keep_errors()
    self._driver.get(url)
    self._collect_errors()

  def reload(self):
    self._keep_errors()
    self._driver.refresh()
    self._collect_errors()

  # WebKitWebDriver has no console log (nor WebDriver BiDi), and MiniBrowser writes console messages to its output only
  # outside automation: the page collects them itself from the moment it has loaded (errors before that leave the page's
  # own #error showing, which the tests check); a navigation keeps what the page it leaves had collected.
  def _collect_errors(self):
    self._driver.execute_script("""if (window.__consoleErrors) return;
      const errors = window.__consoleErrors = [], error = console.error;
      console.error = (...args) => { errors.push(args.map(String).join(" ")); error.apply(console, args); };
      addEventListener("error", (event) => errors.push(String(event.error ?? event.message)));
      addEventListener("unhandledrejection", (event) => errors.push(`unhandled rejection: ${event.reason}`));""")

  def _keep_errors(self):
    try: self._errors += self._driver.execute_script("return window.__consoleErrors || []")
    except Exception: pass  # no page yet

  def evaluate(self, source, arg=None):
    answer = self._driver.execute_async_script(_APPLY_ASYNC.replace("__SOURCE__", source), arg)
    if "error" in answer: raise EngineError(f"WebKit, evaluate: {answer['error']}")
    return answer["value"]

  def wait_for(self, source, arg=None, timeout=30):
    from selenium.common.exceptions import JavascriptException
    deadline = time.monotonic() + timeout
    while True:
      left = deadline - time.monotonic()
      try:
        answer = self._driver.execute_async_script(_POLL_ASYNC.replace("__SOURCE__", source), arg, max(0, min(left, 20)) * 1000)
      except JavascriptException:  # the page was navigating: poll the next one
        answer = {"value": False}
      if "error" in answer: raise EngineError(f"WebKit, wait_for: {answer['error']}")
      if answer["value"]: return
      if time.monotonic() >= deadline: raise EngineError(f"WebKit: timed out after {timeout} s waiting for {source}")

  def _element(self, selector):
    from selenium.webdriver.common.by import By
    return self._driver.find_element(By.CSS_SELECTOR, selector)

  def _actions(self, *sources):
    from selenium.webdriver.remote.command import Command
    self._driver.execute(Command.W3C_ACTIONS, {"actions": list(sources)})

  def click(self, selector): self._element(selector).click()

  def hover(self, selector):
    element = self._element(selector)
    self._actions({"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
      {"type": "pointerMove", "duration": 0, "x": 0, "y": 0, "origin": {"element-6066-11e4-a52e-4f735466cecf": element.id}}]})

  def press(self, key):
    from selenium.webdriver.common.keys import Keys
    names = {"Tab": Keys.TAB, "Enter": Keys.ENTER, "Space": Keys.SPACE, "Shift": Keys.SHIFT, "Control": Keys.CONTROL,
             "Escape": Keys.ESCAPE, "ArrowLeft": Keys.LEFT, "ArrowRight": Keys.RIGHT, "ArrowUp": Keys.UP, "ArrowDown": Keys.DOWN}
    *modifiers, last = [names.get(k, k) for k in key.split("+")]
    actions = [{"type": "keyDown", "value": m} for m in modifiers] + [{"type": "keyDown", "value": last}, {"type": "keyUp", "value": last}]
    actions += [{"type": "keyUp", "value": m} for m in reversed(modifiers)]
    self._actions({"type": "key", "id": "keyboard", "actions": actions})

  def _touch_strokes(self, strokes, box):
    raise EngineError("WebKitGTK's WebDriver turns a touch pointer's actions into mouse events (pointerType \"mouse\")")

  def _mouse_strokes(self, strokes, box):
    # WebDriver takes whole CSS px here: each point is rounded (at most half a pixel off)
    actions = []
    for stroke in strokes:
      points = [{"type": "pointerMove", "duration": 0, "origin": "viewport", "x": round(box["x"] + x), "y": round(box["y"] + y)} for x, y in stroke]
      actions += [points[0], {"type": "pointerDown", "button": 0}, *points[1:], {"type": "pointerUp", "button": 0}]
    self._actions({"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": actions})

  def screenshot(self, path, full_page=False):
    """The viewport; or the whole page, stitched from viewport pictures scrolled down in turn (WebKitWebDriver's
    screenshots stop at the viewport, and a taller window would lay the page out anew: its canvas follows the height)."""
    if not full_page:
      self._driver.save_screenshot(str(path))
      return pathlib.Path(path)
    import io
    from PIL import Image
    # no scrollbar in the pictures (an overlay one would show in each), and each picture taken once the scroll is painted
    width, height, total, start = self.evaluate("""() => { document.documentElement.style.scrollbarWidth = "none";
      return [innerWidth, innerHeight, document.documentElement.scrollHeight, scrollY]; }""")
    page, y = Image.new("RGB", (width, total)), 0
    try:
      while True:
        top = self.evaluate("""async (y) => { scrollTo(0, y);
          for (let i = 0; i < 3; i++) await new Promise(requestAnimationFrame);
          return scrollY; }""", y)
        page.paste(Image.open(io.BytesIO(self._driver.get_screenshot_as_png())).convert("RGB").resize((width, height)), (0, top))
        if top + height >= total: break
        y = top + height
    finally:
      self.evaluate("(y) => { document.documentElement.style.scrollbarWidth = ''; scrollTo(0, y); }", start)
    page.save(path)
    return pathlib.Path(path)

  def set_viewport(self, width, height, scale=1):
    """Sizes the window so that its web view is width x height CSS px: the window's own toolbar is measured (the window
    less the view), and the size set again until the view, which follows the window a moment later, has it."""
    if scale != 1: raise EngineError("WebKitGTK under Xvfb has a device pixel ratio of 1")
    self._driver.set_window_size(width, height)
    deadline, view = time.monotonic() + 10, None
    while time.monotonic() < deadline:
      window = self._driver.get_window_size()
      view = self._driver.execute_script("return [innerWidth, innerHeight]")
      if view == [width, height]: return
      if view[0] > 0 and view[1] > 0:
        self._driver.set_window_size(width + max(0, window["width"] - view[0]), height + max(0, window["height"] - view[1]))
      time.sleep(0.05)
    raise EngineError(f"WebKit: asked for a {width}x{height} viewport, got {view}")

  def download(self, selector, timeout=30): return None

  @property
  def console_errors(self):
    return self._errors + self._driver.execute_script("return window.__consoleErrors || []")

  def close(self): self._driver.quit()

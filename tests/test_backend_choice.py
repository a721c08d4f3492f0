"""The backend chosen by measured speed (auto mode), in real Chromium: a WebGPU whose readback takes longer than a frame
(as Firefox's mapAsync does) leaves the page on the CPU with a notice that says why, while ?backend=webgpu still forces
WebGPU; where WebGPU's training steps take longer than a frame, the CNN learns on the CPU and says so; times
that the clock cannot tell apart are said as such."""
from pen_replay import prediction
from page_driving import DESKTOP, LEARNED, SHAPES, SLOW_CPU, draw_and_wait, new_page, personal, status, wait_for_backend, wait_ready, wait_settled

# WebGPU's readback held back for longer than a frame, as a browser that maps buffers only at its next frame does.
SLOW_READBACK = """(() => {
  const map = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (...args) {
    return new Promise((resolve) => setTimeout(resolve, 40)).then(() => map.apply(this, args));
  };
})();"""

def test_a_webgpu_slower_than_a_frame_leaves_the_page_on_the_cpu_saying_why(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(SLOW_READBACK)
  page.goto(site_url + "Classifier/?model=cnn")
  wait_ready(page)
  assert wait_settled(page) == "cpu" and status(page)["nextBackend"] == ""
  notice = page.inner_text("#notice")
  assert "WebGPU took" in notice and "more than a frame" in notice and "so the CNN runs on the CPU" in notice, notice
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "7" and "CPU" in page.inner_text("#inference-info")
  assert not page.console_errors

def test_backend_webgpu_is_kept_however_slow(browser, site_url):
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(SLOW_READBACK)
  page.goto(site_url + "Classifier/?model=cnn&backend=webgpu")
  wait_ready(page)
  wait_for_backend(page, "webgpu")
  assert draw_and_wait(page, SHAPES["7"])["digit"] == "7" and "WebGPU" in page.inner_text("#inference-info")
  assert "more than a frame" not in page.inner_text("#notice")

def test_learning_stays_on_the_cpu_where_webgpu_steps_take_longer_than_a_frame(browser, site_url):
  """WebGPU's training steps held back past a frame (every readback waits 40 ms), the workers' CPU steps not: once WebGPU
  has compiled its training pipelines and timed a round there, the page learns on the CPU, which is faster, and says
  why, while its predictions stay on WebGPU (the page's own CPU path slowed more)."""
  page = new_page(browser, viewport=DESKTOP)
  page.add_init_script(SLOW_READBACK)
  page.add_init_script(SLOW_CPU)  # so that predictions stay on WebGPU
  page.goto(site_url + "Classifier/?model=cnn")
  wait_ready(page)
  wait_for_backend(page, "webgpu")
  draw_and_wait(page, SHAPES["7"])
  for taught in range(1, 30):
    seq = int(prediction(page)["seq"])
    page.click('[data-teach="7"]')
    page.wait_for_function(LEARNED, arg=[seq, taught], timeout=60_000)
    if "learns your digits on the CPU" in page.inner_text("#notice"): break
    page.wait_for_timeout(500)  # the training pipelines compile meanwhile
  notice = page.inner_text("#notice")
  assert "A WebGPU training step of the CNN took" in notice and "more than a frame" in notice, notice
  seq = int(prediction(page)["seq"])
  page.click('[data-teach="7"]')
  page.wait_for_function(LEARNED, arg=[seq, taught + 1], timeout=60_000)
  assert personal(page)["backend"] == "cpu" and status(page)["backend"] == "webgpu"
  assert page.inner_text("#personal") == f"Learned from {taught + 1} of your digits."

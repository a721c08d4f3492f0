"""The generated modules and their loader in real Chromium on WebGPU (SwiftShader), against tinygrad on CPU."""
import functools, json, struct
import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.helpers import Context
from digits.models import load_model
from digits.export.check import TOLERANCE, check_inputs, error_of, reference_memory, reference_reads, stored_examples
from conftest import ROOT
from page_driving import HeldRequests, requests_for

RUN = """async ([name, inputs, url]) => {
  const device = await (await navigator.gpu.requestAdapter()).requestDevice();
  const { load } = await import(`./${name}/${name}.js`);
  const model = await load(device, url ?? undefined);
  const results = [];
  for (const x of inputs) results.push(Array.from(await model(new Float32Array(x))));
  return results;
}"""

SITE = ROOT / "Classifier"

@pytest.fixture
def site_page(browser, site_url):
  """A blank page in the shipped site's folder, served with it by the real server: the tests import its modules.
  (page, the site's folder, the folder of the float32 weights)."""
  context = browser.new_context(service_workers="block")  # page.route does not see what a service worker fetches
  page = context.new_page()
  errors = []
  page.on("pageerror", lambda e: errors.append(str(e)))
  url = site_url + "Classifier/loader-test.html"
  page.route(url, lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>loader test</title>"))
  page.goto(url)
  yield page, SITE, ROOT / "models"
  context.close()
  assert not errors

# Resolves once the classifier in window.model answers on WebGPU.
ON_WEBGPU = """() => new Promise((resolve) => {
  if (window.model.backend === "webgpu") resolve();
  else window.model.addEventListener("backendchange", resolve, { once: true });
})"""
PREDICT_ALL = """async (inputs) => {
  const { predict } = window.model, results = [];
  for (const x of inputs) results.push(Array.from(await predict(new Float32Array(x))));
  return results;
}"""

def page_weights(site, name):
  """The weights the page loads: the compact file, decoded by load_model as the page decodes it."""
  return site / name / f"{name}.weights.safetensors.gz"

def cpu_logits(name, site, inputs):
  with Context(DEV="CPU"): return load_model(name, page_weights(site, name))(Tensor(inputs)).numpy()

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_browser_logits_match_tinygrad(site_page, name):
  page, site, _ = site_page
  inputs = check_inputs()
  got = np.array(page.evaluate(RUN, [name, inputs.tolist(), None]))
  assert error_of(got, cpu_logits(name, site, inputs)) <= TOLERANCE

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_overlapping_calls_all_get_their_own_logits(site_page, name):
  page, site, _ = site_page
  inputs = check_inputs()
  got = np.array(page.evaluate("""async ([name, inputs]) => {
    const device = await (await navigator.gpu.requestAdapter()).requestDevice();
    const model = await (await import(`./${name}/${name}.js`)).load(device);
    const all = [];
    for (let round = 0; round < 4; round++) all.push(...inputs.map((x) => model(new Float32Array(x))));
    return (await Promise.all(all)).map((r) => Array.from(r));
  }""", [name, inputs.tolist()]))
  assert error_of(got, np.tile(cpu_logits(name, site, inputs), (4, 1))) <= TOLERANCE

def safetensors_bytes(header:dict, data:bytes) -> bytes:
  raw = json.dumps(header).encode()
  return struct.pack("<Q", len(raw)) + raw + data

def corruptions(good:bytes) -> dict:
  n = struct.unpack("<Q", good[:8])[0]
  header, data = json.loads(good[8:8 + n]), good[8 + n:]
  wrong_dtype = {**header, "c1.bias": {**header["c1.bias"], "dtype": "F16"}}
  missing = {k: v for k, v in header.items() if k != "l1.weight"}
  return {"truncated.safetensors": (good[:len(good) // 2], "outside the"),
          "long_header.safetensors": (struct.pack("<Q", 10**9) + good[8:], "runs past the end"),
          "wrong_dtype.safetensors": (safetensors_bytes(wrong_dtype, data), 'tensor "c1.bias" has dtype F16, expected F32'),
          "missing.safetensors": (safetensors_bytes(missing, data), 'tensor "l1.weight" is missing'),
          "not_json.safetensors": (struct.pack("<Q", 4) + b"{{{{" + data, "not valid JSON")}

def serve_bytes(body:bytes, route) -> None: route.fulfill(body=body)

def test_corrupt_weight_files_are_rejected_with_the_problem_named(site_page):
  page, _, weights_dir = site_page
  good = (weights_dir / "cnn.safetensors").read_bytes()  # the loader reads a float32 file too
  cases = {**corruptions(good), "absent.safetensors": (None, "HTTP 404")}
  for filename, (content, _) in cases.items():
    if content is not None: page.route(f"**/cnn/{filename}", functools.partial(serve_bytes, content))
  for filename, (_, message) in cases.items():
    error = page.evaluate("""async (url) => {
      const device = await (await navigator.gpu.requestAdapter()).requestDevice();
      try { await (await import("./cnn/cnn.js")).load(device, url); return null; } catch (e) { return e.message; }
    }""", f"./cnn/{filename}")
    assert error is not None and message in error and filename in error, (filename, error)

CLASSIFY = """async ([name, backend, inputs]) => {
  const { loadClassifier } = await import("./js/classifier.js");
  const model = await loadClassifier(name, { backend });
  const results = [];
  for (const x of inputs) results.push(Array.from(await model.predict(new Float32Array(x))));
  return [model.backend, results];
}"""

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_cpu_fallback_gives_the_webgpu_logits(site_page, name):
  page, site, _ = site_page
  inputs = check_inputs()
  (gpu_backend, gpu), (cpu_backend, cpu) = [page.evaluate(CLASSIFY, [name, b, inputs.tolist()]) for b in ("webgpu", "cpu")]
  assert (gpu_backend, cpu_backend) == ("webgpu", "cpu")
  assert error_of(np.array(cpu), np.array(gpu)) <= TOLERANCE
  assert error_of(np.array(cpu), cpu_logits(name, site, inputs)) <= TOLERANCE

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_auto_answers_on_the_cpu_then_on_webgpu_from_one_download(site_page, name):
  """The model's WebGPU module is held back, so the classifier must start on the CPU; once it is let through, the
  classifier moves to WebGPU and says so. Both backends give tinygrad's logits, and the weights are fetched once."""
  page, site, _ = site_page
  inputs = check_inputs()
  weights = requests_for(page, f"{name}.weights.safetensors.gz")
  webgpu_module = HeldRequests(page, f"**/{name}/{name}.js")
  started = page.evaluate("""async (name) => {
    const { loadClassifier } = await import("./js/classifier.js");
    window.model = await loadClassifier(name, { backend: "auto" });
    return [model.backend, model.pendingBackend, model.device];
  }""", name)
  assert started == ["cpu", "webgpu", None]
  on_cpu = np.array(page.evaluate(PREDICT_ALL, inputs.tolist()))
  webgpu_module.release()
  page.evaluate(ON_WEBGPU)
  assert page.evaluate("[model.backend, model.pendingBackend, model.notice, model.device !== null]") == ["webgpu", None, None, True]
  on_gpu = np.array(page.evaluate(PREDICT_ALL, inputs.tolist()))
  expected = cpu_logits(name, site, inputs)
  assert error_of(on_cpu, expected) <= TOLERANCE and error_of(on_gpu, expected) <= TOLERANCE
  assert len(weights) == 1, weights

@pytest.mark.parametrize("backend", ["webgpu", "auto"])
def test_a_lost_device_is_replaced_and_work_goes_on(site_page, backend):
  page, site, _ = site_page
  x = check_inputs()[:2]
  page.evaluate("""async (backend) => {
    const { loadClassifier } = await import("./js/classifier.js");
    window.model = await loadClassifier("cnn", { backend });
  }""", backend)
  page.evaluate(ON_WEBGPU)
  before, after, replaced = page.evaluate("""async (inputs) => {
    const run = async () => Array.from(await model.predict(new Float32Array(inputs[0])));
    const before = await run(), lost = model.device;
    lost.destroy();
    await lost.lost;
    const after = await run();
    return [before, after, model.device !== lost];
  }""", x.tolist())
  assert replaced and error_of(np.array(after), np.array(before)) <= TOLERANCE
  assert error_of(np.array([after]), cpu_logits("cnn", site, x[:1])) <= TOLERANCE

RECALL_WITH_MEMORY = """async ([name, backend, examples, inputs]) => {
  const { loadClassifier } = await import("./js/classifier.js");
  const model = await loadClassifier(name, { backend });
  await model.prepareMemory();
  model.holdExamples(examples.map(({ x, y }) => ({ input: new Float32Array(x), label: y })));
  const results = [];
  for (const x of inputs) {
    const outputs = await model.recall(new Float32Array(x));
    results.push(Object.fromEntries(Object.entries(outputs).map(([key, values]) => [key, Array.from(values)])));
  }
  return [model.backend, model.memoryCount, results];
}"""

@functools.cache
def tinygrads_reads(name:str) -> list[dict]:
  """The exporter's reference: tinygrad's prediction graph's outputs for each check input, reading the memory its store
  steps filled, on the weights the page loads."""
  weights = page_weights(SITE, name)
  return reference_reads(name, weights, reference_memory(name, weights)[1])[0]

@pytest.mark.parametrize("backend", ["webgpu", "cpu"])
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_the_memory_stored_and_read_in_the_browser_gives_tinygrads_outputs(site_page, name, backend):
  """The exporter's store check, through the page's own code: the examples held one per slot by model_memory.js (the
  rows tinygrad's check writes), then every output of the prediction graph for each check input."""
  page, site, _ = site_page
  examples = [{"x": e["x"].reshape(-1).tolist(), "y": int(e["y"][0])} for e in stored_examples(name)]
  got_backend, held, got = page.evaluate(RECALL_WITH_MEMORY, [name, backend, examples, check_inputs().tolist()])
  expected = tinygrads_reads(name)
  assert (got_backend, held) == (backend, len(examples))
  errors = {f"'{k}' of check input {i}": error_of(np.array(g[k]).reshape(-1), e[k].reshape(-1))
            for i, (g, e) in enumerate(zip(got, expected)) for k in e}
  worst = max(errors, key=errors.get)
  assert errors[worst] <= TOLERANCE, f"{worst} differs by {errors[worst]:.2e}"

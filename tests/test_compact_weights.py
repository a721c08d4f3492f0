"""The compact weights the page downloads (digits/compact_weights.py): decoded in real Chromium on both backends as numpy
decodes them, refused when damaged, and written by the exporter only when they read digits as well as float32."""
import gzip, hashlib, json, struct
import numpy as np
import pytest
from tinygrad import Tensor, nn
from tinygrad.helpers import Context
from conftest import run_script
from digits import compact_weights
from digits.files import safetensors_bytes
from digits.models import load_model
from digits.export.check import TOLERANCE, check_inputs, error_of

# Each backend's load() of the module with the weights at `url`: the SHA-256 of each decoded tensor's bytes and the logits
LOAD_BOTH = """async ([name, url, inputs]) => {
  const hex = async (values) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", values)),
                                           (b) => b.toString(16).padStart(2, "0")).join("");
  const device = await (await navigator.gpu.requestAdapter()).requestDevice();
  const models = { webgpu: await (await import(`./${name}/${name}.js`)).load(device, url),
                   cpu: await (await import(`./${name}/${name}.cpu.js`)).load(url) };
  const out = {};
  for (const [backend, model] of Object.entries(models)) {
    const hashes = {};
    for (const [tensor, values] of Object.entries(model.weights)) hashes[tensor] = [values.length, await hex(values)];
    const logits = [];
    for (const x of inputs) logits.push(Array.from(await model(new Float32Array(x))));
    out[backend] = { hashes, logits };
  }
  return out;
}"""

def float32_weights(exported_site, name:str) -> dict[str, np.ndarray]:
  """The float32 weights that the site was exported from."""
  return {k: v.numpy() for k, v in nn.state.safe_load(str(exported_site[2] / f"{name}.safetensors")).items()}

@pytest.mark.parametrize("scheme", ["int4", "int5", "int8", "f32"])
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_both_backends_decode_the_compact_weights_as_numpy_does(page, exported_site, name, scheme):
  site, url = exported_site[0], exported_site[1]
  weights = float32_weights(exported_site, name)
  (site / name / f"{name}.{scheme}.weights.safetensors.gz").write_bytes(data := compact_weights.encode(weights, scheme))
  decoded = compact_weights.decode(data, scheme, {k: v.shape for k, v in weights.items()})
  assert scheme == "f32" or any(not np.array_equal(decoded[k], weights[k]) for k in weights), "the scheme changed nothing"
  page.goto(url + "index.html")
  inputs = check_inputs()
  got = page.evaluate(LOAD_BOTH, [name, f"./{name}/{name}.{scheme}.weights.safetensors.gz", inputs.tolist()])
  expected = {k: [v.size, hashlib.sha256(v.astype("<f4").tobytes()).hexdigest()] for k, v in decoded.items()}
  with Context(DEV="CPU"): logits = load_model(name, decoded)(Tensor(inputs)).numpy()
  for backend in ("webgpu", "cpu"):
    assert got[backend]["hashes"] == expected, backend
    assert error_of(np.array(got[backend]["logits"]), logits) <= TOLERANCE, backend

def rewritten(data:bytes, change) -> bytes:
  """The compact file `data` with its header changed by change(header), its tensor bytes as they were, gzipped."""
  raw = gzip.decompress(data)
  n = struct.unpack("<Q", raw[:8])[0]
  header = json.loads(raw[8:8 + n])
  change(header)
  text = json.dumps(header).encode()
  return gzip.compress(struct.pack("<Q", len(text)) + text + raw[8 + n:], mtime=0)

def damaged(data:bytes) -> dict[str, tuple[bytes, str]]:
  """{file name: (its bytes, what the error must say)} for the compact MLP file `data` of scheme int8."""
  def scheme(h): h["__metadata__"]["l1.weight"] = "int3/32"
  def scale_shape(h): h["l2.weight.scale"]["shape"] = [256, 2]
  def dtype(h): h["l1.weight"]["dtype"] = "U8"
  def stray(h): h["l9.weight"] = h["l1.bias"]
  def offsets(h): h["l3.weight"]["data_offsets"] = [h["l3.weight"]["data_offsets"][0], 10**9]
  return {"scheme.weights.safetensors.gz": (rewritten(data, scheme), 'tensor "l1.weight" has scheme "int3/32", which this page cannot decode'),
          "scale.weights.safetensors.gz": (rewritten(data, scale_shape), 'tensor "l2.weight.scale" has shape [256,2], expected [512]'),
          "dtype.weights.safetensors.gz": (rewritten(data, dtype), 'tensor "l1.weight" has dtype U8, expected I8'),
          "stray.weights.safetensors.gz": (rewritten(data, stray), 'tensor "l9.weight" has no scheme'),
          "offsets.weights.safetensors.gz": (rewritten(data, offsets), 'tensor "l3.weight" has offsets'),
          "cut.weights.safetensors.gz": (data[:len(data) // 2], "not a valid gzip file")}

LOAD_ERRORS = """async ([name, url]) => {
  const device = await (await navigator.gpu.requestAdapter()).requestDevice();
  const message = (loading) => loading.then(() => null, (error) => error.message);
  return [await message((await import(`./${name}/${name}.js`)).load(device, url)),
          await message((await import(`./${name}/${name}.cpu.js`)).load(url))];
}"""

def test_a_damaged_compact_file_is_refused_with_the_problem_named(page, exported_site):
  site, url = exported_site[0], exported_site[1]
  cases = damaged(compact_weights.encode(float32_weights(exported_site, "mlp"), "int8"))
  for filename, (content, _) in cases.items(): (site / "mlp" / filename).write_bytes(content)
  page.goto(url + "index.html")
  for filename, (content, message) in cases.items():
    errors = page.evaluate(LOAD_ERRORS, ["mlp", f"./mlp/{filename}"])
    assert all(e is not None and message in e and filename in e for e in errors), (filename, errors)
    if filename != "cut.weights.safetensors.gz":
      with pytest.raises(ValueError): compact_weights.decode(content, filename)

def unquantizable(weights:dict[str, np.ndarray], blank:np.ndarray) -> dict[str, np.ndarray]:
  """The MLP's weights with, in each group of 64 inputs of every first-layer row, the weight of one pixel that is blank
  (-1) in every digit the gate reads made far larger, and its effect on those digits moved into the bias: the float32
  model reads them as before, but a scale per group (or per row) that large rounds the group's other weights to 0."""
  w, b, big = weights["l1.weight"].copy(), weights["l1.bias"].copy(), 1000 * np.abs(weights["l1.weight"]).max()
  for start in range(0, w.shape[1], compact_weights.GROUP):
    if (pixels := np.flatnonzero(blank[start:start + compact_weights.GROUP])).size:
      w[:, start + pixels[0]] += big
      b += big  # the pixel is -1
  return {**weights, "l1.weight": w, "l1.bias": b}

def test_the_exporter_refuses_a_scheme_that_loses_accuracy(mnist_dir, tmp_path):
  """int4 forced, the gate on, on weights that read digits as the shipped MLP does but cannot be rounded per group:
  the export stops with one line naming the model, the scheme and the drop, and writes nothing."""
  from digits.export.weights_choice import gate_digits
  from digits.models import shipped_weights
  weights = {k: v.numpy() for k, v in nn.state.safe_load(str(shipped_weights("mlp"))).items()}
  blank = np.all(np.concatenate([images.reshape(-1, 784) for images, _ in gate_digits(5000).values()]) == 0, axis=0)
  (tmp_path / "mlp.safetensors").write_bytes(safetensors_bytes(unquantizable(weights, blank)))
  env = {"WEIGHTS_DIR": str(tmp_path), "OUT_DIR": str(tmp_path / "out"), "MNIST_DIR": str(mnist_dir), "WEIGHTS_SCHEME": "int4"}
  r = run_script("export_webgpu.py", env, "mlp")
  last = r.stderr.strip().splitlines()[-1]
  assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
  assert last.startswith("error: mlp: the int4 weights lose ") and " point on the " in last and last.endswith(
    "nothing written (WEIGHTS_SCHEME=auto chooses one that does not)"), last
  assert not (tmp_path / "out").exists()

@pytest.mark.parametrize("setting,value", [("WEIGHTS_SCHEME", "int3"), ("WEIGHTS_GATE", "2")])
def test_a_bad_weights_setting_is_named(tmp_path, setting, value):
  r = run_script("export_webgpu.py", {"WEIGHTS_DIR": str(tmp_path), "OUT_DIR": str(tmp_path / "out"), setting: value}, "mlp")
  assert r.returncode == 2 and r.stderr.strip() == r.stderr.strip().splitlines()[0] and f"{setting}='{value}' is not valid" in r.stderr
  assert not (tmp_path / "out").exists()

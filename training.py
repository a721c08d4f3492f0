"""What mnist_mlp.py and mnist_convnet.py share: settings from env vars, on-device augmentation, the training loop, outputs."""
import hashlib, importlib.metadata, json, math, os, pathlib, re, shlex, sys, tempfile, time
from dataclasses import dataclass, asdict
import numpy as np
from tinygrad import Tensor, TinyJit, Device, nn, dtypes
from tinygrad.helpers import BEAM, Context, getenv, trange
import cpu_threads
import kernel_search
from models import load_model
from training_data import training_data

cpu_threads.enable()  # tinygrad's CPU runtime would run the slices of each threaded kernel one after another, on one core

@dataclass(frozen=True)
class Settings:
  steps: int
  batch: int
  lr: float
  schedule: str
  lr_decay: float
  patience: int
  angle: float
  scale: float
  shift: float
  elastic: float
  thickness: float
  sampling: str
  seed: int
  eval_every: int
  weights_dir: str
  pen_writers: str
  pen_repeat: int
  validation: int

# name: (type, check, what is allowed)
RULES = {
  "STEPS": (int, lambda v: v >= 1, "an integer >= 1"), "BATCH": (int, lambda v: v >= 1, "an integer >= 1"),
  "LR": (float, lambda v: 0 < v < 10, "a number in (0, 10)"),
  "SCHEDULE": (str, lambda v: v in ("cosine", "plateau"), "'cosine' (LR to 0 over STEPS) or 'plateau' (LR x LR_DECAY when the test accuracy stalls)"),
  "LR_DECAY": (float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
  "PATIENCE": (int, lambda v: v >= 1, "an integer >= 1 (evaluations without improvement before the LR decays)"),
  "ANGLE": (float, lambda v: 0 <= v <= 180, "degrees in [0, 180]"), "SCALE": (float, lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
  "SHIFT": (float, lambda v: 0 <= v <= 14, "pixels in [0, 14]"),
  "ELASTIC": (float, lambda v: 0 <= v <= 5, "pixels in [0, 5]"), "THICKNESS": (float, lambda v: 0 <= v <= 1, "a fraction in [0, 1]"),
  "SAMPLING": (str, lambda v: v in ("nearest", "bilinear"), "'nearest' or 'bilinear'"),
  "SEED": (int, lambda v: v >= 0, "an integer >= 0"), "EVAL_EVERY": (int, lambda v: v >= 1, "an integer >= 1"),
  "WEIGHTS_DIR": (str, lambda v: v != "", "a directory path"),
  "PEN_WRITERS": (str, lambda v: v == "none" or re.fullmatch(r"(\d+)-(\d+)", v) is not None and 1 <= int(v.split("-")[0]) <= int(v.split("-")[1]) <= 30,
                  "'none' (MNIST alone) or a range of pen writers like 1-30 or 1-20"),
  "PEN_REPEAT": (int, lambda v: v >= 1, "an integer >= 1"),
  "VALIDATION": (int, lambda v: 1000 <= v <= 20000, "an integer in [1000, 20000]"),
}

def read_settings(defaults:dict) -> Settings:
  """Each setting from its env var (tinygrad's getenv) or the script's default; a bad value exits 2 with one line naming it."""
  values = {}
  for name, (kind, ok, allowed) in RULES.items():
    raw = os.environ.get(name)
    try: value = getenv(name, kind(defaults[name]))
    except ValueError: value = None
    if value is None or (kind is float and not math.isfinite(value)) or not ok(value):
      print(f"error: {name}={raw!r} is not valid: expected {allowed}", file=sys.stderr)
      sys.exit(2)
    values[name.lower()] = value
  return Settings(**values)

def uniform(*shape:int, amount:float) -> Tensor: return (Tensor.rand(*shape) * 2 - 1) * amount

def augment(x:Tensor, s:Settings) -> Tensor:
  """Random stroke thickness, rotation, scale, shift and elastic distortion of each (28,28) image, in ink space
  (0 = background, so what enters from outside is blank)."""
  n = x.shape[0]
  x = vary_thickness(x, s.thickness)
  theta, zoom = uniform(n, 1, 1, amount=s.angle * math.pi / 180), 1 + uniform(n, 1, 1, amount=s.scale)
  shift_x, shift_y = uniform(n, 1, 1, amount=s.shift), uniform(n, 1, 1, amount=s.shift)
  return warp(x, theta, zoom, shift_x, shift_y, smooth_field(n, s.elastic), smooth_field(n, s.elastic), s.sampling)

def warp(x:Tensor, theta:Tensor, zoom:Tensor, shift_x:Tensor, shift_y:Tensor, wobble_x=0.0, wobble_y=0.0, sampling="bilinear") -> Tensor:
  """Each (28,28) image rotated by theta (radians), zoomed, shifted (pixels) about its centre, then wobbled by the
  displacement fields; the per-image parameters have shape (n,1,1)."""
  n, c = x.shape[0], Tensor.arange(28, dtype=dtypes.float32) - 13.5
  px, py = c.reshape(1, 1, 28) - shift_x, c.reshape(1, 28, 1) - shift_y
  # inverse map: each output pixel reads the source at R(-theta) (p - t) / zoom, then wobbles
  sx = (theta.cos() * px + theta.sin() * py) / zoom + 13.5 + wobble_x
  sy = (-theta.sin() * px + theta.cos() * py) / zoom + 13.5 + wobble_y
  return sample(x, sx.reshape(n, 784, 1), sy.reshape(n, 784, 1), sampling).reshape(n, 28, 28)

def vary_thickness(x:Tensor, amount:float) -> Tensor:
  """Each image blended towards its 3x3 dilation (thicker) or erosion (thinner) by a random fraction up to `amount`."""
  a, x4 = uniform(x.shape[0], 1, 1, amount=amount), x.unsqueeze(1)
  dilated, eroded = x4.max_pool2d(3, stride=1, padding=1).squeeze(1), -(-x4).max_pool2d(3, stride=1, padding=1).squeeze(1)
  return x + a.relu() * (dilated - x) + (-a).relu() * (eroded - x)

def smooth_field(n:int, amount:float) -> Tensor:
  """(n,28,28) displacements: a random 4x4 grid of offsets up to `amount` pixels, spread bilinearly over the image."""
  knots = Tensor.arange(28, dtype=dtypes.float32).reshape(28, 1) * 3 / 27 - Tensor.arange(4, dtype=dtypes.float32).reshape(1, 4)
  spread = (1 - knots.abs()).relu()  # (28,4)
  return spread @ uniform(n, 4, 4, amount=amount) @ spread.T

def sample(x:Tensor, sx:Tensor, sy:Tensor, how:str) -> Tensor:
  """x (n,28,28) read at source coordinates (n,784,1): the bilinear blend of the 2x2 pixels around each point, gathered.
  Neighbours outside the image weigh 0 (their index is clamped only so that every read stays inside x)."""
  n, flat = x.shape[0], x.reshape(x.shape[0], 784)
  if how == "nearest": sx, sy = sx.round(), sy.round()  # bilinear weights at whole pixels are one-hot
  x0, y0 = sx.floor(), sy.floor()
  out = None
  for cy, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
    for cx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
      inside = (cx >= 0) & (cx <= 27) & (cy >= 0) & (cy <= 27)
      index = (cy.clip(0, 27) * 28 + cx.clip(0, 27)).cast(dtypes.int32).reshape(n, 784)
      term = inside.where(wx * wy, 0).reshape(n, 784) * flat.gather(1, index)
      out = term if out is None else out + term
  return out

def to_model_range(ink:Tensor) -> Tensor: return ink * 2 - 1   # ink 0..1 -> -1..1, as the page feeds the model

def evaluator(model, X:np.ndarray, Y:np.ndarray, chunk:int=1000):
  """Returns accuracy() in % over all of X, in equal chunks so one jitted set of kernels serves them all."""
  # each chunk its own buffer: the JIT would read views of one buffer at the offset it captured
  chunks = [(to_model_range(Tensor(X[i:i+chunk]).float().div(255)).reshape(-1, 784).realize(), Tensor(Y[i:i+chunk].astype("int32")).realize())
            for i in range(0, len(X), chunk)]
  @TinyJit
  def correct(x:Tensor, y:Tensor) -> Tensor: return (model(x).argmax(-1) == y).sum().realize()
  return lambda: 100 * sum(correct(x, y).item() for x, y in chunks) / len(X)

def save_weights(model, path:pathlib.Path) -> None:
  """safetensors, written from host copies: tinygrad's safe_save compiles CPU kernels, which a GPU box without clang lacks."""
  data = safetensors_bytes({k: v.numpy().astype("<f4") for k, v in nn.state.get_state_dict(model).items()})
  save_atomic(path, lambda p: pathlib.Path(p).write_bytes(data))

SAFETENSORS_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i4"): "I32", np.dtype("uint8"): "U8"}

def safetensors_bytes(arrays:dict[str, np.ndarray]) -> bytes:
  header, offset = {}, 0
  for k, a in arrays.items(): header[k] = {"dtype": SAFETENSORS_DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset := offset + a.nbytes]}
  raw = json.dumps(header).encode()
  raw += b" " * (-len(raw) % 8)  # keeps the tensor data 8-byte aligned
  return len(raw).to_bytes(8, "little") + raw + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())

def current_umask() -> int:
  os.umask(mask := os.umask(0o22))
  return mask

def save_atomic(path:pathlib.Path, write) -> None:
  """write(tmp_path) then rename, so an interrupted run never leaves a half-written file where a good one was."""
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  os.close(fd)
  try:
    write(tmp)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it private; the result is an ordinary file
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp): os.unlink(tmp)

def make_train_step(model, opt, X_train:Tensor, Y_train:Tensor, s:Settings):
  """The jitted step: a random batch from the on-device training set, augmented, one Adam step; returns the loss (not synced)."""
  done = Tensor.zeros(1).contiguous().realize()  # steps taken, kept on the device so the schedule needs no host work
  @TinyJit
  def train_step() -> Tensor:
    with Context(TRAINING=1):
      if s.schedule == "cosine":
        opt.lr.assign(s.lr * 0.5 * (1 + (done * (math.pi / s.steps)).cos()))
        done.assign(done + 1)
      opt.zero_grad()
      idx = Tensor.randint(s.batch, high=X_train.shape[0])
      x = to_model_range(augment(X_train[idx], s)).reshape(-1, 784)
      loss = model(x).sparse_categorical_crossentropy(Y_train[idx]).backward()
      opt.step()
      return loss.realize(done)
  return train_step

USER_ENVIRONMENT = dict(os.environ)  # before tinygrad picks its device and writes DEV into os.environ for its children

# Below this many steps the one-time kernel search costs more than it saves (BEAM on a CPU, see train()).
SEARCH_MIN_STEPS = 2000

def train(name:str, make_model, defaults:dict) -> dict:
  s = read_settings(defaults)
  # On a CPU, tinygrad's kernel search makes the step 2-3x faster for a one-time search that its disk cache keeps;
  # BEAM=0 turns it off, and short runs skip it. GPUs are fast enough without it, and their runs stay reproducible.
  if "BEAM" not in os.environ and Device.DEFAULT == "CPU" and s.steps >= SEARCH_MIN_STEPS: BEAM.value = 2
  if BEAM.value and Device.DEFAULT == "CPU" and (seeded := kernel_search.seed_shipped()):
    print(f"using {seeded} kernels that the repository's default runs found for CPUs (data/kernels/cpu.json)")
  if BEAM.value: kernel_search.watch("up to 10 minutes per model on 2 CPU cores")
  data = training_data(s.validation, s.pen_writers, s.pen_repeat)
  print(f"{name} on {Device.DEFAULT}: {data.summary}; {s.steps} steps of {s.batch}", flush=True)
  Tensor.manual_seed(s.seed)
  model = make_model()  # after the seed: tinygrad's own seed is the clock's second, and it would pick the initial weights
  validation_accuracy = evaluator(model, data.X_val, data.Y_val)
  X_train, Y_train = Tensor(data.X_train).float().div(255).realize(), Tensor(data.Y_train.astype("int32")).realize()
  opt = nn.optim.Adam(nn.state.get_parameters(model), lr=s.lr)
  train_step = make_train_step(model, opt, X_train, Y_train, s)

  out = pathlib.Path(s.weights_dir)
  out.mkdir(parents=True, exist_ok=True)
  weights = out / f"{name}.safetensors"
  history, best, lr, stale, start = {"step": [], "loss": [], "val_step": [], "val_acc": []}, -1.0, s.lr, 0, time.perf_counter()
  for i in (t := trange(s.steps)):
    loss = train_step().item()
    history["step"].append(i + 1); history["loss"].append(loss)
    if (i + 1) % s.eval_every == 0 or i + 1 == s.steps:
      acc = validation_accuracy()
      if s.schedule == "cosine": lr = opt.lr.item()
      history["val_step"].append(i + 1); history["val_acc"].append(acc)
      if acc > best:
        best, stale = acc, 0
        save_weights(model, weights)
      elif s.schedule == "plateau" and (stale := stale + 1) >= s.patience:
        lr, stale = lr * s.lr_decay, 0
        opt.lr.assign(Tensor([lr], device=opt.lr.device, dtype=opt.lr.dtype)).realize()
    t.set_description(f"loss {loss:6.3f} validation {history['val_acc'][-1] if history['val_acc'] else 0:5.2f}% lr {lr:.1e}")
  metrics = {"model": name, "command": command(defaults), "settings": asdict(s), "device": Device.DEFAULT,
             "tinygrad": importlib.metadata.version("tinygrad"), "data": data.summary, "data_sha256": data.checksums,
             "wall_time_s": round(time.perf_counter() - start, 1), **final_accuracies(name, make_model, weights, data, best)}
  write_outputs(out / name, metrics, history)
  if kernel_search.found:  # what `python kernel_search.py save` ships, to spare other machines this run's searches
    save_atomic(out / f"{name}.kernels.json", lambda p: pathlib.Path(p).write_text(json.dumps(list(kernel_search.found.values()))))
  print(f"validation {best:.2f}% (the checkpoint kept); MNIST test {metrics['test_accuracy']:.2f}%" +
        (f"; pen digits of writers left out {metrics['pen_heldout_accuracy']:.2f}%" if "pen_heldout_accuracy" in metrics else "") +
        f"\nweights: {weights}\nmetrics: {out / name}.json\nplot: {out / name}.png")
  return metrics

def final_accuracies(name:str, make_model, weights:pathlib.Path, data, validation:float) -> dict:
  """The kept checkpoint, read back from its file: the test set, read this once, and the pen writers left out, if any."""
  model = load_model(name, weights)
  result = {"weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(), "validation_accuracy": validation,
            "test_accuracy": evaluator(model, data.X_test, data.Y_test)()}
  if len(data.X_pen_out): result["pen_heldout_accuracy"] = 100 * float((model(Tensor(data.X_pen_out.reshape(-1, 784)).float().div(127.5) - 1).argmax(-1).numpy() == data.Y_pen_out).mean())
  return result

def command(defaults:dict) -> str:
  """The command that repeats this run: the settings changed from the script's defaults, then the script."""
  changed = [f"{k}={shlex.quote(USER_ENVIRONMENT[k])}" for k in [*defaults, "DEV", "BEAM"] if k in USER_ENVIRONMENT]
  return " ".join(changed + ["python", pathlib.Path(sys.argv[0]).name])

def write_outputs(stem:pathlib.Path, metrics:dict, history:dict) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
  a.plot(history["step"], history["loss"], lw=0.6); a.set(xlabel="step", ylabel="training loss", yscale="log", title=stem.name)
  b.plot(history["val_step"], history["val_acc"], marker="."); b.set(xlabel="step", ylabel="validation accuracy (%)")
  fig.tight_layout()
  save_atomic(stem.with_suffix(".png"), lambda p: fig.savefig(p, format="png", dpi=100))
  plt.close(fig)
  save_atomic(stem.with_suffix(".json"), lambda p: pathlib.Path(p).write_text(json.dumps({**metrics, "history": history}, indent=1)))

"""The training loop that mnist_mlp.py and mnist_convnet.py share, and its outputs: weights, metrics, curves."""
import hashlib, importlib.metadata, json, math, os, pathlib, shlex, sys, time
from dataclasses import asdict
import numpy as np
from tinygrad import Tensor, TinyJit, Device, nn
from tinygrad.helpers import BEAM, Context, trange
from digits.files import save_atomic, write_text_atomic
from digits.models import load_model, save_weights
from digits.data.training_set import training_data
from digits.training import cpu_threads, kernel_search
from digits.training.augment import augment, to_model_range
from digits.training.settings import Settings, read_settings

cpu_threads.enable()  # tinygrad's CPU runtime would run the slices of each threaded kernel one after another, on one core

def evaluator(model, X:np.ndarray, Y:np.ndarray, chunk:int=1000):
  """Returns accuracy() in % over all of X, in equal chunks so one jitted set of kernels serves them all."""
  # each chunk its own buffer: the JIT would read views of one buffer at the offset it captured
  chunks = [(to_model_range(Tensor(X[i:i+chunk]).float().div(255)).reshape(-1, 784).realize(), Tensor(Y[i:i+chunk].astype("int32")).realize())
            for i in range(0, len(X), chunk)]
  @TinyJit
  def correct(x:Tensor, y:Tensor) -> Tensor: return (model(x).argmax(-1) == y).sum().realize()
  return lambda: 100 * sum(correct(x, y).item() for x, y in chunks) / len(X)

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
  # On a CPU, tinygrad's kernel search makes the step several times faster for a one-time search that its disk cache keeps;
  # BEAM=0 turns it off, and short runs skip it. GPUs are fast enough without it, and their runs stay reproducible.
  if "BEAM" not in os.environ and Device.DEFAULT == "CPU" and s.steps >= SEARCH_MIN_STEPS: BEAM.value = 2
  if BEAM.value and Device.DEFAULT == "CPU" and (seeded := kernel_search.seed_shipped()):
    print(f"using {seeded} kernels that the repository's default runs found for CPUs (data/kernels/cpu.json)")
  if BEAM.value: kernel_search.watch("up to 10 minutes per model on 2 CPU cores")
  data = training_data(s.validation, s.pen_writers, s.pen_repeat, s.variation, s.seed)
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
  if kernel_search.found:  # what `python -m digits.training.kernel_search save` ships, to spare other machines this run's searches
    write_text_atomic(out / f"{name}.kernels.json", json.dumps(list(kernel_search.found.values())))
  print(f"validation {best:.2f}% (the checkpoint kept); MNIST test {metrics['test_accuracy']:.2f}%" +
        (f"; pen digits of writers left out {metrics['pen_heldout_accuracy']:.2f}%" if "pen_heldout_accuracy" in metrics else "") +
        f"\nweights: {weights}\nmetrics: {out / name}.json\nplot: {out / name}.png")
  return metrics

def final_accuracies(name:str, make_model, weights:pathlib.Path, data, validation:float) -> dict:
  """The kept checkpoint, read back from its file: the test set, read this once, and the pen writers left out, if any."""
  model = load_model(name, weights)
  result = {"weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(), "validation_accuracy": validation,
            "test_accuracy": evaluator(model, data.X_test, data.Y_test)()}
  if len(data.X_pen_out):
    predicted = model(Tensor(data.X_pen_out.reshape(-1, 784)).float().div(127.5) - 1).argmax(-1).numpy()
    result["pen_heldout_accuracy"] = 100 * float((predicted == data.Y_pen_out).mean())
    right = predicted == data.Y_pen_out
    result["pen_heldout_digits"] = len(right)
    result["pen_heldout_writers"] = {str(w): 100 * float(right[data.W_pen_out == w].mean()) for w in np.unique(data.W_pen_out)}
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
  write_text_atomic(stem.with_suffix(".json"), json.dumps({**metrics, "history": history}, indent=1))

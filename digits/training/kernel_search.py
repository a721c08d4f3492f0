"""tinygrad's kernel search (BEAM) for our training runs. The search times many variants of every kernel on this machine
and keeps the winner in tinygrad's disk cache, so a first run spends minutes there. Two things make that bearable:
  - the winners of the default runs' searches ship with the repository (data/kernels/cpu.json) and are put into
    tinygrad's cache before a run, so the default runs search nothing and run the same kernels on every machine;
  - a search that still runs says so, and how far it has got.
`found` holds every search result of this process; training writes it beside the weights, and
`python -m digits.training.kernel_search save` merges such files into the shipped one."""
import json, pathlib, sys, threading, time
from digits.files import write_text_atomic
from digits.training import cpu_threads

SHIPPED = pathlib.Path(__file__).resolve().parents[2] / "data" / "kernels" / "cpu.json"
found:dict[str, dict] = {}  # ast hex -> the search's key and result, for every search of this process

def key_of(s, amt:int, allow_test_size:bool=True) -> dict:
  """tinygrad 0.14's beam_search cache key (codegen/opt/search.py)."""
  return {"ast": s.ast.key, "amt": amt, "allow_test_size": allow_test_size, "device": s.ren.target.device, "suffix": s.ren.suffix}

def as_json(key:dict, opts) -> dict:
  return {**key, "ast": key["ast"].hex(), "opts": [[o.op.name, o.axis, list(o.arg) if isinstance(o.arg, tuple) else o.arg] for o in opts]}

def seed_shipped(path:pathlib.Path=SHIPPED) -> int:
  """Puts the shipped search results that tinygrad's cache lacks into it; returns how many."""
  import importlib.metadata
  from tinygrad.codegen.opt import Opt, OptOps
  from tinygrad.helpers import diskcache_get, diskcache_put
  if not path.exists() or (shipped := json.loads(path.read_text()))["tinygrad"] != importlib.metadata.version("tinygrad"): return 0
  added = 0
  for entry in shipped["searches"]:
    key = {k: bytes.fromhex(v) if k == "ast" else v for k, v in entry.items() if k != "opts"}
    if diskcache_get("beam_search", key) is None:
      diskcache_put("beam_search", key, [Opt(OptOps[op], axis, tuple(arg) if isinstance(arg, list) else arg) for op, axis, arg in entry["opts"]])
      added += 1
  return added

def watch(expected:str) -> None:
  """Wraps tinygrad's beam_search (looked up at every use, so tinygrad calls the wrapper): records each result, and once
  a search takes long (it is not in the cache), says what is going on, then every 10 s how far it has got."""
  from tinygrad.codegen.opt import search
  real, state = search.beam_search, {"announced": False, "searched": 0, "start": 0.0, "last": 0.0}
  def announce():
    if state["announced"]: return
    state["announced"], state["start"] = True, time.perf_counter()
    print(f"searching for the fastest kernels for this machine (tinygrad's BEAM): once per machine and setting, {expected}; "
          "later runs reuse tinygrad's cache (BEAM=0 skips the search)", file=sys.stderr, flush=True)
  def beam_search(s, rawbufs, var_vals, amt, allow_test_size=True, *args, **kwargs):
    slow = threading.Timer(2.0, announce)  # a kernel found in the cache returns well before this
    slow.start()
    try:
      with cpu_threads.one_core(): result = real(s, rawbufs, var_vals, amt, allow_test_size, *args, **kwargs)
    finally: slow.cancel()
    found[s.ast.key.hex()] = as_json(key_of(s, amt, allow_test_size), result.applied_opts)
    if state["announced"]:
      state["searched"] += 1
      if (now := time.perf_counter()) - state["last"] > 10:
        state["last"] = now
        print(f"  kernel search: {state['searched']} kernels done, {(now - state['start']) / 60:.1f} min", file=sys.stderr, flush=True)
    return result
  search.beam_search = beam_search

def save(paths:list[str], out:pathlib.Path=SHIPPED) -> None:
  """Merges the searches that training runs recorded (their WEIGHTS_DIR/<name>.kernels.json) into the shipped file."""
  import importlib.metadata
  searches = {e["ast"]: e for p in paths for e in json.loads(pathlib.Path(p).read_text())}
  shipped = {"tinygrad": importlib.metadata.version("tinygrad"), "searches": sorted(searches.values(), key=lambda e: e["ast"])}
  write_text_atomic(out, json.dumps(shipped) + "\n")
  print(f"{len(searches)} kernel searches -> {out}")

if __name__ == "__main__":
  if sys.argv[1:2] != ["save"] or len(sys.argv) < 3:
    sys.exit("usage: python -m digits.training.kernel_search save WEIGHTS_DIR/mlp.kernels.json WEIGHTS_DIR/cnn.kernels.json")
  save(sys.argv[2:])

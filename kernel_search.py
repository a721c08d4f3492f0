"""Says what tinygrad's kernel search (BEAM) is doing while it does it. The search runs once per kernel and machine and
tinygrad keeps its results in a disk cache, so a first run on a new machine spends minutes there with nothing to show;
this makes that visible: a line when a search first takes long, then how many kernels are done and the time so far."""
import sys, threading, time

def announce_searches(expected:str) -> None:
  """Wraps tinygrad's beam_search (looked up at every use, so the wrapper is what tinygrad calls); `expected` says how
  long the whole search usually takes. Without that function (another tinygrad), nothing is announced."""
  try: from tinygrad.codegen.opt import search
  except ImportError: return
  real, state = search.beam_search, {"announced": False, "searched": 0, "start": 0.0, "last": 0.0}
  def announce():
    if state["announced"]: return
    state["announced"], state["start"] = True, time.perf_counter()
    print(f"searching for the fastest kernels for this machine (tinygrad's BEAM): once per machine, {expected}; "
          "later runs reuse tinygrad's cache (BEAM=0 skips the search)", file=sys.stderr, flush=True)
  def beam_search(*args, **kwargs):
    slow = threading.Timer(2.0, announce)  # a kernel found in the cache returns well before this
    slow.start()
    try: return real(*args, **kwargs)
    finally:
      slow.cancel()
      if state["announced"]:
        state["searched"] += 1
        if (now := time.perf_counter()) - state["last"] > 10:
          state["last"] = now
          print(f"  kernel search: {state['searched']} kernels done, {(now - state['start']) / 60:.1f} min", file=sys.stderr, flush=True)
  search.beam_search = beam_search

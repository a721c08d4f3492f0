"""Runs the slices of tinygrad's threaded CPU kernels at the same time, one per core.

tinygrad 0.14 splits a large CPU kernel into up to NUM_CPU_THREADS slices (OptOps.THREAD: each slice gets its own
`core_id` and writes its own part of the output), but its CPU runtime then calls the slices one after another on the
calling thread (the loop in CPUProgram.__call__), so every kernel ran on one core. enable() replaces that call with
one that runs slice 0 on the caller and the others on worker threads, and returns when all have finished: ctypes
releases the GIL while a kernel runs, so the slices run in parallel. Each slice is the same machine code writing the
same outputs as in the loop, so results are bit for bit the loop's. CPU_THREADS=0 keeps tinygrad's loop.
(tinygrad's opt-in HCQ2 runtime runs the slices in order on one queue thread too; it does not go through this call.)
"""
import contextlib, ctypes, inspect, queue, sys, threading, time
from tinygrad.helpers import getenv
from tinygrad.runtime import ops_cpu

SERIAL_CALL = ops_cpu.CPUProgram.__call__
EXPECTED_PARAMS = ["self", "bufs", "global_size", "local_size", "vals", "wait", "timeout"]

class SliceWorkers:
  """Threads that each run one slice at a time; the caller waits on `done` for one answer per slice it handed out."""
  def __init__(self):
    self.inboxes:list[queue.SimpleQueue] = []
    self.done:queue.SimpleQueue = queue.SimpleQueue()
    self.lock = threading.Lock()  # one kernel at a time, whichever Python thread launches it

  def run(self, fxn, slice_args:list[list]) -> None:
    """fxn(*args) for each args in slice_args, the first on this thread; raises the first error once all have returned."""
    with self.lock:
      while len(self.inboxes) < len(slice_args) - 1: self.start_worker()
      for inbox, args in zip(self.inboxes, slice_args[1:]): inbox.put((fxn, args))
      errors = [call(fxn, slice_args[0])] + [self.done.get() for _ in slice_args[1:]]
    if (error:=next((e for e in errors if e is not None), None)) is not None: raise error

  def start_worker(self) -> None:
    inbox:queue.SimpleQueue = queue.SimpleQueue()
    def serve():
      while True: self.done.put(call(*inbox.get()))
    threading.Thread(target=serve, name=f"cpu_threads-{len(self.inboxes) + 1}", daemon=True).start()
    self.inboxes.append(inbox)

def call(fxn, args) -> BaseException|None:
  try: fxn(*args)
  except BaseException as e: return e  # raised by run() on the launching thread, after the other slices are done
  return None

WORKERS = SliceWorkers()

def parallel_call(self, *bufs, global_size=(1,1,1), local_size=(1,1,1), vals=(), wait=False, timeout=None):
  core = getattr(self, "runtimevars", {}).get("core_id")
  if core is None or global_size[0] <= 1 or getattr(self, "lvp", True):
    return SERIAL_CALL(self, *bufs, global_size=global_size, local_size=local_size, vals=vals, wait=wait, timeout=timeout)
  args = [*[b.va_addr for b in bufs], *vals]
  assert len(args) <= ops_cpu.MAX_ARGS, f"CPU programs support at most {ops_cpu.MAX_ARGS} arguments, got {len(args)}"
  st = time.perf_counter()
  WORKERS.run(self.fxn, [[ctypes.c_uint64(tid if i == core else x) for i, x in enumerate(args)] for tid in range(global_size[0])])
  return time.perf_counter() - st if wait else None

@contextlib.contextmanager
def one_core():
  """tinygrad's own loop for a while: kernel search (BEAM) times each candidate alone, where sliced kernels win on
  paper; their picks made training steps slower than the picks timed on one core and then run sliced (bench/README.md)."""
  installed, ops_cpu.CPUProgram.__call__ = ops_cpu.CPUProgram.__call__, SERIAL_CALL
  try: yield
  finally: ops_cpu.CPUProgram.__call__ = installed

def enable() -> bool:
  """Installs parallel_call, unless CPU_THREADS=0 or tinygrad's CPU runtime is not the one it was written for."""
  if not getenv("CPU_THREADS", 1): return False
  if list(inspect.signature(SERIAL_CALL).parameters) != EXPECTED_PARAMS or not hasattr(ops_cpu, "MAX_ARGS"):
    print("cpu_threads: tinygrad's CPUProgram.__call__ is not the one this was written for; CPU kernels stay on one core", file=sys.stderr)
    return False
  ops_cpu.CPUProgram.__call__ = parallel_call
  return True

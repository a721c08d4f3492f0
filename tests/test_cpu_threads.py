import pytest
from tinygrad import Tensor
from tinygrad.helpers import NUM_CPU_THREADS, getenv
from tinygrad.runtime import ops_cpu
from digits.training import cpu_threads, loop  # noqa: F401  # importing the loop enables cpu_threads

def matmul_on_cpu() -> bytes:
  Tensor.manual_seed(0)
  a, b = Tensor.rand(512, 512, device="CPU"), Tensor.rand(512, 512, device="CPU")
  return (a @ b).numpy().tobytes()

@pytest.mark.skipif(NUM_CPU_THREADS.value < 2 or not getenv("CPU_THREADS", 1), reason="one core, or CPU_THREADS=0")
def test_training_hands_the_slices_of_large_kernels_to_worker_threads(monkeypatch):
  assert ops_cpu.CPUProgram.__call__ is cpu_threads.parallel_call
  slices, run = [], cpu_threads.WORKERS.run
  monkeypatch.setattr(cpu_threads.WORKERS, "run", lambda fxn, args: (slices.append(len(args)), run(fxn, args)))
  matmul_on_cpu()
  assert slices and min(slices) >= 2, "no kernel was split across threads"

def test_threaded_results_are_bit_for_bit_the_serial_loops(monkeypatch):
  threaded = matmul_on_cpu()
  monkeypatch.setattr(ops_cpu.CPUProgram, "__call__", cpu_threads.SERIAL_CALL)
  assert matmul_on_cpu() == threaded

def test_kernel_search_times_candidates_on_one_core_then_training_slices_again():
  installed = ops_cpu.CPUProgram.__call__
  with cpu_threads.one_core(): assert ops_cpu.CPUProgram.__call__ is cpu_threads.SERIAL_CALL
  assert ops_cpu.CPUProgram.__call__ is installed

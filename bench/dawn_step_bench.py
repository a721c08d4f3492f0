#!/usr/bin/env python3
"""The exported graphs on this machine's GPU through Dawn, run as the page's loader runs them (js/runtime/webgpu_graph.js):
pipelines and bind groups made once, then every kernel of a call in one compute pass of one command buffer, one submit,
and the output read back.
  python bench/dawn_step_bench.py [--models mlp,cnn] [--calls 200] [--weights DIR] [--state-device CPU]
tinygrad's own WEBGPU runtime, which digits/export/dawn.py's DawnReplay uses, makes a pipeline and submits a command buffer for
every kernel it runs: its time is shown beside ours, as the baseline. Both replays run the same training steps from the
same weights on the same batches, and must end with the same losses (1e-4) before any time is taken.
Prints the adapter, then per model and graph the median and p90 ms of one call (inputs written, kernels, output read)."""
import argparse, ctypes, pathlib, statistics, sys, time

def arguments() -> argparse.Namespace:
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--models", default="mlp,cnn")
  ap.add_argument("--calls", type=int, default=200)
  ap.add_argument("--weights", type=pathlib.Path, default=pathlib.Path("weights"))
  ap.add_argument("--state-device", default="CPU", help="where the starting state is made (CUDA where no clang is)")
  return ap.parse_args()

# The arguments are read before tinygrad and Dawn load (the classes below need them at import), so --help answers at once.
if __name__ == "__main__": ARGS = arguments()
import numpy as np
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from digits.export import finetune
from digits.export.check import TOLERANCE, check_batches, check_inputs, error_of
from digits.export.dawn import DawnReplay, use_dawn
use_dawn()  # tinygrad's WebGPU runtime loads its library when imported: Dawn's, from dawn-python (requirements.txt)
from digits.export.graph import graph_of
from digits.export.graphs import GRAPHS
from tinygrad.helpers import Context
from tinygrad.runtime.ops_webgpu import webgpu, DeviceCreateComputePipeline

class OnePassReplay(DawnReplay):
  """DawnReplay's buffers and shader modules, run the browser's way."""
  def __init__(self, graph:dict, state:dict[str, np.ndarray]):
    super().__init__(graph, state)
    self.infinity = self.dev.create_uniform(float("inf"))  # tinygrad's WGSL reads INFINITY from binding 0
    self.dispatches = [(*self.pipeline(prg, [self.infinity] + [self.bufs[j] for j in k["buffers"]]), tuple(k["workgroups"]))
                       for k, prg in zip(graph["kernels"], self.programs)]

  def pipeline(self, prg, bufs:list):
    device, n = self.dev.device_res, len(bufs)
    kinds = [webgpu.WGPUBufferBindingType_Uniform] + [webgpu.WGPUBufferBindingType_Storage] * (n - 1)
    entries = (webgpu.WGPUBindGroupLayoutEntry * n)(*[webgpu.WGPUBindGroupLayoutEntry(binding=i, visibility=webgpu.WGPUShaderStage_Compute,
                                                      buffer=webgpu.WGPUBufferBindingLayout(type=t)) for i, t in enumerate(kinds)])
    layout = webgpu.wgpuDeviceCreateBindGroupLayout(device, webgpu.WGPUBindGroupLayoutDescriptor(entryCount=n, entries=entries))
    pipeline_layout = webgpu.wgpuDeviceCreatePipelineLayout(device, webgpu.WGPUPipelineLayoutDescriptor(
      bindGroupLayoutCount=1, bindGroupLayouts=(webgpu.WGPUBindGroupLayout * 1)(layout)))
    pipeline = DeviceCreateComputePipeline(device, webgpu.WGPUComputePipelineDescriptor(
      layout=pipeline_layout, compute=webgpu.WGPUComputeState(module=prg.prg, entryPoint=prg.name)))
    bindings = (webgpu.WGPUBindGroupEntry * n)(*[webgpu.WGPUBindGroupEntry(binding=i, buffer=b, offset=0, size=webgpu.wgpuBufferGetSize(b))
                                                 for i, b in enumerate(bufs)])
    group = webgpu.wgpuDeviceCreateBindGroup(device, webgpu.WGPUBindGroupDescriptor(layout=layout, entryCount=n, entries=bindings))
    return pipeline, group

  def __call__(self, inputs:dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = [b["name"] for b in self.graph["buffers"]]
    for name, values in inputs.items(): self.write(names.index(name), values)
    encoder = webgpu.wgpuDeviceCreateCommandEncoder(self.dev.device_res, webgpu.WGPUCommandEncoderDescriptor())
    compute = webgpu.wgpuCommandEncoderBeginComputePass(encoder, webgpu.WGPUComputePassDescriptor())
    for pipeline, group, workgroups in self.dispatches:
      webgpu.wgpuComputePassEncoderSetPipeline(compute, pipeline)
      webgpu.wgpuComputePassEncoderSetBindGroup(compute, 0, group, 0, None)
      webgpu.wgpuComputePassEncoderDispatchWorkgroups(compute, *workgroups)
    webgpu.wgpuComputePassEncoderEnd(compute)
    commands = webgpu.wgpuCommandEncoderFinish(encoder, webgpu.WGPUCommandBufferDescriptor())
    webgpu.wgpuQueueSubmit(self.dev.queue, 1, (webgpu.WGPUCommandBuffer * 1)(commands))
    for release, obj in ((webgpu.wgpuCommandBufferRelease, commands), (webgpu.wgpuComputePassEncoderRelease, compute),
                         (webgpu.wgpuCommandEncoderRelease, encoder)): release(obj)
    return {o["name"]: self.read(names.index(o["name"])).reshape(o["shape"]) for o in self.graph["outputs"]}

def adapter_name(dev) -> str:
  info = webgpu.WGPUAdapterInfo()
  webgpu.wgpuDeviceGetAdapterInfo(dev.device_res, ctypes.byref(info))
  return " / ".join(ctypes.string_at(s.data, s.length).decode() for s in (info.vendor, info.device, info.description) if s.length)

def timed(replay, inputs:list[dict], calls:int) -> list[float]:
  times = []
  for i in range(calls):
    start = time.perf_counter()
    replay(inputs[i % len(inputs)])
    times.append(1000 * (time.perf_counter() - start))
  return times

def bench(name:str, weights_dir:pathlib.Path, calls:int, state_device:str) -> None:
  weights = weights_dir / f"{name}.safetensors"
  batches = check_batches(finetune.RECIPES[name]["batch"])
  x = [{"x": check_inputs()[i:i + 1]} for i in range(8)]
  for key, inputs in (("infer", x), ("train", batches)):
    graph = graph_of("webgpu", lambda: GRAPHS[key](name, weights))
    with Context(DEV=state_device): state = {k: v.numpy() for k, v in GRAPHS[key](name, weights)[2].items()}  # infer's has an empty memory
    ours, tinygrads = OnePassReplay(graph, state), DawnReplay(graph, state)
    got, expected = [[r(b) for b in inputs[:5]] for r in (ours, tinygrads)]
    error = max(error_of(g[o], e[o]) for g, e in zip(got, expected) for o in g)
    assert error <= TOLERANCE, f"{name} {key}: one command buffer differs from tinygrad's runtime by {error:.1e}"
    for label, replay in (("one command buffer", ours), ("tinygrad's runtime", tinygrads)):
      timed(replay, inputs, 10)  # warm-up
      ts = timed(replay, inputs, calls)
      print(f"{name} {key} ({len(graph['kernels'])} kernels), {label}: median {statistics.median(ts):.3f} ms, "
            f"p90 {np.percentile(ts, 90):.3f} ms ({calls} calls)", flush=True)

if __name__ == "__main__":
  from tinygrad import Device
  print(f"adapter: {adapter_name(Device['WEBGPU'])}", flush=True)
  for name in ARGS.models.split(","): bench(name, ARGS.weights, ARGS.calls, ARGS.state_device)

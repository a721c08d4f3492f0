// Runs a graph exported by export_webgpu.py: every GPU object is made once at load; an inference is one input upload,
// one command buffer with every kernel, one 40-byte readback.
import { fetchBytes, parseSafetensors } from "./safetensors.js";

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

function bindGroupLayout(device, bindings) {
  // tinygrad's WGSL kernels read INFINITY from a uniform at binding 0, then their buffers from binding 1 on
  const entries = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } }];
  for (let i = 1; i <= bindings; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } });
  return device.createBindGroupLayout({ entries });
}

function compileKernels(device, kernels) {
  return Promise.all(kernels.map((kernel) => {
    const layout = bindGroupLayout(device, kernel.buffers.length);
    const module = device.createShaderModule({ code: kernel.code });
    return device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: kernel.name },
    }).then((pipeline) => ({ pipeline, layout }));
  }));
}

export async function createModel(device, url, graph) {
  const weightBytes = Object.fromEntries(graph.buffers.filter((b) => b.kind === "weight").map((b) => [b.name, b.size]));
  // the shaders compile while the weights download
  const [weights, compiled] = await Promise.all([
    fetchBytes(url).then((bytes) => parseSafetensors(bytes, weightBytes, url)), compileKernels(device, graph.kernels)]);
  const buffers = graph.buffers.map((b) => device.createBuffer({ size: Math.ceil(b.size / 4) * 4, usage: STORAGE }));
  graph.buffers.forEach((b, i) => b.kind === "weight" && device.queue.writeBuffer(buffers[i], 0, weights[b.name]));
  const infinity = device.createBuffer({ size: 4, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(infinity, 0, new Float32Array([Infinity]));
  const steps = graph.kernels.map((kernel, k) => ({
    pipeline: compiled[k].pipeline, workgroups: kernel.workgroups,
    bindGroup: device.createBindGroup({ layout: compiled[k].layout, entries: [{ binding: 0, resource: { buffer: infinity } },
      ...kernel.buffers.map((j, i) => ({ binding: i + 1, resource: { buffer: buffers[j] } }))] }),
  }));
  const index = (kind) => graph.buffers.findIndex((b) => b.kind === kind);
  const input = buffers[index("input")], output = buffers[index("output")], outputBytes = graph.buffers[index("output")].size;
  const readback = device.createBuffer({ size: outputBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });

  async function infer(x) {
    device.queue.writeBuffer(input, 0, x);
    const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
    for (const step of steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(...step.workgroups);
    }
    pass.end();
    encoder.copyBufferToBuffer(output, 0, readback, 0, outputBytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const logits = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return logits;
  }

  // overlapping calls share one set of buffers, so each waits for the one before it
  let queue = Promise.resolve();
  return function model(x) {
    if (!(x instanceof Float32Array) || x.length !== 784) return Promise.reject(new Error("model input must be a Float32Array of 784 values"));
    const copy = x.slice(), result = queue.then(() => infer(copy));
    queue = result.catch(() => {});
    return result;
  };
}

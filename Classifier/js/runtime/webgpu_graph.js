// @ts-check
// Runs graphs exported by export_webgpu.py on WebGPU. A session holds a model's state (its weights, and the optimizer's
// moments once it trains) in GPU buffers by name; every graph added to it (inference, training, ...) reads and writes
// that same state. Each graph's GPU objects are made once; a run is one upload per input, one command buffer with
// every kernel and, when its outputs are wanted, one readback.
import { fetchWeights, pickWeights } from "./safetensors.js";
import { ARRAYS, checkedInput, initialState, modelFunction, weightSizes } from "./graph_io.js";

/** @typedef {import("../contracts.js").Model} Model */
/** @typedef {import("../contracts.js").Tensors} Tensors */
/** @typedef {import("../contracts.js").Weights} Weights */
/** @typedef {import("../contracts.js").WebgpuGraph} WebgpuGraph */
/** @typedef {import("../contracts.js").WebgpuKernel} WebgpuKernel */
/** @typedef {{ pipeline: GPUComputePipeline, layout: GPUBindGroupLayout }} CompiledKernel */

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
// Firefox settles a mapAsync only when it next polls the GPU, on a timer (Mozilla bug 1870699), unless more work is
// submitted meanwhile. A device whose second map (the first is cold: its kernels' first run) took longer than
// SLOW_MAP_MS tries its next map with an empty submit every NUDGE_MS while it waits, and keeps doing so if that map was
// at least twice as fast.
const SLOW_MAP_MS = 20;
const NUDGE_MS = 1;
/** @type {WeakMap<GPUDevice, { habit: "cold" | "trial" | "plain" | "nudged", plainMs: number }>} how each device's maps go */
const mapHabits = new WeakMap();

/** @param {GPUDevice} device @param {GPUBuffer[]} buffers */
async function mapForReading(device, buffers) {
  if (buffers.length === 0) return;
  const known = mapHabits.get(device), nudging = known?.habit === "trial" || known?.habit === "nudged", started = performance.now();
  const mapping = Promise.all(buffers.map((buffer) => buffer.mapAsync(GPUMapMode.READ)));
  let waiting = true;
  const nudge = () => { if (waiting) { device.queue.submit([]); setTimeout(nudge, NUDGE_MS); } };
  if (nudging) setTimeout(nudge, NUDGE_MS);
  try { await mapping; } finally { waiting = false; }
  const took = performance.now() - started;
  if (!known) mapHabits.set(device, { habit: "cold", plainMs: took });
  else if (known.habit === "cold") Object.assign(known, { habit: took > SLOW_MAP_MS ? "trial" : "plain", plainMs: took });
  else if (known.habit === "trial") known.habit = 2 * took <= known.plainMs ? "nudged" : "plain";
}

function bindGroupLayout(device, bindings) {
  // tinygrad's WGSL kernels read INFINITY from a uniform at binding 0, then their buffers from binding 1 on
  const entries = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } }];
  for (let i = 1; i <= bindings; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } });
  return device.createBindGroupLayout({ entries });
}

/** @param {GPUDevice} device @param {WebgpuKernel[]} kernels @returns {Promise<CompiledKernel[]>} */
export function compileKernels(device, kernels) {
  return Promise.all(kernels.map((kernel) => {
    const layout = bindGroupLayout(device, kernel.buffers.length);
    const module = device.createShaderModule({ code: kernel.code });
    return device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel.name },
    }).then((pipeline) => ({ pipeline, layout }));
  }));
}

const padded = (bytes) => Math.max(4, Math.ceil(bytes / 4) * 4);
const slot = (bytes) => Math.ceil(bytes / 8) * 8;  // outputs sit in one readback buffer: mapped ranges start at multiples of 8

/** A contracts.js Session on WebGPU. */
export class WebgpuSession {
  #state = new Map();  // name -> {buffer, dtype, size}
  #graphs = new Map();
  /** @type {Promise<unknown>} */
  #queue = Promise.resolve();  // runs share their graph's buffers, so each waits for the one before it
  #infinity;
  /** @type {GPUBuffer[]} */
  #buffers = [];  // every buffer the session holds, freed by destroy()

  /** @param {GPUDevice} device */
  constructor(device) {
    this.device = device;
    /** @type {"webgpu"} */
    this.backend = "webgpu";
    this.#infinity = this.#buffer({ size: 4, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.#infinity, 0, new Float32Array([Infinity]));
  }

  // state: {name: TypedArray}; a tensor this session does not hold yet gets a buffer of its size. The values land after
  // every run queued before (and before any queued after).
  /** @param {Tensors} tensors */
  writeState(tensors) {
    const writes = Object.entries(tensors).map(([name, values]) => {
      if (!this.#state.has(name)) {
        const buffer = this.#buffer({ size: padded(values.byteLength), usage: STORAGE });
        this.#state.set(name, { buffer, size: values.byteLength });
      }
      const held = this.#state.get(name);
      if (held.size !== values.byteLength) throw new Error(`state "${name}" has ${held.size} bytes, not ${values.byteLength}`);
      return [held.buffer, values.slice()];
    });
    this.#queue = this.#queue.then(() => { for (const [buffer, values] of writes) this.device.queue.writeBuffer(buffer, 0, values); });
  }

  /** @param {string} name */
  hasState(name) { return this.#state.has(name); }

  // {name: Float32Array} of the named state, as it is after every run queued so far
  /** @param {string[]} names @returns {Promise<Record<string, Float32Array>>} */
  readState(names) {
    const run = this.#queue.then(async () => {
      const { device } = this, encoder = device.createCommandEncoder(), copies = [];
      for (const name of names) {
        const held = this.#state.get(name);
        if (!held) throw new Error(`no state "${name}" in this session`);
        const readback = device.createBuffer({ size: padded(held.size), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        encoder.copyBufferToBuffer(held.buffer, 0, readback, 0, padded(held.size));
        copies.push([name, readback, held.size]);
      }
      device.queue.submit([encoder.finish()]);
      // mapped together: where each map waits for the GPU's next report (Firefox), one after another they add up
      await mapForReading(device, copies.map(([, readback]) => readback));
      /** @type {Weights} */
      const out = {};
      for (const [name, readback, size] of copies) {
        out[name] = new Float32Array(readback.getMappedRange(0, size).slice(0));
        readback.destroy();
      }
      return out;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  // Adds `graph` under `key`, its kernels compiled (or being compiled: compileKernels); its state must be written first.
  /** @param {string} key @param {WebgpuGraph} graph @param {Promise<CompiledKernel[]>} [compiling] */
  async addGraph(key, graph, compiling = compileKernels(this.device, graph.kernels)) {
    const { device } = this, compiled = await compiling;
    const buffers = graph.buffers.map((b) => {
      if (b.kind !== "state") return this.#buffer({ size: padded(b.size), usage: STORAGE });
      const held = this.#state.get(b.name);
      if (!held) throw new Error(`the ${key} graph needs state "${b.name}", which this session does not hold`);
      return held.buffer;
    });
    graph.buffers.forEach((b, i) => b.kind === "constant" && device.queue.writeBuffer(buffers[i], 0, new ARRAYS[b.dtype](b.value)));
    const steps = graph.kernels.map((kernel, k) => ({
      pipeline: compiled[k].pipeline,
      workgroups: kernel.workgroups,
      bindGroup: device.createBindGroup({
        layout: compiled[k].layout,
        entries: [
          { binding: 0, resource: { buffer: this.#infinity } },
          ...kernel.buffers.map((j, i) => ({ binding: i + 1, resource: { buffer: buffers[j] } })),
        ],
      }),
    }));
    const named = (spec) => {
      const i = graph.buffers.findIndex((b) => b.name === spec.name);
      return { ...spec, buffer: buffers[i], size: graph.buffers[i].size, Array: ARRAYS[spec.dtype] };
    };
    const outputs = graph.outputs.map(named);
    const readbackSize = outputs.reduce((sum, o) => sum + slot(o.size), 0);
    const readback = this.#buffer({ size: readbackSize, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.#graphs.set(key, { steps, inputs: graph.inputs.map(named), outputs, readback });
  }

  /** @param {string} key */
  hasGraph(key) { return this.#graphs.has(key); }

  /** @param {GPUBufferDescriptor} descriptor */
  #buffer(descriptor) {
    const buffer = this.device.createBuffer(descriptor);
    this.#buffers.push(buffer);
    return buffer;
  }

  // Frees the session's GPU memory at once, rather than when the garbage collector comes to it; the session is unusable
  // afterwards.
  destroy() {
    for (const buffer of this.#buffers) buffer.destroy();
    this.#buffers = [];
    this.#graphs.clear();
    this.#state.clear();
  }

  // Runs graph `key` on inputs {name: TypedArray}; resolves to its outputs {name: TypedArray}, or, with read false,
  // as soon as the work is queued (the state then reflects it for every later run and readState).
  /** @param {string} key @param {Tensors} inputs @param {{ read?: boolean }} [options] @returns {Promise<Tensors | undefined>} */
  run(key, inputs, { read = true } = {}) {
    const graph = this.#graphs.get(key);
    if (!graph) return Promise.reject(new Error(`no ${key} graph in this session`));
    let copies;
    try { copies = graph.inputs.map((spec) => [spec, checkedInput(spec, inputs[spec.name])]); } catch (error) { return Promise.reject(error); }
    const result = this.#queue.then(() => this.#dispatch(graph, copies, read));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #dispatch({ steps, outputs, readback }, inputs, read) {
    const { device } = this;
    for (const [spec, values] of inputs) device.queue.writeBuffer(spec.buffer, 0, values);
    const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
    for (const step of steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      const [x, y, z] = step.workgroups;
      pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
    let offset = 0;
    if (read) for (const o of outputs) { encoder.copyBufferToBuffer(o.buffer, 0, readback, offset, padded(o.size)); offset += slot(o.size); }
    device.queue.submit([encoder.finish()]);
    if (!read) return undefined;
    await mapForReading(device, [readback]);
    /** @type {Tensors} */
    const result = {};
    offset = 0;
    for (const o of outputs) { result[o.name] = new o.Array(readback.getMappedRange(offset, o.size).slice(0)); offset += slot(o.size); }
    readback.unmap();
    return result;
  }
}

// The generated modules' load(): a session with the weights and the inference graph, as a function x -> logits.
/** @param {GPUDevice} device @param {string | URL} url of the weights @param {WebgpuGraph} graph @returns {Promise<Model>} */
export async function loadWebgpuModel(device, url, graph) {
  const session = new WebgpuSession(device);
  // the shaders compile while the weights download
  const compiling = compileKernels(device, graph.kernels);
  compiling.catch(() => {});  // its failure is reported below, after the weights'
  const weights = pickWeights(await fetchWeights(url), weightSizes(graph), url);
  session.writeState({ ...weights, ...initialState(graph) });
  await session.addGraph("infer", graph, compiling);
  return modelFunction(session, graph, weights);
}

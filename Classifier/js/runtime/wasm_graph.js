// @ts-check
// Runs graphs exported by export_webgpu.py on the CPU: tinygrad's own kernels compiled to WebAssembly (SIMD). A session
// is one WebAssembly memory holding a model's state by name; each graph added to it is a module that imports that
// memory, so inference and training read and write the same weights. Works in a page and in a worker.
import { fetchBytes, fetchWeights, pickWeights } from "./safetensors.js";
import { ARRAYS, checkedInput, initialState, modelFunction, weightSizes } from "./graph_io.js";

/** @typedef {import("../contracts.js").Dtype} Dtype */
/** @typedef {import("../contracts.js").Model} Model */
/** @typedef {import("../contracts.js").Tensors} Tensors */
/** @typedef {import("../contracts.js").WasmGraph} WasmGraph */
/** @typedef {import("../contracts.js").Weights} Weights */

const ALIGN = 64, PAGE = 65536;

/** @param {import("../contracts.js").TypedArray} values @returns {Dtype} */
const dtypeOf = (values) => /** @type {Dtype} */ (Object.keys(ARRAYS).find((dtype) => values instanceof ARRAYS[dtype]));

/** @param {string | URL} url */
async function compileModule(url) {
  try { return await WebAssembly.compile(await fetchBytes(url)); } catch (error) {
    throw error.message.includes(String(url)) ? error : new Error(`could not compile ${url}: ${error.message}`);
  }
}

/** A contracts.js Session on the CPU. */
export class WasmSession {
  #memory = new WebAssembly.Memory({ initial: 1 });
  #end = 0;              // first free byte
  #stack;                // bytes at the start of the memory that every module uses as its stack
  #state = new Map();    // name -> {offset, size, dtype}
  #graphs = new Map();

  // stack: the bytes every graph's module needs (graph.stack); they come first in the memory
  /** @param {number} stack */
  constructor(stack) {
    /** @type {"cpu"} */
    this.backend = "cpu";
    this.#allocate(this.#stack = stack);
  }

  #allocate(size) {
    const offset = this.#end;
    this.#end += Math.ceil(size / ALIGN) * ALIGN;
    const missing = this.#end - this.#memory.buffer.byteLength;
    if (missing > 0) this.#memory.grow(Math.ceil(missing / PAGE));
    return offset;
  }

  /** @param {Dtype} dtype @param {number} offset @param {number} size */
  #view(dtype, offset, size) { return new ARRAYS[dtype](this.#memory.buffer, offset, size / 4); }

  // state: {name: TypedArray}; a tensor this session does not hold yet gets room of its size and its array's dtype
  /** @param {Tensors} tensors */
  writeState(tensors) {
    for (const [name, values] of Object.entries(tensors)) {
      if (!this.#state.has(name)) {
        this.#state.set(name, { offset: this.#allocate(values.byteLength), size: values.byteLength, dtype: dtypeOf(values) });
      }
      const held = this.#state.get(name);
      if (held.size !== values.byteLength) throw new Error(`state "${name}" has ${held.size} bytes, not ${values.byteLength}`);
      this.#view(held.dtype, held.offset, held.size).set(values);
    }
  }

  /** @param {string} name */
  hasState(name) { return this.#state.has(name); }

  /** @param {string[]} names @returns {Promise<Weights>} (its state is F32 unless written otherwise) */
  async readState(names) {
    return /** @type {Weights} */ (Object.fromEntries(names.map((name) => {
      const held = this.#state.get(name);
      if (!held) throw new Error(`no state "${name}" in this session`);
      return [name, this.#view(held.dtype, held.offset, held.size).slice()];
    })));
  }

  // Adds `graph` under `key` with its WebAssembly module (a URL, or a compiled WebAssembly.Module); its state first.
  /** @param {string} key @param {WasmGraph} graph @param {WebAssembly.Module | string | URL} module */
  async addGraph(key, graph, module) {
    if (graph.stack > this.#stack) throw new Error(`the ${key} graph needs a stack of ${graph.stack} bytes, more than the ${this.#stack} reserved`);
    const compiled = module instanceof WebAssembly.Module ? module : await compileModule(module);
    const { exports } = await WebAssembly.instantiate(compiled, { env: { memory: this.#memory } });
    const offsets = graph.buffers.map((b) => {
      if (b.kind !== "state") return this.#allocate(b.size);
      const held = this.#state.get(b.name);
      if (!held) throw new Error(`the ${key} graph needs state "${b.name}", which this session does not hold`);
      return held.offset;
    });
    graph.buffers.forEach((b, i) => b.kind === "constant" && this.#view(b.dtype, offsets[i], b.size).set(/** @type {number[]} */ (b.value)));
    const kernels = graph.kernels.map((k) => {
      if (typeof exports[k.name] !== "function") throw new Error(`the ${key} module has no kernel ${k.name}`);
      return [exports[k.name], k.buffers.map((j) => offsets[j])];
    });
    const named = (spec) => {
      const i = graph.buffers.findIndex((b) => b.name === spec.name);
      return { ...spec, offset: offsets[i], size: graph.buffers[i].size };
    };
    this.#graphs.set(key, { kernels, inputs: graph.inputs.map(named), outputs: graph.outputs.map(named) });
  }

  /** @param {string} key */
  hasGraph(key) { return this.#graphs.has(key); }

  // Runs graph `key` on inputs {name: TypedArray}, synchronously (the promise is for the same interface as WebGPU's).
  /** @param {string} key @param {Tensors} inputs @param {{ read?: boolean }} [options] @returns {Promise<Tensors | undefined>} */
  async run(key, inputs, { read = true } = {}) {
    const graph = this.#graphs.get(key);
    if (!graph) throw new Error(`no ${key} graph in this session`);
    for (const spec of graph.inputs) this.#view(spec.dtype, spec.offset, spec.size).set(checkedInput(spec, inputs[spec.name]));
    for (const [kernel, args] of graph.kernels) kernel(...args);
    if (!read) return undefined;
    return Object.fromEntries(graph.outputs.map((o) => [o.name, this.#view(o.dtype, o.offset, o.size).slice()]));
  }
}

// The generated modules' load(): a session with the weights and the inference graph, as a function x -> logits.
/** @param {string | URL} url of the weights @param {WasmGraph} graph @param {string | URL} module @returns {Promise<Model>} */
export async function loadWasmModel(url, graph, module) {
  const session = new WasmSession(graph.stack), compiling = compileModule(module);
  compiling.catch(() => {});  // its failure is reported below, after the weights'
  const weights = pickWeights(await fetchWeights(url), weightSizes(graph), url);
  session.writeState({ ...weights, ...initialState(graph) });
  await session.addGraph("infer", graph, await compiling);
  return modelFunction(session, graph, weights);
}

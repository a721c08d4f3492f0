// @ts-check
// What the WebGPU and WebAssembly runtimes of exported graphs share: typed arrays by safetensors dtype, checked inputs,
// and the function a generated module's load() gives.
import { INPUT_SIZE } from "../models.js";

/** @typedef {import("../contracts.js").Graph} Graph */
/** @typedef {import("../contracts.js").GraphTensor} GraphTensor */
/** @typedef {import("../contracts.js").Model} Model */
/** @typedef {import("../contracts.js").Session} Session */
/** @typedef {import("../contracts.js").Tensors} Tensors */
/** @typedef {import("../contracts.js").TypedArray} TypedArray */
/** @typedef {import("../contracts.js").Weights} Weights */

export const ARRAYS = { F32: Float32Array, I32: Int32Array, U32: Uint32Array };

// A copy of an input, checked against the graph's spec: the caller may reuse its array at once.
/** @param {GraphTensor} spec @param {unknown} values @returns {TypedArray} */
export function checkedInput(spec, values) {
  const count = spec.shape.reduce((a, b) => a * b, 1), Array = ARRAYS[spec.dtype];
  if (!(values instanceof Array) || values.length !== count) throw new Error(`input "${spec.name}" must be a ${Array.name} of ${count} values`);
  return values.slice();
}

// {tensor name: bytes} of the state a graph reads from the weights file (init "weights"): the file must hold these
/** @param {Graph} graph @returns {Record<string, number>} */
export function weightSizes(graph) {
  return Object.fromEntries(graph.buffers.filter((b) => b.kind === "state" && b.init === "weights").map((b) => [b.name, b.size]));
}

// {tensor name: values} of the state a graph reads that does not come from the weights file, each filled with its init
// (the person's memory starts empty: zeros)
/** @param {Graph} graph @returns {Tensors} */
export function initialState(graph) {
  const other = graph.buffers.filter((b) => b.kind === "state" && b.init !== "weights");
  return Object.fromEntries(other.map((b) => [b.name, new ARRAYS[b.dtype](b.size / 4).fill(Number(b.init))]));
}

// The model on `session`, whose "infer" graph is `graph`: x -> its logits (contracts.js's Model).
/** @param {Session} session @param {Graph} graph @param {Weights} weights @returns {Model} */
export function modelFunction(session, graph, weights) {
  const [input] = graph.inputs, [output] = graph.outputs;
  /** @param {Float32Array} x @returns {Promise<Float32Array>} */
  const model = (x) => {
    if (!(x instanceof Float32Array) || x.length !== INPUT_SIZE) {
      return Promise.reject(new Error(`model input must be a Float32Array of ${INPUT_SIZE} values`));
    }
    return session.run("infer", { [input.name]: x }).then((outputs) => /** @type {Record<string, Float32Array>} */ (outputs)[output.name]);
  };
  model.session = session;
  model.weights = weights;
  return model;
}

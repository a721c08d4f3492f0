// What the WebGPU and WebAssembly runtimes of exported graphs share: typed arrays by safetensors dtype, checked inputs,
// and the function a generated module's load() gives.
import { INPUT_SIZE } from "./models.js";

export const ARRAYS = { F32: Float32Array, I32: Int32Array, U32: Uint32Array };

// A copy of an input, checked against the graph's spec: the caller may reuse its array at once.
export function checkedInput(spec, values) {
  const count = spec.shape.reduce((a, b) => a * b, 1), Array = ARRAYS[spec.dtype];
  if (!(values instanceof Array) || values.length !== count) throw new Error(`input "${spec.name}" must be a ${Array.name} of ${count} values`);
  return values.slice();
}

// {tensor name: bytes} of the state an inference graph reads: the weights file must hold exactly these
export function weightSizes(graph) {
  return Object.fromEntries(graph.buffers.filter((b) => b.kind === "state").map((b) => [b.name, b.size]));
}

// x (Float32Array of 784 values in -1..1) -> Promise<Float32Array(10)>; model.session is the session behind it and
// model.weights the weights it was loaded with ({name: Float32Array})
export function modelFunction(session, graph, weights) {
  const [input] = graph.inputs, [output] = graph.outputs;
  const model = (x) => {
    if (!(x instanceof Float32Array) || x.length !== INPUT_SIZE) {
      return Promise.reject(new Error(`model input must be a Float32Array of ${INPUT_SIZE} values`));
    }
    return session.run("infer", { [input.name]: x }).then((outputs) => outputs[output.name]);
  };
  model.session = session;
  model.weights = weights;
  return model;
}

// @ts-check
// Fine-tunes a model on the CPU, off the page's thread: the model's training graph (tinygrad's kernels compiled to
// WebAssembly by export_webgpu.py) in a WasmSession that keeps the optimizer's state from one job to the next.
import { WasmSession } from "./wasm_graph.js";
import { initialState, weightSizes } from "./graph_io.js";
import { importModelModule } from "../models.js";

let current = null;           // {name, session}: the model trained last
let queue = Promise.resolve();  // one job at a time

const zeroWeights = (graph) => Object.fromEntries(Object.entries(weightSizes(graph)).map(([name, bytes]) => [name, new Float32Array(bytes / 4)]));

async function open(name) {
  const { graphs, wasm } = await importModelModule(name, "train");
  const session = new WasmSession(graphs.wasm.stack);
  // the weights come with each job; Adam's state starts as the graph says
  session.writeState({ ...zeroWeights(graphs.wasm), ...initialState(graphs.wasm) });
  await session.addGraph("train", graphs.wasm, wasm);
  return { name, session };
}

async function train({ id, name, weights, batches, fresh }) {
  if (!current || current.name !== name || fresh) current = await open(name);
  const { session } = current;
  session.writeState(weights);
  const losses = [];
  for (const batch of batches) losses.push((await session.run("train", batch)).loss[0]);
  const learned = await session.readState(Object.keys(weights));
  self.postMessage({ id, losses, weights: learned }, Object.values(learned).map((a) => a.buffer));
}

self.onmessage = ({ data }) => {
  queue = queue.then(() => train(data)).catch((error) => self.postMessage({ id: data.id, error: error.message }));
};

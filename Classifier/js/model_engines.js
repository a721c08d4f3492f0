// @ts-check
// An engine runs one model on one backend: a session of the generated model (its weights and the person's memory as
// state; the prediction graph, and once first asked for, the explain graph, the memory's store step and, on WebGPU, the
// training step) and a way to run any of them. The WebGPU engine replaces its session on a new device when the device
// is lost, and has `restore` put the person's weights and memory into the new one before anything runs there; where no
// device can be had, its runs reject with a GpuLostError, for the classifier to fall back to the CPU.
import { openGpu } from "./gpu_device.js";
import { initialState } from "./graph_io.js";
import { MODEL_LABELS } from "./models.js";

/** @typedef {import("./contracts.js").Backend} Backend */
/** @typedef {import("./contracts.js").ModelName} ModelName */
/** @typedef {import("./contracts.js").Session} Session */
/** @typedef {import("./contracts.js").Tensors} Tensors */
/** @typedef {import("./contracts.js").Weights} Weights */
/** @typedef {"explain" | "store" | "train"} GraphKey  the graphs a session gets on first use */
/**
 * @typedef {object} Engine
 * @property {Backend} backend
 * @property {string} version  of the shipped weights (export_webgpu.py's hash)
 * @property {Weights} shipped  the weights it was loaded with
 * @property {Session} session  the session in use now
 * @property {GPUDevice} [device]
 * @property {(key: string) => boolean} has  whether the session in use has graph `key`
 * @property {(key: GraphKey) => Promise<void>} prepare  adds graph `key` to the session in use, once, fetching its module
 * @property {(key: string, inputs: Tensors, options?: { read?: boolean }) => Promise<Tensors | undefined>} run
 *   runs graph `key` (prepared first if need be), on WebGPU on a new device if the device was lost
 * @property {() => void} destroy  frees what the engine holds (its GPU buffers)
 */
/** @typedef {(engine: Engine) => Promise<void>} Restore */

// The generated module of each graph beside inference: <name>/<name>.<this>.js
const MODULES = { explain: "explain", store: "memory", train: "train" };
// A run that fails on a lost device can reject before the device's `lost` promise settles: it is given this long to
// settle before the failure is taken for what it says
const LOST_SETTLES_MS = 100;
export const SAME_RESULTS = "the same results, a little slower";

/** @param {ModelName} name @param {GraphKey} key @returns {Promise<any>} */
export const graphModule = (name, key) => import(`../${name}/${name}.${MODULES[key]}.js`);
/** @param {ModelName} name */
export const weightsUrl = (name) => new URL(`../${name}/${name}.weights.safetensors.gz`, import.meta.url);

export class GpuLostError extends Error {}

// prepare(session, key) for one model and target: each graph added once per session; a failure is tried again.
/** @param {ModelName} name @param {"webgpu" | "wasm"} target */
function graphAdder(name, target) {
  /** @type {WeakMap<Session, Map<GraphKey, Promise<void>>>} */
  const added = new WeakMap();
  /** @param {Session} session @param {GraphKey} key */
  return (session, key) => {
    if (!added.has(session)) added.set(session, new Map());
    const graphs = /** @type {Map<GraphKey, Promise<void>>} */ (added.get(session));
    if (!graphs.has(key)) {
      const adding = graphModule(name, key).then(async ({ graphs: exported, wasm }) => {
        const graph = exported[target];
        if (key === "train") session.writeState(initialState(graph));  // Adam's state, which the graph needs to be there
        await session.addGraph(key, graph, target === "wasm" ? wasm : undefined);
      });
      adding.catch(() => { if (graphs.get(key) === adding) graphs.delete(key); });
      graphs.set(key, adding);
    }
    return /** @type {Promise<void>} */ (graphs.get(key));
  };
}

/** @param {ModelName} name @returns {Promise<Engine>} */
export async function cpuEngine(name) {
  /** @type {import("./contracts.js").CpuModelModule} */
  const { load, weightsVersion } = await import(`../${name}/${name}.cpu.js`);
  const model = await load(weightsUrl(name)), { session } = model, prepare = graphAdder(name, "wasm");
  return {
    backend: "cpu",
    version: weightsVersion,
    shipped: model.weights,
    session,
    has: (key) => session.hasGraph(key),
    prepare: (key) => prepare(session, key),
    run: async (key, inputs, options) => {
      if (!session.hasGraph(key)) await prepare(session, /** @type {GraphKey} */ (key));
      return session.run(key, inputs, options);
    },
    destroy: () => {},
  };
}

/** @param {ModelName} name @param {GPUDevice} device @param {Restore} restore @returns {Promise<Engine>} */
export async function webgpuEngine(name, device, restore) {
  /** @type {import("./contracts.js").WebgpuModelModule} */
  const { load, weightsVersion } = await import(`../${name}/${name}.js`);
  const prepare = graphAdder(name, "webgpu");
  /** @param {GPUDevice} device */
  async function open(device) {
    const model = await load(device, weightsUrl(name)), opened = { device, model, lost: false };
    device.lost.then(() => { opened.lost = true; });
    return opened;
  }
  let current = await open(device);
  /** @type {Promise<void> | null} */
  let reopening = null;
  /** @type {Engine} */
  const engine = {
    backend: "webgpu",
    version: weightsVersion,
    get shipped() { return current.model.weights; },
    get session() { return current.model.session; },
    get device() { return current.device; },
    has: (key) => current.model.session.hasGraph(key),
    prepare: (key) => prepare(current.model.session, key),
    run,
    destroy: () => /** @type {any} */ (current.model.session).destroy(),
  };
  async function reopen() {
    const { device: fresh, reason } = await openGpu();
    if (!fresh) throw new GpuLostError(`the GPU was lost and ${reason}`);
    current = await open(fresh);
    await restore(engine);
  }
  async function usable() {
    if (current.lost) reopening ??= reopen().finally(() => { reopening = null; });
    if (reopening) await reopening;
  }
  async function runOnce(key, inputs, options) {
    const { session } = current.model;
    if (!session.hasGraph(key)) await prepare(session, key);
    return session.run(key, inputs, options);
  }
  async function run(key, inputs, options) {
    await usable();
    const opened = current;
    try { return await runOnce(key, inputs, options); } catch (error) {
      await Promise.race([opened.device.lost, new Promise((resolve) => setTimeout(resolve, LOST_SETTLES_MS))]);
      if (!opened.lost) throw error;
      await usable();  // the device went away mid-run: once more on a new one
      return runOnce(key, inputs, options);
    }
  }
  return engine;
}

// {engine} on WebGPU, or {notice} saying why there is none: never a rejection, since the CPU may answer meanwhile.
/** @param {ModelName} name @param {Restore} restore @returns {Promise<{ engine?: Engine, notice?: string }>} */
export async function tryWebgpu(name, restore) {
  const { device, reason } = await openGpu();
  if (!device) return { notice: `WebGPU is not available (${reason}), so the digits are recognised on the CPU: ${SAME_RESULTS}.` };
  try { return { engine: await webgpuEngine(name, device, restore) }; } catch (error) {
    return { notice: `WebGPU could not run the ${MODEL_LABELS[name]} model (${error.message}), so it runs on the CPU: ${SAME_RESULTS}.` };
  }
}

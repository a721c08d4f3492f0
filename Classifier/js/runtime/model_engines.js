// @ts-check
// An engine runs one model on one backend: a session of the generated model (its weights and the person's memory as
// state; the prediction graph, and once first asked for, the explain graph, the memory's store step and, on WebGPU, the
// training step) and a way to run any of them. A WebGPU engine whose device is lost says so (its runs reject with a
// DeviceLostError) and opens a session on a new device when asked (reopen); where no device can be had, reopen rejects
// with a GpuLostError. Putting the person's state into the new session is the caller's: the engine knows none of it.
import { openGpu } from "./gpu_device.js";
import { initialState } from "./graph_io.js";
import { importModelModule, modelFile } from "../models.js";
import { SharedAttempt } from "./shared_attempt.js";
import { gpuLost, onCpuWithoutWebgpu, webgpuCouldNotRun } from "../texts.js";

/** @typedef {import("../contracts.js").Backend} Backend */
/** @typedef {import("../contracts.js").ModelName} ModelName */
/** @typedef {import("../contracts.js").Session} Session */
/** @typedef {import("../contracts.js").Tensors} Tensors */
/** @typedef {import("../contracts.js").Weights} Weights */
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
 *   runs graph `key` (prepared first if need be); rejects with a DeviceLostError where the device is lost
 * @property {boolean} lost  whether its device is lost (a session on a new one wants reopen())
 * @property {() => Promise<void>} reopen  a new session, on a new device; rejects with a GpuLostError where none can be had
 * @property {() => void} destroy  frees what the engine holds (its GPU buffers)
 */

// The generated module of each graph beside inference
const MODULES = /** @type {const} */ ({ explain: "explain", store: "memory", train: "train" });
// A run that fails on a lost device can reject before the device's `lost` promise settles: it is given this long to
// settle before the failure is taken for what it says
const LOST_SETTLES_MS = 100;

/** @param {ModelName} name @param {GraphKey} key @returns {Promise<any>} */
export const graphModule = (name, key) => importModelModule(name, MODULES[key]);
/** @param {ModelName} name */
export const weightsUrl = (name) => modelFile(name, "weights");

// The GPU was lost and no other device can be had; `message` says why.
export class GpuLostError extends Error {}
// The device of a run was lost; another may be had (Engine.reopen).
export class DeviceLostError extends Error {}

// prepare(session, key) for one model and target, whose sessions start with `loaded`'s state: each graph added once
// per session (a failure is tried again), the state it brings that no graph of the session had yet (the optimizer's
// moments of the training step) first written as the graph says it starts.
/** @param {ModelName} name @param {"webgpu" | "wasm"} target @param {import("../contracts.js").Graph} loaded */
function graphAdder(name, target, loaded) {
  /** @type {WeakMap<Session, { graphs: Map<GraphKey, SharedAttempt<void>>, state: Set<string> }>} */
  const added = new WeakMap();
  /** @param {Session} session @param {Set<string>} state @param {GraphKey} key */
  const adding = (session, state, key) => new SharedAttempt(async () => {
    const { graphs: exported, wasm } = await graphModule(name, key), graph = exported[target];
    const brought = Object.entries(initialState(graph)).filter(([buffer]) => !state.has(buffer));
    session.writeState(Object.fromEntries(brought));
    await session.addGraph(key, graph, target === "wasm" ? wasm : undefined);
    for (const [buffer] of brought) state.add(buffer);
  });
  const loadedState = loaded.buffers.filter((b) => b.kind === "state").map((b) => b.name);
  /** @param {Session} session @param {GraphKey} key */
  return (session, key) => {
    if (!added.has(session)) added.set(session, { graphs: new Map(), state: new Set(loadedState) });
    const { graphs, state } = /** @type {{ graphs: Map<GraphKey, SharedAttempt<void>>, state: Set<string> }} */ (added.get(session));
    if (!graphs.has(key)) graphs.set(key, adding(session, state, key));
    return /** @type {SharedAttempt<void>} */ (graphs.get(key)).get();
  };
}

/** @param {ModelName} name @returns {Promise<Engine>} */
export async function cpuEngine(name) {
  /** @type {import("../contracts.js").CpuModelModule} */
  const { load, weightsVersion, graph } = await importModelModule(name, "cpu");
  const model = await load(weightsUrl(name)), { session } = model, prepare = graphAdder(name, "wasm", graph);
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
    lost: false,
    reopen: async () => {},
    destroy: () => {},
  };
}

/** @param {ModelName} name @param {GPUDevice} device @returns {Promise<Engine>} */
export async function webgpuEngine(name, device) {
  /** @type {import("../contracts.js").WebgpuModelModule} */
  const { load, weightsVersion, graph } = await importModelModule(name, "webgpu");
  const prepare = graphAdder(name, "webgpu", graph);
  /** @param {GPUDevice} device */
  async function open(device) {
    const model = await load(device, weightsUrl(name)), opened = { device, model, lost: false };
    device.lost.then(() => { opened.lost = true; });
    return opened;
  }
  let current = await open(device);
  const reopening = new SharedAttempt(async () => {
    const { device: fresh, reason } = await openGpu();
    if (!fresh) throw new GpuLostError(gpuLost(/** @type {string} */ (reason)));
    current = await open(fresh);
  });
  /** @param {string} key @param {Tensors} inputs @param {{ read?: boolean }} [options] */
  async function run(key, inputs, options) {
    const opened = current, { session } = opened.model;
    if (opened.lost) throw new DeviceLostError("the GPU device was lost");
    try {
      if (!session.hasGraph(key)) await prepare(session, /** @type {GraphKey} */ (key));
      return await session.run(key, inputs, options);
    } catch (error) {
      await Promise.race([opened.device.lost, new Promise((resolve) => setTimeout(resolve, LOST_SETTLES_MS))]);
      if (opened.lost) throw new DeviceLostError("the GPU device was lost", { cause: error });
      throw error;
    }
  }
  return {
    backend: "webgpu",
    version: weightsVersion,
    get shipped() { return current.model.weights; },
    get session() { return current.model.session; },
    get device() { return current.device; },
    get lost() { return current.lost; },
    has: (key) => current.model.session.hasGraph(key),
    prepare: (key) => prepare(current.model.session, key),
    run,
    reopen: async () => {
      const attempt = reopening.get();
      try { await attempt; } finally { reopening.forget(attempt); }  // the next loss asks for a device anew
    },
    destroy: () => /** @type {any} */ (current.model.session).destroy(),
  };
}

// Frees a WebGPU engine no longer used, once the work already queued on it is done. A failure of that last wait (a
// device lost meanwhile) changes nothing: the engine is given up either way.
/** @param {Engine} engine */
export const retire = (engine) => engine.session.readState([]).catch(() => {}).finally(() => engine.destroy());

// {engine} on WebGPU, or {notice} saying why there is none: never a rejection, since the CPU may answer meanwhile.
/** @param {ModelName} name @returns {Promise<{ engine?: Engine, notice?: string }>} */
export async function tryWebgpu(name) {
  const { device, reason } = await openGpu();
  if (!device) return { notice: onCpuWithoutWebgpu(/** @type {string} */ (reason)) };
  try { return { engine: await webgpuEngine(name, device) }; } catch (error) {
    return { notice: webgpuCouldNotRun(name, error.message) };
  }
}

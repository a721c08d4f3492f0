// @ts-check
// One entry point for the page: loadClassifier(name) gives a predict(input) -> logits on WebGPU, or on the CPU when the
// browser has no usable WebGPU or while its WebGPU model is still being prepared, from one download of the weights;
// and train(batches), which fine-tunes the model on the backend it runs on, with the graphs export_webgpu.py generated.
import { shareDownload } from "./safetensors.js";
import { trainInWorker } from "./training_client.js";
import { initialState } from "./graph_io.js";
import { BACKEND_CHOICES, DEFAULT_BACKEND, MODEL_LABELS, MODEL_NAMES } from "./models.js";

/** @typedef {import("./contracts.js").Backend} Backend */
/** @typedef {import("./contracts.js").ModelName} ModelName */
/** @typedef {import("./contracts.js").Session} Session */
/** @typedef {import("./contracts.js").TrainingBatch} TrainingBatch */
/** @typedef {import("./contracts.js").TrainingResult} TrainingResult */
/** @typedef {import("./contracts.js").Weights} Weights */
/** @typedef {{ weights: Weights | null }} Learned  the person's weights, or null for the shipped ones */
/** @typedef {import("./contracts.js").ExplainOutputs} ExplainOutputs */
/** @typedef {{ ready(): boolean, prepare(): Promise<void>, run(x: Float32Array): Promise<ExplainOutputs> }} Explainer */
/**
 * @typedef {object} Engine
 * @property {Backend} backend
 * @property {(x: Float32Array) => Promise<Float32Array>} predict
 * @property {(batches: TrainingBatch[], fresh: boolean) => Promise<TrainingResult>} train
 * @property {Weights} shipped
 * @property {Session} session
 * @property {string} version
 * @property {Explainer} explainer
 * @property {GPUDevice} [device]
 */

const weightsUrl = (name) => new URL(`../${name}/${name}.webgpu.safetensors`, import.meta.url);
/** @returns {Promise<import("./contracts.js").TrainModule>} */
const trainModule = (name) => import(`../${name}/${name}.train.js`);
const SAME_RESULTS = "the same results, a little slower";

/** @type {Promise<{ device: GPUDevice | null, reason: string | null }> | null} */
let gpu = null;  // shared by both models; cleared when the device is lost
function openGpu() {
  gpu ??= (async () => {
    if (!navigator.gpu) return { device: null, reason: "this browser has no WebGPU" };
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) return { device: null, reason: "WebGPU found no usable graphics adapter" };
    const device = await adapter.requestDevice();
    const opened = gpu;
    device.lost.then(() => { if (gpu === opened) gpu = null; });
    return { device, reason: null };
  })();
  return gpu;
}

// An engine runs one model on one backend: {backend, predict, train, shipped, session}; the classifier answers through
// one at a time. `learned` is the classifier's {weights}: the person's weights, or null for the shipped ones, which an
// engine made later (the WebGPU one, or a new one after a lost GPU) starts from.
/** @param {ModelName} name @param {Learned} learned @returns {Promise<Engine>} */
async function cpuEngine(name, learned) {
  /** @type {import("./contracts.js").CpuModelModule} */
  const { load, weightsVersion } = await import(`../${name}/${name}.cpu.js`);
  const model = await load(weightsUrl(name));
  if (learned.weights) model.session.writeState(learned.weights);
  return {
    backend: "cpu",
    predict: model,
    shipped: model.weights,
    session: model.session,
    version: weightsVersion,
    explainer: explainer(name, () => model.session, "wasm"),
    train: async (batches, fresh) => {
      const trained = await trainInWorker(name, model.session, Object.keys(model.weights), batches, fresh);
      return { ...trained, backend: "cpu" };
    },
  };
}

/** @param {ModelName} name @param {GPUDevice} device @param {Learned} learned @returns {Promise<Engine>} */
async function webgpuEngine(name, device, learned) {
  /** @type {import("./contracts.js").WebgpuModelModule} */
  const { load, weightsVersion } = await import(`../${name}/${name}.js`);
  async function open(device) {
    const run = await load(device, weightsUrl(name));
    if (learned.weights) run.session.writeState(learned.weights);
    const opened = { device, lost: false, run };
    device.lost.then(() => { opened.lost = true; });
    return opened;
  }
  let current = await open(device);
  async function reopen() {
    const { device: fresh, reason } = await openGpu();
    if (!fresh) throw new Error(`the GPU was lost and ${reason}`);
    current = await open(fresh);
  }
  async function predict(x) {
    if (current.lost) await reopen();
    try { return await current.run(x); } catch (error) {
      if (!current.lost) throw error;
      await reopen();  // the device went away mid-inference: once more on a new one
      return current.run(x);
    }
  }
  // The first training compiles the training pipelines (seconds on a software GPU); meanwhile that job runs on the
  // CPU, from and back into the GPU's weights, so that teaching answers as fast as the first prediction did.
  /** @type {{ session: Session, ready: Promise<void> } | null} */
  let compiling = null;
  /** @param {TrainingBatch[]} batches @param {boolean} fresh @returns {Promise<TrainingResult>} */
  async function train(batches, fresh) {
    if (current.lost) await reopen();
    const { session } = current.run, weightNames = Object.keys(current.run.weights);
    if (!session.hasGraph("train")) {
      if (compiling?.session !== session) {
        const started = { session, ready: addTraining(session) };
        started.ready.catch(() => { if (compiling === started) compiling = null; });  // tried again at the next training
        compiling = started;
      }
      return { ...await trainInWorker(name, session, weightNames, batches, true), backend: "cpu" };
    }
    if (fresh) await resetOptimizer(session);
    let last;
    for (const [i, batch] of batches.entries()) last = session.run("train", batch, { read: i === batches.length - 1 });
    const { loss } = /** @type {import("./contracts.js").Tensors} */ (await last);  // the steps before it only queue their work
    return { losses: [loss[0]], weights: await session.readState(weightNames), backend: "webgpu" };
  }
  async function addTraining(session) {
    await resetOptimizer(session);
    await session.addGraph("train", (await trainModule(name)).graphs.webgpu);
  }
  async function resetOptimizer(session) {
    session.writeState(initialState((await trainModule(name)).graphs.webgpu));  // Adam's moments and step products
  }
  return {
    backend: "webgpu",
    predict,
    train,
    version: weightsVersion,
    explainer: explainer(name, () => current.run.session, "webgpu"),
    get shipped() { return current.run.weights; },
    get session() { return current.run.session; },
    get device() { return current.device; },
  };
}

// The explain graph (explain.py) on an engine's session, added when first asked for: {ready(), prepare(), run(x)}.
/** @param {ModelName} name @param {() => Session} session @param {"webgpu" | "wasm"} target @returns {Explainer} */
function explainer(name, session, target) {
  /** @type {{ session: Session, done: Promise<void> } | null} */
  let adding = null;
  const prepare = () => {
    if (adding?.session !== session()) {
      const current = session();
      const added = /** @type {Promise<import("./contracts.js").ExplainModule>} */ (import(`../${name}/${name}.explain.js`))
        .then(({ graphs, wasm }) => current.addGraph("explain", graphs[target], target === "wasm" ? wasm : undefined));
      adding = { session: current, done: added };
      adding.done.catch(() => { adding = null; });  // tried again at the next request
    }
    return /** @type {{ done: Promise<void> }} */ (adding).done;
  };
  const run = async (x) => {
    await prepare();
    return /** @type {ExplainOutputs} */ (await session().run("explain", { x }));
  };
  return { ready: () => session().hasGraph("explain"), prepare, run };
}

// {engine} on WebGPU, or {notice} saying why the model stays on the CPU: never a rejection, since by then the CPU
// engine is answering and the page must go on.
/** @param {ModelName} name @param {Learned} learned @returns {Promise<{ engine?: Engine, notice?: string }>} */
async function tryWebgpu(name, learned) {
  const { device, reason } = await openGpu().catch((error) => ({ device: null, reason: error.message }));
  if (!device) return { notice: `WebGPU is not available (${reason}), so the digits are recognised on the CPU: ${SAME_RESULTS}.` };
  try { return { engine: await webgpuEngine(name, device, learned) }; } catch (error) {
    return { notice: `WebGPU could not run the ${MODEL_LABELS[name]} model (${error.message}), so it runs on the CPU: ${SAME_RESULTS}.` };
  }
}

// What loadClassifier gives: {name, backend, pendingBackend, notice, device, weightsVersion, weightSizes, canExplain,
// predict, explain, prepareExplain, train, setWeights, readWeights}, and events.
// In "auto" mode it can start on the CPU with pendingBackend "webgpu"; it then either moves to WebGPU once
// ("backendchange": backend is now "webgpu") or stays on the CPU ("notice": notice says why). pendingBackend is null
// once that is settled.
class Classifier extends EventTarget {
  #engine;
  #learned;
  #fresh = true;  // the next training starts the optimizer afresh
  /** @param {ModelName} name @param {Engine} engine @param {Learned} learned */
  constructor(name, engine, learned) {
    super();
    this.name = name;
    /** @type {string | null} */
    this.notice = null;
    /** @type {Backend | null} */
    this.pendingBackend = null;
    this.#engine = engine;
    this.#learned = learned;
    this.predict = (x) => this.#engine.predict(x);  // an own function, so that `const { predict } = classifier` works
  }
  get backend() { return this.#engine.backend; }
  get device() { return this.#engine.device ?? null; }  // the GPU device in use, null on the CPU
  get weightsVersion() { return this.#engine.version; }  // of the shipped weights: export_webgpu.py's hash of the file
  get weightSizes() { return Object.fromEntries(Object.entries(this.#engine.shipped).map(([k, v]) => [k, v.byteLength])); }

  // One fine-tuning step per batch ({x, y, noise}, see learning.js) on the current backend, then predict() uses the
  // weights it learned. Resolves to {losses, weights, backend}: the loss of the last step at least, the new weights,
  // and the backend that computed them (the CPU while WebGPU compiles its training pipelines).
  /** @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  async train(batches) {
    const engine = this.#engine, fresh = this.#fresh;
    this.#fresh = false;
    const result = await engine.train(batches, fresh);
    this.#learned.weights = result.weights;
    if (this.#engine !== engine) this.#engine.session.writeState(result.weights);  // it moved to WebGPU meanwhile
    return result;
  }

  // The person's weights ({name: Float32Array}, as train() gives them), or null for the shipped ones; the optimizer
  // starts afresh at the next train().
  /** @param {Weights | null} weights */
  setWeights(weights) {
    this.#learned.weights = weights;
    this.#fresh = true;
    this.#engine.session.writeState(weights ?? this.#engine.shipped);
  }

  // {name: Float32Array}: the weights predict() uses now (all of them, or those named)
  /** @param {string[]} [names] @returns {Promise<Weights>} */
  readWeights(names = Object.keys(this.#engine.shipped)) { return this.#engine.session.readState(names); }

  // What the inside-the-model panel shows of input x (explain.py): {logits, the model's activations, first, second,
  // first_attribution, second_attribution}, from the same weights as predict(); its graph is fetched when first needed.
  /** @param {Float32Array} x */
  explain(x) { return this.#engine.explainer.run(x); }
  get canExplain() { return this.#engine.explainer.ready(); }   // explain() would not wait for a download or a compile
  prepareExplain() { return this.#engine.explainer.prepare(); }

  /** @param {Promise<{ engine?: Engine, notice?: string }>} attempt */
  moveToWebgpuWhenReady(attempt) {
    this.pendingBackend = "webgpu";
    attempt.then(({ engine, notice }) => {
      this.pendingBackend = null;
      if (engine) {
        if (this.#learned.weights) engine.session.writeState(this.#learned.weights);
        this.#engine = engine;
        this.#fresh = true;
      } else this.notice = notice ?? null;
      this.dispatchEvent(new Event(engine ? "backendchange" : "notice"));
    });
  }
}

// Answers on whichever engine is ready first, normally the CPU one (WebGPU compiles its pipelines meanwhile), and moves
// to WebGPU when that is ready. Both engines read the same download.
/** @param {ModelName} name */
async function autoClassifier(name) {
  const download = shareDownload(weightsUrl(name)), learned = /** @type {Learned} */ ({ weights: null });
  const onCpu = cpuEngine(name, learned), attempt = tryWebgpu(name, learned);
  attempt.then(download.release);
  const first = await Promise.race([onCpu, attempt.then(({ engine }) => engine ?? onCpu)]);
  const classifier = new Classifier(name, first, learned);
  if (first.backend === "cpu") classifier.moveToWebgpuWhenReady(attempt);
  return classifier;
}

/**
 * @param {ModelName} name
 * @param {{ backend?: import("./contracts.js").BackendChoice }} [options]
 * @returns {Promise<import("./contracts.js").Classifier>}
 */
export async function loadClassifier(name, { backend = DEFAULT_BACKEND } = {}) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model "${name}": expected ${MODEL_NAMES.join(" or ")}`);
  if (!BACKEND_CHOICES.includes(backend)) throw new Error(`unknown backend "${backend}": expected ${BACKEND_CHOICES.join(", ")}`);
  const learned = /** @type {Learned} */ ({ weights: null });
  if (backend === "cpu") return new Classifier(name, await cpuEngine(name, learned), learned);
  if (backend === "auto") return autoClassifier(name);
  const { device, reason } = await openGpu();
  if (!device) throw new Error(`WebGPU is not available: ${reason}`);
  return new Classifier(name, await webgpuEngine(name, device, learned), learned);
}

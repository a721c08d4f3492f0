// @ts-check
// One entry point for the page: loadClassifier(name) gives a model that reads a drawing with the person's memory
// (recall), on WebGPU or on the CPU, chosen by measured speed in auto mode (backend_speed.js), from one download of the
// weights; that learns (train) where the same rule says; and that keeps the person's weights and memory in whichever
// backend answers: moving to WebGPU, falling back to the CPU when the GPU is lost for good, or on a new GPU device.
import { shareDownload } from "./safetensors.js";
import { trainInWorker } from "./training_client.js";
import { initialState } from "./graph_io.js";
import { timeRuns } from "./clock.js";
import { BACKEND_CHOICES, DEFAULT_BACKEND, INPUT_SIZE, MODEL_LABELS, MODEL_NAMES } from "./models.js";
import { cpuEngine, GpuLostError, graphModule, SAME_RESULTS, tryWebgpu, webgpuEngine, weightsUrl } from "./model_engines.js";
import { openGpu } from "./gpu_device.js";
import { ModelMemory } from "./model_memory.js";
import { RecentTimes, learningOnCpu, predictionsOnCpu, webgpuFastEnough } from "./backend_speed.js";

/** @typedef {import("./contracts.js").Backend} Backend */
/** @typedef {import("./contracts.js").BackendChoice} BackendChoice */
/** @typedef {import("./contracts.js").ModelName} ModelName */
/** @typedef {import("./contracts.js").RecallOutputs} RecallOutputs */
/** @typedef {import("./contracts.js").TrainingBatch} TrainingBatch */
/** @typedef {import("./contracts.js").TrainingResult} TrainingResult */
/** @typedef {import("./contracts.js").Weights} Weights */
/** @typedef {import("./model_engines.js").Engine} Engine */
/** @typedef {import("./model_memory.js").Example} Example */
/** @typedef {{ restore: import("./model_engines.js").Restore }} Link  how a WebGPU engine reaches its classifier */

const PROBE_RUNS = 5;  // predictions timed on each backend before auto mode chooses, after one that is not

/** @param {Weights} weights @param {string[]} [names] @returns {Weights} copies, of those named */
const copyOf = (weights, names = Object.keys(weights)) => Object.fromEntries(names.map((name) => [name, weights[name].slice()]));
const sentence = (text) => text[0].toUpperCase() + text.slice(1);

// What loadClassifier gives (contracts.js's Classifier). In "auto" mode it starts on the CPU with pendingBackend
// "webgpu", times both, and then either moves to WebGPU ("backendchange") or stays on the CPU ("notice": notice says
// why); pendingBackend is then null. Later it may leave WebGPU for the CPU, with both events, if WebGPU stops answering
// within a frame or the GPU is lost with no other to be had.
class Classifier extends EventTarget {
  #engine;
  /** @type {Engine | null} */
  #cpu;               // auto mode: the CPU engine, kept to fall back on
  #choice;
  /** @type {Weights | null} */
  #weights = null;    // the person's, or null: the shipped ones
  #epoch = 0;         // bumped by setWeights(): a training begun before it does not set its result
  #fresh = true;      // the next training starts the optimizer afresh
  /** @type {Backend | null} */
  #optimizerOn = null;
  /** @type {ModelMemory | null} */
  #memory = null;
  /** @type {Promise<ModelMemory> | null} */
  #memoryModule = null;
  #busy = 0;          // computations in flight: a prediction timed while others run is not a time of its own
  #compiling = 0;     // graphs being added (pipelines compiling): predictions meanwhile are not timed either
  #unmeasured = false;  // other work was queued before the next prediction, which then is not timed either
  #webgpuTimes = new RecentTimes();
  /** @type {number | null} */
  #cpuMs = null;      // a prediction on the CPU, as timed
  /** @type {{ on: Backend | null, cpuStepMs: number | null, compiling: Promise<void> | null }} */
  #learning = { on: null, cpuStepMs: null, compiling: null };
  /** @type {Promise<void> | null} */
  #fallingBack = null;

  /** @param {ModelName} name @param {Engine} engine @param {BackendChoice} choice @param {Link} link @param {Engine | null} cpu */
  constructor(name, engine, choice, link, cpu) {
    super();
    this.name = name;
    /** @type {string | null} */
    this.notice = null;
    /** @type {Backend | null} */
    this.pendingBackend = null;
    this.#engine = engine;
    this.#choice = choice;
    this.#cpu = cpu;
    link.restore = (replaced) => this.#putInto(replaced);
    // own functions, so that `const { predict } = classifier` works
    this.predict = (x) => this.recall(x).then((outputs) => outputs.logits);
  }
  get backend() { return this.#engine.backend; }
  get device() { return this.#engine.device ?? null; }  // the GPU device in use, null on the CPU
  get weightsVersion() { return this.#engine.version; }  // of the shipped weights: export_webgpu.py's hash of the file
  get weightSizes() { return Object.fromEntries(Object.entries(this.#engine.shipped).map(([k, v]) => [k, v.byteLength])); }

  // The prediction graph's outputs for x: the network's logits, and with the person's memory the scores (the page
  // shows softmax(scores)), the bonus of each class, the row that matched the chosen digit best and its similarity.
  /** @param {Float32Array} x @returns {Promise<RecallOutputs>} */
  recall(x) {
    return this.#onEngine(async (engine) => {
      const timed = engine.backend === "webgpu" && this.#choice === "auto" && this.#busy === 1 && this.#compiling === 0 && !this.#unmeasured;
      this.#unmeasured = false;
      const started = performance.now();
      const outputs = /** @type {RecallOutputs} */ (await engine.run("infer", { x }));
      if (timed) this.#timedOnWebgpu(engine, performance.now() - started);
      return outputs;
    });
  }

  // What the inside-the-model panel shows of input x (explain.py): the recall's outputs, the model's activations, the
  // two likeliest digits and their attributions, from the same weights and memory; its graph is fetched when first needed.
  /** @param {Float32Array} x */
  explain(x) {
    return this.#onEngine((engine) => /** @type {Promise<import("./contracts.js").ExplainOutputs>} */ (engine.run("explain", { x })));
  }
  get canExplain() { return this.#engine.has("explain"); }  // explain() would not wait for a download or a compile
  prepareExplain() { return this.#prepare(this.#engine, "explain"); }

  /** @param {Engine} engine @param {import("./model_engines.js").GraphKey} key */
  async #prepare(engine, key) {
    if (engine.has(key)) return;
    this.#compiling++;
    try { await engine.prepare(key); } finally { this.#compiling--; }
  }

  // ---------------------------------------------------------------- the person's memory (model_memory.js)

  // Fetches the memory's store step (<name>.memory.js) and adds it to the backend in use; resolves to its settings.
  /** @returns {Promise<import("./contracts.js").MemorySettings>} */
  async prepareMemory() {
    const memory = await this.#loadMemory();
    this.#memory ??= memory;
    let engine;
    do { engine = this.#engine; await this.#prepare(engine, "store"); } while (engine !== this.#engine);  // it may have moved meanwhile
    return memory.settings;
  }

  #loadMemory() {
    if (!this.#memoryModule) {
      const onError = (error) => this.#setNotice(`The ${MODEL_LABELS[this.name]} could not remember your digit (${error.message}).`);
      const loading = graphModule(this.name, "store").then(({ memory, graphs }) => new ModelMemory(memory, graphs.wasm, onError));
      loading.catch(() => { if (this.#memoryModule === loading) this.#memoryModule = null; });  // tried again next time
      this.#memoryModule = loading;
    }
    return this.#memoryModule;
  }

  get memorySettings() { return this.#memory?.settings ?? null; }
  get memorySlots() { return this.#memory?.slots ?? null; }  // how many examples the memory holds at most
  get memoryCount() { return this.#memory?.count ?? 0; }      // how many it holds now

  /** Whether the memory holds the newest of `examples` as it should. @param {Example[]} examples */
  holdsExamples(examples) { return this.#memory ? this.#memory.holds(examples) : examples.length === 0; }

  // The memory holds the newest of `examples` from the next prediction on: the stores it needs are queued now, before
  // any later prediction. prepareMemory() must have resolved.
  /** @param {Example[]} examples */
  holdExamples(examples) {
    if (!this.#memory || !this.#engine.has("store")) throw new Error("the memory's store step is not ready: prepareMemory() first");
    this.#memory.hold(this.#engine.session, examples);
    this.#unmeasured = true;
  }

  /** The example that memory row `row` holds (a recall's `nearest`), or null. @param {number} row */
  memoryExample(row) { return this.#memory?.exampleAt(row) ?? null; }

  // ---------------------------------------------------------------- weights and learning

  // One fine-tuning step per batch ({x, y, noise}, see learning.js), then every prediction uses the weights learned, and
  // the memory computed again under them. Resolves to {losses, weights, backend}: the loss of the last step at least,
  // the weights, and the backend that computed them: WebGPU only where it learns within a frame per step or faster than
  // the CPU (auto mode), the CPU while WebGPU compiles its training pipelines.
  /** @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  train(batches) {
    const engine = this.#engine;
    if (engine.backend === "webgpu" && this.#learning.on !== "cpu" && !engine.has("train")) this.#compileTraining(engine);
    if (engine.backend === "webgpu" && this.#learning.on === "webgpu" && engine.has("train")) {
      return this.#onEngine((current) => (current === engine ? this.#trainOnWebgpu(engine, batches) : this.#trainOnCpu(batches)));
    }
    return this.#trainOnCpu(batches);
  }

  /** @param {Engine} engine */
  #compileTraining(engine) {
    if (this.#learning.compiling) return;
    const compiling = this.#prepare(engine, "train").then(() => { this.#learning.on ??= "webgpu"; });  // the next training is timed there
    compiling.catch(() => { if (this.#learning.compiling === compiling) this.#learning.compiling = null; });  // tried again next time
    this.#learning.compiling = compiling;
  }

  /** @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  async #trainOnCpu(batches) {
    const epoch = this.#epoch, fresh = this.#freshOn("cpu"), started = performance.now();
    const { losses, weights } = await trainInWorker(this.name, copyOf(this.#weights ?? this.#engine.shipped), batches, fresh);
    this.#learning.cpuStepMs = (performance.now() - started) / batches.length;
    if (epoch === this.#epoch) this.#setLearned(weights);
    return { losses, weights, backend: "cpu" };
  }

  // The steps, then the memory computed again, all queued at once: no prediction sees the new weights with the old rows.
  /** @param {Engine} engine @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  async #trainOnWebgpu(engine, batches) {
    const epoch = this.#epoch, fresh = this.#freshOn("webgpu"), { graphs } = await graphModule(this.name, "train");
    const session = engine.session, started = performance.now();
    if (fresh) session.writeState(initialState(graphs.webgpu));
    let last;
    for (const [i, batch] of batches.entries()) last = session.run("train", batch, { read: i === batches.length - 1 });
    this.#memory?.refill(session);
    this.#unmeasured = true;
    const { loss } = /** @type {import("./contracts.js").Tensors} */ (await last);
    const weights = await session.readState(Object.keys(engine.shipped));
    this.#judgeWebgpuLearning((performance.now() - started) / batches.length);
    if (epoch === this.#epoch) this.#weights = weights;
    return { losses: [loss[0]], weights, backend: "webgpu" };
  }

  /** @param {number} stepMs */
  #judgeWebgpuLearning(stepMs) {
    const cpu = this.#learning.cpuStepMs;
    if (this.#choice !== "auto" || webgpuFastEnough(stepMs, cpu)) return;
    this.#learning.on = "cpu";
    this.#setNotice(learningOnCpu(MODEL_LABELS[this.name], stepMs, /** @type {number} */ (cpu)));
  }

  /** Whether the optimizer starts afresh for a training on `backend` (its state lives there). @param {Backend} backend */
  #freshOn(backend) {
    const fresh = this.#fresh || this.#optimizerOn !== backend;
    this.#fresh = false;
    this.#optimizerOn = backend;
    return fresh;
  }

  // The person's weights ({name: Float32Array}, as train() gives them), or null for the shipped ones; the memory is
  // computed again under them, and the optimizer starts afresh at the next train().
  /** @param {Weights | null} weights */
  setWeights(weights) {
    this.#epoch++;
    this.#fresh = true;
    this.#setLearned(weights);
  }

  /** @param {Weights | null} weights */
  #setLearned(weights) {
    this.#weights = weights;
    this.#writeInto(this.#engine);
  }

  // {name: Float32Array}: copies of the weights predict() uses now (all of them, or those named)
  /** @param {string[]} [names] @returns {Promise<Weights>} */
  async readWeights(names) { return copyOf(this.#weights ?? this.#engine.shipped, names); }

  // ---------------------------------------------------------------- backends

  // The person's weights and memory into `engine`'s session, queued before anything else runs there.
  /** @param {Engine} engine */
  async #putInto(engine) {
    if (this.#memory) await this.#prepare(engine, "store");
    this.#writeInto(engine);
  }

  /** @param {Engine} engine */
  #writeInto(engine) {
    engine.session.writeState(this.#weights ?? engine.shipped);
    // a session without the store step yet is a new one (a lost device's), whose restore refills it once it has it
    if (engine.has("store")) this.#memory?.refill(engine.session);
    this.#unmeasured = true;
  }

  /** @param {Engine} engine */
  async #switchTo(engine) {
    if (this.#memory) await this.#prepare(engine, "store");
    this.#writeInto(engine);  // and, in the same task, the engine that answers
    this.#engine = engine;
    this.#fresh = true;
  }

  // Runs op on the engine in use; where the GPU is lost for good (auto mode), falls back to the CPU and runs it there.
  /** @template T @param {(engine: Engine) => Promise<T>} op @returns {Promise<T>} */
  async #onEngine(op) {
    this.#busy++;
    try {
      try { return await op(this.#engine); } catch (error) {
        if (!(error instanceof GpuLostError) || this.#choice !== "auto") throw error;
        await this.#fallBackToCpu(error);
        return await op(this.#engine);
      }
    } finally { this.#busy--; }
  }

  /** @param {GpuLostError} lost */
  #fallBackToCpu(lost) {
    this.#fallingBack ??= (async () => {
      try {
        const cpu = this.#cpu ?? await cpuEngine(this.name).catch((error) => {
          throw new Error(`${sentence(lost.message)}, and the CPU path could not be loaded either (${error.message})`, { cause: error });
        });
        this.#cpu = cpu;
        const gone = this.#engine;
        await this.#switchTo(cpu);
        gone.destroy();
        this.#leftWebgpu(`${sentence(lost.message)}, so the digits are recognised on the CPU: the same results.`);
      } finally { this.#fallingBack = null; }
    })();
    return this.#fallingBack;
  }

  /** @param {Engine} engine @param {number} milliseconds */
  #timedOnWebgpu(engine, milliseconds) {
    this.#webgpuTimes.add(milliseconds);
    const slow = this.#webgpuTimes.fastestWhenAllSlow, cpu = this.#cpu;
    if (slow === null || cpu === null || this.#cpuMs === null || slow <= this.#cpuMs || this.#engine !== engine) return;
    this.#switchTo(cpu).then(() => {
      retire(engine);
      this.#leftWebgpu(predictionsOnCpu(MODEL_LABELS[this.name], slow, /** @type {number} */ (this.#cpuMs)));
    }, (error) => this.#setNotice(`The ${MODEL_LABELS[this.name]} could not move to the CPU (${error.message}).`));
  }

  /** @param {string} notice */
  #leftWebgpu(notice) {
    this.#learning = { on: "cpu", cpuStepMs: this.#learning.cpuStepMs, compiling: null };
    this.dispatchEvent(new Event("backendchange"));
    this.#setNotice(notice);
  }

  /** @param {string} notice */
  #setNotice(notice) {
    this.notice = notice;
    this.dispatchEvent(new Event("notice"));
  }

  // Auto mode, answering on the CPU: once `attempt` has a WebGPU engine, times a few predictions on each backend and
  // moves to WebGPU if it answers within a frame or faster than the CPU; otherwise stays, saying why.
  /** @param {Promise<{ engine?: Engine, notice?: string }>} attempt */
  moveToWebgpuWhenReady(attempt) {
    this.pendingBackend = "webgpu";
    attempt.then(async ({ engine, notice }) => {
      let moved = false;
      if (engine) {
        try {
          const [webgpu, cpu] = [await probe(engine), await probe(this.#engine)];
          this.#cpuMs = cpu;
          if (webgpuFastEnough(webgpu, cpu)) {
            await this.#switchTo(engine);
            moved = true;
          } else notice = predictionsOnCpu(MODEL_LABELS[this.name], webgpu, cpu);
        } catch (error) {
          notice = `WebGPU could not run the ${MODEL_LABELS[this.name]} model (${error.message}), so it runs on the CPU: ${SAME_RESULTS}.`;
        }
        if (!moved) engine.destroy();
      }
      this.pendingBackend = null;
      if (moved) this.dispatchEvent(new Event("backendchange")); else this.#setNotice(/** @type {string} */ (notice));
    });
  }
}

// Frees a WebGPU engine no longer used, once the work already queued on it is done.
/** @param {Engine} engine */
// A failure of that last wait (a device lost meanwhile) changes nothing: the engine is given up either way.
const retire = (engine) => engine.session.readState([]).catch(() => {}).finally(() => engine.destroy());

// The fastest of PROBE_RUNS predictions of a blank drawing on `engine`, in ms, after one that pays for what is made once.
/** @param {Engine} engine */
async function probe(engine) {
  const x = new Float32Array(INPUT_SIZE).fill(-1), run = () => engine.run("infer", { x });
  await run();
  return Math.min(...await timeRuns(run, PROBE_RUNS));
}

/** @returns {Link} */
const newLink = () => ({ restore: async () => {} });

// Answers on the CPU first while WebGPU compiles its pipelines, from the same download of the weights, and moves to
// WebGPU if it is fast enough (moveToWebgpuWhenReady). A CPU path that cannot load leaves WebGPU alone answering.
/** @param {ModelName} name */
async function autoClassifier(name) {
  const download = shareDownload(weightsUrl(name)), link = newLink();
  const onCpu = cpuEngine(name), attempt = tryWebgpu(name, (engine) => link.restore(engine));
  Promise.allSettled([onCpu, attempt]).then(download.release);  // both have read it by then
  const cpu = await onCpu.catch((error) => /** @type {Error} */ (error));
  if (!(cpu instanceof Error)) {
    const classifier = new Classifier(name, cpu, "auto", link, cpu);
    classifier.moveToWebgpuWhenReady(attempt);
    return classifier;
  }
  const { engine } = await attempt;
  if (!engine) throw cpu;
  const classifier = new Classifier(name, engine, "auto", link, null);
  classifier.notice = `The ${MODEL_LABELS[name]}'s CPU path could not be loaded (${cpu.message}), so it runs on WebGPU alone.`;
  return classifier;
}

/**
 * @param {ModelName} name
 * @param {{ backend?: BackendChoice }} [options]
 * @returns {Promise<import("./contracts.js").Classifier>}
 */
export async function loadClassifier(name, { backend = DEFAULT_BACKEND } = {}) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model "${name}": expected ${MODEL_NAMES.join(" or ")}`);
  if (!BACKEND_CHOICES.includes(backend)) throw new Error(`unknown backend "${backend}": expected ${BACKEND_CHOICES.join(", ")}`);
  if (backend === "auto") return autoClassifier(name);
  const link = newLink();
  if (backend === "cpu") return new Classifier(name, await cpuEngine(name), "cpu", link, null);
  const { device, reason } = await openGpu();
  if (!device) throw new Error(`WebGPU is not available: ${reason}`);
  return new Classifier(name, await webgpuEngine(name, device, (engine) => link.restore(engine)), "webgpu", link, null);
}

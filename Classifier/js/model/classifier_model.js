// @ts-check
// The classifier that loadClassifier (classifier.js) gives: a model that reads a drawing with the person's memory
// (recall), on WebGPU or on the CPU, chosen by measured speed in auto mode; that learns (train) where the same rule
// says; and that keeps the person's weights and memory in whichever backend answers: moving to WebGPU, falling back to
// the CPU when the GPU is lost for good, or on a new GPU device. It composes four parts, each its own module: the
// backends' speed (backend_speed.js), the person's memory (classifier_memory.js), fine-tuning (fine_tuning.js) and
// recovery from a lost GPU (device_recovery.js).
import { cpuEngine, retire } from "../runtime/model_engines.js";
import { BackendSpeed } from "./backend_speed.js";
import { ClassifierMemory } from "../learning/classifier_memory.js";
import { copyOf, FineTuning } from "../learning/fine_tuning.js";
import { DeviceRecovery } from "./device_recovery.js";
import { SharedAttempt } from "../runtime/shared_attempt.js";
import * as texts from "../texts.js";

/** @typedef {import("../contracts.js").RecallOutputs} RecallOutputs */
/** @typedef {import("../contracts.js").TrainingBatch} TrainingBatch */
/** @typedef {import("../contracts.js").TrainingResult} TrainingResult */
/** @typedef {import("../runtime/model_engines.js").Engine} Engine */
/** @typedef {import("../learning/model_memory.js").Example} Example */

// What loadClassifier gives (contracts.js's Classifier). In "auto" mode it starts on the CPU with pendingBackend
// "webgpu", times both, and then either moves to WebGPU ("backendchange") or stays on the CPU ("notice": notice says
// why); pendingBackend is then null. Later it may leave WebGPU for the CPU, with both events, if WebGPU stops answering
// within a frame or the GPU is lost with no other to be had.
export class Classifier extends EventTarget {
  #engine;
  /** @type {Engine | null} */
  #cpu;               // auto mode: the CPU engine, kept to fall back on
  #speed;
  #memory;
  #tuning;
  #recovery;
  /** @type {SharedAttempt<void> | null} */
  #trainingCompiled = null;  // WebGPU's training step, compiled in the background

  /**
   * @param {import("../contracts.js").ModelName} name @param {Engine} engine
   * @param {import("../contracts.js").BackendChoice} choice @param {Engine | null} cpu
   */
  constructor(name, engine, choice, cpu) {
    super();
    this.name = name;
    /** @type {string | null} */
    this.notice = null;
    /** @type {import("../contracts.js").Backend | null} */
    this.pendingBackend = null;
    this.#engine = engine;
    this.#cpu = cpu;
    this.#speed = new BackendSpeed(choice === "auto");
    this.#memory = new ClassifierMemory(name, (error) => this.#setNotice(texts.couldNotRemember(name, error.message)));
    this.#tuning = new FineTuning(name);
    this.#recovery = new DeviceRecovery({
      auto: choice === "auto",
      current: () => this.#engine,
      restore: (replaced) => this.#putInto(replaced),
      fallBack: (lost) => this.#fallBackToCpu(lost),
    });
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
      const run = () => /** @type {Promise<RecallOutputs>} */ (engine.run("infer", { x }));
      const { outputs, slow } = await this.#speed.prediction(engine, run);
      if (slow && this.#cpu && this.#engine === engine) this.#leaveSlowWebgpu(engine, this.#cpu, slow);
      return outputs;
    });
  }

  // What the inside-the-model panel shows of input x (digits/export/explain.py): the recall's outputs, the model's
  // activations, the two likeliest digits and their attributions, from the same weights and memory; its graph is
  // fetched when first needed.
  /** @param {Float32Array} x */
  explain(x) {
    return this.#onEngine((engine) => /** @type {Promise<import("../contracts.js").ExplainOutputs>} */ (engine.run("explain", { x })));
  }
  get canExplain() { return this.#engine.has("explain"); }  // explain() would not wait for a download or a compile
  prepareExplain() { return this.#prepare(this.#engine, "explain"); }

  /** @param {Engine} engine @param {import("../runtime/model_engines.js").GraphKey} key */
  async #prepare(engine, key) {
    if (!engine.has(key)) await this.#speed.compiling(engine.prepare(key));
  }

  /** @template T @param {(engine: Engine) => Promise<T>} op @returns {Promise<T>} */
  #onEngine(op) { return this.#speed.counted(() => this.#recovery.run(op)); }

  // Fetches the memory's store step (<name>.memory.js) and adds it to the backend in use; resolves to its settings.
  /** @returns {Promise<import("../contracts.js").MemorySettings>} */
  async prepareMemory() {
    const memory = await this.#memory.load();
    let engine;
    do { engine = this.#engine; await this.#prepare(engine, "store"); } while (engine !== this.#engine);  // it may have moved meanwhile
    return memory.settings;
  }

  get memorySettings() { return this.#memory.settings; }
  get memorySlots() { return this.#memory.slots; }  // how many examples the memory holds at most
  get memoryCount() { return this.#memory.count; }  // how many it holds now

  /** Whether the memory holds the newest of `examples` as it should. @param {Example[]} examples */
  holdsExamples(examples) { return this.#memory.holds(examples); }

  // The memory holds the newest of `examples` from the next prediction on: the stores it needs are queued now, before
  // any later prediction. prepareMemory() must have resolved.
  /** @param {Example[]} examples */
  holdExamples(examples) {
    if (!this.#memory.loaded || !this.#engine.has("store")) throw new Error("the memory's store step is not ready: prepareMemory() first");
    this.#memory.hold(this.#engine.session, examples);
    this.#speed.unmeasured();
  }

  /** The example that memory row `row` holds (a recall's `nearest`), or null. @param {number} row */
  memoryExample(row) { return this.#memory.exampleAt(row); }

  // One fine-tuning step per batch ({x, y, noise}, see learning.js), then every prediction uses the weights learned, and
  // the memory computed again under them. Resolves to {losses, weights, backend}: the loss of the last step at least,
  // the weights, and the backend that computed them: WebGPU only where it learns within a frame per step or faster than
  // the CPU (auto mode), the CPU while WebGPU compiles its training pipelines.
  /** @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  train(batches) {
    const engine = this.#engine, learnsOn = this.#speed.learnsOn;
    if (engine.backend === "webgpu" && learnsOn !== "cpu" && !engine.has("train")) {
      this.#trainingCompiled ??= new SharedAttempt(() => this.#prepare(engine, "train").then(() => this.#speed.trainingReady()));
      this.#trainingCompiled.get().catch(() => {});  // tried again at the next training
    }
    if (engine.backend === "webgpu" && learnsOn === "webgpu" && engine.has("train")) {
      return this.#onEngine((current) => (current === engine ? this.#trainOnWebgpu(engine, batches) : this.#trainOnCpu(batches)));
    }
    return this.#trainOnCpu(batches);
  }

  /** @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  async #trainOnCpu(batches) {
    const { result, stepMs, current } = await this.#tuning.onCpu(this.#engine.shipped, batches);
    this.#speed.cpuStep(stepMs);
    if (current) this.#writeInto(this.#engine);
    return result;
  }

  /** @param {Engine} engine @param {TrainingBatch[]} batches @returns {Promise<TrainingResult>} */
  async #trainOnWebgpu(engine, batches) {
    const refill = (session) => { this.#memory.refill(session); this.#speed.unmeasured(); };
    const { result, stepMs } = await this.#tuning.onWebgpu(engine, batches, { refill });
    const slow = this.#speed.webgpuStep(stepMs);
    if (slow) this.#setNotice(texts.learningOnCpu(this.name, slow.webgpu, slow.cpu));
    return result;
  }

  // The person's weights ({name: Float32Array}, as train() gives them), or null for the shipped ones; the memory is
  // computed again under them, and the optimizer starts afresh at the next train().
  /** @param {import("../contracts.js").Weights | null} weights */
  setWeights(weights) {
    this.#tuning.set(weights);
    this.#writeInto(this.#engine);
  }

  // {name: Float32Array}: copies of the weights predict() uses now (all of them, or those named)
  /** @param {string[]} [names] @returns {Promise<import("../contracts.js").Weights>} */
  async readWeights(names) { return copyOf(this.#tuning.weightsOn(this.#engine), names); }

  // The person's weights and memory into `engine`'s session, queued before anything else runs there.
  /** @param {Engine} engine */
  async #putInto(engine) {
    if (this.#memory.loaded) await this.#prepare(engine, "store");
    this.#writeInto(engine);
  }

  /** @param {Engine} engine */
  #writeInto(engine) {
    engine.session.writeState(this.#tuning.weightsOn(engine));
    // a session without the store step yet is a new one (a lost device's), whose restore refills it once it has it
    if (engine.has("store")) this.#memory.refill(engine.session);
    this.#speed.unmeasured();
  }

  /** @param {Engine} engine */
  async #switchTo(engine) {
    await this.#putInto(engine);
    this.#engine = engine;  // in the same task as the writes: the engine that answers has the person's state
    this.#tuning.moved();
  }

  /** @param {import("../runtime/model_engines.js").GpuLostError} lost */
  async #fallBackToCpu(lost) {
    const cpu = this.#cpu ?? await cpuEngine(this.name).catch((error) => {
      throw new Error(texts.noCpuEither(lost.message, error.message), { cause: error });
    });
    this.#cpu = cpu;
    const gone = this.#engine;
    await this.#switchTo(cpu);
    gone.destroy();
    this.#leftWebgpu(texts.fellBackToCpu(lost.message));
  }

  /** @param {Engine} engine @param {Engine} cpu @param {import("./backend_speed.js").Times} times */
  #leaveSlowWebgpu(engine, cpu, times) {
    this.#switchTo(cpu).then(() => {
      retire(engine);
      this.#leftWebgpu(texts.predictionsOnCpu(this.name, times.webgpu, times.cpu));
    }, (error) => this.#setNotice(texts.couldNotMoveToCpu(this.name, error.message)));
  }

  /** @param {string} notice */
  #leftWebgpu(notice) {
    this.#speed.leftWebgpu();
    this.#trainingCompiled = null;
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
          const times = await this.#speed.probe(engine, this.#engine);
          if (times.fast) {
            await this.#switchTo(engine);
            moved = true;
          } else notice = texts.predictionsOnCpu(this.name, times.webgpu, times.cpu);
        } catch (error) {
          notice = texts.webgpuCouldNotRun(this.name, error.message);
        }
        if (!moved) engine.destroy();
      }
      this.pendingBackend = null;
      if (moved) this.dispatchEvent(new Event("backendchange")); else this.#setNotice(/** @type {string} */ (notice));
    });
  }
}

// @ts-check
// A classifier's fine-tuning: the person's weights (null: the shipped ones), and one teaching's steps on either backend,
// in the training worker on the CPU or in the engine's own session on WebGPU, with the optimizer's state kept on the
// backend that trained last (it starts afresh on a move, or when the weights are set from outside).
import { trainInWorker } from "../runtime/training_client.js";
import { initialState } from "../runtime/graph_io.js";
import { graphModule } from "../runtime/model_engines.js";

/** @typedef {import("../contracts.js").Backend} Backend */
/** @typedef {import("../contracts.js").ModelName} ModelName */
/** @typedef {import("../contracts.js").Session} Session */
/** @typedef {import("../contracts.js").Tensors} Tensors */
/** @typedef {import("../contracts.js").TrainingBatch} TrainingBatch */
/** @typedef {import("../contracts.js").TrainingResult} TrainingResult */
/** @typedef {import("../contracts.js").Weights} Weights */
/** @typedef {import("../runtime/model_engines.js").Engine} Engine */
/** @typedef {{ result: TrainingResult, stepMs: number, current: boolean }} Trained  current: no setWeights() since it began */

/** @param {Weights} weights @param {string[]} [names] @returns {Weights} copies, of those named */
export const copyOf = (weights, names = Object.keys(weights)) => Object.fromEntries(names.map((name) => [name, weights[name].slice()]));

export class FineTuning {
  #name;
  /** @type {Weights | null} */
  #weights = null;
  #epoch = 0;         // bumped by set(): a training begun before it does not set its result
  #fresh = true;      // the next training starts the optimizer afresh
  /** @type {Backend | null} */
  #optimizerOn = null;

  /** @param {ModelName} name */
  constructor(name) {
    this.#name = name;
  }

  /** The weights predictions use on `engine`: the person's, or its shipped ones. @param {Engine} engine */
  weightsOn(engine) { return this.#weights ?? engine.shipped; }

  /** The person's weights, or null for the shipped ones; the optimizer starts afresh. @param {Weights | null} weights */
  set(weights) {
    this.#epoch++;
    this.#fresh = true;
    this.#weights = weights;
  }

  /** Another engine answers: the optimizer starts afresh at the next training. */
  moved() { this.#fresh = true; }

  /** @param {Weights} shipped @param {TrainingBatch[]} batches @returns {Promise<Trained>} */
  async onCpu(shipped, batches) {
    const epoch = this.#epoch, fresh = this.#freshOn("cpu"), started = performance.now();
    const { losses, weights } = await trainInWorker(this.#name, copyOf(this.#weights ?? shipped), batches, fresh);
    const stepMs = (performance.now() - started) / batches.length, current = epoch === this.#epoch;
    if (current) this.#weights = weights;
    return { result: { losses, weights, backend: "cpu" }, stepMs, current };
  }

  // The steps, then the memory computed again under the new weights, all queued at once: no prediction sees the new
  // weights with the old rows.
  /** @param {Engine} engine @param {TrainingBatch[]} batches @param {{ refill: (session: Session) => void }} memory @returns {Promise<Trained>} */
  async onWebgpu(engine, batches, memory) {
    const epoch = this.#epoch, fresh = this.#freshOn("webgpu"), { graphs } = await graphModule(this.#name, "train");
    const session = engine.session, started = performance.now();
    if (fresh) session.writeState(initialState(graphs.webgpu));
    let last;
    for (const [i, batch] of batches.entries()) last = session.run("train", batch, { read: i === batches.length - 1 });
    memory.refill(session);
    const { loss } = /** @type {Tensors} */ (await last);
    const weights = await session.readState(Object.keys(engine.shipped));
    const stepMs = (performance.now() - started) / batches.length, current = epoch === this.#epoch;
    if (current) this.#weights = weights;
    return { result: { losses: [loss[0]], weights, backend: "webgpu" }, stepMs, current };
  }

  /** Whether the optimizer starts afresh for a training on `backend` (its state lives there). @param {Backend} backend */
  #freshOn(backend) {
    const fresh = this.#fresh || this.#optimizerOn !== backend;
    this.#fresh = false;
    this.#optimizerOn = backend;
    return fresh;
  }
}

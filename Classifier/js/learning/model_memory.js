// @ts-check
// One model's memory of the person's examples (digits/export/memory.py): which example each row of its state buffers
// holds, and the store steps that put them there. An example takes `copies` rows (a slot); the memory holds the newest
// examples that fit, example i of the person's in slot i modulo the number of slots, so that a full memory overwrites
// its oldest example. The rows are features under the weights in use: whenever those change, refill() computes every
// row again from the examples, queued in the session before any later prediction.
import { initialState } from "../runtime/graph_io.js";

/** @typedef {import("../contracts.js").Session} Session */
/** @typedef {import("../contracts.js").MemorySettings} MemorySettings */
/** @typedef {{ input: Float32Array, label: number }} Example */

/** @param {MemorySettings} settings */
export const slotsOf = (settings) => Math.floor(settings.capacity / settings.copies);

// The slots the newest examples of `examples` take: slot -> example, null where none.
/** @param {MemorySettings} settings @param {Example[]} examples @returns {(Example | null)[]} */
export function layout(settings, examples) {
  const slots = new Array(slotsOf(settings)).fill(null);
  for (let i = Math.max(0, examples.length - slots.length); i < examples.length; i++) slots[i % slots.length] = examples[i];
  return slots;
}

export class ModelMemory {
  #settings;
  #empty;  // the memory's state buffers, zero: what refill() starts from
  /** @type {(Example | null)[]} */
  #slots;
  #onError;

  /**
   * @param {MemorySettings} settings  the model's <name>.memory.js `memory`
   * @param {import("../contracts.js").Graph} graph  its store graph, for either target: the state it writes
   * @param {(error: Error) => void} onError  a store that failed (it runs in the background of a prediction)
   */
  constructor(settings, graph, onError) {
    this.#settings = settings;
    this.#empty = initialState(graph);
    this.#slots = layout(settings, []);
    this.#onError = onError;
  }

  get settings() { return this.#settings; }
  get slots() { return this.#slots.length; }
  get count() { return this.#slots.filter((example) => example !== null).length; }

  /** Whether the memory holds the newest of `examples` as it should. @param {Example[]} examples */
  holds(examples) {
    const wanted = layout(this.#settings, examples);
    return wanted.every((example, slot) => example === this.#slots[slot]);
  }

  // Makes the memory hold the newest of `examples`: the store steps of the examples it lacks, queued on `session` now
  // (which must have the store graph); all rows again when one it held is no longer among them (forgotten).
  /** @param {Session} session @param {Example[]} examples */
  hold(session, examples) {
    const wanted = layout(this.#settings, examples), kept = new Set(examples);
    const forgotten = this.#slots.some((example) => example !== null && !kept.has(example));
    const before = this.#slots;
    this.#slots = wanted;
    if (forgotten) return this.refill(session);
    wanted.forEach((example, slot) => { if (example !== null && example !== before[slot]) this.#store(session, example, slot); });
  }

  // Every row again, on `session` (new weights, or a new session): queued now, before any later run.
  /** @param {Session} session */
  refill(session) {
    session.writeState(this.#empty);
    this.#slots.forEach((example, slot) => { if (example !== null) this.#store(session, example, slot); });
  }

  /** The example whose copies row `row` holds, or null. @param {number} row @returns {Example | null} */
  exampleAt(row) {
    return row >= 0 ? this.#slots[Math.floor(row / this.#settings.copies)] ?? null : null;
  }

  /** @param {Session} session @param {Example} example @param {number} slot */
  #store(session, example, slot) {
    const inputs = { x: example.input, y: Int32Array.of(example.label), row: Int32Array.of(slot * this.#settings.copies) };
    session.run("store", inputs, { read: false }).catch(this.#onError);
  }
}

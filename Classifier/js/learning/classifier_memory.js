// @ts-check
// A classifier's part of the person's memory: the model's memory (model_memory.js), made once its store step's module
// is fetched (again after a failure), and nothing before that: no rows to fill, no example to give.
import { ModelMemory } from "./model_memory.js";
import { graphModule } from "../runtime/model_engines.js";
import { SharedAttempt } from "../runtime/shared_attempt.js";

/** @typedef {import("../contracts.js").ModelName} ModelName */
/** @typedef {import("../contracts.js").Session} Session */
/** @typedef {import("./model_memory.js").Example} Example */

export class ClassifierMemory {
  /** @type {ModelMemory | null} */
  #memory = null;
  /** @type {SharedAttempt<ModelMemory>} */
  #loading;

  /** @param {ModelName} name @param {(error: Error) => void} onError  a store that failed, in the background of a prediction */
  constructor(name, onError) {
    this.#loading = new SharedAttempt(() => graphModule(name, "store").then(({ memory, graphs }) => new ModelMemory(memory, graphs.wasm, onError)));
  }

  /** The model's memory, fetched once; from then on, what this part holds. @returns {Promise<ModelMemory>} */
  async load() {
    const memory = await this.#loading.get();
    this.#memory ??= memory;
    return memory;
  }

  get loaded() { return this.#memory !== null; }
  get settings() { return this.#memory?.settings ?? null; }
  get slots() { return this.#memory?.slots ?? null; }  // how many examples the memory holds at most
  get count() { return this.#memory?.count ?? 0; }      // how many it holds now

  /** Whether the memory holds the newest of `examples` as it should. @param {Example[]} examples */
  holds(examples) { return this.#memory ? this.#memory.holds(examples) : examples.length === 0; }

  /** The stores of the newest of `examples` queued on `session`; load() must have resolved. @param {Session} session @param {Example[]} examples */
  hold(session, examples) { /** @type {ModelMemory} */ (this.#memory).hold(session, examples); }

  /** Every row again on `session`, once there is a memory. @param {Session} session */
  refill(session) { this.#memory?.refill(session); }

  /** The example that memory row `row` holds (a recall's `nearest`), or null. @param {number} row */
  exampleAt(row) { return this.#memory?.exampleAt(row) ?? null; }
}

// @ts-check
// The page's classifiers: one load per model, started when it is first needed or merely wanted, and shared by every
// caller. A failed load stays failed, so that wanting the model again does not retry it at every hover, until the
// person chooses that model again (forgetFailed).

/** @typedef {import("../contracts.js").Classifier} Classifier */

export class ClassifierLoads {
  #load;
  #loads = new Map();  // model name -> {promise, failed}

  /** @param {(name: string) => Promise<Classifier>} load */
  constructor(load) {
    this.#load = load;
  }

  /** @param {string} name @returns {Promise<Classifier>} */
  get(name) {
    if (!this.#loads.has(name)) {
      const load = { failed: false, promise: this.#load(name) };
      // the failure itself is shown where the classifier is awaited; a load started by mere intent must stay quiet
      load.promise.catch(() => { load.failed = true; });
      this.#loads.set(name, load);
    }
    return this.#loads.get(name).promise;
  }

  /** Whether the load of `name` had failed; it is then forgotten, so that the next get() loads it anew. */
  forgetFailed(name) {
    if (!this.#loads.get(name)?.failed) return false;
    this.#loads.delete(name);
    return true;
  }
}

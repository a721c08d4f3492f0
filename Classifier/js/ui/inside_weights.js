// @ts-check
// The weights the inside-the-model panel shows (the CNN's filters, the MLP's first-layer patterns), read from the
// classifier once per model and per learning rather than at every prediction.

import { SHOWN_WEIGHTS } from "../models.js";
import { SharedAttempt } from "../runtime/shared_attempt.js";

/** @typedef {import("../contracts.js").Classifier} Classifier */
/** @typedef {import("../contracts.js").Weights} Weights */

export class InsideWeights {
  /** @type {{ name: string, weights: SharedAttempt<Weights> } | null} */
  #read = null;

  /** @param {Classifier} classifier @returns {Promise<Weights>} */
  of(classifier) {
    if (this.#read?.name !== classifier.name) {
      this.#read = { name: classifier.name, weights: new SharedAttempt(() => classifier.readWeights(SHOWN_WEIGHTS[classifier.name])) };
    }
    return this.#read.weights.get();
  }

  // The model learned: its weights changed.
  forget() {
    this.#read = null;
  }
}

// @ts-check
// The weights the inside-the-model panel shows (the CNN's filters, the MLP's first-layer patterns), read from the
// classifier once per model and per learning rather than at every prediction.

/** @typedef {import("./contracts.js").Classifier} Classifier */
/** @typedef {import("./contracts.js").Weights} Weights */

const SHOWN = { cnn: ["c1.weight", "c2.weight"], mlp: ["l1.weight"] };

export class InsideWeights {
  /** @type {{ name: string, weights: Promise<Weights> } | null} */
  #read = null;

  /** @param {Classifier} classifier @returns {Promise<Weights>} */
  of(classifier) {
    if (this.#read?.name === classifier.name) return this.#read.weights;
    const read = { name: classifier.name, weights: classifier.readWeights(SHOWN[classifier.name]) };
    read.weights.catch(() => { if (this.#read === read) this.#read = null; });  // read again next time
    this.#read = read;
    return read.weights;
  }

  // The model learned: its weights changed.
  forget() {
    this.#read = null;
  }
}

// @ts-check
// One classification of a model input: the prediction graph's outputs (the network's logits and the person's memory's
// part: recall), or with the inside of the model shown the explain graph's, which hold the same and what the panel
// shows from one computation; then the digit and its probabilities (softmax of the scores), and how long it took.
import { indexOfMax, softmax } from "./probabilities.js";

/**
 * @typedef {object} Classification
 * @property {number} digit
 * @property {number[]} probabilities
 * @property {import("../contracts.js").RecallOutputs} outputs
 * @property {import("../contracts.js").Backend} backend  the one that computed it
 * @property {number} milliseconds
 */

/**
 * @param {import("../contracts.js").Classifier} classifier
 * @param {Float32Array} input
 * @param {{ explain?: boolean }} [options]
 * @returns {Promise<Classification>}
 */
export async function classify(classifier, input, { explain = false } = {}) {
  const backend = classifier.backend;  // read before the call, which runs on the backend current at the call
  const started = performance.now();
  const outputs = explain ? await classifier.explain(input) : await classifier.recall(input);
  const milliseconds = performance.now() - started;
  const probabilities = softmax(outputs.scores);
  return { digit: indexOfMax(probabilities), probabilities, outputs, backend, milliseconds };
}

// The person's own example that a reading leaned on: the memory's row that matched the shown digit best, when the
// memory added to that digit's score; null otherwise. {example: {input, label}, similarity, exact: the similarity at
// which it is the same drawing}
/** @param {import("../contracts.js").Classifier} classifier @param {import("../contracts.js").RecallOutputs} outputs @param {number} digit */
export function leanedOn(classifier, outputs, digit) {
  const row = outputs.nearest[0], settings = classifier.memorySettings;
  if (row < 0 || !(outputs.bonus[digit] > 0) || !settings) return null;
  const example = classifier.memoryExample(row);
  return example && { example, similarity: outputs.similarity[0], exact: settings.exact };
}

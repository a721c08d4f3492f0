// @ts-check
// One classification of a model input: the classifier's logits, or with the inside of the model shown the explain
// graph's outputs, which hold the logits and what the panel shows from one computation; then the digit and its
// probabilities, and how long the model took.
import { indexOfMax, softmax } from "./probabilities.js";

/**
 * @typedef {object} Classification
 * @property {number} digit
 * @property {number[]} probabilities
 * @property {import("./contracts.js").Tensors & { logits: Float32Array }} outputs
 * @property {import("./contracts.js").Backend} backend  the one that computed it
 * @property {number} milliseconds
 */

/**
 * @param {import("./contracts.js").Classifier} classifier
 * @param {Float32Array} input
 * @param {{ explain?: boolean }} [options]
 * @returns {Promise<Classification>}
 */
export async function classify(classifier, input, { explain = false } = {}) {
  const backend = classifier.backend;  // read before predict(), which runs on the backend current at the call
  const started = performance.now();
  const outputs = explain ? await classifier.explain(input) : { logits: await classifier.predict(input) };
  const milliseconds = performance.now() - started;
  const probabilities = softmax(outputs.logits);
  return { digit: indexOfMax(probabilities), probabilities, outputs, backend, milliseconds };
}

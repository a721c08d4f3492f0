// @ts-check
// From a model's logits to what the page shows: probabilities, and the likeliest class.

/** @param {Float32Array | number[]} logits @returns {number[]} */
export function softmax(logits) {
  const largest = Math.max(...logits);  // subtracted, so that exp() cannot overflow
  const exponentials = Array.from(logits, (logit) => Math.exp(logit - largest));
  const total = exponentials.reduce((sum, value) => sum + value, 0);
  return exponentials.map((value) => value / total);
}

/** The index of the largest value, the first of equals. @param {ArrayLike<number>} values */
export function indexOfMax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

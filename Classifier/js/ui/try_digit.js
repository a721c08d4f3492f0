// @ts-check
// "Try a real digit": draws a real handwritten digit on the canvas, stroke by stroke at a human pace, from pen digits
// written by 30 people (data/pendigits-sample.json, exported from the repository's data/pendigits; UCI, CC BY 4.0).
// The page then reads it as if the person had drawn it, and the person can edit it.
import { SharedAttempt } from "../runtime/shared_attempt.js";

export const SAMPLE_URL = new URL("../../data/pendigits-sample.json", import.meta.url);
const HEIGHT = [0.5, 0.7];  // of the canvas side

// [{label, writer, strokes}], fetched once, when first wanted (again at the next press after a failure)
const sample = new SharedAttempt(async () => {
  let response;
  try { response = await fetch(SAMPLE_URL); } catch (error) {
    throw new Error(`could not download ${SAMPLE_URL}: ${error.message}`, { cause: error });
  }
  if (!response.ok) throw new Error(`could not download ${SAMPLE_URL}: HTTP ${response.status}`);
  const { digits } = await response.json().catch(() => ({}));
  if (!Array.isArray(digits) || !digits.length) throw new Error(`${SAMPLE_URL} holds no pen digits`);
  return digits;
});
export const loadSample = () => sample.get();

// A digit's tablet strokes (y down, box from 0, 0) as strokes of [x, y] in 0..1 of the canvas side: upright, its
// height a random share of HEIGHT, somewhere near the middle.
export function placed(digit, random = Math.random) {
  const points = digit.strokes.flat();
  const width = Math.max(...points.map(([x]) => x), 1), height = Math.max(...points.map(([, y]) => y), 1);
  const scale = Math.min((HEIGHT[0] + random() * (HEIGHT[1] - HEIGHT[0])) / height, 0.8 / width);
  const left = (1 - width * scale) / 2 + (random() - 0.5) * 0.1, top = (1 - height * scale) / 2 + (random() - 0.5) * 0.1;
  return digit.strokes.map((stroke) => stroke.map(([x, y]) => [left + x * scale, top + y * scale]));
}

let order = [];  // the sample's indices still to show, shuffled: every digit once before any comes again
export function nextDigit(digits, random = Math.random) {
  if (!order.length) {
    order = digits.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  }
  return digits[order.pop()];
}

// @ts-check
// window.digitPage, the page's hook for automation (benchmarks, tests, other tools): predict(x) resolves to what the
// page would show for model input x right now (the current model and backend, the learned weights, the memory), and
// input() to the model input of the drawing on the canvas (null when nothing is drawn).
import { INPUT_SIZE } from "../models.js";

/** @typedef {{ digit: number, probabilities: number[] }} Shown */

/** @param {unknown} x @returns {x is Float32Array} */
const isModelInput = (x) => x instanceof Float32Array && x.length === INPUT_SIZE && x.every((v) => v >= -1 && v <= 1);

/** @param {{ predict: (x: Float32Array) => Promise<Shown>, input: () => Promise<Float32Array | null> }} page */
export function installPageHook(page) {
  const hook = {
    /** @param {unknown} x */
    predict: async (x) => {
      if (!isModelInput(x)) throw new Error(`digitPage.predict(x): x must be a Float32Array of ${INPUT_SIZE} values in -1..1`);
      return page.predict(x.slice());
    },
    input: () => page.input(),
  };
  Object.defineProperty(window, "digitPage", { value: Object.freeze(hook), enumerable: true });
}

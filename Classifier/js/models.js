// @ts-check
// What every module of the page knows about the models: their names and labels, the backends they run on, and the
// shape of what they read and give. The other modules take these from here instead of repeating them.

/** @typedef {import("./contracts.js").ModelName} ModelName */
/** @typedef {import("./contracts.js").Backend} Backend */
/** @typedef {import("./contracts.js").BackendChoice} BackendChoice */

/** @type {readonly ModelName[]} */
export const MODEL_NAMES = ["mlp", "cnn"];
/** @type {ModelName} */
export const DEFAULT_MODEL = "mlp";
/** @type {Readonly<Record<ModelName, string>>} */
export const MODEL_LABELS = { mlp: "MLP", cnn: "CNN" };

// "auto": the CPU answers while WebGPU is prepared, then WebGPU does, or the CPU goes on where WebGPU cannot run
/** @type {readonly BackendChoice[]} */
export const BACKEND_CHOICES = ["auto", "webgpu", "cpu"];
/** @type {BackendChoice} */
export const DEFAULT_BACKEND = "auto";
/** @type {Readonly<Record<Backend, string>>} */
export const BACKEND_LABELS = { webgpu: "WebGPU", cpu: "CPU" };

// A model reads INPUT_SIDE x INPUT_SIDE pixels, row-major, in -1..1 (background -1, ink +1), and gives one logit per
// digit.
export const INPUT_SIDE = 28;
export const INPUT_SIZE = INPUT_SIDE * INPUT_SIDE;
export const CLASS_COUNT = 10;

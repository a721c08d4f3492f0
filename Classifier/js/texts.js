// @ts-check
// The sentences the page says to the person about what happens beneath it (notices, warnings), in one place: the logic
// modules decide and carry the facts (a model, a time, an error's message), and take their words from here, so that one
// thing is said one way. What a view shows of its own (labels, captions) stays with the view.
import { MODEL_LABELS } from "./models.js";
import { formatDuration } from "./runtime/clock.js";

/** @typedef {import("./contracts.js").ModelName} ModelName */

const SAME_RESULTS = "the same results, a little slower";
/** @param {string} text */
const sentence = (text) => text[0].toUpperCase() + text.slice(1);

// ---------------------------------------------------------------- WebGPU and the CPU

export const NO_WEBGPU = "this browser has no WebGPU";
export const NO_ADAPTER = "WebGPU found no usable graphics adapter";
/** @param {string} message */
export const noDevice = (message) => `WebGPU could not open a device (${message})`;
/** @param {string} reason why there is no GPU device (one of the above) */
export const gpuLost = (reason) => `the GPU was lost and ${reason}`;

/** @param {string} reason */
export const webgpuUnavailable = (reason) => `WebGPU is not available: ${reason}`;
/** @param {string} reason */
export const onCpuWithoutWebgpu = (reason) =>
  `WebGPU is not available (${reason}), so the digits are recognised on the CPU: ${SAME_RESULTS}.`;
/** @param {ModelName} model @param {string} message */
export const webgpuCouldNotRun = (model, message) =>
  `WebGPU could not run the ${MODEL_LABELS[model]} model (${message}), so it runs on the CPU: ${SAME_RESULTS}.`;
/** @param {ModelName} model @param {string} message */
export const webgpuAlone = (model, message) => `The ${MODEL_LABELS[model]}'s CPU path could not be loaded (${message}), so it runs on WebGPU alone.`;
/** @param {string} lost the GpuLostError's message */
export const fellBackToCpu = (lost) => `${sentence(lost)}, so the digits are recognised on the CPU: the same results.`;
/** @param {string} lost the GpuLostError's message @param {string} message */
export const noCpuEither = (lost, message) => `${sentence(lost)}, and the CPU path could not be loaded either (${message})`;
/** @param {ModelName} model @param {string} message */
export const couldNotMoveToCpu = (model, message) => `The ${MODEL_LABELS[model]} could not move to the CPU (${message}).`;

/** Why predictions stay on the CPU. @param {ModelName} name @param {number} webgpu @param {number} cpu in ms */
export function predictionsOnCpu(name, webgpu, cpu) {
  const model = MODEL_LABELS[name];
  return `WebGPU took ${formatDuration(webgpu)} to read a digit with the ${model} here, more than a frame, and the CPU ` +
    `${formatDuration(cpu)}, so the ${model} runs on the CPU: the same results, sooner.`;
}

/** Why learning stays on the CPU. @param {ModelName} name @param {number} webgpu @param {number} cpu in ms */
export function learningOnCpu(name, webgpu, cpu) {
  const model = MODEL_LABELS[name];
  return `A WebGPU training step of the ${model} took ${formatDuration(webgpu)} here, more than a frame, and one on the CPU ` +
    `${formatDuration(cpu)}, so the ${model} learns your digits on the CPU.`;
}

// ---------------------------------------------------------------- the person's digits

/** @param {ModelName} model @param {string} message */
export const couldNotRemember = (model, message) => `The ${MODEL_LABELS[model]} could not remember your digit (${message}).`;
/** @param {ModelName} model @param {string} message @param {boolean} finetunes */
export const cannotRemember = (model, message, finetunes) => `The ${MODEL_LABELS[model]} cannot remember your digits (${message}): ` +
  (finetunes ? "it learns them by fine-tuning alone." : "it reads them as shipped.");

export const STORE_BLOCKED = "Another tab holds this page's saved digits open in an older version: close it, and your digits come back " +
  "here. Until then, what you teach is kept for this visit only.";
export const STORE_TAKEN = "This page opened in a newer version in another tab, so what you teach here is kept for this visit only: " +
  "reload this tab to go on with the newer one.";
export const STORE_CLOSED = "a newer version of this page opened in another tab";
export const FULL_STORAGE = "its storage for this page is full";
/** @param {string} message */
export const cannotKeep = (message) => `Your digits cannot be kept in this browser (${message}): what the page learns lasts until you leave.`;
export const UNKNOWN_FORMAT = "The saved digits were in an unknown format, so they were discarded.";
export const DAMAGED_EXAMPLES = "Your saved digits were damaged, so they were discarded and the shipped models are used.";
/** @param {string} problem a writeProblem */
export const digitNotKept = (problem) => `This browser did not keep your digit (${problem}): the page uses it until you leave.`;
/** @param {ModelName} model @param {string} problem a writeProblem */
export const weightsNotKept = (model, problem) => `The ${MODEL_LABELS[model]}'s learned weights were not kept in this browser (${problem}): ` +
  "at your next visit it learns your digits again.";
export const FORGOTTEN_ELSEWHERE = "Your digits were forgotten in another tab of this page.";
/** @param {string} message */
export const otherTabUnread = (message) => `The digits taught in another tab could not be read (${message}); they join this tab after a reload.`;

/**
 * Why a saved model cannot be used, as recordProblem (personal_store.js) finds it.
 * @typedef {{ kind: "format" } | { kind: "version", version: unknown } | { kind: "damaged" } | { kind: "forgotten" }} RecordProblem
 */

/** @param {ModelName} model @param {RecordProblem} problem @param {boolean} learnsAgain */
export function savedModelDiscarded(model, problem, learnsAgain) {
  const why = {
    format: () => "was saved in another format",
    version: () => `was learned from other shipped weights (version ${"version" in problem ? problem.version : ""})`,
    damaged: () => "was damaged",
    forgotten: () => "had learned digits that were forgotten since",
  }[problem.kind]();
  return `Your saved ${MODEL_LABELS[model]} model ${why}, so it was discarded: the ${MODEL_LABELS[model]} model starts from its ` +
    `shipped weights${learnsAgain ? " and learns your digits again." : "."}`;
}

// ---------------------------------------------------------------- versions of the site (offline.js)

export const NEW_VERSION_READY = "A new version of this page is ready: it opens once this page is closed (in every tab) and opened again.";
export const NEW_VERSION_TAKEN_OVER = "This page was updated to its new version.";

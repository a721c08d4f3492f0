// @ts-check
// What the page shows of the prediction: #prediction (data-digit, data-confidence, data-model, data-seq, data-busy),
// the histogram's bars ([data-digit] with data-probability and data-winner), the model input as the model sees it,
// the line saying how long it took, and the sentence announced to screen readers once the prediction settles.
import { elements } from "./page_elements.js";
import { BACKEND_LABELS, CLASS_COUNT, INPUT_SIDE, INPUT_SIZE, MODEL_LABELS } from "../models.js";
import { formatDuration } from "../runtime/clock.js";

/** @typedef {import("../contracts.js").ModelName} ModelName */

const EMPTY_HINT = elements.confidence.textContent;  // shown where the confidence goes while nothing is drawn
let seq = 0;  // data-seq: one more at every prediction shown, so that a reader can tell a new one from the last

const formatPercent = (probability) => `${(100 * probability).toFixed(2)}%`;

/** The ten bars, empty, and the model the first prediction will come from. @param {ModelName} model */
export function showInitial(model) {
  for (let digit = 0; digit < CLASS_COUNT; digit++) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = String(digit);
    bar.tabIndex = 0;  // focusable, so that keyboard users can read the exact percentage too
    bar.setAttribute("role", "img");
    bar.innerHTML = `<span class="bar-track"><span class="bar-fill"></span></span>
      <span class="bar-label">${digit}</span><span class="bar-value"></span>`;
    elements.histogram.append(bar);
  }
  showProbabilities(new Array(CLASS_COUNT).fill(0), "");
  elements.prediction.dataset.model = model;
}

// Set synchronously by every change, so that data-busy is "true" before the handler of that change returns.
export function showBusy() {
  elements.prediction.dataset.busy = "true";
}

// Announced once the prediction has settled, not at each intermediate one while drawing.
export function showSettled() {
  elements.prediction.dataset.busy = "false";
  const { digit, confidence } = elements.prediction.dataset;
  elements.announcer.textContent = digit === "" ? "The drawing is empty." :
    `Predicted ${digit}, ${formatPercent(Number(confidence))} confident.`;
}

/**
 * Shows `digit` of `model` with its probabilities and the model input it came from; returns its data-seq.
 * @param {{ model: ModelName, digit: number, probabilities: number[], input: Float32Array }} prediction
 */
export function showPrediction({ model, digit, probabilities, input }) {
  return show({ model, digit: String(digit), confidence: probabilities[digit], probabilities, input });
}

/** @param {ModelName} model */
export function showEmpty(model) {
  show({ model, digit: "", confidence: null, probabilities: new Array(CLASS_COUNT).fill(0), input: null });
  elements.inferenceInfo.textContent = "";
}

/** @param {ModelName} model @param {import("../contracts.js").Backend} backend */
export function showTiming(model, backend, milliseconds) {
  elements.inferenceInfo.textContent = `${formatDuration(milliseconds)} · ${MODEL_LABELS[model]} on ${BACKEND_LABELS[backend]}`;
}

function show({ model, digit, confidence, probabilities, input }) {
  Object.assign(elements.prediction.dataset, {
    digit,
    confidence: confidence === null ? "" : String(confidence),
    model,
    seq: String(++seq),
  });
  elements.digit.textContent = digit;
  elements.confidence.textContent = confidence === null ? EMPTY_HINT : `${formatPercent(confidence)} confident`;
  showProbabilities(probabilities, digit);
  drawModelInput(input);
  return seq;
}

function showProbabilities(probabilities, winner) {
  for (const bar of /** @type {HTMLCollectionOf<HTMLElement>} */ (elements.histogram.children)) {
    const probability = probabilities[Number(bar.dataset.digit)];
    const label = `${bar.dataset.digit}: ${formatPercent(probability)}`;
    bar.dataset.probability = String(probability);
    bar.dataset.winner = String(bar.dataset.digit === winner);
    bar.style.setProperty("--probability", String(probability));
    bar.title = label;
    bar.setAttribute("aria-label", `Digit ${label}`);
    /** @type {HTMLElement} */ (bar.querySelector(".bar-value")).textContent = formatPercent(probability);
  }
}

const drawModelInput = (input) => paintModelInput(elements.inputPreview, input);

// A model input, -1 (background) .. +1 (ink), or null for none, as dark ink on light paper, like the canvas; the
// inside-the-model panel shows the person's own examples the same way.
/** @param {HTMLCanvasElement} canvas @param {ArrayLike<number> | null} input */
export function paintModelInput(canvas, input) {
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  const image = context.createImageData(INPUT_SIDE, INPUT_SIDE);
  for (let i = 0; i < INPUT_SIZE; i++) {
    const ink = input === null ? 0 : (input[i] + 1) / 2;
    const shade = 255 * (1 - ink);  // the clamped pixel array rounds and clips it
    image.data.set([shade, shade, shade, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

// @ts-check
// The elements of index.html that the page's modules use, looked up once: what the views write into, what the
// controls are, and the canvas and inside-the-model panel that app.js hands to their components. The teaching panel
// (personal_panel.js) looks up its own.

const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const buttons = (selector) => /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll(selector)]);

export const elements = {
  status: byId("status"),
  loadProgress: /** @type {HTMLProgressElement} */ (byId("load-progress")),
  notice: byId("notice"),
  error: byId("error"),
  canvasFrame: /** @type {HTMLElement} */ (document.querySelector(".canvas-frame")),
  canvas: /** @type {HTMLCanvasElement} */ (byId("canvas")),
  toolButtons: buttons("button[data-tool]"),
  modelButtons: buttons("button[data-model]"),
  undoButton: byId("undo-button"),
  clearButton: byId("clear-button"),
  prediction: byId("prediction"),
  digit: /** @type {HTMLElement} */ (document.querySelector("#prediction .predicted-digit")),
  confidence: /** @type {HTMLElement} */ (document.querySelector("#prediction .confidence")),
  inputPreview: /** @type {HTMLCanvasElement} */ (byId("input-preview")),
  histogram: byId("histogram"),
  inferenceInfo: byId("inference-info"),
  announcer: byId("announcer"),
  tryDigit: byId("try-digit"),
  tryInfo: byId("try-info"),
  insideToggle: byId("inside-toggle"),
  inside: byId("inside"),
};

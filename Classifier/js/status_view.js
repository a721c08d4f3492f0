// @ts-check
// What the page says about itself rather than about the drawing: the status line (#status: data-state, data-backend,
// data-next-backend), the error (#error) and the notices (#notice), each notice shown once however often it comes.
import { elements } from "./page_elements.js";
import { BACKEND_LABELS, MODEL_LABELS } from "./models.js";

/** @typedef {import("./contracts.js").Classifier} Classifier */

const notices = new Set();

/** @param {"loading" | "ready" | "error"} state */
function setStatus(state, text) {
  elements.status.dataset.state = state;
  elements.status.textContent = text;
}

/** @param {import("./contracts.js").ModelName} name */
export function showLoading(name) {
  setStatus("loading", `Loading the ${MODEL_LABELS[name]} model…`);
}

/** @param {Classifier} classifier */
export function showReady({ name, backend, pendingBackend }) {
  elements.error.hidden = true;
  elements.status.dataset.backend = backend;
  elements.status.dataset.nextBackend = pendingBackend ?? "";
  const pending = pendingBackend ? ` (starting ${BACKEND_LABELS[pendingBackend]}…)` : "";
  setStatus("ready", `${MODEL_LABELS[name]} ready · ${BACKEND_LABELS[backend]}${pending}`);
}

/** @param {unknown} error */
export function showError(error) {
  elements.error.textContent = error instanceof Error ? error.message : String(error);
  elements.error.hidden = false;
  setStatus("error", "Error");
}

/** @param {string} text */
export function addNotice(text) {
  notices.add(text);
  showNotices();
}

// A notice that no longer holds (what it asked for was done) goes.
/** @param {string} text */
export function removeNotice(text) {
  notices.delete(text);
  showNotices();
}

function showNotices() {
  elements.notice.textContent = [...notices].join("\n");
  elements.notice.hidden = notices.size === 0;
}

// An error that nothing caught would otherwise leave the page silently stuck.
export function showUncaughtErrors() {
  window.addEventListener("error", (event) => showError(event.error ?? event.message));
  window.addEventListener("unhandledrejection", (event) => showError(event.reason));
}

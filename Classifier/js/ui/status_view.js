// @ts-check
// What the page says about itself rather than about the drawing: the status line (#status: data-state, data-backend,
// data-next-backend; data-loaded and data-total, the bytes of the model's files arrived and in all, with the bar
// #load-progress while it loads), the error (#error) and the notices (#notice), each notice shown once however often
// it comes.
import { elements } from "./page_elements.js";
import { BACKEND_LABELS, MODEL_LABELS } from "../models.js";

/** @typedef {import("../contracts.js").Classifier} Classifier */

const notices = new Set();
let loadingModel = "";  // the model that the status says is loading, or was last

/** @param {"loading" | "ready" | "error"} state */
function setStatus(state, text) {
  elements.status.dataset.state = state;
  elements.status.textContent = text;
}

/** @param {import("../contracts.js").ModelName} name */
export function showLoading(name) {
  loadingModel = name;
  setStatus("loading", `Loading the ${MODEL_LABELS[name]} model…`);
  showProgressOf(name);
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
/** @type {Map<string, Map<string, { loaded: number, total: number | null }>>} model name -> URL -> bytes of its files */
const arrived = new Map();

// One more chunk of a file: shown if it is one of the files (<name>/<name>.*) of the model loading.
/** @param {import("../runtime/download_progress.js").DownloadProgress} progress */
export function showArrived({ url, loaded, total }) {
  const name = new URL(url).pathname.split("/").at(-2) ?? "";
  if (!arrived.has(name)) arrived.set(name, new Map());
  arrived.get(name)?.set(url, { loaded, total });
  if (name === loadingModel && elements.status.dataset.state === "loading") showProgressOf(name);
}

/** @param {string} name */
function showProgressOf(name) {
  const files = [...(arrived.get(name) ?? new Map()).values()];
  const loaded = files.reduce((sum, file) => sum + file.loaded, 0);
  showProgress(loaded, files.reduce((sum, file) => sum + (file.total ?? file.loaded), 0));
}

// How much of the model's files has arrived; a total of 0: not known yet.
/** @param {number} loaded @param {number} total */
function showProgress(loaded, total) {
  Object.assign(elements.status.dataset, { loaded: String(loaded), total: String(total) });
  const bar = elements.loadProgress;
  if (total > 0) {
    bar.max = total;
    bar.value = Math.min(loaded, total);
  } else bar.removeAttribute("value");  // indeterminate
  bar.setAttribute("aria-valuetext", total > 0 ? `${megabytes(loaded)} of ${megabytes(total)}` : `${megabytes(loaded)} so far`);
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

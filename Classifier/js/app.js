// UI wiring: connects the drawing surface, the preprocessing and the classifiers to the page, and keeps the
// automation hooks (#prediction, #histogram [data-digit], #status, aria-pressed) in step with what is shown.
import { DrawingSurface } from "./drawing.js";
import { BACKEND_CHOICES, BACKEND_LABELS, CLASS_COUNT, DEFAULT_BACKEND, DEFAULT_MODEL, INPUT_SIDE, MODEL_LABELS, MODEL_NAMES } from "./models.js";

const page = {
  status: document.getElementById("status"),
  notice: document.getElementById("notice"),
  error: document.getElementById("error"),
  canvasFrame: document.querySelector(".canvas-frame"),
  canvas: document.getElementById("canvas"),
  toolButtons: [...document.querySelectorAll("button[data-tool]")],
  modelButtons: [...document.querySelectorAll("button[data-model]")],
  undoButton: document.getElementById("undo-button"),
  clearButton: document.getElementById("clear-button"),
  prediction: document.getElementById("prediction"),
  digit: document.querySelector("#prediction .predicted-digit"),
  confidence: document.querySelector("#prediction .confidence"),
  inputPreview: document.getElementById("input-preview"),
  histogram: document.getElementById("histogram"),
  inferenceInfo: document.getElementById("inference-info"),
  announcer: document.getElementById("announcer"),
  tryDigit: document.getElementById("try-digit"),
  tryInfo: document.getElementById("try-info"),
  insideToggle: document.getElementById("inside-toggle"),
  inside: document.getElementById("inside"),
};

const EMPTY_HINT = page.confidence.textContent;  // Shown where the confidence goes while nothing is drawn.
const notices = new Set();
const options = readOptions(new URLSearchParams(location.search));
const state = { model: options.model, seq: 0 };
// At most one inference runs at a time; changes made meanwhile only ask for one more run on the latest drawing.
const inference = { running: false, rerunNeeded: false };
const classifierLoads = new Map();  // model name -> {promise, failed}

window.addEventListener("error", (event) => showError(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

// Imported on demand instead of statically: a module that is missing or broken then shows as an error on the
// page, where a failed static import would silently leave a dead page.
const code = {
  preprocess: importModule("./preprocess.js"),
  classifier: importModule("./classifier.js"),
  learner: importModule("./learner.js"),
  panel: importModule("./personal_panel.js"),
  inside: importModule("./inside_panel.js"),
  tryDigit: importModule("./try_digit.js"),
};
// The inside-the-model panel (null until its module is in); insideWeights caches the weights it shows, per learning.
const inside = { panel: null, weights: null, learned: 0 };
const drawing = new DrawingSurface(page.canvas, { onChange: onDrawingChange });
// What the page has learned of the person, restored from this browser before any model answers; never rejects: without
// it the page still classifies.
const learning = openLearner();
buildHistogram();
wireControls();
showPressed(page.modelButtons, (button) => button.dataset.model === state.model);
page.prediction.dataset.model = state.model;
showModelStatus(state.model);

function readOptions(query) {
  const choose = (key, choices, fallback) => {
    const value = query.get(key);
    if (value === null || choices.includes(value)) return value ?? fallback;
    addNotice(`Unknown ${key} "${value}" in the address; using "${fallback}" (choices: ${choices.join(", ")}).`);
    return fallback;
  };
  return { model: choose("model", MODEL_NAMES, DEFAULT_MODEL), backend: choose("backend", BACKEND_CHOICES, DEFAULT_BACKEND) };
}

function importModule(path) {
  const url = new URL(path, import.meta.url);
  const module = import(url).catch((error) => { throw new Error(`Could not load ${url}: ${error.message}`); });
  module.catch(showError);  // Shown at once, not only when the module is first needed.
  return module;
}

function wireControls() {
  for (const button of page.toolButtons) button.addEventListener("click", () => selectTool(button.dataset.tool));
  for (const button of page.modelButtons) {
    button.addEventListener("click", () => selectModel(button.dataset.model));
    // The other model is downloaded only once the person shows they may want it, so a visit that never switches
    // fetches one model; pointing at or focusing the button usually gives it a head start before the click.
    for (const intent of ["pointerenter", "focus", "pointerdown"]) {
      button.addEventListener(intent, () => classifierFor(button.dataset.model));
    }
  }
  page.undoButton.addEventListener("click", () => drawing.undo());
  page.tryDigit.addEventListener("click", tryRealDigit);
  for (const intent of ["pointerenter", "focus"]) {
    page.tryDigit.addEventListener(intent, () => code.tryDigit.then(({ loadSample }) => loadSample()).catch(() => {}));
  }
  code.inside.then(({ InsidePanel }) => {
    inside.panel = new InsidePanel(page.inside, page.insideToggle, (open) => { if (open) requestClassification(); });
  });
  page.clearButton.addEventListener("click", () => drawing.clear());
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      drawing.undo();
    }
  });
}

function selectTool(tool) {
  drawing.setTool(tool);
  showPressed(page.toolButtons, (button) => button.dataset.tool === tool);
}

// Pressing the active model again does nothing, unless its load failed: then it is a retry.
function selectModel(name) {
  const retrying = forgetFailedLoad(name);
  if (name === state.model && !retrying) return;
  state.model = name;
  showPressed(page.modelButtons, (button) => button.dataset.model === name);
  requestClassification();
  showModelStatus(name);
  learning.then(({ panel }) => panel?.show());
}

function onDrawingChange(strokes) {
  page.canvasFrame.dataset.empty = String(strokes.length === 0);
  requestClassification();
  learning.then(({ panel }) => panel?.show());
}

async function openLearner() {
  try {
    const [{ Learner }, { PersonalPanel }] = await Promise.all([code.learner, code.panel]);
    const { learner, notices } = await Learner.open();
    notices.forEach(addNotice);
    const panel = new PersonalPanel(learner, {
      model: () => state.model,
      drawn: () => drawing.strokes.length > 0,
      input: async () => (await code.preprocess).toModelInput(drawing.strokes),
      classifierFor,
      onLearned: (name) => {
        inside.learned++;  // the filters and weight patterns shown come from the weights, which changed
        if (name === state.model && drawing.strokes.length > 0) requestClassification();
      },
      notify: addNotice,
    });
    return { learner, panel };
  } catch (error) {
    showError(error);
    return { learner: null, panel: null };
  }
}

// Draws a real pen digit on a cleared canvas at a human pace; the page reads it as it goes, as for a drawing.
async function tryRealDigit() {
  try {
    const { loadSample, nextDigit, placed } = await code.tryDigit;
    const digit = nextDigit(await loadSample());
    drawing.clear();
    page.tryInfo.textContent = `Drawing a real ${digit.label}, handwritten by writer ${digit.writer} of the UCI pen digits…`;
    await drawing.play(placed(digit));
    page.tryInfo.textContent = `A real ${digit.label}, handwritten by writer ${digit.writer} of the UCI pen digits (CC BY 4.0). ` +
      "Edit it with the pen, eraser and undo.";
  } catch (error) {
    addNotice(`No real digit to try: ${error.message}`);
  }
}

// The weights that the inside panel shows as filters or patterns, read once per model and learning.
function insideWeights(classifier) {
  const key = `${classifier.name} ${inside.learned}`;
  if (inside.weights?.key !== key) {
    const names = classifier.name === "cnn" ? ["c1.weight", "c2.weight"] : ["l1.weight"];
    inside.weights = { key, promise: classifier.readWeights(names) };
    inside.weights.promise.catch(() => { inside.weights = null; });
  }
  return inside.weights.promise;
}

// The classifier takes what it has learned of the person (or the learner says why that was discarded).
async function withPersonalWeights(classifier) {
  const { learner } = await learning;
  const notice = learner?.adopt(classifier);
  if (notice) addNotice(notice);
  return classifier;
}

function classifierFor(name) {
  if (!classifierLoads.has(name)) {
    const loading = code.classifier.then(({ loadClassifier }) => loadClassifier(name, { backend: options.backend }));
    const load = { failed: false, promise: loading.then(withPersonalWeights).then(followBackend) };
    // The failure itself is shown where the classifier is awaited; a load started by mere intent must stay quiet.
    load.promise.catch(() => { load.failed = true; });
    classifierLoads.set(name, load);
  }
  return classifierLoads.get(name).promise;
}

function forgetFailedLoad(name) {
  if (!classifierLoads.get(name)?.failed) return false;
  classifierLoads.delete(name);
  return true;
}

// In "auto" mode a classifier answers on the CPU while its WebGPU model is prepared, then moves to WebGPU or, if that
// fails, stays on the CPU with a notice saying why.
function followBackend(classifier) {
  classifier.addEventListener("backendchange", () => onBackendChange(classifier));
  classifier.addEventListener("notice", () => {
    addNotice(classifier.notice);
    if (classifier.name === state.model) showReady(classifier);
  });
  return classifier;
}

function onBackendChange(classifier) {
  if (classifier.name !== state.model) return;
  showReady(classifier);
  // What is shown came from the previous backend: computed again, it comes from the one the status names.
  if (drawing.strokes.length > 0) requestClassification();
}

async function showModelStatus(name) {
  setStatus("loading", `Loading the ${MODEL_LABELS[name]} model…`);
  try {
    const classifier = await classifierFor(name);
    if (name !== state.model) return;
    if (classifier.notice) addNotice(classifier.notice);
    showReady(classifier);
  } catch (error) {
    if (name === state.model) showError(error);
  }
}

// Called synchronously by every change, so data-busy is "true" before the handler returns.
function requestClassification() {
  page.prediction.dataset.busy = "true";
  if (inference.running) {
    inference.rerunNeeded = true;
    return;
  }
  classifyUntilCurrent();
}

async function classifyUntilCurrent() {
  inference.running = true;
  do {
    inference.rerunNeeded = false;
    await classifyLatestDrawing();
  } while (inference.rerunNeeded);
  inference.running = false;
  page.prediction.dataset.busy = "false";
  announcePrediction();
}

async function classifyLatestDrawing() {
  try {
    const { toModelInput } = await code.preprocess;
    const modelName = state.model;
    const input = toModelInput(drawing.strokes);
    if (input === null) return showEmptyPrediction(modelName);
    const classifier = await classifierFor(modelName);
    const backend = classifier.backend;  // read before predict(), which runs on the backend current at the call
    const explaining = inside.panel?.open && prepareInside(classifier);
    const started = performance.now();
    // with the panel open, the explain graph gives the logits and what the panel shows in one computation
    const outputs = explaining ? await classifier.explain(input) : { logits: await classifier.predict(input) };
    const milliseconds = performance.now() - started;
    const probabilities = softmax(outputs.logits);
    const digit = indexOfMax(probabilities);
    showResult({ digit: String(digit), confidence: probabilities[digit], modelName, probabilities, input });
    if (explaining) inside.panel.show(modelName, state.seq, outputs, input, await insideWeights(classifier));
    page.inferenceInfo.textContent = `${milliseconds.toFixed(1)} ms · ${MODEL_LABELS[modelName]} on ${BACKEND_LABELS[backend]}`;
    if (modelName === state.model) showReady(classifier);
  } catch (error) {
    showError(error);
  }
}

// Whether the classifier can explain now; if not, its explain graph is fetched and compiled, then the drawing read again.
function prepareInside(classifier) {
  if (classifier.canExplain) return true;
  inside.panel.showNote("Fetching what the model computes inside…");
  const showProblem = (error) => inside.panel.showNote(`The inside of the model cannot be shown: ${error.message}`);
  classifier.prepareExplain().then(requestClassification, showProblem);
  return false;
}

function showEmptyPrediction(modelName) {
  inside.panel?.showNote("Draw a digit, or try a real one, to see inside the model.");
  showResult({ digit: "", confidence: null, modelName, probabilities: new Array(CLASS_COUNT).fill(0), input: null });
  page.inferenceInfo.textContent = "";
}

function showResult({ digit, confidence, modelName, probabilities, input }) {
  Object.assign(page.prediction.dataset, {
    digit,
    confidence: confidence === null ? "" : String(confidence),
    model: modelName,
    seq: String(++state.seq),
  });
  page.digit.textContent = digit;
  page.confidence.textContent = confidence === null ? EMPTY_HINT : `${formatPercent(confidence)} confident`;
  showProbabilities(probabilities, digit);
  drawModelInput(input);
}

function buildHistogram() {
  for (let digit = 0; digit < CLASS_COUNT; digit++) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = String(digit);
    bar.tabIndex = 0;  // Focusable, so keyboard users can read the exact percentage too.
    bar.setAttribute("role", "img");
    bar.innerHTML = `<span class="bar-track"><span class="bar-fill"></span></span>
      <span class="bar-label">${digit}</span><span class="bar-value"></span>`;
    page.histogram.append(bar);
  }
  showProbabilities(new Array(CLASS_COUNT).fill(0), "");
}

function showProbabilities(probabilities, winner) {
  for (const bar of page.histogram.children) {
    const probability = probabilities[Number(bar.dataset.digit)];
    const label = `${bar.dataset.digit}: ${formatPercent(probability)}`;
    bar.dataset.probability = String(probability);
    bar.dataset.winner = String(bar.dataset.digit === winner);
    bar.style.setProperty("--probability", probability);
    bar.title = label;
    bar.setAttribute("aria-label", `Digit ${label}`);
    bar.querySelector(".bar-value").textContent = formatPercent(probability);
  }
}

// The model input is -1 (background) .. +1 (ink); it is shown as dark ink on light paper, like the canvas.
function drawModelInput(input) {
  const context = page.inputPreview.getContext("2d");
  const image = context.createImageData(INPUT_SIDE, INPUT_SIDE);
  for (let i = 0; i < INPUT_SIDE * INPUT_SIDE; i++) {
    const ink = input === null ? 0 : (input[i] + 1) / 2;
    const shade = 255 * (1 - ink);  // The clamped pixel array rounds and clips it.
    image.data.set([shade, shade, shade, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

// Announced once the prediction has settled, not on each intermediate one while drawing.
function announcePrediction() {
  const { digit, confidence } = page.prediction.dataset;
  page.announcer.textContent = digit === "" ? "The drawing is empty." :
    `Predicted ${digit}, ${formatPercent(Number(confidence))} confident.`;
}

function showReady(classifier) {
  const { name, backend, pendingBackend } = classifier;
  page.error.hidden = true;
  page.status.dataset.backend = backend;
  page.status.dataset.nextBackend = pendingBackend ?? "";
  const pending = pendingBackend ? ` (starting ${BACKEND_LABELS[pendingBackend]}…)` : "";
  setStatus("ready", `${MODEL_LABELS[name]} ready · ${BACKEND_LABELS[backend]}${pending}`);
}

function showError(error) {
  page.error.textContent = error instanceof Error ? error.message : String(error);
  page.error.hidden = false;
  setStatus("error", "Error");
}

function setStatus(statusState, text) {
  page.status.dataset.state = statusState;
  page.status.textContent = text;
}

function addNotice(text) {
  notices.add(text);
  page.notice.textContent = [...notices].join("\n");
  page.notice.hidden = false;
}

function showPressed(buttons, isPressed) {
  for (const button of buttons) button.setAttribute("aria-pressed", String(isPressed(button)));
}

function softmax(logits) {
  const largest = Math.max(...logits);  // Subtracted so that exp() cannot overflow.
  const exponentials = Array.from(logits, (logit) => Math.exp(logit - largest));
  const total = exponentials.reduce((sum, value) => sum + value, 0);
  return exponentials.map((value) => value / total);
}

function indexOfMax(values) {
  return values.reduce((best, value, index) => (value > values[best] ? index : best), 0);
}

function formatPercent(probability) {
  return `${(100 * probability).toFixed(2)}%`;
}

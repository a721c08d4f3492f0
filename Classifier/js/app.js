// @ts-check
// The page's entry point: wires the drawing, the views (what touches the page), the scheduler (when to classify) and
// the classifiers (classifier_loads.js) together, and holds which model is selected.
import { DrawingSurface } from "./ui/drawing.js";
import { elements } from "./ui/page_elements.js";
import * as controls from "./ui/controls_view.js";
import * as prediction from "./ui/prediction_view.js";
import * as status from "./ui/status_view.js";
import { readPageOptions } from "./ui/page_options.js";
import { ClassificationScheduler } from "./model/scheduler.js";
import { ClassifierLoads } from "./model/classifier_loads.js";
import { classify, leanedOn } from "./model/classification.js";
import { InsideWeights } from "./ui/inside_weights.js";
import { installPageHook } from "./ui/page_hook.js";
import { downloadProgress } from "./runtime/download_progress.js";
import { keepOffline } from "./offline.js";
import { pageFeatures } from "./page_features.js";

status.showUncaughtErrors();
keepOffline(status.addNotice);

const { first: code, later: laterCode } = pageFeatures(status.showError);
const options = readPageOptions(new URLSearchParams(location.search));
options.notices.forEach(status.addNotice);
const state = { model: options.model };
/** @type {(value?: unknown) => void} */
let answerable = () => {};
const firstAnswer = new Promise((resolve) => { answerable = resolve; });  // the first model shown ready, or failed
const classifiers = new ClassifierLoads(loadClassifierFor);
const scheduler = new ClassificationScheduler(classifyLatestDrawing, prediction.showSettled);
/** @type {{ panel: import("./ui/inside_panel.js").InsidePanel | null, weights: InsideWeights, asked: boolean }} */
const inside = { panel: null, weights: new InsideWeights(), asked: false };  // panel: null until its module is in
const drawing = new DrawingSurface(elements.canvas, { onChange: onDrawingChange });
// What the page has learned of the person, restored from this browser once the first model can answer (the first
// reading does not wait for it; the drawing is read again with it); never rejects: without it the page still classifies.
const learning = firstAnswer.then(openLearner);
/** @type {{ learner: import("./learning/learner.js").Learner | null }} */
const opened = { learner: null };  // the learner, once open
const memoryWanted = new Set();  // the models whose memory's store step was fetched ahead, when the person first drew
installPageHook({ predict: predictForHook, input: async () => (await code.preprocess).toModelInput(drawing.strokes) });

prediction.showInitial(state.model);
controls.wireControls({
  selectTool,
  selectModel,
  // the other model is downloaded once the person points at, focuses or presses its button: a head start on the click
  wantModel: (name) => { classifiers.get(name); },
  undo: () => drawing.undo(),
  clear: () => drawing.clear(),
  tryDigit: tryRealDigit,
  wantDigit: () => firstAnswer.then(() => laterCode().tryDigit).then(({ loadSample }) => loadSample()).catch(() => {}),
});
elements.insideToggle.addEventListener("click", openInsideSoon, { once: true });
firstAnswer.then(() => laterCode().inside).then(({ InsidePanel }) => {
  elements.insideToggle.removeEventListener("click", openInsideSoon);
  inside.panel = new InsidePanel(elements.inside, elements.insideToggle, (open) => { if (open) requestClassification(); });
  if (inside.asked) elements.insideToggle.click();
}, () => {});
downloadProgress.addEventListener("progress", (event) => status.showArrived(/** @type {CustomEvent} */ (event).detail));
controls.showModel(state.model);
// The model's files are asked for once the page has been painted: the page shows itself first, then fills the line.
status.showLoading(state.model);
requestAnimationFrame(() => setTimeout(() => showModelStatus(state.model).finally(answerable)));

// A press of the inside toggle before its module is in: the module is fetched now, and the press done once it is.
function openInsideSoon() {
  inside.asked = true;
  laterCode();
  answerable();
}

function selectTool(tool) {
  drawing.setTool(tool);
  controls.showTool(tool);
}

// Pressing the active model again does nothing, unless its load failed: then it is a retry.
function selectModel(name) {
  const retrying = classifiers.forgetFailed(name);
  if (name === state.model && !retrying) return;
  state.model = name;
  controls.showModel(name);
  // the model catches up on what it missed once its reading is shown: its memory first, fine-tuning in the background
  const shown = requestClassification();
  showModelStatus(name);
  learning.then(({ learner, panel }) => {
    panel?.show();
    shown.then(() => learner?.catchUp(name));
  });
}

function onDrawingChange(strokes) {
  controls.showDrawingEmpty(strokes.length === 0);
  requestClassification();
  learning.then(({ panel }) => panel?.showDrawn());
  if (strokes.length > 0) fetchMemoryAhead(state.model);
}

// The memory's store step, fetched and compiled while the person draws, once the first model is ready, so that their
// first teaching answers at once.
function fetchMemoryAhead(name) {
  if (memoryWanted.has(name)) return;
  memoryWanted.add(name);
  firstAnswer.then(() => classifiers.get(name)).then((classifier) => classifier.prepareMemory()).catch(() => memoryWanted.delete(name));
}

async function openLearner() {
  try {
    const [{ Learner }, { PersonalPanel }] = await Promise.all([laterCode().learner, laterCode().panel]);
    const { learner, notices } = await Learner.open({ finetune: options.finetune });
    notices.forEach(status.addNotice);
    learner.addEventListener("notice", ({ detail: { text, ends } }) => {
      if (text) status.addNotice(text);
      if (ends) status.removeNotice(ends);
    });
    const panel = new PersonalPanel(learner, {
      model: () => state.model,
      drawn: () => drawing.strokes.length > 0,
      input: async () => (await code.preprocess).toModelInput(drawing.strokes),
      classifierFor: (name) => classifiers.get(name),
      shown: () => requestClassification(),
      onLearned: (name) => {
        inside.weights.forget();  // the filters and weight patterns shown come from the weights, which changed
        if ((name === null || name === state.model) && drawing.strokes.length > 0) requestClassification();
      },
      notify: status.addNotice,
    });
    opened.learner = learner;
    return { learner, panel };
  } catch (error) {
    status.showError(error);
    return { learner: null, panel: null };
  }
}

// Draws a real pen digit on a cleared canvas at a human pace; the page reads it as it goes, as for a drawing.
async function tryRealDigit() {
  try {
    const { loadSample, nextDigit, placed } = await laterCode().tryDigit;
    const digit = nextDigit(await loadSample());
    drawing.clear();
    controls.showTrying(digit);
    await drawing.play(placed(digit));
    controls.showTried(digit);
  } catch (error) {
    status.addNotice(`No real digit to try: ${error.message}`);
  }
}

function loadClassifierFor(name) {
  return code.classifier.then(({ loadClassifier }) => loadClassifier(name, { backend: options.backend }))
    .then(withPersonalWeights)
    .then(followBackend);
}

// The classifier takes what it has learned of the person (or the learner says why that was discarded) once the
// learner is open; a drawing read meanwhile is read again.
function withPersonalWeights(classifier) {
  learning.then(({ learner }) => {
    if (!learner) return;
    const notice = learner.adopt(classifier);
    if (notice) status.addNotice(notice);
    if (classifier.name === state.model && drawing.strokes.length > 0) requestClassification();
  });
  return classifier;
}

// In "auto" mode a classifier answers on the CPU while its WebGPU model is prepared, then moves to WebGPU or, if that
// fails, stays on the CPU with a notice saying why.
function followBackend(classifier) {
  classifier.addEventListener("backendchange", () => onBackendChange(classifier));
  classifier.addEventListener("notice", () => {
    status.addNotice(classifier.notice);
    if (classifier.name === state.model) status.showReady(classifier);
  });
  return classifier;
}

function onBackendChange(classifier) {
  if (classifier.name !== state.model) return;
  status.showReady(classifier);
  // What is shown came from the previous backend: computed again, it comes from the one the status names.
  if (drawing.strokes.length > 0) requestClassification();
}

async function showModelStatus(name) {
  status.showLoading(name);
  try {
    const classifier = await classifiers.get(name);
    if (name !== state.model) return;
    if (classifier.notice) status.addNotice(classifier.notice);
    status.showReady(classifier);
  } catch (error) {
    if (name === state.model) status.showError(error);
  }
}

// Called synchronously by every change (data-busy "true" before the handler returns); resolves once the drawing is shown.
function requestClassification() {
  prediction.showBusy();
  return scheduler.request();
}

// `model`'s reading of `input`, with the person's memory and, while the inside panel is open and can be, explained.
async function read(model, input, wantsExplain) {
  const classifier = await classifiers.get(model);
  await opened.learner?.ready(classifier);
  const explain = wantsExplain(classifier);
  return { classifier, explain, result: await classify(classifier, input, { explain }) };
}

async function classifyLatestDrawing() {
  try {
    const { toModelInput } = await code.preprocess;
    const model = state.model, input = toModelInput(drawing.strokes);
    if (input === null) return showEmptyPrediction(model);
    const panel = inside.panel?.open ? inside.panel : null;
    const { classifier, explain, result } = await read(model, input, (c) => panel !== null && prepareInside(panel, c));
    const seq = prediction.showPrediction({ model, digit: result.digit, probabilities: result.probabilities, input });
    if (panel && explain) {
      const leaned = leanedOn(classifier, result.outputs, result.digit);
      panel.show(model, seq, result.outputs, input, await inside.weights.of(classifier), leaned);
    }
    prediction.showTiming(model, result.backend, result.milliseconds);
    if (model === state.model) status.showReady(classifier);
  } catch (error) {
    status.showError(error);
  }
}

// window.digitPage.predict: the page's own reading of x, as it would show it now.
async function predictForHook(x) {
  const explaining = (classifier) => Boolean(inside.panel?.open) && classifier.canExplain;
  const { result } = await read(state.model, x, explaining);
  return { digit: result.digit, probabilities: result.probabilities };
}

// Whether the classifier can explain now; if not, its explain graph is fetched and compiled, then the drawing read again.
function prepareInside(panel, classifier) {
  if (classifier.canExplain) return true;
  panel.showNote("Fetching what the model computes inside…");
  const showProblem = (error) => panel.showNote(`The inside of the model cannot be shown: ${error.message}`);
  classifier.prepareExplain().then(requestClassification, showProblem);
  return false;
}

function showEmptyPrediction(model) {
  inside.panel?.showNote("Draw a digit, or try a real one, to see inside the model.");
  prediction.showEmpty(model);
}

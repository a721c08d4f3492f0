// @ts-check
// "Inside the model": what the current model computes from the drawing, shown beside the prediction and updated with
// it. Everything comes from the model's explain graph (digits/export/explain.py, run by classifier.explain): its activations, which
// pixels pushed the two likeliest digits, and whether the reading leaned on one of the person's own examples (their
// drawing is then shown); the filters and weight patterns come from the model's current weights.
// Each picture has a caption and a text alternative that says what it shows in words.
import { CNN_LAYERS, INPUT_SIDE, INPUT_SIZE, MLP_LAYER } from "../models.js";
import { paintModelInput } from "./prediction_view.js";
/** @typedef {import("../contracts.js").Weights} Weights */

const REGIONS = [["top left", "top", "top right"], ["left", "middle", "right"], ["lower left", "bottom", "lower right"]];
const TOP_UNITS = 8;  // MLP: first-layer units shown, the most active first

function element(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function figure(caption, canvas) {
  return element("figure", { className: "inside-figure" }, canvas, element("figcaption", { textContent: caption }));
}

// A canvas of width x height pixels, shown `zoom` times larger, pixelated
function canvasOf(width, height, label, zoom = 4) {
  const c = element("canvas", { width, height });
  c.style.width = `${width * zoom}px`;
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", label);
  return c;
}

// Diverging colours: positive warm, negative blue, over the ink in light grey (ink: 0..1 per pixel, or null).
function paintSigned(canvas, values, width, height, ink = null, x0 = 0, y0 = 0) {
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  const scale = Math.max(...values.map(Math.abs), 1e-12);
  values.forEach((v, i) => {
    const a = Math.min(1, Math.abs(v) / scale), base = 255 - 40 * (ink?.[i] ?? 0);
    const [r, g, b] = v >= 0 ? [230, 110, 20] : [30, 100, 220];
    image.data.set([base + (r - base) * a, base + (g - base) * a, base + (b - base) * a, 255], 4 * i);
  });
  context.putImageData(image, x0, y0);
}

// Maps of side x side activations in a grid of `columns`, one image for all (one putImageData, not one per map): grey
// levels, 0 white to max black (after ReLU or SiLU they are mostly positive); the gaps between maps stay white.
function paintMaps(canvas, values, side, columns, gap, max) {
  const context = canvas.getContext("2d"), image = context.createImageData(canvas.width, canvas.height);
  image.data.fill(255);
  values.forEach((v, i) => {
    const map = Math.floor(i / (side * side)), pixel = i % (side * side), shade = 255 * (1 - Math.max(0, v) / max);
    const x = (map % columns) * (side + gap) + (pixel % side), y = Math.floor(map / columns) * (side + gap) + Math.floor(pixel / side);
    image.data.set([shade, shade, shade], 4 * (y * canvas.width + x));
  });
  context.putImageData(image, 0, 0);
}

// "the strokes at the top pushed towards 9 most; those at the lower left pushed against it"
export function describeAttribution(values, digit) {
  const net = REGIONS.flat().map((where) => ({ where, sum: 0 }));
  const third = (pixel) => Math.min(2, Math.floor(pixel / INPUT_SIDE * 3));
  values.forEach((v, i) => { net[3 * third(Math.floor(i / INPUT_SIDE)) + third(i % INPUT_SIDE)].sum += v; });
  const most = net.reduce((a, b) => (b.sum > a.sum ? b : a)), least = net.reduce((a, b) => (b.sum < a.sum ? b : a));
  if (most.sum <= 0) return `No part of the drawing pushed towards ${digit}.`;
  return `The strokes at the ${most.where} pushed towards ${digit} most` + (least.sum < 0 ? `; those at the ${least.where} pushed against it.` : ".");
}

export class InsidePanel {
  #section;
  #built = null;  // {model, update(outputs, input, weights)}
  constructor(section, toggle, onToggle) {
    this.#section = section;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide inside the model" : "Show inside the model";
      section.hidden = !open;
      onToggle(open);
    });
  }

  get open() { return !this.#section.hidden; }

  // What to show while the graph is being fetched and compiled, or when there is nothing drawn.
  showNote(text) {
    Object.assign(this.#section.dataset, { state: "waiting", memory: "false" });
    this.#section.querySelector(".inside-note").textContent = text;
    this.#section.querySelector("#inside-memory").hidden = true;
  }

  // outputs: classifier.explain()'s; input: the model input (784 values in -1..1); weights: {name: Float32Array};
  // leaned: the person's own example the reading leaned on ({example: {input, label}, similarity}), or null.
  show(model, seq, outputs, input, weights, leaned) {
    if (this.#built?.model !== model) this.#built = build(this.#section.querySelector(".inside-body"), model);
    this.#built.update(outputs, input, weights);
    const [first, second] = [String(outputs.first[0]), String(outputs.second[0])];
    Object.assign(this.#section.dataset, { state: "shown", model, seq: String(seq), first, second, memory: String(leaned !== null) });
    this.#section.querySelector(".inside-note").textContent = "";
    this.#showLeaned(leaned);
  }

  #showLeaned(leaned) {
    const figure = this.#section.querySelector("#inside-memory"), canvas = figure.querySelector("canvas");
    figure.hidden = leaned === null;
    if (leaned === null) return;
    const { example, similarity } = leaned, exact = similarity >= leaned.exact;
    paintModelInput(canvas, example.input);
    canvas.dataset.label = String(example.label);
    const text = `Leaned on your own ${example.label}: ` + (exact ? "this very drawing, as you taught it." :
      `the drawing you taught that is most like this one (similarity ${similarity.toFixed(2)}).`);
    canvas.setAttribute("aria-label", `Your own ${example.label}, taught earlier`);
    figure.querySelector("figcaption").textContent = text;
  }
}

function build(body, model) {
  body.replaceChildren();
  const attribution = ["first", "second"].map((which) => {
    const canvas = canvasOf(INPUT_SIDE, INPUT_SIDE, "", 4);
    canvas.id = `attribution-${which}`;
    const f = figure("", canvas);
    f.classList.add("attribution");
    return { which, canvas, caption: f.querySelector("figcaption") };
  });
  body.append(element("div", { className: "inside-row inside-attributions" }, ...attribution.map((a) => a.canvas.parentElement)));
  const layers = model === "cnn" ? buildCnn(body) : buildMlp(body);
  return {
    model,
    update(outputs, input, weights) {
      const ink = Array.from(input, (v) => (v + 1) / 2);
      for (const { which, canvas, caption } of attribution) {
        const digit = outputs[which][0], values = Array.from(outputs[`${which}_attribution`]);
        paintSigned(canvas, values, INPUT_SIDE, INPUT_SIDE, ink);
        const sentence = describeAttribution(values, digit);
        canvas.setAttribute("aria-label", sentence);
        canvas.dataset.digit = String(digit);
        caption.textContent = `${which === "first" ? "Why" : "Why not"} ${digit}: orange pushed towards ${digit}, blue against. ${sentence}`;
      }
      layers(outputs, weights);
    },
  };
}

function mapsFigure(count, side, columns, caption, zoom) {
  const gap = 1, rows = Math.ceil(count / columns);
  const canvas = canvasOf(columns * (side + gap) - gap, rows * (side + gap) - gap, caption, zoom);
  return { canvas, figure: figure(caption, canvas), paint: (values, max) => paintMaps(canvas, values, side, columns, gap, max) };
}

function buildCnn(body) {
  const { kernel, convolutions: [first, second] } = CNN_LAYERS, k = `${kernel}×${kernel}`, cell = kernel + 1;
  const conv1Caption = `What the ${first.filters} first-layer filters find in the drawing (${first.side}×${first.side} each, darker is stronger).`;
  const conv2Caption = `What the ${second.filters} second-layer filters find in those maps (${second.side}×${second.side} each): ` +
    "the dense layer reads these.";
  const conv1 = mapsFigure(first.filters, first.side, 4, conv1Caption, 3), conv2 = mapsFigure(second.filters, second.side, 8, conv2Caption, 4);
  // wider than tall, one column per second-layer filter: it fits the panel's column without a long scroll
  const filtersLabel = `The learned ${k} filters: the first layer's ${first.filters}, then each second-layer filter's ${first.filters} ` +
    "weights over the first layer's maps";
  const filters = canvasOf(second.filters * cell - 1, cell + 1 + first.filters * cell - 1, filtersLabel);
  const filterFigure = figure(`The learned ${k} filters: the first layer's ${first.filters} (top row), then each second-layer filter's ` +
    `${first.filters} (one column each); orange adds, blue subtracts.`, filters);
  conv1.canvas.id = "inside-conv1";
  conv2.canvas.id = "inside-conv2";
  filters.id = "inside-filters";
  body.append(element("div", { className: "inside-row" }, conv1.figure, conv2.figure, filterFigure));
  let painted = null;  // the weights the filters show: the same object until the model learns
  return (outputs, weights) => {
    for (const [maps, values, count] of [[conv1, outputs.conv1, first.filters], [conv2, outputs.conv2, second.filters]]) {
      const max = Math.max(...values, 1e-6), strongest = strongestMap(values, count);
      maps.paint(values, max);
      maps.canvas.setAttribute("aria-label", `${count} maps; map ${strongest + 1} responds most to this drawing.`);
      maps.canvas.dataset.strongest = String(strongest);
    }
    if (weights !== painted) paintFilters(filters, weights);
    painted = weights;
  };
}

// Each filter's kernel x kernel weights, a cell of kernel + 1 pixels each: the first layer's in the top row, then each
// second-layer filter's over the first layer's maps in a column of its own.
function paintFilters(canvas, weights) {
  const { kernel, convolutions: [first, second] } = CNN_LAYERS, size = kernel * kernel, cell = kernel + 1;
  const w1 = weights[first.weights], w2 = weights[second.weights];
  const paint = (values, k, x, y) => paintSigned(canvas, Array.from(values.subarray(k * size, (k + 1) * size)), kernel, kernel, null, x, y);
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < first.filters; f++) paint(w1, f, f * cell, 0);
  for (let f = 0; f < second.filters; f++) {
    for (let c = 0; c < first.filters; c++) paint(w2, f * first.filters + c, f * cell, cell + 1 + c * cell);
  }
}

function strongestMap(values, count) {
  const size = values.length / count;
  const totals = Array.from({ length: count }, (_, m) => values.subarray(m * size, (m + 1) * size).reduce((a, b) => a + b, 0));
  return totals.indexOf(Math.max(...totals));
}

function buildMlp(body) {
  /** @type {{canvas: HTMLCanvasElement, figure: HTMLElement, weights?: Weights}[]} */
  const units = Array.from({ length: TOP_UNITS }, () => {
    const canvas = canvasOf(INPUT_SIDE, INPUT_SIDE, "", 2);
    return { canvas, figure: figure("", canvas) };
  });
  const row = element("div", { className: "inside-row inside-units" }, ...units.map((u) => u.figure));
  row.id = "inside-units";
  const caption = `The ${TOP_UNITS} first-layer units (of ${MLP_LAYER.units}) that respond most to this drawing: ` +
    `each one's ${INPUT_SIDE}×${INPUT_SIDE} weights, ` +
    "the pattern it looks for (orange adds, blue subtracts), and how strongly it responds.";
  body.append(element("p", { className: "inside-caption", textContent: caption }), row);
  return (outputs, weights) => {
    const hidden = outputs.hidden, order = Array.from(hidden.keys()).sort((a, b) => hidden[b] - hidden[a]).slice(0, TOP_UNITS);
    order.forEach((unit, i) => {
      const { canvas, figure: f } = units[i];
      // a unit's pattern is its weights: painted again only when another unit takes its place or the model learned
      if (canvas.dataset.unit !== String(unit) || units[i].weights !== weights) {
        const pattern = weights[MLP_LAYER.weights].subarray(unit * INPUT_SIZE, (unit + 1) * INPUT_SIZE);
        paintSigned(canvas, Array.from(pattern), INPUT_SIDE, INPUT_SIDE);
      }
      units[i].weights = weights;
      canvas.dataset.unit = String(unit);
      canvas.setAttribute("aria-label", `Unit ${unit}: the weight pattern it looks for; it responds ${hidden[unit].toFixed(2)} to this drawing.`);
      f.querySelector("figcaption").textContent = `unit ${unit}: ${hidden[unit].toFixed(2)}`;
    });
  };
}

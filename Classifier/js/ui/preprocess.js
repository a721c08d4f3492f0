// @ts-check
// Turns a drawing into the 28x28 input the models were trained on, made the way MNIST itself was made:
// crop to the ink, scale so the longer side is 20 px keeping the aspect ratio, anti-alias, and put the
// centre of mass at the centre of the 28x28 frame. The pen's on-screen width is ignored: strokes are
// redrawn as vectors at a line width tied to the 20 px box, so thin and thick pens, big and small digits
// all come out with MNIST's stroke thickness. Erasers scale with the drawing, and grow where the pen grew,
// so that ink the person erased completely is gone completely.
import { INPUT_SIDE } from "../models.js";

export const IMAGE_SIZE = INPUT_SIDE;    // the models' input is IMAGE_SIZE x IMAGE_SIZE
export const BOX_SIZE = 20;              // MNIST fits the ink of each digit into a 20x20 box
export const CENTER = 14;                // MNIST's centre of mass sits at pixel index (14, 14) (13.99, 14.01 on its test set)
export const LINE_WIDTH_FRACTION = 0.12; // model line width as a fraction of BOX_SIZE; tuned on pen digits (bench/)
export const SUPERSAMPLE = 4;            // drawn at 4x then area-averaged: grey edges like MNIST's downscaled scans
export const INK_SAMPLES = 256;          // pen strokes are checked against erasers at this many steps across the drawing

// strokes: [{tool: "pen"|"eraser", width: CSS px, points: [[x, y], ...]}, ...] in drawing order, CSS px of the canvas.
// Returns a row-major Float32Array(784) in -1..1 (background -1, full ink +1), or null when no ink is left.
// options override the exported constants, for tuning.
export function toModelInput(strokes, { lineWidthFraction = LINE_WIDTH_FRACTION, supersample = SUPERSAMPLE } = {}) {
  const box = visibleInkBox(strokes);
  if (!box) return null;
  const lineWidth = lineWidthFraction * BOX_SIZE;
  // the centre lines get BOX_SIZE less one line width, so the ink with its round caps spans BOX_SIZE;
  // a drawing no wider than its pen is a dot: it is not magnified past that (and never divided by zero)
  const scale = (BOX_SIZE - lineWidth) / Math.max(box.right - box.left, box.bottom - box.top, box.penWidth, 1e-6);
  // first drawn with its box centred, where it surely fits the frame, to measure where its centre of mass falls
  const centred = { scale, x: IMAGE_SIZE / 2 - scale * (box.left + box.right) / 2, y: IMAGE_SIZE / 2 - scale * (box.top + box.bottom) / 2 };
  const widths = { pen: lineWidth, eraserGrowth: Math.max(0, lineWidth - scale * box.penWidth) };
  const mass = centreOfMass(render(strokes, centred, widths, supersample));
  if (!mass) return null;
  // then drawn again shifted by a fraction of a pixel as needed: vectors move exactly, resampled pixels would blur
  const placed = { scale, x: centred.x + CENTER - mass.x, y: centred.y + CENTER - mass.y };
  return render(strokes, placed, widths, supersample).map((ink) => ink * 2 - 1);
}

const isEraser = (stroke) => stroke.tool === "eraser";

// The box around the centre lines of the pen ink that no later eraser stroke covers, with the thinnest pen's width;
// null when nothing is left. Segments are walked in small steps so an erased end of a stroke does not count.
function visibleInkBox(strokes) {
  const all = emptyBox();
  strokes.forEach((stroke) => isEraser(stroke) || stroke.points.forEach(([x, y]) => grow(all, x, y, stroke.width || 0)));
  const step = (all.right - all.left + all.bottom - all.top) / INK_SAMPLES || 1;
  const box = emptyBox();
  strokes.forEach((stroke, i) => {
    if (isEraser(stroke) || !stroke.points.length) return;
    const erasers = strokes.slice(i + 1).filter((s) => isEraser(s) && s.points.length);
    for (const [x, y] of walk(stroke.points, step)) {
      if (erasers.some((e) => distanceToPolyline(x, y, e.points) <= e.width / 2)) continue;
      grow(box, x, y, all.penWidth);
    }
  });
  return box.left <= box.right ? box : null;
}

const emptyBox = () => ({ left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity, penWidth: Infinity });
function grow(box, x, y, penWidth) {
  box.left = Math.min(box.left, x); box.right = Math.max(box.right, x);
  box.top = Math.min(box.top, y); box.bottom = Math.max(box.bottom, y);
  box.penWidth = Math.min(box.penWidth, penWidth);
}

// The points of a polyline plus points between them at most `step` apart.
function* walk(points, step) {
  yield points[0];
  for (let i = 1; i < points.length; i++) {
    const [[x0, y0], [x1, y1]] = [points[i - 1], points[i]];
    const n = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step);
    for (let k = 1; k <= n; k++) yield [x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n];
  }
}

function distanceToPolyline(x, y, points) {
  let best = Math.hypot(x - points[0][0], y - points[0][1]);
  for (let i = 1; i < points.length; i++) {
    const [[x0, y0], [x1, y1]] = [points[i - 1], points[i]];
    const dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
    const t = length2 ? Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / length2)) : 0;
    best = Math.min(best, Math.hypot(x - x0 - t * dx, y - y0 - t * dy));
  }
  return best;
}

// Draws the strokes mapped by model = canvas * place.scale + (place.x, place.y) at `supersample` times the
// model's resolution and returns the ink 0..1 per model pixel, area-averaged. Pens are widths.pen model px wide;
// erasers (destination-out) are their own width scaled, plus widths.eraserGrowth: how much wider the pen got than
// its scaled on-screen width, so an eraser that covered a pen stroke's full width on screen still covers it.
function render(strokes, place, widths, supersample) {
  const size = IMAGE_SIZE * supersample, ctx = context(size);
  ctx.globalCompositeOperation = "source-over";
  ctx.clearRect(0, 0, size, size);
  ctx.fillStyle = ctx.strokeStyle = "#fff";
  ctx.lineCap = ctx.lineJoin = "round";
  for (const stroke of strokes) {
    const width = supersample * (isEraser(stroke) ? stroke.width * place.scale + widths.eraserGrowth : widths.pen);
    if (!stroke.points.length || !(width > 0)) continue;
    const points = stroke.points.map(([x, y]) => [supersample * (x * place.scale + place.x), supersample * (y * place.scale + place.y)]);
    ctx.globalCompositeOperation = isEraser(stroke) ? "destination-out" : "source-over";
    ctx.beginPath();
    if (points.every(([x, y]) => x === points[0][0] && y === points[0][1])) {
      // a dot: canvases draw no caps on a zero-length line, so it is a disc
      ctx.arc(points[0][0], points[0][1], width / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.lineWidth = width;
      points.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y));
      ctx.stroke();
    }
  }
  return areaAverage(ctx.getImageData(0, 0, size, size).data, supersample);
}

// Alpha of an RGBA (IMAGE_SIZE * s)^2 image averaged over s x s blocks, as 0..1.
function areaAverage(rgba, s) {
  const size = IMAGE_SIZE * s, out = new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
  for (let y = 0; y < size; y++) {
    const row = Math.floor(y / s) * IMAGE_SIZE;
    for (let x = 0; x < size; x++) out[row + Math.floor(x / s)] += rgba[(y * size + x) * 4 + 3];
  }
  return out.map((v) => v / (255 * s * s));
}

// Centre of mass of a 28x28 ink image in pixel indices, or null when it has no ink.
function centreOfMass(ink) {
  let total = 0, x = 0, y = 0;
  ink.forEach((v, i) => { total += v; x += v * (i % IMAGE_SIZE); y += v * Math.floor(i / IMAGE_SIZE); });
  return total > 0 ? { x: x / total, y: y / total } : null;
}

// One drawing surface, reused: an OffscreenCanvas where there is one (workers too), else a document canvas.
let cachedContext = null;
function context(size) {
  if (cachedContext?.canvas.width !== size) {
    const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(size, size) :
      Object.assign(document.createElement("canvas"), { width: size, height: size });
    cachedContext = canvas.getContext("2d", { willReadFrequently: true });
  }
  return cachedContext;
}

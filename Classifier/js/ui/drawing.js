// @ts-check
// The drawing surface: turns pointer input (mouse, pen, touch) on a <canvas> into vector strokes and renders them.
//
// The strokes are the page's shared data model:
//   {tool: "pen" | "eraser", width: <CSS px>, points: [[x, y], ...]}
// in CSS pixels of the canvas, origin top-left. A one-point stroke is a tap and renders as a dot.

const INK_COLOR = "#14141a";
// Relative to the canvas side, so a digit drawn to fill the canvas looks like a pen-written digit at any size.
const PEN_WIDTH_PER_SIDE = 0.035;
const ERASER_WIDTH_PER_SIDE = 0.12;
const PRIMARY_BUTTON = 0;
const PEN_ERASER_BUTTON = 5;  // The back end of a stylus, which erases whatever tool is selected.

export class DrawingSurface {
  #canvas;
  #context;
  #onChange;
  #strokes = [];
  #tool = "pen";
  #side = 0;  // CSS px; the canvas is square.
  #activeStroke = null;
  #renderPending = false;
  #activePointerId = null;
  #canvasOrigin = { left: 0, top: 0 };
  #playing = null;  // the play() in progress, which a stroke, undo or clear stops

  /** onChange(strokes) is called on every change: each move while drawing, stroke end, undo and clear. */
  constructor(canvas, { onChange }) {
    this.#canvas = canvas;
    this.#context = canvas.getContext("2d");
    this.#onChange = onChange;
    canvas.addEventListener("pointerdown", (event) => this.#startStroke(event));
    canvas.addEventListener("pointermove", (event) => this.#extendStroke(event));
    canvas.addEventListener("pointerup", (event) => this.#finishStroke(event));
    canvas.addEventListener("pointercancel", (event) => this.#finishStroke(event));
    // A long press must not open a context menu in the middle of a stroke.
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
    new ResizeObserver(() => this.#fitToLayout()).observe(canvas);
    this.#refitWhenPixelRatioChanges();
  }

  /** The current strokes: a live, read-only view; it changes as the person draws. */
  get strokes() { return this.#strokes; }

  setTool(tool) {
    if (tool !== "pen" && tool !== "eraser") throw new Error(`Unknown drawing tool "${tool}"`);
    this.#tool = tool;
  }

  undo() {
    this.#playing = null;
    if (this.#strokes.length === 0) return;
    this.#releaseActiveStroke();
    this.#strokes.pop();
    this.#render();
    this.#onChange(this.#strokes);
  }

  clear() {
    this.#playing = null;
    if (this.#strokes.length === 0) return;
    this.#releaseActiveStroke();
    this.#strokes = [];
    this.#render();
    this.#onChange(this.#strokes);
  }

  /** Draws `strokes` (arrays of [x, y] points, 0..1 of the canvas side) with the pen as a hand would: point after point,
   * `pointsPerSecond` of them, a pause between strokes; every change is reported like a drawn one. Resolves when done,
   * or early when the person starts a stroke or clears or undoes (the digit is then left as far as it got). */
  async play(strokes, { pointsPerSecond = 150, pause = 0.15 } = {}) {
    const playing = this.#playing = {};
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    for (const points of strokes) {
      if (this.#playing !== playing || this.#activePointerId !== null) break;
      const stroke = { tool: "pen", width: this.#widthOf("pen"), points: [] };
      this.#strokes.push(stroke);
      const start = performance.now();
      while (stroke.points.length < points.length) {
        const due = Math.min(points.length, 1 + Math.floor((performance.now() - start) / 1000 * pointsPerSecond));
        for (const [x, y] of points.slice(stroke.points.length, due)) stroke.points.push([x * this.#side, y * this.#side]);
        this.#renderSoon();
        this.#onChange(this.#strokes);
        await frame();
        if (this.#playing !== playing || !this.#strokes.includes(stroke)) return;
      }
      const until = performance.now() + pause * 1000;
      while (performance.now() < until) await frame();
    }
    if (this.#playing === playing) this.#playing = null;
  }

  #startStroke(event) {
    // One stroke at a time: a second finger or a right click does not draw.
    if (this.#activePointerId !== null) return;
    if (event.button !== PRIMARY_BUTTON && event.button !== PEN_ERASER_BUTTON) return;
    event.preventDefault();
    this.#playing = null;
    this.#canvas.setPointerCapture(event.pointerId);
    this.#activePointerId = event.pointerId;
    this.#canvasOrigin = this.#contentOrigin();
    const tool = event.button === PEN_ERASER_BUTTON ? "eraser" : this.#tool;
    this.#activeStroke = { tool, width: this.#widthOf(tool), points: [this.#pointOf(event)] };
    this.#strokes.push(this.#activeStroke);
    this.#renderSoon();
    this.#onChange(this.#strokes);
  }

  #extendStroke(event) {
    if (event.pointerId !== this.#activePointerId) return;
    // Coalesced events carry the positions the browser merged into this one event: without them fast strokes
    // turn into polygons. They are missing outside secure contexts and empty for synthetic events.
    const coalesced = event.getCoalescedEvents?.() ?? [];
    const newPoints = (coalesced.length > 0 ? coalesced : [event]).map((e) => this.#pointOf(e));
    this.#activeStroke.points.push(...newPoints);
    this.#renderSoon();
    this.#onChange(this.#strokes);
  }

  #finishStroke(event) {
    if (event.pointerId !== this.#activePointerId) return;
    this.#releaseActiveStroke();
    this.#onChange(this.#strokes);
  }

  #releaseActiveStroke() {
    this.#activeStroke = null;
    this.#activePointerId = null;
  }

  #widthOf(tool) {
    return this.#side * (tool === "eraser" ? ERASER_WIDTH_PER_SIDE : PEN_WIDTH_PER_SIDE);
  }

  #contentOrigin() {
    const box = this.#canvas.getBoundingClientRect();
    return { left: box.left + this.#canvas.clientLeft, top: box.top + this.#canvas.clientTop };
  }

  // Pointer capture keeps reporting positions outside the canvas; they are clamped to its edge so that the
  // strokes hold only ink the person can see.
  #pointOf(event) {
    const clamp = (value) => Math.min(Math.max(value, 0), this.#side);
    return [clamp(event.clientX - this.#canvasOrigin.left), clamp(event.clientY - this.#canvasOrigin.top)];
  }

  // Keeps the backing store at CSS size × devicePixelRatio so lines stay sharp, and scales the strokes with the
  // canvas so a drawing survives a rotation or a window resize.
  #fitToLayout() {
    const side = this.#canvas.clientWidth;
    if (side === 0) return;  // Not laid out (hidden): keep the strokes as they are.
    if (this.#side > 0 && side !== this.#side) scaleStrokes(this.#strokes, side / this.#side);
    this.#side = side;
    const pixelRatio = window.devicePixelRatio || 1;
    this.#canvas.width = this.#canvas.height = Math.round(side * pixelRatio);
    this.#context.setTransform(pixelRatio, 0, 0, pixelRatio, 0, 0);
    this.#render();
  }

  // Zooming or moving the window to another screen changes devicePixelRatio without resizing the canvas.
  #refitWhenPixelRatioChanges() {
    const query = matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    query.addEventListener("change", () => {
      this.#fitToLayout();
      this.#refitWhenPixelRatioChanges();
    }, { once: true });
  }

  // The whole drawing is redrawn, at most once a frame: drawing only each new segment would darken the
  // anti-aliased edges where segments overlap, which shows as beads along thin lines.
  #renderSoon() {
    if (this.#renderPending) return;
    this.#renderPending = true;
    requestAnimationFrame(() => {
      this.#renderPending = false;
      this.#render();
    });
  }

  #render() {
    this.#context.clearRect(0, 0, this.#side, this.#side);
    for (const stroke of this.#strokes) drawStroke(this.#context, stroke);
  }
}

function scaleStrokes(strokes, factor) {
  for (const stroke of strokes) {
    stroke.width *= factor;
    for (const point of stroke.points) { point[0] *= factor; point[1] *= factor; }
  }
}

// The eraser removes ink (destination-out) so the page background shows through, exactly like removing pen strokes.
function drawStroke(context, { tool, width, points }) {
  context.globalCompositeOperation = tool === "eraser" ? "destination-out" : "source-over";
  context.strokeStyle = context.fillStyle = INK_COLOR;
  context.lineWidth = width;
  context.lineCap = context.lineJoin = "round";
  context.beginPath();
  if (points.length === 1) {
    const [x, y] = points[0];
    context.arc(x, y, width / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.moveTo(...points[0]);
  for (const point of points.slice(1)) context.lineTo(...point);
  context.stroke();
}

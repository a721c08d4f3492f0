// @ts-check
// The controls around the drawing: the tool and model buttons (aria-pressed), undo (also Ctrl+Z or Cmd+Z), clear,
// "Try a real digit" with the line about the digit it draws (#try-info), and the canvas frame's data-empty. What the
// person asks for goes to the handlers app.js gives.
import { elements } from "./page_elements.js";

/**
 * @typedef {object} ControlHandlers
 * @property {(tool: string) => void} selectTool
 * @property {(name: string) => void} selectModel
 * @property {(name: string) => void} wantModel  the person may soon choose this model: pointing at it, focusing it
 *   or pressing it
 * @property {() => void} undo
 * @property {() => void} clear
 * @property {() => void} tryDigit
 * @property {() => void} wantDigit  the person may soon press "Try a real digit"
 */

// The tool or model a button stands for: its selector in page_elements.js guarantees the attribute.
const tool = (button) => /** @type {string} */ (button.dataset.tool);
const model = (button) => /** @type {string} */ (button.dataset.model);

/** @param {ControlHandlers} on */
export function wireControls(on) {
  for (const button of elements.toolButtons) button.addEventListener("click", () => on.selectTool(tool(button)));
  for (const button of elements.modelButtons) {
    button.addEventListener("click", () => on.selectModel(model(button)));
    for (const intent of ["pointerenter", "focus", "pointerdown"]) button.addEventListener(intent, () => on.wantModel(model(button)));
  }
  elements.undoButton.addEventListener("click", () => on.undo());
  elements.clearButton.addEventListener("click", () => on.clear());
  elements.tryDigit.addEventListener("click", () => on.tryDigit());
  for (const intent of ["pointerenter", "focus"]) elements.tryDigit.addEventListener(intent, () => on.wantDigit());
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      on.undo();
    }
  });
}

/** @param {HTMLButtonElement[]} buttons @param {(button: HTMLButtonElement) => boolean} isPressed */
function showPressed(buttons, isPressed) {
  for (const button of buttons) button.setAttribute("aria-pressed", String(isPressed(button)));
}

/** @param {string} selected */
export function showTool(selected) {
  showPressed(elements.toolButtons, (button) => tool(button) === selected);
}

/** @param {string} name */
export function showModel(name) {
  showPressed(elements.modelButtons, (button) => model(button) === name);
}

/** @param {boolean} empty */
export function showDrawingEmpty(empty) {
  elements.canvasFrame.dataset.empty = String(empty);
}

/** @param {{ label: number, writer: number }} digit */
export function showTrying(digit) {
  elements.tryInfo.textContent = `Drawing a real ${digit.label}, handwritten by writer ${digit.writer} of the UCI pen digits…`;
}

/** @param {{ label: number, writer: number }} digit */
export function showTried(digit) {
  elements.tryInfo.textContent = `A real ${digit.label}, handwritten by writer ${digit.writer} of the UCI pen digits (CC BY 4.0). ` +
    "Edit it with the pen, eraser and undo.";
}

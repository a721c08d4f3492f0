// @ts-check
// The teaching part of the page: the ten "It's a …" buttons, #personal (what the model has learned of the person, how
// many of their digits its memory holds, how many this browser keeps), #reset-personal and #export-personal, kept in
// step with the learner (learner.js).
import { encodeSafetensors } from "../runtime/safetensors.js";
import { importModelModule, MODEL_LABELS } from "../models.js";

const digits = (count) => `${count} of your digits`;  // "1 of your digits" too: one of several a person may teach

export class PersonalPanel {
  #learner;
  #page;
  // {model(): current model name, drawn(): whether there is a drawing, input(): Promise of the drawing as model input
  // (null without ink), classifierFor(name), shown(): Promise that the drawing as it is now has been read and shown,
  // onLearned(name | null: every model), notify(text): shows a problem}
  #app;

  constructor(learner, app) {
    this.#learner = learner;
    this.#app = app;
    this.#page = {
      teach: /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll("button[data-teach]")]),
      personal: document.getElementById("personal"),
      reset: /** @type {HTMLButtonElement} */ (document.getElementById("reset-personal")),
      export: /** @type {HTMLButtonElement} */ (document.getElementById("export-personal")),
    };
    for (const button of this.#page.teach) button.addEventListener("click", () => this.#teach(Number(button.dataset.teach)));
    this.#page.reset.addEventListener("click", () => this.#reset());
    this.#page.export.addEventListener("click", () => this.#export());
    learner.addEventListener("change", () => this.show());
    learner.addEventListener("learned", ({ detail }) => { this.show(); app.onLearned(detail); });
    learner.addEventListener("error", ({ detail }) => {
      this.show();
      app.notify(`The ${MODEL_LABELS[detail]} model could not learn your digit (${learner.error.message}); ` +
        "it will try again when you teach it another.");
    });
    this.show();
  }

  // Called when the drawing or the model changes, and by the learner's events.
  show() {
    const model = this.#app.model(), learner = this.#learner, state = learner.stateOf(model);
    const count = learner.exampleCount, kept = learner.keptCount, memory = learner.memoryOf(model);
    Object.assign(this.#page.personal.dataset, {
      state,
      examples: String(count),
      backend: learner.lastBackend,
      kept: String(kept),
      memory: String(memory?.held ?? 0),
      memoryCapacity: memory ? String(memory.slots) : "",
    });
    this.#page.personal.textContent = [
      {
        shipped: "Not taught yet: when it misreads your digit, say which digit it is.",
        learning: `The ${MODEL_LABELS[model]} is learning your handwriting… (${digits(count)} so far)`,
        personal: learner.finetunes ? `Learned from ${digits(count)}.` : `Remembers ${digits(count)}.`,
      }[state],
      memory && count > memory.slots ? `Its memory holds the newest ${memory.held} of them.` : "",
      count > kept ? (kept === 0 ? "This browser keeps none of them: they last until you leave." :
        `This browser did not keep ${count - kept} of them.`) : "",
    ].filter(Boolean).join(" ");
    this.#keepingFocus(() => {
      for (const button of this.#page.teach) button.disabled = !this.#app.drawn();
      this.#page.reset.disabled = count === 0;
      this.#page.export.disabled = state !== "personal" || !learner.hasLearnedWeights(model);
    });
  }

  // Called at every change of the drawing: of this panel, only the teaching buttons depend on it, through whether
  // there is a drawing at all.
  showDrawn() {
    const drawn = this.#app.drawn();
    if (this.#page.teach.every((button) => button.disabled === !drawn)) return;
    this.#keepingFocus(() => { for (const button of this.#page.teach) button.disabled = !drawn; });
  }

  // A button disabled under the keyboard's focus drops it to the start of the page; it goes to what says why instead.
  /** @param {() => void} disable */
  #keepingFocus(disable) {
    const focused = /** @type {HTMLButtonElement | null} */ (document.activeElement);
    disable();
    if (focused?.disabled) this.#page.personal.focus();
  }

  // The drawing goes into the model's memory and the page reads it again at once; fine-tuning follows, in the background.
  async #teach(label) {
    const model = this.#app.model();
    try {
      const input = await this.#app.input();
      if (input === null) return;
      await this.#app.classifierFor(model);  // loaded, so the learner knows it
      await this.#learner.teach(model, input, label);
      await this.#app.shown();
      this.#learner.catchUp(model);
    } catch (error) { this.#app.notify(`Your digit could not be taught: ${error.message}`); }
  }

  async #reset() {
    try { await this.#learner.reset(); } catch (error) { this.#app.notify(`Your digits could not be forgotten: ${error.message}`); }
  }

  // Downloads the current model's weights as <model>-personal.safetensors: the shipped file's names, shapes and dtype.
  async #export() {
    const model = this.#app.model();
    try {
      const [classifier, { state }] = await Promise.all([this.#app.classifierFor(model), importModelModule(model, "train")]);
      const weights = await classifier.readWeights(), shapes = Object.fromEntries(state.map((s) => [s.name, s.shape]));
      const file = encodeSafetensors(Object.fromEntries(Object.entries(weights).map(([name, data]) => [name, { shape: shapes[name], data }])));
      const link = Object.assign(document.createElement("a"), {
        href: URL.createObjectURL(new Blob([file])),
        download: `${model}-personal.safetensors`,
      });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (error) { this.#app.notify(`Your model could not be downloaded: ${error.message}`); }
  }
}

// @ts-check
// Learns the person's handwriting: keeps the digits they taught (their examples, shared by both models) in each model's
// memory, which every prediction consults (model_memory.js), and fine-tunes each model on them in the background, one
// job at a time (unless the page's address says finetune=off); a model shown again catches up on what it missed. All of
// it is kept across reloads (personal_store.js) and followed across tabs; a write the browser refuses is said.
// Events: "change" (examples, or a model's state, changed), "learned" (detail: model name; its weights or memory are
// new), "error" (detail: model name; learner.error says why), "notice" (detail: {text, ends}: a line for the person,
// and the earlier one it ends, if any).
import { PersonalStore, recordProblem, writeProblem } from "./personal_store.js";
import { loadReplay, teachNewest } from "./learning.js";
import { cannotRemember, digitNotKept, FORGOTTEN_ELSEWHERE, otherTabUnread, savedModelDiscarded, STORE_BLOCKED, STORE_TAKEN, weightsNotKept }
  from "../texts.js";
import { importModelModule } from "../models.js";

/** @typedef {{ id: number | null, input: Float32Array, label: number, saved: Promise<void> | null }} Example */

export class Learner extends EventTarget {
  #store = null;
  /** @type {Example[]} */
  #examples = [];
  #records = {};          // saved model records not yet checked against their model
  #models = new Map();    // name -> {classifier, learned: Set of the examples its weights learned}
  #wanted = new Set();    // models waiting to catch up, in order
  #running = null;        // the model being trained, or null
  #generation = 0;        // bumped by every forgetting: a job started before it does not touch what comes after
  #finetune;
  error = null;           // the last training failure, for the page to show
  lastBackend = "";       // the backend that computed the last training ("webgpu" or "cpu")

  // -> {learner, notices}; never waits for a store that another tab blocks: it then comes in later
  static async open({ finetune = true } = {}) {
    const learner = new Learner(finetune);
    let blocked;
    const isBlocked = new Promise((resolve) => { blocked = resolve; });
    const loading = PersonalStore.load({
      onBlocked: blocked,
      onChanged: (type) => learner.#followOtherTab(type),
      onClosed: () => learner.#notify(STORE_TAKEN),
    });
    const loaded = await Promise.race([loading, isBlocked.then(() => null)]);
    if (loaded) {
      learner.#attach(loaded);
      return { learner, notices: loaded.notices };
    }
    loading.then((late) => { learner.#attach(late); late.notices.forEach((text) => learner.#notify(text)); learner.#notify(null, STORE_BLOCKED); });
    return { learner, notices: [STORE_BLOCKED] };
  }

  constructor(finetune) {
    super();
    this.#finetune = finetune;
  }

  get exampleCount() { return this.#examples.length; }
  get keptCount() { return this.#examples.filter((e) => e.id !== null).length; }
  get finetunes() { return this.#finetune; }

  // "shipped" (nothing taught), "learning" (examples its weights have not learned yet: fine-tuning) or "personal"
  stateOf(name) {
    if (this.#examples.length === 0) return "shipped";
    if (!this.#finetune) return "personal";
    const learned = this.#models.get(name)?.learned;
    return learned && this.#examples.every((e) => learned.has(e)) ? "personal" : "learning";
  }

  hasLearnedWeights(name) { return (this.#models.get(name)?.learned.size ?? 0) > 0; }

  // {held, slots}: how many examples model `name`'s memory holds, and at most; null before it has a memory
  memoryOf(name) {
    const classifier = this.#models.get(name)?.classifier;
    return classifier?.memorySlots ? { held: classifier.memoryCount, slots: classifier.memorySlots } : null;
  }

  // A classifier just loaded: it takes its saved weights (or a notice says why they were discarded), then learns the
  // examples it has not learned. Returns that notice, or null.
  adopt(classifier) {
    this.#models.set(classifier.name, { classifier, learned: new Set() });
    const notice = this.#adoptRecord(classifier.name);
    this.#dispatch("change");
    this.catchUp(classifier.name);
    return notice;
  }

  #adoptRecord(name) {
    const record = this.#records[name], model = this.#models.get(name);
    delete this.#records[name];
    if (!record || !model) return null;
    const { classifier } = model, ids = new Map(this.#examples.filter((e) => e.id !== null).map((e) => [e.id, e]));
    const problem = recordProblem(record, classifier.weightsVersion, classifier.weightSizes, ids);
    if (problem === null) {
      classifier.setWeights(record.weights);
      model.learned = new Set(record.learned.map((id) => ids.get(id)));
      return null;
    }
    this.#store?.forgetModel(name).catch(() => {});
    return savedModelDiscarded(name, problem, this.#examples.length > 0);
  }

  // Before `classifier` reads a drawing: its memory holds the person's examples (the store steps are queued before that
  // reading). Never rejects: a memory that cannot be had is said once, and the network reads alone.
  async ready(classifier) {
    if (classifier.holdsExamples(this.#examples)) return;
    try {
      await classifier.prepareMemory();
      classifier.holdExamples(this.#examples);
      this.#dispatch("change");
    } catch (error) {
      this.#notify(cannotRemember(classifier.name, error.message, this.#finetune));
    }
  }

  // The drawing `input` (the model input, Float32Array(784) in -1..1) is a `label`: in model `name`'s memory for the
  // next prediction, and kept. Fine-tuning waits for catchUp(name), once the corrected prediction is shown.
  async teach(name, input, label) {
    const example = { id: null, input: input.slice(), label, saved: null };
    this.#examples.push(example);
    const model = this.#models.get(name);
    if (model) await this.ready(model.classifier);
    example.saved = this.#save(example);
    this.#dispatch("change");
  }

  async #save(example) {
    if (!this.#store) return;
    try { example.id = await this.#store.addExample(example.input, example.label); } catch (error) {
      this.#notify(digitNotKept(writeProblem(error)));
    }
    this.#dispatch("change");
  }

  // Forgets the examples and every model's learned weights: both classifiers go back to their shipped weights and an
  // empty memory.
  async reset() {
    this.#forgetHere();
    await this.#store?.clear();
  }

  #forgetHere() {
    this.#generation++;
    this.#examples = [];
    this.#wanted.clear();
    this.#records = {};
    for (const model of this.#models.values()) {
      model.learned = new Set();
      model.classifier.setWeights(null);  // and its memory empties before its next reading (ready())
    }
    this.#dispatch("change");
    this.#dispatch("learned");
  }

  // Model `name` fine-tunes on the examples its weights have not learned, in the background.
  catchUp(name) {
    if (!this.#finetune || !this.#models.has(name) || this.stateOf(name) !== "learning") return;
    this.#wanted.add(name);
    if (this.#running === null) this.#work();
  }

  async #work() {
    while (this.#wanted.size) {
      const [name] = this.#wanted;
      this.#wanted.delete(name);
      this.#running = name;
      try {
        await this.#learnMissing(name, this.#generation);
        this.error = null;
      } catch (error) {
        this.error = error;
        this.#dispatch("error", name);
      }
      this.#running = null;
      this.#dispatch("change");
    }
  }

  // Teaches model `name` each example its weights have not learned, oldest first, one training run each. Every await
  // is followed by a check that nothing was forgotten meanwhile: a job from before a forgetting stops there.
  async #learnMissing(name, generation) {
    const model = this.#models.get(name), { classifier } = model;
    const [{ recipe, noisePerImage }, replay] = await Promise.all([importModelModule(name, "train"), loadReplay()]);
    let example;
    while (generation === this.#generation && (example = this.#examples.find((e) => !model.learned.has(e)))) {
      const upTo = this.#examples.slice(0, this.#examples.indexOf(example) + 1);
      const backend = await teachNewest(classifier, upTo, { replay, recipe, noisePerImage }, () => generation === this.#generation);
      if (backend === null) return;
      model.learned.add(example);
      this.lastBackend = backend;
      this.#dispatch("learned", name);
    }
    if (generation === this.#generation && model.learned.size) await this.#saveModel(name, model, generation);
  }

  async #saveModel(name, model, generation) {
    if (!this.#store) return;
    const { classifier } = model, learned = [...model.learned];
    await Promise.all(learned.map((e) => e.saved));  // their ids
    if (generation !== this.#generation) return;
    const weights = await classifier.readWeights(), ids = learned.map((e) => e.id).filter((id) => id !== null);
    try { await this.#store.saveModel(name, classifier.weightsVersion, ids, weights); } catch (error) {
      this.#notify(weightsNotKept(name, writeProblem(error)));
    }
  }

  // The store, once open: its examples join those taught meanwhile (which it then keeps too), and the records wait
  // for their models, or are adopted by those already loaded.
  #attach({ store, examples, records }) {
    this.#store = store;
    this.#records = records;
    const unsaved = this.#examples;
    this.#examples = [...examples.map(({ id, input, label }) => ({ id, input, label, saved: null })), ...unsaved];
    for (const example of unsaved) example.saved = this.#save(example);
    for (const name of this.#models.keys()) {
      const notice = this.#adoptRecord(name);
      if (notice) this.#notify(notice);
      this.catchUp(name);
    }
    if (examples.length) this.#dispatch("learned");
    this.#dispatch("change");
  }

  // Another tab added examples (they join these) or forgot them (this tab forgets too, then takes what the store holds).
  async #followOtherTab(type) {
    if (type === "cleared" && this.#examples.length) {
      this.#forgetHere();
      this.#notify(FORGOTTEN_ELSEWHERE);
    }
    await Promise.all(this.#examples.map((e) => e.saved));  // this tab's own additions have their ids first
    const known = new Set(this.#examples.map((e) => e.id)), stored = await this.#store.examples().catch((error) => {
      this.#notify(otherTabUnread(error.message));
      return [];
    });
    const added = stored.filter((e) => !known.has(e.id)).map(({ id, input, label }) => ({ id, input, label, saved: null }));
    if (!added.length) return;
    this.#examples.push(...added);
    for (const name of this.#models.keys()) this.catchUp(name);
    this.#dispatch("learned");
    this.#dispatch("change");
  }

  #notify(text, ends = null) { this.dispatchEvent(new CustomEvent("notice", { detail: { text, ends } })); }

  #dispatch(type, model = null) { this.dispatchEvent(new CustomEvent(type, { detail: model })); }
}

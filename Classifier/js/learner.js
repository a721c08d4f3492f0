// Learns the person's handwriting: keeps the digits they taught (their examples, shared by both models), fine-tunes a
// model on each new example in turn (one job at a time; teaching while a job runs queues the example), brings the other
// model up to date when it is next used, and keeps all of it across reloads (personal_store.js).
// Events: "change" (examples, or a model's state, changed), "learned" (detail: model name; its weights are new).
import { PersonalStore, recordProblem } from "./personal_store.js";
import { loadReplay, teachingBatches } from "./learning.js";
import { MODEL_LABELS } from "./models.js";
import { indexOfMax } from "./probabilities.js";

// A teaching starts no training round that would end later than this after its first round began, so that the
// corrected prediction shows within about a second even where a round is slow (WebGPU on SwiftShader)
const ROUNDS_WITHIN_MS = 800;

export class Learner extends EventTarget {
  #store;
  #examples;
  #records;               // saved model records not yet checked against their model
  #models = new Map();    // name -> {classifier, learned: number of examples (in order) its weights have learned}
  #wanted = new Set();    // models waiting to catch up, in order
  #running = null;        // the model being trained, or null
  #generation = 0;        // bumped by reset(): a job started before it does not touch what comes after
  error = null;           // the last training failure, for the page to show
  lastBackend = "";       // the backend that computed the last training ("webgpu" or "cpu")

  // -> {learner, notices}
  static async open() {
    const { store, examples, records, notices } = await PersonalStore.load();
    return { learner: new Learner(store, examples, records), notices };
  }

  constructor(store, examples, records) {
    super();
    this.#store = store;
    this.#examples = examples;
    this.#records = records;
  }

  get exampleCount() { return this.#examples.length; }

  // "shipped" (nothing taught), "learning" (examples it has not learned yet) or "personal"
  stateOf(name) {
    if (this.#examples.length === 0) return "shipped";
    return (this.#models.get(name)?.learned ?? 0) < this.#examples.length ? "learning" : "personal";
  }

  // A classifier just loaded: it takes its saved weights (or a notice says why they were discarded), then learns the
  // examples it has not learned. Returns that notice, or null.
  adopt(classifier) {
    const name = classifier.name, record = this.#records[name];
    delete this.#records[name];
    let learned = 0, notice = null;
    if (record) {
      const problem = recordProblem(record, name, classifier.weightsVersion, classifier.weightSizes, this.#examples.length);
      if (problem === null) {
        classifier.setWeights(record.weights);
        learned = record.learned;
      } else {
        notice = `${problem}, so it was discarded: the ${MODEL_LABELS[name]} model starts from its shipped weights` +
          (this.#examples.length ? " and learns your digits again." : ".");
        this.#store?.forgetModel(name).catch(() => {});
      }
    }
    this.#models.set(name, { classifier, learned });
    this.#dispatch("change");
    this.#catchUp(name);
    return notice;
  }

  // The drawing `input` (the model input, Float32Array(784) in -1..1) is a `label`: kept, then learned by `name`.
  async teach(name, input, label) {
    const example = { input: input.slice(), label };
    this.#examples.push(example);
    this.#dispatch("change");
    if (this.#store) example.id = await this.#store.addExample(example.input, label).catch(() => null);
    this.#catchUp(name);
  }

  // Forgets the examples and every model's learned weights: both classifiers go back to their shipped weights.
  async reset() {
    this.#generation++;
    this.#examples = [];
    this.#wanted.clear();
    this.#records = {};
    for (const model of this.#models.values()) {
      model.learned = 0;
      model.classifier.setWeights(null);
    }
    this.#dispatch("change");
    await this.#store?.clear();
  }

  #catchUp(name) {
    if (!this.#models.has(name) || this.stateOf(name) !== "learning") return;
    this.#wanted.add(name);
    if (this.#running === null) this.#work();
  }

  async #work() {
    while (this.#wanted.size) {
      const [name] = this.#wanted;
      this.#wanted.delete(name);
      this.#running = name;
      const generation = this.#generation;
      try {
        await this.#learnMissing(name, generation);
        this.error = null;
      } catch (error) {
        this.error = error;
        this.#dispatch("error", name);
      }
      this.#running = null;
      this.#dispatch("change");
    }
  }

  // Teaches model `name` each example it has not learned, in order, one training run each.
  async #learnMissing(name, generation) {
    const model = this.#models.get(name), { classifier } = model;
    const [{ recipe, noisePerImage }, replay] = await Promise.all([import(`../${name}/${name}.train.js`), loadReplay()]);
    let weights = null;
    while (generation === this.#generation && model.learned < this.#examples.length) {
      const newest = model.learned, example = this.#examples[newest];
      let backend;
      const started = performance.now();
      for (let round = 1; round <= recipe.rounds; round++) {  // more rounds while it still misreads the taught drawing
        ({ weights, backend } = await classifier.train(teachingBatches(this.#examples.slice(0, newest + 1), newest, replay, recipe, noisePerImage)));
        if (generation !== this.#generation) return classifier.setWeights(null);  // reset while it trained: back to the shipped weights
        const logits = await classifier.predict(example.input);
        if (indexOfMax(logits) === example.label) break;
        // the person waits for the answer (the mean round so far estimates the next); the example stays among theirs,
        // and later teachings keep learning it
        const elapsed = performance.now() - started;
        if (elapsed + elapsed / round > ROUNDS_WITHIN_MS) break;
      }
      model.learned = newest + 1;
      this.lastBackend = backend;
      this.#dispatch("learned", name);
    }
    if (!weights || generation !== this.#generation) return;
    await this.#store?.saveModel(name, classifier.weightsVersion, model.learned, weights).catch(() => {});
  }

  #dispatch(type, model = null) { this.dispatchEvent(new CustomEvent(type, { detail: model })); }
}

// Keeps what the page learned of the person across reloads, in this browser's IndexedDB: their examples (shared by both
// models) and each model's learned weights, with the shipped weights' version they were learned from. What cannot be
// trusted (damaged records, another schema, weights for other shipped weights) is discarded, and load() says what.
import { CLASS_COUNT, INPUT_SIZE, MODEL_LABELS } from "./models.js";

const DB_NAME = "digit-classifier-personal", DB_VERSION = 1, FORMAT = 1;
const EXAMPLES = "examples", MODELS = "models";

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});
const done = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = resolve;
  tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
});

function openDatabase() {
  const opening = indexedDB.open(DB_NAME, DB_VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    for (const name of [...db.objectStoreNames]) db.deleteObjectStore(name);  // an older or foreign layout
    db.createObjectStore(EXAMPLES, { keyPath: "id", autoIncrement: true });
    db.createObjectStore(MODELS, { keyPath: "model" });
  };
  return request(opening);
}

const isExample = (e) => e && Number.isInteger(e.id) && e.input instanceof Float32Array && e.input.length === INPUT_SIZE &&
  e.input.every((v) => v >= -1 && v <= 1) && Number.isInteger(e.label) && e.label >= 0 && e.label < CLASS_COUNT;

export class PersonalStore {
  #db;
  constructor(db) { this.#db = db; }

  // -> {store, examples: [{id, input, label}], records: {model name: saved record}, notices: [text]}; a store that
  // cannot be opened at all gives store null (the page then learns for this visit only) and a notice. A model's record
  // is checked when that model is loaded (recordProblem), against the weights it is loaded with.
  static async load() {
    try { return await PersonalStore.#load(); } catch (error) {
      const notice = `Your digits cannot be kept in this browser (${error?.message ?? error}): what the page learns lasts until you leave.`;
      return { store: null, examples: [], records: {}, notices: [notice] };
    }
  }

  static async #load() {
    const db = await openDatabase();
    if (![EXAMPLES, MODELS].every((name) => db.objectStoreNames.contains(name))) {  // not ours: made anew
      db.close();
      await request(indexedDB.deleteDatabase(DB_NAME));
      const notice = "The saved digits were in an unknown format, so they were discarded.";
      return { store: new PersonalStore(await openDatabase()), examples: [], records: {}, notices: [notice] };
    }
    const store = new PersonalStore(db);
    const tx = db.transaction([EXAMPLES, MODELS]);
    const [examples, records] = await Promise.all([request(tx.objectStore(EXAMPLES).getAll()), request(tx.objectStore(MODELS).getAll())]);
    if (!examples.every(isExample)) {
      await store.clear();
      const notice = "Your saved digits were damaged, so they were discarded and the shipped models are used.";
      return { store, examples: [], records: {}, notices: [notice] };
    }
    return { store, examples, records: Object.fromEntries(records.map((r) => [String(r?.model), r])), notices: [] };
  }

  async addExample(input, label) {
    const tx = this.#db.transaction(EXAMPLES, "readwrite");
    const id = await request(tx.objectStore(EXAMPLES).add({ input, label, added: Date.now() }));
    await done(tx);
    return id;
  }

  async saveModel(model, version, learned, weights) {
    const tx = this.#db.transaction(MODELS, "readwrite");
    tx.objectStore(MODELS).put({ model, format: FORMAT, version, learned, weights, saved: Date.now() });
    await done(tx);
  }

  async forgetModel(model) {
    const tx = this.#db.transaction(MODELS, "readwrite");
    tx.objectStore(MODELS).delete(String(model));
    await done(tx);
  }

  async clear() {
    const tx = this.#db.transaction([...this.#db.objectStoreNames], "readwrite");
    for (const name of this.#db.objectStoreNames) tx.objectStore(name).clear();
    await done(tx);
  }
}

// Why a saved model record cannot be used, or null when it can: `version` and `sizes` ({tensor: bytes}) are those of
// the shipped weights the model is loaded with.
export function recordProblem(record, model, version, sizes, exampleCount) {
  const label = `Your saved ${MODEL_LABELS[model]} model`;
  if (record?.format !== FORMAT) return `${label} was saved in another format`;
  if (record.version !== version) return `${label} was learned from other shipped weights (version ${record.version})`;
  if (!Number.isInteger(record.learned) || record.learned < 0 || record.learned > exampleCount) return `${label} was damaged`;
  const weights = record.weights ?? {}, names = Object.keys(sizes);
  if (Object.keys(weights).length !== names.length || !names.every((n) => weights[n] instanceof Float32Array && weights[n].byteLength === sizes[n]))
    return `${label} was damaged`;
  return null;
}

// @ts-check
// Keeps what the page learned of the person across reloads, in this browser's IndexedDB: their examples (shared by both
// models) and each model's learned weights, with the shipped weights' version and the examples they learned (by id, so
// that a record cannot claim an example the store does not hold). What cannot be trusted (damaged records, another
// schema, weights for other shipped weights) is discarded, and load() says what.
//
// Several tabs of the page share the store: each write is one transaction, a tab that adds or forgets examples tells the
// others (a BroadcastChannel), and a tab of an older version that holds the database open is asked to let go of it when
// a newer one upgrades it ("versionchange"); until it does, the newer one is told that the upgrade is blocked.
import { CLASS_COUNT, INPUT_SIZE } from "../models.js";
import { cannotKeep, DAMAGED_EXAMPLES, FULL_STORAGE, STORE_CLOSED, UNKNOWN_FORMAT } from "../texts.js";

const DB_NAME = "digit-classifier-personal", DB_VERSION = 1, FORMAT = 2;
const EXAMPLES = "examples", MODELS = "models";
const CHANNEL = "digit-classifier-personal";  // messages: {type: "added" | "cleared"}

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});
const done = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = resolve;
  tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("the transaction was aborted"));
});

function openDatabase(onBlocked) {
  const opening = indexedDB.open(DB_NAME, DB_VERSION);
  opening.onupgradeneeded = () => {  // what an older version kept stays, to be checked when read; anything else goes
    const db = opening.result;
    for (const name of [...db.objectStoreNames]) if (name !== EXAMPLES && name !== MODELS) db.deleteObjectStore(name);
    if (!db.objectStoreNames.contains(EXAMPLES)) db.createObjectStore(EXAMPLES, { keyPath: "id", autoIncrement: true });
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: "model" });
  };
  opening.onblocked = onBlocked;
  return request(opening);
}

const isExample = (e) => e && Number.isInteger(e.id) && e.input instanceof Float32Array && e.input.length === INPUT_SIZE &&
  e.input.every((v) => v >= -1 && v <= 1) && Number.isInteger(e.label) && e.label >= 0 && e.label < CLASS_COUNT;

// Why a write failed, in words: a full quota is what a person can act on.
export function writeProblem(error) {
  if (error?.name === "QuotaExceededError" || /quota/i.test(error?.message ?? "")) return FULL_STORAGE;
  return error?.message ?? String(error);
}

export class PersonalStore {
  #db;
  #channel = new BroadcastChannel(CHANNEL);
  #closed = null;  // why the store can no longer be written, once it cannot

  // handlers: {onChanged(type): another tab added ("added") or forgot ("cleared") examples; onClosed(): a newer
  // version of the page took the database, this store is closed}
  constructor(db, { onChanged, onClosed }) {
    this.#db = db;
    this.#channel.onmessage = ({ data }) => onChanged(data?.type);
    db.onversionchange = () => {
      db.close();
      this.#channel.close();
      this.#closed = STORE_CLOSED;
      onClosed();
    };
  }

  // -> {store, examples: [{id, input, label}], records: {model name: saved record}, notices: [text]}; a store that
  // cannot be opened at all gives store null (the page then learns for this visit only) and a notice; onBlocked() is
  // called while another tab holds an older version open (load() resolves once it lets go). A model's record is checked
  // when that model is loaded (recordProblem), against the weights it is loaded with.
  static async load({ onBlocked, ...handlers }) {
    try { return await PersonalStore.#load(onBlocked, handlers); } catch (error) {
      return { store: null, examples: [], records: {}, notices: [cannotKeep(error?.message ?? error)] };
    }
  }

  static async #load(onBlocked, handlers) {
    let db = await openDatabase(onBlocked);
    const notices = [];
    if (![EXAMPLES, MODELS].every((name) => db.objectStoreNames.contains(name))) {  // not ours: made anew
      db.close();
      await request(indexedDB.deleteDatabase(DB_NAME));
      db = await openDatabase(onBlocked);
      notices.push(UNKNOWN_FORMAT);
    }
    const store = new PersonalStore(db, handlers);
    const tx = db.transaction([EXAMPLES, MODELS]);
    const [examples, records] = await Promise.all([request(tx.objectStore(EXAMPLES).getAll()), request(tx.objectStore(MODELS).getAll())]);
    if (!examples.every(isExample)) {
      await store.clear();
      notices.push(DAMAGED_EXAMPLES);
      return { store, examples: [], records: {}, notices };
    }
    return { store, examples, records: Object.fromEntries(records.map((r) => [String(r?.model), r])), notices };
  }

  #database() {
    if (this.#closed) throw new Error(this.#closed);
    return this.#db;
  }

  // The examples as they are now, another tab's included; rejects if any is damaged.
  async examples() {
    const examples = await request(this.#database().transaction(EXAMPLES).objectStore(EXAMPLES).getAll());
    if (!examples.every(isExample)) throw new Error("a stored example is damaged");
    return examples;
  }

  async addExample(input, label) {
    const tx = this.#database().transaction(EXAMPLES, "readwrite");
    const id = await request(tx.objectStore(EXAMPLES).add({ input, label, added: Date.now() }));
    await done(tx);
    this.#channel.postMessage({ type: "added" });
    return id;
  }

  // learned: the ids of the examples these weights learned
  async saveModel(model, version, learned, weights) {
    const tx = this.#database().transaction(MODELS, "readwrite");
    tx.objectStore(MODELS).put({ model, format: FORMAT, version, learned, weights, saved: Date.now() });
    await done(tx);
  }

  async forgetModel(model) {
    const tx = this.#database().transaction(MODELS, "readwrite");
    tx.objectStore(MODELS).delete(String(model));
    await done(tx);
  }

  async clear() {
    const db = this.#database(), tx = db.transaction([...db.objectStoreNames], "readwrite");
    for (const name of db.objectStoreNames) tx.objectStore(name).clear();
    await done(tx);
    this.#channel.postMessage({ type: "cleared" });
  }
}

// Why a saved model record cannot be used, or null when it can: `version` and `sizes` ({tensor: bytes}) are those of
// the shipped weights the model is loaded with, `ids` those of the examples the store holds.
/** @returns {import("../texts.js").RecordProblem | null} */
export function recordProblem(record, version, sizes, ids) {
  if (record?.format !== FORMAT) return { kind: "format" };
  if (record.version !== version) return { kind: "version", version: record.version };
  if (!Array.isArray(record.learned) || !record.learned.every(Number.isInteger)) return { kind: "damaged" };
  if (!record.learned.every((id) => ids.has(id))) return { kind: "forgotten" };
  const weights = record.weights ?? {}, names = Object.keys(sizes);
  if (Object.keys(weights).length !== names.length || !names.every((n) => weights[n] instanceof Float32Array && weights[n].byteLength === sizes[n]))
    return { kind: "damaged" };
  return null;
}

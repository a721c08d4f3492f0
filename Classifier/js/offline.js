// @ts-check
// The page's side of the service worker (../service-worker.js): registers it, lets it fetch the rest of the site for
// offline use once the first answer is shown (#prediction's data-seq leaves 0) unless the connection asks to save
// data, and tells the person when a new version is ready or has taken over. Without service workers, or with storage
// refused, the page is as without this module: nothing is said.
import { elements } from "./page_elements.js";

const WORKER_URL = new URL("../service-worker.js", import.meta.url);
const UPDATED_KEY = "digit-classifier updated";  // sessionStorage: set by the page that hands over to a new version

/** @param {(text: string) => void} notify */
export function keepOffline(notify) {
  if (!("serviceWorker" in navigator)) return;
  if (takeFlag()) notify("This page was updated to its new version.");
  navigator.serviceWorker.register(WORKER_URL, { updateViaCache: "none" })
    .then((registration) => registration && watch(registration, notify), () => {});  // undefined where an automation blocks workers
}

/** @param {ServiceWorkerRegistration} registration @param {(text: string) => void} notify */
function watch(registration, notify) {
  const container = navigator.serviceWorker;
  const ready = () => notify("A new version of this page is ready: it opens when this page is next opened alone.");
  container.addEventListener("message", ({ data }) => { if (data?.type === "not-alone") ready(); });
  container.startMessages();
  // a version that waited for this visit takes over now, before the person starts: this page loads again in it
  if (registration.waiting && container.controller) return takeOver(registration.waiting);
  if (container.controller) registration.update().catch(() => {});  // the version checked over the network; offline, not
  /** @param {ServiceWorker | null} worker */
  const follow = (worker) => worker?.addEventListener("statechange", () => { if (worker.state === "installed" && container.controller) ready(); });
  follow(registration.installing);  // an update the browser's own check found as the page opened
  registration.addEventListener("updatefound", () => follow(registration.installing));
  whenAnswered(() => {
    // @ts-ignore: navigator.connection is not in every engine, nor in TypeScript's DOM types
    if (navigator.connection?.saveData) return;
    container.ready.then(({ active }) => active?.postMessage({ type: "keep-all" }));
  });
}

/** @param {ServiceWorker} waiting */
function takeOver(waiting) {
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    setFlag();
    location.reload();
  }, { once: true });
  // once loaded: a page still loading may not yet be among the worker's clients, nor the one it replaces gone
  if (document.readyState === "complete") waiting.postMessage({ type: "take-over" });
  else window.addEventListener("load", () => waiting.postMessage({ type: "take-over" }), { once: true });
}

/** @param {() => void} then */
function whenAnswered(then) {
  const answered = () => Number(elements.prediction.dataset.seq) > 0;
  if (answered()) return then();
  const observer = new MutationObserver(() => {
    if (!answered()) return;
    observer.disconnect();
    then();
  });
  observer.observe(elements.prediction, { attributes: true, attributeFilter: ["data-seq"] });
}

function setFlag() {
  try { sessionStorage.setItem(UPDATED_KEY, "1"); } catch { /* storage refused: the notice is not shown */ }
}

function takeFlag() {
  try {
    const updated = sessionStorage.getItem(UPDATED_KEY) !== null;
    sessionStorage.removeItem(UPDATED_KEY);
    return updated;
  } catch {
    return false;
  }
}

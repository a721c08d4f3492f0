// @ts-check
// The page's side of the service worker (../service-worker.js): registers it, lets it fetch the rest of the site for
// offline use once the first answer is shown (#prediction's data-seq leaves 0) unless the connection asks to save
// data, and tells the person when a new version is ready (it waits, whole, until no page of the old one is open) or has
// taken over. Without service workers, or with storage refused, the page is as without this module: nothing is said.
import { elements } from "./ui/page_elements.js";
import { NEW_VERSION_READY, NEW_VERSION_TAKEN_OVER } from "./texts.js";

const WORKER_URL = new URL("../service-worker.js", import.meta.url);

/** @param {(text: string) => void} notify */
export function keepOffline(notify) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(WORKER_URL, { updateViaCache: "none" })
    .then((registration) => registration && watch(registration, notify), () => {});  // undefined where an automation blocks workers
}

/** @param {ServiceWorkerRegistration} registration @param {(text: string) => void} notify */
function watch(registration, notify) {
  const container = navigator.serviceWorker;
  const ready = () => notify(NEW_VERSION_READY);
  if (container.controller) {
    if (registration.waiting) ready();
    registration.update().catch(() => {});  // the version checked over the network; offline, not
    askUpdated(container.controller).then((updated) => updated && notify(NEW_VERSION_TAKEN_OVER));
  }
  // An update is a worker found while another version is active and controls this page: the first visit's own worker
  // is not, though an engine may tell this page of its "installed" state only once it has taken control
  const update = () => Boolean(registration.active && container.controller);
  /** @param {ServiceWorker | null} worker */
  const follow = (worker) => worker?.addEventListener("statechange", () => { if (worker.state === "installed" && container.controller) ready(); });
  if (update()) follow(registration.installing);  // an update the browser's own check found as the page opened
  registration.addEventListener("updatefound", () => update() && follow(registration.installing));
  whenAnswered(() => {
    // @ts-ignore: navigator.connection is not in every engine, nor in TypeScript's DOM types
    if (navigator.connection?.saveData) return;
    container.ready.then(({ active }) => active?.postMessage({ type: "keep-all" }));
  });
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

/** @param {ServiceWorker} worker @returns {Promise<boolean>} whether this page is the first of a new version */
function askUpdated(worker) {
  const { port1, port2 } = new MessageChannel();
  const answer = new Promise((resolve) => { port1.onmessage = ({ data }) => resolve(Boolean(data?.updated)); });
  worker.postMessage({ type: "updated?" }, [port2]);
  return answer;
}

// @ts-check
// The page's features, imported on demand instead of statically: a module that is missing or broken then shows as an
// error on the page, where a failed static import would silently leave a dead page. What the first reading needs is
// imported at once (index.html preloads it); the rest when later() is first called: once the first model is ready, or
// sooner if the person asks for one of them.

/** @param {(error: Error) => void} showError */
export function pageFeatures(showError) {
  /** @param {string} path @returns {Promise<any>} */
  const load = (path) => {
    const url = new URL(path, import.meta.url);
    const module = import(url.href).catch((error) => { throw new Error(`Could not load ${url}: ${error.message}`, { cause: error }); });
    module.catch(showError);  // shown at once, not only when the module is first needed
    return module;
  };
  const first = { preprocess: load("./ui/preprocess.js"), classifier: load("./classifier.js") };
  /** @type {{ learner: Promise<any>, panel: Promise<any>, inside: Promise<any>, tryDigit: Promise<any> } | null} */
  let rest = null;
  const later = () => rest ??= {
    learner: load("./learning/learner.js"),
    panel: load("./ui/personal_panel.js"),
    inside: load("./ui/inside_panel.js"),
    tryDigit: load("./ui/try_digit.js"),
  };
  return { first, later };
}

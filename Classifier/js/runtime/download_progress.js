// @ts-check
// How the page's downloads of model files are coming along: safetensors.js's download() dispatches a "progress"
// event here for every chunk that arrives, and the page's view listens. One event source for every download, so that
// no layer hands a callback to another.

/**
 * @typedef {object} DownloadProgress
 * @property {string} url
 * @property {number} loaded  bytes arrived so far
 * @property {number | null} total  the file's size in bytes, where the response said it (Content-Length), else null
 *   until the download is done
 * @property {boolean} done
 */

export const downloadProgress = new EventTarget();

/** @param {DownloadProgress} detail */
export function reportProgress(detail) {
  downloadProgress.dispatchEvent(new CustomEvent("progress", { detail }));
}

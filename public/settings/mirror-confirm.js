// A project whose pull mirror pulls another repository than this one: linking it needs the admin to say
// so (the link PUT's `acceptMirrorSource`), or its pipelines would build the other repository's code.
import { $, resize } from "./dom.js";

/** Asks for the confirmation, naming both repositories; `null` hides it. */
export function showMirrorConfirm(mismatch) {
  $("mirror-confirm").hidden = !mismatch;
  $("accept-mirror-source").checked = false;
  if (mismatch)
    $("mirror-confirm-text").textContent =
      `Link it anyway: I know its mirror pulls ${mismatch.mirrorSource}, not this repository (${mismatch.repository}).`;
  resize();
}

/** Whether the save button must wait for the confirmation. */
export const mirrorConfirmMissing = () => !$("mirror-confirm").hidden && !$("accept-mirror-source").checked;

/** What the link PUT carries: the confirmation, when it was asked for and given. */
export const mirrorConfirmBody = () =>
  !$("mirror-confirm").hidden && $("accept-mirror-source").checked ? { acceptMirrorSource: true } : {};

export function onMirrorConfirmChange(listener) {
  $("accept-mirror-source").addEventListener("change", listener);
}

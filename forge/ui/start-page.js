// Starts one of the Connect edition's settings pages inside Forge: point it at the /forge API, install the
// invokeRemote transport, then load the page's own modules (unchanged) so they see both.
import { view } from "@forge/bridge";
import { flash } from "../../public/settings/dom.js";
import { invokeRemoteTransport } from "./invoke-remote-transport.js";

/** prepare(context, root) sets the page's data-* attributes (its API under /forge/api); load() imports its main module. */
export async function startPage(prepare, load) {
  try {
    prepare(await view.getContext(), document.getElementById("settings"));
  } catch (error) {
    console.error(error);
    document.getElementById("loading").hidden = true;
    flash(
      "error",
      "Bitbucket did not tell the page which repository or workspace it is for. Reload the page.",
      "The settings could not be loaded",
    );
    return;
  }
  window.__settingsTransport = invokeRemoteTransport;
  await load();
}

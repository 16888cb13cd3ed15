import { existsSync } from "node:fs";
import path from "node:path";

/** The folder holding package.json, views/ and public/, whether we run from src/ (tsx) or dist/src/. */
export const projectRoot = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json")) || !existsSync(path.join(dir, "views"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("Cannot find the project root (package.json with views/ beside it)");
    dir = up;
  }
  return dir;
})();

import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

const IDLE = new Set(["(idle)", "(program)", "(root)"]);
// Samples taken while a module loads belong to start-up, not to serving requests.
const LOADING = /^(Module\._load|Module\._compile|wrapModuleLoad)$/;

/** Where a frame's code lives: a package, our src/ folder, node's internals, or the engine itself. */
function owner(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const src = /\/dist\/(src\/(?:[^/]+\/)?)/.exec(url)?.[1];
  return src ?? url.split("/").slice(-2).join("/");
}

const frameName = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url ? `${url.replace(/^.*\/(dist|node_modules)\//, "")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${file}`.trim();
};

/**
 * A V8 CPU profile of the app, as percentages of its busy samples (idle excluded): self time by package,
 * and inclusive time by package and by our own functions, enough to see where a request's CPU goes
 * without opening DevTools.
 */
export function summarizeProfile(file: string, top = 12): string[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const ours = new Map<string, number>();
  let busy = 0;
  let loading = 0;
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const id of profile.samples ?? []) {
    const leaf = byId.get(id)!;
    if (IDLE.has(leaf.callFrame.functionName)) continue;
    const stack: ProfileNode[] = [];
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) stack.push(n);
    if (stack.some((n) => LOADING.test(n.callFrame.functionName))) {
      loading++;
      continue;
    }
    busy++;
    add(self, owner(leaf.callFrame.url, leaf.callFrame.functionName));
    const owners = new Set<string>();
    const frames = new Set<string>();
    for (const n of stack) {
      owners.add(owner(n.callFrame.url, n.callFrame.functionName));
      if (/\/dist\/src\//.test(n.callFrame.url)) frames.add(frameName(n));
    }
    for (const o of owners) add(inclusive, o);
    for (const f of frames) add(ours, f);
  }
  const pct = (x: number) => `${((100 * x) / (busy || 1)).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);
  return [
    `${busy} busy samples (${loading} more while loading modules, left out); shares of them:`,
    "self time by package:",
    ...list(self),
    "inclusive time by package (on the stack):",
    ...list(inclusive),
    "inclusive time by our functions:",
    ...list(ours),
  ];
}

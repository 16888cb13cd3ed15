import type { Browser, BrowserContext } from "playwright-core";
import { routeBitbucket } from "../../../sim/host/bitbucket-frame";
import { HostServer } from "../../../sim/host/host-server";
import { Stack } from "../../support/stack";
import { chromiumPath, launchChromium } from "./chromium";

export interface BrowserSuiteOptions {
  /** The page's size (default 1100 × 800). */
  viewport?: { width: number; height: number };
  /** One stack and one browser context for the whole file, whose tests build on each other; default: one per test. */
  shared?: boolean;
  /** Bitbucket's page frame around the app's pages (HostServer); default true. */
  host?: boolean;
  /** Route each context's Bitbucket scripts to the simulator (routeBitbucket with allJs) as it opens. */
  routeBitbucket?: boolean;
}

export interface BrowserSuite {
  readonly browser: Browser;
  readonly host: HostServer;
  readonly stack: Stack;
  readonly context: BrowserContext;
  /** Closes the context and opens another of this size (a narrow frame), closed after the test like the first. */
  replaceContext(viewport: { width: number; height: number }): Promise<BrowserContext>;
}

/**
 * What every browser test file sets up, as mocha hooks of the describe it is called in: one headless
 * chromium (the file is skipped without one, outside CI), Bitbucket's page frame, and a stack with a
 * browser context, fresh for each test or shared by the file's tests. Read its parts inside tests and hooks.
 */
export function browserSuite(opts: BrowserSuiteOptions = {}): BrowserSuite {
  const viewport = opts.viewport ?? { width: 1100, height: 800 };
  const parts: Partial<Record<keyof BrowserSuite, unknown>> = {};
  const open = async () => {
    const stack = await Stack.start();
    parts.stack = stack;
    const context = await (parts.browser as Browser).newContext({ viewport });
    parts.context = context;
    if (opts.routeBitbucket) await routeBitbucket(context, stack.bitbucket.baseUrl, { allJs: true });
  };
  const close = async () => {
    await (parts.context as BrowserContext | undefined)?.close();
    await (parts.stack as Stack | undefined)?.stop();
    parts.context = parts.stack = undefined;
  };

  before(async function () {
    const executable = chromiumPath();
    if (!executable) {
      if (process.env.CI) throw new Error("chromium is not installed (apt-get install -y chromium)");
      console.warn("    (skipped: no chromium; apt-get install -y chromium)");
      return this.skip();
    }
    parts.browser = await launchChromium(executable);
    if (opts.host !== false) parts.host = await HostServer.start();
    if (opts.shared) await open();
  });
  after(async () => {
    if (opts.shared) await close();
    await (parts.browser as Browser | undefined)?.close();
    await (parts.host as HostServer | undefined)?.close();
  });
  if (!opts.shared) {
    beforeEach(open);
    afterEach(close);
  }

  const part = <K extends keyof BrowserSuite>(name: K) => {
    const value = parts[name];
    if (value === undefined) throw new Error(`browserSuite: no ${name} (${name === "host" ? "host: false" : "not started yet"})`);
    return value as BrowserSuite[K];
  };
  return {
    get browser() {
      return part("browser");
    },
    get host() {
      return part("host");
    },
    get stack() {
      return part("stack");
    },
    get context() {
      return part("context");
    },
    async replaceContext(size) {
      await part("context").close();
      const context = await part("browser").newContext({ viewport: size });
      parts.context = context;
      return context;
    },
  };
}

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { FrameLocator, Locator, Page } from "playwright-core";

export const screenshotDir = path.resolve(__dirname, "..", "screenshots");

/**
 * Keeps a full-page screenshot as a test artifact: test/browser/screenshots/<name>.png. The viewport is
 * grown to the page first: chromium's own full-page capture often paints a framed page blank.
 */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  // Let a pending AP.resize() land and the frame repaint before capturing.
  await page.waitForTimeout(400);
  await page.screenshot({ path: file });
  if (height > viewport.height) await page.setViewportSize(viewport);
  return file;
}

/** Waits until the element is visible and its text matches. */
export async function seeText(locator: Locator, expected: RegExp | string, timeoutMs = 5_000): Promise<string> {
  await locator.first().waitFor({ state: "visible", timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  let text = "";
  for (;;) {
    text = ((await locator.first().innerText()) ?? "").replace(/\s+/g, " ").trim();
    const ok = typeof expected === "string" ? text.includes(expected) : expected.test(text);
    if (ok) return text;
    if (Date.now() > deadline) assert.fail(`expected ${String(expected)} in: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function isHidden(locator: Locator): Promise<boolean> {
  return !(await locator.isVisible());
}

/** Waits until the host page has sized the frame to its content (what AP.resize() does), and returns the height. */
export async function frameFitsContent(page: Page, timeoutMs = 3_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frameHeight = await page.$eval("#addon", (f) => Math.round(f.getBoundingClientRect().height));
    const frame = page.frame({ url: /\/settings\/(repository|workspace)/ });
    const contentHeight = await frame!.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height));
    if (Math.abs(frameHeight - contentHeight) <= 2) return frameHeight;
    if (Date.now() > deadline) assert.fail(`the frame is ${frameHeight}px high, its content ${contentHeight}px`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Picks a project in the settings page's picker and waits until the page took the pick (its option is
 * selected). Once, in a CI run, the project card never showed after the click, and the app logged nothing
 * (it logs neither requests nor 4xx answers; the cause was not found): a pick the page did not take is
 * clicked once more, and if that too is lost the failure says what the page showed.
 */
export async function pickProject(frame: FrameLocator, path: string): Promise<void> {
  const button = frame.locator("#project-results button", { hasText: path });
  const taken = frame.locator('#project-results [aria-selected="true"] button', { hasText: path });
  for (let attempt = 1; ; attempt++) {
    await button.click();
    try {
      await taken.waitFor({ state: "visible", timeout: 3_000 });
      return;
    } catch (e) {
      if (attempt >= 2) {
        const shown = async (selector: string) => ((await frame.locator(selector).first().textContent()) ?? "").trim();
        assert.fail(
          `the page did not take the pick of ${path} (flash: "${await shown("#flash")}"; search: "${await shown("#project-search-state")}"): ${(e as Error).message}`,
        );
      }
    }
  }
}

import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Browser, type Page } from "@playwright/test";
import { watchBrowser } from "./helpers";

// WCAG 2.2 AA, as axe-core tags it.
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

export type Axe = {
  /** Scan this page too (pages opened in contexts of their own). */
  track(page: Page): void;
};

type Found = { url: string; id: string; help: string; targets: string[] };

async function scan(page: Page, url: string): Promise<Found[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.map((v) => ({
    url,
    id: v.id,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}

/**
 * Loads each address again as the tracked page's user (same cookies) in a scanning page
 * of its own and runs axe there. axe needs JavaScript to run, so for the no-JS project
 * the scanning page has it on but loads none of msgbuddy's scripts: what it scans is the
 * server-rendered page alone. Loading a page changes nothing, so this is safe.
 */
async function scanAgain(browser: Browser, from: Page, urls: string[], hydrate: boolean): Promise<Found[]> {
  // Contexts made in a test take the project's options, so JavaScript is switched on here.
  const context = await browser.newContext({
    storageState: await from.context().storageState(),
    javaScriptEnabled: true,
  });
  if (!hydrate) {
    await context.route(/\/(pkg\/.*\.(js|wasm)|register-sw\.js)$/, (route) => route.abort());
  }
  const page = await context.newPage();
  // What the browser reported while a page loaded: a page that never hydrates says why.
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const found: Found[] = [];
  try {
    for (const url of urls) {
      errors.length = 0;
      const res = await page.goto(url);
      if (!res?.headers()["content-type"]?.startsWith("text/html")) continue;
      if (hydrate && (await page.getByTestId("toasts").count()) > 0) {
        // Should it not, the answer's policy and origin say whether the server or a
        // cache (the service worker) made the page.
        const why = [
          `status ${res.status()}`,
          `from service worker: ${res.fromServiceWorker()}`,
          `CSP: ${res.headers()["content-security-policy"] ?? "none"}`,
          `browser errors: ${errors.join(" | ")}`,
        ].join("; ");
        await expect(page.getByTestId("toasts"), `${url} hydrates; ${why}`).toHaveAttribute(
          "data-hydrated",
          "true",
          { timeout: 30_000 },
        );
      }
      found.push(...(await scan(page, url)));
    }
  } finally {
    await context.close();
  }
  return found;
}

/**
 * Every test runs through axe: each page it visits (in the default page and in any page
 * it tracks) is scanned with the WCAG 2.2 AA rules when the test ends, and the test fails
 * on any violation. Later pages are held to the same bar without writing anything.
 */
export const test = base.extend<{ axe: Axe }>({
  axe: [
    async ({ page, browser, javaScriptEnabled }, use) => {
      const tracked: { page: Page; urls: string[] }[] = [];
      const track = (p: Page) => {
        watchBrowser(p);
        const entry = { page: p, urls: [] as string[] };
        tracked.push(entry);
        p.on("framenavigated", (frame) => {
          const url = frame.url();
          if (frame === p.mainFrame() && url.startsWith("http") && !entry.urls.includes(url)) {
            entry.urls.push(url);
          }
        });
      };
      track(page);
      await use({ track });

      const found: Found[] = [];
      for (const { page: p, urls } of tracked) {
        if (p.isClosed() || urls.length === 0) continue;
        // With JavaScript, the page as the test left it (live updates, toasts) too.
        if (javaScriptEnabled) found.push(...(await scan(p, p.url())));
        found.push(...(await scanAgain(browser, p, urls, javaScriptEnabled)));
      }
      expect(found, "accessibility violations (WCAG 2.2 AA)").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

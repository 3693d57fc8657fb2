import { expect, type Page } from "@playwright/test";

export const PASSWORD = "e2e-password-1";

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export async function signUp(page: Page, name: string, email: string) {
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
}

export async function logIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
}

export async function logOut(page: Page) {
  await page.getByTestId("user-menu").locator("summary").click();
  await page.getByTestId("logout").click();
  await expect(page).toHaveURL(/\/login$/);
}

const heard = new WeakMap<Page, string[]>();

/**
 * Keeps what the browser reports for `page` (script errors, console errors, failed
 * requests), so a page that never hydrates says why. Every tracked page is watched.
 */
export function watchBrowser(page: Page) {
  if (heard.has(page)) return;
  const said: string[] = [];
  heard.set(page, said);
  page.on("pageerror", (e) => said.push(`${page.url()}: ${String(e)}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") said.push(`${page.url()}: ${m.type()}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => {
    // Leaving a page ends its live stream; that is not news.
    if (!r.url().endsWith("/events")) said.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
}

/** Waits until the WASM bundle has hydrated the page (a no-op with JavaScript disabled). */
export async function hydrated(page: Page, javaScriptEnabled: boolean) {
  if (!javaScriptEnabled) return;
  try {
    await expect(page.getByTestId("toasts")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  } catch (e) {
    const said = (heard.get(page) ?? []).slice(-20).join("\n  ") || "nothing";
    throw new Error(`${page.url()} did not hydrate; the browser said:\n  ${said}\n${String(e)}`);
  }
}

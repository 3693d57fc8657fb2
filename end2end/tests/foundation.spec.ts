import { chromium } from "@playwright/test";
import { launchOptions } from "../chromium";
import { expect, test } from "./fixtures";
import { hydrated, logIn, logOut, signUp, uniqueEmail } from "./helpers";

test("an owner invites an agent, who cannot reach settings until made admin", async ({ browser, javaScriptEnabled, axe }) => {
  const ownerEmail = uniqueEmail("owner");
  const agentEmail = uniqueEmail("agent");

  // The owner signs up and creates a workspace.
  const owner = await (await browser.newContext()).newPage();
  axe.track(owner);
  await owner.goto("/signup");
  await signUp(owner, "Olivia Owner", ownerEmail);
  await expect(owner).toHaveURL(/\/workspaces\/new$/);
  await owner.getByLabel("Workspace name").fill("Acme Support");
  await owner.getByRole("button", { name: "Create workspace" }).click();
  await expect(owner).toHaveURL(/\/w\/ws_[0-9a-f]+$/);
  const workspaceUrl = owner.url();
  await expect(owner.getByTestId("current-workspace")).toHaveText("Acme Support");

  // ...and invites a second user as agent.
  await owner.getByTestId("nav-settings").click();
  await owner.getByTestId("settings-tab-invitations").click();
  await owner.getByTestId("invite-role").selectOption("agent");
  await owner.getByRole("button", { name: "Create invitation link" }).click();
  const link = await owner.getByTestId("invite-link").getAttribute("href");
  expect(link).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);

  // The agent opens the link, signs up, accepts.
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  axe.track(agent);
  await agent.goto(link!);
  await expect(agent.getByTestId("invite-summary")).toContainText("Acme Support");
  await agent.getByTestId("invite-signup").click();
  await signUp(agent, "Andy Agent", agentEmail);
  await expect(agent).toHaveURL(new RegExp(`${link}$`));
  await agent.getByRole("button", { name: "Accept invitation" }).click();
  await expect(agent).toHaveURL(workspaceUrl);
  await expect(agent.getByTestId("my-role")).toHaveText("Agent");

  // The agent logs out and in again.
  await logOut(agent);
  await logIn(agent, agentEmail);
  await expect(agent).toHaveURL(workspaceUrl);

  // Settings are not in the agent's sidebar, and going there directly is a 403 page.
  await expect(agent.getByTestId("nav-settings")).toHaveCount(0);
  const forbidden = await agent.goto(`${workspaceUrl}/settings`);
  expect(forbidden?.status()).toBe(403);
  await expect(agent.getByTestId("forbidden")).toBeVisible();
  await expect(agent.getByTestId("sidebar")).toBeVisible();

  await agent.goto(workspaceUrl);
  await hydrated(agent, javaScriptEnabled);
  if (javaScriptEnabled) {
    await expect(agent.getByTestId("live-status")).toHaveText("● Live");
  }

  // The owner makes the agent an admin.
  await owner.goto(`${workspaceUrl}/settings/members`);
  await hydrated(owner, javaScriptEnabled);
  const row = owner.getByTestId("member-row").filter({ hasText: agentEmail });
  await row.getByLabel(`Role for ${agentEmail}`).selectOption("admin");
  await row.getByRole("button", { name: "Change role" }).click();
  await expect(row.getByTestId("member-role")).toHaveText("Admin");

  if (javaScriptEnabled) {
    // The agent's open page learns it over SSE: Settings appears without a reload.
    await expect(agent.getByTestId("nav-settings")).toBeVisible();
    await expect(agent.getByTestId("workspace-frame")).toHaveAttribute("data-role", "admin");
    await expect(agent.getByTestId("toast")).toContainText("Your role is now Admin");
  } else {
    await agent.reload();
    await expect(agent.getByTestId("nav-settings")).toBeVisible();
  }
  await agent.getByTestId("nav-settings").click();
  await expect(agent.getByTestId("settings-page")).toBeVisible();
});

test("settings save and show up in the audit log", async ({ page }) => {
  await page.goto("/signup");
  await signUp(page, "Sam Settings", uniqueEmail("settings"));
  await page.getByLabel("Workspace name").fill("Settings Co");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.getByTestId("nav-settings").click();
  await page.getByLabel("Workspace name").fill("Settings Company");
  await page.getByLabel("Time zone").selectOption("Europe/Lisbon");
  await page.getByLabel("Default language").fill("pt-PT");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByLabel("Workspace name")).toHaveValue("Settings Company");
  await page.reload();
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Lisbon");
  await page.getByTestId("settings-tab-audit").click();
  await expect(page.getByTestId("audit-row").filter({ hasText: "workspace.settings_changed" })).toHaveCount(1);
});

test("a wrong password shows an error and keeps the visitor on the login page", async ({ page }) => {
  await logIn(page, "nobody@example.com");
  await expect(page.getByTestId("form-error")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/login/);
});

test("unknown addresses show the 404 page", async ({ page }) => {
  const res = await page.goto("/no/such/page");
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toBeVisible();
});

test("the demo login from the first run works", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("owner@demo.msgbuddy.test");
  await page.getByLabel("Password").fill("msgbuddy-demo");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("current-workspace")).toHaveText("Demo Workspace");
});

test("the sidebar toggle works once hydrated", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "an interactive control needs the WASM bundle");
  await page.goto("/signup");
  await signUp(page, "Hydra", uniqueEmail("hydra"));
  await page.getByLabel("Workspace name").fill("Hydration");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await hydrated(page, javaScriptEnabled);
  const toggle = page.getByTestId("sidebar-toggle");
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByTestId("nav-overview")).toBeHidden();
});

test("the app is installable: manifest, icons and service worker", async ({ request }) => {
  const manifest = await (await request.get("/manifest.webmanifest")).json();
  expect(manifest.display).toBe("standalone");
  for (const icon of manifest.icons) {
    expect((await request.get(icon.src)).status()).toBe(200);
  }
  expect((await request.get("/sw.js")).status()).toBe(200);
});

test("Chromium finds the app installable, with the service worker running", async ({ baseURL, javaScriptEnabled }, testInfo) => {
  test.skip(!javaScriptEnabled, "a service worker needs JavaScript");
  // Chromium never offers to install from a private window, and Playwright's usual
  // contexts are private; a persistent profile is what a user's browser has.
  const context = await chromium.launchPersistentContext(testInfo.outputPath("profile"), { ...launchOptions, baseURL });
  try {
    const page = await context.newPage();
    await page.goto("/login");
    const active = await page.evaluate(async () => !!(await navigator.serviceWorker.ready).active);
    expect(active).toBe(true);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

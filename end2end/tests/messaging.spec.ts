import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { hydrated, signUp, uniqueEmail } from "./helpers";

async function newWorkspace(page: Page, name: string) {
  await page.goto("/signup");
  await signUp(page, "Sandra Sender", uniqueEmail("sender"));
  await page.getByLabel("Workspace name").fill(name);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/w\/ws_[0-9a-f]+$/);
  return page.url();
}

/** Opens the built-in Sandbox channel's page from Settings > Channels. */
async function openSandbox(page: Page, workspaceUrl: string) {
  await page.goto(`${workspaceUrl}/settings/channels`);
  const row = page.getByTestId("channel-row").filter({ hasText: "Sandbox" });
  await expect(row.getByTestId("channel-status")).toHaveAttribute("data-status", "good");
  await row.getByTestId("channel-link").click();
  await expect(page.getByTestId("channel-page")).toBeVisible();
}

test("a text sent from the thread goes sent, delivered, read on the Sandbox channel", async ({ page, javaScriptEnabled }) => {
  const workspaceUrl = await newWorkspace(page, "Sandbox Sends");
  await openSandbox(page, workspaceUrl);
  // Receipts slow enough to watch each step.
  await page.getByLabel("Delivered receipt after (ms)").fill("2500");
  await page.getByLabel("Read receipt after (ms)").fill("5000");
  await page.getByTestId("channel-save").click();
  await expect(page.getByTestId("channel-detail")).toContainText("never leave");
  await expect(page.getByTestId("channel-webhook-url")).toContainText("/webhooks/ch_");

  await page.getByTestId("nav-conversations").click();
  await expect(page.getByTestId("conversations-page")).toBeVisible();
  await page.getByTestId("start-conversation").locator("summary").click();
  await page.getByLabel("To (phone, Telegram chat id or email)").fill("+1 555 010 0042");
  await page.getByLabel("Name (optional)").fill("Ana Customer");
  await page.getByLabel("Message").fill("Your order is on its way!");
  await page.getByTestId("start-send").click();
  await expect(page.getByTestId("thread-contact")).toHaveText("Ana Customer");
  await expect(page.getByTestId("thread-address")).toHaveText("+15550100042");
  const status = page.getByTestId("message").last().getByTestId("message-status");

  if (javaScriptEnabled) {
    // Live, without reloading: each status arrives over the workspace's event stream.
    await hydrated(page, javaScriptEnabled);
    const url = page.url();
    await expect(status).toHaveAttribute("data-status", "sent", { timeout: 5_000 });
    await expect(status).toHaveAttribute("data-status", "delivered", { timeout: 10_000 });
    await expect(status).toHaveAttribute("data-status", "read", { timeout: 10_000 });
    await expect(status).toContainText("Read");
    expect(page.url()).toBe(url);
  } else {
    await expect(async () => {
      await page.reload();
      await expect(status).toHaveAttribute("data-status", "read", { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
  }

  // A reply in the same thread from the composer.
  await page.getByTestId("composer-text").fill("Anything else?");
  await page.getByTestId("composer-send").click();
  await expect(page.getByTestId("message")).toHaveCount(2);
  await expect(page.getByTestId("message").last()).toContainText("Anything else?");

  // A file from the attachment form: typed by its content, shown in the thread from
  // msgbuddy's own copy.
  await page.getByTestId("attachment-caption").fill("The label");
  await page.getByTestId("attachment-file").setInputFiles({ name: "label.png", mimeType: "image/png", buffer: PNG });
  await page.getByTestId("attachment-send").click();
  await expect(page.getByTestId("message")).toHaveCount(3);
  const media = page.getByTestId("message").last().getByTestId("message-media");
  await expect(media).toHaveAttribute("data-kind", "image");
  await expect(media.locator("img")).toHaveJSProperty("naturalWidth", 1);
  await expect(page.getByTestId("message").last()).toContainText("The label");

  // A file that is no type msgbuddy sends is refused with the reason, and nothing is sent.
  await page.getByTestId("attachment-file").setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\x90\x00\x03", "latin1") });
  await page.getByTestId("attachment-send").click();
  await expect(page.getByTestId("form-error")).toContainText("not a type msgbuddy sends");
  await expect(page.getByTestId("message")).toHaveCount(3);
});

/** A 1×1 transparent PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

test("a simulated customer message arrives in the conversation list live", async ({ browser, javaScriptEnabled, axe }) => {
  const context = await browser.newContext();
  const agent = await context.newPage();
  axe.track(agent);
  const workspaceUrl = await newWorkspace(agent, "Sandbox Inbound");
  await agent.goto(`${workspaceUrl}/conversations`);
  await expect(agent.getByTestId("empty-state")).toBeVisible();
  await hydrated(agent, javaScriptEnabled);

  // In another tab, the Sandbox plays the customer.
  const other = await context.newPage();
  axe.track(other);
  await openSandbox(other, workspaceUrl);
  await other.getByLabel("From (phone)").fill("+15550100077");
  await other.getByLabel("Customer name").fill("Carla Customer");
  await other.getByLabel("Message", { exact: true }).fill("Do you ship to Lisbon?");
  await other.getByTestId("simulate-send").click();
  await expect(other).toHaveURL(/\/conversations$/);

  const row = agent.getByTestId("conversation-row").filter({ hasText: "Carla Customer" });
  if (javaScriptEnabled) {
    await expect(row).toBeVisible({ timeout: 10_000 });
  } else {
    await expect(async () => {
      await agent.reload();
      await expect(row).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
  }
  await expect(row.getByTestId("conversation-preview")).toHaveText("Do you ship to Lisbon?");
  await row.locator("a").click();
  await expect(agent.getByTestId("thread-contact")).toHaveText("Carla Customer");
  await expect(agent.getByTestId("message")).toHaveCount(1);
  await expect(agent.getByTestId("message").first()).toHaveAttribute("data-direction", "inbound");
});

test("the demo workspace has Sandbox conversations to look at", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("owner@demo.msgbuddy.test");
  await page.getByLabel("Password").fill("msgbuddy-demo");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByTestId("nav-conversations").click();
  // The inbox's views each have something: Mia's conversation is resolved, Ana's is the
  // demo owner's, Ravi waits for someone to take it.
  await expect(page.getByTestId("conversation-row")).toHaveCount(2);
  await page.getByTestId("view-resolved").click();
  await expect(page.getByTestId("conversation-row").filter({ hasText: "Mia Chen" })).toBeVisible();
  await page.getByTestId("view-unassigned").click();
  await expect(page.getByTestId("conversation-row")).toHaveCount(1);
  await expect(page.getByTestId("conversation-row").filter({ hasText: "Ravi Kumar" })).toBeVisible();
  await page.getByTestId("view-mine").click();
  await expect(page.getByTestId("conversation-row").filter({ hasText: "Ana Souza" })).toBeVisible();
  // Ana got her shipping label as a picture, shown from msgbuddy's own copy.
  await page.getByTestId("conversation-row").filter({ hasText: "Ana Souza" }).getByRole("link").click();
  const label = page.getByTestId("message-media").last();
  await expect(label).toHaveAttribute("data-kind", "image");
  await expect(label.locator("img")).toHaveJSProperty("naturalWidth", 96);
  await expect(label.getByTestId("message-media-link")).toContainText("shipping-label.png");
  await expect(page.getByTestId("conversation-status")).toHaveText("Open · assigned to Demo Owner");
  await expect(page.getByTestId("private-note-body")).toContainText("left the depot");
});

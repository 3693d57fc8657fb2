import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

/** A full-page screenshot, kept with the test's results (`test-results/`) and its report. */
async function keepScreenshot(page: Page, name: string) {
  const path = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await test.info().attach(name, { path, contentType: "image/png" });
}

// The inbox's acceptance story, live in two browser contexts: A (Olivia, who may assign)
// and B (Andy, an agent).
test("two members work one customer's conversation live, from arrival to reopening", async ({ browser, javaScriptEnabled, axe }) => {
  test.skip(!javaScriptEnabled, "the story is about live updates");
  const { owner: a, agent: b, workspaceUrl } = await ownerAndAgent(browser, axe);
  // A label to put on it later.
  await a.goto(`${workspaceUrl}/settings/labels`);
  await a.getByTestId("label-form").getByLabel("Name").fill("Urgent");
  await a.getByTestId("label-form").getByLabel("Colour").fill("#dc2626");
  await a.getByTestId("label-create").click();
  await expect(a.getByTestId("label-row-name")).toHaveText("Urgent");

  // Both wait on their inbox; the customer writes through the Sandbox's webhook.
  for (const page of [a, b]) {
    await page.goto(`${workspaceUrl}/conversations`);
    await hydrated(page, javaScriptEnabled);
  }
  const customer = await a.context().newPage();
  await customerWrites(customer, workspaceUrl, "+15550100901", "Omar Customer", "My order never arrived");
  for (const page of [a, b]) {
    await expect(page.getByTestId("conversation-row").filter({ hasText: "Omar Customer" })).toBeVisible();
  }
  await keepScreenshot(a, "inbox");

  // B opens it, then A: B sees A viewing, then typing.
  await b.getByTestId("conversation-row").filter({ hasText: "Omar Customer" }).locator("a").click();
  await hydrated(b, javaScriptEnabled);
  await a.goto(b.url());
  await hydrated(a, javaScriptEnabled);
  await expect(b.getByTestId("presence")).toHaveText("Olivia Owner is viewing");
  await a.getByTestId("composer-text").pressSequentially("So sorry, Omar");
  await expect(b.getByTestId("presence")).toHaveText("Olivia Owner is typing…");

  // A replies; B sees the reply and its ticks move on.
  await a.getByTestId("composer-text").fill("So sorry, Omar. A new parcel leaves today.");
  await a.getByTestId("composer-send").click();
  const reply = b.getByTestId("message").filter({ hasText: "A new parcel leaves today." });
  await expect(reply).toHaveAttribute("data-direction", "outbound");
  await expect(reply.getByTestId("message-status")).toHaveAttribute("data-status", /sent|delivered|read/);
  await expect(reply.getByTestId("message-status")).toHaveAttribute("data-status", "read", { timeout: 20_000 });

  // B waits on their Mine view; A assigns it to B, and it arrives there.
  await b.goto(`${workspaceUrl}/conversations?view=mine`);
  await hydrated(b, javaScriptEnabled);
  await expect(b.getByTestId("conversation-row")).toHaveCount(0);
  await hydrated(a, javaScriptEnabled);
  await a.getByTestId("assign-select").selectOption({ label: "Andy Agent" });
  await a.getByTestId("assign-submit").click();
  await expect(b.getByTestId("conversation-row").filter({ hasText: "Omar Customer" })).toBeVisible();
  const mineUrl = b.url();

  // B opens it; A's label and A's note mentioning B reach B live, and B's bell rings.
  await b.getByTestId("conversation-row").filter({ hasText: "Omar Customer" }).locator("a").click();
  await hydrated(b, javaScriptEnabled);
  const bell = b.getByTestId("bell-count");
  const bellBefore = (await bell.count()) > 0 ? Number((await bell.textContent())?.match(/\d+/)?.[0] ?? "0") : 0;
  await hydrated(a, javaScriptEnabled);
  await a.getByTestId("label-add-select").selectOption({ label: "Urgent" });
  await a.getByTestId("label-add").click();
  await expect(b.getByTestId("label-chip")).toHaveText("Urgent");
  await hydrated(a, javaScriptEnabled);
  await a.getByTestId("composer-text").fill("@Andy Agent please call the courier");
  await a.getByTestId("composer-note").click();
  await expect(b.getByTestId("private-note-body")).toHaveText("@Andy Agent please call the courier");
  await expect(b.getByTestId("bell-count")).toContainText(String(bellBefore + 1));
  await keepScreenshot(b, "thread");

  // Resolved; the customer writes again, and it reopens back to B (who may still reply).
  await hydrated(a, javaScriptEnabled);
  await a.getByTestId("resolve").click();
  await expect(b.getByTestId("conversation-status")).toHaveText("Resolved · assigned to Andy Agent");
  await customerWrites(customer, workspaceUrl, "+15550100901", "Omar Customer", "Still nothing here");
  await expect(b.getByTestId("conversation-status")).toHaveText("Open · assigned to Andy Agent");
  await b.goto(mineUrl);
  await expect(b.getByTestId("conversation-row").filter({ hasText: "Omar Customer" })).toBeVisible();
});

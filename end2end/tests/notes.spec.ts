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

test("a private note @mentioning the agent rings their bell, lists the conversation in Mentions and is never sent", async ({
  browser,
  javaScriptEnabled,
  axe,
}) => {
  const { owner, agent, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100401", "Nina Customer", "Where is my refund?");

  // The agent waits on the conversation list; nothing for them yet.
  await agent.goto(`${workspaceUrl}/conversations`);
  await hydrated(agent, javaScriptEnabled);
  await expect(agent.getByTestId("bell-count")).toHaveCount(0);

  // The owner writes a private note in the thread's composer.
  await owner.goto(`${workspaceUrl}/conversations`);
  await owner.getByTestId("conversation-row").filter({ hasText: "Nina Customer" }).locator("a").click();
  await owner.getByTestId("composer-text").fill("@Andy Agent please check the refund with <b>billing</b>");
  await owner.getByTestId("composer-note").click();
  const note = owner.getByTestId("private-note");
  await expect(note.getByTestId("private-note-author")).toHaveText("Olivia Owner");
  await expect(note.getByTestId("private-note-body")).toHaveText("@Andy Agent please check the refund with <b>billing</b>");
  await expect(note.locator("b")).toHaveCount(0);
  // A note is for the team: the customer's thread got no new message.
  await expect(owner.getByTestId("message")).toHaveCount(1);
  await keepScreenshot(owner, "thread");

  // The agent's bell rings: live with JavaScript, on the next page without.
  if (!javaScriptEnabled) await agent.reload();
  await expect(agent.getByTestId("bell-count")).toContainText("1");
  if (javaScriptEnabled) expect(agent.url()).toBe(`${workspaceUrl}/conversations`);

  await agent.getByTestId("bell").click();
  await expect(agent).toHaveURL(`${workspaceUrl}/notifications`);
  const item = agent.getByTestId("notification");
  await expect(item.getByTestId("notification-body")).toHaveText(
    "Olivia Owner mentioned you: @Andy Agent please check the refund with <b>billing</b>",
  );
  await expect(item).toHaveAttribute("data-read", "false");
  await item.getByTestId("notification-open").click();
  await expect(agent.getByTestId("thread-contact")).toHaveText("Nina Customer");
  await expect(agent.getByTestId("private-note-body")).toContainText("please check the refund");

  // The conversation is in the agent's Mentions view.
  await agent.goto(`${workspaceUrl}/conversations?view=mentions`);
  await expect(agent.getByTestId("view-mentions")).toHaveAttribute("aria-current", "page");
  await expect(agent.getByTestId("conversation-row")).toHaveCount(1);
  await expect(agent.getByTestId("conversation-contact")).toHaveText("Nina Customer");
  await expect(agent.getByTestId("conversation-avatar")).toHaveText("NC");
  await keepScreenshot(agent, "inbox");

  // Read: the bell goes quiet.
  await agent.getByTestId("bell").click();
  await agent.getByTestId("notifications-read-all").click();
  await expect(agent.getByTestId("notification")).toHaveAttribute("data-read", "true");
  await expect(agent.getByTestId("bell-count")).toHaveCount(0);
});

import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("a message's words are copied, and messages are deleted for us or for everyone", async ({ browser, javaScriptEnabled, axe }) => {
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100901", "Mia Customer", "My password is hunter2");
  await owner.getByTestId("conversation-row").filter({ hasText: "Mia Customer" }).locator("a").click();
  const theirs = owner.locator("[data-testid=message][data-direction=inbound]");

  if (javaScriptEnabled) {
    // Copy needs JavaScript, so it shows only once the page runs it.
    await hydrated(owner, javaScriptEnabled);
    await owner.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(owner.url()).origin });
    await theirs.getByTestId("message-copy").click();
    await expect(owner.getByTestId("toast")).toHaveText("Copied to the clipboard.");
    expect(await owner.evaluate(() => navigator.clipboard.readText())).toBe("My password is hunter2");
  } else {
    await expect(theirs.getByTestId("message-copy")).toHaveCount(0);
  }

  // For us: the words are gone, where the message was is kept, the timeline says who.
  await theirs.getByTestId("message-delete").locator("summary").click();
  await theirs.getByTestId("message-delete-us").click();
  await expect(theirs.getByTestId("message-deleted")).toHaveText("This message was deleted.");
  await expect(owner.getByTestId("thread")).not.toContainText("hunter2");
  await expect(theirs.getByTestId("message-actions")).toHaveCount(0);
  await owner.getByTestId("timeline").locator("summary").click();
  await expect(owner.getByTestId("timeline-note").last()).toHaveText(/A message was deleted by Olivia Owner/);

  // Our own reply, for everyone: the Sandbox deletes it for the customer as Telegram would.
  await owner.getByTestId("composer-text").fill("Please never send passwords here.");
  await owner.getByTestId("composer-send").click();
  const ours = owner.locator("[data-testid=message][data-direction=outbound]");
  await expect(ours).toContainText("Please never send passwords here.");
  // Once it has gone out (the Sandbox answers within a second or two).
  await expect(async () => {
    if (!javaScriptEnabled) await owner.reload();
    await expect(ours.getByTestId("message-status")).not.toHaveAttribute("data-status", "pending", { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await ours.getByTestId("message-delete").locator("summary").click();
  await ours.getByTestId("message-delete-everyone").click();
  await expect(ours.getByTestId("message-deleted")).toHaveText("This message was deleted for everyone.");
});

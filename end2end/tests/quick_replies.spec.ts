import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("a quick reply kept in Settings goes into the composer: / and its shortcut, or the insert form", async ({ browser, javaScriptEnabled, axe }) => {
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);

  // Settings > Quick replies: one for every channel.
  await owner.goto(`${workspaceUrl}/settings/quick-replies`);
  const form = owner.getByTestId("quick-reply-form");
  await form.getByTestId("quick-reply-shortcut").fill("thanks");
  await form.getByTestId("quick-reply-body").fill("Thank you {{contact.name}}, we are on it.");
  await owner.getByTestId("quick-reply-create").click();
  await expect(owner.getByTestId("quick-reply-row-shortcut")).toHaveText("/thanks");
  await expect(owner.getByTestId("quick-reply-row-scope")).toHaveText("Every channel");

  await customerWrites(owner, workspaceUrl, "+15550100801", "Kai Customer", "My screen is cracked");
  await owner.getByTestId("conversation-row").filter({ hasText: "Kai Customer" }).locator("a").click();
  const text = owner.getByTestId("composer-text");
  if (javaScriptEnabled) {
    await hydrated(owner, javaScriptEnabled);
    await text.pressSequentially("Hello! /tha");
    const option = owner.getByTestId("quick-reply-option");
    await expect(option).toHaveCount(1);
    await expect(option).toContainText("/thanks");
    // Enter inserts the reply (and does not send); a second Enter sends.
    await text.press("Enter");
    await expect(option).toHaveCount(0);
    await expect(text).toHaveValue("Hello! Thank you Kai Customer, we are on it.");
    await text.press("Enter");
  } else {
    await owner.getByTestId("quick-reply-insert").locator("summary").click();
    await owner.getByTestId("quick-reply-choice").selectOption({ label: "/thanks" });
    await owner.getByTestId("quick-reply-insert-submit").click();
    await expect(text).toHaveValue("Thank you Kai Customer, we are on it.");
    await owner.getByTestId("composer-send").click();
  }
  const sent = owner.getByTestId("message").filter({ hasText: "we are on it." });
  await expect(sent).toHaveAttribute("data-direction", "outbound");
  // Stored by the server, not only shown while sending.
  await expect(sent).toHaveAttribute("data-id", /^msg_/);
});

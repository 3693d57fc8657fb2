import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("a long thread loads its older messages on scrolling up, a page at a time", async ({ browser, javaScriptEnabled, axe }) => {
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550101001", "Leo Customer", "Message 0");
  // 104 more, as the Sandbox's "a customer writes" form posts them.
  const csrf = await owner.locator("input[name=csrf_token]").first().inputValue();
  const workspace = workspaceUrl.split("/w/")[1];
  for (let i = 1; i <= 104; i++) {
    const res = await owner.request.post("/api/channels/simulate", {
      form: { csrf_token: csrf, workspace_id: workspace, from: "+15550101001", name: "Leo Customer", text: `Message ${i}` },
      maxRedirects: 0,
    });
    expect(res.status()).toBeLessThan(400);
  }
  const row = owner.getByTestId("conversation-row").filter({ hasText: "Leo Customer" });
  await expect(async () => {
    await owner.reload();
    await expect(row).toContainText("Message 104", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await row.locator("a").click();

  const messages = owner.getByTestId("message");
  await expect(messages).toHaveCount(100);
  await expect(messages.first()).toContainText(/Message 5(?!\d)/);
  if (javaScriptEnabled) {
    await hydrated(owner, javaScriptEnabled);
    // Scrolling up to the top brings the rest in above, in order, without a reload.
    const url = owner.url();
    await owner.mouse.wheel(0, 20_000);
    await owner.mouse.wheel(0, -40_000);
    await expect(messages).toHaveCount(105);
    await expect(messages.first()).toContainText(/Message 0(?!\d)/);
    await expect(messages.nth(5)).toContainText(/Message 5(?!\d)/);
    await expect(owner.getByTestId("older-messages")).toHaveCount(0);
    expect(owner.url()).toBe(url);

    // The emoji button puts an emoji in the composer at the caret.
    const text = owner.getByTestId("composer-text");
    await text.fill("Thanks ");
    await owner.getByTestId("emoji-toggle").click();
    await owner.getByRole("button", { name: "thumbs up" }).click();
    await expect(text).toHaveValue("Thanks 👍");
    await expect(owner.getByTestId("emoji-grid")).toHaveCount(0);
  } else {
    await owner.getByTestId("older-messages").click();
    await expect(messages).toHaveCount(5);
    await expect(messages.first()).toContainText(/Message 0(?!\d)/);
    await expect(owner.getByTestId("older-messages")).toHaveCount(0);
    await expect(owner.getByTestId("emoji-toggle")).toHaveCount(0);
  }
});

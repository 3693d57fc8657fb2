import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("the composer keeps a draft across a reload and sends on Enter", async ({ browser, javaScriptEnabled, axe }) => {
  // Drafts live in the browser's storage and Enter is a key handler: both need JavaScript.
  test.skip(!javaScriptEnabled, "drafts and keys need JavaScript");
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100701", "Hana Customer", "Can I change my order?");
  await owner.getByTestId("conversation-row").filter({ hasText: "Hana Customer" }).locator("a").click();
  await hydrated(owner, javaScriptEnabled);
  await expect(owner.getByTestId("composer-keys")).toBeVisible();

  const text = owner.getByTestId("composer-text");
  await text.fill("Yes, until it ships.");
  await text.press("Shift+Enter");
  await text.pressSequentially("Which size?");
  await owner.reload();
  await hydrated(owner, javaScriptEnabled);
  await expect(text).toHaveValue("Yes, until it ships.\nWhich size?");

  await text.press("Enter");
  const sent = owner.getByTestId("message").filter({ hasText: "Which size?" });
  await expect(sent).toHaveAttribute("data-direction", "outbound");
  await hydrated(owner, javaScriptEnabled);
  await expect(text).toHaveValue("");
  await owner.reload();
  await hydrated(owner, javaScriptEnabled);
  await expect(text).toHaveValue("");
});

test("keyboard: j and k move through the list, Enter opens, r replies, ? lists the keys", async ({ browser, javaScriptEnabled, axe }) => {
  test.skip(!javaScriptEnabled, "shortcuts are key handlers");
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100711", "Ida Customer", "First");
  await customerWrites(owner, workspaceUrl, "+15550100712", "Jon Customer", "Second");
  await hydrated(owner, javaScriptEnabled);
  const links = owner.getByTestId("conversation-row").locator("a");
  await owner.keyboard.press("j");
  await expect(links.nth(0)).toBeFocused();
  await owner.keyboard.press("j");
  await expect(links.nth(1)).toBeFocused();
  await owner.keyboard.press("k");
  await expect(links.nth(0)).toBeFocused();
  await owner.keyboard.press("Enter");
  await expect(owner.getByTestId("thread-contact")).toHaveText("Jon Customer");
  await hydrated(owner, javaScriptEnabled);
  await owner.keyboard.press("r");
  await expect(owner.getByTestId("composer-text")).toBeFocused();
  // Typing in the composer is typing, not shortcuts.
  await owner.keyboard.type("?ok");
  await expect(owner.getByTestId("composer-text")).toHaveValue("?ok");
  await owner.getByTestId("thread-contact").click();
  await owner.keyboard.press("?");
  await expect(owner.getByTestId("shortcuts")).toBeVisible();
  await owner.keyboard.press("Escape");
  await expect(owner.getByTestId("shortcuts")).toHaveCount(0);
});

test("a sent message shows at once as pending, then becomes the stored message and follows its status", async ({ browser, javaScriptEnabled, axe }) => {
  test.skip(!javaScriptEnabled, "optimistic sending needs JavaScript");
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100721", "Noa Customer", "Where is it?");
  await owner.getByTestId("conversation-row").filter({ hasText: "Noa Customer" }).locator("a").click();
  await hydrated(owner, javaScriptEnabled);
  // The server's answer is held back, to see what shows before it.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await owner.route("**/api/conversations/send-live", async (route) => {
    await held;
    await route.continue();
  });
  const text = owner.getByTestId("composer-text");
  await text.fill("On its way!");
  await text.press("Enter");
  const mine = owner.getByTestId("message").filter({ hasText: "On its way!" });
  await expect(mine).toHaveAttribute("data-id", /^local-/);
  await expect(mine.getByTestId("message-status")).toHaveAttribute("data-status", "pending");
  await expect(text).toHaveValue("");
  const url = owner.url();
  release();
  await expect(mine).toHaveAttribute("data-id", /^msg_/);
  await expect(mine.getByTestId("message-status")).toHaveAttribute("data-status", "read", { timeout: 20_000 });
  await expect(mine).toHaveCount(1);
  expect(owner.url()).toBe(url);
});

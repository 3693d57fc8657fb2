import { expect, test } from "./fixtures";
import { customerWrites, ownerAndAgent } from "./team";

test("a reply quotes the customer's message, and a message forwards to another conversation", async ({ browser, axe }) => {
  const { owner, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100801", "Kim Customer", "Is the blue one in stock?");
  await customerWrites(owner, workspaceUrl, "+15550100802", "Lee Customer", "Hello there");
  await owner.getByTestId("conversation-row").filter({ hasText: "Kim Customer" }).locator("a").click();

  const question = owner.locator("[data-testid=message][data-direction=inbound]").filter({ hasText: "Is the blue one in stock?" });
  await question.getByTestId("message-reply").click();
  await expect(owner.getByTestId("composer-quote")).toContainText("Is the blue one in stock?");
  await owner.getByTestId("composer-text").fill("Yes, two left.");
  await owner.getByTestId("composer-send").click();
  const answer = owner.getByTestId("message").filter({ hasText: "Yes, two left." });
  await expect(answer.getByTestId("message-quote")).toHaveText("Is the blue one in stock?");

  await question.getByTestId("message-forward").locator("summary").click();
  await question.getByTestId("message-forward-to").selectOption({ label: "Lee Customer (Sandbox)" });
  await question.getByTestId("message-forward-send").click();
  await expect(owner.getByTestId("thread-contact")).toHaveText("Lee Customer");
  await expect(owner.getByTestId("message").filter({ hasText: "Is the blue one in stock?" })).toHaveAttribute("data-direction", "outbound");
});

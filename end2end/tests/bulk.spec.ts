import { expect, test } from "./fixtures";
import { customerWrites, ownerAndAgent } from "./team";

test("bulk assign the ticked rows, keep the filter as a view, resolve every match, star and pin a message", async ({ browser, axe }) => {
  const { owner, agent, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100401", "Eve Customer", "Order 401 is late");
  await customerWrites(owner, workspaceUrl, "+15550100402", "Finn Customer", "Order 402 is late");
  await customerWrites(owner, workspaceUrl, "+15550100403", "Gus Customer", "Invoice 403 please");

  // Tick two rows and give them to the agent.
  await owner.goto(`${workspaceUrl}/conversations`);
  const rows = owner.getByTestId("conversation-row");
  for (const name of ["Eve Customer", "Finn Customer"]) {
    await rows.filter({ hasText: name }).getByTestId("conversation-select").check();
  }
  await owner.getByTestId("bulk-assignee").selectOption({ label: "Andy Agent" });
  await owner.getByTestId("bulk-assign").click();
  await expect(owner.getByTestId("bulk-result")).toHaveText("Changed 2 conversations.");
  await agent.goto(`${workspaceUrl}/conversations?view=mine`);
  await expect(agent.getByTestId("conversation-row")).toHaveCount(2);

  // Filter by the agent and keep it as a view, which opens marked current.
  await owner.getByTestId("filter-assignee").selectOption({ label: "Andy Agent" });
  await owner.getByTestId("filter-apply").click();
  await expect(rows).toHaveCount(2);
  await owner.getByTestId("save-view-name").fill("Andy's queue");
  await owner.getByTestId("save-view-submit").click();
  const saved = owner.getByTestId("saved-view").getByRole("link", { name: "Andy's queue" });
  await expect(saved).toHaveAttribute("aria-current", "page");

  // Resolve every conversation the view matches, without ticking any.
  await owner.getByTestId("bulk-everything").check();
  await owner.getByTestId("bulk-status").selectOption("resolved");
  await owner.getByTestId("bulk-set-status").click();
  await expect(owner.getByTestId("bulk-result")).toHaveText("Changed 2 conversations.");
  await expect(rows).toHaveCount(0);
  await owner.getByTestId("view-resolved").click();
  await expect(rows).toHaveCount(2);

  // Star and pin Gus's message; find it on the Starred page; mark the thread unread.
  await owner.getByTestId("view-all").click();
  await rows.filter({ hasText: "Gus Customer" }).locator("a").click();
  const message = owner.getByTestId("message").filter({ hasText: "Invoice 403 please" });
  await message.getByTestId("message-star").click();
  await expect(message.getByTestId("message-unstar")).toBeVisible();
  await message.getByTestId("message-pin").click();
  await expect(owner.getByTestId("pinned-messages")).toContainText("Invoice 403 please");
  await owner.getByTestId("nav-starred").click();
  await expect(owner.getByTestId("starred-message")).toContainText("Invoice 403 please");
  await owner.getByTestId("starred-message").getByRole("link").click();
  await expect(owner.getByTestId("thread-contact")).toHaveText("Gus Customer");
  // The customer's message made it unread; read, then unread again from the thread.
  await owner.getByTestId("mark-read").click();
  await owner.getByTestId("mark-unread").click();
  await expect(owner).toHaveURL(/\/conversations$/);
  await expect(rows.filter({ hasText: "Gus Customer" }).getByTestId("conversation-unread")).toHaveText(/^1/);
});

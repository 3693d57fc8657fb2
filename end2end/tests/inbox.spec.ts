import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("a supervisor assigns a conversation, the agent finds it in Mine, and resolving it shows live", async ({ browser, javaScriptEnabled, axe }) => {
  const { owner, agent, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100301", "Dora Customer", "My parcel is damaged");

  // The agent's Mine view is empty; the conversation waits in Unassigned.
  await agent.goto(`${workspaceUrl}/conversations?view=mine`);
  await expect(agent.getByTestId("view-mine")).toHaveAttribute("aria-current", "page");
  await expect(agent.getByTestId("conversation-row")).toHaveCount(0);
  await agent.getByTestId("view-unassigned").click();
  const row = agent.getByTestId("conversation-row").filter({ hasText: "Dora Customer" });
  await expect(row.getByTestId("conversation-assignee")).toHaveText("Unassigned");
  // The agent waits on their (empty) Mine view.
  await agent.getByTestId("view-mine").click();
  await expect(agent.getByTestId("view-mine")).toHaveAttribute("aria-current", "page");
  await hydrated(agent, javaScriptEnabled);

  // The owner assigns it to the agent from the thread; the timeline says so.
  await owner.goto(`${workspaceUrl}/conversations`);
  await owner.getByTestId("conversation-row").filter({ hasText: "Dora Customer" }).locator("a").click();
  await expect(owner.getByTestId("conversation-status")).toHaveText("Open · unassigned");
  await owner.getByTestId("assign-select").selectOption({ label: "Andy Agent" });
  await owner.getByTestId("assign-submit").click();
  await expect(owner.getByTestId("conversation-status")).toHaveText("Open · assigned to Andy Agent");
  // It joins the agent's Mine view: live with JavaScript, on reload without.
  const mineUrl = agent.url();
  if (!javaScriptEnabled) await agent.reload();
  await expect(row.getByTestId("conversation-assignee")).toHaveText("Assigned to Andy Agent");
  expect(agent.url()).toBe(mineUrl);
  await owner.getByTestId("timeline").locator("summary").click();
  await expect(owner.getByTestId("timeline-note").last()).toContainText("Assigned to Andy Agent by Olivia Owner");

  // The owner makes a label in Settings > Labels and puts it on the conversation.
  const threadOfOwner = owner.url();
  await owner.goto(`${workspaceUrl}/settings/labels`);
  await owner.getByTestId("label-form").getByLabel("Name").fill("Damaged");
  await owner.getByTestId("label-form").getByLabel("Description").fill("Arrived broken");
  await owner.getByTestId("label-form").getByLabel("Colour").fill("#dc2626");
  await owner.getByTestId("label-create").click();
  await expect(owner.getByTestId("label-row-name")).toHaveText("Damaged");
  // The colour shows (no inline style, which the page's CSP would block).
  const red = "rgb(220, 38, 38)";
  await expect(owner.getByTestId("label-row").getByTestId("colour-dot").locator("circle")).toHaveCSS("fill", red);
  await owner.goto(threadOfOwner);
  await owner.getByTestId("label-add-select").selectOption({ label: "Damaged" });
  await owner.getByTestId("label-add").click();
  await expect(owner.getByTestId("label-chip")).toHaveText("Damaged");
  await expect(owner.getByTestId("label-chip").locator("circle")).toHaveCSS("fill", red);

  // The agent finds it in Mine, and by its label; opens it; then the owner resolves it.
  await agent.goto(`${workspaceUrl}/conversations?view=all`);
  await agent.getByTestId("filter-label").selectOption({ label: "Damaged" });
  await agent.getByTestId("filter-apply").click();
  await expect(agent).toHaveURL(/label=lbl_/);
  await expect(row.getByTestId("label-chip")).toHaveText("Damaged");
  await agent.goto(`${workspaceUrl}/conversations?view=mine`);
  await expect(row.getByTestId("conversation-assignee")).toHaveText("Assigned to Andy Agent");
  await row.locator("a").click();
  await expect(agent.getByTestId("thread-contact")).toHaveText("Dora Customer");
  await hydrated(agent, javaScriptEnabled);
  const threadUrl = agent.url();
  await owner.getByTestId("resolve").click();
  await expect(owner.getByTestId("conversation-status")).toHaveText("Resolved · assigned to Andy Agent");
  await expect(owner.getByTestId("reopen")).toBeVisible();
  if (javaScriptEnabled) {
    // Live on the agent's open page, without a reload.
    await expect(agent.getByTestId("conversation-status")).toHaveText("Resolved · assigned to Andy Agent", { timeout: 10_000 });
    expect(agent.url()).toBe(threadUrl);
  } else {
    await agent.reload();
    await expect(agent.getByTestId("conversation-status")).toHaveText("Resolved · assigned to Andy Agent");
  }

  // Out of the agent's Mine view, into Resolved.
  await agent.goto(`${workspaceUrl}/conversations?view=mine`);
  await expect(agent.getByTestId("conversation-row")).toHaveCount(0);
  await agent.getByTestId("view-resolved").click();
  await expect(row).toBeVisible();

  // Search finds the customer's words, marked, and opens the thread at the message.
  await owner.getByTestId("nav-search").click();
  await owner.getByTestId("search-input").fill("damaged");
  await owner.getByTestId("search-submit").click();
  const result = owner.getByTestId("search-result");
  await expect(result).toHaveCount(1);
  await expect(result.locator("mark")).toHaveText("damaged");
  await result.locator("a").click();
  await expect(owner).toHaveURL(/\?at=msg_[0-9a-f]+#m-msg_/);
  await expect(owner.getByTestId("thread-contact")).toHaveText("Dora Customer");
});

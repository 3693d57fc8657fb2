import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("round robin gives a new customer to the online agent with msgbuddy open, within their capacity", async ({
  browser,
  javaScriptEnabled,
  axe,
}) => {
  const { owner, agent, workspaceUrl } = await ownerAndAgent(browser, axe);

  // The owner turns auto-assignment on, with an inactivity threshold and a capacity.
  await owner.goto(`${workspaceUrl}/settings/assignment`);
  await owner.getByLabel("Auto-assignment").selectOption("round_robin");
  await owner.getByLabel("Unassign after (minutes without a reply)").fill("30");
  await owner.getByTestId("assignment-save").click();
  await expect(owner.getByLabel("Auto-assignment")).toHaveValue("round_robin");
  await expect(owner.getByLabel("Unassign after (minutes without a reply)")).toHaveValue("30");
  const agentRow = owner.getByTestId("agent-load").filter({ hasText: "Andy Agent" });
  await agentRow.getByLabel("Capacity of Andy Agent").fill("5");
  await agentRow.getByTestId("capacity-save").click();
  await expect(owner.getByTestId("agent-load").filter({ hasText: "Andy Agent" }).getByLabel("Capacity of Andy Agent")).toHaveValue("5");
  // A capacity that is not one is refused before it leaves the browser (the server
  // refuses it too, by name) and changes nothing.
  const capacity = owner.getByTestId("agent-load").filter({ hasText: "Andy Agent" }).getByLabel("Capacity of Andy Agent");
  await capacity.fill("0");
  expect(await capacity.evaluate((e: HTMLInputElement) => e.validity.valid)).toBe(false);
  await owner.goto(`${workspaceUrl}/settings/assignment`);
  await expect(capacity).toHaveValue("5");

  // The owner steps away, so the agent is the one online member.
  await owner.getByTestId("availability").locator("summary").click();
  await owner.getByTestId("availability-offline").click();
  await expect(owner.getByTestId("availability-current")).toHaveText("Offline");

  // The agent has the inbox open (with JavaScript, its live stream says so).
  await agent.goto(`${workspaceUrl}/conversations?view=mine`);
  await hydrated(agent, javaScriptEnabled);
  await expect(agent.getByTestId("availability-current")).toHaveText("Online");

  await customerWrites(owner, workspaceUrl, "+15550100501", "Rosa Customer", "Is anyone there?");
  if (javaScriptEnabled) {
    // The job gives it to the agent, whose Mine view takes it in live.
    await expect(agent.getByTestId("conversation-row").filter({ hasText: "Rosa Customer" })).toBeVisible({ timeout: 15_000 });
    await agent.getByTestId("conversation-row").filter({ hasText: "Rosa Customer" }).locator("a").click();
    await agent.getByTestId("timeline").locator("summary").click();
    await expect(agent.getByTestId("timeline-note").filter({ hasText: "Auto-assigned to Andy Agent (round robin)" })).toBeVisible();
    await expect(agent.getByTestId("bell-count")).toHaveText("1 unread");
  } else {
    // Without JavaScript no page of the agent's stays connected: nobody is there to take
    // it, so it waits in the pool.
    await agent.goto(`${workspaceUrl}/conversations?view=unassigned`);
    await expect(agent.getByTestId("conversation-row").filter({ hasText: "Rosa Customer" })).toBeVisible();
  }
});

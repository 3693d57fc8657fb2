import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { customerWrites, ownerAndAgent } from "./team";

test("two members in one thread see each other viewing and typing", async ({ browser, javaScriptEnabled, axe }) => {
  // Presence is the live part of the thread: without JavaScript the page simply has none.
  test.skip(!javaScriptEnabled, "presence needs the live stream");
  const { owner, agent, workspaceUrl } = await ownerAndAgent(browser, axe);
  await customerWrites(owner, workspaceUrl, "+15550100601", "Tara Customer", "Two of you?");

  await agent.goto(`${workspaceUrl}/conversations`);
  await agent.getByTestId("conversation-row").filter({ hasText: "Tara Customer" }).locator("a").click();
  await hydrated(agent, javaScriptEnabled);
  await expect(agent.getByTestId("presence")).toHaveText("");

  await owner.goto(agent.url());
  await hydrated(owner, javaScriptEnabled);
  await expect(agent.getByTestId("presence")).toHaveText("Olivia Owner is viewing");

  await owner.getByTestId("composer-text").pressSequentially("I'll take this one");
  await expect(agent.getByTestId("presence")).toHaveText("Olivia Owner is typing…");
  // The other way round too.
  await agent.getByTestId("composer-text").pressSequentially("ok");
  await expect(owner.getByTestId("presence")).toContainText("Andy Agent is typing…");
});

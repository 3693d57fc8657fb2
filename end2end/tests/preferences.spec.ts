import { expect, test } from "./fixtures";
import { hydrated } from "./helpers";
import { ownerAndAgent } from "./team";

test("a member chooses how to hear of each kind of notification", async ({ browser, javaScriptEnabled, axe }) => {
  const { agent, workspaceUrl } = await ownerAndAgent(browser, axe);
  await agent.goto(`${workspaceUrl}/notifications`);
  await agent.getByTestId("notification-preferences").click();
  const newMessage = agent.getByTestId("preference-row").filter({ hasText: "A customer writes in your conversation" });
  await expect(newMessage.getByTestId("preference-in-app")).toBeChecked();
  await expect(newMessage.getByTestId("preference-push")).toBeChecked();
  await newMessage.getByTestId("preference-push").uncheck();
  await agent.getByTestId("preferences-save").click();
  await expect(agent.getByTestId("preferences-saved")).toHaveText("Saved.");
  await agent.reload();
  await expect(newMessage.getByTestId("preference-push")).not.toBeChecked();
  await expect(newMessage.getByTestId("preference-in-app")).toBeChecked();
  await expect(agent.getByTestId("push-browsers")).toHaveText("No browser receives your push notifications yet.");
  // The subscribe button needs the browser's push support, so it shows only with JavaScript.
  await hydrated(agent, javaScriptEnabled);
  if (javaScriptEnabled) {
    await expect(agent.getByTestId("push-enable")).toBeVisible();
  } else {
    await expect(agent.getByTestId("push-enable")).toBeHidden();
  }
});

import { type Browser, type Page } from "@playwright/test";
import { expect, type Axe } from "./fixtures";
import { signUp, uniqueEmail } from "./helpers";

/** An owner with a workspace, and an agent who joined it by invitation. */
export async function ownerAndAgent(browser: Browser, axe: Axe) {
  const owner = await (await browser.newContext()).newPage();
  axe.track(owner);
  await owner.goto("/signup");
  await signUp(owner, "Olivia Owner", uniqueEmail("owner"));
  await owner.getByLabel("Workspace name").fill("Inbox Team");
  await owner.getByRole("button", { name: "Create workspace" }).click();
  await expect(owner).toHaveURL(/\/w\/ws_[0-9a-f]+$/);
  const workspaceUrl = owner.url();
  await owner.goto(`${workspaceUrl}/settings/invitations`);
  await owner.getByTestId("invite-role").selectOption("agent");
  await owner.getByRole("button", { name: "Create invitation link" }).click();
  const link = await owner.getByTestId("invite-link").getAttribute("href");

  const agent = await (await browser.newContext()).newPage();
  axe.track(agent);
  await agent.goto(link!);
  await agent.getByTestId("invite-signup").click();
  await signUp(agent, "Andy Agent", uniqueEmail("agent"));
  await agent.getByRole("button", { name: "Accept invitation" }).click();
  await expect(agent).toHaveURL(workspaceUrl);
  return { owner, agent, workspaceUrl };
}

/** The Sandbox plays a customer writing in. */
export async function customerWrites(page: Page, workspaceUrl: string, from: string, name: string, text: string) {
  await page.goto(`${workspaceUrl}/settings/channels`);
  await page.getByTestId("channel-row").filter({ hasText: "Sandbox" }).getByTestId("channel-link").click();
  await page.getByLabel("From (phone)").fill(from);
  await page.getByLabel("Customer name").fill(name);
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByTestId("simulate-send").click();
  await expect(page).toHaveURL(/\/conversations$/);
  // The Sandbox hands the message to the pipeline, which files it a moment later: live
  // with JavaScript, on the next load without.
  const row = page.getByTestId("conversation-row").filter({ hasText: name });
  await expect(async () => {
    if ((await row.count()) === 0) await page.reload();
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
}

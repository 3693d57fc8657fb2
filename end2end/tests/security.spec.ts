import { expect, test } from "./fixtures";
import { hydrated, signUp, uniqueEmail } from "./helpers";

// Names a careless page would turn into markup.
const HOSTILE_WORKSPACE = "</title><img src=x onerror=alert(document.domain)><title>";
const HOSTILE_OWNER = "\"><svg onload=alert(1)>";
const HOSTILE_MEMBER = "<script>alert('member')</script>";

test("hostile workspace, user and invitation names run no script for another member", async ({ browser, javaScriptEnabled, axe }) => {
  const dialogs: string[] = [];

  const owner = await (await browser.newContext()).newPage();
  axe.track(owner);
  owner.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await owner.goto("/signup");
  await signUp(owner, HOSTILE_OWNER, uniqueEmail("hostile-owner"));
  await owner.getByLabel("Workspace name").fill(HOSTILE_WORKSPACE);
  await owner.getByRole("button", { name: "Create workspace" }).click();
  await expect(owner).toHaveURL(/\/w\/ws_[0-9a-f]+$/);
  const workspaceUrl = owner.url();
  await owner.goto(`${workspaceUrl}/settings/invitations`);
  await owner.getByRole("button", { name: "Create invitation link" }).click();
  const link = await owner.getByTestId("invite-link").getAttribute("href");
  expect(link).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);
  expect(owner.url()).not.toContain(link!.slice("/invite/".length));

  // Another person opens the invitation, joins, and walks the workspace.
  const member = await (await browser.newContext()).newPage();
  axe.track(member);
  member.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const invitation = await member.goto(link!);
  expect(invitation?.headers()["content-security-policy"]).toContain("'strict-dynamic'");
  await expect(member.getByTestId("invite-summary")).toContainText(HOSTILE_WORKSPACE);
  await member.getByTestId("invite-signup").click();
  await signUp(member, HOSTILE_MEMBER, uniqueEmail("hostile-member"));
  await member.getByRole("button", { name: "Accept invitation" }).click();
  await expect(member).toHaveURL(workspaceUrl);

  for (const path of ["", "/settings/members"]) {
    const res = await member.goto(`${workspaceUrl}${path}`);
    const csp = res?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    await hydrated(member, javaScriptEnabled);
    await expect(member.getByTestId("current-workspace")).toHaveText(HOSTILE_WORKSPACE);
  }
  await expect(member.getByTestId("member-row").filter({ hasText: HOSTILE_OWNER })).toHaveCount(1);
  await expect(member.getByTestId("member-row").filter({ hasText: HOSTILE_MEMBER })).toHaveCount(1);
  await expect(member.locator("img[src=x], svg[onload]")).toHaveCount(0);
  // The workspace page's title is the name, as text.
  await member.goto(workspaceUrl);
  await expect(member).toHaveTitle(`${HOSTILE_WORKSPACE} · msgbuddy`);

  // The owner sees the member arrive (live when hydrated) and the audit log, with no script run.
  await owner.goto(`${workspaceUrl}/settings/audit`);
  await hydrated(owner, javaScriptEnabled);
  await expect(owner.getByTestId("audit-row").first()).toBeVisible();
  await owner.goto(`${workspaceUrl}/settings/members`);
  await expect(owner.getByTestId("member-row").filter({ hasText: HOSTILE_MEMBER })).toHaveCount(1);

  expect(dialogs).toEqual([]);
});

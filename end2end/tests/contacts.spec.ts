import { readFile } from "node:fs/promises";
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { hydrated, signUp, uniqueEmail } from "./helpers";

/** Row `i` of the file: every hundredth (7, 107, ...) has a phone that is not one. */
const bad = (i: number) => i % 100 === 7;

/** 1,000 contacts: half tagged vip, a third in Pune, two named alike (duplicates). */
function file(): string {
  const lines = ["name,phone,email,city,tags"];
  for (let i = 0; i < 1000; i++) {
    const name = i >= 998 ? "Asha Rao" : `Customer ${i}`;
    const phone = bad(i) ? "12345" : `+44 7911 ${100000 + i}`;
    const city = i % 3 === 0 ? "Pune" : "Mumbai";
    const tags = i % 2 === 0 ? "vip" : "";
    lines.push(`${name},${phone},customer${i}@example.com,${city},${tags}`);
  }
  return lines.join("\n") + "\n";
}

/** How many good rows are vip and in Pune. */
const vipInPune = Array.from({ length: 1000 }, (_, i) => i).filter((i) => !bad(i) && i % 6 === 0).length;

async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  return readFile((await download.path())!, "utf8");
}

test("contacts: a field, an import of 1,000 rows with 10 bad, the segment vip in Pune, its export, a merge", async ({ browser, javaScriptEnabled, axe }) => {
  const owner = await (await browser.newContext({ acceptDownloads: true })).newPage();
  axe.track(owner);
  await owner.goto("/signup");
  await signUp(owner, "Olivia Owner", uniqueEmail("owner"));
  await owner.getByLabel("Workspace name").fill("Audience");
  await owner.getByRole("button", { name: "Create workspace" }).click();
  await expect(owner).toHaveURL(/\/w\/ws_[0-9a-f]+$/);
  const workspaceUrl = owner.url();

  // A custom field and a tag, in Settings.
  await owner.goto(`${workspaceUrl}/settings/contact-fields`);
  await owner.getByTestId("field-kind").selectOption("text");
  await owner.getByTestId("field-label").fill("City");
  await owner.getByTestId("field-key").fill("city");
  await owner.getByTestId("field-create").click();
  await expect(owner.locator('[data-testid="field-row"][data-key="city"]')).toContainText("Text");
  await owner.goto(`${workspaceUrl}/settings/tags`);
  await owner.getByTestId("tag-name").fill("vip");
  await owner.getByTestId("tag-create").click();
  await expect(owner.getByTestId("tag-row")).toContainText("vip");

  // The import: upload, the guessed mapping, the progress, the report of refused rows.
  await owner.goto(`${workspaceUrl}/contacts/imports`);
  await owner.getByTestId("import-file").setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from(file()) });
  await owner.getByTestId("import-upload-submit").click();
  await expect(owner.getByTestId("import-mapping")).toContainText("1000 rows");
  await expect(owner.getByTestId("import-map")).toHaveCount(5);
  await expect(owner.getByTestId("import-map").nth(3)).toHaveValue("field.city");
  await expect(owner.getByTestId("import-preview").locator("tbody tr")).toHaveCount(5);
  await hydrated(owner, javaScriptEnabled);
  await owner.getByTestId("import-start").click();
  const progress = owner.getByTestId("import-progress");
  if (javaScriptEnabled) {
    // Live: the bar moves without a reload.
    await hydrated(owner, javaScriptEnabled);
    await expect(progress).toHaveAttribute("data-status", "done", { timeout: 60_000 });
  } else {
    await expect(async () => {
      if ((await progress.getAttribute("data-status")) !== "done") await owner.reload();
      await expect(progress).toHaveAttribute("data-status", "done", { timeout: 1_000 });
    }).toPass({ timeout: 60_000 });
  }
  await expect(owner.getByTestId("import-progress-text")).toContainText("1000 of 1000 rows · 990 new, 0 updated, 0 skipped, 10 refused");
  await expect(owner.getByTestId("import-progress-bar")).toHaveAttribute("value", "1000");
  const report = await downloaded(owner, () => owner.getByTestId("import-errors").click());
  const reported = report.trim().split(/\r?\n/);
  expect(reported).toHaveLength(11);
  // Line numbers as a spreadsheet shows them: the header is line 1.
  expect(reported.slice(1).map((l) => Number(l.split(",")[0]))).toEqual([9, 109, 209, 309, 409, 509, 609, 709, 809, 909]);

  // The segment: tag vip and city Pune, counted, saved.
  await owner.goto(`${workspaceUrl}/contacts/segments`);
  await hydrated(owner, javaScriptEnabled);
  await owner.getByTestId("segment-name").fill("VIP in Pune");
  await owner.getByTestId("segment-field").first().selectOption("tag");
  await owner.getByTestId("segment-op").first().selectOption("has");
  await owner.getByTestId("segment-value").first().fill("vip");
  await owner.getByTestId("segment-add").click();
  await owner.getByTestId("segment-field").nth(1).selectOption("field.city");
  await owner.getByTestId("segment-op").nth(1).selectOption("eq");
  await owner.getByTestId("segment-value").nth(1).fill("pune");
  await owner.getByTestId("segment-count").click();
  await expect(owner.getByTestId("segment-total")).toHaveText(`${vipInPune} contacts match`);
  await expect(owner.getByTestId("segment-preview-row")).toHaveCount(10);
  await owner.getByTestId("segment-save").click();
  await expect(owner).toHaveURL(/\/contacts\?segment=seg_/);
  await expect(owner.getByTestId("contacts-total")).toHaveText(`${vipInPune} contacts`);

  // Its export: the segment's contacts, with the city column.
  const csv = await downloaded(owner, () => owner.getByTestId("export-csv").click());
  const rows = csv.trim().split(/\r?\n/);
  expect(rows[0]).toContain(",city");
  expect(rows).toHaveLength(vipInPune + 1);
  expect(rows.slice(1).every((r) => r.endsWith(",Pune"))).toBe(true);

  // The two rows named alike are a likely duplicate; merged, one remains.
  await owner.goto(`${workspaceUrl}/contacts/duplicates`);
  const group = owner.getByTestId("duplicate-group").filter({ hasText: "Asha Rao" });
  await expect(group.getByTestId("duplicate-contact")).toHaveCount(2);
  await group.getByTestId("duplicate-pick-email").selectOption({ label: "customer999@example.com" });
  await group.getByTestId("duplicate-merge-submit").click();
  await expect(owner.getByTestId("contact-title")).toHaveText("Asha Rao");
  await expect(owner.getByTestId("contact-input-email")).toHaveValue("customer999@example.com");
  await owner.goto(`${workspaceUrl}/contacts?q=Asha`);
  await expect(owner.getByTestId("contacts-total")).toHaveText("1 contact");

  // A group whose name is markup is shown as text; filled with every contact of the
  // list filtered by a field's value (the Groups page and the list are scanned by axe).
  let alerted = false;
  owner.on("dialog", async (dialog) => {
    alerted = true;
    await dialog.dismiss();
  });
  const hostile = `<img src=x onerror=alert(1)> "Pune" & co`;
  await owner.goto(`${workspaceUrl}/contacts/groups`);
  await owner.getByTestId("group-name").fill(hostile);
  await owner.getByTestId("group-create").click();
  await expect(owner.getByTestId("group-link")).toHaveText(hostile);
  await owner.goto(`${workspaceUrl}/contacts`);
  await owner.getByTestId("filter-field").selectOption("city");
  await owner.getByTestId("filter-value").fill("PUNE");
  await owner.getByTestId("contact-filter-apply").click();
  await expect(owner).toHaveURL(/field=city&value=PUNE/);
  // 331 good rows in Pune, or 330 if the merge kept the Mumbai one's city.
  await expect(owner.getByTestId("contacts-total")).toHaveText(/^33[01] contacts$/);
  const inPune = (await owner.getByTestId("contacts-total").textContent())!.split(" ")[0];
  await owner.getByTestId("bulk-every").check();
  await owner.getByTestId("bulk-group").selectOption({ label: hostile });
  await owner.getByTestId("bulk-group-add").click();
  await owner.goto(`${workspaceUrl}/contacts/groups`);
  await expect(owner.getByTestId("group-count")).toHaveText(`${inPune} contacts`);
  expect(alerted).toBe(false);
});

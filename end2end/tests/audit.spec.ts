// The audit log: an owner filters their organization's log, opens an entry with its proof
// (after signing a checkpoint), exports the entries and verifies the export offline with
// `wheelhouse audit verify` and the public key they downloaded; the cluster's Audit tab lists
// its entries; on a desktop, on a 360 px phone and without JavaScript.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  return JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], { encoding: "utf8" }),
  );
}

/** A person with a project holding a cluster made through the API, signed in. */
async function ownerWithCluster(page: Page, baseURL: string, project: string): Promise<string> {
  const person = cli(["user", "create", "--email", `${project}@example.com`, "--project", project]);
  const key = cli(["api-key", "create", "--project", project]);
  const created = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
    method: "POST",
    headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
    body: JSON.stringify({ name: `${project}-prod`, version: "1.35.1", cni: "cilium", pools: [] }),
  });
  expect(created.status).toBe(200);
  const cluster = await created.json();
  // A refused change, recorded as such.
  await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}`, {
    method: "PATCH",
    headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "" }),
  });
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  return cluster.id;
}

test("an owner filters the log, opens an entry with its proof and verifies an export offline", async ({ page, baseURL }) => {
  const clusterId = await ownerWithCluster(page, baseURL!, "team-audit");
  await page.getByRole("link", { name: "Audit log" }).first().click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByTestId("audit-row").first()).toBeVisible();

  await page.getByLabel("Outcome").selectOption("refused");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/outcome=refused/);
  await expect(page.getByTestId("audit-row")).toHaveCount(1);
  await expect(page.getByTestId("audit-row")).toContainText("cluster.update");
  await expect(page.getByTestId("audit-row")).toContainText("Refused");

  await page.getByTestId("sign-checkpoint").click();
  await expect(page.getByTestId("notice")).toContainText("checkpoint of the log was signed");
  await expect(page).toHaveURL(/outcome=refused/);
  await page.getByTestId("audit-row").getByRole("link").click();
  await expect(page.getByTestId("proof")).toContainText("Verified against checkpoint");
  await expect(page.getByTestId("entry-facts")).toContainText(clusterId);
  await page.screenshot({ path: "screenshots/audit-entry-desktop.png", fullPage: true });

  // Export what the filters select, download the key, verify with the command line.
  await page.getByRole("link", { name: "Back to the audit log" }).click();
  await page.goto("/audit?action=cluster");
  await page.screenshot({ path: "screenshots/audit-log-desktop.png", fullPage: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wheelhouse-audit-"));
  const [exported] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-jsonl").click()]);
  const exportPath = path.join(dir, "audit.jsonl");
  await exported.saveAs(exportPath);
  const [key] = await Promise.all([page.waitForEvent("download"), page.getByTestId("public-key").click()]);
  const keyPath = path.join(dir, "key.pem");
  await key.saveAs(keyPath);
  const verified = execFileSync(process.env.WHEELHOUSE_BIN!, ["audit", "verify", exportPath, "--public-key", keyPath], {
    encoding: "utf8",
  });
  expect(verified).toContain("OK: organization");
  expect(verified).toContain("(filtered)");
  // An edited export fails, naming the entry.
  const lines = fs.readFileSync(exportPath, "utf8").split("\n");
  const at = lines.findIndex((line) => line.includes('"type":"entry"'));
  lines[at] = lines[at].replace('"outcome":"done"', '"outcome":"refused"');
  fs.writeFileSync(path.join(dir, "edited.jsonl"), lines.join("\n"));
  let failure = "";
  try {
    execFileSync(process.env.WHEELHOUSE_BIN!, ["audit", "verify", path.join(dir, "edited.jsonl"), "--public-key", keyPath], {
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (error: any) {
    failure = String(error.stderr);
  }
  expect(failure).toMatch(/FAILED: entry \d+ was edited/);

  // The cluster's Audit tab.
  await page.goto(`/clusters/fr-par/${clusterId}/audit`);
  await expect(page.getByTestId("audit-entries")).toContainText("cluster.create");
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("the log reads as cards and an entry fits", async ({ page, baseURL }) => {
    await ownerWithCluster(page, baseURL!, "team-audit-phone");
    await page.goto("/audit");
    await expect(page.getByTestId("audit-row").first()).toBeVisible();
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest("nav[aria-label=Main]"))
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "screenshots/audit-log-phone-360.png", fullPage: true });
    await page.getByTestId("audit-row").first().getByRole("link").click();
    await expect(page.getByTestId("proof")).toBeVisible();
    const wideEntry = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest("nav[aria-label=Main]"))
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    );
    expect(wideEntry).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "screenshots/audit-entry-phone-360.png", fullPage: true });
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("filters, signs a checkpoint and opens an entry", async ({ page, baseURL }) => {
    await ownerWithCluster(page, baseURL!, "team-audit-nojs");
    await page.goto("/audit");
    await page.getByLabel("Action").fill("cluster.create");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=cluster.create/);
    await expect(page.getByTestId("audit-row")).toHaveCount(1);
    await page.getByTestId("sign-checkpoint").click();
    await expect(page.getByTestId("notice")).toBeVisible();
    await page.getByTestId("audit-row").getByRole("link").click();
    await expect(page.getByTestId("proof")).toContainText("Verified against checkpoint");
  });
});

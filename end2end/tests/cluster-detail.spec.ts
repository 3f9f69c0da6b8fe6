// A cluster's pages: every tab, the kubeconfig (used with the real kubectl), and a node reboot
// behind its confirmation box; on a desktop and on a 360 px phone.
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

async function readyCluster(page: Page, baseURL: string, project: string, name: string) {
  const person = cli(["user", "create", "--email", `${project}@example.com`, "--project", project]);
  const key = cli(["api-key", "create", "--project", project]);
  const created = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
    method: "POST",
    headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
    body: JSON.stringify({
      name, version: "1.35.1", cni: "cilium",
      pools: [{ name: "workers", node_type: "PRO2-XS", size: 2 }],
    }),
  });
  expect(created.status).toBe(200);
  const cluster = await created.json();
  // Ready once both nodes are (the sandbox runs fast in tests).
  await expect(async () => {
    const nodes = await (await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}/nodes`, {
      headers: { "X-Auth-Token": key.secret_key },
    })).json();
    expect(nodes.nodes.filter((n: any) => n.status === "ready")).toHaveLength(2);
  }).toPass({ timeout: 30_000 });
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  return Object.assign(cluster, { token: key.secret_key as string });
}

test("every tab of a cluster, its kubeconfig with kubectl, and a node reboot", async ({ page, baseURL }) => {
  test.setTimeout(150_000);
  const cluster = await readyCluster(page, baseURL!, "team-detail", "detail-journey");
  await page.getByRole("link", { name: "detail-journey" }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/fr-par/${cluster.id}$`));
  await expect(page.getByRole("heading", { level: 1, name: "detail-journey" })).toBeVisible();
  await expect(page.getByTestId("responsibilities")).toContainText("kube-apiserver");
  await expect(page.getByTestId("responsibilities")).toContainText("Provider");
  await page.screenshot({ path: "screenshots/cluster-overview-desktop.png", fullPage: true });

  const tabs = page.getByRole("navigation", { name: "Cluster" });
  await tabs.getByRole("link", { name: "Pools" }).click();
  await expect(page.getByTestId("pool-row")).toContainText("workers");
  await tabs.getByRole("link", { name: "Storage" }).click();
  await expect(page.getByText("Persistent volumes")).toBeVisible();
  await tabs.getByRole("link", { name: "Events" }).click();
  await expect(page.getByTestId("events")).toContainText("ClusterCreating");
  // A long reason wraps inside its column: it never runs into the message beside it.
  for (const row of await page.getByTestId("events").locator("li").all()) {
    const [reason, message] = [row.locator(":scope > span").nth(1), row.locator(":scope > span").nth(2)];
    const [r, m] = [await reason.boundingBox(), await message.boundingBox()];
    if (r && m && Math.abs(r.y - m.y) < 4) expect(r.x + r.width, await row.textContent() ?? "").toBeLessThanOrEqual(m.x + 1);
  }
  await tabs.getByRole("link", { name: "Access" }).click();

  const download = page.waitForEvent("download");
  await page.getByTestId("download-kubeconfig").click();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wh-kubeconfig-")), "kubeconfig.yaml");
  await (await download).saveAs(file);
  const nodes = execFileSync("kubectl", ["--kubeconfig", file, "--request-timeout", "20s", "get", "nodes"], {
    encoding: "utf8",
  });
  expect(nodes.split("\n").filter((line) => line.includes(" Ready ")).length).toBe(2);

  await tabs.getByRole("link", { name: "Nodes" }).click();
  const card = page.getByTestId("node-card").first();
  await card.getByText("Reboot or replace…").click();
  await card.getByRole("checkbox").check();
  await card.getByRole("button", { name: "Reboot" }).click();
  await expect(page.getByTestId("notice")).toContainText("rebooting");
  // The page follows the node: rebooting, then back to ready, without a reload.
  await expect(page.locator("[data-testid=node-card][data-status=ready]")).toHaveCount(2, { timeout: 30_000 });

  // Adding a pool (last, so the node counts above stay two): a refused name comes back
  // with its reason and what was typed.
  await tabs.getByRole("link", { name: "Pools" }).click();
  const addPool = page.getByTestId("add-pool");
  await addPool.getByLabel("Pool name").fill("bad!name");
  await addPool.getByLabel("Nodes").fill("1");
  await addPool.getByRole("button", { name: "Add the pool" }).click();
  await expect(page.getByTestId("problem-pool")).toContainText("a pool name is");
  await expect(addPool.getByLabel("Pool name")).toHaveValue("bad!name");
  await expect(addPool.getByLabel("Nodes")).toHaveValue("1");
  await addPool.getByLabel("Pool name").fill("extra");
  await addPool.getByRole("button", { name: "Add the pool" }).click();
  await expect(page.getByTestId("notice")).toContainText("The pool was added");
  await expect(page.getByTestId("pool-row").filter({ hasText: "extra" })).toHaveCount(1);
  await page.screenshot({ path: "screenshots/cluster-pools-desktop.png", fullPage: true });

  // Once it has settled, the new pool is resized, then deleted after typing its name.
  const extra = page.getByTestId("pool-row").filter({ hasText: "extra" });
  const settled = async () =>
    await expect(async () => {
      await page.reload();
      await expect(extra).toContainText("ready", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  await settled();
  await extra.getByText("Resize, settings or delete…").click();
  await extra.getByLabel("Nodes").fill("2");
  await extra.getByRole("button", { name: "Resize" }).click();
  await expect(page.getByTestId("notice")).toContainText("being resized");
  await settled();
  await extra.getByText("Resize, settings or delete…").click();
  await extra.getByLabel("Type extra to confirm").fill("extra");
  await extra.getByRole("button", { name: "Delete the pool" }).click();
  await expect(page.getByTestId("notice")).toContainText("being deleted");
});

test("settings keep what was typed; deletion needs the cluster's name", async ({ page, baseURL }) => {
  test.setTimeout(60_000);
  const cluster = await readyCluster(page, baseURL!, "team-settings", "settings-journey");
  await page.goto(`/clusters/fr-par/${cluster.id}/settings`);
  await page.getByLabel("Name").fill("no spaces allowed");
  await page.getByLabel("Description").fill("kept");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("problem")).toContainText("Nothing was saved");
  await expect(page.getByLabel("Name")).toHaveValue("no spaces allowed");
  await expect(page.getByLabel("Description")).toHaveValue("kept");
  await expect(page.locator("#name-problem")).toContainText("a cluster name is");

  await page.getByLabel("Name").fill("settings-renamed");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("notice")).toContainText("Saved");
  await expect(page.getByRole("heading", { level: 1, name: "settings-renamed" })).toBeVisible();

  await page.getByLabel("Type settings-renamed to confirm").fill("settings-renamed");
  await page.getByRole("button", { name: "Delete the cluster" }).click();
  await expect(page).toHaveURL(/\/clusters\?notice=deleting$/);
  await expect(page.getByTestId("notice")).toContainText("being deleted");
});

test("a cluster page follows the cluster in place and never throws away what is being typed", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  const cluster = await readyCluster(page, baseURL!, "team-typing", "typing-journey");
  const headers = { "X-Auth-Token": cluster.token, "Content-Type": "application/json" };
  const rename = async (name: string) => {
    const renamed = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}`, {
      method: "PATCH", headers, body: JSON.stringify({ name }),
    });
    expect(renamed.status).toBe(200);
  };
  await page.goto(`/clusters/fr-par/${cluster.id}/nodes`);
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  await page.evaluate(() => { (window as any).stillTheSamePage = true; });
  // Another client grows the pool: the third node shows up beside the others, no reload.
  const pools = await (await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}/pools`, { headers })).json();
  const resized = await fetch(`${baseURL}/k8s/v1/regions/fr-par/pools/${pools.pools[0].id}`, {
    method: "PATCH", headers, body: JSON.stringify({ size: 3 }),
  });
  expect(resized.status).toBe(200);
  await expect(page.getByTestId("node-card")).toHaveCount(3, { timeout: 20_000 });
  // A node's confirmation left open stays open while the rest of the page moves on.
  const first = page.getByTestId("node-card").first();
  await first.getByText("Reboot or replace…").click();
  await rename("typing-renamed");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("typing-renamed", { timeout: 20_000 });
  await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("typing-renamed");
  await expect(first.locator("details")).toHaveAttribute("open", "");
  await expect(page.locator("[data-testid=node-card][data-status=ready]")).toHaveCount(3, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);

  // Half-way through typing in the settings, a change elsewhere leaves the form as it is and
  // says so; the name above still follows.
  await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  await page.getByLabel("Description").fill("half-written");
  await rename("typing-again");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("typing-again", { timeout: 20_000 });
  await expect(page.getByTestId("stale")).toBeVisible();
  await expect(page.getByLabel("Description")).toHaveValue("half-written");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("typing-renamed");
  // Its link shows the latest (without the page's one-off messages).
  await expect(page.getByTestId("stale").getByRole("link", { name: "Show the latest" }))
    .toHaveAttribute("href", `/clusters/fr-par/${cluster.id}/settings`);
  await page.screenshot({ path: "screenshots/cluster-settings-changed-elsewhere.png", fullPage: true });
  // Saving the form as it stands saves what was changed here and keeps the other person's name.
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("notice")).toContainText("Saved");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("typing-again");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("typing-again");
  await expect(page.getByLabel("Description")).toHaveValue("half-written");
  await expect(page.getByTestId("stale")).toBeHidden();
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("the cluster's tabs and nodes fit the screen", async ({ page, baseURL }) => {
    test.setTimeout(60_000);
    const cluster = await readyCluster(page, baseURL!, "team-detail-phone", "phone-detail");
    await page.goto(`/clusters/fr-par/${cluster.id}/nodes`);
    await expect(page.getByTestId("node-card")).toHaveCount(2);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(360);
    for (const link of await page.getByRole("navigation", { name: "Cluster" }).getByRole("link").all()) {
      expect((await link.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await page.screenshot({ path: "screenshots/cluster-nodes-phone-360.png", fullPage: true });
    await page.goto(`/clusters/fr-par/${cluster.id}/pools`);
    await expect(page.getByTestId("add-pool")).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "screenshots/cluster-pools-phone-360.png", fullPage: true });
  });
});

// Signing in to the console and seeing one's clusters: on a desktop, on a 360 px phone and
// without JavaScript; another organisation's person sees none of them.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";

type Person = { email: string; password: string; project_id: string; clusterId?: string };

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const output = execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], {
    encoding: "utf8",
  });
  return JSON.parse(output);
}

/** A person in their own project, with a cluster made through the REST API. */
async function personWithCluster(baseURL: string, project: string, clusterName?: string): Promise<Person> {
  const email = `${project}@example.com`;
  const person = cli(["user", "create", "--email", email, "--project", project]) as Person;
  if (clusterName) {
    const key = cli(["api-key", "create", "--project", project]);
    const response = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
      method: "POST",
      headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
      body: JSON.stringify({
        name: clusterName, version: "1.35.1", cni: "cilium",
        pools: [{ name: "default", node_type: "PRO2-XS", size: 2 }],
      }),
    });
    expect(response.status).toBe(200);
    return Object.assign(person, { clusterId: (await response.json()).id as string });
  }
  return person;
}

async function signIn(page: Page, person: Person) {
  await page.goto("/clusters");
  await expect(page).toHaveURL(/\/login\?error=required$/);
  await expect(page.getByTestId("sign-in-problem")).toContainText("Sign in to see your clusters");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(person.email);
}

test("a person signs in, sees their clusters, and signs out", async ({ page, baseURL }) => {
  const person = await personWithCluster(baseURL!, "team-desk", "desk-prod");
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-in-problem")).toContainText("not right");
  await expect(page.getByLabel("Email")).toHaveValue(person.email);

  await signIn(page, person);
  const row = page.getByTestId("cluster-row").filter({ hasText: "desk-prod" });
  await expect(row).toBeVisible();
  await expect(row).toContainText("1.35.1");
  await expect(row).toContainText("Supported");
  // The cluster becomes ready as the sandbox works; a reload shows it (live updates come later).
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("cluster-row").filter({ hasText: "desk-prod" })).toContainText("2 of 2");
  }).toPass({ timeout: 20_000 });
  await page.screenshot({ path: "screenshots/clusters-desktop.png", fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/clusters");
  await expect(page).toHaveURL(/\/login\?error=required$/);
});

test("the dashboard follows the clusters live, without reloading", async ({ page, baseURL }) => {
  test.setTimeout(60_000);
  const person = await personWithCluster(baseURL!, "team-live", "live-prod");
  await signIn(page, person);
  const row = page.getByTestId("cluster-row").filter({ hasText: "live-prod" });
  await expect(row).toContainText("2 of 2", { timeout: 20_000 });
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  await page.evaluate(() => { (window as any).stillTheSamePage = true; });
  // Scale the pool through the API: the page follows with no reload.
  const key = cli(["api-key", "create", "--project", "team-live"]);
  const headers = { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" };
  const clusters = await (await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters?name=live-prod`, { headers })).json();
  const pools = await (await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${clusters.clusters[0].id}/pools`, { headers })).json();
  const scaled = await fetch(`${baseURL}/k8s/v1/regions/fr-par/pools/${pools.pools[0].id}`, {
    method: "PATCH", headers, body: JSON.stringify({ size: 3 }),
  });
  expect(scaled.status).toBe(200);
  await expect(row).toContainText("3 of 3", { timeout: 20_000 });
  // A filter being chosen (not yet applied) stays as it is while the list and charts move on.
  await page.locator("#filter-status").selectOption("ready");
  // A cluster made elsewhere appears in the list without a reload by hand.
  const made = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
    method: "POST", headers,
    body: JSON.stringify({ name: "live-second", version: "1.35.1", cni: "cilium", pools: [] }),
  });
  expect(made.status).toBe(200);
  await expect(page.getByTestId("cluster-row").filter({ hasText: "live-second" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("versions-chart").locator("svg")).toHaveAttribute("aria-label", /1\.35\.1: 2 clusters/);
  await expect(page.locator("#filter-status")).toHaveValue("ready");
  // Its choices (a new status) wait for the reload the notice offers.
  await expect(page.getByTestId("stale")).toBeVisible();
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
});

test("another organisation's person sees none of the first one's clusters", async ({ page, baseURL }) => {
  const first = await personWithCluster(baseURL!, "team-first", "first-secret-cluster");
  const other = await personWithCluster(baseURL!, "team-second");
  await signIn(page, other);
  await expect(page.getByTestId("no-clusters")).toBeVisible();
  await expect(page.getByText("first-secret-cluster")).toHaveCount(0);
  // Nor by its address: every tab answers 404 and names nothing of it.
  for (const tab of ["", "/nodes", "/settings"]) {
    const response = await page.goto(`/clusters/fr-par/${first.clusterId}${tab}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Cluster not found" })).toBeVisible();
    await expect(page.getByText("first-secret-cluster")).toHaveCount(0);
  }
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("the clusters become cards and nothing overflows", async ({ page, baseURL }) => {
    const person = await personWithCluster(baseURL!, "team-phone", "phone-prod");
    await signIn(page, person);
    const row = page.getByTestId("cluster-row").filter({ hasText: "phone-prod" });
    await expect(row).toBeVisible();
    // A card: the row is a block as wide as the screen allows, each cell labelled by CSS.
    expect(await row.evaluate((element) => getComputedStyle(element).display)).toBe("block");
    const label = await row.locator("td").nth(3).evaluate((cell) => getComputedStyle(cell, "::before").content);
    expect(label).toContain("Nodes ready");
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(360);
    const signOut = (await page.getByRole("button", { name: "Sign out" }).boundingBox())!;
    expect(signOut.height).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: "screenshots/clusters-phone-360.png", fullPage: true });
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("signing in and out works with plain forms", async ({ page, baseURL }) => {
    const person = await personWithCluster(baseURL!, "team-nojs", "nojs-prod");
    await signIn(page, person);
    await expect(page.getByTestId("cluster-row").filter({ hasText: "nojs-prod" })).toBeVisible();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
  });
});

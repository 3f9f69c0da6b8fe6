// The create-cluster form: two pools (add one, fill it), the cost estimate of both, then a
// cluster that becomes ready with both pools; with JavaScript, without it, and at 360 px.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  return JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], { encoding: "utf8" }),
  );
}

async function signIn(page: Page, project: string) {
  const person = cli(["user", "create", "--email", `${project}@example.com`, "--project", project]);
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
}

// A screenshot of the whole page in one viewport (a full-page capture would repeat the
// sticky header and the phone's bottom bar over the form).
async function screenshotWhole(page: Page, path: string) {
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height });
  await page.screenshot({ path });
  await page.setViewportSize(viewport);
}

const pool = (page: Page, number: number) => page.getByRole("group", { name: `Pool ${number}`, exact: true });

// The sandbox's list: a dedicated-4 control plane (0.101/h), 2 × pro2_xs (0.09/h), 1 × pro2_s (0.18/h).
const BOTH_POOLS = ((0.101 + 0.09 * 2 + 0.18 * 1) * 730).toFixed(2);
const FIRST_POOL_ONLY = ((0.101 + 0.09 * 2) * 730).toFixed(2);

// Fills the form with two pools; `javaScript` says whether the estimate follows the typing.
async function fillTwoPools(page: Page, name: string, javaScript: boolean) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Control plane").selectOption("kapsule-dedicated-4");
  await pool(page, 1).getByLabel("Nodes", { exact: true }).fill("2");
  await expect(pool(page, 2)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Remove pool 1" })).toHaveCount(0);

  await page.getByRole("button", { name: "Add a pool" }).click();
  await expect(page).toHaveURL(/pools=2/);
  // Everything typed is kept; the new pool comes pre-filled, with the recommended lifespan.
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(page.getByLabel("Control plane")).toHaveValue("kapsule-dedicated-4");
  await expect(pool(page, 1).getByLabel("Nodes", { exact: true })).toHaveValue("2");
  await expect(pool(page, 2).getByLabel("Node lifespan (days; empty: off)")).toHaveValue("30");
  await expect(pool(page, 2).getByLabel("Autohealing (replace nodes that stay NotReady)")).toBeChecked();
  if (javaScript) {
    await expect(page.getByTestId("estimate-card")).toHaveAttribute("data-hydrated", "true");
  }

  await pool(page, 2).getByLabel("Pool name").fill("batch");
  await pool(page, 2).getByLabel("Node type").selectOption("pro2_s");
  await pool(page, 2).getByLabel("Nodes", { exact: true }).fill("1");
  if (!javaScript) {
    await page.getByRole("button", { name: "Update the estimate" }).click();
  }
  await expect(page.getByTestId("estimate")).toContainText(`${BOTH_POOLS} EUR per month`);
  const lines = page.getByTestId("estimate-lines");
  await expect(lines).toContainText("Pool 1 (default): 0.09 EUR/h × 730 h × 2 pro2_xs");
  await expect(lines).toContainText("Pool 2 (batch): 0.18 EUR/h × 730 h × 1 pro2_s");
  await expect(page.getByTestId("estimate-card")).toContainText("sandbox provider's own list");
}

async function createAndSeeBothPools(page: Page, name: string) {
  await page.getByRole("button", { name: "Create the cluster" }).click();
  await expect(page).toHaveURL(/\/clusters\/fr-par\/[0-9a-f-]+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  // The sandbox makes it ready within seconds; the page shows it on reload.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 }).locator("..")).toContainText("ready");
  }).toPass({ timeout: 30_000 });
  await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Pools" }).click();
  const rows = page.getByTestId("pool-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "default" })).toContainText("pro2_xs");
  await expect(rows.filter({ hasText: "batch" })).toContainText("pro2_s");
}

test("a cluster with two pools made through the form, with the estimate of both", async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, "team-create");
  await page.getByRole("link", { name: "Create a cluster" }).first().click();
  await expect(page).toHaveURL(/\/clusters\/new$/);
  await fillTwoPools(page, "made-in-browser", true);
  await screenshotWhole(page, "screenshots/create-cluster-two-pools-desktop.png");

  // With JavaScript the estimate follows the typing: removing pool 2's nodes shows it at once.
  await pool(page, 2).getByLabel("Nodes", { exact: true }).fill("0");
  await expect(page.getByTestId("estimate")).toContainText(`${FIRST_POOL_ONLY} EUR per month`);
  await pool(page, 2).getByLabel("Nodes", { exact: true }).fill("1");
  await expect(page.getByTestId("estimate")).toContainText(`${BOTH_POOLS} EUR per month`);

  await createAndSeeBothPools(page, "made-in-browser");
});

test("a pool name used twice is refused beside pool 2, everything typed kept", async ({ page }) => {
  await signIn(page, "team-create-twice");
  await page.goto("/clusters/new");
  await page.getByLabel("Name", { exact: true }).fill("twice");
  await page.getByRole("button", { name: "Add a pool" }).click();
  await pool(page, 2).getByLabel("Pool name").fill("default");
  await pool(page, 2).getByLabel("Nodes", { exact: true }).fill("4");
  await page.getByRole("button", { name: "Create the cluster" }).click();
  await expect(page).toHaveURL(/field=pool2_name/);
  await expect(pool(page, 2).getByTestId("problem-pool2_name")).toContainText("already named `default`");
  // Said at the top too (the field may be out of sight), with a link down to it.
  await expect(page.getByTestId("problem")).toContainText("Nothing was created: another pool is already named");
  await expect(page.getByTestId("problem").getByRole("link", { name: "Go to the field" })).toHaveAttribute(
    "href", "#pool2_name-problem");
  await expect(pool(page, 2).getByLabel("Pool name")).toHaveAccessibleDescription(/already named/);
  await expect(pool(page, 2).getByLabel("Nodes", { exact: true })).toHaveValue("4");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("twice");
  await pool(page, 2).screenshot({ path: "screenshots/create-cluster-pool-refused.png" });

  // "Remove pool 2" takes it away and keeps the rest.
  await page.getByRole("button", { name: "Remove pool 2" }).click();
  await expect(pool(page, 2)).toHaveCount(0);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("twice");
  await expect(page.getByRole("button", { name: /Remove pool/ })).toHaveCount(0);
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("the pools stack, every control is labelled and touch-sized, nothing overflows", async ({ page }) => {
    await signIn(page, "team-create-phone");
    await page.goto("/clusters/new");
    await page.getByLabel("Name", { exact: true }).fill("pocket");
    await page.getByRole("button", { name: "Add a pool" }).click();
    await expect(pool(page, 2)).toBeVisible();

    const viewport = page.viewportSize()!;
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(viewport.width);
    // The fieldsets stack, and so do the fields inside them.
    const first = (await pool(page, 1).boundingBox())!;
    const second = (await pool(page, 2).boundingBox())!;
    expect(second.y).toBeGreaterThanOrEqual(first.y + first.height);
    const name = (await pool(page, 2).getByLabel("Pool name").boundingBox())!;
    const nodeType = (await pool(page, 2).getByLabel("Node type").boundingBox())!;
    expect(nodeType.x).toBe(name.x);
    expect(nodeType.y).toBeGreaterThan(name.y);
    for (const control of [
      page.getByRole("button", { name: "Add a pool" }),
      page.getByRole("button", { name: "Remove pool 2" }),
      page.getByRole("button", { name: "Create the cluster" }),
      pool(page, 2).getByLabel("Nodes", { exact: true }),
      pool(page, 2).getByLabel("Autoscaling between:"),
    ]) {
      const box = (await control.evaluate((element) => {
        // A checkbox's touch target is its label.
        const target = element.closest("label") ?? element;
        const rect = target.getBoundingClientRect();
        return { height: rect.height, right: rect.right };
      }));
      expect(box.height).toBeGreaterThanOrEqual(44);
      expect(box.right).toBeLessThanOrEqual(viewport.width);
    }
    await screenshotWhole(page, "screenshots/create-cluster-two-pools-phone-360.png");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the same form adds a pool, estimates both, creates, and the settings tab deletes", async ({ page }) => {
    test.setTimeout(60_000);
    await signIn(page, "team-create-nojs");
    await page.getByRole("link", { name: "Create a cluster" }).first().click();
    await fillTwoPools(page, "made-without-js", false);
    await createAndSeeBothPools(page, "made-without-js");
    await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("Type made-without-js to confirm").fill("made-without-js");
    await page.getByRole("button", { name: "Delete the cluster" }).click();
    await expect(page.getByTestId("notice")).toContainText("being deleted");
  });
});

// Alerts: an operator injects a fault (`wheelhouse admin fault`) and time passes (`wheelhouse
// admin clock advance`); the owner sees the firing alert on the dashboard and in the cluster's
// Alerts tab with whose it is, what the provider does and the evidence; acknowledges it with a
// note; silences another by its rule; on a desktop, on a 360 px phone and without JavaScript.
// A server of its own: moving its clock must not move other journeys'.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { OwnServer } from "./own-server";

const server = new OwnServer(3119, ["--alerts-interval-ms", "200"]);

test.describe.configure({ mode: "serial" });
test.beforeAll(async () => server.start());
test.afterAll(() => server.stop());

function run(args: string[]): string {
  return server.cli(args);
}

/** Moves the sandbox's clock (rules wait minutes) and lets the server see it. */
async function later(page: Page, by: string) {
  run(["admin", "clock", "advance", by]);
  await page.waitForTimeout(1_500); // the server reads the offset every second
}

/** A person with a project holding a cluster (one node), signed in. */
async function ownerWithCluster(page: Page, project: string): Promise<string> {
  const baseURL = server.baseURL;
  const person = JSON.parse(run(["user", "create", "--email", `${project}@example.com`, "--project", project]));
  const key = JSON.parse(run(["api-key", "create", "--project", project]));
  const created = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
    method: "POST",
    headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
    body: JSON.stringify({
      name: `${project}-prod`,
      version: "1.35.1",
      cni: "cilium",
      pools: [{ name: "default", node_type: "PRO2-XS", size: 1 }],
    }),
  });
  expect(created.status).toBe(200);
  const cluster = await created.json();
  // Its components exist once it is ready (a few seconds at this pace).
  await expect(async () => {
    const read = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}`, {
      headers: { "X-Auth-Token": key.secret_key },
    });
    expect((await read.json()).status).toBe("ready");
  }).toPass({ timeout: 30_000 });
  await page.goto(`${baseURL}/login`);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  return cluster.id;
}

/** Reloads `url` until `check` passes (the alerts pass runs every fraction of a second). */
async function until(page: Page, url: string, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto(`${server.baseURL}${url}`);
    await check();
  }).toPass({ timeout: 20_000 });
}

test("an owner sees a provider-owned alert with its evidence, acknowledges it and silences another", async ({ page }) => {
  test.setTimeout(120_000);
  const clusterId = await ownerWithCluster(page, "team-alerts");
  run(["admin", "fault", "component", clusterId, "kube-apiserver", "crash_loop"]);
  await page.waitForTimeout(500); // a pass sees it: pending
  await later(page, "2m");

  // The dashboard says so, and leads to the cluster's Alerts tab.
  await until(page, "/clusters", async () => {
    await expect(page.getByTestId("firing-alerts")).toContainText("1 firing");
  });
  await page.getByTestId("firing-alerts").getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/clusters/fr-par/${clusterId}/alerts$`));
  const alert = page.locator('[data-rule="control_plane_unavailable"]');
  await expect(alert).toContainText("Control plane unavailable");
  await expect(alert.getByTestId("owner")).toHaveText("The provider's");
  await expect(alert.getByTestId("recommendation")).toContainText("What the provider does");
  await expect(alert.getByTestId("recommendation")).toContainText("Nothing is asked of you");
  await alert.getByTestId("evidence").locator("summary").click();
  await expect(alert.getByTestId("evidence")).toContainText("kube-apiserver");
  await page.screenshot({ path: "screenshots/alerts-tab-desktop.png", fullPage: true });

  // Acknowledge, with a note.
  await alert.getByText("Acknowledge", { exact: true }).first().click();
  await alert.getByLabel("What is being done about it").fill("waiting on the provider");
  await alert.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByTestId("notice")).toContainText("The alert is acknowledged.");
  await expect(page.locator('[data-rule="control_plane_unavailable"]').getByTestId("acknowledgement")).toContainText(
    "waiting on the provider",
  );
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  // A degraded system app: silenced by its rule, for four hours.
  run(["admin", "fault", "component", clusterId, "coredns", "degraded"]);
  await page.waitForTimeout(500);
  await later(page, "16m");
  await until(page, `/clusters/fr-par/${clusterId}/alerts?state=firing`, async () => {
    await expect(page.locator('[data-rule="component_degraded"]')).toBeVisible();
  });
  await page.getByLabel("Rule").selectOption("component_degraded");
  await page.getByLabel("Reason").fill("CoreDNS is being tuned");
  await page.getByRole("button", { name: "Silence", exact: true }).click();
  await expect(page.getByTestId("notice")).toContainText("The silence is in force.");
  await expect(page.getByTestId("silences")).toContainText("Component degraded");
  await expect(page.locator('[data-rule="component_degraded"]')).toHaveCount(0);
  await page.getByLabel("Show").selectOption("silenced");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator('[data-rule="component_degraded"]')).toContainText("firing, silenced");

  // The organization's page lists both.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await expect(page).toHaveURL(/\/alerts$/);
  await expect(page.getByTestId("firing-summary")).toContainText("1 critical");
  await expect(page.getByTestId("alert")).toHaveCount(2);
  const pageAxe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(pageAxe.violations.map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: "screenshots/alerts-page-desktop.png", fullPage: true });
});

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true });

  test("an alert and its evidence fit", async ({ page }) => {
    const clusterId = await ownerWithCluster(page, "team-alerts-phone");
    run(["admin", "fault", "component", clusterId, "etcd", "crash_loop"]);
    await page.waitForTimeout(500);
    await later(page, "2m");
    await until(page, `/clusters/fr-par/${clusterId}/alerts`, async () => {
      await expect(page.locator('[data-rule="control_plane_unavailable"]')).toBeVisible();
    });
    await page.getByTestId("evidence").locator("summary").click();
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 361 && !e.closest("nav[aria-label=Main]") && !e.closest("nav[aria-label=Cluster]"))
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "screenshots/alerts-tab-phone-360.png", fullPage: true });
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("acknowledges and silences with plain forms", async ({ page }) => {
    const clusterId = await ownerWithCluster(page, "team-alerts-nojs");
    run(["admin", "fault", "component", clusterId, "kube-apiserver", "crash_loop"]);
    await page.waitForTimeout(500);
    await later(page, "2m");
    await until(page, `/clusters/fr-par/${clusterId}/alerts`, async () => {
      await expect(page.locator('[data-rule="control_plane_unavailable"]')).toBeVisible();
    });
    await page.getByText("Acknowledge", { exact: true }).first().click();
    await page.getByLabel("What is being done about it").fill("on it");
    await page.getByRole("button", { name: "Acknowledge" }).click();
    await expect(page.getByTestId("notice")).toContainText("acknowledged");
    await page.getByLabel("Severity").selectOption("critical");
    await page.getByLabel("Reason").fill("maintenance");
    await page.getByRole("button", { name: "Silence", exact: true }).click();
    await expect(page.getByTestId("notice")).toContainText("The silence is in force.");
    await page.getByRole("button", { name: "End now" }).click();
    await expect(page.getByTestId("notice")).toContainText("The silence has ended.");
    await page.getByTestId("check-alerts").click();
    await expect(page.getByTestId("notice")).toContainText("checked");
  });
});

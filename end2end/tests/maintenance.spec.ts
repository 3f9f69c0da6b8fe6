// Keeping nodes fresh as a cluster owner does it: set a pool's lifespan and read the preview,
// set the maintenance window (a bad one is refused beside its field), move the sandbox clock
// forward (`wheelhouse admin clock advance`), see the overdue nodes wait outside the window,
// open the window, and watch them replaced one at a time; at 360 px and without JavaScript.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OwnServer } from "./own-server";

const server = new OwnServer(3118);

test.describe.configure({ mode: "serial" });
test.beforeAll(async () => server.start());
test.afterAll(() => server.stop());

test("a lifespan replaces overdue nodes only inside the window, one at a time", async ({ page }) => {
  test.setTimeout(180_000);
  const cluster = await server.ownersCluster(page, "team-fresh", "fresh-journey");
  const maintenance = `${server.baseURL}/clusters/fr-par/${cluster.id}/maintenance`;
  await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}`);
  await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Maintenance" }).click();
  await expect(page).toHaveURL(/\/maintenance$/);
  await expect(page.getByTestId("window-summary")).toContainText("every day 00:00–04:00 UTC (the default)");
  await expect(page.getByTestId("no-replacement")).toContainText("No pool has a node lifespan");

  // A lifespan of one day: the preview lists both nodes, each in a window after it expires.
  await page.getByLabel("Lifespan of workers's nodes (days)").fill("1");
  await page.getByTestId("pool-lifespan").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("notice")).toContainText("node lifespan was saved");
  await expect(page.getByTestId("planned-replacement")).toHaveCount(2);
  await expect(page.getByTestId("planned-replacement").first()).toContainText("expires");

  // A window shorter than two hours is refused beside its field, and what was typed stays.
  await page.getByLabel("Open for (hours, 2 to 24)").fill("1");
  await page.getByLabel("Open for (hours, 2 to 24)").evaluate((input: HTMLInputElement) => input.removeAttribute("min"));
  await page.getByRole("button", { name: "Save the window" }).click();
  await expect(page.getByTestId("problem-field")).toContainText("2 to 24 hours");
  await expect(page.getByLabel("Open for (hours, 2 to 24)")).toHaveValue("1");
  await expect(page.getByTestId("window-summary")).toContainText("(the default)");
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: "screenshots/maintenance-desktop.png", fullPage: true });

  // Two days later (the sandbox clock; sessions end, so sign in again) the nodes are overdue.
  server.cli(["admin", "clock", "advance", "2d"]);
  await page.waitForTimeout(1_500); // the server reads the offset every second
  await server.signIn(page, cluster.person.email, cluster.person.password);
  const sandboxNow = new Date(Date.now() + 2 * 86_400_000);
  const hour = sandboxNow.getUTCHours();
  // Closed now: a window three hours from now, for two hours.
  await page.goto(maintenance);
  await page.getByLabel("Opens at (UTC)").selectOption(String((hour + 3) % 24));
  await page.getByLabel("Open for (hours, 2 to 24)").fill("2");
  await page.getByRole("button", { name: "Save the window" }).click();
  await expect(page.getByTestId("notice")).toContainText("maintenance window was saved");
  await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/nodes`);
  await expect(page.getByTestId("node-waiting")).toHaveCount(2);
  await expect(page.getByTestId("node-waiting").first()).toContainText("outside the maintenance window");
  await expect(page.getByTestId("node-card").first()).toContainText("overdue by");

  // The window opens now: the nodes are replaced (surge first), one at a time.
  await page.goto(maintenance);
  await page.getByLabel("Opens at (UTC)").selectOption(String(hour));
  await page.getByRole("button", { name: "Save the window" }).click();
  await expect(page.getByTestId("window-summary")).toContainText("open now");
  await expect(async () => {
    await page.goto(maintenance);
    await expect(page.getByTestId("replaced").locator("li")).toHaveCount(2, { timeout: 1_000 });
  }).toPass({ timeout: 90_000 });
  await expect(async () => {
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/nodes`);
    await expect(page.getByTestId("node-card")).toHaveCount(2, { timeout: 1_000 });
    await expect(page.getByTestId("node-waiting")).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  // Fresh again: a one-day lifespan, brought forward by up to a fifth (staggered).
  await expect(page.getByTestId("node-card").first()).toContainText(/Expiresin (19|2[0-4]) h/);
  await page.screenshot({ path: "screenshots/maintenance-nodes-desktop.png", fullPage: true });
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(maintenance);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "screenshots/maintenance-phone.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a lifespan and a window are set with plain forms; a bad lifespan is refused", async ({ page }) => {
    test.setTimeout(120_000);
    const cluster = await server.ownersCluster(page, "team-fresh-nojs", "fresh-nojs");
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/maintenance`);
    const lifespan = page.getByLabel("Lifespan of workers's nodes (days)");
    await lifespan.evaluate((input: HTMLInputElement) => input.removeAttribute("max"));
    await lifespan.fill("400");
    await page.getByTestId("pool-lifespan").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("problem-field")).toContainText("1 to 365 days");
    await expect(page.getByLabel("Lifespan of workers's nodes (days)")).toHaveValue("400");
    await page.getByLabel("Lifespan of workers's nodes (days)").fill("30");
    await page.getByTestId("pool-lifespan").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("pool-lifespan")).toContainText("30 days");
    // Expiries are staggered over the last six days: those in a window within 30 days show.
    await expect(page.getByTestId("planned-replacement").first()).toContainText("lifespan 30 days");
    await page.getByLabel("Monday").uncheck();
    await page.getByLabel("Tuesday").uncheck();
    await page.getByRole("button", { name: "Save the window" }).click();
    await expect(page.getByTestId("window-summary")).toContainText("wednesday, thursday, friday, saturday, sunday 00:00–04:00 UTC:");

    // An exclusion ending before it starts is refused beside "until"; a good one is listed,
    // then removed.
    await page.getByLabel("From (UTC)").fill("2030-01-10");
    await page.getByLabel("Until (UTC, that day included)").fill("2030-01-05");
    await page.getByRole("button", { name: "Add the exclusion" }).click();
    await expect(page.getByTestId("problem-field")).toContainText("ends after it starts");
    await expect(page.getByLabel("From (UTC)")).toHaveValue("2030-01-10");
    await page.getByLabel("Until (UTC, that day included)").fill("2030-01-20");
    await page.getByLabel("What it holds").selectOption("no_upgrades");
    await page.getByLabel("Why (optional)").fill("year-end freeze");
    await page.getByRole("button", { name: "Add the exclusion" }).click();
    await expect(page.getByTestId("exclusion")).toContainText("Planned: no upgrades from 2030-01-10 00:00 UTC until 2030-01-21 00:00 UTC (year-end freeze)");
    await page.getByTestId("exclusion").getByRole("button", { name: "Remove" }).click();
    await expect(page.getByTestId("no-exclusion")).toBeVisible();

    // Autohealing with its cap; a cap of 0 % is refused beside the pool.
    const cap = page.getByLabel("Cap for workers (%)");
    await cap.evaluate((input: HTMLInputElement) => input.removeAttribute("min"));
    await cap.fill("0");
    await page.getByTestId("pool-autohealing").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("pool-autohealing").getByTestId("problem-field")).toContainText("1 to 100 %");
    await page.getByLabel("Cap for workers (%)").fill("50");
    await page.getByTestId("pool-autohealing").getByLabel("On").check();
    await page.getByTestId("pool-autohealing").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("pool-autohealing")).toContainText("on, cap 50 %");

    // The pool's settings: surge, bounds, and kubelet arguments behind their warning.
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/pools`);
    await page.getByText("Resize, settings or delete…").click();
    const settings = page.getByTestId("pool-settings");
    await settings.getByLabel("Max surge (added before draining)").fill("1");
    await settings.getByLabel("Kubelet arguments (name=value, one per line)").fill("maxPods=50");
    await settings.getByRole("button", { name: "Save the settings" }).click();
    await expect(page.getByTestId("problem")).toContainText("Tick the box");
    await page.getByText("Resize, settings or delete…").click();
    await page.getByTestId("pool-settings").getByLabel("Max surge (added before draining)").fill("1");
    await page.getByTestId("pool-settings").getByLabel("Kubelet arguments (name=value, one per line)").fill("maxPods=50");
    await page.getByTestId("pool-settings").getByLabel(/the kubelet becomes my responsibility/).check();
    await page.getByTestId("pool-settings").getByRole("button", { name: "Save the settings" }).click();
    await expect(page.getByTestId("notice")).toContainText("settings were saved");
    await page.getByText("Resize, settings or delete…").click();
    await expect(page.getByTestId("pool-settings").getByLabel("Max surge (added before draining)")).toHaveValue("1");
    // A new pool gets the recommended lifespan, pre-filled.
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/pools`);
    await expect(page.getByTestId("add-pool").getByLabel("Node lifespan (days; empty: off)")).toHaveValue("30");
    await page.getByLabel("Pool name").fill("fresh");
    await page.getByTestId("add-pool").getByLabel("Nodes", { exact: true }).fill("1");
    await page.getByRole("button", { name: "Add the pool" }).click();
    await expect(page.getByTestId("notice")).toContainText("pool was added");
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/maintenance`);
    await expect(page.getByTestId("pool-lifespan").filter({ hasText: "Pool fresh" })).toContainText("30 days");
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}`);
    await expect(page.getByText("kubelet (pool workers, custom arguments)")).toBeVisible();
    await page.goto(`${server.baseURL}/clusters/fr-par/${cluster.id}/maintenance`);

    // Patch auto-upgrade: on, and the newest patch says when it would start.
    await page.getByRole("button", { name: "Turn auto-upgrade on" }).click();
    await expect(page.getByTestId("auto-upgrade")).toContainText("On. 1.34.5");
    // The timeline downloads as a calendar.
    const ics = await page.request.get(`${server.baseURL}/clusters/fr-par/${cluster.id}/maintenance.ics`);
    expect(ics.status()).toBe(200);
    expect(ics.headers()["content-type"]).toContain("text/calendar");
    const calendar = await ics.text();
    expect(calendar).toContain("BEGIN:VEVENT");
    // An iCalendar parser nobody here wrote reads it: distinct UIDs, every event ends after it starts.
    const file = path.join(os.tmpdir(), `wheelhouse-${test.info().project.name}-${cluster.id}.ics`);
    fs.writeFileSync(file, calendar);
    const python = path.resolve(__dirname, "../python/.venv/bin/python");
    const checked = spawnSync(python, [path.resolve(__dirname, "../python/calendar_check.py"), file], { encoding: "utf8" });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
  });
});

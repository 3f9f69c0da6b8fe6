// The upgrade wizard as a cluster owner uses it: NO-GO with the workload named, fixed, GO, the
// typed confirmation, and the progress followed live to the end without reloading; then at
// 360 px and without JavaScript. This spec runs its own server at a realistic-but-fast pace
// (--time-scale 60: a control plane upgrade takes 5 s, a node 2 s) so progress can be watched.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { OwnServer } from "./own-server";

const server = new OwnServer(3117);
const baseURL = server.baseURL;
const cli = (args: string[]) => server.cli(args);
const ownersCluster = (page: Parameters<OwnServer["ownersCluster"]>[0], project: string, name: string) =>
  server.ownersCluster(page, project, name);

test.describe.configure({ mode: "serial" });
test.beforeAll(async () => server.start());
test.afterAll(() => server.stop());

test("NO-GO with evidence, fixed, GO, then the upgrade followed live to the end", async ({ page }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  const cluster = await ownersCluster(page, "team-upgrade", "upgrade-journey");
  cli(["admin", "inventory", "workload", "add", cluster.id, "resource.k8s.io/v1beta1", "DeviceClass", "ml/gpu-class"]);

  await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}`);
  await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Upgrade" }).click();
  await page.getByLabel(/1\.35\.1/).check();
  await page.getByRole("button", { name: "Run the pre-flight" }).click();
  await expect(page).toHaveURL(/\/upgrade\?version=1\.35\.1$/);
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "no_go");
  const failing = page.getByTestId("check").filter({ hasText: "APIs the target removes" });
  await expect(failing).toHaveAttribute("data-status", "fail");
  await expect(failing).toContainText("ml/gpu-class");
  await expect(page.getByTestId("plan-step")).toHaveCount(2);
  await page.screenshot({ path: "screenshots/upgrade-no-go-desktop.png", fullPage: true });

  // The user moves the workload off the removed API; the pre-flight says GO.
  cli(["admin", "inventory", "workload", "remove", cluster.id, "resource.k8s.io/v1beta1", "DeviceClass", "ml/gpu-class"]);
  await page.reload();
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "go");
  await expect(page.getByLabel(/Why start despite/)).toHaveCount(0);

  // A wrong name starts nothing; the right one starts it.
  await page.getByLabel(/Type upgrade-journey to confirm/).fill("upgrade-journey");
  await page.getByRole("button", { name: "Start the upgrade" }).click();
  await expect(page.getByTestId("notice")).toContainText("The upgrade started");
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  await expect(page.getByTestId("progress-headline")).toContainText("Upgrading from 1.34.2 to 1.35.1");
  await page.screenshot({ path: "screenshots/upgrade-progress-desktop.png", fullPage: true });
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  // Followed without reloading: a mark on this page survives until the end.
  await page.evaluate(() => { (window as any).stillTheSamePage = true; });
  // Each wave shows in place; once finished, the page is the wizard again, with the last upgrade.
  await expect(page.getByTestId("upgrade-progress")).toContainText("Runs 1.35.1", { timeout: 60_000 });
  await expect(page.getByTestId("last-upgrade")).toContainText("1.34.2 → 1.35.1", { timeout: 90_000 });
  await expect(page.getByTestId("last-upgrade")).toContainText("finished");
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
  await page.screenshot({ path: "screenshots/upgrade-finished-desktop.png", fullPage: true });

  // The next minor: paused at once (the control plane finishes, no pool starts), resumed,
  // then aborted after the wave under way.
  await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade?version=1.36.0`);
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "go");
  await page.getByLabel(/Type upgrade-journey to confirm/).fill("upgrade-journey");
  await page.getByRole("button", { name: "Start the upgrade" }).click();
  await page.getByRole("button", { name: "Pause after this wave" }).click();
  await expect(page.getByTestId("notice")).toContainText("pauses after the current wave");
  await expect(page.getByTestId("progress-headline")).toContainText("paused");
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  await page.waitForTimeout(8_000); // longer than the control plane's upgrade
  await expect(page.getByTestId("pool-progress")).toContainText("0 of 2 nodes on 1.36.0");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("notice")).toContainText("resumed");
  await page.getByText("Abort…").click();
  await page.getByLabel(/Stop after the current wave/).check();
  await page.getByRole("button", { name: "Abort the upgrade" }).click();
  await expect(page.getByTestId("notice")).toContainText("stops after the current wave");
  // Once the wave under way settles, the page says so by itself: the aborted upgrade is the
  // last one, and the pool left behind can move on.
  await expect(page.getByTestId("last-upgrade")).toContainText("aborted", { timeout: 60_000 });
  await page.screenshot({ path: "screenshots/upgrade-aborted-desktop.png", fullPage: true });
  await page.getByRole("button", { name: "Resume: upgrade those pools" }).click();
  await expect(page.getByTestId("last-upgrade")).toContainText("1.35.1 → 1.36.0", { timeout: 60_000 });
  await expect(page.getByTestId("last-upgrade")).toContainText("finished");
  expect(errors).toEqual([]);
});

test("on a 360 px phone the wizard fits and a blocking PDB is named", async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 360, height: 780 });
  const cluster = await ownersCluster(page, "team-upgrade-phone", "phone-upgrade");
  cli(["admin", "inventory", "pdb", "set", cluster.id, "shop/web", "--allowed", "0"]);
  await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade?version=1.34.5`);
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "no_go");
  await expect(page.getByTestId("check").filter({ hasText: "Drain simulation" })).toContainText("PDB shop/web allows 0");
  // An owner may override with a reason.
  await expect(page.getByLabel(/Why start despite/)).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "screenshots/upgrade-no-go-phone.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("an owner overrides a NO-GO with a reason and follows the upgrade by looking again", async ({ page }) => {
    test.setTimeout(150_000);
    const cluster = await ownersCluster(page, "team-upgrade-nojs", "nojs-upgrade");
    cli(["admin", "inventory", "pdb", "set", cluster.id, "shop/web", "--allowed", "0"]);
    await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade`);
    await page.getByLabel(/1\.34\.5/).check();
    await page.getByRole("button", { name: "Run the pre-flight" }).click();
    await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "no_go");
    await page.getByLabel(/Why start despite/).fill("web runs one replica by design; agreed downtime");
    await page.getByLabel(/Type nojs-upgrade to confirm/).fill("nojs-upgrade");
    await page.getByRole("button", { name: "Start the upgrade" }).click();
    await expect(page.getByTestId("notice")).toContainText("The upgrade started");
    await expect(page.getByTestId("progress-headline")).toContainText("Upgrading from 1.34.2 to 1.34.5");
    await expect(page.getByText("agreed downtime")).toBeVisible();
    await expect(async () => {
      await page.getByRole("link", { name: "look again" }).click();
      await expect(page.getByTestId("last-upgrade")).toContainText("1.34.2 → 1.34.5", { timeout: 1_000 });
    }).toPass({ timeout: 90_000 });
    await expect(page.getByTestId("last-upgrade")).toContainText("agreed downtime");
  });
});

test("a minor upgrade soaks, and during the soak one action rolls it back, followed live", async ({ page }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  const cluster = await ownersCluster(page, "team-soak", "soak-journey");
  await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade?version=1.35.1`);
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "go");
  await page.getByLabel("Soak period").selectOption("2");
  await page.getByLabel(/Type soak-journey to confirm/).fill("soak-journey");
  await page.getByRole("button", { name: "Start the upgrade" }).click();
  await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  // The page offers the way back as soon as the upgrade finished, without a reload.
  await expect(page.getByTestId("soak")).toContainText("Soaking until", { timeout: 90_000 });
  await page.getByRole("link", { name: "Roll back to 1.34.2…" }).click();
  await expect(page).toHaveURL(/\/upgrade\?rollback=cluster$/);
  await expect(page.getByTestId("last-upgrade")).toContainText("finished, soaking");
  await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "go");
  // The plan: the pool first, then the control plane.
  await expect(page.getByTestId("plan-step")).toHaveText([/Pool workers/, /Control plane/]);
  await page.screenshot({ path: "screenshots/rollback-preflight-desktop.png", fullPage: true });
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  await page.setViewportSize({ width: 360, height: 780 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "screenshots/rollback-preflight-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByLabel(/Type soak-journey to confirm/).fill("soak-journey");
  await page.getByRole("button", { name: "Start the rollback" }).click();
  await expect(page.getByTestId("notice")).toContainText("The rollback started");
  await expect(page.getByTestId("progress-headline")).toContainText("Rolling back from 1.35.1 to 1.34.2");
  // A rollback is paused, not aborted halfway.
  await expect(page.getByText("Abort…")).toHaveCount(0);
  await page.evaluate(() => { (window as any).stillTheSamePage = true; });
  // Once back, the page says so by itself, and the way back is gone.
  await expect(page.getByTestId("last-upgrade")).toContainText("Last rollback: 1.35.1 → 1.34.2", { timeout: 90_000 });
  await expect(page.getByTestId("soak")).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
  await page.screenshot({ path: "screenshots/rollback-finished-desktop.png", fullPage: true });
  expect(errors).toEqual([]);
});

test.describe("without JavaScript, rollback", () => {
  test.use({ javaScriptEnabled: false });

  test("a soaking upgrade is rolled back with plain forms", async ({ page }) => {
    test.setTimeout(150_000);
    const cluster = await ownersCluster(page, "team-soak-nojs", "soak-nojs");
    await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade?version=1.35.1`);
    await page.getByLabel("Soak period").selectOption("1");
    await page.getByLabel(/Type soak-nojs to confirm/).fill("soak-nojs");
    await page.getByRole("button", { name: "Start the upgrade" }).click();
    await expect(async () => {
      await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade`);
      await expect(page.getByTestId("soak")).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 90_000 });
    await page.getByRole("link", { name: "Roll back to 1.34.2…" }).click();
    await expect(page.getByTestId("verdict")).toHaveAttribute("data-verdict", "go");
    await page.getByLabel(/Type soak-nojs to confirm/).fill("soak-nojs");
    await page.getByRole("button", { name: "Start the rollback" }).click();
    await expect(page.getByTestId("notice")).toContainText("The rollback started");
    await expect(async () => {
      await page.goto(`${baseURL}/clusters/fr-par/${cluster.id}/upgrade`);
      await expect(page.getByTestId("last-upgrade")).toContainText("Last rollback: 1.35.1 → 1.34.2", { timeout: 1_000 });
    }).toPass({ timeout: 90_000 });
    await expect(page.getByTestId("last-upgrade")).toContainText("finished");
  });
});

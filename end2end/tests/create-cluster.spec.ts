// The create-cluster form: the cost estimate, then a cluster that becomes ready; with
// JavaScript and without it.
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

async function createThroughTheForm(page: Page, name: string) {
  await page.getByRole("link", { name: "Create a cluster" }).first().click();
  await expect(page).toHaveURL(/\/clusters\/new$/);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Nodes", { exact: true }).fill("2");
  await page.getByLabel("Control plane").selectOption("kapsule-dedicated-4");
  await page.getByRole("button", { name: "Update the estimate" }).click();
  await expect(page.getByTestId("estimate")).toContainText("EUR per month");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await page.getByRole("button", { name: "Create the cluster" }).click();
  await expect(page).toHaveURL(/\/clusters\/fr-par\/[0-9a-f-]+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  // The sandbox makes it ready within seconds; the page shows it on reload.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 }).locator("..")).toContainText("ready");
  }).toPass({ timeout: 30_000 });
}

test("a cluster made through the form, with its cost estimate", async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, "team-create");
  await createThroughTheForm(page, "made-in-browser");
  await page.goto("/clusters/new");
  await page.screenshot({ path: "screenshots/create-cluster-desktop.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the same form creates and the settings tab deletes", async ({ page }) => {
    test.setTimeout(60_000);
    await signIn(page, "team-create-nojs");
    await createThroughTheForm(page, "made-without-js");
    await page.getByRole("navigation", { name: "Cluster" }).getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("Type made-without-js to confirm").fill("made-without-js");
    await page.getByRole("button", { name: "Delete the cluster" }).click();
    await expect(page.getByTestId("notice")).toContainText("being deleted");
  });
});

// The console shell as a person meets it: rendered, interactive once hydrated, usable on a
// 360 px phone and without JavaScript. Screenshots go to end2end/screenshots/ for review.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";

test("the overview renders the console frame and live service status", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Overview · Wheelhouse");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("service-status")).toContainText("Operational");
  await expect(page.getByTestId("responsibilities").getByRole("listitem")).toHaveCount(7);
});

test("hydration works: the theme toggle switches the theme on click", async ({ page }, testInfo) => {
  await page.goto("/");
  const toggle = page.getByTestId("theme-toggle");
  await expect(toggle).toHaveAttribute("data-theme-choice", "system");
  // The island marks itself once the wasm module has hydrated it.
  await expect(toggle).toHaveAttribute("data-hydrated", "true");

  await toggle.click();
  await expect(toggle).toHaveAttribute("data-theme-choice", "light");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  // A client-side switch: the island handled the click, the page did not reload.
  expect(page.url()).toMatch(/\/$/);

  await toggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.screenshot({ path: `screenshots/overview-dark-${testInfo.project.name}.png`, fullPage: true });

  // The choice survives a reload: the server renders it from the cookie.
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByTestId("theme-toggle")).toHaveAttribute("data-theme-choice", "dark");
});

test("navigation moves between pages and marks the current one", async ({ page }, testInfo) => {
  await page.goto("/");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System" })).toHaveCount(0);
  // The system page is the provider's operators' own.
  const databaseUrl = testInfo.project.metadata.databaseUrl as string;
  const operator = JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, ["user", "create", "--email", `nav-operator-${testInfo.project.name}@example.com`,
      "--project", `team-nav-${testInfo.project.name}`, "--operator", "--database-url", databaseUrl], { encoding: "utf8" }),
  );
  await page.goto("/login");
  await page.getByLabel("Email").fill(operator.email);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System" }).click();
  await expect(page).toHaveURL(/\/provider\/system$/);
  await expect(page.getByRole("heading", { level: 1, name: "System" })).toBeVisible();
  await expect(page.getByRole("link", { name: "System" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("migrations").getByRole("listitem").first()).toContainText("projects and api keys");
  await expect(page.getByRole("heading", { name: "Sandbox provider" })).toBeVisible();
  await expect(page.getByTestId("provider-summary")).toContainText("Clusters (");
  await page.screenshot({ path: `screenshots/system-${testInfo.project.name}.png`, fullPage: true });
});

test("an unknown address shows a 404 page inside the console", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to the overview" })).toBeVisible();
});

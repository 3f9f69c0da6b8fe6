// With JavaScript disabled every page still renders completely, the theme form still works (it
// posts to the server, which sets the cookie), and the create form adds, removes and refuses pools.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";

test.use({ javaScriptEnabled: false });

test("without JavaScript the page renders in full", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(page.getByTestId("service-status")).toContainText("Operational");
  await expect(page.getByTestId("service-status")).not.toContainText("SQLite");

  // The service's inside is the provider's operators' page.
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const operator = JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, ["user", "create", "--email", "nojs-operator@example.com",
      "--project", "team-nojs-operator", "--operator", "--database-url", databaseUrl], { encoding: "utf8" }),
  );
  await page.goto("/login");
  await page.getByLabel("Email").fill(operator.email);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/provider/system");
  await expect(page.getByTestId("system-facts")).toContainText(databaseUrl.startsWith("postgres") ? "PostgreSQL" : "SQLite");
});

test("without JavaScript the theme toggle posts a form and comes back", async ({ page }) => {
  await page.goto("/login");
  await page.getByTestId("theme-toggle").click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
});

test("without JavaScript the create form adds and removes pools and refuses beside the pool at fault", async ({ page }) => {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const person = JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, ["user", "create", "--email", "nojs-pools@example.com",
      "--project", "team-nojs-pools", "--database-url", databaseUrl], { encoding: "utf8" }),
  );
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/clusters/new");

  const pool = (number: number) => page.getByRole("group", { name: `Pool ${number}`, exact: true });
  await page.getByLabel("Name", { exact: true }).fill("plain-html");
  await pool(1).getByLabel("Pool name").fill("web");
  await page.getByRole("button", { name: "Add a pool" }).click();
  await page.getByRole("button", { name: "Add a pool" }).click();
  await expect(pool(3)).toBeVisible();
  await expect(pool(1).getByLabel("Pool name")).toHaveValue("web");
  await pool(2).getByLabel("Pool name").fill("batch");
  await pool(2).getByLabel("Autoscaling between:").check();
  await pool(2).getByLabel("At least").fill("5");
  await pool(2).getByLabel("At most").fill("2");

  // Pool 3 goes; pools 1 and 2 stay as typed.
  await page.getByRole("button", { name: "Remove pool 3" }).click();
  await expect(pool(3)).toHaveCount(0);
  await expect(pool(2).getByLabel("At least")).toHaveValue("5");
  await expect(pool(2).getByLabel("Autoscaling between:")).toBeChecked();

  // "At least" above "at most" in pool 2: refused beside pool 2's bound, nothing created.
  await page.getByRole("button", { name: "Create the cluster" }).click();
  await expect(page).toHaveURL(/\/clusters\/new\?.*field=pool2_max_size/);
  await expect(pool(2).getByTestId("problem-pool2_max_size")).toContainText("must be at least");
  await expect(pool(1).getByTestId(/^problem-/)).toHaveCount(0);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("plain-html");
  await expect(pool(2).getByLabel("Pool name")).toHaveValue("batch");
  await expect(pool(2).getByLabel("At most")).toHaveValue("2");
  await expect(page.getByTestId("estimate")).toContainText("No estimate yet: Pool 2 (batch)");
  await page.goto("/clusters");
  await expect(page.getByText("plain-html")).toHaveCount(0);
});

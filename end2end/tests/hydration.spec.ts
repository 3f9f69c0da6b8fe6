// Every island starts, and no page logs an error, on the pages that carry islands. The test
// command runs this file twice: with the debug assets, like every journey, and once more with
// the release assets (size profile and wasm-opt), so an optimiser that breaks the module (as
// Debian's wasm-opt 108 did with wasm-bindgen's reference-type tables) fails the run.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";

function cli(args: string[]): any {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  return JSON.parse(
    execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", databaseUrl], { encoding: "utf8" }),
  );
}

test("every island starts and no page logs an error", async ({ page, baseURL }) => {
  test.setTimeout(60_000);
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${page.url()}: ${message.text().slice(0, 300)}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  for (const path of ["/", "/login"]) {
    await page.goto(path);
    await expect(page.getByTestId("theme-toggle")).toHaveAttribute("data-hydrated", "true");
  }

  const project = `team-islands-${test.info().project.name}`;
  const person = cli(["user", "create", "--email", `${project}@example.com`, "--project", project]);
  const key = cli(["api-key", "create", "--project", project]);
  const made = await fetch(`${baseURL}/k8s/v1/regions/fr-par/clusters`, {
    method: "POST",
    headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "islands", version: "1.35.1", cni: "cilium", pools: [{ name: "p", node_type: "PRO2-XS", size: 1 }] }),
  });
  expect(made.status).toBe(200);
  const cluster = await made.json();
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);

  // The live pages connect to their streams; the create form's estimate follows what is typed.
  for (const path of ["/clusters", `/clusters/fr-par/${cluster.id}`, `/clusters/fr-par/${cluster.id}/nodes`, `/clusters/fr-par/${cluster.id}/upgrade`]) {
    await page.goto(path);
    await expect(page.getByTestId("live-updates")).toHaveAttribute("data-connected", "true");
  }
  await page.goto("/clusters/new");
  await expect(page.getByTestId("estimate-card")).toHaveAttribute("data-hydrated", "true");
  const before = await page.getByTestId("estimate").textContent();
  await page.locator("#pool1_size").fill("7");
  await expect(page.getByTestId("estimate")).not.toHaveText(before!);
  expect(problems).toEqual([]);
});

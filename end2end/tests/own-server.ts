// A spec's own Wheelhouse server at a realistic-but-fast pace (--time-scale 60: a control plane
// upgrade takes 5 s, a node boots in 2 s) on its own SQLite database, so progress can be
// watched and the sandbox clock moved without touching other specs.
import { expect, type Page } from "@playwright/test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export class OwnServer {
  readonly baseURL: string;
  readonly databaseUrl: string;
  private process?: ChildProcess;

  /// `extra`: more `serve` options (e.g. a faster alerts pass).
  constructor(readonly port: number, readonly extra: string[] = []) {
    this.baseURL = `http://127.0.0.1:${port}`;
    this.databaseUrl = `sqlite://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), `wh-${port}-`)), "w.db")}`;
  }

  async start() {
    const siteRoot = process.env.WHEELHOUSE_SITE_ROOT ?? path.resolve(__dirname, "../../target/site");
    this.process = spawn(process.env.WHEELHOUSE_BIN!, [
      "serve", "--addr", `127.0.0.1:${this.port}`, "--kube-api-addr", "127.0.0.1:0",
      "--database-url", this.databaseUrl, "--site-root", siteRoot, "--time-scale", "60",
      "--reconcile-interval-ms", "50", ...this.extra,
    ], { stdio: "ignore" });
    await expect(async () => {
      expect((await fetch(`${this.baseURL}/readyz`)).status).toBe(200);
    }).toPass({ timeout: 30_000 });
  }

  stop() {
    this.process?.kill("SIGTERM");
  }

  /// `wheelhouse …` on this server's database.
  cli(args: string[]): string {
    return execFileSync(process.env.WHEELHOUSE_BIN!, [...args, "--database-url", this.databaseUrl], { encoding: "utf8" });
  }

  async signIn(page: Page, email: string, password: string) {
    await page.goto(`${this.baseURL}/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/clusters$/);
  }

  /// A ready cluster on 1.34.2 (two nodes) owned by a new person, who is then signed in.
  async ownersCluster(page: Page, project: string, name: string) {
    const person = JSON.parse(this.cli(["user", "create", "--email", `${project}@example.com`, "--project", project]));
    const key = JSON.parse(this.cli(["api-key", "create", "--project", project]));
    const created = await fetch(`${this.baseURL}/k8s/v1/regions/fr-par/clusters`, {
      method: "POST",
      headers: { "X-Auth-Token": key.secret_key, "Content-Type": "application/json" },
      body: JSON.stringify({
        name, version: "1.34.2", cni: "cilium",
        pools: [{ name: "workers", node_type: "PRO2-XS", size: 2 }],
      }),
    });
    expect(created.status).toBe(200);
    const cluster = await created.json();
    await expect(async () => {
      const nodes = await (await fetch(`${this.baseURL}/k8s/v1/regions/fr-par/clusters/${cluster.id}/nodes`, {
        headers: { "X-Auth-Token": key.secret_key },
      })).json();
      expect(nodes.nodes.filter((n: any) => n.status === "ready")).toHaveLength(2);
    }).toPass({ timeout: 60_000 });
    await this.signIn(page, person.email, person.password);
    return { ...cluster, person, key };
  }
}

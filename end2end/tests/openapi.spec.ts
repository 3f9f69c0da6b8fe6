// The extension API's OpenAPI document (/api/openapi.json), judged by validators that are not
// Wheelhouse's: the official OpenAPI 3.x schema (@seriousme/openapi-schema-validator), and JSON
// Schema 2020-12 (ajv) for what that schema leaves open: every `default` must be a value its own
// schema accepts, and a required property has none. Then a few of the API's bounds must be there.
import { expect, test } from "@playwright/test";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";

type Json = any;

/** Every schema object under `value`, with a readable path to it. */
function schemas(at: string, value: Json, found: Array<[string, Json]>) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return;
  found.push([at, value]);
  for (const [name, property] of Object.entries(value.properties ?? {})) {
    schemas(`${at}.${name}`, property, found);
  }
  for (const key of ["items", "additionalProperties"]) schemas(`${at}[]`, value[key], found);
  for (const key of ["allOf", "oneOf", "anyOf"]) {
    (value[key] ?? []).forEach((branch: Json, i: number) => schemas(`${at}/${key}/${i}`, branch, found));
  }
}

/** The problems with `default`s in the document's schemas (none when it is sound). */
function defaultProblems(document: Json): string[] {
  const found: Array<[string, Json]> = [];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    schemas(name, schema, found);
  }
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const [verb, operation] of Object.entries<Json>(item)) {
      for (const parameter of operation.parameters ?? []) {
        schemas(`${verb} ${path} ?${parameter.name}`, parameter.schema, found);
      }
    }
  }
  // Formats such as int32 are OpenAPI's, not JSON Schema's: only the structure is checked.
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const problems: string[] = [];
  for (const [at, schema] of found) {
    if ("default" in schema) {
      // `#/components/...` references resolve against the document's components.
      const accepts = ajv.compile({ ...schema, components: document.components });
      if (!accepts(schema.default)) {
        problems.push(`${at}: default ${JSON.stringify(schema.default)} — ${ajv.errorsText(accepts.errors)}`);
      }
    }
    for (const name of schema.required ?? []) {
      if (schema.properties?.[name] && "default" in schema.properties[name]) {
        problems.push(`${at}.${name}: required, with a default`);
      }
    }
  }
  return problems;
}

test("the OpenAPI document is valid and states the API's bounds", async ({ request }) => {
  const response = await request.get("/api/openapi.json");
  expect(response.status()).toBe(200);
  const document = await response.json();

  const validator = new Validator();
  const result = await validator.validate(document);
  expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toMatch(/^3\./);
  expect(defaultProblems(document)).toEqual([]);

  const schemas = document.components.schemas;
  expect(schemas.StartBody.required).toEqual(["version"]);
  expect(schemas.StartBody.properties.version).not.toHaveProperty("default");
  expect(schemas.StartBody.properties.version.minLength).toBe(1);
  expect(schemas.StartBody.properties.soak_days).toMatchObject({ minimum: 0, maximum: 7, default: 0 });
  expect(schemas.StartBody.properties.override_reason.maxLength).toBe(1000);
  expect(schemas.AutohealingBody.properties.cap_percent).toMatchObject({ minimum: 1, maximum: 100, default: 30 });
  expect(schemas.LifespanBody.properties.max_node_age_days).toMatchObject({ minimum: 1, maximum: 365 });
  expect(schemas.WindowBody.properties.start_hour).toMatchObject({ minimum: 0, maximum: 23 });
  expect(schemas.WindowBody.properties.duration_hours).toMatchObject({ minimum: 2, maximum: 24 });
  expect(schemas.WindowBody.properties.days.minItems).toBe(1);
  expect(schemas.WindowDay.enum).toContain("monday");
  expect(schemas.ExclusionBody.properties.reason.maxLength).toBe(200);
  expect(schemas.ExclusionScope.enum).toEqual(["no_upgrades", "no_minor_upgrades", "no_node_replacement"]);
});

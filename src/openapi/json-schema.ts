import * as z from "zod/mini";

/** A JSON Schema (2020-12) object, as placed in the OpenAPI 3.1 document. */
export type JsonSchema = Record<string, unknown>;

// The handlers' own zod schemas, seen from the client's side: `io: "input"` documents what a request may
// send (before transforms), and a schema without a JSON Schema form becomes `{}` rather than failing.
const TO_JSON_SCHEMA_OPTIONS = { target: "draft-2020-12", io: "input", unrepresentable: "any" } as const;

const DEFS_PREFIX = "#/$defs/";
const COMPONENTS_PREFIX = "#/components/schemas/";

/**
 * Converts zod schemas for one OpenAPI document: schemas with a `meta({ id })` become shared
 * `components.schemas` entries referenced by `$ref`, the rest are inlined where used.
 */
export class SchemaConverter {
  readonly components: Record<string, JsonSchema> = {};

  /** The JSON Schema of `schema`, with every `$defs` entry moved into `components`. */
  convert(schema: z.core.$ZodType): JsonSchema {
    const {
      $schema: _dialect,
      $defs,
      ...root
    } = z.toJSONSchema(schema, TO_JSON_SCHEMA_OPTIONS) as JsonSchema;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const component = rewriteRefs(def) as JsonSchema;
      const existing = this.components[id];
      if (existing && JSON.stringify(existing) !== JSON.stringify(component)) {
        throw new Error(`Two different schemas share the OpenAPI id ${JSON.stringify(id)}`);
      }
      this.components[id] = component;
    }
    return rewriteRefs(root) as JsonSchema;
  }

  /** The properties of an object schema as OpenAPI parameters (query, path), descriptions lifted up. */
  parameters(schema: z.core.$ZodType, location: "query" | "path"): JsonSchema[] {
    const object = this.convert(schema);
    const required = new Set((object.required ?? []) as string[]);
    const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
    return Object.entries(properties).map(([name, { description, ...property }]) => ({
      name,
      in: location,
      required: location === "path" || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: property,
    }));
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof item === "string" && item.startsWith(DEFS_PREFIX)
        ? COMPONENTS_PREFIX + item.slice(DEFS_PREFIX.length)
        : rewriteRefs(item);
  }
  return out;
}

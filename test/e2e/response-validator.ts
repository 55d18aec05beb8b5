/* eslint-disable @typescript-eslint/no-explicit-any -- an OpenAPI document is JSON of any shape. */
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

const DOCUMENT_ID = 'openapi.json';
const ERROR_SCHEMA = '#/components/schemas/ErrorResponse';

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  literalSegments: number;
  operation: Json;
}

/**
 * Checks an answer against the OpenAPI document: its status must be listed for its route, its content type must be
 * one the route declares, and its body must match that schema. Objects are closed (a field the document does not
 * name is a mismatch), so the document cannot silently fall behind the answers. Each schema is compiled once.
 */
export class ResponseValidator {
  private readonly ajv = new Ajv({ strict: false });
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: closed(document.components ?? {}) });
    this.routes = Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        literalSegments: path.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
        operation: operation as Json,
      })),
    );
  }

  /** What is wrong with the answer, or undefined when the document describes it. */
  check(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string | undefined {
    const path = safeDecodeUri(url.replace(/[?#].*$/, ''));
    const route = this.routes
      .filter((candidate) => candidate.method === method.toUpperCase() && candidate.pattern.test(path))
      .sort((a, b) => b.literalSegments - a.literalSegments)[0];
    const what = `${method} ${url} -> ${status}`;
    if (!route) {
      // Not a documented operation (an unknown path, the UI's assets): only errors have a shape to keep.
      return status >= 400
        ? this.validate(`${what} (no such operation)`, { $ref: ERROR_SCHEMA }, body)
        : undefined;
    }
    const responses = route.operation.responses as Json;
    const response = responses[status] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!response) {
      return `${what}: status ${status} is not documented for ${route.method} ${route.path} (documented: ${Object.keys(responses).join(', ')})`;
    }
    const content = response.content as Json | undefined;
    if (!content) return body === undefined || body === '' ? undefined : `${what}: documented without a body`;
    const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
    const declared = content[mediaType];
    if (!declared) {
      return `${what}: content type '${mediaType}' is not documented (documented: ${Object.keys(content).join(', ')})`;
    }
    if (!declared.schema) return undefined;
    return this.validate(
      `${what} (${route.method} ${route.path})`,
      declared.schema,
      body,
      `${route.method} ${route.path} ${status} ${mediaType}`,
    );
  }

  private validate(
    what: string,
    schema: Json,
    body: unknown,
    key = JSON.stringify(schema),
  ): string | undefined {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(closed(retarget(schema)));
      this.validators.set(key, validate);
    }
    if (validate(body)) return undefined;
    return `${what}: body does not match the document: ${this.ajv.errorsText(validate.errors)}; body: ${JSON.stringify(body)?.slice(0, 500)}`;
  }
}

/** Local refs of the document, made to point into the schema registered under DOCUMENT_ID. */
function retarget(node: unknown): any {
  if (Array.isArray(node)) return node.map(retarget);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? [key, `${DOCUMENT_ID}${value}`]
        : [key, retarget(value)],
    ),
  );
}

/** Object schemas that list properties but say nothing of others admit no others. */
function closed(node: unknown): any {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const copy: Json = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]));
  if (copy.properties && typeof copy.properties === 'object' && copy.additionalProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** A path that is not valid percent-encoding stays as sent: it then matches no operation, as on the server. */
function safeDecodeUri(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

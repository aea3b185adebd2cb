/**
 * `.create-pyimage-audit.yml`: per-project rule severities, ignores with reasons (and optional
 * expiry dates) and paths to skip. Validated with a JSON schema; any problem is an
 * `AuditInputError` naming the key, which the CLI turns into exit code 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, isMap, isSeq, parseDocument } from 'yaml';
import { RULES } from './rules.js';
import { AuditInputError, SEVERITIES, type AuditConfig } from './types.js';

export const CONFIG_FILE = '.create-pyimage-audit.yml';

const RULE_ID = '^[A-Z]{2}-[0-9]{2}$';

/** The file's schema (draft-07, Ajv's default). Rule ids are checked against the rule table after. */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    severity: {
      description: 'Rule id -> severity used for its findings.',
      type: 'object',
      propertyNames: { pattern: RULE_ID },
      additionalProperties: { enum: [...SEVERITIES] },
    },
    ignore: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rule', 'reason'],
        properties: {
          rule: { type: 'string', pattern: RULE_ID },
          path: { type: 'string', minLength: 1 },
          reason: { type: 'string', pattern: '\\S' },
          expires: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
        },
      },
    },
    skip: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

/** `/ignore/0/reason` -> `ignore[0].reason`. */
function keyOf(error: ErrorObject): string {
  let key = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') key = `${key ? `${key}.` : ''}${String(params.missingProperty)}`;
  if (error.keyword === 'additionalProperties') key = `${key ? `${key}.` : ''}${String(params.additionalProperty)}`;
  if (error.keyword === 'propertyNames') key = `${key ? `${key}.` : ''}${String(params.propertyName)}`;
  else if (error.propertyName !== undefined) key = `${key ? `${key}.` : ''}${error.propertyName}`;
  return key || '(top level)';
}

function explain(error: ErrorObject): string {
  if (error.propertyName !== undefined) return 'is not a rule id like CP-06';
  switch (error.keyword) {
    case 'required':
      return 'is required (an ignore needs a rule and a reason)';
    case 'additionalProperties':
      return 'is not a known key (allowed: severity, ignore, skip; an ignore has rule, path, reason, expires)';
    case 'propertyNames':
      return 'is not a rule id like CP-06';
    case 'enum':
      return `must be one of ${SEVERITIES.join(', ')}`;
    case 'pattern':
      return /expires$/.test(error.instancePath) ? 'must be a date YYYY-MM-DD' : /rule$/.test(error.instancePath) ? 'must be a rule id like CP-06' : 'must not be empty';
    default:
      return error.message ?? 'is invalid';
  }
}

function isRealDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Parse and validate config text; `path` is what messages name. */
export function parseConfig(content: string, path: string = CONFIG_FILE): AuditConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) throw new AuditInputError(`${path}: YAML error: ${doc.errors[0]!.message.split('\n')[0]}`);
  const data: unknown = doc.toJS() ?? {};
  validate ??= new Ajv({ allErrors: false, strict: true }).compile(CONFIG_SCHEMA);
  if (!validate(data)) {
    const error = validate.errors![0]!;
    throw new AuditInputError(`${path}: ${keyOf(error)} ${explain(error)}`);
  }
  const raw = data as { severity?: Record<string, string>; ignore?: { rule: string; path?: string; reason: string; expires?: string }[]; skip?: string[] };
  for (const id of Object.keys(raw.severity ?? {})) {
    if (!(id in RULES)) throw new AuditInputError(`${path}: severity.${id} is not a rule create-pyimage audit knows (see the rule ids in its report)`);
  }
  const ignoreNode = doc.get('ignore');
  const ignore = (raw.ignore ?? []).map((entry, i) => {
    if (!(entry.rule in RULES)) throw new AuditInputError(`${path}: ignore[${i}].rule: ${entry.rule} is not a rule create-pyimage audit knows`);
    if (entry.expires !== undefined && !isRealDate(entry.expires)) throw new AuditInputError(`${path}: ignore[${i}].expires: ${entry.expires} is not a real date`);
    const item = isSeq(ignoreNode) ? ignoreNode.items[i] : undefined;
    const offset = isMap(item) ? item.range?.[0] : undefined;
    return { ...entry, reason: entry.reason.trim(), line: offset === undefined ? 1 : lineCounter.linePos(offset).line };
  });
  return { path, content, severity: (raw.severity ?? {}) as AuditConfig['severity'], ignore, skip: raw.skip ?? [] };
}

/** The project's config, or undefined when it has none. */
export function loadConfig(dir: string, file?: string): AuditConfig | undefined {
  const path = file ?? join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    if (file) throw new AuditInputError(`--config: ${file} does not exist`);
    return undefined;
  }
  return parseConfig(readFileSync(path, 'utf8'), file === undefined ? CONFIG_FILE : relative(dir, file).startsWith('..') ? file : relative(dir, file));
}

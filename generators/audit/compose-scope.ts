/**
 * One compose service as every rule group sees it: the service's plain value, where its keys
 * stand, how its values interpolate, and what the file and the project around it say.
 */
import type { DockerfileFacts } from './dockerfile.js';
import { finding, type RuleId } from './rules.js';
import { asRecord, joinPath, normalisePath, type EnvEntry, type EnvValue, type Interpolated } from './util.js';

export interface ComposeContext {
  /** Variables compose interpolates from (the `.env` beside the file), by name. */
  dotenv: ReadonlyMap<string, EnvValue>;
  /** Entries of every env file in the project, by path (for PI-06 and env_file). */
  envFiles: ReadonlyMap<string, EnvEntry[]>;
  /** Parsed Dockerfiles by project-relative path. */
  dockerfiles: ReadonlyMap<string, DockerfileFacts>;
  /** Services defined in the base compose file(s) of the same directory (for override files). */
  baseServices: ReadonlySet<string>;
  /** True for `docker-compose.<x>.yml` / `compose.<x>.yaml`: merged onto a base file. */
  isOverride: boolean;
  /** A file in the project that starts the stack at boot (CP-11), if any. */
  bootUnit?: string | undefined;
}

export type Js = Record<string, unknown>;
export type Add = (id: RuleId, line: number, message: string, extra?: Parameters<typeof finding>[4]) => void;

export interface ServiceScope {
  name: string;
  svc: Js;
  /** The whole file's plain value, and its services. */
  root: Js;
  services: Js;
  /** Line of a key under this service; `svcLine` is the service's own. */
  at: (...keys: (string | number)[]) => number;
  svcLine: number;
  /** In an override file, a service already defined in the base file is partial by nature. */
  partial: boolean;
  built: boolean;
  isData: boolean;
  imageValue: Interpolated | undefined;
  /** A value as compose runs it (with .env), and as the file itself writes it (defaults only). */
  interp: (value: unknown) => Interpolated;
  literal: (value: unknown) => Interpolated;
  add: Add;
  ctx: ComposeContext;
  composeDir: string;
  /** Services another waits for with `service_completed_successfully`: one-shot jobs. */
  completedDeps: ReadonlySet<string>;
}

export const DATA_IMAGE = /^(?:[^/]+\/)*(postgres|postgis|timescaledb|mysql|mariadb|mongo|mongodb|redis|valkey|keydb|memcached|cassandra|couchdb|clickhouse(-server)?|elasticsearch|opensearch|neo4j|influxdb|rabbitmq)(:|@|$)/;

/** Compose `command:` as argv (a string is split like compose does), or undefined when absent. */
export function commandArgv(command: unknown): string[] | undefined {
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  return undefined;
}

/** Capability names as compose lists them, upper-case without CAP_. */
export function capabilities(value: unknown): string[] {
  return Array.isArray(value) ? value.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : [];
}

export function environmentOf(svc: Js, at: (...keys: (string | number)[]) => number): { key: string; value: string | null; line: number }[] {
  const env = svc.environment;
  if (Array.isArray(env)) {
    return env.map((item, i) => {
      const s = String(item);
      const eq = s.indexOf('=');
      return { key: eq < 0 ? s : s.slice(0, eq), value: eq < 0 ? null : s.slice(eq + 1), line: at('environment', i) };
    });
  }
  const rec = asRecord(env);
  if (!rec) return [];
  return Object.entries(rec).map(([key, value]) => ({ key, value: value === null || value === undefined ? null : String(value), line: at('environment', key) }));
}

export function envFilesOf(svc: Js, composeDir: string, ctx: ComposeContext): EnvEntry[] {
  const raw = svc.env_file;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: EnvEntry[] = [];
  for (const item of list) {
    const p = typeof item === 'string' ? item : String(asRecord(item)?.path ?? '');
    const entries = ctx.envFiles.get(normalisePath(joinPath(composeDir, p)));
    if (entries) out.push(...entries);
  }
  return out;
}

export function dockerfileFor(svc: Js, composeDir: string, ctx: ComposeContext): DockerfileFacts | undefined {
  const build = svc.build;
  const context = typeof build === 'string' ? build : String(asRecord(build)?.context ?? '.');
  const file = typeof build === 'string' ? 'Dockerfile' : String(asRecord(build)?.dockerfile ?? 'Dockerfile');
  return ctx.dockerfiles.get(normalisePath(joinPath(joinPath(composeDir, context), file)));
}

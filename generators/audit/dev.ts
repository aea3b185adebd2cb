/**
 * Development compose files (issue 23): a file the dev loop names (`compose.dev.yml`) is held to
 * development, not production, rules; a compose override that production loads by itself and that
 * carries development settings is DV-01.
 */
import { asRecord, basename } from './util.js';
import { finding } from './rules.js';
import type { YamlSource } from './source.js';
import type { Finding } from './types.js';

/** Files Compose loads with the base file whenever `-f` is not given. */
export function isAutoLoadedOverride(path: string): boolean {
  return /^(docker-)?compose\.override\.ya?ml$/.test(basename(path));
}

/** A file named for development (`compose.dev.yml`, `docker-compose.local.yml`, `compose.dev-mount.yml`, ...). */
export function isDevComposeName(path: string): boolean {
  return /^(docker-)?compose[.-](dev|development|local)([.-][\w.-]+)?\.ya?ml$/.test(basename(path));
}

const RELOAD_COMMAND = /(^|\s)(--reload|--debug|runserver)(\s|$)|flask\s+(.*\s)?run(\s|$)/;

/** What makes a service a development one: watch, a reload server, a dev build target. Each with its key path. */
export function devSettings(source: YamlSource): { path: (string | number)[]; what: string }[] {
  const out: { path: (string | number)[]; what: string }[] = [];
  for (const [name, raw] of Object.entries(asRecord(source.value.services) ?? {})) {
    const svc = asRecord(raw) ?? {};
    if (svc.develop !== undefined) out.push({ path: ['services', name, 'develop'], what: `service ${name} has \`develop.watch\`` });
    const command = Array.isArray(svc.command) ? svc.command.join(' ') : typeof svc.command === 'string' ? svc.command : '';
    if (RELOAD_COMMAND.test(command)) out.push({ path: ['services', name, 'command'], what: `service ${name} runs a reload/debug server (\`${command.slice(0, 80)}\`)` });
    const target = asRecord(svc.build)?.target;
    if (typeof target === 'string' && /^(dev|development|local|debug)$/.test(target)) out.push({ path: ['services', name, 'build', 'target'], what: `service ${name} builds the \`${target}\` stage` });
  }
  return out;
}

/** A development compose file: named for it, or carrying development settings. */
export function isDevComposeFile(path: string, source: YamlSource): boolean {
  return source.errors.length === 0 && (isDevComposeName(path) || (!/^(docker-)?compose\.ya?ml$/.test(basename(path)) && devSettings(source).length > 0));
}

/** DV-01: an auto-loaded override with development settings. */
export function auditAutoLoadedDev(path: string, source: YamlSource): Finding[] {
  if (!isAutoLoadedOverride(path) || source.errors.length > 0) return [];
  return devSettings(source).map((s) => finding('DV-01', path, source.keyLine(s.path), `${s.what}, and \`docker compose up\` loads ${basename(path)} in production too`));
}

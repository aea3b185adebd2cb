/**
 * Reverse proxies in any compose project (PX-xx, proxy-rules.ts): the Docker socket in a published
 * service, a proxy without an HTTPS redirect or HSTS where its configuration is readable, and the
 * app published beside the proxy. The proxy's configuration is read from the files the compose
 * file bind-mounts into it (when the project holds them) and, for Traefik, from its flags and the
 * labels of every service.
 */
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Node } from 'yaml';
import { getsHsts } from '../render/proxy/caddy.js';
import { finding, type RuleId } from './rules.js';
import type { Finding } from './types.js';
import { asRecord, dirname, interpolate, joinPath, normalisePath, type EnvValue } from './util.js';

export const PROXY_IMAGE = /^(?:[^/]+\/)*(traefik|caddy|nginx|nginx-unprivileged|openresty|haproxy|envoy)(:|@|$)/;
type Kind = 'traefik' | 'caddy' | 'nginx' | 'other';

function kindOf(image: string): Kind | undefined {
  const m = PROXY_IMAGE.exec(image);
  if (!m) return undefined;
  const name = m[1]!;
  if (name === 'traefik' || name === 'caddy') return name;
  return name.startsWith('nginx') || name === 'openresty' ? 'nginx' : 'other';
}

/** Whether a path looks like a proxy's configuration file (read beside compose files by the audit). */
export function isProxyConfigPath(path: string): boolean {
  const name = path.split('/').pop() ?? '';
  return /^Caddyfile(\.[\w.-]+)?$/.test(name) || /\.caddyfile$/i.test(name) || /^caddy[\w.-]*\.json$/.test(name) || /^traefik[\w.-]*\.(ya?ml|toml)$/.test(name) ||
    /^nginx[\w.-]*\.conf$/.test(name) || (/\.conf$/.test(name) && /(^|\/)(nginx|conf\.d|sites-(available|enabled))\//.test(path));
}

type Js = Record<string, unknown>;

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map(String);
  const rec = asRecord(value);
  return rec ? Object.entries(rec).map(([k, v]) => `${k}=${String(v ?? '')}`) : [];
}

/** Sources of the service's bind mounts, relative to the project root ('' for named volumes and absolute paths). */
function bindSources(svc: Js, composeDir: string): string[] {
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  return volumes.flatMap((v) => {
    const rec = asRecord(v);
    const source = rec ? String(rec.source ?? '') : String(v).split(':')[0]!;
    return /^\.\.?(\/|$)/.test(source) ? [normalisePath(joinPath(composeDir, source))] : [];
  });
}

/** Contents of the project files a proxy mounts (a file, or every file under a mounted directory). */
function mountedConfigs(sources: string[], configs: ReadonlyMap<string, string>): string[] {
  return [...configs.entries()].filter(([path]) => sources.some((s) => path === s || path.startsWith(`${s}/`))).map(([, text]) => text);
}

function collectHosts(value: unknown, out: string[]): void {
  if (Array.isArray(value)) value.forEach((v) => collectHosts(v, out));
  const rec = asRecord(value);
  if (!rec) return;
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'host' && Array.isArray(v)) out.push(...v.map(String));
    else collectHosts(v, out);
  }
}

interface Verdict {
  redirect: boolean | undefined;
  hsts: boolean | undefined;
}

const HSTS = /strict-transport-security|stsSeconds/i;

function caddyVerdict(texts: string[]): Verdict {
  if (texts.length === 0) return { redirect: undefined, hsts: undefined }; // Caddy redirects by default
  const names: string[] = [];
  let redirect = true;
  for (const text of texts) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (json !== undefined) {
      collectHosts(json, names);
      const own = /"Location"\s*:\s*\[\s*"https:\/\//.test(text);
      const autoOff = /"automatic_https"\s*:\s*\{[^}]*"(disable|disable_redirects)"\s*:\s*true/.test(text);
      if (autoOff && !own) redirect = false;
    } else {
      for (const line of text.split('\n')) {
        const site = /^([^\s#{][^{]*?)\s*\{\s*$/.exec(line);
        if (site) names.push(...site[1]!.split(/[\s,]+/).map((a) => a.replace(/^https?:\/\//, '').replace(/:\d+$/, '')).filter(Boolean));
      }
      if (/^\s*auto_https\s+(off|disable_redirects)\b/m.test(text) && !/\bredir\s+https:\/\//.test(text)) redirect = false;
    }
  }
  const needsHsts = names.some((n) => !n.startsWith(':') && getsHsts(n));
  return { redirect, hsts: needsHsts ? texts.some((t) => HSTS.test(t)) : undefined };
}

function traefikVerdict(texts: string[]): Verdict {
  const all = texts.join('\n');
  const hosts = [...all.matchAll(/Host\(`([^`]*)`\)/g)].map((m) => m[1]!);
  const local = hosts.length > 0 && hosts.every((h) => !getsHsts(h));
  return {
    redirect: /redirections\.entry_?points?\.to|redirections:\s*\n\s*entry_?points?:|redirectscheme|redirect_?scheme/i.test(all),
    hsts: local ? undefined : HSTS.test(all),
  };
}

function nginxVerdict(texts: string[]): Verdict {
  if (texts.length === 0) return { redirect: undefined, hsts: undefined };
  const all = texts.join('\n');
  const names = [...all.matchAll(/^\s*server_name\s+([^;]+);/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  return {
    redirect: /\breturn\s+30[1278]\s+https:\/\/|\brewrite\s+\S+\s+https:\/\//.test(all),
    hsts: names.some((n) => n !== '_' && getsHsts(n)) ? HSTS.test(all) : undefined,
  };
}

function isLoopbackBinding(spec: string): boolean {
  return /^(127\.|\[::1\]:|localhost:)/.test(spec);
}

export function auditProxies(path: string, content: string, dotenv: ReadonlyMap<string, EnvValue>, configs: ReadonlyMap<string, string>): Finding[] {
  const findings: Finding[] = [];
  const lineCounter = new LineCounter();
  let root: Js;
  const doc = parseDocument(content, { lineCounter, merge: true });
  try {
    if (doc.errors.length > 0) return findings; // compose.ts reports the syntax error
    root = asRecord(doc.toJS({ maxAliasCount: 1000 })) ?? {};
  } catch {
    return findings;
  }
  const services = asRecord(root.services) ?? {};
  const lineOf = (name: string, key?: string): number => {
    const svcs = doc.get('services', true);
    if (!isMap(svcs)) return 1;
    const pair = svcs.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === name);
    if (!pair) return 1;
    let node = pair.key as Node;
    if (key && isMap(pair.value)) {
      const inner = pair.value.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      if (inner) node = inner.key as Node;
    }
    return node.range ? lineCounter.linePos(node.range[0]).line : 1;
  };
  const add = (id: RuleId, line: number, message: string, extra?: Parameters<typeof finding>[4]) => findings.push(finding(id, path, line, message, extra));
  const image = (svc: Js) => (svc.image === undefined ? '' : interpolate(String(svc.image), dotenv).value);
  const ports = (svc: Js) => (Array.isArray(svc.ports) ? svc.ports : []).map((p) => (asRecord(p) ? `${String(asRecord(p)!.host_ip ?? '')}:${String(asRecord(p)!.published ?? '')}` : interpolate(String(p), dotenv).value));
  const proxies = Object.entries(services).map(([name, s]) => [name, asRecord(s) ?? {}] as const).filter(([, s]) => kindOf(image(s)) !== undefined);
  const allLabels = Object.values(services).flatMap((s) => strings(asRecord(s)?.labels));

  for (const [name, raw] of Object.entries(services)) {
    const svc = asRecord(raw) ?? {};
    const published = ports(svc).length > 0 || svc.network_mode === 'host';
    const sock = (Array.isArray(svc.volumes) ? svc.volumes : []).findIndex((v) => /docker\.sock/.test(asRecord(v) ? String(asRecord(v)!.source ?? '') : String(v)));
    if (sock >= 0 && (published || kindOf(image(svc)))) {
      add('PX-01', lineOf(name, 'volumes') + 1 + sock, `\`${name}\` is ${published ? 'published' : 'a proxy'} and mounts the Docker socket`);
    }
  }

  for (const [name, svc] of proxies) {
    const kind = kindOf(image(svc))!;
    const texts = mountedConfigs(bindSources(svc, dirname(path)), configs);
    const verdict =
      kind === 'caddy' ? caddyVerdict(texts) : kind === 'traefik' ? traefikVerdict([...strings(svc.command), ...allLabels, ...texts]) : kind === 'nginx' ? nginxVerdict(texts) : { redirect: undefined, hsts: undefined };
    const at = lineOf(name, 'image');
    if (verdict.redirect === false) add('PX-02', at, `proxy \`${name}\` (${kind}) has no HTTP -> HTTPS redirect in its configuration`);
    if (verdict.hsts === false) add('PX-03', at, `proxy \`${name}\` (${kind}) sends no Strict-Transport-Security header for its public names`);
  }

  if (proxies.length > 0) {
    const proxyNames = new Set(proxies.map(([n]) => n));
    for (const [name, raw] of Object.entries(services)) {
      const svc = asRecord(raw) ?? {};
      if (proxyNames.has(name)) continue;
      const specs = ports(svc);
      if (specs.length === 0) continue;
      const loopback = specs.every(isLoopbackBinding);
      add('PX-04', lineOf(name, 'ports'), `\`${name}\` publishes ${specs.join(', ')} beside the proxy \`${proxies[0]![0]}\``, loopback ? { severity: 'medium' } : {});
    }
  }
  return findings;
}

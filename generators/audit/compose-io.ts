/**
 * The rule groups for what one compose service exposes and takes in: published ports, mounts,
 * devices, its environment and where it logs. Each takes the service's scope (compose-scope.ts).
 */
import { PROXY_IMAGE } from './proxy.js';
import { envFilesOf, environmentOf, type ServiceScope } from './compose-scope.js';
import { dirname, hasVariable, isFileReference, normalisePath, PROXY_NAME, SECRET_NAME, asRecord } from './util.js';

const DATA_PORTS = new Set([5432, 3306, 27017, 6379, 11211, 9042, 5984, 9200, 7687, 8086, 5672]);
const SENSITIVE_MOUNTS = ['/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr', '/root', '/var/lib/docker'];

function isLoopback(ip: string): boolean {
  const v = ip.replace(/^\[|\]$/g, '');
  return /^127\./.test(v) || v === '::1' || v === 'localhost';
}

interface PortBinding {
  hostIp: string;
  hostPort: string;
  containerPort: string;
}

/** Short syntax `[ip:][host:]container[/proto]`, after interpolation. */
function parseShortPort(spec: string): PortBinding {
  let rest = spec.replace(/\/(tcp|udp|sctp)$/i, '');
  let hostIp = '';
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1]!;
    rest = v6[2]!;
    const [hostPort, containerPort] = rest.includes(':') ? rest.split(':') : ['', rest];
    return { hostIp, hostPort: hostPort ?? '', containerPort: containerPort ?? '' };
  }
  const parts = rest.split(':');
  if (parts.length >= 3) return { hostIp: parts.slice(0, -2).join(':'), hostPort: parts[parts.length - 2]!, containerPort: parts[parts.length - 1]! };
  if (parts.length === 2) return { hostIp: '', hostPort: parts[0]!, containerPort: parts[1]! };
  return { hostIp: '', hostPort: '', containerPort: parts[0]! };
}

/** CP-21: log rotation. */
export function logging(s: ServiceScope): void {
  const { name, svc, at, svcLine, partial, add } = s;
  // CP-21: log rotation.
  const logging = asRecord(svc.logging);
  if (!partial) {
    const driver = logging?.driver === undefined ? 'json-file' : String(logging.driver);
    const options = asRecord(logging?.options) ?? {};
    if (driver === 'json-file' && (options['max-size'] === undefined || options['max-file'] === undefined)) {
      add('CP-21', logging ? at('logging') : svcLine, `service \`${name}\` logs with ${logging ? 'json-file without max-size/max-file' : 'the default json-file driver (no rotation)'}`);
    }
  }
}

/** CP-14 and PG-06: published ports. */
export function ports(s: ServiceScope): void {
  const { name, svc, at, isData, interp, add, imageValue } = s;
  const isProxy = imageValue !== undefined && PROXY_IMAGE.test(imageValue.value);
  // Ports: CP-14 and PG-06.
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  ports.forEach((port, i) => {
    let binding: PortBinding;
    const sources: string[] = [];
    const rec = asRecord(port);
    if (rec) {
      const ip = rec.host_ip === undefined ? { value: '', fromEnv: [] } : interp(rec.host_ip);
      sources.push(...ip.fromEnv);
      binding = { hostIp: ip.value, hostPort: rec.published === undefined ? '' : interp(rec.published).value, containerPort: String(rec.target ?? '') };
    } else {
      const value = interp(port);
      if (value.unresolved && value.value === '') return;
      sources.push(...value.fromEnv);
      binding = parseShortPort(value.value);
    }
    const line = at('ports', i);
    const from = sources.length > 0 ? ` (${sources.join(', ')})` : '';
    const all = binding.hostIp === '' || binding.hostIp === '0.0.0.0' || binding.hostIp === '::';
    const container = Number.parseInt(binding.containerPort, 10);
    if (isData || DATA_PORTS.has(container)) {
      if (!isLoopback(binding.hostIp)) {
        add('PG-06', line, `\`${name}\` publishes its database port ${binding.containerPort} on ${all ? 'all interfaces' : binding.hostIp}${from}`);
        return;
      }
    }
    if (all) add('CP-14', line, `\`${name}\` publishes port ${binding.containerPort} on all interfaces${binding.hostIp ? '' : ' (no host IP)'}${from}`);
    const hostPort = Number.parseInt(binding.hostPort, 10);
    // The front door is the documented exception to CIS 5.8: a proxy on 80/443 (ACME and browsers need them).
    const frontDoor = isProxy && (hostPort === 80 || hostPort === 443) && !all;
    if (!Number.isNaN(hostPort) && hostPort > 0 && hostPort < 1024 && !frontDoor) add('CP-14', line, `host port ${hostPort} is privileged (< 1024, CIS 5.8)`, { severity: 'medium' });
  });
}

/** CP-16: mounts. */
export function mounts(s: ServiceScope): void {
  const { name, svc, at, interp, add } = s;
  // CP-16: mounts.
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  volumes.forEach((volume, i) => {
    const rec = asRecord(volume);
    let source: string;
    let propagation: string | undefined;
    if (rec) {
      source = rec.source === undefined ? '' : interp(rec.source).value;
      propagation = asRecord(rec.bind)?.propagation as string | undefined;
    } else {
      const spec = interp(volume).value;
      source = spec.includes(':') ? spec.slice(0, spec.indexOf(':')) : '';
    }
    const line = at('volumes', i);
    if (/docker\.sock$/.test(source) || /docker\.sock/.test(String(rec ? rec.source ?? '' : volume))) {
      add('CP-16', line, `\`${name}\` mounts the Docker socket (\`${source}\`): root on the host (CIS 5.32)`);
      return;
    }
    if (source.startsWith('/')) {
      const norm = `/${normalisePath(source)}`;
      if (norm === '/' || SENSITIVE_MOUNTS.some((d) => norm === d || norm.startsWith(`${d}/`))) add('CP-16', line, `\`${name}\` mounts the host directory \`${norm}\` (CIS 5.6)`, { severity: 'high' });
    }
    if (propagation && /^r?shared$/.test(propagation)) add('CP-16', line, `bind propagation \`${propagation}\` shares mounts back to the host (CIS 5.20)`, { severity: 'medium' });
  });
}

/** CP-17: devices and groups. */
export function devices(s: ServiceScope): void {
  const { name, svc, at, interp, add } = s;
  // CP-17: devices and groups.
  const devices = Array.isArray(svc.devices) ? svc.devices : [];
  devices.forEach((device, i) => {
    const spec = asRecord(device) ? String(asRecord(device)!.source ?? '') : interp(device).value;
    const [src, , perms] = spec.split(':');
    if (!/^\/dev\/dri(\/(renderD|card)\d+)?$/.test(src ?? '')) add('CP-17', at('devices', i), `\`${name}\` is given the host device \`${src}\``);
    else if (perms?.includes('m')) add('CP-17', at('devices', i), `device \`${spec}\` allows mknod (\`m\`)`);
  });
  const groups = Array.isArray(svc.group_add) ? svc.group_add : [];
  groups.forEach((group, i) => {
    const raw = String(group);
    if (!/^\d+$/.test(raw) && !/^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$/.test(raw)) add('CP-17', at('group_add', i), `\`group_add: ${raw}\` by name: the container's /etc/group is not the host's`, { severity: 'low' });
  });
}

/** CP-19, PG-03, PI-05, DF-22, PI-06: the environment. */
export function environment(s: ServiceScope): void {
  const { name, svc, at, interp, literal, add, ctx, composeDir } = s;
  // Environment: CP-19, PG-03, PI-05, DF-22, PI-06.
  const envEntries = environmentOf(svc, at);
  const envFileEntries = envFilesOf(svc, composeDir, ctx);
  for (const e of envEntries) {
    if (e.value === null) continue;
    const literalValue = literal(e.value);
    if (PROXY_NAME.test(e.key)) {
      if (literalValue.value !== '') add('PI-05', e.line, `${e.key} is hard-coded to \`${literalValue.value}\` in the compose file`);
      continue;
    }
    if (SECRET_NAME.test(e.key) && !isFileReference(e.key, literalValue.value) && !hasVariable(e.value) && e.value !== '') {
      add('CP-19', e.line, `${e.key} is given as a literal value in \`${name}\`'s environment`);
    }
    const resolved = interp(e.value).value;
    if (e.key === 'POSTGRES_HOST_AUTH_METHOD' && resolved.toLowerCase() === 'trust') add('PG-03', e.line, '`POSTGRES_HOST_AUTH_METHOD=trust` disables password authentication');
    if (/^FORWARDED_ALLOW_IPS$/i.test(e.key) && resolved.trim() === '*') add('DF-22', e.line, `${e.key}=* trusts proxy headers from any client`);
    if (!hasVariable(e.value)) {
      const other = [...ctx.envFiles.entries()]
        .filter(([file]) => dirname(file) === composeDir || envFileEntries.some((x) => x.file === file))
        .flatMap(([, entries]) => entries)
        .find((x) => x.key === e.key && x.value !== '' && x.value !== e.value);
      if (other) add('PI-06', e.line, `${e.key}=${e.value} in \`${name}\`'s environment, but ${other.file}:${other.line} sets ${e.key}=${other.value}`);
    }
  }
}

/** PI-07: several log file paths for one service. */
export function logPaths(s: ServiceScope): void {
  const { name, svc, at, svcLine, interp, add, ctx, composeDir } = s;
  const envEntries = environmentOf(svc, at);
  const envFileEntries = envFilesOf(svc, composeDir, ctx);
  // PI-07: several log file paths for one service.
  const logPaths: { value: string; line: number; where: string }[] = [];
  for (const e of [...envEntries.map((x) => ({ key: x.key, value: x.value === null ? null : interp(x.value).value, line: x.line, where: 'environment' })), ...envFileEntries.map((x) => ({ key: x.key, value: x.value, line: svcLine, where: `${x.file}:${x.line}` }))]) {
    if (e.value && /^(.*_)?LOG_?(FILE|PATH|FILENAME)$/i.test(e.key) && /^[./~]|\.log$/.test(e.value) && e.value !== '-') logPaths.push({ value: e.value, line: e.line, where: `${e.key} (${e.where})` });
  }
  const commandWords = Array.isArray(svc.command) ? svc.command.map(String) : typeof svc.command === 'string' ? svc.command.split(/\s+/) : [];
  commandWords.forEach((w, i) => {
    const m = /^--(log-?file|log-path|log-config-file)(?:=(.+))?$/.exec(w);
    const value = m ? (m[2] ?? commandWords[i + 1]) : undefined;
    if (value && value !== '-') logPaths.push({ value: interp(value).value, line: at('command'), where: `command ${m![0].split('=')[0]}` });
  });
  const distinct = [...new Set(logPaths.map((p) => p.value))];
  if (distinct.length > 1) {
    const second = logPaths.find((p) => p.value === distinct[1])!;
    add('PI-07', second.line, `service \`${name}\` writes logs to ${distinct.length} different files: ${logPaths.map((p) => `${p.value} (${p.where})`).join(', ')}`);
  }
}

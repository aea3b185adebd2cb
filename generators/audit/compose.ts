/**
 * Compose file checks on the `yaml` library's document (with source positions). Values are
 * interpolated (`${VAR:-default}`, .env values) before they are judged, as compose would.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { DockerfileFacts } from './dockerfile.js';
import { effectiveArgv, gracefulTimeout, programOf, seconds, workerTmpDirProblem } from './program.js';
import type { EnvEntry } from './env.js';
import { finding, type RuleId } from './rules.js';
import { PROXY_IMAGE } from './proxy.js';
import type { Finding } from './types.js';
import {
  PROXY_NAME,
  SECRET_NAME,
  asRecord,
  basename,
  dirname,
  hasVariable,
  imagePinProblem,
  interpolate,
  isFileReference,
  joinPath,
  normalisePath,
  type EnvValue,
} from './util.js';

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
}

/** `docker-compose.yml`, `compose.yaml` and friends are base files; `docker-compose.gpu.yml` etc. are overrides. */
export function isBaseComposeFile(path: string): boolean {
  return /^(docker-)?compose\.ya?ml$/.test(basename(path));
}

/** Service names defined in a compose text (used to know what an override file adds). */
export function composeServiceNames(content: string): string[] {
  try {
    const doc = parseDocument(content, { merge: true });
    const services = doc.get('services');
    return isMap(services) ? services.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
  } catch {
    return [];
  }
}

const DATA_IMAGE = /^(?:[^/]+\/)*(postgres|postgis|timescaledb|mysql|mariadb|mongo|mongodb|redis|valkey|keydb|memcached|cassandra|couchdb|clickhouse(-server)?|elasticsearch|opensearch|neo4j|influxdb|rabbitmq)(:|@|$)/;
const DATA_PORTS = new Set([5432, 3306, 27017, 6379, 11211, 9042, 5984, 9200, 7687, 8086, 5672]);
const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_RAW', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'SYS_BOOT', 'MAC_ADMIN', 'BPF', 'PERFMON']);
const SENSITIVE_MOUNTS = ['/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr', '/root', '/var/lib/docker'];

type Js = Record<string, unknown>;

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

export function auditCompose(path: string, content: string, ctx: ComposeContext): Finding[] {
  const findings: Finding[] = [];
  const add = (id: RuleId, line: number, message: string, extra?: Parameters<typeof finding>[4]) => findings.push(finding(id, path, line, message, extra));
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(content, { lineCounter, merge: true, prettyErrors: true });
  } catch (error) {
    add('PI-08', 1, `YAML error: ${(error as Error).message}`);
    return findings;
  }
  if (doc.errors.length > 0) {
    for (const error of doc.errors) add('PI-08', error.linePos?.[0]?.line ?? 1, `YAML error: ${error.message.split('\n')[0]}`);
    return findings;
  }
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);

  /** Line of the key (or sequence item) at `path`; the deepest existing ancestor if it is missing. */
  const keyLine = (keys: (string | number)[]): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of keys) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        line = lineAt((pair.key as Node).range?.[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        line = lineAt(item.range?.[0]);
        node = item;
      } else break;
    }
    return line;
  };

  let root: Js;
  try {
    root = asRecord(doc.toJS({ maxAliasCount: 1000 })) ?? {};
  } catch (error) {
    add('PI-08', 1, `YAML error: ${(error as Error).message}`);
    return findings;
  }
  const interp = (value: unknown) => interpolate(String(value ?? ''), ctx.dotenv);
  const committedOnly = new Map<string, EnvValue>();
  /** The value written in the compose file itself (defaults only, no .env). */
  const literal = (value: unknown) => interpolate(String(value ?? ''), committedOnly);

  if ('version' in root) add('CP-01', keyLine(['version']), `top-level \`version: ${String(root.version)}\` is obsolete`);

  const services = asRecord(root.services) ?? {};
  const completedDeps = new Set<string>();
  for (const svc of Object.values(services)) {
    const deps = asRecord(asRecord(svc)?.depends_on);
    for (const [name, spec] of Object.entries(deps ?? {})) {
      if (asRecord(spec)?.condition === 'service_completed_successfully') completedDeps.add(name);
    }
  }
  const composeDir = dirname(path);

  for (const [name, rawSvc] of Object.entries(services)) {
    const svc = asRecord(rawSvc) ?? {};
    const at = (...keys: (string | number)[]) => keyLine(['services', name, ...keys]);
    const svcLine = at();
    // In an override file, a service already defined in the base file is partial by nature.
    const partial = ctx.isOverride && ctx.baseServices.has(name);
    const imageValue = svc.image === undefined ? undefined : interp(svc.image);
    const isData = imageValue !== undefined && DATA_IMAGE.test(imageValue.value);
    const built = svc.build !== undefined;

    // CP-23 / image pinning (built images are tagged locally, not pulled).
    if (imageValue && !built) {
      if (imageValue.unresolved && imageValue.value === '') {
        // `${IMAGE:?...}` or unset: nothing to judge.
      } else {
        const problem = imagePinProblem(imageValue.value);
        if (problem) add('CP-23', at('image'), `image ${problem}${hasVariable(String(svc.image)) ? ` (\`${String(svc.image)}\` resolves to it)` : ''}`);
      }
    }

    // CP-02, CP-15.
    if (svc.privileged === true || svc.privileged === 'true') add('CP-02', at('privileged'), `service \`${name}\` is privileged`);
    if (typeof svc.network_mode === 'string' && interp(svc.network_mode).value === 'host') add('CP-15', at('network_mode'), `service \`${name}\` uses \`network_mode: host\``);
    for (const key of ['pid', 'ipc', 'uts', 'userns_mode', 'cgroup']) {
      if (typeof svc[key] === 'string' && interp(svc[key]).value === 'host') add('CP-15', at(key), `service \`${name}\` shares the host ${key} namespace (\`${key}: host\`)`);
    }
    if (svc.cgroup_parent !== undefined) add('CP-15', at('cgroup_parent'), `service \`${name}\` sets \`cgroup_parent\` (CIS 5.25)`);

    // CP-07: user.
    if (svc.user !== undefined) {
      const user = interp(svc.user).value.split(':')[0]!.trim();
      if (user === 'root' || user === '0') add('CP-07', at('user'), `service \`${name}\` runs as \`user: ${String(svc.user)}\``);
    }

    // CP-03, CP-05, CP-04.
    const capAdd = Array.isArray(svc.cap_add) ? svc.cap_add.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : [];
    capAdd.forEach((cap, i) => {
      if (DANGEROUS_CAPS.has(cap)) add('CP-03', at('cap_add', i), `service \`${name}\` adds capability ${cap}`);
    });
    const capDrop = Array.isArray(svc.cap_drop) ? svc.cap_drop.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : [];
    if (built && !partial && !capDrop.includes('ALL')) add('CP-03', svcLine, `service \`${name}\` runs your code with Docker's default capabilities (no \`cap_drop: [ALL]\`)`);
    const securityOpt = Array.isArray(svc.security_opt) ? svc.security_opt.map(String) : [];
    securityOpt.forEach((opt, i) => {
      if (/(seccomp|apparmor)[:=]unconfined|label[:=]disable|systempaths[:=]unconfined/.test(opt)) add('CP-05', at('security_opt', i), `\`${opt}\` disables kernel confinement for \`${name}\``);
    });
    if (!partial && !securityOpt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o))) add('CP-04', svcLine, `service \`${name}\` lacks \`security_opt: ["no-new-privileges:true"]\``);
    if (built && !partial && svc.read_only !== true) add('CP-06', svcLine, `service \`${name}\` has a writable root filesystem (no \`read_only: true\`)`);

    // CP-08/09/10: limits.
    const limits = asRecord(asRecord(asRecord(svc.deploy)?.resources)?.limits) ?? {};
    const positive = (v: unknown) => v !== undefined && v !== null && !/^(0|-1|0\.0*)?$/.test(String(v).trim());
    if (!partial) {
      if (!positive(limits.memory) && !positive(svc.mem_limit)) add('CP-08', svcLine, `service \`${name}\` has no memory limit`);
      if (!positive(limits.cpus) && !positive(svc.cpus)) add('CP-09', svcLine, `service \`${name}\` has no CPU limit`);
      if (!positive(limits.pids) && !positive(svc.pids_limit)) add('CP-10', svcLine, `service \`${name}\` has no PIDs limit`);
    }

    // CP-11: restart.
    if (typeof svc.restart === 'string' && /^(always|unless-stopped)$/.test(svc.restart)) add('CP-11', at('restart'), `\`restart: ${svc.restart}\` restarts \`${name}\` forever`);

    // CP-12: healthcheck (long-running services only).
    const health = asRecord(svc.healthcheck);
    const oneShot = completedDeps.has(name) || svc.restart === 'no' || svc.restart === false;
    const disabled = health !== undefined && (health.disable === true || (Array.isArray(health.test) && String(health.test[0]).toUpperCase() === 'NONE'));
    if (disabled) {
      // A one-shot job (migrations) rightly switches off the web HEALTHCHECK it inherits.
      if (!oneShot) add('CP-12', at('healthcheck'), `service \`${name}\` disables its healthcheck`);
    } else if (!health && !oneShot && !partial) {
      const facts = built ? dockerfileFor(svc, composeDir, ctx) : undefined;
      const target = asRecord(svc.build)?.target;
      const imageHasOne = facts?.hasHealthcheck(typeof target === 'string' ? target : undefined) ?? false;
      if (!imageHasOne || svc.command !== undefined) {
        add('CP-12', svcLine, imageHasOne
          ? `service \`${name}\` overrides the command but not the image's HEALTHCHECK, which probes the web server`
          : `service \`${name}\` has no healthcheck${built ? ' and its image has no HEALTHCHECK' : ''}`);
      }
    }

    // CP-13: readiness ordering on data services.
    if (Array.isArray(svc.depends_on)) {
      svc.depends_on.forEach((dep, i) => {
        const depSvc = asRecord(services[String(dep)]);
        const depImage = depSvc?.image === undefined ? '' : interp(depSvc.image).value;
        if (DATA_IMAGE.test(depImage)) add('CP-13', at('depends_on', i), `\`${name}\` starts as soon as \`${String(dep)}\` starts, not when it is ready`);
      });
    }

    // CP-22: an init process (or an exec-form server as PID 1) and a long enough stop window.
    const facts = built ? dockerfileFor(svc, composeDir, ctx) : undefined;
    const target = typeof asRecord(svc.build)?.target === 'string' ? String(asRecord(svc.build)!.target) : undefined;
    const image = facts?.commands(target) ?? {};
    const command = commandArgv(svc.command);
    const started = programOf(effectiveArgv(image.entrypoint?.argv, command ?? image.cmd?.argv));
    if (built && !partial && svc.init !== true) {
      const execServer = facts !== undefined && command === undefined && (image.cmd ?? image.entrypoint) !== undefined && [image.cmd, image.entrypoint].every((c) => c === undefined || c.exec);
      if (!execServer) add('CP-22', svcLine, `service \`${name}\` runs without \`init: true\`${facts ? '' : ' (its Dockerfile was not found)'}: signals are not forwarded and zombies not reaped`);
    }
    if (!partial && started?.server) {
      const grace = gracefulTimeout(started);
      const stop = svc.stop_grace_period === undefined ? 10 : seconds(interp(svc.stop_grace_period).value);
      if (grace !== undefined && stop !== undefined && stop <= grace) {
        add('CP-22', svc.stop_grace_period === undefined ? svcLine : at('stop_grace_period'), `\`${name}\` is stopped after ${stop}s${svc.stop_grace_period === undefined ? ' (the default)' : ''} but ${started.server} waits up to ${grace}s for requests to finish`);
      }
    }
    // DF-21 for a gunicorn command given here.
    if (command) {
      const problem = workerTmpDirProblem(programOf(command));
      if (problem) add('DF-21', at('command'), problem);
    }

    // CP-18: databases only on internal networks, never the default bridge.
    if (partial) {
      // An override adds to a service the base file defines: judged there.
    } else if (svc.network_mode === 'bridge') add('CP-18', at('network_mode'), `service \`${name}\` uses Docker's default bridge (\`network_mode: bridge\`), shared with every container on the host`);
    else if (isData && svc.network_mode === undefined) {
      const nets = Array.isArray(svc.networks) ? svc.networks.map(String) : Object.keys(asRecord(svc.networks) ?? {});
      const declared = asRecord(root.networks) ?? {};
      const open = nets.length === 0 ? ['default'] : nets.filter((n) => asRecord(declared[n])?.internal !== true);
      if (open.length > 0) add('CP-18', nets.length === 0 ? svcLine : at('networks'), `database \`${name}\` is on ${open.map((n) => `\`${n}\``).join(', ')}, which ${open.length === 1 ? 'is' : 'are'} not \`internal: true\``);
    }

    // CP-20: healthcheck strings expanded by compose instead of the container.
    const test = health?.test;
    const testText = Array.isArray(test) ? test.slice(1).map(String).join(' ') : typeof test === 'string' ? test : '';
    const single = /(^|[^$])\$(\{?[A-Za-z_][A-Za-z0-9_]*)/.exec(testText);
    if (single) add('CP-20', at('healthcheck', 'test'), `the healthcheck's \`$${single[2]}\` is expanded by compose on the host when the file is read; write \`$$${single[2]}\` for the container's shell`);

    if (!partial && imageValue && PG_IMAGE.test(imageValue.value)) auditPostgres(name, svc, root, imageValue.value, add, at, svcLine, interp);

    // CP-21: log rotation.
    const logging = asRecord(svc.logging);
    if (!partial) {
      const driver = logging?.driver === undefined ? 'json-file' : String(logging.driver);
      const options = asRecord(logging?.options) ?? {};
      if (driver === 'json-file' && (options['max-size'] === undefined || options['max-file'] === undefined)) {
        add('CP-21', logging ? at('logging') : svcLine, `service \`${name}\` logs with ${logging ? 'json-file without max-size/max-file' : 'the default json-file driver (no rotation)'}`);
      }
    }

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
      const frontDoor = imageValue !== undefined && PROXY_IMAGE.test(imageValue.value) && (hostPort === 80 || hostPort === 443) && !all;
      if (!Number.isNaN(hostPort) && hostPort > 0 && hostPort < 1024 && !frontDoor) add('CP-14', line, `host port ${hostPort} is privileged (< 1024, CIS 5.8)`, { severity: 'medium' });
    });

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
  // CP-20: variables with neither a default nor `:?`.
  content.split(/\r?\n/).forEach((text, i) => {
    if (/^\s*#/.test(text)) return;
    const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const name = m[1] ?? m[2];
      if (name && !HOST_SHELL_VARIABLES.has(name) && !findings.some((f) => f.ruleId === 'CP-20' && f.line === i + 1)) add('CP-20', i + 1, `\`${m[0]}\` has no default and no \`:?\`: when it is unset compose substitutes an empty string and starts anyway`);
    }
  });
  return findings;
}

/** Set in every shell that runs compose: not configuration a project documents or requires. */
export const HOST_SHELL_VARIABLES = new Set(['HOME', 'PWD', 'USER', 'HOSTNAME', 'PATH', 'SHELL', 'LOGNAME', 'TMPDIR']);

const PG_IMAGE = /^(?:[^/]+\/)*(postgres|postgis|timescaledb(-ha)?)(:|@|$)/;
const PG_ENTRYPOINT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

/** Compose `command:` as argv (a string is split like compose does), or undefined when absent. */
function commandArgv(command: unknown): string[] | undefined {
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  return undefined;
}

/** Bytes of a compose size (`128mb`, `1g`, 134217728). */
function bytes(value: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(String(value ?? '').trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

/** PG-01/02/04/05/07/08/09 for a Postgres-based service. */
function auditPostgres(
  name: string,
  svc: Js,
  root: Js,
  image: string,
  add: (id: RuleId, line: number, message: string, extra?: Parameters<typeof finding>[4]) => void,
  at: (...keys: (string | number)[]) => number,
  svcLine: number,
  interp: (value: unknown) => { value: string },
): void {
  // PG-01: a major version in the tag.
  const tag = /:([^@/]+)(@|$)/.exec(image)?.[1];
  const major = tag === undefined ? undefined : Number.parseInt(/^(\d+)/.exec(tag)?.[1] ?? /pg(\d+)/.exec(tag)?.[1] ?? '', 10);
  if (tag !== undefined && tag !== 'latest' && (major === undefined || Number.isNaN(major))) add('PG-01', at('image'), `\`${image}\` names no Postgres major version`);

  // PG-02: password from a secret file.
  const entries = environmentOf(svc, at);
  const env = new Map(entries.map((e) => [e.key, e.value]));
  const envLine = (key: string) => entries.find((e) => e.key === key)?.line ?? svcLine;
  const hasFileEnv = svc.env_file !== undefined;
  const password = env.has('POSTGRES_PASSWORD');
  const file = env.get('POSTGRES_PASSWORD_FILE');
  if (password && file !== undefined) add('PG-02', envLine('POSTGRES_PASSWORD'), 'both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set: the entrypoint refuses to start ("are exclusive")');
  else if (password) add('PG-02', envLine('POSTGRES_PASSWORD'), `\`${name}\` takes its password from the environment, visible in \`docker inspect\``);
  else if (file === undefined || file === null) {
    const trust = interp(env.get('POSTGRES_HOST_AUTH_METHOD') ?? '').value.toLowerCase() === 'trust';
    if (!hasFileEnv && !trust) add('PG-02', svcLine, `\`${name}\` sets neither POSTGRES_PASSWORD_FILE nor POSTGRES_PASSWORD: the image refuses to initialise`);
  } else {
    const value = interp(file).value;
    const secretName = /^\/run\/secrets\/([^/]+)$/.exec(value)?.[1];
    const listed = (Array.isArray(svc.secrets) ? svc.secrets : []).map((s) => (typeof s === 'string' ? s : String(asRecord(s)?.source ?? '')));
    if (!secretName) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `POSTGRES_PASSWORD_FILE=${value} is not a compose secret under /run/secrets/`);
    else if (!listed.includes(secretName)) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `POSTGRES_PASSWORD_FILE points at /run/secrets/${secretName}, but \`${name}\` does not list the secret \`${secretName}\``);
    else if (asRecord(asRecord(root.secrets)?.[secretName])?.file === undefined) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `secret \`${secretName}\` is not defined with \`file:\` at the top level`);
  }

  // PG-04: a named volume at the version's data path.
  const pgdata = env.get('PGDATA');
  const wanted = pgdata ? interp(pgdata).value : major === undefined || Number.isNaN(major) ? undefined : major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  const volumes = (Array.isArray(svc.volumes) ? svc.volumes : []).map((v, i) => {
    const rec = asRecord(v);
    if (rec) return { source: String(rec.source ?? ''), target: String(rec.target ?? ''), line: at('volumes', i) };
    const parts = interp(v).value.split(':');
    return parts.length >= 2 ? { source: parts[0]!, target: parts[1]!, line: at('volumes', i) } : { source: '', target: parts[0]!, line: at('volumes', i) };
  });
  const dataPaths = wanted ? [wanted] : ['/var/lib/postgresql', '/var/lib/postgresql/data'];
  const covering = volumes.find((v) => dataPaths.some((p) => v.target.replace(/\/$/, '') === p || (pgdata !== undefined && p.startsWith(`${v.target.replace(/\/$/, '')}/`))));
  if (!covering) {
    const near = volumes.find((v) => v.target.startsWith('/var/lib/postgresql'));
    add('PG-04', near ? near.line : svcLine, near
      ? `Postgres ${major ?? ''} keeps its data in ${wanted}, not ${near.target}: the data lands in an anonymous volume`.replace('  ', ' ')
      : `\`${name}\` has no volume at ${dataPaths.join(' or ')}: the data is lost when the container is recreated`);
  } else if (covering.source === '') {
    add('PG-04', covering.line, `the data volume at ${covering.target} is anonymous: \`docker compose down -v\` or a recreate loses it`);
  } else if (!/^[./~]/.test(covering.source) && !(covering.source in (asRecord(root.volumes) ?? {}))) {
    add('PG-04', covering.line, `volume \`${covering.source}\` is not declared under the top-level \`volumes:\``);
  }

  // PG-05: healthcheck over TCP.
  const test = asRecord(svc.healthcheck)?.test;
  const testText = Array.isArray(test) ? test.map(String).join(' ') : typeof test === 'string' ? test : '';
  if (/pg_isready/.test(testText) && !/(-h|--host)[ =]?["']?(127\.0\.0\.1|localhost|::1)\b/.test(testText)) {
    add('PG-05', at('healthcheck', 'test'), '`pg_isready` without `-h 127.0.0.1` probes the unix socket, which the first-run temporary server also answers');
  }

  // PG-07, PG-08.
  const shm = bytes(svc.shm_size);
  if (shm === undefined || shm < 128 * 1024 ** 2) add('PG-07', svc.shm_size === undefined ? svcLine : at('shm_size'), `\`${name}\` ${svc.shm_size === undefined ? 'keeps the 64 MB /dev/shm default' : `has shm_size ${String(svc.shm_size)} (< 128mb)`}`);
  const stop = svc.stop_grace_period === undefined ? undefined : seconds(interp(svc.stop_grace_period).value);
  if (stop === undefined || stop < 30) add('PG-08', svc.stop_grace_period === undefined ? svcLine : at('stop_grace_period'), `\`${name}\` ${svc.stop_grace_period === undefined ? 'is killed 10 s after SIGTERM (the default)' : `gets only ${String(svc.stop_grace_period)} to shut down`}`);

  // PG-09: hardening that the entrypoint survives.
  const capDrop = Array.isArray(svc.cap_drop) ? svc.cap_drop.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : [];
  const capAdd = new Set(Array.isArray(svc.cap_add) ? svc.cap_add.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : []);
  const user = svc.user === undefined ? undefined : interp(svc.user).value.split(':')[0]!;
  if (capDrop.includes('ALL') && (user === undefined || user === '0' || user === 'root')) {
    const missing = PG_ENTRYPOINT_CAPS.filter((c) => !capAdd.has(c));
    if (missing.length > 0) add('PG-09', at('cap_drop'), `\`cap_drop: [ALL]\` without \`cap_add\` ${missing.join(', ')}: the root entrypoint cannot chown its data and switch to the postgres user`);
  }
  if (svc.read_only === true) {
    const tmpfs = (Array.isArray(svc.tmpfs) ? svc.tmpfs.map(String) : typeof svc.tmpfs === 'string' ? [svc.tmpfs] : []).map((t) => t.split(':')[0]);
    const mounted = [...tmpfs, ...volumes.map((v) => v.target)];
    if (!mounted.some((t) => t === '/var/run/postgresql' || t === '/run/postgresql')) add('PG-09', at('read_only'), '`read_only: true` without a tmpfs at /var/run/postgresql: the server cannot create its socket and lock file');
  }
}

function environmentOf(svc: Js, at: (...keys: (string | number)[]) => number): { key: string; value: string | null; line: number }[] {
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

function envFilesOf(svc: Js, composeDir: string, ctx: ComposeContext): EnvEntry[] {
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

function dockerfileFor(svc: Js, composeDir: string, ctx: ComposeContext): DockerfileFacts | undefined {
  const build = svc.build;
  const context = typeof build === 'string' ? build : String(asRecord(build)?.context ?? '.');
  const file = typeof build === 'string' ? 'Dockerfile' : String(asRecord(build)?.dockerfile ?? 'Dockerfile');
  return ctx.dockerfiles.get(normalisePath(joinPath(joinPath(composeDir, context), file)));
}

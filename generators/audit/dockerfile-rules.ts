/**
 * The Dockerfile rule groups, shaped like the compose ones: each takes the file's scope (its
 * stages, the final stage's chain, what the image starts) and adds its findings.
 */
import type { finding } from './rules.js';
import { effectiveArgv, hasOption, optionValues, programOf, workerTmpDirProblem, type Program } from './program.js';
import {
  commandsIn,
  commandsOf,
  envValues,
  installCommands,
  lineOf,
  OPS_TOOLS,
  PIP_INSTALL,
  properties,
  resolveArgs,
  TOOLCHAIN,
  unpinnedPackages,
  type Instr,
  type Parsed,
  type Stage,
} from './dockerfile-parse.js';
import { hasUnquotedPipe, shellWords } from './shell.js';
import { PROXY_NAME, SECRET_NAME, imagePinProblem, isFileReference, worldWritable } from './util.js';

export interface DockerfileScope {
  path: string;
  add: (...args: Parameters<typeof finding>) => void;
  parsed: Parsed;
  stages: Stage[];
  all: Instr[];
  /** The final stage, its chain of bases (the image you run) and their instructions. */
  last: Stage;
  runtime: Stage[];
  runtimeInstrs: Instr[];
  inRuntime: (instr: Instr) => boolean;
  /** Stages by alias (the last of a repeated name). */
  aliases: ReadonlyMap<string, Stage>;
  /** The HEALTHCHECK the final image runs. */
  activeHealth: Instr | undefined;
}

/** DF-18: code or venv in the final image owned by (or handed to) a non-root user. */
function auditCodeOwnership(
  path: string,
  runtimeInstrs: Instr[],
  globalArgs: ReadonlyMap<string, string | null>,
  add: (...args: Parameters<typeof finding>) => void,
): void {
  let workdir = '/';
  const isCode = (dest: string) => {
    const d = dest.replace(/\/+$/, '') || '/';
    return d === '.' || d === workdir.replace(/\/+$/, '') || /(^|\/)\.?venv$/.test(d) || /^\/(app|srv|code|src|opt\/app)$/.test(d);
  };
  for (const instr of runtimeInstrs) {
    if (instr.keyword === 'WORKDIR') workdir = instr.args.trim();
    if (instr.keyword === 'COPY' || instr.keyword === 'ADD') {
      const chown = instr.flags.find((f) => f.getName() === 'chown')?.getValue();
      if (!chown) continue;
      const owner = resolveArgs(chown, globalArgs).value;
      if (userIsRoot(owner)) continue;
      const words = shellWords(instr.args).filter((w) => !w.startsWith('--'));
      const dest = words[words.length - 1] ?? '';
      if (isCode(dest) || words.slice(0, -1).some((w) => w === '.' || /venv/.test(w))) {
        add('DF-18', path, instr.line, `\`${instr.keyword} --chown=${chown}\` gives the code in \`${dest}\` to a non-root user, who can then rewrite it`);
      }
    }
    if (instr.keyword === 'RUN') {
      for (const c of commandsOf(instr)) {
        const words = shellWords(c.text);
        if (words[0] !== 'chown') continue;
        const rest = words.slice(1).filter((w) => !w.startsWith('-'));
        const owner = rest[0] ?? '';
        if (owner === '' || userIsRoot(owner)) continue;
        const target = rest.slice(1).find((t) => isCode(t));
        if (target) add('DF-18', path, c.line, `\`chown ${owner} ${target}\` hands the code to a non-root user, who can then rewrite it`);
      }
    }
  }
}

/** DF-20: the server's bind address and port as a container needs them. */
function bindProblems(program: Program | undefined, env: ReadonlyMap<string, string>, exposed: number[]): { message: string; expose?: boolean }[] {
  if (!program) return [];
  const out: { message: string; expose?: boolean }[] = [];
  const binds: { host: string; port: number | undefined; how: string }[] = [];
  const args = program.args;
  if (program.server === 'uvicorn') {
    if (hasOption(args, ['--uds', '--fd'])) return [];
    const host = optionValues(args, ['--host'])[0] ?? env.get('UVICORN_HOST');
    const port = optionValues(args, ['--port'])[0] ?? env.get('UVICORN_PORT') ?? '8000';
    binds.push({ host: host ?? '127.0.0.1', port: Number.parseInt(port, 10), how: host === undefined ? 'uvicorn without --host (its default is 127.0.0.1)' : `uvicorn --host ${host}` });
  } else if (program.server === 'gunicorn' || program.server === 'hypercorn') {
    for (const b of optionValues(args, ['--bind', '-b'])) {
      const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(b);
      if (m) binds.push({ host: m[1]!, port: Number.parseInt(m[2]!, 10), how: `${program.server} --bind ${b}` });
    }
  } else if (program.server === 'flask' && args.includes('run')) {
    const host = optionValues(args, ['--host', '-h'])[0] ?? env.get('FLASK_RUN_HOST');
    const port = optionValues(args, ['--port', '-p'])[0] ?? env.get('FLASK_RUN_PORT') ?? '5000';
    binds.push({ host: host ?? '127.0.0.1', port: Number.parseInt(port, 10), how: host === undefined ? 'flask run without --host (its default is 127.0.0.1)' : `flask run --host ${host}` });
  }
  for (const b of binds) {
    const host = b.host.replace(/^\[|\]$/g, '');
    if (/^(127\.|localhost$|::1$)/.test(host)) out.push({ message: `${b.how} listens on loopback inside the container: the published port reaches nothing` });
    if (b.port !== undefined && !Number.isNaN(b.port)) {
      if (b.port < 1024) out.push({ message: `${b.how} uses port ${b.port} (< 1024 needs root or CAP_NET_BIND_SERVICE)` });
      else if (exposed.length > 0 && !exposed.includes(b.port)) out.push({ message: `EXPOSE ${exposed.join(' ')} but the server listens on ${b.port}`, expose: true });
    }
  }
  return out;
}

function userIsRoot(user: string): boolean {
  const u = user.split(':')[0]!.trim();
  return u === 'root' || u === '0';
}

/** DF-03: FROM pinned; DF-04: the stage graph. */
function stageGraph(s: DockerfileScope): void {
  const { path, add, stages, all, last } = s;
  // DF-03: FROM pinned; DF-04: stage graph.
  const aliases = new Map<string, Stage>();
  for (const stage of stages) {
    if (stage.alias) {
      if (aliases.has(stage.alias)) add('DF-04', path, stage.line, `stage name \`${stage.alias}\` is used twice (DL3024)`);
      aliases.set(stage.alias, stage);
    }
    if (stage.base) continue;
    if (stage.unresolvedArg) {
      add('DF-03', path, stage.line, `base image \`${stage.rawImage}\` comes from build argument ${stage.unresolvedArg}, which has no default: what is built depends on the caller`);
      continue;
    }
    const problem = imagePinProblem(stage.image);
    if (problem) add('DF-03', path, stage.line, `base image ${problem}${stage.image !== stage.rawImage ? ` (from \`${stage.rawImage}\`)` : ''}`);
    const platform = stage.rawImage === '' ? undefined : /--platform=(\S+)/.exec(all.find((i) => i.line === stage.line)?.args ?? '');
    if (platform && !platform[1]!.includes('$')) add('DF-03', path, stage.line, `FROM hard-codes \`--platform=${platform[1]}\` (DL3029): the image will not build natively elsewhere`);
  }
  if (stages.length === 1) add('DF-04', path, last.line, 'single-stage build: build tools, caches and sources stay in the image you run');
}

/** DF-06: the user of the final stage. */
function finalUser(s: DockerfileScope): void {
  const { path, add, parsed, last, runtimeInstrs } = s;
  // DF-06: user of the last stage.
  const users = runtimeInstrs.filter((i) => i.keyword === 'USER');
  const lastUser = users[users.length - 1];
  if (!lastUser) {
    add('DF-06', path, last.line, 'the final stage never sets USER, so the container runs as root (CIS 4.1)');
  } else {
    const value = resolveArgs(lastUser.args.trim(), parsed.globalArgs).value || lastUser.args.trim();
    if (userIsRoot(value)) add('DF-06', path, lastUser.line, `the final USER is \`${lastUser.args.trim()}\` (root) (DL3002)`);
    else if (!value.includes('$') && !/^\d+(:\d+)?$/.test(value)) {
      add('DF-06', path, lastUser.line, `USER \`${value}\` is a name, not a numeric UID: Kubernetes runAsNonRoot and host tooling cannot verify it is not root (DL3066)`, { severity: 'low' });
    }
  }
}

/** DF-08: the healthcheck; DF-09: CMD and ENTRYPOINT. */
function healthAndCommand(s: DockerfileScope): void {
  const { path, add, stages, last, runtime, runtimeInstrs } = s;
  // DF-08: healthcheck; DF-09: CMD/ENTRYPOINT.
  const healthchecks = last.instrs.filter((i) => i.keyword === 'HEALTHCHECK');
  const inherited = runtimeInstrs.filter((i) => i.keyword === 'HEALTHCHECK');
  if (inherited.length === 0) add('DF-08', path, last.line, 'the final stage has no HEALTHCHECK (CIS 4.6, DL3057)');
  if (healthchecks.length > 1) add('DF-08', path, healthchecks[1]!.line, 'more than one HEALTHCHECK in the final stage: only the last one counts (DL3012)');
  const activeHealth = inherited[inherited.length - 1];
  if (activeHealth && /^\s*NONE\b/i.test(activeHealth.args)) add('DF-08', path, activeHealth.line, '`HEALTHCHECK NONE` disables the health check');
  const installedInRuntime = new Set(runtimeInstrs.filter((i) => i.keyword === 'RUN').flatMap((i) => installCommands(i).flatMap((c) => c.packages)));
  if (activeHealth) {
    const tool = /\b(curl|wget)\b/.exec(activeHealth.args)?.[1];
    const slim = /slim|alpine|distroless/.test(runtime[0]!.image);
    if (tool && slim && !installedInRuntime.has(tool)) {
      add('DF-08', path, activeHealth.line, `HEALTHCHECK runs \`${tool}\`, which the ${runtime[0]!.image} image does not contain: the check always fails`);
    }
  }
  for (const stage of stages) {
    for (const kw of ['CMD', 'ENTRYPOINT']) {
      const list = stage.instrs.filter((i) => i.keyword === kw);
      if (list.length > 1) add('DF-09', path, list[1]!.line, `more than one ${kw} in a stage: only the last one counts (${kw === 'CMD' ? 'DL4003' : 'DL4004'})`);
    }
  }
  for (const instr of runtimeInstrs) {
    if ((instr.keyword === 'CMD' || instr.keyword === 'ENTRYPOINT') && !instr.args.trim().startsWith('[')) {
      add('DF-09', path, instr.line, `${instr.keyword} uses shell form: the server runs under /bin/sh and does not receive SIGTERM (DL3025)`);
    }
  }
}

/** DF-17..DF-21: what the final image runs and how. */
function finalImage(s: DockerfileScope): void {
  const { path, add, parsed, last, runtime, runtimeInstrs } = s;
  // DF-17..DF-21: what the final image runs and how.
  const finalEnv = envValues(last);
  const baseImage = runtime[0]!.image;
  const noShell = /^(scratch|gcr\.io\/distroless\/|cgr\.dev\/)|distroless/.test(baseImage);
  const isPython = /python/.test(baseImage) || /venv/.test(finalEnv.get('PATH') ?? '') || runtimeInstrs.some((i) => i.keyword === 'COPY' && /venv/.test(i.args));
  if (!noShell && !runtimeInstrs.some((i) => i.keyword === 'RUN' && /-perm\s+[-/+]?(6000|4000|2000|u\+s|g\+s)/.test(i.args) && /chmod\s+(-\S+\s+)*[augo]*-s\b|chmod\s+(-\S+\s+)*[ug]-s,/.test(i.args))) {
    add('DF-17', path, last.line, 'the final stage does not strip setuid/setgid bits (CIS 4.8): su, passwd, mount and friends stay usable for privilege escalation');
  }
  auditCodeOwnership(path, runtimeInstrs, parsed.globalArgs, add);
  if (isPython) {
    const missing: string[] = [];
    if (!/^(1|true|yes|on)$/i.test(finalEnv.get('PYTHONUNBUFFERED') ?? '')) missing.push('`PYTHONUNBUFFERED=1`');
    if (!/^(1|true|yes|on)$/i.test(finalEnv.get('PYTHONDONTWRITEBYTECODE') ?? '')) missing.push('`PYTHONDONTWRITEBYTECODE=1`');
    const venv = runtimeInstrs
      .filter((i) => i.keyword === 'COPY' || i.keyword === 'RUN')
      .map((i) => /(\/[\w./-]*?\/?\.?venv)\b/.exec(i.args)?.[1])
      .find((v): v is string => v !== undefined);
    if (venv && !(finalEnv.get('PATH') ?? '').includes(`${venv.replace(/\/$/, '')}/bin`) && !finalEnv.has('VIRTUAL_ENV')) missing.push(`\`${venv}/bin\` on PATH`);
    if (missing.length > 0) add('DF-19', path, last.line, `the final stage does not set ${missing.join(', ')}`);
  }
  const { cmd, entrypoint } = commandsIn(last);
  const started = programOf(effectiveArgv(entrypoint?.argv, cmd?.argv));
  const commandLine = (cmd ?? entrypoint)?.line ?? last.line;
  const exposed = runtimeInstrs.filter((i) => i.keyword === 'EXPOSE');
  for (const problem of bindProblems(started, finalEnv, exposed.flatMap((i) => i.args.trim().split(/\s+/)).map((p) => Number.parseInt(p, 10)).filter((p) => !Number.isNaN(p)))) {
    add('DF-20', path, problem.expose ? exposed[0]!.line : commandLine, problem.message, problem.expose ? { severity: 'low' } : {});
  }
  const tmpProblem = workerTmpDirProblem(started, finalEnv);
  if (tmpProblem) add('DF-21', path, commandLine, tmpProblem);
}

/** Per instruction: DF-10 ADD, COPY --from (DF-03, DF-04), DF-14 secrets, ARG/ENV (PI-05, PI-01, DF-22, DF-14), DF-15, DF-16, and RUN. */
function instructions(s: DockerfileScope): void {
  const { path, add, parsed, stages, all, runtime, inRuntime, aliases, activeHealth } = s;
  const stageOf = (instr: Instr) => stages.find((st) => st.instrs.includes(instr));
  for (const instr of all) {
    const stage = stageOf(instr);
    // DF-10: ADD.
    if (instr.keyword === 'ADD') {
      const remoteChecked = /--checksum=sha256:[0-9a-f]{64}/.test(instr.lines[0]?.text ?? '') && /https:\/\//.test(instr.args);
      if (!remoteChecked) add('DF-10', path, instr.line, `\`ADD ${instr.args.split('\n')[0]!.trim()}\`: use COPY for local files (DL3020, CIS 4.9)`);
    }
    // COPY --from: DF-04 graph, DF-03 external image pin.
    if (instr.keyword === 'COPY' || instr.keyword === 'ADD') {
      const from = instr.flags.find((f) => f.getName() === 'from')?.getValue();
      if (from && stage) {
        const alias = from.toLowerCase();
        const target = aliases.get(alias);
        if (target) {
          if (target === stage) add('DF-04', path, instr.line, `\`COPY --from=${from}\` copies from its own stage (DL3023)`);
          else if (target.index > stage.index) add('DF-04', path, instr.line, `\`COPY --from=${from}\` names a later stage (DL3022)`);
        } else if (!/^\d+$/.test(from)) {
          const resolved = resolveArgs(from, parsed.globalArgs).value;
          const problem = imagePinProblem(resolved);
          if (problem) add('DF-03', path, instr.line, `\`COPY --from\` image ${problem}`);
        }
      }
      // DF-14: secrets copied in.
      const words = shellWords(instr.args).filter((w) => !w.startsWith('--'));
      for (const src of words.slice(0, -1)) {
        const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
        if (/(^|\/)(\.env(\.(?!example$|sample$|template$)[^/]+)?|secrets?|id_rsa|id_ed25519|[^/]*\.(pem|key|p12|pfx))$/.test(clean)) {
          add('DF-14', path, instr.line, `\`${instr.keyword} ${src}\` puts secret material into an image layer`);
        }
      }
      const chmod = instr.flags.find((f) => f.getName() === 'chmod')?.getValue();
      if (chmod && worldWritable(chmod)) add('PI-03', path, instr.line, `\`--chmod=${chmod}\` makes the copied files world-writable`);
    }
    // DF-14 / PI-05 / DF-22: ARG and ENV.
    if (instr.keyword === 'ARG' || instr.keyword === 'ENV') {
      for (const [name, value, line] of properties(instr)) {
        if (PROXY_NAME.test(name)) {
          if (value) add('PI-05', path, line, `${instr.keyword} ${name}=${value} hard-codes a proxy into the ${instr.keyword === 'ENV' ? 'image environment' : 'build'}`);
          continue;
        }
        if (/^PIP_BREAK_SYSTEM_PACKAGES$/i.test(name) && value && !/^(0|false|no)$/i.test(value)) {
          add('PI-01', path, line, `${instr.keyword} ${name}=${value} lets pip overwrite the system's Python packages`);
          continue;
        }
        if (/^FORWARDED_ALLOW_IPS$/i.test(name) && value?.trim() === '*') add('DF-22', path, line, `${name}=* trusts proxy headers from any client`);
        if (SECRET_NAME.test(name) && !isFileReference(name, value ?? '')) {
          add('DF-14', path, line, `${instr.keyword} ${name}${value ? '=…' : ''}: a secret-like ${instr.keyword} is stored in the image metadata/history (DL3064)`);
        }
      }
    }
    if ((instr.keyword === 'CMD' || instr.keyword === 'ENTRYPOINT') && /forwarded[-_]allow[-_]ips["']?[\s=,]+["']?\*/i.test(instr.args)) {
      add('DF-22', path, instr.line, '`--forwarded-allow-ips *` trusts X-Forwarded-* headers from any client');
    }
    if (instr.keyword === 'WORKDIR' && !/^\s*["']?(\/|\$)/.test(instr.args)) add('DF-15', path, instr.line, `relative WORKDIR \`${instr.args.trim()}\` (DL3000)`);
    if (instr.keyword === 'EXPOSE' && /(^|\s)22(\/tcp)?(\s|$)/.test(instr.args)) add('DF-16', path, instr.line, 'EXPOSE 22: an SSH server in the image (CIS 5.7)');
    if (instr.keyword === 'RUN') auditRun(path, instr, stage, inRuntime(instr), runtime, add, activeHealth?.args ?? '');
  }
}

/** PI-02: pip into the system interpreter of the runtime image. */
function systemPip(s: DockerfileScope): void {
  const { path, add, last, runtimeInstrs } = s;
  // PI-02: pip into the system interpreter of the runtime image.
  const runtimeEnv = envValues(last);
  const venvActive = (runtimeEnv.get('PATH') ?? '').match(/venv|\/opt\/[^/:]+\/bin/) || runtimeEnv.has('VIRTUAL_ENV');
  for (const instr of runtimeInstrs) {
    if (instr.keyword !== 'RUN') continue;
    const cmds = commandsOf(instr);
    const makesVenv = cmds.some((c) => /-m\s+venv\b|\bvirtualenv\b|\buv\s+venv\b/.test(c.text));
    for (const c of cmds) {
      if (!PIP_INSTALL.test(c.text)) continue;
      const words = shellWords(c.text);
      const viaVenvPath = /(^|\s)\S*\/(venv|\.venv|opt\/[^/\s]+)\/bin\/(pip|python)/.test(c.text);
      const isolated = words.some((w) => /^--(target|prefix|root|user)\b|^-t$/.test(w));
      const uvSystem = /\buv\s+pip\b/.test(c.text) && words.includes('--system');
      const uv = /\buv\s+pip\b/.test(c.text);
      if (uvSystem || (!uv && !venvActive && !makesVenv && !viaVenvPath && !isolated)) {
        add('PI-02', path, c.line, `\`${c.text.slice(0, 80)}\` installs into the system interpreter of the final image (no virtual environment)`);
      }
    }
  }
}

function auditRun(
  path: string,
  instr: Instr,
  stage: Stage | undefined,
  runtime: boolean,
  runtimeStages: Stage[],
  add: (...args: Parameters<typeof finding>) => void,
  healthcheckText: string,
): void {
  const cmds = commandsOf(instr);
  const commandText = instr.lines.map((l) => l.text.replace(/\\\s*$/, '')).join('\n');
  const mounts = instr.flags.filter((f) => f.getName() === 'mount').map((f) => f.getValue() ?? '');

  // PI-03: world-writable permissions.
  for (const c of cmds) {
    const words = shellWords(c.text);
    if (words[0] !== 'chmod') continue;
    const mode = words.slice(1).find((w) => !/^-[a-zA-Z]+$/.test(w) && !w.startsWith('--')) ?? '';
    if (worldWritable(mode)) add('PI-03', path, c.line, `\`${c.text.slice(0, 80)}\` makes files world-writable`);
  }
  // PI-04: long scripts inlined with a heredoc.
  for (const h of instr.heredocs) {
    const writesFile = /\b(cat|tee)\b[^|]*>|\btee\b/.test(h.command);
    if ((writesFile && h.body.length >= 3) || h.body.length > 10) {
      add('PI-04', path, h.line, `a ${h.body.length}-line script is inlined with a heredoc (\`${h.command.slice(0, 60)} <<${h.name}\`) instead of being a file in the repository`);
    }
  }
  // PI-01: --break-system-packages.
  if (/--break-system-packages/.test(commandText) || instr.heredocs.some((h) => h.body.some((l) => /--break-system-packages/.test(l.text)))) {
    add('PI-01', path, lineOf(instr, /--break-system-packages/), '`pip install --break-system-packages` installs over the distribution\'s Python (PEP 668)');
  }

  // DF-11: apt hygiene; DF-05/DF-16: what lands in the runtime image.
  const installs = installCommands(instr);
  const aptInstalls = installs.filter((c) => c.manager === 'apt-get' || c.manager === 'apt');
  const problems: string[] = [];
  if (/(^|[\s;&|(])apt\s+(install|update|upgrade|full-upgrade)\b/.test(commandText)) problems.push('uses `apt` instead of `apt-get` (DL3027)');
  if (/\b(dist-upgrade|full-upgrade)\b/.test(commandText)) problems.push('runs dist-upgrade');
  if (/\bapt(-get)?\s+(-\S+\s+)*update\b/.test(commandText) && aptInstalls.length === 0) problems.push('runs `apt-get update` without installing in the same RUN (stale cache layer, CIS 4.7)');
  for (const c of aptInstalls) {
    if (!c.words.includes('--no-install-recommends')) problems.push('installs without `--no-install-recommends` (DL3015)');
    if (!c.words.some((w) => /^(-y|--yes|--assume-yes|-qq|-[a-z]*y[a-z]*)$/.test(w))) problems.push('installs without `-y` (DL3014)');
  }
  const cacheMounted = mounts.some((m) => /type=cache/.test(m) && /target=\/var\/lib\/apt/.test(m));
  if (aptInstalls.length > 0 && runtime && !cacheMounted && !/rm\s+-[a-zA-Z]*r[a-zA-Z]*f?\s+[^;&|]*\/var\/lib\/apt\/lists/.test(commandText) && !/apt-get\s+clean/.test(commandText) ) {
    problems.push('leaves `/var/lib/apt/lists` in the layer (add `&& rm -rf /var/lib/apt/lists/*`, DL3009)');
  }
  if (problems.length > 0) {
    const line = aptInstalls[0]?.line ?? lineOf(instr, /\bapt(-get)?\b/);
    add('DF-11', path, line, [...new Set(problems)].join('; '));
  }
  if (runtime) {
    for (const c of installs) {
      const tools = c.packages.filter((p) => TOOLCHAIN.test(p));
      if (tools.length > 0) {
        const single = runtimeStages.length === 1 && !runtimeStages[0]!.base;
        add('DF-05', path, c.line, `${single ? 'the only stage' : 'the runtime stage'} installs ${tools.map((t) => `\`${t}\``).join(', ')}`);
      }
      const ops = c.packages.filter((p) => OPS_TOOLS.test(p) && !new RegExp(`\\b${p}\\b`).test(healthcheckText));
      if (ops.length > 0) add('DF-16', path, c.line, `the runtime image installs ${ops.map((t) => `\`${t}\``).join(', ')}, not needed to run the service`);
    }
  }
  if (/(^|[\s;&|(])sudo\s/.test(commandText)) add('DF-16', path, lineOf(instr, /\bsudo\b/), '`sudo` in RUN (DL3004)');
  if (/\bchpasswd\b/.test(commandText)) add('DF-16', path, lineOf(instr, /\bchpasswd\b/), '`chpasswd`: a password login in the image');

  // DF-12: pip hygiene.
  const stageEnv = stage ? envValues(stage) : new Map<string, string>();
  for (const c of cmds) {
    if (!PIP_INSTALL.test(c.text)) continue;
    const words = shellWords(c.text);
    const pipProblems: string[] = [];
    const noCache =
      words.includes('--no-cache-dir') ||
      words.includes('--no-cache') ||
      /PIP_NO_CACHE_DIR=\S/.test(c.text) ||
      /(^|\s)UV_NO_CACHE=\S/.test(c.text) ||
      (stageEnv.has('PIP_NO_CACHE_DIR') && !/^(0|false|off|no)$/i.test(stageEnv.get('PIP_NO_CACHE_DIR')!)) ||
      stageEnv.has('UV_NO_CACHE') ||
      mounts.some((m) => /type=(cache|tmpfs)/.test(m) && /\.cache\/(pip|uv)|\/cache\b|pip|uv/.test(m));
    if (!noCache) pipProblems.push('keeps its download cache in the layer (add `--no-cache-dir`, DL3042)');
    const unpinned = unpinnedPackages(words);
    if (unpinned.length > 0) pipProblems.push(`installs unpinned ${unpinned.map((p) => `\`${p}\``).join(', ')} (pin \`pkg==version\` or use -r requirements.txt, DL3013)`);
    if (words.includes('--trusted-host') || /(--index-url|--extra-index-url|-i)[= ]http:\/\//.test(c.text)) pipProblems.push('disables TLS verification of the package index (`--trusted-host` / http:// index)');
    if (pipProblems.length > 0) add('DF-12', path, c.line, `\`${c.text.slice(0, 60)}${c.text.length > 60 ? '…' : ''}\` ${pipProblems.join('; ')}`);
  }

  // DF-13: pipes and downloads.
  const pipefail = instr.pipefail ?? false;
  const runsPipefail = /set\s+-[a-zA-Z]*o\s+pipefail|set\s+-o\s+pipefail/.test(commandText);
  const commandOnly = instr.lines.map((l) => l.text.replace(/\\\s*$/, '')).join(' ');
  if (hasUnquotedPipe(commandOnly.replace(/^\s*RUN\s+/i, '')) && !pipefail && !runsPipefail) {
    add('DF-13', path, lineOf(instr, /[^|]\|[^|]/), 'RUN with a pipe but no `SHELL ["/bin/bash", "-o", "pipefail", "-c"]`: a failure before `|` is ignored (DL4006)');
  }
  if (/\b(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(commandText)) add('DF-13', path, lineOf(instr, /\b(curl|wget)\b/), 'pipes a download straight into a shell (`curl | sh`)');
  if (/\bcurl\b[^\n]*(\s-k\b|\s--insecure\b)|--no-check-certificate/.test(commandText)) add('DF-13', path, lineOf(instr, /-k\b|--insecure|--no-check-certificate/), 'downloads with TLS verification disabled');
  for (const c of cmds) {
    if (/^cd\s/.test(c.text)) {
      add('DF-15', path, c.line, '`cd` inside RUN: use WORKDIR (DL3003)');
      break;
    }
  }
  // DF-07: deterministic user creation.
  for (const c of cmds) {
    if (/^useradd\b/.test(c.text) && !/(\s-l\b|\s--no-log-init\b|\s-[a-zA-Z]*l[a-zA-Z]*\s)/.test(` ${c.text} `)) {
      add('DF-07', path, c.line, '`useradd` without `--no-log-init` (DL3046)');
    }
  }
}

/** Every rule group, in the order their findings are reported. */
export const DOCKERFILE_RULES: ((s: DockerfileScope) => void)[] = [stageGraph, finalUser, healthAndCommand, finalImage, instructions, systemPip];

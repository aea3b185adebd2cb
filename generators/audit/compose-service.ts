/**
 * The rule groups for one compose service's own settings: image pinning, isolation, limits,
 * health, the process tree and networks. Each takes the service's scope (compose-scope.ts).
 */
import { restartProblem } from './restart.js';
import { effectiveArgv, gracefulTimeout, programOf, seconds, workerTmpDirProblem } from './program.js';
import { capabilities, commandArgv, DATA_IMAGE, dockerfileFor, type ServiceScope } from './compose-scope.js';
import { asRecord, hasVariable, imagePinProblem } from './util.js';

const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_RAW', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'SYS_BOOT', 'MAC_ADMIN', 'BPF', 'PERFMON']);

/** CP-23: a pulled image is pinned to a release. */
export function imagePin(s: ServiceScope): void {
  const { svc, at, built, imageValue, add } = s;
  // CP-23 / image pinning (built images are tagged locally, not pulled).
  if (imageValue && !built) {
    if (imageValue.unresolved && imageValue.value === '') {
      // `${IMAGE:?...}` or unset: nothing to judge.
    } else {
      const problem = imagePinProblem(imageValue.value);
      if (problem) add('CP-23', at('image'), `image ${problem}${hasVariable(String(svc.image)) ? ` (\`${String(svc.image)}\` resolves to it)` : ''}`);
    }
  }
}

/** CP-02, CP-15, CP-07, CP-03, CP-05, CP-04, CP-06: privileges, namespaces, user, capabilities, confinement, root filesystem. */
export function isolation(s: ServiceScope): void {
  const { name, svc, at, svcLine, partial, built, interp, add } = s;
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
  const capAdd = capabilities(svc.cap_add);
  capAdd.forEach((cap, i) => {
    if (DANGEROUS_CAPS.has(cap)) add('CP-03', at('cap_add', i), `service \`${name}\` adds capability ${cap}`);
  });
  const capDrop = capabilities(svc.cap_drop);
  if (built && !partial && !capDrop.includes('ALL')) add('CP-03', svcLine, `service \`${name}\` runs your code with Docker's default capabilities (no \`cap_drop: [ALL]\`)`);
  const securityOpt = Array.isArray(svc.security_opt) ? svc.security_opt.map(String) : [];
  securityOpt.forEach((opt, i) => {
    if (/(seccomp|apparmor)[:=]unconfined|label[:=]disable|systempaths[:=]unconfined/.test(opt)) add('CP-05', at('security_opt', i), `\`${opt}\` disables kernel confinement for \`${name}\``);
  });
  if (!partial && !securityOpt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o))) add('CP-04', svcLine, `service \`${name}\` lacks \`security_opt: ["no-new-privileges:true"]\``);
  if (built && !partial && svc.read_only !== true) add('CP-06', svcLine, `service \`${name}\` has a writable root filesystem (no \`read_only: true\`)`);
}

/** CP-08/09/10: memory, CPU and PIDs limits; CP-11: back after a reboot or engine restart. */
export function limits(s: ServiceScope): void {
  const { name, svc, at, svcLine, partial, add, ctx, completedDeps } = s;
  // CP-08/09/10: limits.
  const limits = asRecord(asRecord(asRecord(svc.deploy)?.resources)?.limits) ?? {};
  const positive = (v: unknown) => v !== undefined && v !== null && !/^(0|-1|0\.0*)?$/.test(String(v).trim());
  if (!partial) {
    if (!positive(limits.memory) && !positive(svc.mem_limit)) add('CP-08', svcLine, `service \`${name}\` has no memory limit`);
    if (!positive(limits.cpus) && !positive(svc.cpus)) add('CP-09', svcLine, `service \`${name}\` has no CPU limit`);
    if (!positive(limits.pids) && !positive(svc.pids_limit)) add('CP-10', svcLine, `service \`${name}\` has no PIDs limit`);
  }

  // CP-11: back after a reboot or engine restart (restart.ts).
  const oneShot = completedDeps.has(name) || svc.restart === 'no' || svc.restart === false;
  const restartIssue = restartProblem(name, svc.restart, { oneShot, partial, bootUnit: ctx.bootUnit });
  if (restartIssue) add('CP-11', svc.restart === undefined ? svcLine : at('restart'), restartIssue);
}

/** CP-12: a healthcheck for long-running services; CP-13: readiness ordering on data services. */
export function health(s: ServiceScope): void {
  const { name, svc, services, at, svcLine, partial, built, interp, add, ctx, composeDir, completedDeps } = s;
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
}

/** CP-22: an init process and a long enough stop window; DF-21 for a gunicorn command given here. */
export function processes(s: ServiceScope): void {
  const { name, svc, at, svcLine, partial, built, interp, add, ctx, composeDir } = s;
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
}

/** CP-18: databases only on internal networks, never the default bridge. */
export function networks(s: ServiceScope): void {
  const { name, svc, root, at, svcLine, partial, isData, add } = s;
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
}

/** CP-20: the healthcheck's variables are the container's, not compose's. */
export function healthTest(s: ServiceScope): void {
  const { svc, at, add } = s;
  const health = asRecord(svc.healthcheck);
  // CP-20: healthcheck strings expanded by compose instead of the container.
  const test = health?.test;
  const testText = Array.isArray(test) ? test.slice(1).map(String).join(' ') : typeof test === 'string' ? test : '';
  const single = /(^|[^$])\$(\{?[A-Za-z_][A-Za-z0-9_]*)/.exec(testText);
  if (single) add('CP-20', at('healthcheck', 'test'), `the healthcheck's \`$${single[2]}\` is expanded by compose on the host when the file is read; write \`$$${single[2]}\` for the container's shell`);
}

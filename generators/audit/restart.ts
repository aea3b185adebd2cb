/**
 * CP-11 as a behaviour: the stack comes back by itself after a host reboot or an engine restart,
 * and a crash loop does not spin hot. gunicorn, uvicorn and Postgres exit 0 on the SIGTERM the
 * engine sends when it stops; `restart: on-failure[:N]` never restarts an exit 0, so on a single
 * compose host such a service stays down until someone notices, unless a boot unit (a systemd
 * unit running compose, Quadlet or podman-restart) starts the stack. `unless-stopped`/`always`
 * come back, and the engine's back-off (doubling up to a minute) keeps a crash loop cool.
 */
import { basename } from './util.js';

/** Systemd and Quadlet unit files a project may keep beside its compose file. */
export function isBootUnitPath(path: string): boolean {
  return /\.(service|container|kube|pod)$/.test(basename(path));
}

/**
 * The first file that starts the stack at boot: a Quadlet unit, a systemd service running
 * compose or podman-restart, or a script that writes one (such as scripts/install-boot.sh).
 */
export function findBootUnit(files: readonly { path: string; content: string }[]): string | undefined {
  const starts = /(compose\b[^\n]*\bup\b|podman-restart|podman\s+(start|kube\s+play|pod\s+start))/;
  for (const f of files) {
    const name = basename(f.path);
    if (/\.(container|kube|pod)$/.test(name) && /^\[(Container|Kube|Pod)\]/m.test(f.content)) return f.path;
    const unit = /^\[Service\]/m.test(f.content) && /^\[Install\]/m.test(f.content) && /^\s*WantedBy\s*=/m.test(f.content);
    if (unit && starts.test(f.content)) return f.path;
    if (/\.(sh|bash)$/.test(name) && /WantedBy=/.test(f.content) && /(\[Container\]|systemctl\b[^\n]*\benable\b)/.test(f.content)) return f.path;
  }
  return undefined;
}

/**
 * The CP-11 problem with one service's `restart`, or undefined. `oneShot` services (run to
 * completion: migrations) rightly use "no"; `partial` is an override that may inherit the value.
 */
export function restartProblem(name: string, restart: unknown, opts: { oneShot: boolean; partial: boolean; bootUnit: string | undefined }): string | undefined {
  if (opts.oneShot) return undefined;
  if (restart === undefined) {
    return opts.partial ? undefined : `\`${name}\` has no restart policy: after a crash, a reboot or an engine restart it stays down`;
  }
  const value = String(restart).trim();
  if (/^(always|unless-stopped)$/.test(value)) return undefined;
  const onFailure = /^on-failure(:\d+)?$/.exec(value);
  if (onFailure && !opts.bootUnit) {
    return `\`restart: ${value}\` never restarts \`${name}\` after it exits 0, which servers do on the engine's SIGTERM at a reboot or engine restart, and no boot unit starts the stack`;
  }
  return undefined;
}

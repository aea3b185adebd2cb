/**
 * Docker and Podman as data: what differs between the two engines for a smoke run, in one place.
 * `docker.ts` runs whichever binary `Engine.binary` names; nothing else branches on the engine name
 * except through these facts.
 */
import { InputError } from '../errors.js';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type EngineName = 'docker' | 'podman';
export const ENGINE_NAMES: readonly EngineName[] = ['docker', 'podman'];

export interface Engine {
  name: EngineName;
  /** The CLI that runs everything, `compose` included. */
  binary: string;
  /** Set for every command (quiet, deterministic output). */
  env: Record<string, string>;
  /**
   * Set for `compose build`. Docker: BuildKit. Podman: the API socket has no BuildKit session, so
   * Compose uses the classic build endpoint (buildah behind it); BUILDAH_FORMAT=docker keeps
   * HEALTHCHECK when a provider builds with the podman CLI instead (OCI images drop it).
   */
  buildEnv: Record<string, string>;
  /** Compose v2 labels every container, network and volume with its project, on both engines. */
  projectLabel: string;
  /**
   * Podman schedules healthchecks with systemd timers; without systemd nothing ever runs them, so
   * `up --wait` would wait forever. Then smoke runs each probe itself (`healthcheck run`).
   */
  drivesHealth: boolean;
}

/** Docker runs healthchecks inside the daemon; Podman needs systemd (PID 1) for its timers. */
export function hasSystemd(exists: (p: string) => boolean = existsSync): boolean {
  return exists('/run/systemd/system');
}

export function engineFacts(name: EngineName, systemd = hasSystemd()): Engine {
  if (name === 'podman') {
    return {
      name,
      binary: 'podman',
      // Quiet output: no "Executing external compose provider" banner, no cgroups v1 deprecation
      // notice on every command of a cgroups v1 host (both would land in failure tails).
      env: { PODMAN_COMPOSE_WARNING_LOGS: 'false', PODMAN_IGNORE_CGROUPSV1_WARNING: '1' },
      buildEnv: { DOCKER_BUILDKIT: '0', BUILDAH_FORMAT: 'docker' },
      projectLabel: 'com.docker.compose.project',
      drivesHealth: !systemd,
    };
  }
  return {
    name,
    binary: 'docker',
    env: {},
    buildEnv: { DOCKER_BUILDKIT: '1', COMPOSE_DOCKER_CLI_BUILD: '1' },
    projectLabel: 'com.docker.compose.project',
    drivesHealth: false,
  };
}

/** Is `command` an executable file on PATH? */
export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** `--engine` or CONTAINER_ENGINE names an engine create-pyimage does not know. */
export class EngineChoiceError extends InputError {}

/**
 * The engine to use: the one asked for (`--engine`, else CONTAINER_ENGINE), else the only one
 * installed, else Docker (whose checks then say how to install it).
 */
export function chooseEngine(
  asked: string | undefined,
  installed: (command: string) => boolean = onPath,
  fromEnv: string | undefined = process.env.CONTAINER_ENGINE,
): EngineName {
  const wanted = asked ?? (fromEnv || undefined);
  if (wanted !== undefined) {
    if ((ENGINE_NAMES as readonly string[]).includes(wanted)) return wanted as EngineName;
    const source = asked !== undefined ? '--engine' : 'CONTAINER_ENGINE';
    throw new EngineChoiceError(`${source}: "${wanted}" is not an engine create-pyimage knows; use docker or podman`);
  }
  const found = ENGINE_NAMES.filter((name) => installed(name));
  return found.length === 1 ? found[0]! : 'docker';
}

/** The check names, in order, each engine reports (the first steps of a smoke run). */
export const CHECK_NAMES: Record<EngineName, readonly string[]> = {
  docker: ['docker daemon reachable', 'compose v2', 'buildx'],
  podman: ['podman', 'podman API socket', 'compose provider', 'buildah features'],
};

/**
 * `podman compose version` names its provider: Compose v2 ("Docker Compose version v2.x") is the
 * one create-pyimage supports; podman-compose lacks `--wait`, `port` and the JSON `ps` smoke reads.
 */
export function composeProvider(output: string): { kind: 'compose-v2' | 'podman-compose' | 'unknown'; version: string } {
  const v2 = /Docker Compose version v?(\d+\.\d+[^\s]*)/i.exec(output);
  if (v2) return { kind: /^2\./.test(v2[1]!) ? 'compose-v2' : 'unknown', version: v2[1]! };
  const pc = /podman-compose version:?\s*v?(\d[^\s]*)/i.exec(output);
  if (pc) return { kind: 'podman-compose', version: pc[1]! };
  return { kind: 'unknown', version: '' };
}

/** Major.minor of a version string, for comparisons; [0, 0] when there is none. */
export function majorMinor(version: string): [number, number] {
  const m = /(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function atLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = majorMinor(version);
  return a > major || (a === major && b >= minor);
}

/**
 * The group the GPU override adds (RENDER_GID) so the app user can open /dev/dri. Rootless Podman
 * runs in a user namespace where the host's render GID does not exist: `keep-groups` hands the
 * caller's own supplementary groups (render among them) to the container instead. It needs crun
 * (runc cannot keep groups) and cannot be combined with other groups. Docker and rootful Podman
 * take the numeric GID.
 */
export function gpuGroup(engine: Engine, gid: string, uid: number | undefined = process.getuid?.()): string {
  return engine.name === 'podman' && uid !== undefined && uid !== 0 ? 'keep-groups' : gid;
}

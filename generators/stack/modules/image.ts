/**
 * What every service built from the project's image shares (app, worker, migrate): the build,
 * hardening, read-only root, writable state in volumes.
 */
import type { StackView } from '../view.js';
import { SECURITY_OPT } from '../view.js';

export function appLike(view: StackView) {
  const a = view.answers;
  const state = view.stateDirs.length > 0 ? { volumes: view.stateDirs.map((d) => `${d.volume}:${d.path}`) } : {};
  return {
    build: {
      context: '.',
      target: 'runtime',
      args: {
        PYTHON_IMAGE: `\${PYTHON_IMAGE:-${view.baseImage}}`,
        PIP_INDEX_URL: '${PIP_INDEX_URL:-}',
        PIP_FIND_LINKS: '${PIP_FIND_LINKS:-}',
        ...(view.serverPackages.length > 0 ? { SERVER_PACKAGES: `\${SERVER_PACKAGES:-${view.serverPackages.join(' ')}}` } : {}),
      },
      network: '${BUILD_NETWORK:-default}',
    },
    image: `${a.name}:\${APP_VERSION:-0.1.0}`,
    init: true,
    read_only: true,
    tmpfs: ['/tmp:size=64m,mode=1777'],
    ...state,
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
  };
}

/** `secrets:` of a service built from our image, when it reads any. */
export function secretsKey(names: string[]): { secrets?: string[] } {
  return names.length > 0 ? { secrets: names } : {};
}

/** `depends_on:` when there is anything to wait for. */
export function dependsOnKey(runsAfter: Record<string, unknown>): { depends_on?: Record<string, unknown> } {
  return Object.keys(runsAfter).length > 0 ? { depends_on: runsAfter } : {};
}

import type { Rule } from './types.js';

/**
 * The development loop's rule (DV-xx, this tool's own id; issue 23): development settings belong in
 * a compose file that production never loads.
 */
export const DEV_RULES = {
  'DV-01': {
    severity: 'high',
    title: 'Development settings in a compose file production loads',
    why: 'Compose reads `compose.override.yml` (and `docker-compose.override.yml`) into every `docker compose up` that names no file, production\'s too: a reload server, `develop.watch`, a writable root or a dev image meant for a laptop then runs in production, silently.',
    fix: 'Move the development settings to a file only the dev loop names, e.g. `compose.dev.yml` started with `docker compose -f docker-compose.yml -f compose.dev.yml up --watch` (what `scripts/dev.sh` of a create-pyimage project does), and delete the override file.',
  },
} as const satisfies Record<string, Rule>;

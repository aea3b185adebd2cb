/**
 * The rows of the option table (schema.ts splices them in, in this order) for the services that run
 * beside the app: a background worker and Redis. Kept apart so the table stays readable.
 */
import { parseBoolean, parseCommand } from './parse.js';
import type { OptionSpec } from './option-spec.js';

export const SIDE_SERVICE_OPTIONS: OptionSpec[] = [
  {
    key: 'worker',
    flag: 'worker',
    kind: 'string',
    question: 'Background worker command (empty for none)',
    hint: 'runs in the app image on the internal network, e.g. "python -m app.worker"',
    defaultText: 'none',
    fallback: () => '',
    parse: (raw) => parseCommand('worker', raw, true),
  },
  {
    key: 'redis',
    flag: 'redis',
    kind: 'boolean',
    question: 'Add a Redis service (broker for Celery/RQ, cache)?',
    hint: 'password from a secret file, internal network only, data in a volume',
    defaultText: 'detected (redis, rq, celery[redis], arq, ... in the dependencies), else no',
    fallback: (_a, d) => d.redis ?? false,
    parse: (raw) => parseBoolean('redis', raw),
  },
];

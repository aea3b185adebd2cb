import type { Rule } from './types.js';

/**
 * Rules for Docker Swarm stack files where Swarm differs from compose (SW-xx, this tool's own
 * ids). What holds the same way on Swarm (capabilities, read-only root, limits, health checks,
 * log rotation, privileged, docker.sock) is reported under the checklist's CP ids.
 */
export const SWARM_RULES = {
  'SW-01': {
    severity: 'medium',
    title: 'Key that docker stack deploy ignores',
    why: '`docker stack deploy` reads the legacy v3 format and silently drops compose-only keys (`build`, `depends_on`, `restart`, `security_opt`, `shm_size`, `tmpfs`, `container_name`, `devices`, ...): the file promises hardening or ordering that Swarm never applies.',
    fix: 'Convert it: `restart` -> `deploy.restart_policy`, `tmpfs`/`shm_size` -> `volumes: [{type: tmpfs, target: /tmp, tmpfs: {size: 67108864}}]`; drop `build` (build and push first), `depends_on` (use health checks and retries) and `security_opt` (not applied by Swarm); or regenerate it with `npx create-pyimage update`.',
  },
  'SW-02': {
    severity: 'medium',
    title: 'Rolling update without start-first, rollback or bounded restarts',
    why: 'Swarm\'s default update stops the old task before the new one is healthy (a gap in service) and keeps a failed update running; an unbounded restart policy spins a crash loop forever; `condition: on-failure` never replaces a task Swarm stopped for failing its health check (a clean shutdown exits 0).',
    fix: 'Under `deploy:` for a served service: `replicas: 2`, `update_config: {parallelism: 1, order: start-first, failure_action: rollback}`, `rollback_config: {order: start-first}`, `restart_policy: {condition: any, max_attempts: 5, window: 120s}`.',
  },
  'SW-03': {
    severity: 'high',
    title: 'Stateful service not pinned to one node and one task',
    why: 'A named volume is local to one node: a database that Swarm reschedules elsewhere starts on an empty volume, and two tasks (replicas > 1, or a start-first update) on one data directory corrupt it.',
    fix: 'Under `deploy:`: `replicas: 1`, `update_config: {order: stop-first}` and `placement: {constraints: ["node.labels.<app>.db == true"]}`; label the node once: `docker node update --label-add <app>.db=true NODE`.',
  },
  'SW-04': {
    severity: 'medium',
    title: 'One-shot task deployed as a service',
    why: 'A migration deployed as a replicated service is restarted after it exits (or shows as failed), and runs again at random; Swarm has jobs for work that runs to completion.',
    fix: '`deploy: {mode: replicated-job, restart_policy: {condition: on-failure, max_attempts: 10}}` (engine 20.10+); change an environment value per deploy to run it again.',
  },
  'SW-05': {
    severity: 'high',
    title: 'Secret value in the stack file',
    why: 'Values under `environment:` are stored in the service spec: every manager keeps them and `docker service inspect` shows them to anyone with access to the API.',
    fix: 'Use a Swarm secret: top-level `secrets: {db_password: {file: ../../secrets/db_password}}`, `secrets: [db_password]` on the service, and pass its path (`POSTGRES_PASSWORD_FILE=/run/secrets/db_password`).',
  },
  'SW-06': {
    severity: 'medium',
    title: 'Port or network not as Swarm applies it',
    why: 'Swarm publishes every port on every node and interface (the routing mesh): a host IP such as 127.0.0.1 is not supported, and a database port published this way is open to the network. A backend network that is not internal gives the database a route out.',
    fix: 'Publish only the app (`"8000:8000"`; put a firewall or proxy in front); give the backend `driver: overlay` and `internal: true`; leave other services unpublished.',
  },
  'SW-07': {
    severity: 'low',
    title: 'No resource reservations',
    why: 'Without reservations the scheduler places tasks on nodes that cannot hold them, and limits alone do not keep a node from being overcommitted.',
    fix: '`deploy: {resources: {limits: {cpus: "1.0", memory: 512m, pids: 256}, reservations: {cpus: "0.25", memory: 128m}}}`.',
  },
  'SW-08': {
    severity: 'high',
    title: 'Image every node cannot run reproducibly',
    why: 'Swarm ignores `build`: each node pulls the image by name, so a service without `image`, or with an untagged or `:latest` one, runs whatever each node happens to have.',
    fix: 'Build and push a tagged image (`scripts/push.sh` with `--registry`), then `image: registry.example.com/team/app:${APP_VERSION:-0.1.0}`.',
  },
} as const satisfies Record<string, Rule>;

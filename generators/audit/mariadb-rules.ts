import type { Severity } from './types.js';

/**
 * MariaDB and MySQL services (MD-xx: this tool's ids, shaped like the checklist's PG-xx). A published
 * port is PG-06 and a non-internal network CP-18, as for every database.
 */
export const MARIADB_RULES = {
  'MD-01': {
    severity: 'medium',
    title: 'MariaDB/MySQL image not pinned to a release series',
    why: 'The data files and the upgrade path depend on the server\'s release series: a tag without one (`mariadb:latest`, `mariadb:lts`, `mysql:oracle`) moves to a series whose files an older one cannot open, and a downgrade is not supported.',
    fix: 'Pin the series: `image: ${MARIADB_IMAGE:-mariadb:11.4}` (or `mysql:8.4`); a digest pins it fully.',
  },
  'MD-02': {
    severity: 'high',
    title: 'MariaDB/MySQL password not from a secret file',
    why: 'Given as `MARIADB_PASSWORD` / `MARIADB_ROOT_PASSWORD` (or the `MYSQL_*` names) a password is in the environment (`docker inspect`, every process); setting a variable and its `_FILE` twin is refused by the entrypoint, and a `_FILE` path that is not a mounted secret leaves the server without it.',
    fix: '`MARIADB_PASSWORD_FILE: /run/secrets/db_password` and `MARIADB_ROOT_PASSWORD_FILE: /run/secrets/db_root_password`, both listed under the service\'s `secrets:` and defined at the top level with `file: ./secrets/<name>`; no `MARIADB_PASSWORD` or `MARIADB_ROOT_PASSWORD`.',
  },
  'MD-03': {
    severity: 'high',
    title: 'MariaDB/MySQL root without a password',
    why: '`MARIADB_ALLOW_EMPTY_ROOT_PASSWORD` (`MYSQL_ALLOW_EMPTY_PASSWORD`) creates a root account anyone who reaches the port can use: every database, every grant.',
    fix: 'Remove it and give root a password from a file: `MARIADB_ROOT_PASSWORD_FILE: /run/secrets/db_root_password` (or `MARIADB_RANDOM_ROOT_PASSWORD: "1"`).',
  },
  'MD-04': {
    severity: 'high',
    title: 'MariaDB/MySQL data not in a named volume at /var/lib/mysql',
    why: 'The image declares `VOLUME /var/lib/mysql`: without a named volume there the data lands in an anonymous volume that `docker compose down -v`, a recreate or a prune loses.',
    fix: '`volumes: ["db-data:/var/lib/mysql"]` with top-level `volumes: {db-data: {}}`.',
  },
  'MD-05': {
    severity: 'medium',
    title: 'MariaDB/MySQL healthcheck missing or probing the socket',
    why: 'On first start the entrypoint runs a temporary server with networking off: a probe over the unix socket (`mysqladmin ping` without a host, or with `-h localhost`, which MySQL clients read as the socket) reports healthy before the real server listens, and services waiting for `service_healthy` get "connection refused". Without a healthcheck they cannot wait at all.',
    fix: '`test: ["CMD-SHELL", "MYSQL_PWD=\\"$$(cat /run/secrets/db_password)\\" mariadb-admin ping --host=127.0.0.1 --protocol=tcp --user=\\"$$MARIADB_USER\\" --silent"]` (or the official image\'s `healthcheck.sh --connect --innodb_initialized`).',
  },
  'MD-06': {
    severity: 'low',
    title: 'MariaDB/MySQL stop window too short',
    why: 'Docker kills the container 10 s after SIGTERM by default; InnoDB still flushing its buffer pool is then stopped uncleanly and runs crash recovery on the next start.',
    fix: '`stop_grace_period: 60s` on the database service.',
  },
  'MD-07': {
    severity: 'medium',
    title: 'Hardening the MariaDB/MySQL entrypoint does not survive',
    why: 'With `read_only: true` the server cannot create its socket and pid file without a tmpfs at /run/mysqld; with `cap_drop: [ALL]` the entrypoint started as root cannot chown the data directory and switch to the mysql user.',
    fix: 'Run as the image\'s own user, `user: "999:999"` (the named volume inherits its owner), with `read_only: true`, `tmpfs: ["/run/mysqld", "/tmp"]` and `cap_drop: [ALL]`; or, started as root, `cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID]`.',
  },
} as const satisfies Record<string, { severity: Severity; title: string; why: string; fix: string }>;

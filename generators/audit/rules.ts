import type { Finding, Rule, Severity } from './types.js';
import { SWARM_RULES } from './swarm-rules.js';
import { DJANGO_RULES } from './django-rules.js';
import { PROXY_RULES } from './proxy-rules.js';
import { MARIADB_RULES } from './mariadb-rules.js';
import { COMPOSE_RULES } from './compose-rules.js';
import { CI_RULES } from './ci-rules.js';
import { DEV_RULES } from './dev-rules.js';
import { K8S_RULES } from './k8s-rules.js';

/**
 * Every rule the audit can report, once. Ids DF/CP/PG/SH/EV/DI are those of
 * shared/docs/hardening-checklist.md; PI-xx are this tool's own for what the checklist lacks.
 * Modules build findings with `finding(id, ...)` and never repeat the text below.
 */
export type { Rule };

const REGENERATE = 'or regenerate it: `npx create-pyimage update` in a project create-pyimage generated, `npx create-pyimage --force` otherwise';

export const RULES = {
  // ---------------------------------------------------------------- Dockerfile
  'DF-03': {
    severity: 'high',
    title: 'Base image not pinned',
    why: 'An untagged or `:latest` image changes under you: builds stop being reproducible and a new upstream release can break or compromise the image without any change in your repository.',
    fix: 'Pin an explicit release tag, e.g. `ARG PYTHON_IMAGE=python:3.12-slim-bookworm` then `FROM ${PYTHON_IMAGE} AS runtime` (add `@sha256:<digest>` for full reproducibility); never `--platform` in FROM.',
  },
  'DF-04': {
    severity: 'medium',
    title: 'Multi-stage build missing or inconsistent',
    why: 'Without a separate builder stage, compilers, caches and sources end up in the image you run; a `COPY --from` that names a later or unknown stage pulls an image from a registry instead.',
    fix: 'Use two stages: `FROM ${PYTHON_IMAGE} AS builder` (build the venv/wheels) and `FROM ${PYTHON_IMAGE} AS runtime` with `COPY --from=builder /opt/venv /opt/venv`; ' + REGENERATE + '.',
  },
  'DF-05': {
    severity: 'high',
    title: 'Build toolchain in the runtime image',
    why: 'Compilers, headers and VCS tools in the image you run enlarge the attack surface (an intruder can build and fetch tools) and the image size, and are never needed at run time.',
    fix: 'Install build-essential/gcc/cmake/git/*-dev only in the `builder` stage and copy the result: `COPY --from=builder /opt/venv /opt/venv`. The runtime stage installs only run-time libraries (e.g. `libpq5`).',
  },
  'DF-06': {
    severity: 'high',
    title: 'Image runs as root',
    why: 'A process running as root inside the container is root on the host if it escapes, and can rewrite the application and its libraries.',
    fix: 'Create a numeric user and switch to it at the end of the last stage:\n`RUN useradd --no-log-init --system --uid 10001 --user-group --shell /usr/sbin/nologin app`\n`USER 10001:10001`',
  },
  'DF-07': {
    severity: 'low',
    title: 'Runtime user not created deterministically',
    why: '`useradd` without `--no-log-init` and a high UID writes a huge sparse /var/log/faillog; a name or low UID may collide with the host.',
    fix: '`RUN useradd --no-log-init --system --uid 10001 --user-group --shell /usr/sbin/nologin app`',
  },
  'DF-08': {
    severity: 'medium',
    title: 'No usable HEALTHCHECK in the image',
    why: 'Without a health check Docker reports a hung or crash-looping server as "running", and `depends_on: condition: service_healthy` or `up --wait` cannot work.',
    fix: 'In the last stage (slim images have no curl):\n`HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\', timeout=3)"]`',
  },
  'DF-09': {
    severity: 'low',
    title: 'CMD/ENTRYPOINT not in exec form',
    why: 'Shell form runs the server under `/bin/sh -c`, which does not forward SIGTERM: `docker stop` waits and then kills it without a clean shutdown.',
    fix: 'Use JSON exec form with one CMD: `CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]`.',
  },
  'DF-10': {
    severity: 'medium',
    title: 'ADD used where COPY serves',
    why: '`ADD` silently extracts archives and fetches URLs without verification; `COPY` does exactly one predictable thing.',
    fix: 'Replace `ADD src dest` with `COPY src dest`; for a remote artifact use `ADD --checksum=sha256:<hex> https://... dest`.',
  },
  'DF-11': {
    severity: 'medium',
    title: 'apt-get hygiene',
    why: 'Recommended packages and stale package lists bloat every layer; `apt-get update` in a separate layer is cached and installs outdated packages; `apt` is not meant for scripts.',
    fix: '`RUN apt-get update && apt-get install -y --no-install-recommends <pkgs> && rm -rf /var/lib/apt/lists/*` (one RUN; `apt-get`, never `apt`; no dist-upgrade).',
  },
  'DF-12': {
    severity: 'medium',
    title: 'pip hygiene',
    why: 'Unpinned packages make each build install whatever is newest (supply-chain and breakage risk); a pip cache in a layer wastes space; `--trusted-host` or http indexes disable TLS verification.',
    fix: 'Install from a pinned file: `RUN pip install --no-cache-dir -r requirements.txt` (pins `pkg==ver`, ideally `--require-hashes`), or pin inline `pip install --no-cache-dir "pkg==1.2.3"`.',
  },
  'DF-13': {
    severity: 'medium',
    title: 'Pipeline can hide failures / unverified download',
    why: 'Under `/bin/sh -c` a failing command before `|` does not fail the build; `curl | sh` runs unreviewed code; `-k`/`--no-check-certificate` disables TLS checks.',
    fix: 'Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before RUNs with pipes; download to a file, verify its checksum, then run it.',
  },
  'DF-14': {
    severity: 'critical',
    title: 'Secret baked into the image',
    why: 'ARG and ENV values are stored in the image metadata and history (`docker history`, `docker inspect`); copied key or .env files stay in a layer even if deleted later. Anyone who can pull the image has the secret.',
    fix: 'Pass build-time secrets with `RUN --mount=type=secret,id=token ...` and run-time secrets as compose file secrets (`/run/secrets/<name>`, or `<NAME>_FILE=/run/secrets/<name>`); never COPY .env, keys or secrets/.',
  },
  'DF-15': {
    severity: 'low',
    title: 'Relative WORKDIR or `cd` in RUN',
    why: 'Relative WORKDIRs depend on the previous instruction; `cd` in RUN does not persist and hides where commands run.',
    fix: 'Use an absolute `WORKDIR /app` and run commands from it.',
  },
  'DF-16': {
    severity: 'medium',
    title: 'Privilege helper or interactive tool in the image',
    why: 'sudo, sshd and interactive tools (vim, curl/wget when not needed at run time, ssh) give an intruder ready-made tools and are not needed to run a web service.',
    fix: 'Remove them from the runtime stage; use `docker compose exec` for debugging and `python -c "urllib.request..."` for health checks.',
  },
  'DF-17': {
    severity: 'low',
    title: 'setuid/setgid binaries left in the image',
    why: 'A setuid or setgid program (su, passwd, mount...) is a ready-made way back to root for a compromised process; a web service needs none of them (CIS 4.8).',
    fix: 'In the last stage, after installing packages: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.',
  },
  'DF-18': {
    severity: 'medium',
    title: 'Code writable by the runtime user',
    why: 'When the user the server runs as owns the code or the virtualenv, an intruder can rewrite them and the change survives restarts of the process.',
    fix: 'Copy code and venv as root (`COPY . /app`, no `--chown`); give the runtime user only the few paths it must write: `RUN install -d -o 10001 -g 10001 /app/data` or a tmpfs/volume.',
  },
  'DF-19': {
    severity: 'low',
    title: 'Python runtime environment not set',
    why: 'Without `PYTHONUNBUFFERED=1` log lines sit in a buffer and are lost when the container crashes; without `PYTHONDONTWRITEBYTECODE=1` Python tries to write .pyc files into a read-only image; a venv not on PATH runs the wrong interpreter.',
    fix: 'In the last stage: `ENV PATH="/opt/venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1`.',
  },
  'DF-20': {
    severity: 'medium',
    title: 'Server bind address or port wrong for a container',
    why: 'A server bound to 127.0.0.1 inside the container cannot be reached through the published port; a port below 1024 needs root; an EXPOSE that differs from the port misleads readers and tools.',
    fix: 'Bind all interfaces inside the container on an unprivileged port and EXPOSE it: `CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]` / gunicorn `--bind 0.0.0.0:8000`, `EXPOSE 8000` (host exposure is limited by the compose port binding, CP-14).',
  },
  'DF-21': {
    severity: 'low',
    title: 'gunicorn heartbeat not on tmpfs',
    why: 'gunicorn workers touch a heartbeat file every few seconds; in a container /tmp is on the overlay filesystem (slow fchmod stalls workers) or read-only, and workers get killed as "timed out".',
    fix: 'Add `--worker-tmp-dir /dev/shm` to the gunicorn command (or `worker_tmp_dir = "/dev/shm"` in gunicorn.conf.py).',
  },
  'DF-22': {
    severity: 'medium',
    title: 'Proxy headers trusted from everyone',
    why: '`--forwarded-allow-ips "*"` lets any client forge X-Forwarded-For/Proto: spoofed client IPs in logs and rate limits, and http treated as https.',
    fix: 'Leave the default (127.0.0.1) or list the real proxy addresses: `--forwarded-allow-ips 10.0.0.5`.',
  },

  ...COMPOSE_RULES,

  // ---------------------------------------------------------------- scripts
  'SH-01': {
    severity: 'low',
    title: 'Script shebang or mode',
    why: 'Without a bash shebang the script runs under whatever shell invokes it; bash features then fail in odd ways.',
    fix: 'First line `#!/usr/bin/env bash`; `chmod 755 script.sh`.',
  },
  'SH-02': {
    severity: 'high',
    title: 'Script without strict mode',
    why: 'Without `set -euo pipefail` a failed command, an unset variable or a failing pipeline stage is ignored and the script carries on with wrong state (e.g. `rm -rf "$DIR/"` with DIR empty).',
    fix: 'Right after the shebang: `set -Eeuo pipefail` (then `IFS=$\'\\n\\t\'`).',
  },
  'SH-03': {
    severity: 'low',
    title: 'No error trap or cleanup trap',
    why: 'Without an ERR trap a failing script stops without saying which line or command failed; a temporary file made with `mktemp` and no EXIT trap is left behind on every failure.',
    fix: '`trap \'on_error "$?" "${LINENO}" "${BASH_COMMAND}"\' ERR` (single quotes: expanded when it fires) and `trap cleanup EXIT` when the script makes temporary files.',
  },
  'SH-04': {
    severity: 'low',
    title: 'Word splitting not restricted',
    why: 'With the default IFS an unquoted expansion is split on spaces too; `IFS=$\'\\n\\t\'` limits the damage of a quoting mistake.',
    fix: 'Right after `set -Eeuo pipefail`: `IFS=$\'\\n\\t\'`, and keep argument lists in arrays expanded as `"${args[@]}"`.',
  },
  'SH-05': {
    severity: 'medium',
    title: 'ShellCheck finding',
    why: 'Unquoted expansions are split on spaces and glob-expanded: a path with a space or `*` turns into several arguments or other files.',
    fix: 'Quote every expansion: `"$var"`, `"${arr[@]}"`, `"$(cmd)"`.',
  },
  'SH-06': {
    severity: 'low',
    title: 'ShellCheck optional check',
    why: 'ShellCheck\'s optional checks catch what `set -e` silently ignores (functions in conditions, masked return values in `$(...)`) and enforce braces and default cases.',
    fix: 'Follow the ShellCheck suggestion (`shellcheck -o check-set-e-suppressed,check-extra-masked-returns,require-variable-braces,quote-safe-variables,add-default-case,avoid-nullary-conditions`).',
  },
  'SH-07': {
    severity: 'medium',
    title: 'Script depends on the current directory',
    why: 'Relative paths (`docker compose` without `-f`, `./file`, `source lib.sh`) resolve against wherever the user runs the script from: the same script acts on another project or fails.',
    fix: 'Start with `cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1` (or build absolute paths from `${BASH_SOURCE[0]}`).',
  },
  'SH-08': {
    severity: 'low',
    title: 'Legacy or non-portable command',
    why: '`docker-compose` (v1) is end-of-life and behaves differently; `which` is not portable.',
    fix: 'Use `docker compose` and `command -v`.',
  },
  'SH-09': {
    severity: 'high',
    title: 'Dangerous construct in script',
    why: 'World-writable files (`chmod 777`), `eval`, `curl | sh`, `sudo` and root/privileged `docker exec` let any local user or injected input take over.',
    fix: 'Give the owner what it needs (`chmod 755` for programs, `chmod 640`/`600` for data), run as the image user, and never pipe downloads into a shell.',
  },
  'SH-10': {
    severity: 'high',
    title: 'Secret file written unsafely',
    why: 'A secret written without `umask 077` is readable by every local user for a moment or for good; `$RANDOM` or the date are guessable; `set -x` prints it to the terminal and CI logs.',
    fix: 'In a subshell: `(umask 077; mkdir -p secrets; head -c 32 /dev/urandom | base64 > secrets/db_password)`, only when the file does not exist yet, with no `set -x`.',
  },
  'SH-11': {
    severity: 'medium',
    title: 'Unsafe interactive prompt',
    why: '`read` without `-r` mangles backslashes; an answer that is not validated (anything but an explicit yes/no) proceeds with a destructive action; prompts hang in CI.',
    fix: '`read -r -p "Continue? [y/N] " answer; case "${answer}" in [yY]|[yY][eE][sS]) ;; *) echo "aborted" >&2; exit 1 ;; esac` (and a `--yes` flag for non-interactive use).',
  },

  // ---------------------------------------------------------------- .env / .dockerignore
  'EV-01': {
    severity: 'low',
    title: 'Env template incomplete or stale',
    why: 'A variable compose uses but .env.example does not list is undocumented and easy to miss on a new machine; a key nothing uses misleads whoever edits it.',
    fix: 'List every variable the compose files interpolate in .env.example (with a safe default and a comment), and remove keys nothing reads.',
  },
  'EV-02': {
    severity: 'high',
    title: 'Real secret in a committed env template',
    why: '.env.example is committed and shared: a real password or token in it is leaked to everyone with the repository.',
    fix: 'Leave the value empty or a placeholder (`DB_PASSWORD=` / `<set-me>`) and keep the real value in `secrets/<name>` (git-ignored).',
  },
  'EV-03': {
    severity: 'low',
    title: 'Env file line compose may misread',
    why: 'Compose\'s env-file parser does not understand `export`, spaces around `=`, or unquoted values with spaces/`#`: the variable silently gets a different value.',
    fix: 'One `KEY=value` per line, key `[A-Z_][A-Z0-9_]*`, no `export`, values with spaces or `#` in quotes.',
  },
  'EV-04': {
    severity: 'medium',
    title: 'Unsafe default in the env template',
    why: 'Whoever copies .env.example gets its values: a bind address of 0.0.0.0 publishes the service to the network, a root or low UID maps onto a host account, an unpinned image moves under you.',
    fix: '`APP_BIND_IP=127.0.0.1`, UIDs/GIDs >= 10000, images with an explicit tag (`POSTGRES_IMAGE=postgres:17-bookworm`), `RENDER_GID=` left empty.',
  },
  'EV-05': {
    severity: 'high',
    title: '.env or secrets not ignored',
    why: 'A `.env` not excluded by .dockerignore is part of the build context: `COPY . .` bakes its secrets into an image layer; one not in .gitignore is one `git add .` away from being committed.',
    fix: 'Add to .dockerignore:\n```\n**/.env\n**/.env.*\n!.env.example\nsecrets/\n```\nand to .gitignore: `.env` and `secrets/`.',
  },
  'DI-01': {
    severity: 'medium',
    title: '.dockerignore missing or incomplete',
    why: 'Everything not excluded is sent to the daemon and can be copied into the image: VCS history, virtualenvs, caches and secrets.',
    fix: 'Exclude at least `**/.git`, `**/.env`, `**/.env.*`, `secrets/`, `**/.venv`, `**/__pycache__`, `**/*.pem`, `**/*.key` (' + REGENERATE + ').',
  },
  'DI-02': {
    severity: 'medium',
    title: '.dockerignore negation re-includes sensitive files',
    why: 'A `!pattern` after an exclusion puts the files back into the build context.',
    fix: 'Only re-include what the build needs (e.g. `!.env.example`), never `.env`, keys or secrets/.',
  },

  // ---------------------------------------------------------------- own rules (not in the checklist)
  'PI-01': {
    severity: 'high',
    title: 'pip overrides the system package manager',
    why: '`--break-system-packages` (PEP 668) installs over the distribution\'s Python packages: apt-managed tools can break and the next `apt-get` may clobber your packages.',
    fix: 'Create a virtual environment and install there: `RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt` with `ENV PATH=/opt/venv/bin:$PATH`.',
  },
  'PI-02': {
    severity: 'medium',
    title: 'pip installs into the system interpreter of the runtime image',
    why: 'Packages land in the system site-packages next to whatever the base image ships, as root and in the runtime layer; a venv built in a builder stage keeps the runtime image minimal and reproducible.',
    fix: 'Build a venv in the builder stage (`python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt`) and `COPY --from=builder /opt/venv /opt/venv` into the runtime stage.',
  },
  'PI-03': {
    severity: 'high',
    title: 'World-writable permissions in the image',
    why: '`chmod 777`/`a+rwx` lets any user in the container (or any process after a compromise) rewrite the files, including code that runs later as another user.',
    fix: 'Own the few writable paths by the runtime user and keep code read-only: `RUN install -d -o 10001 -g 10001 -m 0750 /app/data`.',
  },
  'PI-04': {
    severity: 'medium',
    title: 'Long script inlined in the Dockerfile with a heredoc',
    why: 'A script written with `RUN cat > file <<EOF` cannot be linted (ShellCheck), tested or reviewed as a file, escaping is fragile, and the heredoc needs a recent Dockerfile frontend.',
    fix: 'Keep the script as a file in the repository (e.g. `scripts/entrypoint.sh`, with `set -Eeuo pipefail`) and `COPY --chmod=0755 scripts/entrypoint.sh /usr/local/bin/entrypoint.sh`.',
  },
  'PI-05': {
    severity: 'medium',
    title: 'Proxy variable hard-coded',
    why: 'A committed proxy URL only works on the machine it came from; inside a container `127.0.0.1` is the container itself, so every outbound request fails; it also leaks the internal network layout.',
    fix: 'Do not commit proxy settings: leave `HTTP_PROXY=` empty in .env.example, pass it through with `HTTP_PROXY: ${HTTP_PROXY:-}`, and use `docker build --build-arg HTTP_PROXY` (a predefined ARG, not stored in the image) for builds.',
  },
  'PI-06': {
    severity: 'medium',
    title: 'Same variable set to different values in .env and compose',
    why: 'The literal in compose `environment:` wins over the .env value, so editing .env silently has no effect and nobody knows which value runs.',
    fix: 'Keep the value in one place: in compose write `LOG_LEVEL: ${LOG_LEVEL:-INFO}` and set it in .env.',
  },
  'PI-07': {
    severity: 'low',
    title: 'Several log file paths for one service',
    why: 'Logs split across several files (or files that nobody rotates) are lost or missed while debugging; in a container logs belong on stdout/stderr.',
    fix: 'Log to stdout/stderr and let the compose `logging:` driver rotate; if a file is required, define its path once (e.g. `LOG_FILE` in .env) and reference it everywhere.',
  },
  'PI-08': {
    severity: 'high',
    title: 'File cannot be parsed',
    why: 'Docker or compose will reject this file (or read it differently from what you meant); no other check could run on it.',
    fix: 'Fix the syntax error at the reported line (' + REGENERATE + ').',
  },
  'PI-09': {
    severity: 'high',
    title: 'The program CMD runs is not installed in the image',
    why: 'The container starts by executing a program that no dependency provides: it exits at once with `exec: "gunicorn": executable file not found` and restarts in a loop, while every static check looks fine.',
    fix: 'Add the package to the dependency file the Dockerfile installs (e.g. `gunicorn` to requirements.txt), or re-run `npx create-pyimage`, which installs a pinned one.',
  },
  'PI-10': {
    severity: 'low',
    title: 'Ignore that no longer applies',
    why: 'An ignore that matches no finding, or has expired, silences nothing today but will hide the next real finding at that place; expired ignores are due for a decision.',
    fix: 'Delete the ignore, or renew it with a current reason and a new `expires:` date.',
  },
  ...SWARM_RULES,
  ...K8S_RULES,
  ...DJANGO_RULES,
  ...PROXY_RULES,
  ...MARIADB_RULES,
  ...CI_RULES,
  ...DEV_RULES,
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function finding(
  ruleId: RuleId,
  file: string,
  line: number,
  message: string,
  extra: { fix?: string; severity?: Severity } = {},
): Finding {
  const rule: Rule = RULES[ruleId];
  return {
    ruleId,
    severity: extra.severity ?? rule.severity,
    file,
    line,
    message,
    why: rule.why,
    fix: extra.fix ?? rule.fix,
  };
}

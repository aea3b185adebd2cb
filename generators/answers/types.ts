/**
 * The one typed answers object. Everything downstream (render, write, engine, audit, update)
 * reads this and nothing else; `schema.ts` describes how each field is asked, flagged and validated.
 */
export type Framework = 'fastapi' | 'flask' | 'asgi' | 'wsgi' | 'django';
export type DependencySource = 'requirements' | 'pip-pyproject' | 'uv';
export type Migrations = 'none' | 'alembic' | 'flask-db' | 'django' | 'custom';
export type Gpu = 'none' | 'render' | 'nvidia';
export type PythonVersion = '3.10' | '3.11' | '3.12' | '3.13';
export type Server = 'gunicorn' | 'uvicorn';
/** The database service: a module of the stack (generators/stack/modules). */
export type Database = 'none' | 'postgres' | 'mariadb';
/** The MySQL driver the app imports: it decides `{db.url}`'s scheme and the image's client library. */
export type MysqlDriver = 'pymysql' | 'mysqlclient';
/** The front door: a reverse proxy that terminates HTTPS ('none': the app publishes its own port). */
export type Proxy = 'none' | 'caddy';
/** Who serves Django's collected static files behind the proxy: the proxy from a shared volume, or the app (WhiteNoise). */
export type StaticFiles = 'app' | 'proxy';
/** Where deploy/k8s runs the database: a StatefulSet, or a managed one outside the cluster. */
export type KubeDb = 'in-cluster' | 'external';

export interface Answers {
  /** Compose project and image name: lowercase letters, digits and dashes. */
  name: string;
  pythonVersion: PythonVersion;
  framework: Framework;
  /** `module:attribute`, or a factory call `module:create_app()`. */
  appModule: string;
  /** The server in CMD: gunicorn (WSGI, or ASGI with uvicorn workers) or uvicorn (ASGI). */
  server: Server;
  /** The project's dependencies lack the server: the image installs a pinned one. */
  installServer: boolean;
  /** Django: the folder holding manage.py, relative to the project ('' for the root). */
  djangoDir: string;
  /** Directories the app imports from besides /app (e.g. "src" for a src layout not installed by pip). */
  pythonPath: string;
  port: number;
  healthPath: string;
  deps: DependencySource;
  /** The requirements file (deps=requirements), relative to the project. */
  requirementsFile: string;
  /** `--postgres`: kept as the alias of `database: postgres` (answers files and manifests hold it). */
  postgres: boolean;
  /** Which database the stack runs ('none': no database). */
  database: Database;
  /** With `database: mariadb`: PyMySQL (pure Python) or mysqlclient (builds against libmariadb). */
  mysqlDriver: MysqlDriver;
  postgresVersion: number;
  migrations: Migrations;
  /** The migration command when migrations=custom. */
  migrateCommand: string;
  /** Django: run `manage.py collectstatic` at build time (STATIC_ROOT is set) and ship the result. */
  collectStatic: boolean;
  /** Background worker command; empty = no worker. */
  worker: string;
  /** A Redis service (broker/cache), password from a file secret, internal network only. */
  redis: boolean;
  /** The reverse proxy in front of the app (the only published service when set). */
  proxy: Proxy;
  /** Names the proxy serves (hostnames or IPs); empty = localhost with the internal CA. */
  domains: string[];
  /** ACME account e-mail for Let's Encrypt (public domains only); empty = none. */
  acmeEmail: string;
  /** With the proxy and Django's collectstatic: 'proxy' serves STATIC_URL from a read-only volume; 'app' leaves it to the app. */
  staticFiles: StaticFiles;
  /** Settings for app, worker and migrate: `NAME=VALUE`, VALUE may hold placeholders ({db.url}, {secret.NAME}, ...). */
  env: string[];
  /** Absolute paths in the container the app writes at run time; each is a named volume. */
  stateDirs: string[];
  /** Compile against libpq in the builder (psycopg2 from source, psycopg 3) and ship libpq5 at run time. */
  libpq: boolean;
  /** Give the builder a C compiler for packages that have no wheel. */
  nativeBuild: boolean;
  gpu: Gpu;
  /** Services given the GPU override, comma-separated in canonical order: "app", "worker" or "app,worker". */
  gpuServices: string;
  /** Docker CPU limit for the app, e.g. "1.0". */
  cpus: string;
  /** Docker memory limit for the app, e.g. "512m". */
  memory: string;
  /** Add `# syntax=docker/dockerfile:1` (pulls a frontend image, so off by default: DF-02 amendment). */
  dockerfileSyntax: boolean;
  /** Registry prefix for the Swarm stack's image names (e.g. "registry.example.com:5000/team"); empty = local images. */
  registry: string;
  /** The pipeline written for the project: GitHub Actions, GitLab CI or none. */
  ci: 'github' | 'gitlab' | 'none';
  /** What the Dockerfile's dev stage adds: a requirements file, or the pyproject extra / uv group name; '' = none. */
  devDeps: string;
  /** compose.dev.yml starts the app under debugpy (127.0.0.1 of the host only). */
  debugger: boolean;
  /** The namespace of deploy/k8s (a DNS label). */
  kubeNamespace: string;
  /** Where deploy/k8s runs the database; `externalDb` is its boolean alias (--external-db). */
  kubeDb: KubeDb;
  externalDb: boolean;
  /** A HorizontalPodAutoscaler for the app. */
  kubeHpa: boolean;
  /** An Ingress for the --domain names; with a cert-manager ClusterIssuer (empty: none) it gets TLS. */
  kubeIngress: boolean;
  kubeCertIssuer: string;
  /** The extended resource a render GPU is requested by on Kubernetes (the device plugin's name). */
  kubeGpuResource: string;
}

export type AnswerKey = keyof Answers;

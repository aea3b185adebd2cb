/**
 * The stack model and the service-module interface. See ./index.ts for how to add a module.
 */
import type { AnswerKey, Answers } from '../answers/types.js';
import type { EndpointKey, Placeholder, ServiceFamily } from '../answers/placeholders.js';
import type { StackView } from './view.js';

/** How Swarm runs a service: rolling (replicated, start-first), stateful (one pinned task), job (runs once). */
export type Role = 'rolling' | 'stateful' | 'job';
/** A service definition as docker-compose.yml holds it (built as data, serialised by `yaml`). */
export type ComposeService = Record<string, unknown>;

/** What a placeholder family resolves against: the service's address, account and password secret. */
export interface Endpoint {
  family: ServiceFamily['family'];
  /** The URL scheme `{family.url}` uses. */
  scheme: string;
  host: string;
  port: number;
  /** '' for services without a user (Redis): the URL then has an empty user before the password. */
  user: string;
  /** The database name or number (the URL's path). */
  name: string;
  /** The secret file (secrets/<secret>) that holds the password. */
  secret: string;
  /** What `{family.url}` becomes at build time (collectstatic), when the value is nothing but the URL. */
  buildUrl: string;
  /** What a URL placeholder inside other text becomes at build time. */
  buildUrlInText: string;
}

/** One part of a resolved setting: text, a plain fact of a service, or a secret filled at start. */
export type EnvRef =
  | { kind: 'text'; text: string }
  | { kind: 'fact'; placeholder: string; value: string; buildValue: string }
  | { kind: 'secret'; placeholder: string; secret: string; inUrl: boolean; buildValue: string }
  | { kind: 'url'; placeholder: string; endpoint: Endpoint; buildValue: string };

/** One app setting (--env NAME=VALUE) with its placeholders resolved to typed references. */
export interface EnvSetting {
  name: string;
  /** The value as the user wrote it. */
  raw: string;
  refs: EnvRef[];
  /** Secret files the value reads at start. */
  secrets: string[];
  /** The value for compose: literal `$` doubled, secrets as entrypoint tokens. */
  value: string;
  /** The throw-away value Django's build-time collectstatic gets. */
  buildValue: string;
}

/** A compose comment a module attaches to a key (path from the document root). */
export interface ComposeComment {
  path: string[];
  text: string;
}

/** A variable docker-compose.yml interpolates, with the safe default .env.example documents. */
export interface ComposeVariable {
  name: string;
  value: string;
  comment: string;
}

/**
 * A smoke step as data: which service it probes and what it expects. The engine turns these into
 * runnable steps (generators/engine); a module never runs a process itself.
 */
export type SmokeCheck =
  /** `compose exec -T <service> sh -c <script>`; stdout (trimmed) must equal `expect`. */
  | { kind: 'exec'; script: string; expect: string }
  /** The one-shot service exited 0. */
  | { kind: 'exited-zero' }
  /** The service is running and healthy (or has no healthcheck). */
  | { kind: 'running' }
  /** Redis-style: without the password the service refuses, with the secret it answers. */
  | { kind: 'auth-required'; anonymous: string; authenticated: string; refused: RegExp; answer: string }
  /** A client connection from another service shows up in the service's client list. */
  | { kind: 'client-from'; from: string; script: string };

export interface SmokeStepContribution {
  /** The step's name in the smoke report (stable: tests and CI read it). */
  name: string;
  service: string;
  check: SmokeCheck;
  /** What the report says when it passes. */
  passed: string;
}

/** What the audit must find true of this module's service in a generated stack (rule ids of the checklist). */
export interface AuditExpectation {
  service: string;
  /** Checklist rule ids (docs/hardening-checklist.md) the service is held to. */
  rules: string[];
  /** The image reference that selects the rule group (the audit recognises the service by its image). */
  image: RegExp;
}

/** A mirror or stand-in image: the compose variable, the smoke option and flag that set it. */
export interface ImageOverride {
  variable: string;
  /** SmokeOptions key (and `--<flag>` of smoke). */
  option: string;
  flag: string;
  default: string;
}

/** A script the module adds under scripts/ (rendered from templates/<template>). */
export interface ModuleScript {
  name: string;
  /** The template under templates/scripts/ when it is not `<name>.sh.hbs` (a second database's own dump). */
  template?: string;
}

/** System packages the image needs for a module's client library. */
export interface ImagePackages {
  builder: string[];
  runtime: string[];
  /** Why, as the Dockerfile comment says it. */
  builderWhy?: string;
  runtimeWhy?: string;
}

/** The facts a module reads: the answers and what the base stack already decided. */
export interface ModuleContext {
  answers: Answers;
  /** The modules that apply, in service order. */
  active: readonly ServiceModule[];
  /** The --env settings, resolved. */
  settings: readonly EnvSetting[];
  /** Settings app, worker and migrate share (the stack's own and the resolved --env). */
  appEnv: Record<string, string>;
  appSecrets: string[];
  /** depends_on of the services built from our image (backing services, then migrate). */
  runsAfter: Record<string, { condition: string }>;
  /** The backing services' depends_on alone (what migrate waits for). */
  backingRunsAfter: Record<string, { condition: string }>;
  view: StackView;
}

/**
 * A service module: one service of the stack (app, worker, migrate, a database, Redis, a proxy).
 * Everything about it lives here; renderers, the stack projection and smoke loop over the active
 * modules. Only `id`, `kind`, `applies` and `service` are required.
 */
export interface ServiceModule {
  id: string;
  /** 'app': built from the project's image; 'backing': an off-the-shelf service the app uses. */
  kind: 'app' | 'backing';
  /** The compose service name (db, redis, ...). */
  serviceName: string;
  /** When the module is part of the stack. */
  applies: (a: Answers) => boolean;
  /** Its rows in the one option table (generators/answers/schema.ts OPTIONS), by answer key. */
  options: readonly AnswerKey[];
  /** The placeholder family it serves ({db.*}, {redis.*}) and the endpoint those resolve against. */
  endpoint?: (a: Answers) => Endpoint;
  /** Settings it gives app, worker and migrate (e.g. POSTGRES_HOST), before the --env ones. */
  appEnv?: (a: Answers) => Record<string, string>;
  /** Secrets app, worker and migrate mount whatever --env says (e.g. db_password for *_PASSWORD_FILE). */
  appSecrets?: (a: Answers) => string[];
  /** Secret files the stack needs for this service. */
  secrets?: (a: Answers) => string[];
  /** Named volumes it owns. */
  volumes?: (a: Answers) => string[];
  /** How services built from our image wait for it (backing services). */
  readyWhen?: 'service_healthy' | 'service_completed_successfully';
  /** The compose service. */
  service: (ctx: ModuleContext) => ComposeService;
  /** Comments on its compose keys. */
  comments?: (ctx: ModuleContext) => ComposeComment[];
  /** Compose variables (.env.example) it introduces, e.g. its image. */
  variables?: (a: Answers) => ComposeVariable[];
  /** The Swarm role when the shape (a named volume) does not tell. */
  role?: Role;
  /** Image packages for its client library (a driver's C library); asked of every module, active or not. */
  packages?: (a: Answers) => ImagePackages | undefined;
  scripts?: (a: Answers) => ModuleScript[];
  smoke?: (a: Answers) => SmokeStepContribution[];
  audit?: (a: Answers) => AuditExpectation[];
  image?: ImageOverride;
}

/** A service of the model: the module's compose definition and the role Swarm gives it. */
export interface StackService {
  name: string;
  module: ServiceModule;
  compose: ComposeService;
  role: Role;
}

export type { EndpointKey, Placeholder };

/**
 * The stack model: computed once per generate and once per update (`buildStack`). Compose, the
 * Swarm stack, .env.example, the scripts' view and README.Docker.md are projections of it.
 */
export interface StackModel extends StackView {
  /** The modules that apply, in service order (app, worker, migrate, then backing services). */
  modules: readonly ServiceModule[];
  /** The --env settings with their placeholders resolved to typed references. */
  settings: readonly EnvSetting[];
  /** What app, worker and migrate read: the modules' settings, then the --env ones. */
  appEnv: Record<string, string>;
  /** Secrets app, worker and migrate mount. */
  appSecrets: string[];
  services: readonly StackService[];
  /** Named volumes, backing services' first. */
  volumes: string[];
  /** frontend, and backend (internal) when anything besides the app runs. */
  networks: Record<string, Record<string, unknown>>;
  /** Swarm role by service name. */
  roles: Record<string, Role>;
  /** Compose comments, in the order they are attached. */
  comments: ComposeComment[];
  /** Whether a module of this id is active. */
  has: (id: string) => boolean;
}

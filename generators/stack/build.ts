/**
 * buildStack: answers in, the one stack model out. Each active module contributes its service,
 * settings, secrets, volumes and placeholders; the --env values are resolved here, once.
 */
import type { Answers } from '../answers/types.js';
import { envEntries } from '../answers/settings.js';
import { resolveSetting } from './env.js';
import { MODULES, knownRoles } from './modules/index.js';
import { roleOf } from './roles.js';
import type { Endpoint, ImagePackages, ModuleContext, ServiceModule, StackModel, StackService } from './types.js';
import { baseView } from './view.js';

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** depends_on entries for the modules that others wait for. */
function readiness(modules: readonly ServiceModule[]): Record<string, { condition: string }> {
  return Object.fromEntries(modules.filter((m) => m.readyWhen).map((m) => [m.serviceName, { condition: m.readyWhen! }]));
}

/**
 * System packages for client libraries, from every module whether its service runs or not: a
 * driver built against its C library talks to a database outside the stack just as well.
 */
export function modulePackages(a: Answers): ImagePackages[] {
  return MODULES.map((m) => m.packages?.(a)).filter((p) => p !== undefined);
}

/** The modules that apply to these answers, in service order. */
export function activeModules(a: Answers): ServiceModule[] {
  return MODULES.filter((m) => m.applies(a));
}

export function buildStack(a: Answers): StackModel {
  const active = activeModules(a);
  const backing = active.filter((m) => m.kind === 'backing');
  const endpoints = new Map<string, Endpoint>();
  for (const m of active) {
    const endpoint = m.endpoint?.(a);
    if (endpoint) endpoints.set(endpoint.family, endpoint);
  }
  const settings = envEntries(a.env).map((entry) => resolveSetting(entry, endpoints));
  const appSecrets = unique([...active.flatMap((m) => m.appSecrets?.(a) ?? []), ...settings.flatMap((s) => s.secrets)]);
  const secrets = unique([...appSecrets, ...active.flatMap((m) => m.secrets?.(a) ?? [])]).sort();
  const packages = modulePackages(a);
  const view = baseView(a, secrets, settings.some((s) => s.secrets.length > 0), {
    builder: packages.flatMap((p) => p.builder),
    runtime: packages.flatMap((p) => p.runtime),
  });
  const appEnv: Record<string, string> = Object.assign({}, ...active.map((m) => m.appEnv?.(a) ?? {}));
  for (const s of settings) appEnv[s.name] = s.value;
  const backingRunsAfter = readiness(backing);
  const ctx: ModuleContext = {
    answers: a,
    active,
    settings,
    appEnv,
    appSecrets,
    backingRunsAfter,
    runsAfter: { ...backingRunsAfter, ...readiness(active.filter((m) => m.kind === 'app')) },
    view,
  };
  const known = knownRoles();
  const services: StackService[] = active.map((m) => {
    const compose = m.service(ctx);
    return { name: m.serviceName, module: m, compose, role: roleOf(m.serviceName, compose, known) };
  });
  const ids = new Set(active.map((m) => m.id));
  return {
    ...view,
    modules: active,
    settings,
    appEnv,
    appSecrets,
    services,
    volumes: [...backing, ...active.filter((m) => m.kind === 'app')].flatMap((m) => m.volumes?.(a) ?? []),
    networks: { frontend: {}, ...(active.some((m) => m.serviceName !== 'app') ? { backend: { internal: true } } : {}) },
    roles: Object.fromEntries(services.map((s) => [s.name, s.role])),
    comments: active.flatMap((m) => m.comments?.(ctx) ?? []),
    has: (id) => ids.has(id),
  };
}

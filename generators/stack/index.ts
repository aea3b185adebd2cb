/**
 * The stack room: answers in, one typed model out (`buildStack`), computed once per generate and
 * once per update. It sits between answers (which decide) and render (which projects): compose,
 * the Swarm stack, .env.example, the scripts' view and README.Docker.md all read the model, none
 * derives services or settings again. Pure, like render.
 *
 * ## How to add a service module (a second database, a proxy, ...)
 *
 * 1. Write `modules/<id>.ts` exporting a `ServiceModule` (types.ts). Required: `id`, `kind`
 *    ('backing' for an off-the-shelf service), `serviceName` (the compose service), `applies`
 *    (e.g. `(a) => a.database === 'mariadb'`), `options` and `service` (the compose definition,
 *    built as data; reuse LOGGING, SECURITY_OPT, limits and START_INTERVAL_REF from view.ts).
 *    Add what applies:
 *    - `endpoint`: the family it serves (`db`, `redis`) with host, port, user, name, secret and
 *      URL scheme; every `{db.*}` placeholder then resolves against it (answers/placeholders.ts
 *      is the vocabulary: add a family or a key there, never a second parser).
 *    - `appEnv` / `appSecrets`: what app, worker and migrate get whatever --env says.
 *    - `secrets`, `volumes`, `readyWhen` (how the app waits for it), `role` (Swarm), `comments`.
 *    - `variables`: its image variable for .env.example; `image`: the same override for smoke.
 *    - `packages`: system packages for its client library (builder and runtime stage).
 *    - `scripts`: names under templates/scripts/<name>.sh.hbs that render only with it.
 *    - `smoke`: its checks as data (`SmokeStepContribution`); `audit`: the checklist rules its
 *      service is held to.
 * 2. Add it to `MODULES` in modules/index.ts (the order is the service order in compose).
 * 3. Its questions are rows in the one option table (answers/schema.ts OPTIONS): for a database,
 *    a value in DATABASES and the `Database` type (answers/types.ts); list the keys in `options`.
 * 4. Templates and tests: test/generator/stack-model.test.ts checks every module's contract.
 *
 * Rooms: stack imports answers only; render, engine and audit import stack, never the reverse.
 */
export { activeModules, buildStack } from './build.js';
export { modelOf } from './model.js';
export { BUILD_ONLY_SECRET, endpointUrl, secretToken } from './env.js';
export { MODULES, knownRoles } from './modules/index.js';
export type * from './types.js';
export { activeImageOverrides, auditExpectations, imageOverrides, smokeContributions } from './contributions.js';

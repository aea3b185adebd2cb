/**
 * The migration job: the project's image running the migration command once, after the backing
 * services are healthy; the app and worker start only after it exited 0.
 */
import { migrationArgv } from '../../answers/schema.js';
import type { ModuleContext, ServiceModule } from '../types.js';
import { LOGGING, limits } from '../view.js';
import { appLike, secretsKey } from './image.js';

function service(ctx: ModuleContext) {
  const { view, answers: a } = ctx;
  const flaskApp = a.migrations === 'flask-db' && (a.framework === 'flask' || a.framework === 'wsgi') ? { FLASK_APP: a.appModule } : {};
  return {
    ...appLike(view),
    command: view.migrateCommand,
    environment: { ...ctx.appEnv, ...flaskApp },
    ...secretsKey(ctx.appSecrets),
    depends_on: { ...ctx.backingRunsAfter },
    // A one-shot job, not a server: the image's HTTP probe does not apply. The app and worker
    // start only after it exited 0; it is never restarted.
    healthcheck: { disable: true },
    restart: 'no',
    deploy: limits('1.0', '256m', 128),
    logging: LOGGING,
    networks: ['backend'],
  };
}

export const migrate: ServiceModule = {
  id: 'migrate',
  kind: 'app',
  serviceName: 'migrate',
  applies: (a) => migrationArgv(a) !== undefined,
  options: ['migrations', 'migrateCommand'],
  readyWhen: 'service_completed_successfully',
  role: 'job',
  service,
  smoke: () => [{ name: 'migration exited 0', service: 'migrate', check: { kind: 'exited-zero' }, passed: 'migrate exited 0' }],
  audit: () => [{ service: 'migrate', rules: ['CP-03', 'CP-18'], image: /.*/ }],
};

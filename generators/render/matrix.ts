/**
 * Every combination of the answers that change the shape of the output: framework x dependency
 * source x Postgres x worker x GPU x migrations. Tests render, validate and audit all of them.
 */
import type { Answers } from '../answers/types.js';
import { crossValidate } from '../answers/schema.js';

export const BASE_ANSWERS: Answers = {
  name: 'demo-service',
  pythonVersion: '3.12',
  framework: 'fastapi',
  appModule: 'main:app',
  port: 8000,
  healthPath: '/health',
  deps: 'requirements',
  requirementsFile: 'requirements.txt',
  postgres: false,
  postgresVersion: 17,
  migrations: 'none',
  migrateCommand: '',
  worker: '',
  libpq: false,
  nativeBuild: false,
  gpu: 'none',
  cpus: '1.0',
  memory: '512m',
  dockerfileSyntax: false,
  registry: '',
};

export function answersFor(overrides: Partial<Answers>): Answers {
  const answers = { ...BASE_ANSWERS, ...overrides };
  crossValidate(answers);
  return answers;
}

export function allAnswerCombinations(): Answers[] {
  const out: Answers[] = [];
  const frameworks = [
    { framework: 'fastapi', appModule: 'main:app' },
    { framework: 'flask', appModule: 'app:create_app()' },
    { framework: 'asgi', appModule: 'service.api:application' },
    { framework: 'wsgi', appModule: 'service.wsgi:application' },
  ] as const;
  for (const fw of frameworks) {
    for (const deps of ['requirements', 'pip-pyproject', 'uv'] as const) {
      for (const postgres of [false, true]) {
        const migrations = postgres ? (['none', 'alembic', 'flask-db', 'custom'] as const) : (['none'] as const);
        for (const migration of migrations) {
          for (const worker of ['', 'python -m service.worker --queue default']) {
            for (const gpu of ['none', 'render', 'nvidia'] as const) {
              out.push(
                answersFor({
                  ...fw,
                  deps,
                  postgres,
                  libpq: postgres,
                  migrations: migration,
                  migrateCommand: migration === 'custom' ? 'python -m service.migrate' : '',
                  worker,
                  gpu,
                  // Vary the rest across the matrix so every Python and Postgres major is rendered too.
                  pythonVersion: (['3.10', '3.11', '3.12', '3.13'] as const)[out.length % 4]!,
                  postgresVersion: [13, 14, 15, 16, 17, 18][out.length % 6]!,
                }),
              );
            }
          }
        }
      }
    }
  }
  return out;
}

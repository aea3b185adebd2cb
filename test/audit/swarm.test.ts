/** The audit of Docker Swarm stack files: CP ids where Swarm behaves like compose, SW ids where it differs. */
import { describe, expect, it } from 'vitest';
import { auditFiles, classify, RULES } from '../../generators/audit/index.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';

/** A stack file written like a compose file, with a marker comment on each line a rule must hit. */
const BAD_STACK = `version: "3.8"
services:
  web:
    image: shop-web:latest              # SW-08
    build: .                            # SW-01
    ports:
      - "127.0.0.1:8000:8000"           # SW-06
    restart: always                     # SW-01
    security_opt:                       # SW-01
      - no-new-privileges:true
    environment:
      API_TOKEN: s3cr3t-value           # SW-05
    deploy:                             # SW-02 (no update_config)
      replicas: 1                       # SW-02
  db:
    image: postgres:16-bookworm
    read_only: true                     # CP-06 (no /tmp tmpfs)
    cap_drop: [ALL]
    volumes:
      - pgdata:/var/lib/postgresql/data
    ports:                              # SW-06 (stateful, published)
      - "5432:5432"
    deploy:
      replicas: 2                       # SW-03
      update_config:
        order: start-first              # SW-03
  migrate:
    image: shop-web:1.0
    command: ["alembic", "upgrade", "head"]
    deploy:                             # SW-04
      restart_policy:
        condition: none
networks:
  backend: {}                           # SW-06
volumes:
  pgdata: {}
`;

function lineOf(text: string, marker: string, nth = 0): number {
  const lines = text.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(`# ${marker}`) ? [i + 1] : []));
  return hits[nth] ?? -1;
}

describe('audit of Swarm stack files', () => {
  it('recognises stack files by name, apart from compose files', () => {
    expect(classify('deploy/swarm/stack.yml')).toBe('stack');
    expect(classify('docker-stack.yml')).toBe('stack');
    expect(classify('prod.stack.yaml')).toBe('stack');
    expect(classify('docker-compose.yml')).toBe('compose');
    expect(classify('stacks.txt')).toBeUndefined();
    for (const id of ['SW-01', 'SW-02', 'SW-03', 'SW-04', 'SW-05', 'SW-06', 'SW-07', 'SW-08']) {
      expect((RULES as Record<string, { title: string }>)[id]?.title, id).toBeTruthy();
    }
  });

  it('reports each Swarm difference by rule id at its line', () => {
    const report = auditFiles([{ path: 'deploy/swarm/stack.yml', content: BAD_STACK }], { shellcheck: 'off' });
    const at = (id: string, line: number) => report.findings.some((f) => f.ruleId === id && f.file === 'deploy/swarm/stack.yml' && f.line === line);
    const found = report.findings.map((f) => `${f.ruleId}:${f.line} ${f.message}`).join('\n');
    const expected: [string, string, number?][] = [
      ['SW-08', 'SW-08'],
      ['SW-01', 'SW-01', 0],
      ['SW-01', 'SW-01', 1],
      ['SW-01', 'SW-01', 2],
      ['SW-06', 'SW-06', 0],
      ['SW-05', 'SW-05'],
      ['SW-02', 'SW-02 (no update_config)'],
      ['SW-02', 'SW-02'],
      ['CP-06', 'CP-06 (no /tmp tmpfs)'],
      ['SW-06', 'SW-06 (stateful, published)'],
      ['SW-03', 'SW-03', 0],
      ['SW-03', 'SW-03', 1],
      ['SW-04', 'SW-04'],
      ['SW-06', 'SW-06', 2],
    ];
    for (const [id, marker, nth] of expected) {
      const line = marker.includes('(') ? lineOf(BAD_STACK, marker) : lineOf(BAD_STACK, marker, nth ?? 0);
      expect(line, marker).toBeGreaterThan(0);
      expect(at(id, line), `${id} at line ${line} (${marker}); found:\n${found}`).toBe(true);
    }
    expect(report.findings.find((f) => f.ruleId === 'SW-01' && /security_opt/.test(f.message))?.message).toMatch(/no-new-privileges is not applied/);
    expect(report.summary.grade).toBe('F');
  });

  it('a generated stack file has no findings; editing it back to compose habits is caught', () => {
    const files = renderProject(answersFor({ postgres: true, libpq: true, migrations: 'alembic', worker: 'python -m w' }));
    const stack = files.find((f) => f.path === 'deploy/swarm/stack.yml')!;
    expect(auditFiles([stack], { shellcheck: 'off' }).findings).toEqual([]);
    const edited = stack.content.replace('order: start-first', 'order: stop-first').replace('mode: replicated-job', 'replicas: 1');
    const ids = auditFiles([{ ...stack, content: edited }], { shellcheck: 'off' }).findings.map((f) => f.ruleId).sort();
    expect(ids).toEqual(['SW-02', 'SW-04']);
    // Back to compose's on-failure: a task stopped as unhealthy exits 0 and would never be replaced.
    const onFailure = stack.content.replace(/condition: any/g, 'condition: on-failure');
    const restart = auditFiles([{ ...stack, content: onFailure }], { shellcheck: 'off' }).findings;
    expect(restart.map((f) => `${f.ruleId} ${f.message.split(':')[0]}`).sort()).toEqual(['SW-02 app', 'SW-02 db', 'SW-02 worker']);
    const lines = onFailure.split('\n');
    for (const f of restart) expect(lines[f.line - 1]).toContain('condition: on-failure');
    expect(restart[0]!.message).toMatch(/never replaces a task stopped as unhealthy/);
  });
});

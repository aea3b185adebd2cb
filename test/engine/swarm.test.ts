/** The pure parts of the swarm smoke: convergence as `docker service ls` shows it, and the stack smoke deploys. */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { localStack, requiredLabels } from '../../generators/engine/smoke-swarm.js';
import { isConverged } from '../../generators/engine/swarm.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';
import { STACK_FILE } from '../../generators/render/stack.js';

describe('swarm convergence', () => {
  it.each([
    ['replicated', '2/2', '', true],
    ['replicated', '1/2', '', false],
    ['replicated', '0/0', '', false],
    ['replicated', '2/2', 'updating', false],
    ['replicated', '2/2', 'rollback_completed', false],
    ['replicated', '2/2 (max 1 per node)', 'completed', true],
    ['replicated job', '0/1 (1/1 completed)', '', true],
    ['replicated job', '1/1 (0/1 completed)', '', false],
  ])('%s %s (update %j) converged: %s', (mode, replicas, update, expected) => {
    expect(isConverged(mode, replicas, update)).toBe(expected);
  });
});

describe('the stack smoke --swarm deploys', () => {
  const stack = parseYaml(renderProject(answersFor({ postgres: true, libpq: true, migrations: 'alembic' })).find((f) => f.path === STACK_FILE)!.content);

  it('asks for the node labels of its placement constraints', () => {
    expect(requiredLabels(stack)).toEqual(['demo-service.db']);
  });

  it('makes secret files absolute and, without a routing mesh, publishes the app in host mode on a random port', () => {
    const local = localStack(stack, '/p/deploy/swarm', false);
    expect(local.secrets!.db_password!.file).toBe('/p/secrets/db_password');
    expect(local.services.app!.ports).toEqual([{ target: 8000, mode: 'host', protocol: 'tcp' }]);
    expect(local.services.app!.deploy.endpoint_mode).toBe('dnsrr');
    expect(local.services.app!.deploy.update_config.order).toBe('start-first');
    const mesh = localStack(stack, '/p/deploy/swarm', true);
    expect(mesh.services.app!.ports).toEqual(stack.services.app.ports);
    expect(stack.secrets.db_password.file).toBe('../../secrets/db_password');
  });

  it('behind the proxy: the proxy is the only published service, its job goes where its volume is, its config path is absolute', () => {
    const proxied = parseYaml(renderProject(answersFor({ proxy: 'caddy', domains: ['shop.internal'] })).find((f) => f.path === STACK_FILE)!.content);
    expect(Object.entries(proxied.services).filter(([, s]) => (s as { ports?: unknown }).ports).map(([n]) => n)).toEqual(['proxy']);
    expect(proxied.services['proxy-init'].deploy.placement.constraints).toEqual(proxied.services.proxy.deploy.placement.constraints);
    expect(requiredLabels(proxied)).toEqual(['demo-service.proxy']);
    const local = localStack(proxied, '/p/deploy/swarm', false);
    expect(local.services.proxy!.ports).toEqual([
      { target: 80, mode: 'host', protocol: 'tcp' },
      { target: 443, mode: 'host', protocol: 'tcp' },
      { target: 443, mode: 'host', protocol: 'udp' },
    ]);
    expect(local.services.proxy!.volumes).toContain('/p/proxy/caddy.json:/etc/caddy/caddy.json:ro');
  });
});

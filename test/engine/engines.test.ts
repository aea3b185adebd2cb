/**
 * Engine choice and the per-engine facts smoke relies on (no engine needed: the real runs are in
 * test/e2e/podman.e2e.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { allAnswerCombinations } from '../../generators/render/matrix.js';
import { renderProject } from '../../generators/render/index.js';
import { chooseEngine, composeProvider, engineFacts, EngineChoiceError, gpuGroup, hasSystemd } from '../../generators/engine/engines.js';

const only = (...names: string[]) => (command: string) => names.includes(command);

describe('choosing the engine', () => {
  it('takes --engine, then CONTAINER_ENGINE, over what is installed', () => {
    expect(chooseEngine('podman', only('docker'), 'docker')).toBe('podman');
    expect(chooseEngine(undefined, only('docker'), 'podman')).toBe('podman');
  });

  it('picks the only engine installed, and Docker when both or neither are', () => {
    expect(chooseEngine(undefined, only('podman'), undefined)).toBe('podman');
    expect(chooseEngine(undefined, only('docker'), '')).toBe('docker');
    expect(chooseEngine(undefined, only('docker', 'podman'), undefined)).toBe('docker');
    expect(chooseEngine(undefined, only(), undefined)).toBe('docker');
  });

  it('names the flag or variable and the choices for an unknown engine', () => {
    expect(() => chooseEngine('nerdctl', only('docker'), undefined)).toThrow(EngineChoiceError);
    expect(() => chooseEngine('nerdctl', only('docker'), undefined)).toThrow(/--engine: "nerdctl".*docker or podman/);
    expect(() => chooseEngine(undefined, only('docker'), 'lxc')).toThrow(/CONTAINER_ENGINE: "lxc"/);
  });
});

describe('engine facts', () => {
  it('Podman builds through the classic endpoint in docker format, so HEALTHCHECK survives', () => {
    expect(engineFacts('podman', true).buildEnv).toEqual({ DOCKER_BUILDKIT: '0', BUILDAH_FORMAT: 'docker' });
    expect(engineFacts('docker', true).buildEnv.DOCKER_BUILDKIT).toBe('1');
  });

  it('healthchecks are driven by smoke only for Podman without systemd', () => {
    expect(engineFacts('podman', false).drivesHealth).toBe(true);
    expect(engineFacts('podman', true).drivesHealth).toBe(false);
    expect(engineFacts('docker', false).drivesHealth).toBe(false);
    expect(hasSystemd((p) => p === '/run/systemd/system')).toBe(true);
    expect(hasSystemd(() => false)).toBe(false);
  });

  it('reads the compose provider podman runs', () => {
    expect(composeProvider('Docker Compose version 2.26.1-4')).toEqual({ kind: 'compose-v2', version: '2.26.1-4' });
    expect(composeProvider('>>>> Executing external compose provider\nDocker Compose version v2.32.4')).toEqual({ kind: 'compose-v2', version: '2.32.4' });
    expect(composeProvider('podman-compose version: 1.0.6\n[\'podman\', \'--version\', \'\']')).toEqual({ kind: 'podman-compose', version: '1.0.6' });
    expect(composeProvider('podman-compose version 1.3.0').kind).toBe('podman-compose');
    expect(composeProvider('Error: looking up compose provider failed').kind).toBe('unknown');
  });

  it('rootless Podman reaches the render group through keep-groups; root and Docker use the GID', () => {
    expect(gpuGroup(engineFacts('podman', true), '993', 1000)).toBe('keep-groups');
    expect(gpuGroup(engineFacts('podman', true), '993', 0)).toBe('993');
    expect(gpuGroup(engineFacts('docker', true), '993', 1000)).toBe('993');
  });
});

describe('generated healthchecks that Podman 5 runs as written', () => {
  it('no CMD-form argument contains whitespace: Podman\'s Docker API splits them (containers/podman#26519)', () => {
    for (const answers of allAnswerCombinations()) {
      const compose = parseYaml(renderProject(answers).find((f) => f.path === 'docker-compose.yml')!.content) as {
        services: Record<string, { healthcheck?: { test?: string[] } }>;
      };
      for (const [name, service] of Object.entries(compose.services)) {
        const test = service.healthcheck?.test;
        if (!test) continue;
        if (test[0] === 'CMD') expect(test.slice(1).filter((arg) => /\s/.test(arg)), `${name}: ${JSON.stringify(test)}`).toEqual([]);
        else expect(test, name).toHaveLength(2); // CMD-SHELL: one string, run by the shell
      }
    }
  });
});

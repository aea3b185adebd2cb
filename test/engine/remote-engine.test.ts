/** smoke against an engine over TCP (GitLab's Docker-in-Docker): publish on the engine's host and probe it there. */
import { describe, expect, it } from 'vitest';
import { publishedAt } from '../../generators/engine/remote-engine.js';

describe('where smoke reaches the published port', () => {
  it('local engines (socket, ssh, loopback TCP): 127.0.0.1, bound to loopback only', () => {
    for (const host of [undefined, '', 'unix:///var/run/docker.sock', 'ssh://me@box', 'tcp://127.0.0.1:2375', 'tcp://localhost:2376']) {
      expect(publishedAt(host)).toEqual({ bindIp: '127.0.0.1', probeHost: '127.0.0.1' });
    }
  });

  it('an engine over TCP elsewhere (GitLab dind: tcp://docker:2376): bind on all interfaces there, probe that host', () => {
    expect(publishedAt('tcp://docker:2376')).toEqual({ bindIp: '0.0.0.0', probeHost: 'docker' });
    expect(publishedAt('tcp://[fd00::5]:2376')).toEqual({ bindIp: '0.0.0.0', probeHost: '[fd00::5]' });
  });
});

/**
 * Where a published port can be reached. With a local engine that is this machine's loopback. With
 * an engine over TCP (DOCKER_HOST=tcp://docker:2376, as GitLab's Docker-in-Docker service is), the
 * ports are published on the engine's host, so smoke binds them there and probes that host.
 */
export interface PublishedAt {
  /** APP_BIND_IP for the stack under test. */
  bindIp: string;
  /** The host the health probe connects to. */
  probeHost: string;
}

export function publishedAt(dockerHost: string | undefined = process.env.DOCKER_HOST): PublishedAt {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)/.exec(dockerHost ?? '');
  const host = m?.[1];
  if (!host || host === 'localhost' || host.startsWith('127.') || host === '[::1]') return { bindIp: '127.0.0.1', probeHost: '127.0.0.1' };
  // Only for the smoke run's own short-lived stack, on the remote engine's interfaces.
  return { bindIp: '0.0.0.0', probeHost: host };
}

/**
 * What `smoke --kube` checks once the pods run: the health path answers on the app pod's address,
 * the app reaches the database (and Redis) by their Service names, and every pod built from our
 * image runs as UID 10001 with a read-only root.
 */
import { APP_UID } from '../../stack/view.js';
import { containerOf, local, type KubeRun } from './kube-podman.js';
import { lastLines, probe, StepFailure, type Context, type StepSpec } from './steps.js';

/** The entry process of a container (parent 0 in the pod's shared PID namespace), its UID and name. */
const ENTRY_UIDS =
  "import os\nfor p in os.listdir('/proc'):\n    if p.isdigit() and p != '1' and int(p) != os.getpid():\n        try:\n            s = open(f'/proc/{p}/status').read()\n        except OSError:\n            continue\n        f = dict(l.split(':', 1) for l in s.splitlines() if ':' in l)\n        if f['PPid'].strip() == '0':\n            print(f['Name'].strip(), f['Uid'].split()[0])";

function ours(k: KubeRun): string[] {
  return k.overlay!.phases.flatMap((p) => p.objects)
    .filter((o) => o.kind === 'Deployment' && ['app', 'worker'].includes(o.metadata?.labels?.['app.kubernetes.io/component']))
    .map((o) => containerOf(k.overlay!, o.metadata.name));
}

export function podChecks(k: KubeRun): StepSpec[] {
  const app = () => containerOf(k.overlay!, `${k.overlay!.phases.at(-1)!.workloads.find((w) => w.endsWith('-app'))}`);
  return [
    {
      name: 'health probe',
      run: async (ctx: Context) => {
        const infra = (await local(['pod', 'inspect', '--format', '{{.InfraContainerID}}', `${app().replace(/-app$/, '')}`])).stdout.trim();
        const ip = (await local(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', infra])).stdout.trim().split(/\s+/)[0];
        if (!ip) throw new StepFailure('the app pod has no address');
        const url = `http://${ip}:${ctx.answers.port}${ctx.answers.healthPath}`;
        const { status, body } = await probe(url, ctx.signal);
        return `GET ${url} (the pod's address) -> ${status} ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}`;
      },
    },
    {
      name: 'app reaches the database',
      run: async () => {
        const reached: string[] = [];
        if (Object.keys(k.addresses).filter((s) => s !== 'app').length === 0) return { detail: 'no backing service in this stack', notice: true };
        for (const [service, ip] of Object.entries(k.addresses).filter(([s]) => s !== 'app')) {
          const port = k.overlay!.phases.flatMap((p) => p.objects).find((o) => o.metadata?.name?.endsWith(`-${service}`))?.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
          const script = `import socket; socket.create_connection(('${service}', ${Number(port)}), timeout=5).close(); print(socket.gethostbyname('${service}'))`;
          const r = await local(['exec', app(), 'python', '-c', script]);
          if (!r.ok) throw new StepFailure(`the app cannot reach ${service}:${port}`, lastLines(r.all, 10));
          if (r.stdout.trim() !== ip) throw new StepFailure(`${service} resolved to ${r.stdout.trim()}, not the pod's ${ip}`);
          reached.push(`${service}:${port} (${ip})`);
        }
        return `from the app pod, by Service name: ${reached.join(', ')}`;
      },
    },
    {
      // The JSON contract's step (as compose and Swarm report it): the app's server process.
      name: 'app runs as non-root',
      run: async () => {
        const entries = await local(['exec', app(), 'python', '-c', ENTRY_UIDS]);
        const uid = entries.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1])[0];
        if (uid === undefined) throw new StepFailure(`cannot read the app's UID: ${lastLines(entries.all, 5)}`);
        if (uid === '0') throw new StepFailure('the app runs as root (UID 0)');
        return `UID ${uid}`;
      },
    },
    {
      name: 'pods run as UID 10001, read-only root',
      run: async () => {
        const seen: string[] = [];
        for (const name of ours(k)) {
          const inspect = await local(['inspect', '--format', '{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}', name]);
          const [user, readonly] = inspect.stdout.trim().split('|');
          if (readonly !== 'true') throw new StepFailure(`${name}: the root filesystem is writable`);
          const entries = await local(['exec', name, 'python', '-c', ENTRY_UIDS]);
          const uids = entries.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1]);
          if (uids.length === 0 || uids.some((u) => u !== String(APP_UID))) throw new StepFailure(`${name}: processes run as ${uids.join(', ') || 'nobody seen'} (user ${user})`, lastLines(entries.all, 10));
          const write = await local(['exec', name, 'sh', '-c', 'touch /probe-write 2>&1']);
          if (write.ok || !/Read-only/i.test(write.all)) throw new StepFailure(`${name}: writing to / did not fail as read-only: ${lastLines(write.all, 2)}`);
          seen.push(name.replace(/^.*-pod-/, ''));
        }
        return `${seen.join(', ')}: UID ${APP_UID}, writing to / fails (Read-only file system)`;
      },
    },
  ];
}

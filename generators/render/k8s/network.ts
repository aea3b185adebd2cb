/**
 * How traffic reaches the app and what may talk to what: the app's Service, its
 * PodDisruptionBudget and optional autoscaler and Ingress, and the NetworkPolicies (deny by
 * default; the app takes HTTP; only app, worker and migrate reach the database and Redis; every pod
 * may ask DNS).
 */
import type { StackModel } from '../../stack/types.js';
import { meta, selector } from './common.js';
import type { Backing } from './backing.js';

export function appService(model: StackModel) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(model, 'app', 'app'),
    spec: {
      type: 'ClusterIP',
      selector: selector(model, 'app'),
      ports: [{ name: 'http', port: model.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** One app pod stays up through node drains and cluster upgrades. */
export function appBudget(model: StackModel) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(model, 'app', 'app'),
    spec: { ...(model.stateDirs.length > 0 ? { maxUnavailable: 1 } : { minAvailable: 1 }), selector: { matchLabels: selector(model, 'app') } },
  };
}

export function appAutoscaler(model: StackModel) {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(model, 'app', 'app'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      // Scale down slowly: a short lull does not drop pods that the next burst needs.
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
}

export function appIngress(model: StackModel) {
  const a = model.answers;
  const backend = { service: { name: 'app', port: { name: 'http' } } };
  const path = { path: '/', pathType: 'Prefix', backend };
  const hosts = a.domains;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(model, 'app', 'app', a.kubeCertIssuer ? { annotations: { 'cert-manager.io/cluster-issuer': a.kubeCertIssuer } } : {}),
    spec: {
      ...(a.kubeCertIssuer ? { tls: [{ hosts, secretName: `${model.name}-tls` }] } : {}),
      rules: hosts.length > 0 ? hosts.map((host) => ({ host, http: { paths: [path] } })) : [{ http: { paths: [path] } }],
    },
  };
}

function policy(model: StackModel, name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(model, name, 'network-policy'), spec };
}

const OUR_PODS = ['app', 'worker', 'migrate'];

function fromOurPods(model: StackModel) {
  return {
    podSelector: {
      matchLabels: { 'app.kubernetes.io/instance': model.name },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: OUR_PODS }],
    },
  };
}

export interface PolicyDoc {
  object: Record<string, unknown>;
  comment: string;
}

export function networkPolicies(model: StackModel, backing: Backing[], externalDbPort: number | undefined): PolicyDoc[] {
  const docs: PolicyDoc[] = [
    { object: policy(model, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }), comment: 'Nothing in or out unless a policy below allows it.' },
    {
      object: policy(model, 'allow-dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
        }],
      }),
      comment: 'Every pod may ask the cluster DNS (CoreDNS carries the k8s-app: kube-dns label).',
    },
    {
      object: policy(model, 'app-ingress', {
        podSelector: { matchLabels: selector(model, 'app') },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: model.port }] }],
      }),
      comment: 'The app takes HTTP on its port from anywhere the cluster routes (the ingress controller).\nNarrow it with a namespaceSelector for your controller\'s namespace.',
    },
  ];
  const egress: Record<string, unknown>[] = backing.map((b) => ({
    to: [{ podSelector: { matchLabels: selector(model, b.component) } }],
    ports: [{ protocol: 'TCP', port: b.port }],
  }));
  for (const b of backing) {
    docs.push({
      object: policy(model, `${b.name}-ingress`, {
        podSelector: { matchLabels: selector(model, b.component) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [fromOurPods(model)], ports: [{ protocol: 'TCP', port: b.port }] }],
      }),
      comment: `${b.product} takes connections from app, worker and migrate only.`,
    });
  }
  if (externalDbPort !== undefined) {
    egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: externalDbPort }] });
  }
  if (egress.length > 0) {
    docs.push({
      object: policy(model, 'app-egress', { podSelector: fromOurPods(model).podSelector, policyTypes: ['Egress'], egress }),
      comment:
        'App, worker and migrate reach the services they use, nothing else.' +
        (externalDbPort !== undefined ? `\nThe managed database: narrow 0.0.0.0/0 to its address (port ${externalDbPort}).` : '') +
        '\nAdd a rule here if the app calls outside services.',
    });
  }
  return docs;
}

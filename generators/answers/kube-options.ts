/**
 * The Kubernetes rows of the one option table (issue 25): the namespace, where the database runs
 * (in the cluster or a managed one outside), the autoscaler, the Ingress and its certificate
 * issuer, and the device-plugin resource a render GPU is requested by. Flag-only: the defaults suit
 * a first deploy. Kept beside schema.ts so that file stays one screenful per option group.
 */
import { AnswerError } from './errors.js';
import { asString, describe, parseBoolean, parseChoice, type Choice } from './parse.js';
import type { Answers, KubeDb } from './types.js';
import type { OptionSpec } from './option-spec.js';

/** An RFC 1123 label: what a namespace name must be. */
export const DNS_LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** An extended resource name as a device plugin advertises it (`vendor.example/name`). */
const RESOURCE_RE = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\/)?[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/i;
/** Intel's GPU device plugin; AMD's advertises amd.com/gpu. */
export const DEFAULT_RENDER_RESOURCE = 'gpu.intel.com/i915';

export const KUBE_DBS: Choice[] = [
  { value: 'in-cluster', name: 'In the cluster', hint: 'a StatefulSet with a volume claim (a managed database is the usual choice in production)' },
  { value: 'external', name: 'External', hint: 'a managed database: {db.*} come from a Secret you create' },
];

function optionalText(field: string, raw: unknown): string {
  return raw === undefined || raw === null || raw === false ? '' : asString(field, raw).trim();
}

export const KUBE_OPTIONS: OptionSpec[] = [
  {
    key: 'kubeNamespace',
    flag: 'kube-namespace',
    kind: 'string',
    question: 'Kubernetes namespace',
    hint: 'the namespace of deploy/k8s: a DNS label (lowercase letters, digits, dashes; at most 63)',
    defaultText: 'the app name',
    flagOnly: true,
    fallback: (a) => a.name,
    parse: (raw) => {
      const text = asString('kube-namespace', raw).trim();
      if (!DNS_LABEL_RE.test(text)) {
        throw new AnswerError('kube-namespace', `${describe(raw)} is not a DNS label; use lowercase letters, digits and dashes, at most 63, starting and ending with a letter or digit (e.g. "shop-prod")`);
      }
      return text;
    },
  },
  {
    key: 'kubeDb',
    flag: 'kube-db',
    kind: 'choice',
    question: 'Where the database runs on Kubernetes',
    hint: 'in-cluster (a StatefulSet) or external (a managed database; deploy/k8s then runs none)',
    defaultText: 'in-cluster',
    choices: KUBE_DBS,
    flagOnly: true,
    fallback: () => 'in-cluster',
    parse: (raw) => parseChoice('kube-db', raw, KUBE_DBS) as KubeDb,
  },
  {
    key: 'externalDb',
    flag: 'external-db',
    kind: 'boolean',
    question: 'Use a database outside the cluster?',
    hint: 'same as --kube-db external: no database StatefulSet; {db.*} come from a Secret you create',
    defaultText: 'no',
    flagOnly: true,
    fallback: () => false,
    parse: (raw) => parseBoolean('external-db', raw),
    aliasOf: { key: 'kubeDb', to: (on: boolean) => (on ? 'external' : 'in-cluster'), from: (where: string) => where === 'external' },
  },
  {
    key: 'kubeHpa',
    flag: 'kube-hpa',
    kind: 'boolean',
    question: 'Scale the app with a HorizontalPodAutoscaler?',
    hint: '2 to 6 replicas of the app at 70% of its CPU request (needs metrics-server)',
    defaultText: 'no',
    flagOnly: true,
    fallback: () => false,
    parse: (raw) => parseBoolean('kube-hpa', raw),
  },
  {
    key: 'kubeIngress',
    flag: 'kube-ingress',
    kind: 'boolean',
    question: 'Add an Ingress for the app?',
    hint: 'routes the --domain names to the app Service through the cluster\'s ingress controller',
    defaultText: 'no',
    flagOnly: true,
    fallback: () => false,
    parse: (raw) => parseBoolean('kube-ingress', raw),
  },
  {
    key: 'kubeCertIssuer',
    flag: 'kube-cert-issuer',
    kind: 'string',
    question: 'cert-manager ClusterIssuer for the Ingress',
    hint: 'a ClusterIssuer name (e.g. letsencrypt-prod): the Ingress gets TLS for the --domain names',
    defaultText: 'none (no TLS on the Ingress)',
    flagOnly: true,
    fallback: () => '',
    parse: (raw) => {
      const text = optionalText('kube-cert-issuer', raw);
      if (text !== '' && !/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(text)) {
        throw new AnswerError('kube-cert-issuer', `${describe(raw)} is not a resource name; use lowercase letters, digits, dots and dashes (e.g. "letsencrypt-prod")`);
      }
      return text;
    },
  },
  {
    key: 'kubeGpuResource',
    flag: 'kube-gpu-resource',
    kind: 'string',
    question: 'Device-plugin resource for a render GPU',
    hint: `the extended resource your GPU device plugin advertises (Intel: ${DEFAULT_RENDER_RESOURCE}, AMD: amd.com/gpu)`,
    defaultText: DEFAULT_RENDER_RESOURCE,
    flagOnly: true,
    when: (a: Partial<Answers>) => a.gpu === 'render',
    fallback: () => DEFAULT_RENDER_RESOURCE,
    parse: (raw) => {
      const text = optionalText('kube-gpu-resource', raw);
      if (!RESOURCE_RE.test(text) || text.length > 253) {
        throw new AnswerError('kube-gpu-resource', `${describe(raw)} is not a resource name; give what the device plugin advertises (e.g. "${DEFAULT_RENDER_RESOURCE}" or "amd.com/gpu")`);
      }
      return text;
    },
  },
];

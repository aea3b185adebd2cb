/**
 * Rules between the Kubernetes answers (kube-options.ts) and the rest, checked with the others
 * (validate.ts crossValidate). Apart from the option rows so the rules import no option table.
 */
import { AnswerError } from './errors.js';
import type { Answers } from './types.js';

/** Rules between the Kubernetes answers and the rest, checked with the others (validate.ts). */
export function kubeProblems(a: Answers): void {
  if (a.kubeDb === 'external' && a.database === 'none') {
    throw new AnswerError('external-db', 'there is no database to keep outside the cluster; drop --external-db or add --database postgres');
  }
  if (a.kubeHpa && a.stateDirs.length > 0) {
    throw new AnswerError('kube-hpa', 'the app writes state directories (--state-dir) on a ReadWriteOnce volume claim, so it runs one replica; drop --kube-hpa or the state directories');
  }
  if (a.kubeCertIssuer && !a.kubeIngress) {
    throw new AnswerError('kube-cert-issuer', 'is only used with --kube-ingress; add --kube-ingress or drop it');
  }
  if (a.kubeCertIssuer && (a.domains ?? []).length === 0) {
    throw new AnswerError('kube-cert-issuer', 'needs a name to certify; add --domain shop.example.com');
  }
}

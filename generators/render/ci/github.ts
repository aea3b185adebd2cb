/**
 * .github/workflows/container.yml and .github/dependabot.yml, built as data. The workflow audits,
 * proves (smoke + SBOM), builds with the GitHub Actions cache and, on a version tag, publishes to
 * GHCR. Hardening as zizmor and OpenSSF Scorecard check it: no permissions at the top, each job asks
 * for what it needs; every action pinned by commit; no pull_request_target; event data never in a
 * `run:` line; checkout keeps no credentials.
 */
import { Document, isMap, isNode, isPair, isScalar, isSeq, visit, type Scalar } from 'yaml';
import type { StackView } from '../view.js';
import { ACTIONS, usesRef, type PinnedAction } from './actions.js';
import { buildArgs, ciVariables, createPyimage, SBOM_FILE, SCANNER_NOTE, SMOKE_JSON } from './common.js';

export const WORKFLOW_FILE = '.github/workflows/container.yml';
export const DEPENDABOT_FILE = '.github/dependabot.yml';

/** A string inside a `${{ }}` expression: single quotes, doubled. */
const exprString = (text: string) => `'${text.replace(/'/g, "''")}'`;

const checkout = { name: 'Check out', uses: usesRef(ACTIONS.checkout), with: { 'persist-credentials': false } };

/** A step that uses an action: name (and id, if) first, then the pinned `uses:`, then its inputs. */
function step(action: PinnedAction, fields: { name: string; id?: string; if?: string; with?: Record<string, unknown> }) {
  const { with: inputs, ...head } = fields;
  return { ...head, uses: usesRef(action), ...(inputs ? { with: inputs } : {}) };
}

function buildxSteps(view: StackView, push: boolean) {
  const args = buildArgs(view).map((v) => `${v.name}=\${{ env.${v.name} }}`);
  return [
    step(ACTIONS.setupBuildx, { name: 'Set up BuildKit' }),
    step(ACTIONS.metadata, {
      name: 'Image tags and OCI labels (source, revision, created)',
      id: 'meta',
      with: {
        images: push ? 'ghcr.io/${{ github.repository }}' : view.answers.name,
        tags: push ? 'type=semver,pattern={{version}}\ntype=sha\n' : 'type=sha\n',
      },
    }),
    step(ACTIONS.buildPush, {
      name: push ? 'Build and push' : 'Build',
      id: 'build',
      with: {
        context: '.',
        target: 'runtime',
        'build-args': `${args.join('\n')}\n`,
        tags: '${{ steps.meta.outputs.tags }}',
        labels: '${{ steps.meta.outputs.labels }}',
        push,
        // The published image is built without the cache (zizmor: cache-poisoning): nothing a
        // branch build left behind reaches a release.
        ...(push ? { 'no-cache': true } : { 'cache-from': 'type=gha', 'cache-to': 'type=gha,mode=max' }),
      },
    }),
  ];
}

function jobs(view: StackView) {
  const cli = createPyimage(view);
  const ubuntu = 'ubuntu-24.04';
  return {
    audit: {
      'runs-on': ubuntu,
      'timeout-minutes': 10,
      permissions: { contents: 'read', 'security-events': 'write' },
      steps: [
        checkout,
        { name: 'Audit the Docker setup', run: `${cli} audit --format sarif > create-pyimage-audit.sarif` },
        step(ACTIONS.uploadSarif, {
          name: 'Findings to code scanning',
          if: 'always()',
          with: { sarif_file: 'create-pyimage-audit.sarif', category: 'create-pyimage-audit' },
        }),
      ],
    },
    prove: {
      'runs-on': ubuntu,
      'timeout-minutes': 30,
      permissions: { contents: 'read' },
      steps: [
        checkout,
        { name: 'Smoke test and SBOM', run: `${cli} smoke --json --sbom ${SBOM_FILE} > ${SMOKE_JSON}` },
        {
          name: 'Name the failed smoke step',
          if: 'failure()',
          run: `jq -r '.steps[] | select(.ok | not) | "::error title=smoke step failed: \\(.name)::\\(.detail | split("\\n") | .[0])"' ${SMOKE_JSON}`,
        },
        step(ACTIONS.uploadArtifact, {
          name: 'Keep the smoke report and the SBOM',
          if: 'always()',
          with: { name: 'smoke-and-sbom', path: `${SMOKE_JSON}\n${SBOM_FILE}\n`, 'if-no-files-found': 'warn' },
        }),
        step(ACTIONS.scan, {
          name: 'Scan the SBOM (Grype)',
          if: "vars.SBOM_SCAN == 'true'",
          with: { sbom: SBOM_FILE, 'fail-build': true, 'severity-cutoff': 'high', 'output-format': 'table' },
        }),
      ],
    },
    build: {
      'runs-on': ubuntu,
      'timeout-minutes': 30,
      permissions: { contents: 'read' },
      steps: [checkout, ...buildxSteps(view, false)],
    },
    publish: {
      if: "startsWith(github.ref, 'refs/tags/v')",
      needs: ['audit', 'prove', 'build'],
      'runs-on': ubuntu,
      'timeout-minutes': 30,
      permissions: { contents: 'read', packages: 'write' },
      steps: [
        checkout,
        step(ACTIONS.login, { name: 'Log in to GHCR', with: { registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' } }),
        ...buildxSteps(view, true),
        {
          name: 'Record the pushed digest',
          env: { TAGS: '${{ steps.meta.outputs.tags }}', DIGEST: '${{ steps.build.outputs.digest }}' },
          run: 'echo "pushed $TAGS as $DIGEST" >> "$GITHUB_STEP_SUMMARY"',
        },
      ],
    },
  };
}

export function workflowObject(view: StackView): Record<string, unknown> {
  const env = Object.fromEntries(ciVariables(view).map((v) => [v.name, v.fallback ? `\${{ vars.${v.name} || ${exprString(v.fallback)} }}` : `\${{ vars.${v.name} }}`]));
  return {
    name: 'container',
    on: { push: { branches: ['main'], tags: ['v*'] }, pull_request: {}, workflow_dispatch: {} },
    permissions: {},
    concurrency: { group: 'container-${{ github.ref }}', 'cancel-in-progress': true },
    env,
    jobs: jobs(view),
  };
}

/** Each `uses:` gets its release as a trailing comment; the keys that need a reason get one. */
function annotate(doc: Document, view: StackView): void {
  const versions = new Map(Object.values(ACTIONS).map((a) => [usesRef(a), a.version]));
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'uses' && isScalar(pair.value)) {
        (pair.value as Scalar).comment = ` ${versions.get(String(pair.value.value)) ?? ''}`;
      }
      // A shell line with quotes reads best as a block, unescaped.
      if (isScalar(pair.key) && pair.key.value === 'run' && isScalar(pair.value) && String(pair.value.value).includes('"')) {
        (pair.value as Scalar).type = 'BLOCK_LITERAL';
      }
    },
  });
  const comment = (path: (string | number)[], text: string) => {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isSeq(parent)) {
      const item = parent.items[path[path.length - 1] as number];
      if (isNode(item)) item.commentBefore = ` ${text}`;
      return;
    }
    if (!isMap(parent)) return;
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
  };
  comment(['on'], 'pull_request (never pull_request_target): a fork\'s code runs without secrets or write access.');
  comment(['permissions'], 'Nothing by default: each job below asks for what it needs.');
  comment(['env'], 'Mirrors and indexes are repository variables (Settings > Secrets and variables > Variables), never written here; unset = the defaults compose uses.');
  comment(['jobs', 'audit'], 'The hardening checklist over Dockerfile, compose, scripts and this workflow; findings appear in code scanning.');
  comment(['jobs', 'prove'], 'Build, start, probe and tear down the stack as scripts/smoke-test.sh does; the JSON report and the SBOM are kept.');
  comment(['jobs', 'prove', 'steps', 4], SCANNER_NOTE);
  comment(['jobs', 'build'], 'BuildKit with the GitHub Actions cache and the build arguments compose passes, on every push and pull request.');
  comment(['jobs', 'publish'], `On a version tag (v1.2.3): build without the cache, push ghcr.io/<owner>/<repo>:1.2.3 and record its digest. The only job that may write packages.`);
  void view;
}

export function workflowYaml(view: StackView): string {
  const doc = new Document(workflowObject(view), { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  annotate(doc, view);
  doc.commentBefore =
    ` Generated by create-pyimage ${view.version}: audit, prove (smoke + SBOM), build and, on tags, publish.\n` +
    ' Every action is pinned by commit (release in the comment); Dependabot keeps them current.\n' +
    ' Regenerate with `npx create-pyimage update`: your edits are merged, not lost.';
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

export function dependabotYaml(view: StackView): string {
  const weekly = { interval: 'weekly' };
  const python = view.answers.deps === 'uv' ? 'uv' : 'pip';
  const doc = new Document(
    {
      version: 2,
      updates: [
        { 'package-ecosystem': python, directory: '/', schedule: weekly },
        { 'package-ecosystem': 'docker', directory: '/', schedule: weekly },
        { 'package-ecosystem': 'docker-compose', directory: '/', schedule: weekly },
        { 'package-ecosystem': 'github-actions', directory: '/', schedule: weekly },
      ],
    },
    { compat: 'yaml-1.1' },
  );
  doc.commentBefore =
    ` Generated by create-pyimage ${view.version}: weekly updates for the Python dependencies (${python}),\n` +
    ' the base and service images, and the pinned actions (commit and release comment together).';
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

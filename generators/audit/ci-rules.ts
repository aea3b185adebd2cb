import type { Rule } from './types.js';

/**
 * Rules for CI workflows (CI-xx, this tool's own ids): the supply-chain checks zizmor and OpenSSF
 * Scorecard make on GitHub Actions workflows (.github/workflows/*.yml).
 */
export const CI_RULES = {
  'CI-01': {
    severity: 'high',
    title: 'Action not pinned by commit',
    why: 'A tag or branch (`@v4`, `@main`) can be moved to other code at any time by whoever controls the action\'s repository: the next run executes it with your token and secrets. Only a full commit SHA is immutable.',
    fix: 'Pin the full 40-character commit and keep the release in a comment: `uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2`; let Dependabot (`package-ecosystem: github-actions`) update both.',
  },
  'CI-02': {
    severity: 'high',
    title: 'Event data expanded into a script',
    why: '`${{ github.event.* }}` and `github.head_ref` (titles, branch names, comments, commit messages) are chosen by whoever opens the pull request or issue; expanded into `run:` (or github-script\'s `script:`), they become shell or JavaScript code that runs with the workflow\'s token and secrets.',
    fix: 'Pass the value through the environment and quote it: `env: {TITLE: "${{ github.event.pull_request.title }}"}` then `run: echo "$TITLE"`.',
  },
  'CI-03': {
    severity: 'high',
    title: 'pull_request_target trigger',
    why: '`pull_request_target` runs in the base repository\'s context with a write token and secrets, for pull requests from any fork; a step that checks out or builds the fork\'s code hands both to the fork\'s author ("pwn request").',
    fix: 'Use `pull_request` (no secrets, read-only token for forks); move what needs write access to a separate `workflow_run` workflow that never executes the pull request\'s code.',
  },
  'CI-04': {
    severity: 'medium',
    title: 'Checkout keeps the token in .git/config',
    why: '`actions/checkout` stores the GITHUB_TOKEN in the repository\'s git config by default, where every later step (and anything it runs, or any artifact that uploads the working tree) can read it.',
    fix: 'Add `with: {persist-credentials: false}` to the checkout step; pass a token explicitly to the one step that pushes, if any.',
  },
  'CI-05': {
    severity: 'medium',
    title: 'Token permissions not limited',
    why: 'Without a `permissions:` block the GITHUB_TOKEN gets the repository\'s default, often write access to contents, packages and pull requests, for every job; `write-all` does so explicitly. A compromised step then can push code or packages.',
    fix: 'Set `permissions: {}` at the top of the workflow and give each job only what it needs, e.g. `permissions: {contents: read}` and `packages: write` only in the job that publishes.',
  },
} as const satisfies Record<string, Rule>;

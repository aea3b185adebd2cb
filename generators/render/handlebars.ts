/** Our own Handlebars instance: no HTML escaping, strict about missing names, explicit quoting helpers. */
import Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot, templatesDir } from '../paths.js';
import { execForm, shellQuote } from './escape.js';

export const hbs = Handlebars.create();
hbs.registerHelper('shell', (value: unknown) => shellQuote(String(value)));
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
hbs.registerHelper('exec', (value: unknown) => execForm(value as string[]));

export const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

type Precompiled = Record<string, { hash: string; spec: TemplateSpecification }>;
let precompiled: Precompiled | null | undefined;

/** The templates `npm run build` compiled (precompile.ts), or null (not built, or run from source). */
function loadPrecompiled(): Precompiled | null {
  if (precompiled === undefined) {
    try {
      precompiled = createRequire(import.meta.url)(join(packageRoot, 'dist', 'templates.cjs')) as Precompiled;
    } catch {
      precompiled = null;
    }
  }
  return precompiled;
}

export function templateHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/<name> with the view. Unknown names in the template are errors, not blanks. */
export function renderTemplate(name: string, view: object): string {
  let template = cache.get(name);
  if (!template) {
    const text = readFileSync(join(templatesDir, name), 'utf8');
    const built = loadPrecompiled()?.[name];
    // The precompiled version only while the template is unchanged since the build.
    template = built && built.hash === templateHash(text) ? hbs.template(built.spec) : hbs.compile(text, COMPILE_OPTIONS);
    cache.set(name, template);
  }
  return template(view);
}

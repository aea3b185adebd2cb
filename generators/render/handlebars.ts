/**
 * Our own Handlebars instances: no HTML escaping, strict about missing names, explicit quoting helpers.
 * Rendering uses the runtime alone (the templates are compiled at build time, precompile.ts); the
 * compiler, most of Handlebars' code, is loaded only to compile a template edited since the build.
 */
import type HandlebarsCompiler from 'handlebars';
import Runtime from 'handlebars/runtime.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot, templatesDir } from '../paths.js';
import { execForm, shellQuote } from './escape.js';

type Instance = Pick<typeof HandlebarsCompiler, 'registerHelper' | 'template'>;

function withHelpers<T extends Instance>(instance: T): T {
  instance.registerHelper('shell', (value: unknown) => shellQuote(String(value)));
  instance.registerHelper('json', (value: unknown) => JSON.stringify(value));
  instance.registerHelper('exec', (value: unknown) => execForm(value as string[]));
  return instance;
}

const hbs = withHelpers((Runtime as unknown as typeof HandlebarsCompiler).create());
let fullHandlebars: typeof HandlebarsCompiler | undefined;

/** Handlebars with its compiler and our helpers (build time, or a template edited since the build). */
export function compiler(): typeof HandlebarsCompiler {
  fullHandlebars ??= withHelpers((createRequire(import.meta.url)('handlebars') as typeof HandlebarsCompiler).create());
  return fullHandlebars;
}

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
    template = built && built.hash === templateHash(text) ? hbs.template(built.spec) : compiler().compile(text, COMPILE_OPTIONS);
    cache.set(name, template);
  }
  return template(view);
}

/** Our own Handlebars instance: no HTML escaping, strict about missing names, explicit quoting helpers. */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';
import { execForm, shellQuote } from './escape.js';

const hbs = Handlebars.create();
hbs.registerHelper('shell', (value: unknown) => shellQuote(String(value)));
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
hbs.registerHelper('exec', (value: unknown) => execForm(value as string[]));

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/<name> with the view. Unknown names in the template are errors, not blanks. */
export function renderTemplate(name: string, view: object): string {
  let template = cache.get(name);
  if (!template) {
    template = hbs.compile(readFileSync(join(templatesDir, name), 'utf8'), { noEscape: true, strict: true });
    cache.set(name, template);
  }
  return template(view);
}

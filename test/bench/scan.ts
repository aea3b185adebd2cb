// `npx tsx test/bench/scan.ts [--runs 20]`: how long scanProject takes on the scan fixtures and on a
// synthetic 200-file project (a Django-like tree: settings, models, views, forms, migrations, a src-layout
// Flask package). Prints the median and the slowest run in milliseconds; the first (cold) run is shown apart.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanProject } from '../../generators/answers/scan/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt === -1 ? 20 : Number(process.argv[runsAt + 1]);

const MODEL = (i: number) => `from django.db import models


class Item${i}(models.Model):
    """An item of catalogue ${i}."""

    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.price})"
${Array.from({ length: 12 }, (_, k) => `
    def helper_${k}(self, value: int) -> int:
        total = 0
        for step in range(value):
            total += step * ${k}
        return total
`).join('')}`;

const VIEW = (i: number, readsEnv: boolean) => `import logging
${readsEnv ? `import os\n\nPAGE_SIZE = int(os.getenv("PAGE_SIZE_${i}", "20"))\n` : ''}
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Item${i}

log = logging.getLogger(__name__)


def detail(request, pk):
    item = get_object_or_404(Item${i}, pk=pk)
    log.info("item %s", item.pk)
    return JsonResponse({"name": item.name, "media": settings.MEDIA_URL})
${Array.from({ length: 8 }, (_, k) => `

def view_${k}(request):
    rows = [{"id": n, "square": n * n} for n in range(${k} * 10)]
    return JsonResponse({"rows": rows, "page": request.GET.get("page", "1")})
`).join('')}`;

const SETTINGS = `import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = os.getenv("DJANGO_DEBUG", "0") == "1"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
MEDIA_ROOT = BASE_DIR / "media"
STATIC_ROOT = os.path.join(BASE_DIR, "staticfiles")
`;

/** readsEnv: every view reads the environment, so no file is skipped before parsing (the worst case). */
function syntheticProject(readsEnv: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pyimage-scan-bench-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('site/settings.py', SETTINGS);
  write('site/__init__.py', '');
  write('manage.py', 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n');
  let files = 3;
  for (let app = 0; files < 200; app++) {
    write(`apps/app${app}/__init__.py`, '');
    write(`apps/app${app}/models.py`, MODEL(app));
    write(`apps/app${app}/views.py`, VIEW(app, readsEnv));
    write(`apps/app${app}/forms.py`, `from django import forms\n\n\nclass Form${app}(forms.Form):\n    name = forms.CharField()\n`);
    write(`apps/app${app}/migrations/0001_initial.py`, `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n`);
    write(`apps/app${app}/urls.py`, `from django.urls import path\n\nfrom . import views\n\nurlpatterns = [path("<int:pk>/", views.detail)]\n`);
    files += 6;
  }
  return dir;
}

function time(dir: string): { cold: number; median: number; max: number } {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    scanProject(dir);
    samples.push(performance.now() - start);
  }
  const [cold, ...warm] = samples;
  warm.sort((a, b) => a - b);
  return { cold: cold!, median: warm[Math.floor(warm.length / 2)]!, max: warm[warm.length - 1]! };
}

const synthetic = syntheticProject(false);
const parsedAll = syntheticProject(true);
const targets: [string, string][] = [
  ...['scan-flask-tutorial', 'scan-fastapi-settings', 'scan-flask-migrate', 'scan-src-celery', 'scan-django'].map((name): [string, string] => [name, join(repo, 'test', 'fixtures', name)]),
  ['synthetic 200 files', synthetic],
  ['synthetic, views read env', parsedAll],
];
try {
  console.log(`scanProject, ${RUNS} warm runs each (ms)`);
  for (const [name, dir] of targets) {
    const { cold, median, max } = time(dir);
    console.log(`${name.padEnd(28)} cold ${cold.toFixed(1).padStart(6)}  median ${median.toFixed(1).padStart(6)}  max ${max.toFixed(1).padStart(6)}`);
  }
} finally {
  for (const dir of [synthetic, parsedAll]) rmSync(dir, { recursive: true, force: true });
}

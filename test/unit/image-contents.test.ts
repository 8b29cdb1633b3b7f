import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../src/sandbox/processes';

/**
 * The production image (Dockerfile) holds dist/: src/ without src/sandbox, workflows/, activities/
 * and schedules/ compiled by tsconfig.build.json, plus the workflow bundle, with
 * `npm ci --omit=dev`. No Docker engine runs here, so this follows the import graph from the
 * image's entry points (in their TypeScript sources) and checks that everything it reaches is in the
 * image: no file under src/sandbox, test/ or scripts/, and no package outside `dependencies`.
 */
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ENTRY_POINTS = ['src/worker.ts', 'src/ingress/main.ts', 'src/cli/main.ts', 'workflows/index.ts'];
const NOT_IN_IMAGE = ['src/sandbox/', 'test/', 'scripts/'];

/** Module specifiers a file loads at run time (type-only imports and exports are erased). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause &&
          !clause.name &&
          clause.namedBindings &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      !node.isTypeOnly
    ) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && callee.getText() === 'require.resolve';
      if (isRequire || isResolve || callee.kind === ts.SyntaxKind.ImportKeyword) out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = join(dirname(from), spec);
  return [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')].find(
    (p) => existsSync(p) && statSync(p).isFile(),
  );
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function walk(): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>(); // package → first file importing it
  const queue = ENTRY_POINTS.map((e) => join(REPO_ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file) || !/\.(ts|js)$/.test(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (!target) throw new Error(`${relative(REPO_ROOT, file)} imports ${spec}, which does not resolve`);
        queue.push(target);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(packageName(spec))) {
        const name = packageName(spec);
        if (!packages.has(name)) packages.set(name, relative(REPO_ROOT, file));
      }
    }
  }
  return { files, packages };
}

describe('production image contents', () => {
  const { files, packages } = walk();

  it('follows the import graph from every entry point', () => {
    expect(files.size).toBeGreaterThan(ENTRY_POINTS.length);
    expect([...files].map((f) => relative(REPO_ROOT, f))).toEqual(
      expect.arrayContaining(['activities/index.ts', 'src/aws/clients.ts']),
    );
  });

  it('reaches no file the image leaves out (src/sandbox, test, scripts)', () => {
    const outside = [...files]
      .map((f) => relative(REPO_ROOT, f))
      .filter((f) => NOT_IN_IMAGE.some((dir) => f.startsWith(dir)));
    expect(outside).toEqual([]);
  });

  it('imports only production dependencies (testing tools are devDependencies)', () => {
    const notInstalled = [...packages]
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, by]) => `${name} (imported by ${by})`);
    expect(notInstalled).toEqual([]);
    expect(pkg.devDependencies).toHaveProperty('@temporalio/testing');
    expect(pkg.dependencies).not.toHaveProperty('@temporalio/testing');
  });

  it('is what the Dockerfile, .dockerignore and tsconfig.build.json build', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    const [build, runtime] = dockerfile.split(/^FROM .*$/m).slice(1);
    expect(build).toMatch(/RUN npm run build/);
    for (const dir of ['src', 'workflows', 'activities', 'schedules']) expect(build).toContain(`COPY ${dir} ./${dir}`);
    // The runtime stage: production dependencies and the compiled output, run with node (no tsx).
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).not.toMatch(/COPY (src|test|scripts|workflows|activities)\b/);
    expect(runtime.replace(/^#.*$/gm, '')).not.toMatch(/tsx/);
    expect(runtime).toMatch(/CMD \["node", "dist\/src\/worker.js"\]/);
    expect(ignored).toEqual(expect.arrayContaining(['src/sandbox', 'test', 'scripts', '!scripts/build.ts']));
    const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
      exclude: string[];
    };
    expect(tsconfig.include.sort()).toEqual(['activities', 'schedules', 'src', 'workflows']);
    expect(tsconfig.exclude).toContain('src/sandbox');
    expect(pkg.dependencies).not.toHaveProperty('tsx');
  });
});

/**
 * Renders every environment's GitOps manifests into gitops/<env>/ (stale files removed).
 *
 *   npx ts-node --transpile-only scripts/render-gitops.ts [outDir]   (default: <repo>/gitops)
 */
import * as path from 'path';
import { renderGitops } from '../charts/render';

const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'gitops'));
const written = renderGitops(outDir);
console.log(`rendered ${written.length} files into ${path.relative(process.cwd(), outDir) || '.'}`);

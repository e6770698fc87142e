// Imports point one way: no file imports itself back (madge's circular check), and no feature
// module under src/modules imports, through any file, a module that imports it. Prints the
// feature modules' graph; exits 1 on a cycle. Run by `npm run lint`.
import madge from 'madge';

const result = await madge('src', {
  fileExtensions: ['ts'],
  detectiveOptions: { ts: { skipTypeImports: false } },
});
const circular = result.circular();
for (const cycle of circular) console.error(`circular import: ${cycle.join(' > ')}`);

const featureOf = (file) => (file.startsWith('modules/') ? file.split('/')[1] : null);
const edges = new Map();
for (const [file, deps] of Object.entries(result.obj())) {
  const from = featureOf(file);
  if (!from) continue;
  for (const dep of deps) {
    const to = featureOf(dep);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}
const reaches = (from, target, seen = new Set()) =>
  [...(edges.get(from) ?? [])].some(
    (next) => next === target || (!seen.has(next) && seen.add(next) && reaches(next, target, seen)),
  );
const looping = [...edges.keys()].filter((feature) => reaches(feature, feature));
for (const [from, to] of [...edges].sort()) console.log(`${from} -> ${[...to].sort().join(', ')}`);
for (const feature of looping) console.error(`feature module in an import cycle: ${feature}`);
if (circular.length > 0 || looping.length > 0) process.exit(1);
console.log('imports point one way: no circular file import, no feature-module cycle');

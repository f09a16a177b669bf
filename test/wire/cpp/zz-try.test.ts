import { it, expect } from 'vitest';
import { replayInterface } from './replay.js';
import { readVectors } from './corpus.js';
it.each(['calc','scalars','arrays','ports','strings','options','trailers','mixed'])('%s', (name) => {
  const f = readVectors(`/work/oracle/vectors/${name}.json`);
  const r = replayInterface(`/work/wt-gen-cpp/test/gen-cpp/cases/${name}/input.defs`, f.vectors, `/tmp/g/replay-${name}`);
  const bad = r.filter((x) => x.problems.length).map((x) => `${x.vector.kind} ${x.vector.name}: ${x.problems.join('; ')}`);
  console.log(`${name}: ${r.length} vectors, ${bad.length} failing\n` + bad.slice(0, 12).join('\n'));
  expect(bad).toEqual([]);
});

// Lint Cypher with Neo4j's own front end (@neo4j-cypher/language-support): syntax, semantic
// analysis and function/procedure checks, for Cypher 5 and Cypher 25.
// stdin: JSON [{source, text, params: [names]}]; stdout: JSON [{source, version, line,
// column, severity, message}], every error and every deprecation (the caller fails on any).
import { readFileSync } from 'node:fs';
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const VERSIONS = ['5', '25'];
// The built-in functions and procedures of Neo4j 5 / Cypher 25 as the package records them,
// without plugins (APOC, GDS): we use neither.
const builtIn = (registry) =>
  Object.fromEntries(
    Object.entries(registry).map(([version, byName]) => [
      version,
      Object.fromEntries(
        Object.entries(byName).filter(([name]) => !/^(apoc|gds)\./.test(name)),
      ),
    ]),
  );
const functions = builtIn(testData.mockSchema.functions);
const procedures = builtIn(testData.mockSchema.procedures);

const ERROR = 1;
const DEPRECATED_TAG = 2;
const statements = JSON.parse(readFileSync(0, 'utf8'));
const found = [];
for (const { source, text, params } of statements) {
  const parameters = Object.fromEntries(params.map((p) => [p, null]));
  for (const version of VERSIONS) {
    const prefix = `CYPHER ${version}\n`;
    const { diagnostics } = lintCypherQuery(prefix + text, { functions, procedures, parameters });
    for (const d of diagnostics) {
      const deprecated =
        (d.tags ?? []).includes(DEPRECATED_TAG) || /deprecat/i.test(d.message);
      if (d.severity !== ERROR && !deprecated) continue;
      found.push({
        source,
        version,
        line: d.range.start.line, // 0-based in the prefixed text: the prefix is line 0
        column: d.range.start.character + 1,
        severity: d.severity === ERROR ? 'error' : 'deprecated',
        message: d.message,
      });
    }
  }
}
process.stdout.write(JSON.stringify(found));

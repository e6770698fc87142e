/** Writes the run's totals to .test-results/summary.json; .ci/run prints them as one line. */
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(this.rootDir, '.test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'summary.json'),
      JSON.stringify({
        passed: results.numPassedTests,
        // A suite that fails to load, or in a hook, may have no failed test of its own: it
        // counts as a failure all the same, so a red run never prints "0 failed".
        failed: Math.max(
          results.numFailedTests + results.numRuntimeErrorTestSuites,
          results.numFailedTestSuites,
        ),
        skipped: results.numPendingTests + results.numTodoTests,
        suites: results.numTotalTestSuites,
      }),
    );
  }
}

module.exports = SummaryReporter;

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
        // A suite that failed to load has no failed test of its own: count it as a failure.
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        suites: results.numTotalTestSuites,
        success: results.success,
      }),
    );
  }
}

module.exports = SummaryReporter;

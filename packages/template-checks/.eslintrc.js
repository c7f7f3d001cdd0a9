module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // Templates (broken on purpose, and skeletons with ${{ }} in .js files).
  ignorePatterns: ['fixtures/**'],
});

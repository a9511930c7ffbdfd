// The environment patterns of API tokens are core's (core/environment-patterns.ts).
export {
  anyPatternMatches,
  patternCovers,
  patternMatches,
  patternProblem,
  patternsCover,
} from '../../core/environment-patterns.ts';

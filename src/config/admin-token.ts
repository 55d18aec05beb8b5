/**
 * Words that make up the admin tokens people type instead of generating one: sample values from docs and compose
 * files (Brain's own old default, `change-me-to-a-long-random-secret`, among them), "admin", "password", ...
 */
const GUESSABLE_WORDS = (
  'a admin administrator api brain change changeme default demo dev development example here insert key letmein ' +
  'local localhost long me my pass passwd password prod production qwerty random replace root secret test the ' +
  'this to token welcome with your'
).split(' ');
const MIN_DISTINCT_CHARACTERS = 6;

/**
 * Why an admin token is too easy to guess, or undefined when it is not. Refused in every environment, not only in
 * production: the server listens on every interface by default, and a guessable admin token there is the same hole.
 */
export function weakAdminTokenReason(token: string): string | undefined {
  const letters = token.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (new Set(token).size < MIN_DISTINCT_CHARACTERS) return 'repeats too few characters';
  if (madeOfGuessableWords(letters)) return 'is made of common words and digits';
  return undefined;
}

/** Whether `text` splits into guessable words and digits (word break by dynamic programming: no regex backtracking). */
function madeOfGuessableWords(text: string): boolean {
  const reachable = [true];
  for (let end = 1; end <= text.length; end += 1) {
    reachable[end] =
      (reachable[end - 1] && /[0-9]/.test(text[end - 1])) ||
      GUESSABLE_WORDS.some(
        (word) => word.length <= end && reachable[end - word.length] && text.endsWith(word, end),
      );
  }
  return reachable[text.length];
}

/** spdx-expression-parse ships no types: it parses an SPDX licence expression or throws. */
declare module 'spdx-expression-parse' {
  const parse: (expression: string) => unknown;
  export default parse;
}

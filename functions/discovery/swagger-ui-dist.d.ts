// The two files of swagger-ui-dist the reference page serves, imported as text (`with { type:
// 'text' }`), which esbuild embeds in the discovery bundle. See docs.ts.
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string;
  export default text;
}
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}

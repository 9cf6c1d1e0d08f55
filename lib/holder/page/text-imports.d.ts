// The holder page's files imported as text (`with { type: 'text' }`), which esbuild embeds in the
// discovery bundle; see page.ts. verify.js has types of its own (verify.d.ts), as tests import it.
declare module '*/page/app.js' {
  const text: string;
  export default text;
}
declare module '*/page/style.css' {
  const text: string;
  export default text;
}

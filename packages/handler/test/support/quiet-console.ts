// @jupyterlab/services narrates every websocket and status change through console.debug; the
// entries silence it (src/quiet.ts), and so do the tests, to keep failures readable.
console.debug = () => undefined;

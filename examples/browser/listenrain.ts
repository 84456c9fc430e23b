/**
 * What the demo page uses of listenrain, bundled by `server.ts` (esbuild,
 * platform "browser") into `/listenrain.js` for the page's plain
 * `<script type="module">`. In an app, import the same names from
 * "listenrain" and "listenrain/advanced".
 *
 * @module
 */

export {
  Client,
  Connection,
  ConnectionClosedError,
  jsonBody,
  rawBody,
  Router,
  textBody,
} from "../../mod.ts";
export { dialWebSocket, MessageTooLargeError } from "../../advanced.ts";

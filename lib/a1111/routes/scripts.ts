/**
 * `/sdapi/v1/script-info`: A1111 lists each script's `api_info` (name, always-on or not, tab, UI arguments) for both
 * tabs. Serena has no scripts; the list is lib/a1111/generation/scripts.ts's, the one `/sdapi/v1/scripts` reads too.
 */
import { SCRIPTS } from "../generation/scripts.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

export const scriptInfo = implement(ROUTE["script-info"], async () => [...SCRIPTS]);

/**
 * A1111's listing routes for things Serena does not have (modules/api/api.py, v1.10.1): each answers an empty list in
 * A1111's response model, which is what A1111 itself answers when none are installed, so clients that list them at
 * start-up keep working. Using one of these features is refused where a request asks for it (a 422 naming the field).
 */
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

/** No hypernetworks: the `sd_hypernetwork` setting takes only "None" (docs/api.md, Settings). */
export const hypernetworks = implement(ROUTE.hypernetworks, async () => []);

/** A1111 lists CodeFormer and GFPGAN here; Serena has no face restoration (`restore_faces` is a 422). */
export const faceRestorers = implement(ROUTE["face-restorers"], async () => []);

/** No RealESRGAN models: the upscalers are None, Lanczos and Nearest (`/sdapi/v1/upscalers`). */
export const realesrganModels = implement(ROUTE["realesrgan-models"], async () => []);

/** Serena runs no WebUI extensions. */
export const extensions = implement(ROUTE.extensions, async () => []);

/** There are no separate VAEs to rescan (`/sdapi/v1/sd-vae` is empty); A1111 answers null. */
export const refreshVae = implement(ROUTE["refresh-vae"], async () => null);

/**
 * A minimal EXIF block holding only UserComment, written the way A1111 writes infotexts into JPEG/WebP
 * (piexif `UserComment.dump(text, encoding="unicode")`: "UNICODE\0" then UTF-16-BE; docs/a1111-semantics.md §2.5), and the
 * reader for it. Big-endian TIFF layout: IFD0 with one ExifIFD pointer, Exif IFD with one UserComment entry.
 */
const EXIF_IFD_POINTER = 0x8769;
const USER_COMMENT = 0x9286;
const UNDEFINED = 7;
const LONG = 4;

const utf16be = (text: string) => Buffer.from(text, "utf16le").swap16();

/** TIFF-structured EXIF data (no "Exif\0\0" prefix). */
export function exifWithUserComment(text: string): Buffer {
  const comment = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), utf16be(text)]);
  const ifd0At = 8;
  const exifIfdAt = ifd0At + 2 + 12 + 4;
  const dataAt = exifIfdAt + 2 + 12 + 4;
  const out = Buffer.alloc(dataAt + comment.length);
  out.write("MM", 0, "latin1");
  out.writeUInt16BE(42, 2);
  out.writeUInt32BE(ifd0At, 4);
  out.writeUInt16BE(1, ifd0At);
  out.writeUInt16BE(EXIF_IFD_POINTER, ifd0At + 2);
  out.writeUInt16BE(LONG, ifd0At + 4);
  out.writeUInt32BE(1, ifd0At + 6);
  out.writeUInt32BE(exifIfdAt, ifd0At + 10);
  out.writeUInt32BE(0, ifd0At + 14);
  out.writeUInt16BE(1, exifIfdAt);
  out.writeUInt16BE(USER_COMMENT, exifIfdAt + 2);
  out.writeUInt16BE(UNDEFINED, exifIfdAt + 4);
  out.writeUInt32BE(comment.length, exifIfdAt + 6);
  out.writeUInt32BE(dataAt, exifIfdAt + 10);
  out.writeUInt32BE(0, exifIfdAt + 14);
  comment.copy(out, dataAt);
  return out;
}

/** Inserts an APP1 Exif segment right after a JPEG's SOI marker. */
export function insertJpegExif(jpeg: Buffer, tiff: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

function decodeComment(raw: Buffer): string {
  const prefix = raw.toString("latin1", 0, 8);
  const body = raw.subarray(8);
  if (prefix === "UNICODE\0") {
    // piexif writes UTF-16-BE; a little-endian byte-order mark, if present, says otherwise.
    if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return body.subarray(2).toString("utf16le");
    return Buffer.from(body.subarray(0, body.length & ~1)).swap16().toString("utf16le");
  }
  if (prefix.startsWith("ASCII")) return body.toString("latin1").replace(/\0+$/, "");
  return raw.toString("utf8").replace(/\0+$/, "");
}

/** UserComment from TIFF-structured EXIF data (as sharp's `metadata().exif` gives it, with or without "Exif\0\0"). */
export function readUserComment(exif: Buffer): string | null {
  const tiff = exif.toString("latin1", 0, 6) === "Exif\0\0" ? exif.subarray(6) : exif;
  if (tiff.length < 8) return null;
  const little = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (o: number) => (little ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (little ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const findEntry = (ifdAt: number, tag: number) => {
    if (ifdAt + 2 > tiff.length) return null;
    const count = u16(ifdAt);
    for (let i = 0; i < count; i++) {
      const at = ifdAt + 2 + i * 12;
      if (at + 12 > tiff.length) return null;
      if (u16(at) === tag) return { count: u32(at + 4), value: u32(at + 8), at };
    }
    return null;
  };
  try {
    const pointer = findEntry(u32(4), EXIF_IFD_POINTER);
    if (!pointer) return null;
    const entry = findEntry(pointer.value, USER_COMMENT);
    if (!entry || entry.count < 8) return null;
    const start = entry.count <= 4 ? entry.at + 8 : entry.value;
    const text = decodeComment(tiff.subarray(start, start + entry.count));
    return text === "" ? null : text;
  } catch {
    return null;
  }
}

/**
 * Which Zarr node names the Zarr writer can write and zarr-python can read:
 * any character is allowed in a name segment except those below.
 * Sources: zarr-python 3.1.6 `zarr.storage._utils.normalize_path` (`\`
 * becomes `/`, `.` and `..` segments are refused), the Zarr v3 core spec
 * §"Node names" (not empty, not only periods, no leading `__`), the Zarr v2
 * metadata keys (`.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`) and v3's
 * `zarr.json` (a node of that name would collide with its parent's
 * metadata), and POSIX file systems (no NUL byte, at most 255 bytes of
 * UTF-8 per path segment, NAME_MAX on Linux).
 */

/** Longest name segment, in bytes of UTF-8 (Linux NAME_MAX). */
export const MAX_NAME_SEGMENT_BYTES = 255;

const METADATA_KEYS = new Set(['.zarray', '.zattrs', '.zgroup', '.zmetadata', 'zarr.json']);

/**
 * Why `segment` (one `/`-free part of a Zarr path) cannot be a Zarr node
 * name that both Zarr format 2 and 3 stores (directory or zip) can hold and
 * zarr-python can open, or undefined when it can.
 */
export function zarrNameProblem(segment: string): string | undefined {
  if (segment === '') return 'a Zarr node name cannot be empty';
  if (segment.includes('/')) return "'/' separates Zarr path segments";
  if (segment.includes('\\')) return "zarr-python reads '\\' as the path separator '/'";
  if (segment.includes('\0')) return 'a file name cannot hold a NUL byte';
  if (/^\.+$/.test(segment)) return 'a Zarr node name cannot consist only of periods';
  if (segment.startsWith('__')) return "Zarr v3 reserves names starting with '__'";
  if (METADATA_KEYS.has(segment)) return `'${segment}' is a Zarr metadata key`;
  const bytes = Buffer.byteLength(segment, 'utf8');
  if (bytes > MAX_NAME_SEGMENT_BYTES) return `${bytes} bytes of UTF-8; a file name holds at most ${MAX_NAME_SEGMENT_BYTES}`;
  return undefined;
}
